//go:build unix

package selector

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// highToken has bits set in both halves, so that a selector that stores
// only 32 bits of it (epoll's data, kqueue's ident) is caught.
const highToken Token = 0xdead_beef_0000_0007

func TestBackends(t *testing.T) {
	want := map[string][]string{
		"linux":     {"epoll", "poll"},
		"android":   {"epoll", "poll"},
		"darwin":    {"kqueue", "poll"},
		"ios":       {"kqueue", "poll"},
		"dragonfly": {"kqueue", "poll"},
		"freebsd":   {"kqueue", "poll"},
		"netbsd":    {"kqueue", "poll"},
		"openbsd":   {"kqueue", "poll"},
	}[runtime.GOOS]
	if want == nil {
		want = []string{"poll"}
	}
	assert.Equal(t, want, Backends())
}

func TestRegistration(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s Selector) {
		a, _ := socketPair(t)
		other, _ := socketPair(t)
		require.NoError(t, s.Register(a, 1, Readable))
		assert.ErrorIs(t, s.Register(a, 1, Readable), unix.EEXIST)
		assert.NoError(t, s.Reregister(a, 2, Readable|Writable))
		assert.ErrorIs(t, s.Reregister(other, 3, Readable), unix.ENOENT)
		assert.NoError(t, s.Deregister(a))
		assert.ErrorIs(t, s.Deregister(a), unix.ENOENT)
		assert.NoError(t, s.Register(a, 4, Writable), "register again after deregister")
	})
}

func TestReadableToken(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s Selector) {
		a, b := socketPair(t)
		require.NoError(t, s.Register(a, highToken, Readable))
		assert.Empty(t, selectWithin(t, s, 0), "nothing written yet")
		write(t, b)
		evs := selectWithin(t, s, bound)
		require.Len(t, evs, 1)
		assert.Equal(t, highToken, evs[0].Token)
		assert.True(t, evs[0].Readable)
		assert.False(t, evs[0].ReadClosed)
		assert.False(t, evs[0].Error)
	})
}

func TestWritableFresh(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s Selector) {
		a, _ := socketPair(t)
		require.NoError(t, s.Register(a, highToken, Writable))
		evs := selectWithin(t, s, bound)
		require.Len(t, evs, 1)
		assert.Equal(t, highToken, evs[0].Token)
		assert.True(t, evs[0].Writable)
		assert.False(t, evs[0].Readable)
	})
}

func TestReregisterChangesTokenAndInterest(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s Selector) {
		a, b := socketPair(t)
		require.NoError(t, s.Register(a, 1, Writable))
		require.NoError(t, s.Reregister(a, 2, Readable))
		write(t, b)
		evs := selectWithin(t, s, bound)
		require.Len(t, evs, 1)
		assert.Equal(t, Token(2), evs[0].Token)
		assert.True(t, evs[0].Readable)
		assert.False(t, evs[0].Writable, "write interest was dropped")
	})
}

func TestEdges(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s Selector) {
		a, b := socketPair(t)
		require.NoError(t, s.Register(a, 1, Readable))
		write(t, b)
		write(t, b)
		require.Len(t, selectWithin(t, s, bound), 1, "two writes, one edge")
		assert.Empty(t, selectWithin(t, s, 0), "no new edge while still readable")

		if _, ok := s.(Rearmer); ok {
			// poll: the interest stays dropped until Rearm, and comes back
			// (level-triggered) while the data is still unread.
			assert.Empty(t, selectWithin(t, s, 0))
			rearm(t, s, a, Readable)
			assert.Len(t, selectWithin(t, s, bound), 1, "rearmed while readable")
			assert.Empty(t, selectWithin(t, s, 0))
			return
		}
		write(t, b)
		assert.Len(t, selectWithin(t, s, bound), 1, "a new write is a new edge")
		assert.Empty(t, selectWithin(t, s, 0))
	})
}

