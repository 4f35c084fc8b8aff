//go:build linux

package bench

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/evnet/evnet"
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
