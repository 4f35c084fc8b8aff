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

// TCPConn is a TCP connection on evnet's loop. It has the method set of
// net.TCPConn and implements net.Conn. It is safe for concurrent use.
//
// It is evnet's own type, not net.TCPConn: a type assertion
// conn.(*net.TCPConn) on an evnet conn fails; assert *evnet.TCPConn.
type TCPConn struct {
	conn
}

// Defaults net gives every dialed and accepted TCP connection's keep-alive.
const (
	defaultKeepAliveIdle     = 15 * time.Second
	defaultKeepAliveInterval = 15 * time.Second
	defaultKeepAliveCount    = 9
)

// newTCPConn sets net's defaults on a connected socket: TCP_NODELAY and,
// unless disabled, keep-alive. The TCPConn is fd's own (netFD.tcp).
func newTCPConn(fd *netFD, keepAliveIdle time.Duration, cfg net.KeepAliveConfig) *TCPConn {
	// Errors are ignored, as net ignores them: the conn works without.
	_ = fd.setsockoptInt(unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if !cfg.Enable && keepAliveIdle >= 0 {
		cfg = net.KeepAliveConfig{Enable: true, Idle: keepAliveIdle}
	}
	c := &fd.tcp
	c.fd = fd
	if cfg.Enable {
		_ = c.SetKeepAliveConfig(cfg)
	}
	return c
}

// ReadFrom implements the io.ReaderFrom ReadFrom method. On Linux it moves
// the data with sendfile(2) or splice(2) where the source allows it, as net
// does (see tcpcopy.go); elsewhere it copies through a buffer.
func (c *TCPConn) ReadFrom(r io.Reader) (int64, error) {
	if !c.ok() {
		return 0, syscall.EINVAL
	}
	n, err := c.readFrom(r)
	if err != nil && err != io.EOF {
		err = opError("readfrom", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return n, err
}

// WriteTo implements the io.WriterTo WriteTo method. On Linux it splices
// into a stream *UnixConn or an *os.File, as net does (see tcpcopy.go);
// elsewhere it copies through a buffer.
func (c *TCPConn) WriteTo(w io.Writer) (int64, error) {
	if !c.ok() {
		return 0, syscall.EINVAL
	}
	n, err := c.writeTo(w)
	if err != nil && err != io.EOF {
		err = opError("writeto", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return n, err
}

// CloseRead shuts down the reading side of the TCP connection.
func (c *TCPConn) CloseRead() error {
	if !c.ok() {
		return syscall.EINVAL
	}
	return opError("close", c.fd.net, c.fd.laddr, c.fd.raddr, c.fd.shutdown(unix.SHUT_RD))
}

// CloseWrite shuts down the writing side of the TCP connection.
func (c *TCPConn) CloseWrite() error {
	if !c.ok() {
		return syscall.EINVAL
	}
	return opError("close", c.fd.net, c.fd.laddr, c.fd.raddr, c.fd.shutdown(unix.SHUT_WR))
}

// SetLinger sets SO_LINGER as net.TCPConn.SetLinger does: sec < 0 is the
// default (close returns at once, data is sent in the background).
func (c *TCPConn) SetLinger(sec int) error {
	if !c.ok() {
		return syscall.EINVAL
	}
	var l unix.Linger
	if sec >= 0 {
		l.Onoff = 1
		l.Linger = int32(sec)
	}
	err := c.fd.control(func(s int) error {
		return wrapSyscallError("setsockopt", unix.SetsockoptLinger(s, unix.SOL_SOCKET, unix.SO_LINGER, &l))
	})
	return opError("set", c.fd.net, c.fd.laddr, c.fd.raddr, err)
}

// SetKeepAlive sets whether the operating system sends keep-alive messages.
func (c *TCPConn) SetKeepAlive(keepalive bool) error {
	if !c.ok() {
		return syscall.EINVAL
	}
	return opError("set", c.fd.net, c.fd.laddr, c.fd.raddr, c.fd.setsockoptInt(unix.SOL_SOCKET, unix.SO_KEEPALIVE, boolint(keepalive)))
}

// SetKeepAlivePeriod sets the idle time before keep-alive probes (and, as in
// net, the interval between them where the system has no separate knob).
func (c *TCPConn) SetKeepAlivePeriod(d time.Duration) error {
	if !c.ok() {
		return syscall.EINVAL
	}
	return opError("set", c.fd.net, c.fd.laddr, c.fd.raddr, c.fd.keepAliveIdle(d))
}

// SetKeepAliveConfig configures keep-alive as net.TCPConn.SetKeepAliveConfig:
// a zero Idle, Interval or Count takes net's default, a negative one leaves
// the system's.
func (c *TCPConn) SetKeepAliveConfig(config net.KeepAliveConfig) error {
	if !c.ok() {
		return syscall.EINVAL
	}
	err := c.fd.setsockoptInt(unix.SOL_SOCKET, unix.SO_KEEPALIVE, boolint(config.Enable))
	if err == nil {
		err = c.fd.keepAliveIdle(config.Idle)
	}
	if err == nil {
		err = c.fd.keepAliveInterval(config.Interval)
	}
	if err == nil {
		err = c.fd.keepAliveCount(config.Count)
	}
	return opError("set", c.fd.net, c.fd.laddr, c.fd.raddr, err)
}

// SetNoDelay controls Nagle's algorithm; evnet, like net, disables it by
// default (noDelay true).
func (c *TCPConn) SetNoDelay(noDelay bool) error {
	if !c.ok() {
		return syscall.EINVAL
	}
	return opError("set", c.fd.net, c.fd.laddr, c.fd.raddr, c.fd.setsockoptInt(unix.IPPROTO_TCP, unix.TCP_NODELAY, boolint(noDelay)))
}

// MultipathTCP reports whether the connection uses MPTCP. evnet does not
// create MPTCP sockets, so it reports false unless the kernel upgraded the
// socket itself.
func (c *TCPConn) MultipathTCP() (bool, error) {
	if !c.ok() {
		return false, syscall.EINVAL
	}
	var mptcp bool
	// As net, report no error: a closed conn does not use MPTCP.
	_ = c.fd.control(func(s int) error { mptcp = isMPTCP(s); return nil })
	return mptcp, nil
}

func (fd *netFD) keepAliveIdle(d time.Duration) error {
	if d == 0 {
		d = defaultKeepAliveIdle
	} else if d < 0 {
		return nil
	}
	secs := int(roundDurationUp(d, time.Second))
	return fd.control(func(s int) error { return wrapSyscallError("setsockopt", setKeepAliveIdle(s, secs)) })
}

func (fd *netFD) keepAliveInterval(d time.Duration) error {
	if d == 0 {
		d = defaultKeepAliveInterval
	} else if d < 0 {
		return nil
	}
	secs := int(roundDurationUp(d, time.Second))
	return fd.control(func(s int) error { return wrapSyscallError("setsockopt", setKeepAliveInterval(s, secs)) })
}

func (fd *netFD) keepAliveCount(n int) error {
	if n == 0 {
		n = defaultKeepAliveCount
	} else if n < 0 {
		return nil
	}
	return fd.control(func(s int) error { return wrapSyscallError("setsockopt", setKeepAliveCount(s, n)) })
}

func roundDurationUp(d, to time.Duration) time.Duration { return (d + to - 1) / to }

func boolint(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TCPListener is a TCP listener on evnet's loop, with the method set of
// net.TCPListener. It is safe for concurrent use.
type TCPListener struct {
	fd *netFD
	lc ListenConfig
}

func (l *TCPListener) ok() bool { return l != nil && l.fd != nil }

// AcceptTCP accepts the next incoming call and returns the new connection.
func (l *TCPListener) AcceptTCP() (*TCPConn, error) {
	if !l.ok() {
		return nil, syscall.EINVAL
	}
	fd, err := l.fd.accept()
	if err != nil {
		return nil, opError("accept", l.fd.net, nil, l.fd.laddr, err)
	}
	return newTCPConn(fd, l.lc.KeepAlive, l.lc.KeepAliveConfig), nil
}

// Accept implements the net.Listener Accept method.
func (l *TCPListener) Accept() (net.Conn, error) {
	c, err := l.AcceptTCP()
	if err != nil {
		return nil, err // a nil interface, never a typed nil
	}
	return c, nil
}

// Close stops listening on the TCP address. Already accepted connections
// are not closed. When it returns, the port is free again.
func (l *TCPListener) Close() error {
	if !l.ok() {
		return syscall.EINVAL
	}
	return opError("close", l.fd.net, nil, l.fd.laddr, l.fd.Close())
}

// Addr returns the listener's network address, a *TCPAddr.
func (l *TCPListener) Addr() net.Addr {
	if !l.ok() {
		return nil
	}
	return l.fd.laddr
}

// SetDeadline sets the deadline associated with the listener; a zero time
// disables it.
func (l *TCPListener) SetDeadline(t time.Time) error {
	if !l.ok() {
		return syscall.EINVAL
	}
	// net returns this error bare, not in an *OpError.
	return l.fd.setDeadline(t, loop.ModeBoth)
}

// SyscallConn returns a raw network connection; its Read and Write methods
// are not supported, as in net.
func (l *TCPListener) SyscallConn() (syscall.RawConn, error) {
	if !l.ok() {
		return nil, syscall.EINVAL
	}
	return &rawListener{rawConn{l.fd}}, nil
}

// File returns a copy of the underlying socket as an *os.File.
func (l *TCPListener) File() (*os.File, error) {
	if !l.ok() {
		return nil, syscall.EINVAL
	}
	f, err := l.fd.dup()
	if err != nil {
		return nil, opError("file", l.fd.net, nil, l.fd.laddr, err)
	}
	return f, nil
}
