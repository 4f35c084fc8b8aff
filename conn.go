//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/evnet/evnet/loop"
	"golang.org/x/sys/unix"
)

// conn holds what every evnet connection type shares, as net's conn does.
type conn struct {
	fd *netFD
}

func (c *conn) ok() bool { return c != nil && c.fd != nil }

// Read implements the net.Conn Read method.
func (c *conn) Read(b []byte) (int, error) {
	if !c.ok() {
		return 0, syscall.EINVAL
	}
	n, err := c.fd.Read(b)
	if err != nil && err != io.EOF {
		err = opError("read", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return n, err
}

// Write implements the net.Conn Write method.
func (c *conn) Write(b []byte) (int, error) {
	if !c.ok() {
		return 0, syscall.EINVAL
	}
	n, err := c.fd.Write(b)
	if err != nil {
		err = opError("write", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return n, err
}

// Close implements the net.Conn Close method.
func (c *conn) Close() error {
	if !c.ok() {
		return syscall.EINVAL
	}
	err := c.fd.Close()
	if err != nil {
		err = opError("close", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return err
}

// LocalAddr implements the net.Conn LocalAddr method.
func (c *conn) LocalAddr() net.Addr {
	if !c.ok() {
		return nil
	}
	return c.fd.laddr
}

// RemoteAddr implements the net.Conn RemoteAddr method.
func (c *conn) RemoteAddr() net.Addr {
	if !c.ok() {
		return nil
	}
	return c.fd.raddr
}

// SetDeadline implements the net.Conn SetDeadline method.
func (c *conn) SetDeadline(t time.Time) error { return c.setDeadline(t, loop.ModeBoth) }

// SetReadDeadline implements the net.Conn SetReadDeadline method.
func (c *conn) SetReadDeadline(t time.Time) error { return c.setDeadline(t, loop.ModeRead) }

// SetWriteDeadline implements the net.Conn SetWriteDeadline method.
func (c *conn) SetWriteDeadline(t time.Time) error { return c.setDeadline(t, loop.ModeWrite) }

func (c *conn) setDeadline(t time.Time, mode loop.Mode) error {
	if !c.ok() {
		return syscall.EINVAL
	}
	return opError("set", c.fd.net, nil, c.fd.laddr, c.fd.setDeadline(t, mode))
}

// SetReadBuffer sets the size of the operating system's receive buffer.
func (c *conn) SetReadBuffer(bytes int) error {
	if !c.ok() {
		return syscall.EINVAL
	}
	return opError("set", c.fd.net, nil, c.fd.laddr, c.fd.setsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUF, bytes))
}

// SetWriteBuffer sets the size of the operating system's transmit buffer.
func (c *conn) SetWriteBuffer(bytes int) error {
	if !c.ok() {
		return syscall.EINVAL
	}
	return opError("set", c.fd.net, nil, c.fd.laddr, c.fd.setsockoptInt(unix.SOL_SOCKET, unix.SO_SNDBUF, bytes))
}

// File returns a copy of the underlying socket as an *os.File, as net's File
// does. Closing either one does not affect the other.
func (c *conn) File() (*os.File, error) {
	if !c.ok() {
		return nil, syscall.EINVAL
	}
	f, err := c.fd.dup()
	if err != nil {
		return nil, opError("file", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return f, nil
}

// SyscallConn returns a raw network connection whose Read and Write wait on
// evnet's loop. Like net, it succeeds also after Close.
func (c *conn) SyscallConn() (syscall.RawConn, error) {
	if !c.ok() {
		return nil, syscall.EINVAL
	}
	return &rawConn{c.fd}, nil
}
