package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// benchResult is one result line of `go test -bench`.
type benchResult struct {
	name    string // without the -GOMAXPROCS suffix
	iters   int64
	metrics map[string]float64 // by unit, plus ops/s derived from ns/op
}

// parseBenchLine parses a line such as
//
//	BenchmarkPingPong1/stack=net-2   2000   17843 ns/op   3.59 MB/s   17.2 p50-µs
//
// It reports false for any other line.
func parseBenchLine(line string) (benchResult, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 || !strings.HasPrefix(f[0], "Benchmark") {
		return benchResult{}, false
	}
	iters, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || iters <= 0 {
		return benchResult{}, false
	}
	r := benchResult{name: trimProcs(f[0]), iters: iters, metrics: map[string]float64{}}
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return benchResult{}, false
		}
		r.metrics[f[i+1]] = v
	}
	if ns, ok := r.metrics["ns/op"]; ok && ns > 0 {
		r.metrics["ops/s"] = 1e9 / ns
	}
	return r, true
}

// trimProcs removes the "-N" GOMAXPROCS suffix of a benchmark name.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// parseWrk reads req/s and the 99th percentile latency (in µs) from the
// output of `wrk --latency`.
func parseWrk(out string) (map[string]float64, error) {
	m := map[string]float64{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return nil, fmt.Errorf("wrk Requests/sec %q: %w", f[1], err)
			}
			m["req/s"] = v
		case len(f) == 2 && f[0] == "99%":
			v, err := parseWrkDuration(f[1])
			if err != nil {
				return nil, err
			}
			m["p99-µs"] = v
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			v, err := strconv.ParseFloat(f[0], 64)
			if err != nil {
				return nil, fmt.Errorf("wrk requests %q: %w", f[0], err)
			}
			m["requests"] = v
		case len(f) >= 4 && f[0] == "Non-2xx":
			return nil, errors.New("wrk: " + strings.TrimSpace(line))
		}
	}
	if _, ok := m["req/s"]; !ok {
		return nil, errors.New("wrk: no Requests/sec line")
	}
	if _, ok := m["p99-µs"]; !ok {
		return nil, errors.New("wrk: no 99% latency line (run with --latency)")
	}
	return m, nil
}

// parseWrkDuration converts wrk's "812.00us", "1.23ms", "2.00s", "1.50m"
// to microseconds.
func parseWrkDuration(s string) (float64, error) {
	units := []struct {
		suffix string
		us     float64
	}{{"us", 1}, {"ms", 1e3}, {"s", 1e6}, {"m", 60e6}, {"h", 3600e6}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("wrk duration %q: %w", s, err)
			}
			return v * u.us, nil
		}
	}
	return 0, fmt.Errorf("wrk duration %q: unknown unit", s)
}
