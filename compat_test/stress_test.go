//go:build linux

package compat_test

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evnet/evnet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// relStressPair is one conn of the A7 pool: the evnet client the random ops
// run on, and its evnet peer, which echoes until either side closes.
type relStressPair struct {
	c    *evnet.TCPConn
	peer net.Conn
}

// relStressOps are the A7 ops with their weights (per mille). Close is rarer
// than the rest because a closed conn is replaced by a fresh one, which
// costs a dial.
var relStressOps = []struct {
	name   string
	weight int
}{
	{"Read", 250}, {"Write", 250}, {"SetDeadline", 120}, {"SetReadDeadline", 120},
	{"LocalAddr", 100}, {"CloseRead", 60}, {"CloseWrite", 60}, {"Close", 40},
}

// TestReliabilityA7Stress mirrors TestMutexStress, TestConcurrentSetDeadline
// and TestReadWriteDeadlineRace: 8 goroutines × 10,000 random ops over 10
// evnet conns. Deadlines are always set a few ms ahead or in the past, so
// every blocking op is bounded; a closed conn is replaced in its slot. Every
// error must have one of the allowed shapes (relCheckConnErr, and
// errshape_test.go's checkers).
func TestReliabilityA7Stress(t *testing.T) {
	const workers, slots = 8, 10
	opsPer := relScale(10000, 1000)
	ln, err := evnet.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()

	var peers sync.WaitGroup
	newPair := func() (*relStressPair, error) {
		c, err := evnet.Dial("tcp4", ln.Addr().String())
		if err != nil {
			return nil, err
		}
		p, err := ln.Accept()
		if err != nil {
			c.Close()
			return nil, err
		}
		tc := c.(*evnet.TCPConn)
		if err := tc.SetDeadline(time.Now().Add(2 * time.Millisecond)); err != nil {
			c.Close()
			p.Close()
			return nil, err
		}
		peers.Add(1)
		go func() { // echo until the client goes away
			defer peers.Done()
			defer p.Close()
			_, _ = io.Copy(p, p) // ends with EOF, EPIPE or ECONNRESET: all fine here
		}()
		return &relStressPair{c: tc, peer: p}, nil
	}
	var acceptMu sync.Mutex // Accept must pair with its own Dial
	newPairLocked := func() (*relStressPair, error) {
		acceptMu.Lock()
		defer acceptMu.Unlock()
		return newPair()
	}
	var pool [slots]atomic.Pointer[relStressPair]
	for i := range pool {
		p, err := newPairLocked()
		require.NoError(t, err)
		pool[i].Store(p)
	}

	var (
		counts              [8]atomic.Int64 // per op
		closed, timeouts    atomic.Int64
		syscalls, eofs      atomic.Int64
		panics, dialErrs    atomic.Int64
		badShapes, replaced atomic.Int64
		badMu               sync.Mutex
		bad                 []string
	)
	record := func(op string, err error) {
		if err == nil {
			return
		}
		checkOp := op
		if op == "shutdown" {
			checkOp = "close" // CloseRead and CloseWrite report Op "close"
		}
		problem := relCheckConnErr(checkOp, err)
		if problem == "" {
			problem = relSharedShapeCheck(op, err)
		}
		if problem != "" {
			badShapes.Add(1)
			badMu.Lock()
			if len(bad) < 10 {
				bad = append(bad, problem)
			}
			badMu.Unlock()
			return
		}
		var ne net.Error
		switch {
		case err == io.EOF:
			eofs.Add(1)
		case errors.Is(err, net.ErrClosed):
			closed.Add(1)
		case errors.As(err, &ne) && ne.Timeout():
			timeouts.Add(1)
		default:
			syscalls.Add(1)
		}
	}
	total := 0
	for _, o := range relStressOps {
		total += o.weight
	}

	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					panics.Add(1)
					buf := make([]byte, 64<<10)
					t.Errorf("worker %d panicked: %v\n%s", w, r, buf[:runtime.Stack(buf, false)])
				}
			}()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			rbuf := make([]byte, 2048)
			wbuf := []byte(strings.Repeat("w", 2048))
			deadline := func() time.Time {
				// Mostly a few ms ahead, sometimes already past; never zero,
				// so that no op can block for long.
				return time.Now().Add(time.Duration(rng.IntN(4000)-500) * time.Microsecond)
			}
			for range opsPer {
				slot := &pool[rng.IntN(slots)]
				p := slot.Load()
				k, x := 0, rng.IntN(total)
				for x >= relStressOps[k].weight {
					x -= relStressOps[k].weight
					k++
				}
				counts[k].Add(1)
				switch relStressOps[k].name {
				case "Read":
					_, err := p.c.Read(rbuf[:1+rng.IntN(len(rbuf))])
					record("read", err)
				case "Write":
					_, err := p.c.Write(wbuf[:1+rng.IntN(len(wbuf))])
					record("write", err)
				case "SetDeadline":
					record("set", p.c.SetDeadline(deadline()))
				case "SetReadDeadline":
					record("set", p.c.SetReadDeadline(deadline()))
				case "LocalAddr":
					if a, ok := p.c.LocalAddr().(*net.TCPAddr); !ok || a == nil || a.Port == 0 {
						badShapes.Add(1)
						badMu.Lock()
						bad = append(bad, fmt.Sprintf("LocalAddr() = %#v", p.c.LocalAddr()))
						badMu.Unlock()
					}
				case "CloseRead":
					record("shutdown", p.c.CloseRead())
				case "CloseWrite":
					record("shutdown", p.c.CloseWrite())
				case "Close":
					record("close", p.c.Close())
					if slot.Load() != p {
						continue // another worker replaced it already
					}
					// The other workers keep running ops on the closed conn
					// while this one dials its replacement.
					np, err := newPairLocked()
					if err != nil {
						dialErrs.Add(1)
						t.Errorf("replacing a closed conn: %v", err)
						continue
					}
					if slot.CompareAndSwap(p, np) {
						replaced.Add(1)
					} else {
						np.c.Close() // another worker's replacement won
					}
				}
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	hangLimit := 2 * time.Minute
	hung := false
	select {
	case <-finished:
	case <-time.After(hangLimit):
		hung = true
		buf := make([]byte, 4<<20)
		t.Errorf("workers still running after %v:\n%s", hangLimit, buf[:runtime.Stack(buf, true)])
	}
	elapsed := time.Since(start)
	for i := range pool {
		if p := pool[i].Load(); p != nil {
			p.c.Close() // the pool's end; ErrClosed if a worker closed it
		}
	}
	peersDone := make(chan struct{})
	go func() { peers.Wait(); close(peersDone) }()
	select {
	case <-peersDone:
	case <-time.After(30 * time.Second):
		hung = true
		t.Error("echo peers did not finish after their clients closed")
	}

	var opSummary []string
	for k, o := range relStressOps {
		opSummary = append(opSummary, fmt.Sprintf("%s %d", o.name, counts[k].Load()))
	}
	ok := panics.Load() == 0 && !hung && badShapes.Load() == 0 && dialErrs.Load() == 0
	relGoal(t, "A7", "concurrent stress tcp4", ok,
		"%d goroutines × %d ops over %d conns in %v (%s; %d closed conns replaced), "+
			"panics %d, hangs %d, bad error shapes %d (%d ops succeeded; errors: closed %d, timeout %d, syscall %d, EOF %d), "+
			"race detector %v",
		workers, opsPer, slots, elapsed.Round(time.Millisecond), strings.Join(opSummary, ", "), replaced.Load(),
		panics.Load(), relBool(hung), badShapes.Load(),
		int64(workers*opsPer)-closed.Load()-timeouts.Load()-syscalls.Load()-eofs.Load()-badShapes.Load(),
		closed.Load(), timeouts.Load(), syscalls.Load(), eofs.Load(), relRace())
	assert.Zero(t, panics.Load(), "panics")
	assert.False(t, hung, "hangs")
	assert.Zero(t, badShapes.Load(), "bad error shapes, first ones: %q", bad)
	assert.Zero(t, dialErrs.Load(), "dial errors while replacing conns")
}

// relSharedShapeCheck applies errshape_test.go's checker for op.
func relSharedShapeCheck(op string, err error) string {
	var e error
	switch op {
	case "read":
		e = checkReadError(err)
	case "write":
		e = checkWriteError(err)
	case "set":
		e = checkCommonError(err)
	case "close":
		e = checkCloseError(err, false)
	case "shutdown":
		e = checkCloseError(err, true)
	default:
		return ""
	}
	if e != nil {
		return e.Error()
	}
	return ""
}
