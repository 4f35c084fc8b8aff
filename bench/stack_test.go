//go:build linux

package bench

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/evnet/evnet"
	"golang.org/x/sys/unix"
)

// stack is an implementation under test.
type stack struct {
	name   string
	listen func(network, address string) (net.Listener, error)
	dial   func(network, address string) (net.Conn, error)
}

var stacks = []stack{
	{"net", net.Listen, net.Dial},
	{"evnet", evnet.Listen, evnet.Dial},
}

// forStacks runs f as sub-benchmark stack=<name> for each stack.
func forStacks(b *testing.B, f func(b *testing.B, s stack)) {
	for _, s := range stacks {
		b.Run("stack="+s.name, func(b *testing.B) { f(b, s) })
	}
}

// meter counts what the process spends over a measurement: thread sleeps
// and CPU time (user and system). startMeter reads the counters, stop turns
// them into what was spent since, and report adds that per op.
type meter struct {
	sleeps   int64
	usr, sys int64 // ns
}

func startMeter() *meter {
	m := &meter{sleeps: threadSleeps()}
	m.usr, m.sys = cpuTime()
	return m
}

func (m *meter) stop() {
	usr, sys := cpuTime()
	m.sleeps = threadSleeps() - m.sleeps
	m.usr, m.sys = usr-m.usr, sys-m.sys
}

// report adds sleeps/op, usr-µs/op and sys-µs/op over ops operations. CPU
// per op is the work each stack does per operation, apart from how long it
// waits.
func (m *meter) report(b *testing.B, ops int) {
	b.ReportMetric(float64(m.sleeps)/float64(ops), "sleeps/op")
	b.ReportMetric(float64(m.usr)/1e3/float64(ops), "usr-µs/op")
	b.ReportMetric(float64(m.sys)/1e3/float64(ops), "sys-µs/op")
}

// cpuTime returns the process's user and system CPU time in ns.
func cpuTime() (usr, sys int64) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return ru.Utime.Nano(), ru.Stime.Nano()
}

// threadSleeps returns the voluntary context switches of all threads of the
// process: each is an OS thread going to sleep.
func threadSleeps() int64 {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0
	}
	var total int64
	for _, e := range ents {
		b, err := os.ReadFile("/proc/self/task/" + e.Name() + "/status")
		if err != nil {
			continue // the thread exited
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "voluntary_ctxt_switches:"); ok {
				n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				total += n
			}
		}
	}
	return total
}
