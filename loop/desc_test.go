//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package loop

import (
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/evnet/evnet/selector"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestReadWakesOnData(t *testing.T) {
	forEachBackend(t, func(t *testing.T, l *Loop) {
		d, peer := socketPair(t, l)
		got := make(chan error, 1)
		buf := make([]byte, 8)
		go func() {
			n, err := readOnce(d, buf)
			if err == nil && n != 5 {
				err = unix.EIO
			}
			got <- err
		}()
		_, err := unix.Write(peer, []byte("hello"))
		require.NoError(t, err)
		assert.NoError(t, within(t, got, "read was not woken by data"))
		assert.Equal(t, "hello", string(buf[:5]))
	})
}

func TestPingPongManyRounds(t *testing.T) {
	forEachBackend(t, func(t *testing.T, l *Loop) {
		a, peerA := socketPair(t, l)
		b, peerB := socketPair(t, l)
		// Wire a's peer to b's peer through two goroutines: data written on
		// a comes back on a after crossing b. Each side uses the loop.
		pb, err := l.Register(mustDup(t, peerB))
		require.NoError(t, err)
		defer pb.Close()
		errc := make(chan error, 1)
		go func() {
			buf := make([]byte, 64)
			for i := 0; i < 2000; i++ {
				n, err := readOnce(pb, buf)
				if err != nil {
					errc <- err
					return
				}
				if _, err := writeAll(pb, buf[:n]); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
		_ = a
		_ = peerA
		msg := []byte("ping-pong-64")
		buf := make([]byte, 64)
		for i := 0; i < 2000; i++ {
			_, err := writeAll(b, msg)
			require.NoError(t, err)
			got := 0
			for got < len(msg) {
				n, err := readOnce(b, buf[got:])
				require.NoError(t, err)
				require.NotZero(t, n, "unexpected EOF")
				got += n
			}
			require.Equal(t, msg, buf[:got])
		}
		assert.NoError(t, <-errc)
	})
}

// mustDup returns a nonblocking CLOEXEC duplicate of fd.
func mustDup(t testing.TB, fd int) int {
	nfd, err := dupNonblock(fd)
	require.NoError(t, err)
	return nfd
}

func TestWriteWakesWhenDrained(t *testing.T) {
	forEachBackend(t, func(t *testing.T, l *Loop) {
		d, peer := socketPair(t, l)
		big := make([]byte, 4<<20)
		got := make(chan error, 1)
		go func() {
			n, err := writeAll(d, big)
			if err == nil && n != len(big) {
				err = unix.EIO
			}
			got <- err
		}()
		buf := make([]byte, 64<<10)
		total := 0
		deadline := time.Now().Add(10 * time.Second)
		for total < len(big) && time.Now().Before(deadline) {
			n, err := unix.Read(peer, buf)
			if err == unix.EAGAIN {
				// The peer fd is not on the loop: wait for it with poll(2).
				_, _ = unix.Poll([]unix.PollFd{{Fd: int32(peer), Events: unix.POLLIN}}, 100)
				continue
			}
			require.NoError(t, err)
			total += n
		}
		require.Equal(t, len(big), total)
		assert.NoError(t, <-got)
	})
}

func TestPastDeadlineFailsEvenWithDataReady(t *testing.T) {
	forEachBackend(t, func(t *testing.T, l *Loop) {
		d, peer := socketPair(t, l)
		_, err := unix.Write(peer, []byte("x"))
		require.NoError(t, err)
		require.NoError(t, d.SetDeadline(time.Now().Add(-time.Second), ModeRead))
		_, err = readOnce(d, make([]byte, 1))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		// Clearing the deadline makes the data readable again.
		require.NoError(t, d.SetDeadline(time.Time{}, ModeRead))
		n, err := readOnce(d, make([]byte, 1))
		assert.NoError(t, err)
		assert.Equal(t, 1, n)
	})
}

func TestDeadlineFiresWhileBlocked(t *testing.T) {
	forEachBackend(t, func(t *testing.T, l *Loop) {
		d, _ := socketPair(t, l)
		const wait = 30 * time.Millisecond
		require.NoError(t, d.SetDeadline(time.Now().Add(wait), ModeRead))
		start := time.Now()
		_, err := readOnce(d, make([]byte, 1))
		took := time.Since(start)
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		assert.GreaterOrEqual(t, took, wait-time.Millisecond, "returned early")
	})
}

func TestDeadlineChangesWhileBlocked(t *testing.T) {
	forEachBackend(t, func(t *testing.T, l *Loop) {
		t.Run("into the past wakes", func(t *testing.T) {
			d, _ := socketPair(t, l)
			require.NoError(t, d.SetDeadline(time.Now().Add(time.Hour), ModeRead))
			got := make(chan error, 1)
			started := make(chan struct{})
			go func() {
				close(started)
				_, err := readOnce(d, make([]byte, 1))
				got <- err
			}()
			<-started
			require.NoError(t, d.SetDeadline(time.Now().Add(-time.Second), ModeRead))
			assert.ErrorIs(t, within(t, got, "past deadline did not wake the reader"), os.ErrDeadlineExceeded)
		})
		t.Run("earlier wakes", func(t *testing.T) {
			d, _ := socketPair(t, l)
			require.NoError(t, d.SetDeadline(time.Now().Add(time.Hour), ModeWrite|ModeRead))
			got := make(chan error, 1)
			go func() {
				_, err := readOnce(d, make([]byte, 1))
				got <- err
			}()
			require.NoError(t, d.SetDeadline(time.Now().Add(20*time.Millisecond), ModeRead))
			assert.ErrorIs(t, within(t, got, "earlier deadline did not wake the reader"), os.ErrDeadlineExceeded)
		})
		t.Run("later keeps waiting", func(t *testing.T) {
			d, peer := socketPair(t, l)
			require.NoError(t, d.SetDeadline(time.Now().Add(50*time.Millisecond), ModeRead))
			got := make(chan error, 1)
			go func() {
				_, err := readOnce(d, make([]byte, 1))
				got <- err
			}()
			require.NoError(t, d.SetDeadline(time.Now().Add(time.Hour), ModeRead))
			select {
			case err := <-got:
				t.Fatalf("reader returned %v after its deadline was extended", err)
			case <-time.After(300 * time.Millisecond):
			}
			_, err := unix.Write(peer, []byte("x"))
			require.NoError(t, err)
			assert.NoError(t, within(t, got, "reader not woken by data"))
		})
	})
}

func TestCloseWakesBlockedOps(t *testing.T) {
	forEachBackend(t, func(t *testing.T, l *Loop) {
		d, _ := socketPair(t, l)
		// Fill the send buffer so a writer blocks too.
		for {
			_, err := unix.Write(d.Fd(), make([]byte, 64<<10))
			if err == unix.EAGAIN {
				break
			}
			require.NoError(t, err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		started := make(chan struct{}, 4)
		for range 2 {
			wg.Add(2)
			go func() {
				defer wg.Done()
				started <- struct{}{}
				_, err := readOnce(d, make([]byte, 1))
				errs <- err
			}()
			go func() {
				defer wg.Done()
				started <- struct{}{}
				_, err := writeAll(d, make([]byte, 1))
				errs <- err
			}()
		}
		for range 4 {
			<-started
		}
		fd := d.Fd()
		require.NoError(t, d.Close())
		wg.Wait()
		close(errs)
		for err := range errs {
			assert.ErrorIs(t, err, net.ErrClosed)
		}
		// Close returned after the fd was closed; a second Close says so.
		_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		assert.ErrorIs(t, err, unix.EBADF, "fd still open after Close returned")
		assert.ErrorIs(t, d.Close(), net.ErrClosed)
		assert.ErrorIs(t, d.Incref(), net.ErrClosed)
		assert.ErrorIs(t, d.SetDeadline(time.Now(), ModeBoth), net.ErrClosed)
	})
}

func TestConcurrentDeadlineAndCloseRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, l *Loop) {
		for range 50 {
			d, peer := socketPair(t, l)
			var wg sync.WaitGroup
			errs := make(chan error, 8*20+1)
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 20 {
						switch (g + i) % 4 {
						case 0:
							_, err := readOnce(d, make([]byte, 1))
							errs <- filterExpected(err)
						case 1:
							errs <- filterExpected(d.SetDeadline(time.Now().Add(time.Duration(i)*time.Microsecond), ModeBoth))
						case 2:
							errs <- filterExpected(d.SetDeadline(time.Time{}, ModeRead))
						case 3:
							_, _ = unix.Write(peer, []byte("y")) // the peer may be full: that is fine here
						}
					}
				}()
			}
			wg.Add(1)
			go func() {
				// Close in the middle of the storm.
				defer wg.Done()
				errs <- filterExpected(d.Close())
			}()
			go func() { wg.Wait(); close(errs) }()
			for err := range errs {
				if err != nil {
					t.Errorf("unexpected error: %v", err)
				}
			}
		}
	})
}

