package waker

import (
	"encoding/binary"
	"os"

	"github.com/evnet/evnet/selector"
	"golang.org/x/sys/unix"
)

// eventfd is the Linux waker: a nonblocking, CLOEXEC eventfd registered
// readable with the selector. Its 64-bit counter coalesces any number of
// wakes into one readable edge.
type eventfd struct {
	fd  int
	sel selector.Selector
}

// NewEventfd returns an eventfd waker registered with s under token t.
func NewEventfd(s selector.Selector, t selector.Token) (Waker, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	if err := s.Register(fd, t, selector.Readable); err != nil {
		unix.Close(fd) // the register error is the one worth reporting
		return nil, err
	}
	return &eventfd{fd: fd, sel: s}, nil
}

func (w *eventfd) Name() string { return "eventfd" }

func (w *eventfd) Wake() error {
	var one = [8]byte{}
	binary.NativeEndian.PutUint64(one[:], 1)
	for {
		_, err := unix.Write(w.fd, one[:])
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			// The counter is at its maximum (eventfd(2)): reset it and
			// write again, so that the wake is not lost.
			if err := w.Reset(); err != nil {
				return err
			}
			continue
		default:
			return os.NewSyscallError("write", err)
		}
	}
}

func (w *eventfd) Reset() error {
	var buf [8]byte
	for {
		_, err := unix.Read(w.fd, buf[:])
		switch err {
		case nil, unix.EAGAIN:
			// EAGAIN: the counter was already zero, nothing to reset.
			return w.rearm()
		case unix.EINTR:
			continue
		default:
			return os.NewSyscallError("read", err)
		}
	}
}

// rearm re-arms the read interest on selectors that emulate edges (poll).
func (w *eventfd) rearm() error {
	if r, ok := w.sel.(selector.Rearmer); ok {
		return r.Rearm(w.fd, selector.Readable)
	}
	return nil
}

func (w *eventfd) Close() error {
	derr := w.sel.Deregister(w.fd)
	if err := unix.Close(w.fd); err != nil {
		return os.NewSyscallError("close", err)
	}
	return derr
}
