package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// results holds every measurement: workload → stack → round → unit → value.
type results struct {
	m     map[string]map[string]map[int]map[string]float64
	fails map[string]int // "workload/stack" → failed runs
}

func newResults() *results {
	return &results{m: map[string]map[string]map[int]map[string]float64{}, fails: map[string]int{}}
}

func (r *results) add(workload, stack string, round int, m map[string]float64) {
	if r.m[workload] == nil {
		r.m[workload] = map[string]map[int]map[string]float64{}
	}
	if r.m[workload][stack] == nil {
		r.m[workload][stack] = map[int]map[string]float64{}
	}
	r.m[workload][stack][round] = m
}

func (r *results) fail(workload, stack string) { r.fails[workload+"/"+stack]++ }

// values returns the unit's values of every round of a stack, by round.
func (r *results) values(workload, stack, unit string) map[int]float64 {
	vs := map[int]float64{}
	for round, m := range r.m[workload][stack] {
		if v, ok := m[unit]; ok {
			vs[round] = v
		}
	}
	return vs
}

// row is one line of the table.
type row struct {
	workload, label, unit string
	base, ours            float64 // medians on net and on evnet
	ratio                 float64 // ours / base
	lo, hi                float64 // min and max of the per-round ratios
	rounds                int     // rounds with both stacks measured
	fails                 int
}

// median returns the median of xs, NaN if empty. xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// ratio is a/b, NaN when b is zero or either is NaN.
func ratio(a, b float64) float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return a / b
}

// roundRatios returns ours/base for each round that has both, and their min
// and max (NaN when there is none).
func roundRatios(base, ours map[int]float64) (rs []float64, lo, hi float64) {
	lo, hi = math.NaN(), math.NaN()
	for round, b := range base {
		o, ok := ours[round]
		if !ok {
			continue
		}
		r := ratio(o, b)
		if math.IsNaN(r) {
			continue
		}
		rs = append(rs, r)
		if len(rs) == 1 || r < lo {
			lo = r
		}
		if len(rs) == 1 || r > hi {
			hi = r
		}
	}
	return rs, lo, hi
}

func mapValues(m map[int]float64) []float64 {
	vs := make([]float64, 0, len(m))
	for _, v := range m {
		vs = append(vs, v)
	}
	return vs
}

// summarize computes a row per workload and metric.
func summarize(ws []workload, res *results) []row {
	var rows []row
	for _, w := range ws {
		for _, m := range w.metrics {
			base := res.values(w.name, stacks[0], m.unit)
			ours := res.values(w.name, stacks[1], m.unit)
			if len(base) == 0 && len(ours) == 0 {
				continue
			}
			rs, lo, hi := roundRatios(base, ours)
			r := row{
				workload: w.name, label: m.label, unit: m.unit,
				base: median(mapValues(base)), ours: median(mapValues(ours)),
				lo: lo, hi: hi, rounds: len(rs),
				fails: res.fails[w.name+"/"+stacks[0]] + res.fails[w.name+"/"+stacks[1]],
			}
			r.ratio = ratio(r.ours, r.base)
			rows = append(rows, r)
		}
	}
	return rows
}

// goal is one of issue 5's targets.
type goal struct {
	desc     string
	workload string
	unit     string
	max      bool    // the figure must be ≤ bound (else ≥ bound)
	bound    float64 //
	absolute bool    // bound applies to evnet's median, not to evnet/net
}

