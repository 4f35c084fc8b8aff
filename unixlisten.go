//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"context"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/evnet/evnet/loop"
)

// UnixListener is a Unix domain socket listener on evnet's loop, with the
// method set of net.UnixListener. It is safe for concurrent use.
type UnixListener struct {
	fd         *netFD
	path       string
	unlink     bool
	unlinkOnce sync.Once
}

func (l *UnixListener) ok() bool { return l != nil && l.fd != nil }

// AcceptUnix accepts the next incoming call and returns the new connection.
func (l *UnixListener) AcceptUnix() (*UnixConn, error) {
	if !l.ok() {
		return nil, syscall.EINVAL
	}
	fd, err := l.fd.accept()
	if err != nil {
		return nil, opError("accept", l.fd.net, nil, l.fd.laddr, err)
	}
	return newUnixConn(fd, false), nil
}

// Accept implements the net.Listener Accept method; the conns are
// *UnixConn.
func (l *UnixListener) Accept() (net.Conn, error) {
	c, err := l.AcceptUnix()
	if err != nil {
		return nil, err // a nil interface, never a typed nil
	}
	return c, nil
}

// Close stops listening on the Unix address and, unless SetUnlinkOnClose
// said otherwise, removes the socket file, as net does: only the first Close
// unlinks, before the socket is closed. Accepted connections stay open.
func (l *UnixListener) Close() error {
	if !l.ok() {
		return syscall.EINVAL
	}
	l.unlinkOnce.Do(func() {
		if l.unlink && l.path != "" && l.path[0] != '@' {
			// As net: a failure to unlink (the file was removed or
			// replaced by someone else) is not the caller's problem.
			_ = syscall.Unlink(l.path)
		}
	})
	return opError("close", l.fd.net, nil, l.fd.laddr, l.fd.Close())
}

// Addr returns the listener's network address, a *net.UnixAddr.
func (l *UnixListener) Addr() net.Addr {
	if !l.ok() {
		return nil
	}
	return l.fd.laddr
}

// SetDeadline sets the deadline of Accept; a zero time disables it. As in
// net, the error is not wrapped in a *net.OpError.
func (l *UnixListener) SetDeadline(t time.Time) error {
	if !l.ok() {
		return syscall.EINVAL
	}
	return l.fd.setDeadline(t, loop.ModeBoth)
}

// SetUnlinkOnClose sets whether Close removes the socket file. By default
// it does when the listener created the file (Listen, ListenUnix), and does
// not for a listener from FileListener.
func (l *UnixListener) SetUnlinkOnClose(unlink bool) {
	l.unlink = unlink
}

// SyscallConn returns a raw network connection; its Read and Write methods
// are not supported, as in net.
func (l *UnixListener) SyscallConn() (syscall.RawConn, error) {
	if !l.ok() {
		return nil, syscall.EINVAL
	}
	return &rawListener{rawConn{l.fd}}, nil
}

// File returns a copy of the underlying socket as an *os.File. Closing
// either one does not affect the other.
func (l *UnixListener) File() (*os.File, error) {
	if !l.ok() {
		return nil, syscall.EINVAL
	}
	f, err := l.fd.dup()
	if err != nil {
		return nil, opError("file", l.fd.net, nil, l.fd.laddr, err)
	}
	return f, nil
}

// ListenUnix acts like Listen for Unix networks; network must be unix or
// unixpacket. See net.ListenUnix.
func ListenUnix(network string, laddr *net.UnixAddr) (*UnixListener, error) {
	switch network {
	case "unix", "unixpacket":
	default:
		return nil, opError("listen", network, nil, laddr, net.UnknownNetworkError(network))
	}
	if laddr == nil {
		return nil, opError("listen", network, nil, nil, errMissingAddress)
	}
	var lc ListenConfig
	l, err := lc.listenUnix(context.Background(), network, laddr)
	if err != nil {
		return nil, opError("listen", network, nil, laddr, err)
	}
	return l, nil
}

// ListenUnixgram acts like ListenPacket for Unix networks; network must be
// unixgram. See net.ListenUnixgram.
func ListenUnixgram(network string, laddr *net.UnixAddr) (*UnixConn, error) {
	if network != "unixgram" {
		return nil, opError("listen", network, nil, laddr, net.UnknownNetworkError(network))
	}
	if laddr == nil {
		return nil, opError("listen", network, nil, nil, errMissingAddress)
	}
	var lc ListenConfig
	c, err := lc.listenUnixgram(context.Background(), network, laddr)
	if err != nil {
		return nil, opError("listen", network, nil, laddr, err)
	}
	return c, nil
}

// listenUnix creates a listener on laddr; the caller wraps the error.
func (lc *ListenConfig) listenUnix(ctx context.Context, network string, laddr *net.UnixAddr) (*UnixListener, error) {
	fd, err := unixSocket(ctx, network, laddr, nil, true, lc.ctrl())
	if err != nil {
		return nil, err
	}
	var path string
	if fd.laddr != nil {
		path = fd.laddr.String()
	}
	return &UnixListener{fd: fd, path: path, unlink: true}, nil
}

// listenUnixgram creates a unixgram socket bound to laddr; the caller wraps
// the error.
func (lc *ListenConfig) listenUnixgram(ctx context.Context, network string, laddr *net.UnixAddr) (*UnixConn, error) {
	fd, err := unixSocket(ctx, network, laddr, nil, true, lc.ctrl())
	if err != nil {
		return nil, err
	}
	return newUnixConn(fd, false), nil
}
