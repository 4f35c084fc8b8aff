// Command evbench runs evnet's side-by-side benchmarks (package bench)
// interleaved, one fresh process per measurement, and prints the medians
// per workload and metric with their evnet/net ratios and the goals of
// issue 5.
//
//	go run ./cmd/evbench -rounds 10 -benchtime 2000x -wrk -markdown -out bench/RESULTS.md
//
// It builds the bench test binary once with `go test -c`, then, for every
// round and workload, runs it once with -test.bench '^BenchmarkX$/^stack=Y$'
// for net and once for evnet, alternating which goes first. With -wrk it
// also runs net/http under wrk against a server it starts itself as a
// child process (evbench -serve net|evnet), on 127.0.0.1 only; -servecpus
// and -wrkcpus pin the server and wrk with taskset -c (unpinned by default):
//
//	evbench -only http-c1 -wrk -wrkdur 3s -rounds 5 -servecpus 1 -wrkcpus 0
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// stacks are the implementations compared, baseline first.
var stacks = []string{"net", "evnet"}

// metric is one figure of a workload: unit is the benchmark's unit (or
// ops/s, derived from ns/op), label is how the table names it.
type metric struct{ unit, label string }

// workload is one row group of the table: a benchmark of package bench run
// per stack, or (bench == "") a wrk run.
type workload struct {
	name    string
	bench   string
	metrics []metric
	wrkConn int // wrk -c, for wrk workloads
	scale   int // multiplies an "Nx" -benchtime: short per-op workloads
}

var (
	cpu     = []metric{{"usr-µs/op", "CPU user µs/op"}, {"sys-µs/op", "CPU system µs/op"}}
	latency = slices.Concat([]metric{{"p50-µs", "p50 µs"}, {"p99-µs", "p99 µs"}, {"ops/s", "round trips/s"}, {"sleeps/op", "thread sleeps/op"}}, cpu, []metric{{"allocs/op", "allocs/op"}})
	wrkMets = slices.Concat([]metric{{"req/s", "req/s"}, {"p99-µs", "p99 µs"}}, cpu)
)

var workloads = []workload{
	{name: "pingpong1", bench: "BenchmarkPingPong1", metrics: latency},
	{name: "pingpong1-proc", bench: "BenchmarkPingPongProc", metrics: latency},
	{name: "wakepath", bench: "BenchmarkWakePath", metrics: latency},
	{name: "pingpong64", bench: "BenchmarkPingPong64", metrics: latency, scale: 10},
	{name: "wakepath64", bench: "BenchmarkWakePath64", metrics: latency, scale: 10},
	{name: "bulk1MiB", bench: "BenchmarkBulk1MiB", metrics: slices.Concat([]metric{{"MB/s", "MB/s"}}, cpu, []metric{{"allocs/op", "allocs/op"}})},
	{name: "wakepath-bulk", bench: "BenchmarkWakePathBulk", metrics: slices.Concat([]metric{{"MB/s", "MB/s"}}, cpu, []metric{{"allocs/op", "allocs/op"}})},
	{name: "accept", bench: "BenchmarkAcceptConnectClose", metrics: []metric{{"ops/s", "conns/s"}, {"allocs/op", "allocs/op"}}},
	{name: "udp64", bench: "BenchmarkUDP64", metrics: []metric{{"ops/s", "datagrams/s"}, {"allocs/op", "allocs/op"}}, scale: 10},
	{name: "udp64-batch", bench: "BenchmarkUDPBatch64", metrics: []metric{{"ops/s", "datagrams/s"}, {"allocs/op", "allocs/op"}}, scale: 10},
	{name: "idleconn-mem", bench: "BenchmarkIdleConnMem", metrics: []metric{{"B/conn", "B/conn (heap+stack in use)"}, {"heap-B/conn", "B/conn (heap alloc)"}}},
	{name: "desc-mem", bench: "BenchmarkDescMem", metrics: []metric{{"B/conn", "B/socket (heap alloc)"}, {"allocs/op", "allocs/socket"}}},
	{name: "http-c64", wrkConn: 64, metrics: wrkMets},
	{name: "http-c1", wrkConn: 1, metrics: wrkMets},
}

type config struct {
	rounds    int
	benchtime string
	markdown  bool
	out       string
	only      *regexp.Regexp
	wrk       bool
	wrkDur    time.Duration
	serveCPUs string // taskset -c list for the wrk runs' server; "" leaves it unpinned
	wrkCPUs   string // and for wrk
	pkg       string
	timeout   time.Duration
}

