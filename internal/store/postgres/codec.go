package postgres

// nonNil returns s, or an empty list for nil, so a list column stores [].
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
