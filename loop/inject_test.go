//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package loop

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"golang.org/x/sys/unix"
)

// TestInjectCloseEINTR is RELIABILITY.md A14's close row: close(2) failing
// with EINTR is not retried (on Linux the fd is gone, and a second close
// could hit a reused number), and Close reports the error itself, unwrapped,
// as internal/poll's destroy returns it (net's conn.Close puts it straight
// into its *net.OpError).
func TestInjectCloseEINTR(t *testing.T) {
	forEachBackend(t, func(t *testing.T, l *Loop) {
		d, _ := socketPair(t, l)
		fd := d.Fd()
		var mu sync.Mutex
		var closed []int
		old := closeFunc
		closeFunc = func(n int) error {
			mu.Lock()
			closed = append(closed, n)
			mu.Unlock()
			unix.Close(n) // the kernel has closed it when close returns EINTR
			return unix.EINTR
		}
		err := d.Close()
		closeFunc = old
		assert.Equal(t, unix.EINTR, err, "Close's error")
		assert.Equal(t, []int{fd}, closed, "close calls")
	})
}
