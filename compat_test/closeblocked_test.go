//go:build linux

package compat_test

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/evnet/evnet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestReliabilityA5CloseWhileBlocked mirrors TestReadTimeoutMustNotReturn
// and TestFileCloseRace (Go #7970): A blocks in Read on conn X, B closes X,
// and C dials a new conn, which usually gets X's fd number, and whose peer
// sends one byte. Every other iteration C dials concurrently with the Close,
// the others right after Close returns. Nothing meant for X, and nothing of
// C's, may reach the wrong reader.
func TestReliabilityA5CloseWhileBlocked(t *testing.T) {
	iters := relScale(10000, 1000)
	budget := 60 * time.Second
	if relRace() {
		budget = 100 * time.Second
	}
	ln, err := evnet.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	tl := ln.(*evnet.TCPListener)
	addr := ln.Addr().String()
	dial := func() (net.Conn, error) { return evnet.Dial("tcp4", addr) }
	accept := func() net.Conn {
		require.NoError(t, tl.SetDeadline(time.Now().Add(10*time.Second)))
		c, err := ln.Accept()
		require.NoError(t, err)
		return c
	}
	type readResult struct {
		n   int
		err error
		at  time.Time
	}
	type dialResult struct {
		c   net.Conn
		err error
	}
	var (
		done, confirmed, misdelivered, badErr, cFailed, hung int
		reused                                               [2]int // [after Close, concurrent]
		lat                                                  []time.Duration
		firstBad                                             string
		stackBuf                                             = make([]byte, 1<<20)
		start                                                = time.Now()
	)
	for i := 0; i < iters && time.Since(start) < budget; i++ {
		concurrent := i%2 == 1
		x, err := dial()
		require.NoError(t, err)
		xp := accept()
		fdX := relFD(t, x)

		ready := make(chan int64, 1)
		res := make(chan readResult, 1)
		go func() { // A
			ready <- relGoid()
			buf := make([]byte, 16)
			n, err := x.Read(buf)
			res <- readResult{n, err, time.Now()}
		}()
		if relWaitParked(stackBuf, <-ready, relEvnetWait, 200) {
			confirmed++
		}
		var cch chan dialResult
		if concurrent {
			cch = make(chan dialResult, 1)
			go func() { c, err := dial(); cch <- dialResult{c, err} }() // C
		}
		t0 := time.Now()
		assert.NoError(t, x.Close()) // B
		var y net.Conn
		if concurrent {
			r := <-cch
			y, err = r.c, r.err
		} else {
			y, err = dial() // C
		}
		require.NoError(t, err)
		yp := accept()
		if relFD(t, y) == fdX {
			reused[relBool(concurrent)]++
		}
		// X's peer writes to the closed X (it gets an RST, or nothing): the
		// byte must never reach Y. Its error does not matter.
		_, _ = xp.Write([]byte("x"))
		_, err = yp.Write([]byte("c"))
		require.NoError(t, err)

		require.NoError(t, y.SetReadDeadline(time.Now().Add(10*time.Second)))
		buf := make([]byte, 8)
		n, err := y.Read(buf)
		switch {
		case err != nil || n != 1:
			cFailed++
			if firstBad == "" {
				firstBad = fmt.Sprintf("iteration %d: C read n=%d err=%v", i, n, err)
			}
		case buf[0] != 'c':
			misdelivered++
		}
		misdelivered += relPendingBytes(t, y)

		select {
		case r := <-res:
			misdelivered += r.n
			if !errors.Is(r.err, net.ErrClosed) || relIsTimeout(r.err) {
				badErr++
				if firstBad == "" {
					firstBad = fmt.Sprintf("iteration %d: A's Read returned n=%d err=%v", i, r.n, r.err)
				}
			}
			lat = append(lat, r.at.Sub(t0))
		case <-time.After(10 * time.Second):
			hung++
		}
		y.Close()
		yp.Close()
		xp.Close()
		done++
		if hung > 0 {
			break
		}
	}
	p50, p99, mx := relQuantiles(lat)
	limit := 10 * time.Millisecond
	ok := reused[0]+reused[1] > 0 && misdelivered == 0 && badErr == 0 && cFailed == 0 && hung == 0 && p99 <= limit
	relGoal(t, "A5", "close-while-blocked tcp4", ok,
		"%d iterations in %v (A parked before Close in %d), fd reused %d (%d after Close, %d concurrent), "+
			"A's error ErrClosed&&!Timeout %d/%d, misdelivered bytes %d, C read its byte %d/%d, hangs %d, "+
			"Close-to-return p50 %v p99 %v max %v (bar p99 ≤ %v)",
		done, time.Since(start).Round(time.Millisecond), confirmed, reused[0]+reused[1], reused[0], reused[1],
		done-badErr-hung, done, misdelivered, done-cFailed, done, hung, p50, p99, mx, limit)
	assert.Positive(t, reused[0]+reused[1], "no iteration reused X's fd number: the test proves nothing")
	assert.Zero(t, misdelivered, "bytes delivered to the wrong reader")
	assert.Zero(t, badErr, firstBad)
	assert.Zero(t, cFailed, firstBad)
	assert.Zero(t, hung, "A's Read did not return after Close")
	assert.LessOrEqual(t, p99, limit, "Close-to-return p99")
	assert.GreaterOrEqual(t, done, min(iters, 1000), "too few iterations within %v", budget)
}