var goals = []goal{
	{"1-conn ping-pong in process: p50", "pingpong1", "p50-µs", true, 1.05, false},
	{"1-conn ping-pong in process: p99", "pingpong1", "p99-µs", true, 1.1, false},
	{"1-conn ping-pong in process: round trips/s", "pingpong1", "ops/s", false, 0.95, false},
	{"1-conn, client in another process: p50", "pingpong1-proc", "p50-µs", true, 1.15, false},
	{"1-conn, client in another process: round trips/s", "pingpong1-proc", "ops/s", false, 0.85, false},
	{"64-conn ping-pong: round trips/s", "pingpong64", "ops/s", false, 1.0, false},
	{"64-conn ping-pong: p99", "pingpong64", "p99-µs", true, 1.0, false},
	{"bulk 1 MiB writes: throughput", "bulk1MiB", "MB/s", false, 1.0, false},
	{"accept+connect+close: conns/s", "accept", "ops/s", false, 1.0, false},
	{"net/http wrk -c64: req/s", "http-c64", "req/s", false, 0.95, false},
	{"net/http wrk -c64: p99", "http-c64", "p99-µs", true, 1.1, false},
	{"net/http wrk -c1: req/s", "http-c1", "req/s", false, 1.0, false},
	{"UDP 64 B: evnet batch vs net per-datagram", "udp64-batch", "ops/s", false, 2.0, false},
	{"idle conn + blocked reader: memory", "idleconn-mem", "B/conn", true, 0.9, false},
	{"descriptor without goroutine (evnet B/socket)", "desc-mem", "B/conn", true, 400, true},
}

// goalResult is a goal with the figure measured and its verdict.
type goalResult struct {
	goal
	value  float64
	status string // PASS, MISS or n/a
}

// evalGoals checks every goal against the rows.
func evalGoals(rows []row) []goalResult {
	var out []goalResult
	for _, g := range goals {
		gr := goalResult{goal: g, value: math.NaN(), status: "n/a"}
		for _, r := range rows {
			if r.workload != g.workload || r.unit != g.unit {
				continue
			}
			gr.value = r.ratio
			if g.absolute {
				gr.value = r.ours
			}
		}
		if !math.IsNaN(gr.value) {
			gr.status = verdict(gr.value, g.bound, g.max)
		}
		out = append(out, gr)
	}
	return out
}

func verdict(v, bound float64, max bool) string {
	if (max && v <= bound) || (!max && v >= bound) {
		return "PASS"
	}
	return "MISS"
}

func (g goal) target() string {
	op := "≥"
	if g.max {
		op = "≤"
	}
	if g.absolute {
		return fmt.Sprintf("%s %s", op, num(g.bound))
	}
	return fmt.Sprintf("evnet/net %s %s", op, num(g.bound))
}

// num formats a figure with about three significant digits.
func num(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "–"
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		return fmt.Sprintf("%.1f", v)
	case a >= 10:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

func ratioStr(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

func spread(r row) string {
	if math.IsNaN(r.lo) {
		return "–"
	}
	return ratioStr(r.lo) + "–" + ratioStr(r.hi)
}

func roundsStr(r row) string {
	s := fmt.Sprint(r.rounds)
	if r.fails > 0 {
		s += fmt.Sprintf(" (%d failed)", r.fails)
	}
	return s
}

func goalValue(g goalResult) string {
	if g.absolute {
		return num(g.value)
	}
	return ratioStr(g.value)
}

// writeText prints the tables with aligned columns.
func writeText(w io.Writer, rows []row, gs []goalResult, notes []string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "workload\tmetric\tnet\tevnet\tevnet/net\tper-round ratios\trounds")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.workload, r.label, num(r.base), num(r.ours), ratioStr(r.ratio), spread(r), roundsStr(r))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "goal\ttarget\tmeasured\tstatus")
	for _, g := range gs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g.desc, g.target(), goalValue(g), g.status)
	}
	for _, n := range notes {
		fmt.Fprintln(tw, "note: "+n)
	}
	return tw.Flush()
}

// writeMarkdown prints the tables in markdown.
func writeMarkdown(w io.Writer, rows []row, gs []goalResult, notes []string) error {
	var b strings.Builder
	b.WriteString("| workload | metric | net | evnet | evnet/net | per-round ratios (min–max) | rounds |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", r.workload, r.label, num(r.base), num(r.ours), ratioStr(r.ratio), spread(r), roundsStr(r))
	}
	b.WriteString("\n| goal | target | measured | status |\n| --- | --- | ---: | --- |\n")
	for _, g := range gs {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", g.desc, g.target(), goalValue(g), g.status)
	}
	if len(notes) > 0 {
		b.WriteString("\n")
		for _, n := range notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
