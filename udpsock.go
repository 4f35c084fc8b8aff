//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"context"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// UDPConn is a UDP socket on evnet's loop. It has the method set of
// net.UDPConn and implements net.Conn and net.PacketConn. It is safe for
// concurrent use; Close unblocks every pending read and write.
//
// It is evnet's own type, not net.UDPConn: a type assertion
// c.(*net.UDPConn) on an evnet conn fails; assert *evnet.UDPConn.
type UDPConn struct {
	conn
	batch batchBufs
}

func newUDPConn(fd *netFD) *UDPConn { return &UDPConn{conn: conn{fd}} }

// connected reports whether the socket was dialed, as net's isConnected.
func (fd *netFD) connected() bool { return !isNilAddr(fd.raddr) }

// ReadFromUDP acts like ReadFrom but returns a *net.UDPAddr. As in net, the
// IP of a sender is 4 bytes long on an IPv4 socket and 16 on an IPv6 one.
func (c *UDPConn) ReadFromUDP(b []byte) (n int, addr *net.UDPAddr, err error) {
	if !c.ok() {
		return 0, nil, syscall.EINVAL
	}
	var from inetAddr
	n, err = c.fd.readFromInet(b, &from)
	if err != nil {
		return n, nil, opError("read", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return n, from.udpAddr(), nil
}

// ReadFrom implements the net.PacketConn ReadFrom method. A datagram larger
// than b fills it; the rest is dropped. A zero-length datagram gives n == 0
// and a nil error.
func (c *UDPConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := c.ReadFromUDP(b)
	if addr == nil {
		return n, nil, err // a nil interface, never a typed nil
	}
	return n, addr, err
}

// ReadFromUDPAddrPort acts like ReadFrom but returns a netip.AddrPort. As in
// net, an IPv4 sender on an IPv6 socket comes back IPv4-mapped.
func (c *UDPConn) ReadFromUDPAddrPort(b []byte) (n int, addr netip.AddrPort, err error) {
	if !c.ok() {
		return 0, netip.AddrPort{}, syscall.EINVAL
	}
	var from inetAddr
	n, err = c.fd.readFromInet(b, &from)
	if err != nil {
		return n, netip.AddrPort{}, opError("read", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return n, from.addrPort(), nil
}

// ReadMsgUDP reads a message from c, copying the payload into b and the
// associated out-of-band data into oob; see net.UDPConn.ReadMsgUDP.
func (c *UDPConn) ReadMsgUDP(b, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	if !c.ok() {
		return 0, 0, 0, nil, syscall.EINVAL
	}
	var from inetAddr
	n, oobn, flags, err = c.readMsg(b, oob, &from)
	// net converts ReadMsgUDPAddrPort's address, valid even with an error.
	return n, oobn, flags, from.udpAddr(), err
}

// ReadMsgUDPAddrPort is like ReadMsgUDP but returns a netip.AddrPort. A
// truncated datagram sets MSG_TRUNC in flags.
func (c *UDPConn) ReadMsgUDPAddrPort(b, oob []byte) (n, oobn, flags int, addr netip.AddrPort, err error) {
	if !c.ok() {
		return 0, 0, 0, netip.AddrPort{}, syscall.EINVAL
	}
	var from inetAddr
	n, oobn, flags, err = c.readMsg(b, oob, &from)
	return n, oobn, flags, from.addrPort(), err
}

// readMsg receives one message and its sender into from for the ReadMsg
// methods. net decodes its zeroed sockaddr even when recvmsg failed, so
// from is then the unspecified address of the family.
func (c *UDPConn) readMsg(b, oob []byte, from *inetAddr) (n, oobn, flags int, err error) {
	n, oobn, flags, err = c.fd.readMsgInet(b, oob, 0, from)
	if err != nil {
		*from = inetAddr{family: c.fd.family}
		err = opError("read", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return n, oobn, flags, err
}

// addrPortUDPAddr is the net.Addr of an AddrPort in errors, as net's type
// of the same name (which is unexported, so %T differs).
type addrPortUDPAddr struct{ netip.AddrPort }

func (addrPortUDPAddr) Network() string { return "udp" }

// destination checks a datagram's destination the way net's UDP writers do:
// none on a connected socket, one on an unconnected socket.
func (c *UDPConn) destination(has bool) error {
	if c.fd.connected() && has {
		return net.ErrWriteToConnected
	}
	if !c.fd.connected() && !has {
		return errMissingAddress
	}
	return nil
}

// WriteToUDP acts like WriteTo but takes a *net.UDPAddr.
func (c *UDPConn) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	if !c.ok() {
		return 0, syscall.EINVAL
	}
	var to inetAddr
	err := c.destination(addr != nil)
	if err == nil {
		err = to.setUDP(c.fd.family, addr)
	}
	if err == nil {
		var n int
		if n, err = c.fd.writeToInet(b, &to); err == nil {
			return n, nil
		}
	}
	return 0, opError("write", c.fd.net, c.fd.laddr, addr, err)
}

// WriteToUDPAddrPort acts like WriteTo but takes a netip.AddrPort.
func (c *UDPConn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if !c.ok() {
		return 0, syscall.EINVAL
	}
	var to inetAddr
	err := c.destination(addr.IsValid())
	if err == nil {
		err = to.setAddrPort(c.fd.family, addr)
	}
	if err == nil {
		var n int
		if n, err = c.fd.writeToInet(b, &to); err == nil {
			return n, nil
		}
	}
	return 0, opError("write", c.fd.net, c.fd.laddr, addrPortUDPAddr{addr}, err)
}

// WriteTo implements the net.PacketConn WriteTo method. An addr that is not
// a *net.UDPAddr fails with syscall.EINVAL, as in net.
func (c *UDPConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if !c.ok() {
		return 0, syscall.EINVAL
	}
	a, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, opError("write", c.fd.net, c.fd.laddr, addr, syscall.EINVAL)
	}
	return c.WriteToUDP(b, a)
}

// WriteMsgUDP writes a message to addr, or to the peer of a connected
// socket when addr is nil; see net.UDPConn.WriteMsgUDP.
func (c *UDPConn) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (n, oobn int, err error) {
	if !c.ok() {
		return 0, 0, syscall.EINVAL
	}
	var to inetAddr
	err = c.destination(addr != nil)
	if err == nil {
		err = to.setUDP(c.fd.family, addr)
	}
	if err == nil {
		if n, oobn, err = c.fd.writeMsgInet(b, oob, &to); err == nil {
			return n, oobn, nil
		}
	}
	return 0, 0, opError("write", c.fd.net, c.fd.laddr, addr, err)
}

// WriteMsgUDPAddrPort is like WriteMsgUDP but takes a netip.AddrPort; an
// invalid addr means the peer of a connected socket.
func (c *UDPConn) WriteMsgUDPAddrPort(b, oob []byte, addr netip.AddrPort) (n, oobn int, err error) {
	if !c.ok() {
		return 0, 0, syscall.EINVAL
	}
	var to inetAddr
	err = c.destination(addr.IsValid())
	if err == nil && addr.IsValid() {
		err = to.setAddrPort(c.fd.family, addr)
	}
	if err == nil {
		if n, oobn, err = c.fd.writeMsgInet(b, oob, &to); err == nil {
			return n, oobn, nil
		}
	}
	return 0, 0, opError("write", c.fd.net, c.fd.laddr, addrPortUDPAddr{addr}, err)
}

// udpOpAddr turns a nil *UDPAddr into a nil net.Addr.
func udpOpAddr(a *net.UDPAddr) net.Addr {
	if a == nil {
		return nil
	}
	return a
}

// DialUDP connects to raddr from laddr, which may be nil; see net.DialUDP.
func DialUDP(network string, laddr, raddr *net.UDPAddr) (*UDPConn, error) {
	return dialUDPContext(context.Background(), &Dialer{}, network, laddr, raddr)
}

// DialUDP acts like Dial for UDP networks using ctx; see net.Dialer.DialUDP.
// As in net, an invalid laddr or raddr means the unspecified address with
// port 0. A nil ctx is an error, where net panics.
func (d *Dialer) DialUDP(ctx context.Context, network string, laddr, raddr netip.AddrPort) (*UDPConn, error) {
	if ctx == nil {
		return nil, opError("dial", network, nil, nil, errNilContext)
	}
	ctx, cancel := d.dialCtx(ctx)
	defer cancel()
	return dialUDPContext(ctx, d, network, net.UDPAddrFromAddrPort(laddr), net.UDPAddrFromAddrPort(raddr))
}

func dialUDPContext(ctx context.Context, d *Dialer, network string, laddr, raddr *net.UDPAddr) (*UDPConn, error) {
	switch network {
	case "udp", "udp4", "udp6":
	default:
		return nil, opError("dial", network, udpOpAddr(laddr), udpOpAddr(raddr), net.UnknownNetworkError(network))
	}
	if raddr == nil {
		return nil, opError("dial", network, udpOpAddr(laddr), nil, errMissingAddress)
	}
	c, err := d.dialUDP(ctx, network, laddr, raddr)
	if err != nil {
		return nil, opError("dial", network, udpOpAddr(laddr), raddr, err)
	}
	return c, nil
}

// dialUDP creates a UDP socket connected to raddr; the error is unwrapped.
func (d *Dialer) dialUDP(ctx context.Context, network string, laddr, raddr *net.UDPAddr) (*UDPConn, error) {
	fd, err := packetSocket(ctx, network, network, unix.SOCK_DGRAM, 0, udpOpAddr(laddr), raddr, d.ctrl())
	if err != nil {
		return nil, err
	}
	return newUDPConn(fd), nil
}

// ListenUDP listens for datagrams on laddr, which may be nil or have port 0;
// see net.ListenUDP.
func ListenUDP(network string, laddr *net.UDPAddr) (*UDPConn, error) {
	switch network {
	case "udp", "udp4", "udp6":
	default:
		return nil, opError("listen", network, nil, udpOpAddr(laddr), net.UnknownNetworkError(network))
	}
	if laddr == nil {
		laddr = &net.UDPAddr{}
	}
	var lc ListenConfig
	c, err := lc.listenUDP(context.Background(), network, laddr)
	if err != nil {
		return nil, opError("listen", network, nil, laddr, err)
	}
	return c, nil
}

// listenUDP creates a UDP socket bound to laddr; the error is unwrapped.
func (lc *ListenConfig) listenUDP(ctx context.Context, network string, laddr *net.UDPAddr) (*UDPConn, error) {
	fd, err := packetSocket(ctx, network, network, unix.SOCK_DGRAM, 0, laddr, nil, lc.ctrl())
	if err != nil {
		return nil, err
	}
	return newUDPConn(fd), nil
}