// filterExpected keeps only errors outside the wait contract.
func filterExpected(err error) error {
	switch err {
	case nil, net.ErrClosed, os.ErrDeadlineExceeded:
		return nil
	}
	return err
}

func TestStaleTokenIsDropped(t *testing.T) {
	forEachBackend(t, func(t *testing.T, l *Loop) {
		// Pipe read ends: nothing makes them ready unless written to, so
		// no real event races with the ones delivered by hand here.
		d := pipeDesc(t, l)
		old := d.token
		require.NoError(t, d.Close())
		// The next fd very likely reuses the number; either way the old
		// token must not reach the new Desc.
		d2 := pipeDesc(t, l)
		d2.rd.drain()
		d2.wd.drain()
		ev := eventFor(old)
		l.deliver(&ev)
		assert.Zero(t, tokens(&d2.rd), "stale read event delivered")
		assert.Zero(t, tokens(&d2.wd), "stale write event delivered")
		ev = eventFor(d2.token)
		l.deliver(&ev)
		assert.Equal(t, 1, tokens(&d2.rd), "current event not delivered")
	})
}

// tokens counts the readiness tokens pending on r: in the channel, or in
// the flag before there is one.
func tokens(r *dir) int {
	n := len(r.chanOf())
	if r.pending.Load() {
		n++
	}
	return n
}