func TestPeerShutdown(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s Selector) {
		a, b := socketPair(t)
		require.NoError(t, s.Register(a, 1, Readable))
		require.NoError(t, unix.Shutdown(b, unix.SHUT_WR))
		evs := selectWithin(t, s, bound)
		require.Len(t, evs, 1)
		assert.True(t, evs[0].Readable)
		if s.Name() != "poll" || runtime.GOOS == "linux" {
			// poll(2) reports a half close only where POLLRDHUP exists.
			assert.True(t, evs[0].ReadClosed)
		}
	})
}

func TestPeerClose(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s Selector) {
		a, b := socketPair(t)
		require.NoError(t, s.Register(a, 1, Readable|Writable))
		require.Len(t, selectWithin(t, s, bound), 1, "writable at once")
		rearm(t, s, a, Readable|Writable)
		require.NoError(t, unix.Close(b))
		var rd, rdClosed bool
		for _, ev := range selectWithin(t, s, bound) {
			rd = rd || ev.Readable
			rdClosed = rdClosed || ev.ReadClosed
		}
		assert.True(t, rd)
		assert.True(t, rdClosed)
	})
}

func TestNoEventsAfterDeregister(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s Selector) {
		a, b := socketPair(t)
		c, d := socketPair(t)
		require.NoError(t, s.Register(a, 1, Readable))
		require.NoError(t, s.Register(c, 2, Readable))
		write(t, b)
		write(t, d)
		require.NoError(t, s.Deregister(a))
		require.NoError(t, s.Deregister(c))
		require.NoError(t, unix.Close(c))
		assert.Empty(t, selectWithin(t, s, 0))
		write(t, b)
		assert.Empty(t, selectWithin(t, s, time.Millisecond))
	})
}

func TestFewerSlotsThanEvents(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s Selector) {
		for k := range 3 {
			a, b := socketPair(t)
			require.NoError(t, s.Register(a, Token(k), Readable))
			write(t, b)
		}
		evs := make([]Event, 2)
		n, err := s.Select(evs, bound)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		seen := map[Token]bool{evs[0].Token: true, evs[1].Token: true}
		n, err = s.Select(evs, bound)
		require.NoError(t, err)
		require.Equal(t, 1, n, "the third event is kept for the next Select")
		assert.False(t, seen[evs[0].Token])
		n, err = s.Select(nil, -1)
		assert.NoError(t, err)
		assert.Zero(t, n, "no room, no wait")
	})
}

func TestSelectTimeouts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s Selector) {
		a, b := socketPair(t)
		require.NoError(t, s.Register(a, 1, Readable))

		start := time.Now()
		assert.Empty(t, selectWithin(t, s, 0))
		assert.Less(t, time.Since(start), bound, "timeout 0 polls")

		start = time.Now()
		assert.Empty(t, selectWithin(t, s, 100*time.Microsecond))
		elapsed := time.Since(start)
		assert.GreaterOrEqual(t, elapsed, time.Millisecond, "sub-millisecond rounds up")
		assert.Less(t, elapsed, bound)

		evs := selectBlocked(t, s, func() error {
			_, err := unix.Write(b, []byte{'x'})
			return err
		})
		require.Len(t, evs, 1, "a negative timeout blocks until the event")
		assert.Equal(t, Token(1), evs[0].Token)
	})
}

func TestChangesWhileBlocked(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s Selector) {
		a, b := socketPair(t)
		idle, _ := socketPair(t)
		require.NoError(t, s.Register(idle, 9, Readable))
		write(t, b) // a is readable before it is registered

		evs := selectBlocked(t, s, func() error { return s.Register(a, highToken, Readable) })
		require.Len(t, evs, 1, "a Register interrupts a blocked Select")
		assert.Equal(t, highToken, evs[0].Token)

		write(t, b)
		evs = selectBlocked(t, s, func() error {
			if err := s.Deregister(idle); err != nil {
				return err
			}
			if r, ok := s.(Rearmer); ok {
				return r.Rearm(a, Readable)
			}
			return nil
		})
		require.Len(t, evs, 1, "a Deregister leaves the Select blocked; Rearm ends it")
		assert.Equal(t, highToken, evs[0].Token)

		c, d := socketPair(t)
		require.NoError(t, s.Register(c, 5, Writable))
		require.Len(t, selectWithin(t, s, bound), 1)
		write(t, d)
		evs = selectBlocked(t, s, func() error { return s.Reregister(c, 6, Readable) })
		require.Len(t, evs, 1, "a Reregister interrupts a blocked Select")
		assert.Equal(t, Token(6), evs[0].Token)
		assert.True(t, evs[0].Readable)
	})
}

