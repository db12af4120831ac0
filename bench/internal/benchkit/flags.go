package benchkit

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseConns parses a comma-separated list of connection counts, such as
// "1,10,50".
func ParseConns(list string) ([]int, error) {
	var out []int
	for field := range strings.SplitSeq(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("invalid connection count %q in -conns; use positive integers such as 1,10,50", field)
		}
		out = append(out, n)
	}
	return out, nil
}