// pipeDesc registers the read end of a new pipe with l; both ends are
// closed at cleanup.
func pipeDesc(t *testing.T, l *Loop) *Desc {
	r, w, err := selector.Pipe()
	require.NoError(t, err)
	p := [2]int{r, w}
	d, err := l.Register(p[0])
	if err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		require.NoError(t, err)
	}
	t.Cleanup(func() {
		d.Close() // may already be closed by the test
		unix.Close(p[1])
	})
	return d
}

func TestZeroAllocsPerWait(t *testing.T) {
	forEachBackend(t, func(t *testing.T, l *Loop) {
		d, peer := socketPair(t, l)
		buf := make([]byte, 1)
		msg := []byte("z")
		// Warm up: the first deadline makes the timer.
		require.NoError(t, d.SetDeadline(time.Now().Add(time.Hour), ModeBoth))
		allocs := testing.AllocsPerRun(500, func() {
			if _, err := unix.Write(peer, msg); err != nil {
				t.Errorf("peer write: %v", err)
			}
			if _, err := readOnce(d, buf); err != nil {
				t.Errorf("read: %v", err)
			}
			if err := d.SetDeadline(time.Now().Add(time.Hour), ModeRead); err != nil {
				t.Errorf("SetDeadline: %v", err)
			}
		})
		assert.Zero(t, allocs, "allocations per read+wait+SetDeadline")
		allocs = testing.AllocsPerRun(500, func() {
			if err := d.SetDeadline(time.Now().Add(-time.Second), ModeRead); err != nil {
				t.Errorf("SetDeadline: %v", err)
			}
			if _, err := readOnce(d, buf); err != os.ErrDeadlineExceeded {
				t.Errorf("read past its deadline: %v", err)
			}
			if err := d.SetDeadline(time.Time{}, ModeRead); err != nil {
				t.Errorf("SetDeadline: %v", err)
			}
		})
		assert.Zero(t, allocs, "allocations per timed-out read")
	})
}

// TestTokenBeforeFirstWait covers the token's life before the direction has
// a channel: a poke is kept for the first waiter, and a poke racing the
// waiter that makes the channel is never lost (bounded stress).
func TestTokenBeforeFirstWait(t *testing.T) {
	l := newTestLoop(t, Config{Direct: -1})
	d := pipeDesc(t, l)
	d.poke(&d.wd)
	require.Nil(t, d.wd.chanOf(), "poke made a channel")
	require.NoError(t, within(t, waitIn(d, ModeWrite), "the token kept before the first wait was lost"))

	for range 500 {
		d := pipeDesc(t, l)
		woke := waitIn(d, ModeRead)
		// Pokes before, while and after the waiter makes its channel.
		var err error
		returned := false
		for i := 0; i < 1_000_000 && !returned; i++ {
			d.poke(&d.rd)
			select {
			case err = <-woke:
				returned = true
			default:
			}
		}
		if !returned {
			err = within(t, woke, "the first waiter did not return")
		}
		require.NoError(t, err)
		require.NoError(t, d.Close())
	}
}

// TestForgetWaits drops a direction's channel and timer after a timed wait,
// and a later waiter is still woken: by a poke from before it made its new
// channel, and by one after.
func TestForgetWaits(t *testing.T) {
	l := newTestLoop(t, Config{Direct: -1})
	d := pipeDesc(t, l)
	require.NoError(t, d.SetDeadline(time.Now().Add(time.Millisecond), ModeRead))
	require.NoError(t, d.ReadLock())
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		err = d.WaitRead() // nil is a spurious wakeup: wait again
	}
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	d.ReadUnlock()
	require.NotNil(t, d.rd.chanOf())
	require.NotNil(t, d.rd.timer)
	require.NoError(t, d.SetDeadline(time.Time{}, ModeRead))

	d.ForgetWaits(ModeRead)
	assert.Nil(t, d.rd.chanOf(), "channel kept")
	assert.Nil(t, d.rd.timer, "timer kept")

	wait := func() error {
		got := waitIn(d, ModeRead)
		d.poke(&d.rd)
		select {
		case err := <-got:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("waiter not woken")
		}
	}
	assert.NoError(t, wait())
	assert.NoError(t, wait())
}
