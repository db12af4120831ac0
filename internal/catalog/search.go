package catalog

import "strings"

// Search returns the services that match every word of q, in their original
// order. A word matches when it occurs, ignoring case, in the key, name or
// description. A blank q matches every service. The result is never nil. Its
// elements are shallow copies that share maps and slices with the input.
func Search(services []Service, q string) []Service {
	words := strings.Fields(strings.ToLower(q))
	out := make([]Service, 0, len(services))
	for _, s := range services {
		if matchesAll(&s, words) {
			out = append(out, s)
		}
	}
	return out
}

func matchesAll(s *Service, words []string) bool {
	text := strings.ToLower(s.Key + "\n" + s.Name + "\n" + s.Description)
	for _, w := range words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}
