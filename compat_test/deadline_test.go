//go:build linux

package compat_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evnet/evnet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// relVariousDeadlines is TestVariousDeadlines's list ($GOROOT/src/net/
// timeout_test.go): 19 values from 1ns to 1s.
var relVariousDeadlines = []time.Duration{
	1 * time.Nanosecond, 2 * time.Nanosecond, 5 * time.Nanosecond, 50 * time.Nanosecond,
	100 * time.Nanosecond, 200 * time.Nanosecond, 500 * time.Nanosecond, 750 * time.Nanosecond,
	1 * time.Microsecond, 5 * time.Microsecond, 25 * time.Microsecond, 250 * time.Microsecond,
	500 * time.Microsecond, 1 * time.Millisecond, 5 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, 1 * time.Second,
}

// TestReliabilityA8Deadlines covers RELIABILITY.md A8: TestVariousDeadlines
// (×3, GOMAXPROCS 1 and 4), a read or write past its deadline with data
// ready, and the lateness of ≥ 2,000 20 ms read deadlines over 200 conns on
// net and evnet in the same run. No deadline may fire early; lateness bounds
// are generous under -race.
func TestReliabilityA8Deadlines(t *testing.T) {
	t.Run("various", func(t *testing.T) {
		for _, procs := range []int{1, 4} {
			t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) { relTestVariousDeadlines(t, procs) })
		}
	})
	t.Run("past-deadline-data-ready", relTestPastDeadlineDataReady)
	t.Run("20ms-200conns", relTestDeadlineLateness)
}

// relTestVariousDeadlines is TestVariousDeadlines1Proc/4Proc on evnet: a
// conn whose peer never writes, a deadline timeout ahead, io.Copy until it
// fails: it must fail with a timeout, and not before the deadline.
func relTestVariousDeadlines(t *testing.T, procs int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	ln, err := evnet.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	srv := make(chan struct{})
	go func() {
		defer close(srv)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			// Wait for the client to close, bounded; the result is not the
			// point of this server.
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			_, _ = c.Read(make([]byte, 1))
			c.Close()
		}
	}()
	defer func() { ln.Close(); <-srv }()

	runs := 3
	slack := time.Second
	if relRace() {
		slack = 3 * time.Second
	}
	var n, timeouts, early, late int
	var over []time.Duration
	var firstBad string
	for _, timeout := range relVariousDeadlines {
		if testing.Short() && timeout > 500*time.Microsecond {
			continue
		}
		for range relScale(runs, 1) {
			c, err := evnet.Dial("tcp4", ln.Addr().String())
			require.NoError(t, err)
			t0 := time.Now()
			assert.NoError(t, c.SetDeadline(t0.Add(timeout)))
			nb, err := io.Copy(io.Discard, c)
			dt := time.Since(t0)
			c.Close()
			n++
			switch {
			case !relIsTimeout(err) || !errors.Is(err, os.ErrDeadlineExceeded):
				if firstBad == "" {
					firstBad = fmt.Sprintf("%v: Copy = %d, %v; want timeout", timeout, nb, err)
				}
			case dt < timeout:
				early++
				timeouts++
				if firstBad == "" {
					firstBad = fmt.Sprintf("%v: timeout after only %v", timeout, dt)
				}
			default:
				timeouts++
				over = append(over, dt-timeout)
				if dt-timeout > slack {
					late++
				}
			}
		}
	}
	p50, p99, mx := relQuantiles(over)
	ok := timeouts == n && early == 0 && late == 0
	relGoal(t, "A8", fmt.Sprintf("various-deadlines GOMAXPROCS=%d", procs), ok,
		"%d runs (%d values × %d), %d timeouts, %d early, overshoot p50 %v p99 %v max %v (bar ≤ %v)",
		n, n/relScale(runs, 1), relScale(runs, 1), timeouts, early, p50, p99, mx, slack)
	assert.Equal(t, n, timeouts, firstBad)
	assert.Zero(t, early, firstBad)
	assert.Zero(t, late, "deadlines overshot by more than %v", slack)
}

// relTestPastDeadlineDataReady: a Read (and a Write) whose deadline has
// passed fails with a timeout even though data is ready (errprobe.txt, "TCP
// Read, past deadline, data ready").
func relTestPastDeadlineDataReady(t *testing.T) {
	var summary []string
	for _, s := range stacks {
		c, p := connPair(t, s, "tcp4")
		_, err := p.Write([]byte("ab"))
		require.NoError(t, err)
		require.Eventually(t, func() bool { return relPendingBytes(t, c) == 2 }, 10*time.Second, time.Millisecond,
			"the peer's bytes never became ready")

		require.NoError(t, c.SetReadDeadline(time.Now().Add(-time.Second)))
		rn, rerr := c.Read(make([]byte, 8))
		require.NoError(t, c.SetWriteDeadline(time.Now().Add(-time.Second)))
		wn, werr := c.Write([]byte("w"))
		readOK := rn == 0 && relIsTimeout(rerr) && errors.Is(rerr, os.ErrDeadlineExceeded)
		writeOK := wn == 0 && relIsTimeout(werr) && errors.Is(werr, os.ErrDeadlineExceeded)
		summary = append(summary, fmt.Sprintf("%s: Read with 2 bytes ready = %d, timeout %v; Write = %d, timeout %v",
			s.name, rn, readOK, wn, writeOK))
		assert.True(t, readOK, "%s: Read past deadline with data ready = %d, %v; want 0, timeout", s.name, rn, rerr)
		assert.True(t, writeOK, "%s: Write past deadline = %d, %v; want 0, timeout", s.name, wn, werr)
		assert.Empty(t, relCheckConnErr("read", rerr))
		assert.Empty(t, relCheckConnErr("write", werr))
		assert.Equal(t, 2, relPendingBytes(t, c), "%s: the timed-out Read consumed data", s.name)
	}
	relGoal(t, "A8", "past-deadline-data-ready", !t.Failed(), "%s", strings.Join(summary, "; "))
}

