package benchkit

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// Sample is one measured run of one configuration.
type Sample struct {
	Config      string
	Connections int
	Round       int
	Result      Result
}

// Summary is the median over rounds of one configuration at one
// concurrency.
type Summary struct {
	Config      string
	Connections int
	Rounds      int
	RPS         float64
	P50         time.Duration
	P99         time.Duration
	Errors      int
}

// Summarize returns the median throughput, p50 and p99 of every
// configuration and concurrency, in the order of configs and conns.
func Summarize(samples []Sample, configs []string, conns []int) []Summary {
	var out []Summary
	for _, c := range conns {
		for _, config := range configs {
			s := Summary{Config: config, Connections: c}
			var rps []float64
			var p50, p99 []time.Duration
			for _, sample := range samples {
				if sample.Config != config || sample.Connections != c {
					continue
				}
				s.Rounds++
				s.Errors += sample.Result.Errors
				rps = append(rps, sample.Result.RPS())
				p50 = append(p50, sample.Result.P50)
				p99 = append(p99, sample.Result.P99)
			}
			if s.Rounds == 0 {
				continue
			}
			s.RPS = median(rps)
			s.P50 = median(p50)
			s.P99 = median(p99)
			out = append(out, s)
		}
	}
	return out
}

func median[T int64 | float64 | time.Duration](values []T) T {
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// WriteSamples writes every run as a Markdown table.
func WriteSamples(w io.Writer, samples []Sample) {
	fmt.Fprintln(w, "| round | conns | config | req/s | p50 | p99 | max | errors |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, s := range samples {
		r := s.Result
		fmt.Fprintf(w, "| %d | %d | %s | %.0f | %s | %s | %s | %d |\n", s.Round, s.Connections, s.Config,
			r.RPS(), Micros(r.P50), Micros(r.P99), Micros(r.Max), r.Errors)
	}
}

// WriteSummary writes the medians as a Markdown table, with each
// configuration's throughput relative to the base configurations.
func WriteSummary(w io.Writer, summaries []Summary, bases []string) {
	fmt.Fprint(w, "| conns | config | req/s (median) | p50 | p99 | errors |")
	for _, b := range bases {
		fmt.Fprintf(w, " ÷ %s |", b)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "|---|---|---|---|---|---|")
	for range bases {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w)
	for _, s := range summaries {
		fmt.Fprintf(w, "| %d | %s | %.0f | %s | %s | %d |", s.Connections, s.Config, s.RPS, Micros(s.P50), Micros(s.P99), s.Errors)
		for _, b := range bases {
			ratio := "–"
			for _, other := range summaries {
				if other.Config == b && other.Connections == s.Connections && other.RPS > 0 {
					ratio = fmt.Sprintf("%.2f", s.RPS/other.RPS)
				}
			}
			fmt.Fprintf(w, " %s |", ratio)
		}
		fmt.Fprintln(w)
	}
}

// Micros formats a duration in microseconds, such as "412 µs".
func Micros(d time.Duration) string {
	return fmt.Sprintf("%d µs", d.Microseconds())
}
