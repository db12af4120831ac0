// Package benchkit holds what plugboard's benchmark programs share: a
// closed-loop HTTP load generator, child processes on 127.0.0.1 and a
// throwaway plugboard server driven through its API.
package benchkit

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Load describes one closed-loop run: Connections workers, each with its
// own keep-alive connection, send requests back to back for Duration
// after a Warmup whose requests are not recorded.
type Load struct {
	URL         string
	Header      http.Header
	Connections int
	Warmup      time.Duration
	Duration    time.Duration
	// WantStatus is the status every counted response must have.
	WantStatus int
	// WantBytes, when positive, is the body length every counted response
	// must have.
	WantBytes int
}

// Result is the outcome of one Load run. Latencies are wall-clock times
// from sending the request to reading the whole body.
type Result struct {
	Requests int
	Errors   int
	// FirstError describes the first failed request, if any.
	FirstError string
	Elapsed    time.Duration
	P50        time.Duration
	P99        time.Duration
	Max        time.Duration
}

// RPS returns the successful requests per second.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Run sends the load and returns its result.
func Run(ctx context.Context, l Load) (Result, error) {
	if l.Connections < 1 {
		return Result{}, fmt.Errorf("connections is %d; use 1 or more", l.Connections)
	}
	type workerResult struct {
		latencies  []time.Duration
		errors     int
		firstError string
	}
	results := make([]workerResult, l.Connections)
	start := time.Now()
	recordFrom := start.Add(l.Warmup)
	stopAt := recordFrom.Add(l.Duration)

	var wg sync.WaitGroup
	for i := range l.Connections {
		wg.Go(func() {
			// One transport per worker pins each worker to one connection.
			transport := &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, DisableCompression: true}
			defer transport.CloseIdleConnections()
			client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
			res := &results[i]
			res.latencies = make([]time.Duration, 0, 1<<14)
			for ctx.Err() == nil {
				sent := time.Now()
				if !sent.Before(stopAt) {
					return
				}
				err := fetch(ctx, client, l)
				done := time.Now()
				if sent.Before(recordFrom) {
					continue
				}
				if err != nil {
					res.errors++
					if res.firstError == "" {
						res.firstError = err.Error()
					}
					continue
				}
				res.latencies = append(res.latencies, done.Sub(sent))
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}

	var out Result
	var all []time.Duration
	for _, res := range results {
		all = append(all, res.latencies...)
		out.Errors += res.errors
		if out.FirstError == "" {
			out.FirstError = res.firstError
		}
	}
	out.Requests = len(all)
	out.Elapsed = l.Duration
	if len(all) > 0 {
		slices.Sort(all)
		out.P50 = percentile(all, 0.50)
		out.P99 = percentile(all, 0.99)
		out.Max = all[len(all)-1]
	}
	return out, nil
}

// percentile returns the nearest-rank percentile of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func fetch(ctx context.Context, client *http.Client, l Load) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.URL, nil)
	if err != nil {
		return err
	}
	for name, values := range l.Header {
		req.Header[name] = values
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return fmt.Errorf("reading response body: %w", err)
	}
	if resp.StatusCode != l.WantStatus {
		return fmt.Errorf("status %d, expected %d", resp.StatusCode, l.WantStatus)
	}
	if l.WantBytes > 0 && int(n) != l.WantBytes {
		return fmt.Errorf("body of %d bytes, expected %d", n, l.WantBytes)
	}
	return nil
}
