//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package loop

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/evnet/evnet/selector"
	"github.com/evnet/evnet/waker"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// backend is one selector × waker × run-mode combination.
type backend struct {
	name string
	cfg  Config
}

// backends lists every combination compiled for this GOOS: each selector with
// each waker it supports, parked and blocking where the selector is pollable.
func backends(t testing.TB) []backend {
	var out []backend
	for _, sn := range selector.Backends() {
		for _, wn := range waker.Backends() {
			probe, err := selector.NewByName(sn)
			require.NoError(t, err)
			w, werr := waker.NewByName(wn, probe, wakerToken)
			_, pollable := probe.(selector.Pollable)
			if werr == nil {
				require.NoError(t, w.Close())
			}
			require.NoError(t, probe.Close())
			if werr != nil {
				continue // this waker does not work with this selector (kqueue user + poll)
			}
			cfg := Config{
				Selector: func() (selector.Selector, error) { return selector.NewByName(sn) },
				Waker: func(s selector.Selector, tk selector.Token) (waker.Waker, error) {
					return waker.NewByName(wn, s, tk)
				},
			}
			if pollable {
				out = append(out, backend{sn + "+" + wn + "/adaptive", cfg})
				pk := cfg
				pk.Run = RunParked
				out = append(out, backend{sn + "+" + wn + "/parked", pk})
				if defaultDirect > 0 {
					// Readers on their channel, as when all slots are taken.
					nd := cfg
					nd.Direct = -1
					out = append(out, backend{sn + "+" + wn + "/parked-nodirect", nd})
				}
				// Changing mode on every wake: readers give back their
				// slots and take them again all the time.
				fl := cfg
				fl.flap = true
				out = append(out, backend{sn + "+" + wn + "/adaptive-flapping", fl})
				cfg.Run = RunBlocking
				out = append(out, backend{sn + "+" + wn + "/blocking", cfg})
			} else {
				out = append(out, backend{sn + "+" + wn, cfg})
			}
		}
	}
	return out
}

// forEachBackend runs f as a subtest on a fresh loop of every backend.
func forEachBackend(t *testing.T, f func(t *testing.T, l *Loop)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			l := newTestLoop(t, b.cfg)
			f(t, l)
		})
	}
}

func newTestLoop(t testing.TB, cfg Config) *Loop {
	l, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("loop Close: %v", err)
		}
	})
	return l
}

// socketPair returns a nonblocking CLOEXEC stream pair; a is registered with
// l, b is a plain fd closed at cleanup.
func socketPair(t testing.TB, l *Loop) (*Desc, int) {
	fds, err := streamPair()
	require.NoError(t, err)
	d := mustRegister(t, l, fds[0], fds[1])
	t.Cleanup(func() {
		d.Close() // may already be closed by the test
		unix.Close(fds[1])
	})
	return d, fds[1]
}

// registeredPair returns a stream socket pair with both ends registered with
// l, closed at cleanup.
func registeredPair(t testing.TB, l *Loop) (*Desc, *Desc) {
	fds, err := streamPair()
	require.NoError(t, err)
	d := mustRegister(t, l, fds[0], fds[1])
	t.Cleanup(func() { d.Close() })
	e := mustRegister(t, l, fds[1])
	t.Cleanup(func() { e.Close() })
	return d, e
}

// mustRegister registers fd with l; on failure it closes fd and the fds in
// also (they would be left without an owner) and fails t.
func mustRegister(t testing.TB, l *Loop, fd int, also ...int) *Desc {
	d, err := l.Register(fd)
	if err != nil {
		unix.Close(fd)
		for _, o := range also {
			unix.Close(o)
		}
		require.NoError(t, err)
	}
	return d
}

// readOnce reads through d the way a conn does: try, wait on EAGAIN, retry.
func readOnce(d *Desc, buf []byte) (int, error) {
	if err := d.ReadLock(); err != nil {
		return 0, err
	}
	defer d.ReadUnlock()
	if err := d.PrepareRead(); err != nil {
		return 0, err
	}
	for {
		n, err := unix.Read(d.Fd(), buf)
		if err == unix.EAGAIN {
			if err := d.WaitRead(); err != nil {
				return 0, err
			}
			continue
		}
		return n, err
	}
}

// writeAll writes through d until buf is written, waiting on EAGAIN.
func writeAll(d *Desc, buf []byte) (int, error) {
	if err := d.WriteLock(); err != nil {
		return 0, err
	}
	defer d.WriteUnlock()
	if err := d.PrepareWrite(); err != nil {
		return 0, err
	}
	done := 0
	for done < len(buf) {
		n, err := unix.Write(d.Fd(), buf[done:])
		if n > 0 {
			done += n
		}
		if err == unix.EAGAIN {
			if err := d.WaitWrite(); err != nil {
				return done, err
			}
			continue
		}
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// socketFds counts the sockets, pipes, eventfds and epoll fds of the process.
func socketFds(t testing.TB) int {
	return countFds(t, "socket:", "pipe:", "eventfd", "eventpoll")
}

// countFds counts the fds of the process whose link target contains one of
// kinds.
func countFds(t testing.TB, kinds ...string) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	n := 0
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the directory's own fd, closed by now
		}
		for _, k := range kinds {
			if strings.Contains(target, k) {
				n++
				break
			}
		}
	}
	return n
}

// streamPair returns a nonblocking, close-on-exec unix stream socketpair,
// portably (darwin has no SOCK_NONBLOCK): fork/exec does not run in tests.
func streamPair() ([2]int, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return fds, err
	}
	for _, fd := range fds {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(fds[0])
			unix.Close(fds[1])
			return fds, err
		}
	}
	return fds, nil
}

// within returns what got delivers, and fails t with what (a lost wake-up)
// if nothing comes within 10 s.
func within[T any](t testing.TB, got <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-got:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal(what)
		panic("unreachable")
	}
}

// waitIn starts a goroutine that takes d's lock of the direction mode
// (ModeRead or ModeWrite) and waits once in it; the result arrives on the
// returned channel.
func waitIn(d *Desc, mode Mode) <-chan error {
	lock, unlock, wait := d.ReadLock, d.ReadUnlock, d.WaitRead
	if mode == ModeWrite {
		lock, unlock, wait = d.WriteLock, d.WriteUnlock, d.WaitWrite
	}
	got := make(chan error, 1)
	go func() {
		if err := lock(); err != nil {
			got <- err
			return
		}
		defer unlock()
		got <- wait()
	}()
	return got
}
