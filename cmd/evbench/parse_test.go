package main

import (
	"math"
	"testing"
)

func TestParseBenchLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		ok   bool
		want benchResult
	}{
		{
			name: "custom metrics",
			line: "BenchmarkPingPong1/stack=evnet-2   \t    2000\t     20000 ns/op\t   3.20 MB/s\t        17.20 p50-µs\t       45.5 p99-µs\t  0.03 sleeps/op\t  0 B/op\t  0 allocs/op",
			ok:   true,
			want: benchResult{name: "BenchmarkPingPong1/stack=evnet", iters: 2000, metrics: map[string]float64{
				"ns/op": 20000, "ops/s": 50000, "MB/s": 3.2, "p50-µs": 17.2, "p99-µs": 45.5, "sleeps/op": 0.03, "B/op": 0, "allocs/op": 0,
			}},
		},
		{
			name: "no procs suffix",
			line: "BenchmarkDescMem/stack=net 1 48829 ns/op 296.0 B/conn",
			ok:   true,
			want: benchResult{name: "BenchmarkDescMem/stack=net", iters: 1, metrics: map[string]float64{
				"ns/op": 48829, "ops/s": 1e9 / 48829, "B/conn": 296,
			}},
		},
		{name: "header", line: "goos: linux"},
		{name: "name only", line: "BenchmarkPingPong1/stack=net-2"},
		{name: "pass", line: "PASS"},
		{name: "odd fields", line: "BenchmarkX-2 10 5 ns/op 7"},
		{name: "bad value", line: "BenchmarkX-2 10 five ns/op"},
		{name: "zero iterations", line: "BenchmarkX-2 0 5 ns/op"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseBenchLine(tt.line)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if got.name != tt.want.name || got.iters != tt.want.iters {
				t.Errorf("got %q %d, want %q %d", got.name, got.iters, tt.want.name, tt.want.iters)
			}
			if len(got.metrics) != len(tt.want.metrics) {
				t.Errorf("metrics %v, want %v", got.metrics, tt.want.metrics)
			}
			for u, v := range tt.want.metrics {
				if g, ok := got.metrics[u]; !ok || math.Abs(g-v) > 1e-9*math.Abs(v) {
					t.Errorf("%s = %v, want %v", u, g, v)
				}
			}
		})
	}
}

func TestTrimProcs(t *testing.T) {
	for in, want := range map[string]string{
		"BenchmarkA/stack=net-2":  "BenchmarkA/stack=net",
		"BenchmarkA/stack=net":    "BenchmarkA/stack=net",
		"BenchmarkA/x=a-b":        "BenchmarkA/x=a-b",
		"BenchmarkA-16":           "BenchmarkA",
		"BenchmarkA/stack=evnet-": "BenchmarkA/stack=evnet-",
	} {
		if got := trimProcs(in); got != want {
			t.Errorf("trimProcs(%q) = %q, want %q", in, got, want)
		}
	}
}

const wrkOutput = `Running 5s test @ http://127.0.0.1:40123/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.52ms  412.11us   9.81ms   80.12%
    Req/Sec    42.10k     1.20k   44.00k    70.00%
  Latency Distribution
     50%    1.43ms
     75%    1.70ms
     90%    2.01ms
     99%    2.87ms
  209512 requests in 5.00s, 25.37MB read
Requests/sec:  41902.40
Transfer/sec:      5.07MB
`

func TestParseWrk(t *testing.T) {
	m, err := parseWrk(wrkOutput)
	if err != nil {
		t.Fatal(err)
	}
	if m["req/s"] != 41902.40 || m["p99-µs"] != 2870 || m["requests"] != 209512 {
		t.Errorf("got %v, want req/s 41902.4, p99-µs 2870 and requests 209512", m)
	}

	for name, out := range map[string]string{
		"no latency":  "Requests/sec:  100.5\n",
		"no requests": "     99%    2.87ms\n",
		"non-2xx":     wrkOutput + "  Non-2xx or 3xx responses: 12\n",
		"bad unit":    "     99%    2.87xs\nRequests/sec:  100.5\n",
	} {
		if _, err := parseWrk(out); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParseWrkDuration(t *testing.T) {
	for in, want := range map[string]float64{
		"812.00us": 812, "1.23ms": 1230, "2.00s": 2e6, "1.50m": 90e6, "0.50h": 1800e6,
	} {
		got, err := parseWrkDuration(in)
		if err != nil || math.Abs(got-want) > 1e-6*want {
			t.Errorf("parseWrkDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseWrkDuration("12"); err == nil {
		t.Error("no unit: no error")
	}
}

func TestScaleBenchtime(t *testing.T) {
	tests := []struct {
		bt    string
		scale int
		want  string
	}{
		{"2000x", 10, "20000x"},
		{"2000x", 0, "2000x"},
		{"2000x", 1, "2000x"},
		{"2s", 10, "2s"},
		{"bogusx", 10, "bogusx"},
	}
	for _, tt := range tests {
		if got := scaleBenchtime(tt.bt, tt.scale); got != tt.want {
			t.Errorf("scaleBenchtime(%q, %d) = %q, want %q", tt.bt, tt.scale, got, tt.want)
		}
	}
}
