package sqlite

// boolInt returns b as SQLite's integer boolean.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
