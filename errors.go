//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// errMissingAddress is net's "missing address" error, for an empty address.
var errMissingAddress = errors.New("missing address")

// ctxErrors are net's own values for a cancelled and a timed-out dial: net
// returns its unexported *net.timeoutError ("i/o timeout", Is
// context.DeadlineExceeded) and net.canceledError ("operation was canceled",
// Is context.Canceled). evnet returns the very same values so that Error(),
// %T, errors.Is and Timeout() agree with net. They are taken once from net's
// Dialer given contexts that are already done: net checks the context before
// it creates a socket, so nothing is sent.
var ctxErrors = sync.OnceValues(func() (canceled, timeout error) {
	var d net.Dialer
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	canceled = netCtxErr(d.DialContext(ctx, "tcp", "127.0.0.1:9"))
	if canceled == nil {
		canceled = errCanceledLookalike{}
	}
	ctx, cancel = context.WithDeadline(context.Background(), time.Unix(1, 0))
	defer cancel()
	timeout = netCtxErr(d.DialContext(ctx, "tcp", "127.0.0.1:9"))
	if timeout == nil {
		timeout = errTimeoutLookalike{}
	}
	return canceled, timeout
})

func netCtxErr(c net.Conn, err error) error {
	if c != nil {
		c.Close() // cannot happen with a done context; do not leak if it does
		return nil
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err
	}
	return nil
}

// errCanceledLookalike and errTimeoutLookalike stand in for net's values if
// they could not be obtained.
type errCanceledLookalike struct{}

func (errCanceledLookalike) Error() string     { return "operation was canceled" }
func (errCanceledLookalike) Is(err error) bool { return err == context.Canceled }
func (errTimeoutLookalike) Error() string      { return "i/o timeout" }
func (errTimeoutLookalike) Timeout() bool      { return true }
func (errTimeoutLookalike) Temporary() bool    { return true }
func (errTimeoutLookalike) Is(err error) bool  { return err == context.DeadlineExceeded }

type errTimeoutLookalike struct{}

// mapErr turns a context error into net's error for it, as net's mapErr.
func mapErr(err error) error {
	canceled, timeout := ctxErrors()
	switch err {
	case context.Canceled:
		return canceled
	case context.DeadlineExceeded:
		return timeout
	}
	return err
}

// wrapSyscallError wraps an Errno in *os.SyscallError naming the syscall;
// other errors pass through.
func wrapSyscallError(name string, err error) error {
	if _, ok := err.(syscall.Errno); ok {
		return os.NewSyscallError(name, err)
	}
	return err
}

// opError builds the *net.OpError of a failed operation, keeping absent
// addresses nil interfaces. It returns nil for a nil err; it wraps any other
// error, io.EOF too: callers that pass io.EOF through (Read) test for it
// first, as net's do.
func opError(op, network string, source, addr net.Addr, err error) error {
	if err == nil {
		return nil
	}
	oe := &net.OpError{Op: op, Net: network, Err: err}
	if !isNilAddr(source) {
		oe.Source = source
	}
	if !isNilAddr(addr) {
		oe.Addr = addr
	}
	return oe
}

// isNilAddr reports whether a is nil or a typed nil pointer.
func isNilAddr(a net.Addr) bool {
	switch a := a.(type) {
	case nil:
		return true
	case *net.TCPAddr:
		return a == nil
	case *net.UDPAddr:
		return a == nil
	case *net.IPAddr:
		return a == nil
	case *net.UnixAddr:
		return a == nil
	}
	return false
}