func TestClosed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s Selector) {
		a, _ := socketPair(t)
		require.NoError(t, s.Register(a, 1, Readable))
		require.NoError(t, s.Close())
		assert.ErrorIs(t, s.Close(), ErrClosed)
		assert.ErrorIs(t, s.Register(a, 1, Readable), ErrClosed)
		assert.ErrorIs(t, s.Reregister(a, 1, Readable), ErrClosed)
		assert.ErrorIs(t, s.Deregister(a), ErrClosed)
		_, err := s.Select(make([]Event, 1), 0)
		assert.ErrorIs(t, err, ErrClosed)
		if r, ok := s.(Rearmer); ok {
			assert.ErrorIs(t, r.Rearm(a, Readable), ErrClosed)
		}
	})
}

func TestFdsAreCloexec(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s Selector) {
		switch s := s.(type) {
		case Pollable:
			assertCloexecNonblock(t, s.PollFd(), false)
		case *pollSel:
			assertCloexecNonblock(t, s.rfd, true)
			assertCloexecNonblock(t, s.wfd, true)
		}
	})
	r, w, err := Pipe()
	require.NoError(t, err)
	assertCloexecNonblock(t, r, true)
	assertCloexecNonblock(t, w, true)
	assert.NoError(t, unix.Close(r))
	assert.NoError(t, unix.Close(w))
}

func TestNoFdLeak(t *testing.T) {
	for _, name := range Backends() {
		t.Run(name, func(t *testing.T) {
			before := openFds(t)
			for range 2000 {
				s, err := NewByName(name)
				require.NoError(t, err)
				require.NoError(t, s.Close())
			}
			assert.Equal(t, before, openFds(t))
		})
	}
}

func TestParseEnv(t *testing.T) {
	for _, tc := range []struct {
		name, value, want, err string
	}{
		{name: "empty", value: "", want: defaultName()},
		{name: "poll", value: "poll", want: "poll"},
		{name: "native", value: Backends()[0], want: Backends()[0]},
		{name: "unknown", value: "foo", err: `selector: EVNET_SELECTOR="foo": unknown selector (want epoll, kqueue or poll)`},
		{name: "case", value: "EPOLL", err: `selector: EVNET_SELECTOR="EPOLL": unknown selector (want epoll, kqueue or poll)`},
		{name: "unavailable", value: unavailable(), err: `selector: EVNET_SELECTOR="` + unavailable() + `": ` + unavailable() + ` is not available on ` + runtime.GOOS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseEnv(tc.value)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			s, err := f()
			require.NoError(t, err)
			assert.Equal(t, tc.want, s.Name())
			assert.NoError(t, s.Close())
		})
	}
	_, err := NewByName("foo")
	assert.EqualError(t, err, `selector: "foo": unknown selector (want epoll, kqueue or poll)`)
	s, err := New() // whatever EVNET_SELECTOR says, it must build
	require.NoError(t, err)
	assert.NoError(t, s.Close())
}

// defaultName is the selector New builds without EVNET_SELECTOR.
func defaultName() string {
	s, err := newDefault()
	if err != nil {
		return err.Error()
	}
	defer s.Close() // only its name matters here
	return s.Name()
}

// unavailable names a mechanism that is not compiled for this OS.
func unavailable() string {
	if Backends()[0] == "epoll" {
		return "kqueue"
	}
	return "epoll"
}

func TestPollClosedWithoutDeregister(t *testing.T) {
	s, err := NewPoll()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	a, _ := socketPair(t)
	require.NoError(t, s.Register(a, 1, Readable|Writable))
	require.NoError(t, unix.Close(a))
	evs := selectWithin(t, s, bound)
	require.Len(t, evs, 1, "POLLNVAL is reported once")
	assert.True(t, evs[0].Error)
	assert.Empty(t, selectWithin(t, s, 0), "then the fd is no longer polled")
	assert.NoError(t, s.Deregister(a))
}
