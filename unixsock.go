//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"context"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// UnixConn is a Unix domain socket connection on evnet's loop, of network
// unix, unixgram or unixpacket. It has the method set of net.UnixConn and
// implements net.Conn and net.PacketConn. It is safe for concurrent use.
//
// It is evnet's own type: assert *evnet.UnixConn, not *net.UnixConn.
type UnixConn struct {
	conn
	// isConnected is net's netFD.isConnected: the socket was connected by
	// a dial. Accepted and adopted (FileConn) sockets do not count, as in
	// net, which matters for WriteTo and WriteMsgUnix.
	isConnected bool
}

func newUnixConn(fd *netFD, connected bool) *UnixConn {
	return &UnixConn{conn: conn{fd}, isConnected: connected}
}

// CloseRead shuts down the reading side of the Unix domain connection.
func (c *UnixConn) CloseRead() error {
	if !c.ok() {
		return syscall.EINVAL
	}
	return opError("close", c.fd.net, c.fd.laddr, c.fd.raddr, c.fd.shutdown(unix.SHUT_RD))
}

// CloseWrite shuts down the writing side of the Unix domain connection.
func (c *UnixConn) CloseWrite() error {
	if !c.ok() {
		return syscall.EINVAL
	}
	return opError("close", c.fd.net, c.fd.laddr, c.fd.raddr, c.fd.shutdown(unix.SHUT_WR))
}

// ReadFromUnix acts like ReadFrom but returns a *net.UnixAddr.
func (c *UnixConn) ReadFromUnix(b []byte) (int, *net.UnixAddr, error) {
	if !c.ok() {
		return 0, nil, syscall.EINVAL
	}
	n, sa, err := c.fd.readFrom(b)
	return n, c.sourceAddr(sa), opError("read", c.fd.net, c.fd.laddr, c.fd.raddr, err)
}

// ReadFrom implements the net.PacketConn ReadFrom method. The address is a
// nil interface, never a typed nil, when the sender has no name.
func (c *UnixConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := c.ReadFromUnix(b)
	if addr == nil {
		return n, nil, err
	}
	return n, addr, err
}

// ReadMsgUnix reads a message with its out-of-band data, as
// net.UnixConn.ReadMsgUnix. File descriptors received with SCM_RIGHTS are
// close-on-exec; those the kernel could not fit in oob (flags has
// MSG_CTRUNC) are closed by the kernel, never installed.
func (c *UnixConn) ReadMsgUnix(b, oob []byte) (n, oobn, flags int, addr *net.UnixAddr, err error) {
	if !c.ok() {
		return 0, 0, 0, nil, syscall.EINVAL
	}
	n, oobn, flags, sa, err := c.fd.readMsg(b, oob, readMsgFlags)
	if err == nil && oobn > 0 {
		setReadMsgCloseOnExec(oob[:oobn])
	}
	return n, oobn, flags, c.sourceAddr(sa), opError("read", c.fd.net, c.fd.laddr, c.fd.raddr, err)
}

// sourceAddr is the address of a sender, or nil if it has no name.
func (c *UnixConn) sourceAddr(sa unix.Sockaddr) *net.UnixAddr {
	if sa, ok := sa.(*unix.SockaddrUnix); ok && sa.Name != "" {
		return &net.UnixAddr{Name: sa.Name, Net: unixNet(c.fd.sotype)}
	}
	return nil
}

// WriteToUnix acts like WriteTo but takes a *net.UnixAddr.
func (c *UnixConn) WriteToUnix(b []byte, addr *net.UnixAddr) (int, error) {
	if !c.ok() {
		return 0, syscall.EINVAL
	}
	n, err := c.writeTo(b, addr)
	return n, opError("write", c.fd.net, c.fd.laddr, addr, err)
}