// relTestDeadlineLateness measures 20 ms read deadlines on 200 idle conns,
// rounds alternating between net and evnet: every read must time out, none
// early, and evnet's p99 lateness must be ≤ max(2 × net's p99, 5 ms)
// (probes/deadlineprobe.txt: net p99 3.1 ms, max 9.6 ms), in the best of
// three attempts.
func relTestDeadlineLateness(t *testing.T) {
	const conns, rounds, deadline = 200, 10, 20 * time.Millisecond
	type result struct {
		late              []time.Duration
		early, notTimeout int
		firstBad          string
		pool              []net.Conn
		p50, p99, max     time.Duration
	}
	res := map[string]*result{}
	for _, s := range stacks {
		r := &result{}
		res[s.name] = r
		ln := newLocalListener(t, s, "tcp4")
		for range conns {
			c, err := s.dial("tcp4", ln.Addr().String())
			require.NoError(t, err)
			p, err := ln.Accept()
			require.NoError(t, err)
			t.Cleanup(func() { c.Close(); p.Close() })
			r.pool = append(r.pool, c)
		}
	}
	// The lateness is measured up to three times, as A19 is: a shared box
	// under load delays the goroutines a timer wakes, for both stacks, but
	// not in the same round. Every attempt must be correct (no early or
	// missing timeout); one attempt within the bar is a pass.
	for attempt := 1; ; attempt++ {
		for _, r := range res {
			r.late, r.early, r.notTimeout = r.late[:0], 0, 0
		}
		var mu sync.Mutex
		for round := range rounds {
			for i := range stacks {
				s := stacks[(round+i)%len(stacks)] // alternate which stack goes first
				r := res[s.name]
				var wg sync.WaitGroup
				for _, c := range r.pool {
					wg.Add(1)
					go func() {
						defer wg.Done()
						dl := time.Now().Add(deadline)
						err := c.SetReadDeadline(dl)
						var n int
						if err == nil {
							n, err = c.Read(make([]byte, 1))
						}
						late := time.Since(dl)
						mu.Lock()
						defer mu.Unlock()
						switch {
						case n != 0 || !relIsTimeout(err) || !errors.Is(err, os.ErrDeadlineExceeded):
							r.notTimeout++
							if r.firstBad == "" {
								r.firstBad = fmt.Sprintf("Read = %d, %v; want a timeout", n, err)
							}
						case late < 0:
							r.early++
							if r.firstBad == "" {
								r.firstBad = fmt.Sprintf("timeout %v before the deadline", -late)
							}
						default:
							r.late = append(r.late, late)
						}
					}()
				}
				done := make(chan struct{})
				go func() { wg.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(time.Minute):
					t.Fatalf("%s: 20ms read deadlines did not fire within a minute", s.name)
				}
			}
		}
		for _, r := range res {
			r.p50, r.p99, r.max = relQuantiles(r.late)
		}
		n, e := res["net"], res["evnet"]
		bar := max(2*n.p99, 5*time.Millisecond)
		if relRace() {
			bar = max(3*n.p99, 25*time.Millisecond) // -race slows the waking goroutines, not the timers
		}
		samples := conns * rounds
		ok := e.notTimeout == 0 && e.early == 0 && n.early == 0 && n.notTimeout == 0 && e.p99 <= bar
		if !ok && attempt < 3 && e.notTimeout == 0 && e.early == 0 && n.notTimeout == 0 && n.early == 0 {
			t.Logf("A8 attempt %d: evnet p99 %v over the bar %v (net p99 %v); measuring again", attempt, e.p99, bar, n.p99)
			continue
		}
		relGoal(t, "A8", "20ms-deadline-lateness 200 conns", ok,
			"%d samples each; evnet: %d timeouts, %d early, p50 %v p99 %v max %v; net: %d timeouts, %d early, p50 %v p99 %v max %v; "+
				"bar evnet p99 ≤ %v (race detector %v)",
			samples, samples-e.notTimeout-e.early, e.early, e.p50, e.p99, e.max,
			samples-n.notTimeout-n.early, n.early, n.p50, n.p99, n.max, bar, relRace())
		assert.LessOrEqual(t, e.p99, bar, "evnet p99 lateness")
		break
	}
	for name, r := range res {
		assert.Zero(t, r.notTimeout, "%s: %s", name, r.firstBad)
		assert.Zero(t, r.early, "%s: %s", name, r.firstBad)
	}
}
