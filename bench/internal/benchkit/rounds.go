package benchkit

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// Rounds sets how often and for how long every configuration is loaded.
type Rounds struct {
	Conns    []int
	Rounds   int
	Warmup   time.Duration
	Duration time.Duration
}

// RoundFlags contains the values of the -duration, -warmup, -rounds and
// -conns flags.
type RoundFlags struct {
	duration *time.Duration
	warmup   *time.Duration
	rounds   *int
	conns    *string
}

// DefineRoundFlags defines the -duration, -warmup, -rounds and -conns flags
// on the default flag set. Call Rounds on the result after flag.Parse.
func DefineRoundFlags() *RoundFlags {
	return &RoundFlags{
		duration: flag.Duration("duration", 4*time.Second, "measured time of each run"),
		warmup:   flag.Duration("warmup", 500*time.Millisecond, "unrecorded time before each run"),
		rounds:   flag.Int("rounds", 3, "how many times every configuration runs, interleaved"),
		conns:    flag.String("conns", "1,10,50", "comma-separated concurrent connection counts"),
	}
}

// Rounds returns the parsed flag values.
func (f *RoundFlags) Rounds() (Rounds, error) {
	conns, err := ParseConns(*f.conns)
	if err != nil {
		return Rounds{}, err
	}
	return Rounds{Conns: conns, Rounds: *f.rounds, Warmup: *f.warmup, Duration: *f.duration}, nil
}

// Config is one named load that RunRounds measures. Its Connections,
// Warmup and Duration are set for each run.
type Config struct {
	Name string
	Load Load
}

// RunRounds loads every configuration at every connection count, round
// after round, so that drift on the machine affects all configurations
// alike. It logs each run to stderr and returns the samples in run order.
func RunRounds(ctx context.Context, r Rounds, configs []Config) ([]Sample, error) {
	nameWidth := 0
	for _, c := range configs {
		nameWidth = max(nameWidth, len(c.Name))
	}

	var samples []Sample
	for round := 1; round <= r.Rounds; round++ {
		for _, n := range r.Conns {
			for _, c := range configs {
				load := c.Load
				load.Connections, load.Warmup, load.Duration = n, r.Warmup, r.Duration
				res, err := Run(ctx, load)
				if err != nil {
					return nil, err
				}
				fmt.Fprintf(os.Stderr, "round %d conns %d %-*s %8.0f req/s p50 %s p99 %s errors %d %s\n",
					round, n, nameWidth, c.Name, res.RPS(), Micros(res.P50), Micros(res.P99), res.Errors, res.FirstError)
				samples = append(samples, Sample{Config: c.Name, Connections: n, Round: round, Result: res})
			}
		}
	}
	return samples, nil
}

// WriteReport writes the medians, with throughput relative to the bases,
// and then every run as Markdown tables under headings that start with
// title.
func WriteReport(w io.Writer, title string, r Rounds, configs []Config, samples []Sample, bases []string) {
	names := make([]string, len(configs))
	for i, c := range configs {
		names[i] = c.Name
	}
	fmt.Fprintf(w, "## %s: medians of %d rounds of %s (after %s warm-up)\n\n", title, r.Rounds, r.Duration, r.Warmup)
	WriteSummary(w, Summarize(samples, names, r.Conns), bases)
	fmt.Fprintf(w, "\n## %s: every run\n\n", title)
	WriteSamples(w, samples)
}

// LogProcesses logs the name, PID and address of each process to stderr.
func LogProcesses(processes ...*Process) {
	for _, p := range processes {
		fmt.Fprintf(os.Stderr, "%s: pid %d at %s\n", p.Name, p.PID(), p.Addr)
	}
}
