//go:build unix

package waker

import (
	"os"

	"github.com/evnet/evnet/selector"
	"golang.org/x/sys/unix"
)

// fdWaker is a waker made of fds: a read end registered Readable with the
// selector and a write end (the same fd for an eventfd). Wake writes msg to
// the write end; Reset reads the read end dry and re-arms it.
type fdWaker struct {
	guard
	name string
	sel  selector.Selector
	r, w int
	msg  []byte
}

// newFdWaker registers r with s under token t and returns the waker. On
// error it closes r and w.
func newFdWaker(name string, s selector.Selector, t selector.Token, r, w int, msg []byte) (Waker, error) {
	if err := s.Register(r, t, selector.Readable); err != nil {
		_ = closeFds(r, w) // the register error is the one worth reporting
		return nil, err
	}
	return &fdWaker{name: name, sel: s, r: r, w: w, msg: msg}, nil
}

func (w *fdWaker) Name() string { return w.name }

func (w *fdWaker) Wake() error {
	if !w.enter() {
		return ErrClosed
	}
	defer w.exit()
	for {
		_, err := unix.Write(w.w, w.msg)
		switch err {
		case nil, unix.EAGAIN:
			// EAGAIN: the pipe is full or the eventfd counter at its maximum
			// (pipe(7), eventfd(2)); either way the read end is readable, so
			// a wake is already pending.
			return nil
		case unix.EINTR:
			continue // interrupted by a signal before writing; write again
		default:
			return os.NewSyscallError("write", err)
		}
	}
}

func (w *fdWaker) Reset() error {
	if !w.enter() {
		return ErrClosed
	}
	defer w.exit()
	var buf [64]byte // an eventfd read needs at least 8 bytes
	for {
		n, err := unix.Read(w.r, buf[:])
		switch {
		case err == unix.EAGAIN, err == nil && n == 0:
			// Empty (a pipe's EOF cannot happen while w holds the write end).
			return w.rearm()
		case err == nil, err == unix.EINTR:
			continue // more may be left; a signal interrupted the read
		default:
			return os.NewSyscallError("read", err)
		}
	}
}

// rearm re-arms the read interest on selectors that emulate edges (poll).
func (w *fdWaker) rearm() error {
	if r, ok := w.sel.(selector.Rearmer); ok {
		return r.Rearm(w.r, selector.Readable)
	}
	return nil
}

func (w *fdWaker) Close() error {
	if !w.close() {
		return ErrClosed
	}
	derr := w.sel.Deregister(w.r)
	if err := closeFds(w.r, w.w); err != nil {
		return err
	}
	return derr
}

// closeFds closes r, and w if it is another fd, and returns the first error.
func closeFds(r, w int) error {
	var werr error
	if w != r {
		werr = unix.Close(w)
	}
	if err := unix.Close(r); err != nil {
		return os.NewSyscallError("close", err)
	}
	if werr != nil {
		return os.NewSyscallError("close", werr)
	}
	return nil
}