// WriteTo implements the net.PacketConn WriteTo method.
func (c *UnixConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if !c.ok() {
		return 0, syscall.EINVAL
	}
	a, ok := addr.(*net.UnixAddr)
	if !ok {
		return 0, opError("write", c.fd.net, c.fd.laddr, addr, syscall.EINVAL)
	}
	n, err := c.writeTo(b, a)
	return n, opError("write", c.fd.net, c.fd.laddr, a, err)
}

func (c *UnixConn) writeTo(b []byte, addr *net.UnixAddr) (int, error) {
	if c.isConnected {
		return 0, net.ErrWriteToConnected
	}
	if addr == nil {
		return 0, errMissingAddress
	}
	if addr.Net != unixNet(c.fd.sotype) {
		return 0, syscall.EAFNOSUPPORT
	}
	n, _, err := c.fd.sendUnix("sendto", b, nil, &syscall.SockaddrUnix{Name: addr.Name})
	return n, err
}

// WriteMsgUnix writes a message with out-of-band data to addr, as
// net.UnixConn.WriteMsgUnix; addr is nil on a connected socket. As in net,
// it fails with net.ErrWriteToConnected on a dialed unixgram socket. A
// stream write never raises SIGPIPE.
func (c *UnixConn) WriteMsgUnix(b, oob []byte, addr *net.UnixAddr) (n, oobn int, err error) {
	if !c.ok() {
		return 0, 0, syscall.EINVAL
	}
	n, oobn, err = c.writeMsg(b, oob, addr)
	return n, oobn, opError("write", c.fd.net, c.fd.laddr, addr, err)
}

func (c *UnixConn) writeMsg(b, oob []byte, addr *net.UnixAddr) (int, int, error) {
	if c.fd.sotype == unix.SOCK_DGRAM && c.isConnected {
		return 0, 0, net.ErrWriteToConnected
	}
	var sa syscall.Sockaddr // a nil interface, not a typed nil, without addr
	if addr != nil {
		if addr.Net != unixNet(c.fd.sotype) {
			return 0, 0, syscall.EAFNOSUPPORT
		}
		sa = &syscall.SockaddrUnix{Name: addr.Name}
	}
	return c.fd.sendUnix("sendmsg", b, oob, sa)
}

// DialUnix acts like Dial for Unix networks; laddr may be nil. See
// net.DialUnix.
func DialUnix(network string, laddr, raddr *net.UnixAddr) (*UnixConn, error) {
	return dialUnixContext(context.Background(), &Dialer{}, network, laddr, raddr)
}

// DialUnix acts like Dial for Unix networks using ctx, which must be
// non-nil; see net.Dialer.DialUnix. A nil ctx is an error here, where net
// panics.
func (d *Dialer) DialUnix(ctx context.Context, network string, laddr, raddr *net.UnixAddr) (*UnixConn, error) {
	if ctx == nil {
		return nil, opError("dial", network, laddr, raddr, errNilContext)
	}
	ctx, cancel := d.dialCtx(ctx)
	defer cancel()
	return dialUnixContext(ctx, d, network, laddr, raddr)
}

func dialUnixContext(ctx context.Context, d *Dialer, network string, laddr, raddr *net.UnixAddr) (*UnixConn, error) {
	switch network {
	case "unix", "unixgram", "unixpacket":
	default:
		return nil, opError("dial", network, laddr, raddr, net.UnknownNetworkError(network))
	}
	c, err := d.dialUnix(ctx, network, laddr, raddr)
	if err != nil {
		return nil, opError("dial", network, laddr, raddr, err)
	}
	return c, nil
}

// dialUnix dials one Unix address; the caller wraps the error.
func (d *Dialer) dialUnix(ctx context.Context, network string, laddr, raddr *net.UnixAddr) (*UnixConn, error) {
	fd, err := unixSocket(ctx, network, laddr, raddr, false, d.ctrl())
	if err != nil {
		return nil, err
	}
	return newUnixConn(fd, fd.raddr != nil), nil
}
