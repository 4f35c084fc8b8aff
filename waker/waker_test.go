//go:build unix

package waker

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/evnet/evnet/selector"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// bound is how long a test waits for something that should happen at once.
const bound = 10 * time.Second

// tok has bits set in both halves, to check that the token round-trips.
const tok selector.Token = 0xfeed_0001_0000_0003

// forEachPair runs f in a subtest for every waker backend on every selector
// backend that supports it, with a fresh selector and waker (registered
// under tok), both closed at cleanup.
func forEachPair(t *testing.T, f func(t *testing.T, s selector.Selector, w Waker)) {
	t.Helper()
	for _, wname := range Backends() {
		for _, sname := range selector.Backends() {
			t.Run(wname+"/"+sname, func(t *testing.T) {
				s := newSelector(t, sname)
				w, err := NewByName(wname, s, tok)
				if _, ok := s.(selector.UserEventer); wname == "user" && !ok {
					assert.Error(t, err, "the user waker needs a kqueue selector")
					return
				}
				require.NoError(t, err)
				require.Equal(t, wname, w.Name())
				t.Cleanup(func() {
					if err := w.Close(); !errors.Is(err, ErrClosed) {
						assert.NoError(t, err)
					}
				})
				f(t, s, w)
			})
		}
	}
}

// newSelector returns the named selector, closed at cleanup.
func newSelector(t *testing.T, name string) selector.Selector {
	t.Helper()
	s, err := selector.NewByName(name)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

// selectWithin calls Select with a bounded timeout and returns the events.
func selectWithin(t *testing.T, s selector.Selector, timeout time.Duration) []selector.Event {
	t.Helper()
	evs := make([]selector.Event, 8)
	n, err := s.Select(evs, timeout)
	require.NoError(t, err)
	return evs[:n]
}

// requireWake checks that evs is exactly one event with the waker's token.
func requireWake(t *testing.T, evs []selector.Event) {
	t.Helper()
	require.Len(t, evs, 1)
	assert.Equal(t, tok, evs[0].Token)
	assert.True(t, evs[0].Readable)
}

func TestWakeOnce(t *testing.T) {
	forEachPair(t, func(t *testing.T, s selector.Selector, w Waker) {
		assert.Empty(t, selectWithin(t, s, 0), "not woken yet")
		require.NoError(t, w.Wake())
		requireWake(t, selectWithin(t, s, bound))
		require.NoError(t, w.Reset())
		assert.Empty(t, selectWithin(t, s, 0), "reset")
	})
}

func TestManyWakesCoalesce(t *testing.T) {
	forEachPair(t, func(t *testing.T, s selector.Selector, w Waker) {
		for range 1000 {
			require.NoError(t, w.Wake())
		}
		requireWake(t, selectWithin(t, s, bound))
		assert.Empty(t, selectWithin(t, s, 0), "one event for many wakes")
		require.NoError(t, w.Reset())
		assert.Empty(t, selectWithin(t, s, 0), "reset consumed them all")

		require.NoError(t, w.Wake())
		requireWake(t, selectWithin(t, s, bound))
		require.NoError(t, w.Reset())
	})
}

func TestWakeFromOtherGoroutine(t *testing.T) {
	forEachPair(t, func(t *testing.T, s selector.Selector, w Waker) {
		// If the wake is lost, the watchdog ends the Select and the
		// elapsed-time check fails.
		dog := time.AfterFunc(bound, func() {
			w.Wake() // best effort; the test fails on time anyway
		})
		defer dog.Stop()
		errc := make(chan error, 1)
		go func() { errc <- w.Wake() }()
		start := time.Now()
		evs := selectWithin(t, s, -1)
		require.NoError(t, <-errc)
		requireWake(t, evs)
		assert.Less(t, time.Since(start), bound)
		require.NoError(t, w.Reset())
		assert.Empty(t, selectWithin(t, s, 0), "no further events")
	})
}

func TestConcurrentWakes(t *testing.T) {
	forEachPair(t, func(t *testing.T, s selector.Selector, w Waker) {
		var wg sync.WaitGroup
		errs := make(chan error, 4*100)
		for range 4 {
			wg.Go(func() {
				for range 100 {
					errs <- w.Wake()
				}
			})
		}
		requireWake(t, selectWithin(t, s, bound))
		wg.Wait()
		close(errs)
		for err := range errs {
			assert.NoError(t, err)
		}
		require.NoError(t, w.Reset())
		assert.Empty(t, selectWithin(t, s, 0))
	})
}

func TestClose(t *testing.T) {
	forEachPair(t, func(t *testing.T, s selector.Selector, w Waker) {
		require.NoError(t, w.Wake())
		require.NoError(t, w.Close())
		assert.Empty(t, selectWithin(t, s, 0), "deregistered by Close")
		assert.ErrorIs(t, w.Wake(), ErrClosed)
		assert.ErrorIs(t, w.Reset(), ErrClosed)
		assert.ErrorIs(t, w.Close(), ErrClosed)
	})
}

func TestFdFlags(t *testing.T) {
	forEachPair(t, func(t *testing.T, s selector.Selector, w Waker) {
		fw, ok := w.(*fdWaker)
		if !ok {
			return // EVFILT_USER has no fd of its own
		}
		for _, fd := range []int{fw.r, fw.w} {
			fdfl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
			require.NoError(t, err)
			assert.NotZero(t, fdfl&unix.FD_CLOEXEC, "fd %d is not close-on-exec", fd)
			fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
			require.NoError(t, err)
			assert.NotZero(t, fl&unix.O_NONBLOCK, "fd %d is blocking", fd)
		}
	})
}

func TestNoFdLeak(t *testing.T) {
	forEachPair(t, func(t *testing.T, s selector.Selector, w Waker) {
		name := w.Name()
		require.NoError(t, w.Close())
		before := openFds(t)
		for range 2000 {
			w, err := NewByName(name, s, tok)
			require.NoError(t, err)
			require.NoError(t, w.Close())
		}
		assert.Equal(t, before, openFds(t))
	})
}

// openFds counts this process's open fds, or skips the test where /proc is
// missing.
func openFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count fds: %v", err)
	}
	return len(ents)
}

