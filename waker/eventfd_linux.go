package waker

import (
	"encoding/binary"
	"os"

	"github.com/evnet/evnet/selector"
	"golang.org/x/sys/unix"
)

// NewEventfd returns the Linux waker: a nonblocking, close-on-exec eventfd
// registered Readable with s under token t. Its 64-bit counter coalesces any
// number of wakes into one readable edge. Close closes the eventfd.
func NewEventfd(s selector.Selector, t selector.Token) (Waker, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	one := make([]byte, 8) // eventfd(2) writes are 8-byte integers
	binary.NativeEndian.PutUint64(one, 1)
	return newFdWaker("eventfd", s, t, fd, fd, one)
}

// nativeBackend is the waker this OS has besides the pipe.
func nativeBackend() (backend, bool) { return backend{"eventfd", NewEventfd}, true }
