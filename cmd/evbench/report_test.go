package main

import (
	"math"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"one", []float64{3}, 3},
		{"odd", []float64{5, 1, 3}, 3},
		{"even", []float64{4, 1, 3, 2}, 2.5},
		{"ties", []float64{2, 2, 9, 2}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.in...)
			if got := median(in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
			for i := range in {
				if in[i] != tt.in[i] {
					t.Fatal("median modified its argument")
				}
			}
		})
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median(nil) is not NaN")
	}
}

func TestRatio(t *testing.T) {
	if got := ratio(3, 2); got != 1.5 {
		t.Errorf("ratio(3, 2) = %v", got)
	}
	for _, c := range [][2]float64{{1, 0}, {math.NaN(), 1}, {1, math.NaN()}} {
		if !math.IsNaN(ratio(c[0], c[1])) {
			t.Errorf("ratio(%v, %v) is not NaN", c[0], c[1])
		}
	}
}

func TestRoundRatios(t *testing.T) {
	base := map[int]float64{0: 10, 1: 20, 2: 10, 3: 5}
	ours := map[int]float64{0: 12, 1: 10, 3: 10, 4: 7} // round 2 and 4 lack a pair
	rs, lo, hi := roundRatios(base, ours)
	if len(rs) != 3 || lo != 0.5 || hi != 2 {
		t.Errorf("got %v, %v–%v; want 3 ratios, 0.5–2", rs, lo, hi)
	}
	if _, lo, _ := roundRatios(base, nil); !math.IsNaN(lo) {
		t.Error("no pairs: lo is not NaN")
	}
}

func TestSummarizeAndGoals(t *testing.T) {
	res := newResults()
	// pingpong1: net p50 10, 12, 11; evnet 11, 12, 10 (medians 11 and 11).
	for round, v := range [][2]float64{{10, 11}, {12, 12}, {11, 10}} {
		res.add("pingpong1", "net", round, map[string]float64{"p50-µs": v[0], "ops/s": 1000})
		res.add("pingpong1", "evnet", round, map[string]float64{"p50-µs": v[1], "ops/s": 900})
	}
	res.add("desc-mem", "net", 0, map[string]float64{"B/conn": 296})
	res.add("desc-mem", "evnet", 0, map[string]float64{"B/conn": 620})
	res.fail("desc-mem", "evnet")
	ws := []workload{
		{name: "pingpong1", metrics: []metric{{"p50-µs", "p50"}, {"ops/s", "rt/s"}, {"p99-µs", "p99"}}},
		{name: "desc-mem", metrics: []metric{{"B/conn", "B"}}},
	}
	rows := summarize(ws, res)
	if len(rows) != 3 { // p99 was never measured
		t.Fatalf("%d rows, want 3: %+v", len(rows), rows)
	}
	p50 := rows[0]
	if p50.base != 11 || p50.ours != 11 || p50.ratio != 1 || p50.rounds != 3 {
		t.Errorf("p50 row %+v", p50)
	}
	if math.Abs(p50.lo-10.0/11) > 1e-12 || p50.hi != 1.1 {
		t.Errorf("p50 spread %v–%v, want 0.909–1.1", p50.lo, p50.hi)
	}
	if rows[2].fails != 1 {
		t.Errorf("desc-mem fails = %d, want 1", rows[2].fails)
	}

	status := map[string]goalResult{}
	for _, g := range evalGoals(rows) {
		status[g.workload+" "+g.unit] = g
	}
	for key, want := range map[string]string{
		"pingpong1 p50-µs": "PASS", // 1.00 ≤ 1.05
		"pingpong1 ops/s":  "MISS", // 0.90 < 0.95
		"pingpong1 p99-µs": "n/a",
		"desc-mem B/conn":  "MISS", // 620 > 400, absolute
		"http-c64 req/s":   "n/a",
	} {
		if got := status[key].status; got != want {
			t.Errorf("goal %s: %s, want %s", key, got, want)
		}
	}
	if v := status["desc-mem B/conn"].value; v != 620 {
		t.Errorf("absolute goal value %v, want evnet's 620", v)
	}

	var md strings.Builder
	if err := writeMarkdown(&md, rows, evalGoals(rows), []string{"a note"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| pingpong1 | p50 | 11.00 | 11.00 | 1.00 | 0.91–1.10 | 3 |", "| 1 (1 failed) |", "MISS", "- a note"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	var txt strings.Builder
	if err := writeText(&txt, rows, evalGoals(rows), nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "evnet/net ≤ 1.05") {
		t.Errorf("text lacks the p50 target:\n%s", txt.String())
	}
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		v, bound float64
		max      bool
		want     string
	}{
		{1.05, 1.05, true, "PASS"},
		{1.06, 1.05, true, "MISS"},
		{0.95, 0.95, false, "PASS"},
		{0.94, 0.95, false, "MISS"},
	}
	for _, tt := range tests {
		if got := verdict(tt.v, tt.bound, tt.max); got != tt.want {
			t.Errorf("verdict(%v, %v, max=%v) = %s, want %s", tt.v, tt.bound, tt.max, got, tt.want)
		}
	}
}