func relBool(b bool) int {
	if b {
		return 1
	}
	return 0
}

// relPendingBytes returns how many bytes are queued on c's socket, without
// waiting or consuming them (recv MSG_PEEK|MSG_DONTWAIT).
func relPendingBytes(t testing.TB, c any) int {
	t.Helper()
	rc, err := c.(interface {
		SyscallConn() (syscall.RawConn, error)
	}).SyscallConn()
	require.NoError(t, err)
	var n int
	require.NoError(t, rc.Control(func(fd uintptr) {
		var b [64]byte
		m, _, err := unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		if err == nil {
			n = m
		}
	}))
	return n
}

// TestReliabilityA6RelistenAfterClose mirrors TestClosingListener: with an
// Accept pending, Close the listener and Listen again on the same port at
// once, 1,000 times, on net and on evnet.
func TestReliabilityA6RelistenAfterClose(t *testing.T) {
	iters := relScale(1000, 200)
	stackBuf := make([]byte, 1<<20)
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			frame := relEvnetWait
			if s.name == "net" {
				frame = relNetWait
			}
			ln, err := s.listen("tcp4", "127.0.0.1:0")
			require.NoError(t, err)
			addr := ln.Addr().String()
			var inUse, otherErr, badAccept, confirmed, done int
			var firstBad string
			start := time.Now()
			for i := range iters {
				ready := make(chan int64, 1)
				acc := make(chan error, 1)
				go func(ln net.Listener) {
					ready <- relGoid()
					c, err := ln.Accept()
					if c != nil {
						c.Close() // nobody dials: cannot happen, but do not leak it
					}
					acc <- err
				}(ln)
				if relWaitParked(stackBuf, <-ready, frame, 200) {
					confirmed++
				}
				assert.NoError(t, ln.Close())
				ln2, err := s.listen("tcp4", addr)
				switch {
				case errors.Is(err, syscall.EADDRINUSE):
					inUse++
				case err != nil:
					otherErr++
				}
				if err != nil && firstBad == "" {
					firstBad = fmt.Sprintf("iteration %d: re-Listen: %v", i, err)
				}
				select {
				case aerr := <-acc:
					if !errors.Is(aerr, net.ErrClosed) || relIsTimeout(aerr) {
						badAccept++
						if firstBad == "" {
							firstBad = fmt.Sprintf("iteration %d: pending Accept returned %v", i, aerr)
						}
					}
				case <-time.After(10 * time.Second):
					badAccept++
					firstBad = fmt.Sprintf("iteration %d: pending Accept did not return after Close", i)
				}
				done++
				if ln2 == nil {
					break
				}
				ln = ln2
			}
			if done == iters {
				ln.Close()
			}
			ok := inUse == 0 && otherErr == 0 && badAccept == 0
			relGoal(t, "A6", "re-listen after close "+s.name, ok,
				"%d Close+Listen cycles on %s in %v (Accept parked before Close in %d), EADDRINUSE %d, other errors %d, "+
					"pending Accept ErrClosed %d/%d",
				done, addr, time.Since(start).Round(time.Millisecond), confirmed, inUse, otherErr, done-badAccept, done)
			assert.Zero(t, inUse, firstBad)
			assert.Zero(t, otherErr, firstBad)
			assert.Zero(t, badAccept, firstBad)
		})
	}
}