func TestParseEnv(t *testing.T) {
	s := newSelector(t, "")
	for _, tc := range []struct {
		name, value, want, err string
	}{
		{name: "empty", value: "", want: defaultName(t, s)},
		{name: "pipe", value: "pipe", want: "pipe"},
		{name: "native", value: Backends()[0], want: Backends()[0]},
		{name: "unknown", value: "foo", err: `waker: EVNET_WAKER="foo": unknown waker (want eventfd, user or pipe)`},
		{name: "unavailable", value: unavailable(), err: `waker: EVNET_WAKER="` + unavailable() + `": ` + unavailable() + ` is not available on ` + runtime.GOOS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseEnv(tc.value)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			w, err := f(s, tok)
			if _, ok := s.(selector.UserEventer); tc.want == "user" && !ok {
				assert.Error(t, err, "user on a poll selector (EVNET_SELECTOR=poll)")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, w.Name())
			assert.NoError(t, w.Close())
		})
	}
	_, err := NewByName("foo", s, tok)
	assert.EqualError(t, err, `waker: "foo": unknown waker (want eventfd, user or pipe)`)
	w, err := New(s, tok) // whatever EVNET_WAKER says, it must build
	require.NoError(t, err)
	assert.NoError(t, w.Close())
}

// defaultName is the waker New builds on s without EVNET_WAKER.
func defaultName(t *testing.T, s selector.Selector) string {
	w, err := newDefault(s, tok)
	require.NoError(t, err)
	defer w.Close() // only its name matters here
	return w.Name()
}

// unavailable names a waker that is not compiled for this OS.
func unavailable() string {
	if Backends()[0] == "eventfd" {
		return "user"
	}
	return "eventfd"
}