func main() {
	serve := flag.String("serve", "", "internal: serve HTTP on `stack` (net or evnet) in this process")
	var cfg config
	flag.IntVar(&cfg.rounds, "rounds", 10, "interleaved rounds per workload")
	flag.StringVar(&cfg.benchtime, "benchtime", "2000x", "-test.benchtime of each benchmark run")
	flag.BoolVar(&cfg.markdown, "markdown", false, "print a markdown table")
	flag.StringVar(&cfg.out, "out", "", "write the table to `file` instead of stdout")
	only := flag.String("only", "", "run only the workloads matching `regexp`")
	flag.BoolVar(&cfg.wrk, "wrk", false, "also run net/http under wrk (-c64 and -c1)")
	flag.DurationVar(&cfg.wrkDur, "wrkdur", 5*time.Second, "duration of each wrk run")
	flag.StringVar(&cfg.serveCPUs, "servecpus", "", "pin the wrk runs' HTTP server to the CPUs in `list` (taskset -c)")
	flag.StringVar(&cfg.wrkCPUs, "wrkcpus", "", "pin wrk to the CPUs in `list` (taskset -c)")
	flag.StringVar(&cfg.pkg, "pkg", "github.com/evnet/evnet/bench", "the benchmark package")
	flag.DurationVar(&cfg.timeout, "timeout", 5*time.Minute, "limit of each measurement")
	flag.Parse()
	if *serve != "" {
		if err := serveHTTP(*serve, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "evbench -serve:", err)
			os.Exit(1)
		}
		return
	}
	var err error
	if cfg.only, err = regexp.Compile(*only); err != nil {
		fatalf("-only: %v", err)
	}
	if cfg.rounds < 1 || cfg.rounds > 1000 {
		fatalf("-rounds must be in 1..1000")
	}
	if err := run(cfg); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "evbench: "+format+"\n", args...)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

func run(cfg config) error {
	dir, err := os.MkdirTemp("", "evbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bench.test")
	logf("building %s", cfg.pkg)
	build := exec.Command("go", "test", "-c", "-o", bin, cfg.pkg)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go test -c: %w", err)
	}
	have, err := listBenchmarks(bin)
	if err != nil {
		return err
	}

	var todo []workload
	var notes []string
	for _, w := range workloads {
		switch {
		case !cfg.only.MatchString(w.name):
		case w.bench == "" && !cfg.wrk:
			notes = append(notes, w.name+": skipped, run with -wrk")
		case w.bench == "" && !haveWrk():
			notes = append(notes, w.name+": skipped, wrk is not installed (apt-get install -y wrk)")
		case w.bench != "" && !have[w.bench]:
			notes = append(notes, w.name+": skipped, "+w.bench+" does not exist yet")
		default:
			todo = append(todo, w)
		}
	}
	for _, n := range notes {
		logf("%s", n)
	}

	res := newResults()
	for r := range cfg.rounds {
		for _, w := range todo {
			order := stacks
			if r%2 == 1 { // alternate who goes first
				order = []string{stacks[1], stacks[0]}
			}
			for _, s := range order {
				m, err := measure(cfg, bin, w, s)
				if err != nil {
					logf("round %d %s stack=%s: %v", r+1, w.name, s, err)
					res.fail(w.name, s)
					continue
				}
				res.add(w.name, s, r, m)
			}
		}
		logf("round %d/%d done", r+1, cfg.rounds)
	}

	var out io.Writer = os.Stdout
	if cfg.out != "" {
		f, err := os.Create(cfg.out)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	rows := summarize(todo, res)
	goals := evalGoals(rows)
	if cfg.markdown {
		return writeMarkdown(out, rows, goals, notes)
	}
	return writeText(out, rows, goals, notes)
}

// listBenchmarks returns the benchmarks the test binary holds.
func listBenchmarks(bin string) (map[string]bool, error) {
	out, err := exec.Command(bin, "-test.list", "^Benchmark").Output()
	if err != nil {
		return nil, fmt.Errorf("%s -test.list: %w", bin, err)
	}
	have := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		have[l] = true
	}
	return have, nil
}

// measure runs one workload on one stack in a fresh process and returns its
// metrics.
func measure(cfg config, bin string, w workload, stack string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	if w.bench == "" {
		return measureWrk(ctx, cfg, w.wrkConn, stack)
	}
	pattern := "^" + w.bench + "$/^stack=" + stack + "$"
	cmd := exec.CommandContext(ctx, bin, "-test.run", "^$", "-test.bench", pattern,
		"-test.count", "1", "-test.benchtime", scaleBenchtime(cfg.benchtime, w.scale))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%w: %s%s", err, tail(string(out)), tail(stderr.String()))
	}
	want := w.bench + "/stack=" + stack
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if r, ok := parseBenchLine(sc.Text()); ok && r.name == want {
			return r.metrics, nil
		}
	}
	return nil, errors.New("no result line for " + want + ": " + tail(string(out)))
}

// scaleBenchtime multiplies an iteration count "Nx" by scale; a duration is
// returned as is.
func scaleBenchtime(bt string, scale int) string {
	n, err := strconv.Atoi(strings.TrimSuffix(bt, "x"))
	if scale <= 1 || !strings.HasSuffix(bt, "x") || err != nil {
		return bt
	}
	return strconv.Itoa(n*scale) + "x"
}

// tail is the end of a command's output, for error messages.
func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 400 {
		s = "…" + s[len(s)-400:]
	}
	return s
}
