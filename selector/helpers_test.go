//go:build unix

package selector

import (
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// bound is how long a test waits for something that should happen at once.
const bound = 10 * time.Second

// forEachBackend runs f in a subtest for each selector compiled here, with
// a fresh selector closed at cleanup.
func forEachBackend(t *testing.T, f func(t *testing.T, s Selector)) {
	t.Helper()
	for _, name := range Backends() {
		t.Run(name, func(t *testing.T) {
			s, err := NewByName(name)
			require.NoError(t, err)
			require.Equal(t, name, s.Name())
			t.Cleanup(func() {
				if err := s.Close(); !errors.Is(err, ErrClosed) {
					assert.NoError(t, err)
				}
			})
			f(t, s)
		})
	}
}

// socketPair returns a connected pair of nonblocking unix stream sockets,
// closed at cleanup.
func socketPair(t *testing.T) (a, b int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	require.NoError(t, err)
	for _, fd := range fds {
		require.NoError(t, unix.SetNonblock(fd, true))
		t.Cleanup(func() { unix.Close(fd) }) // a test may have closed it already
	}
	return fds[0], fds[1]
}

// write writes one byte to fd.
func write(t *testing.T, fd int) {
	t.Helper()
	_, err := unix.Write(fd, []byte{'x'})
	require.NoError(t, err)
}

// selectWithin calls Select with a bounded timeout and returns the events.
func selectWithin(t *testing.T, s Selector, timeout time.Duration) []Event {
	t.Helper()
	evs := make([]Event, 16)
	n, err := s.Select(evs, timeout)
	require.NoError(t, err)
	return evs[:n]
}

// rearm re-arms i on selectors that emulate edges.
func rearm(t *testing.T, s Selector, fd int, i Interest) {
	t.Helper()
	if r, ok := s.(Rearmer); ok {
		require.NoError(t, r.Rearm(fd, i))
	}
}

// blocked reports whether a Select of s is in its wait, where the selector
// exposes that (poll); elsewhere it reports true, and the tests hold either
// way, only with less certainty that the Select was already blocked.
func blocked(s Selector) bool {
	p, ok := s.(*pollSel)
	if !ok {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.polling
}

// watchdogToken marks the event of selectBlocked's watchdog.
const watchdogToken Token = 1<<64 - 1

// selectBlocked calls s.Select(evs, -1) in the test goroutine, and runs
// trigger in another one once that Select is blocked. A watchdog makes the
// Select return after bound if trigger does not, and the test fails then.
func selectBlocked(t *testing.T, s Selector, trigger func() error) []Event {
	t.Helper()
	wa, wb := socketPair(t)
	require.NoError(t, s.Register(wa, watchdogToken, Readable))
	dog := time.AfterFunc(bound, func() {
		unix.Write(wb, []byte{'!'}) // if this fails too, the test timeout catches it
	})
	defer dog.Stop()
	errc := make(chan error, 1)
	go func() {
		for !blocked(s) {
			runtime.Gosched()
		}
		errc <- trigger()
	}()
	evs := selectWithin(t, s, -1)
	require.NoError(t, <-errc)
	for _, ev := range evs {
		require.NotEqual(t, watchdogToken, ev.Token, "Select did not return before the watchdog")
	}
	require.NoError(t, s.Deregister(wa))
	return evs
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

// assertCloexecNonblock checks the fd flags that every fd we create must have.
func assertCloexecNonblock(t *testing.T, fd int, nonblock bool) {
	t.Helper()
	fdfl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.NoError(t, err)
	assert.NotZero(t, fdfl&unix.FD_CLOEXEC, "fd %d is not close-on-exec", fd)
	if nonblock {
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		require.NoError(t, err)
		assert.NotZero(t, fl&unix.O_NONBLOCK, "fd %d is blocking", fd)
	}
}
