//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package loop

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

// Group is a set of loops that share the registrations of a process: each
// new fd goes to the next loop in turn.
type Group struct {
	loops []*Loop
	next  atomic.Uint32
}

// NewGroup starts n loops built from cfg.
func NewGroup(n int, cfg Config) (*Group, error) {
	if n < 1 {
		return nil, fmt.Errorf("evnet/loop: a group needs at least one loop, not %d", n)
	}
	g := &Group{}
	for range n {
		l, err := New(cfg)
		if err != nil {
			g.Close() // the New error is the one worth reporting
			return nil, err
		}
		g.loops = append(g.loops, l)
	}
	return g, nil
}

// Register registers fd with the next loop of the group.
func (g *Group) Register(fd int) (*Desc, error) {
	return g.Pick().Register(fd)
}

// Pick returns the next loop, round robin.
func (g *Group) Pick() *Loop {
	if len(g.loops) == 1 {
		return g.loops[0]
	}
	return g.loops[int(g.next.Add(1)-1)%len(g.loops)]
}

// Loops returns the group's loops.
func (g *Group) Loops() []*Loop { return g.loops }

// Live reports how many Descs are registered across the group.
func (g *Group) Live() int {
	n := 0
	for _, l := range g.loops {
		n += l.Live()
	}
	return n
}

// Close closes every loop of the group.
func (g *Group) Close() error {
	var first error
	for _, l := range g.loops {
		if err := l.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Default returns the process-wide group, built on first use. Its size is
// EVNET_LOOPS if set (a positive integer), else DefaultSize(); its run mode
// is EVNET_LOOP_MODE ("parked" or "blocking", see doc.go); EVNET_DIRECT sets
// the most direct-read slots per loop.
var Default = sync.OnceValues(func() (*Group, error) {
	n, err := sizeFromEnv(os.Getenv("EVNET_LOOPS"))
	if err != nil {
		return nil, err
	}
	mode, err := modeFromEnv(os.Getenv("EVNET_LOOP_MODE"))
	if err != nil {
		return nil, err
	}
	direct, err := directFromEnv(os.Getenv("EVNET_DIRECT"))
	if err != nil {
		return nil, err
	}
	return NewGroup(n, Config{Run: mode, Direct: direct})
})

// directFromEnv parses EVNET_DIRECT, the most direct-read slots per
// loop (Config.Direct): empty for the default, 0 for none, else 1 to 64.
func directFromEnv(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxSlots {
		return 0, fmt.Errorf("evnet/loop: EVNET_DIRECT=%q: want an integer from 0 to %d", v, maxSlots)
	}
	if n == 0 {
		return -1, nil
	}
	return n, nil
}

// modeFromEnv parses EVNET_LOOP_MODE: "adaptive" (the default where the
// selector has a pollable fd), "parked" or "blocking".
func modeFromEnv(v string) (RunMode, error) {
	switch v {
	case "", "adaptive":
		return RunAdaptive, nil
	case "parked":
		return RunParked, nil
	case "blocking":
		return RunBlocking, nil
	}
	return 0, fmt.Errorf("evnet/loop: EVNET_LOOP_MODE=%q: want adaptive, parked or blocking", v)
}

// DefaultSize is the number of loops of the default group without
// EVNET_LOOPS: one per four Ps, at least one (see doc.go for why).
func DefaultSize() int {
	return max(1, runtime.GOMAXPROCS(0)/4)
}

func sizeFromEnv(v string) (int, error) {
	if v == "" {
		return DefaultSize(), nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1024 {
		return 0, fmt.Errorf("evnet/loop: EVNET_LOOPS=%q: want an integer from 1 to 1024", v)
	}
	return n, nil
}
