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
}

func newUDPConn(fd *netFD) *UDPConn { return &UDPConn{conn{fd}} }

// connected reports whether the socket was dialed, as net's isConnected.
func (fd *netFD) connected() bool { return !isNilAddr(fd.raddr) }

// recvFrom receives one datagram for the ReadFrom family of methods.
func (c *UDPConn) recvFrom(b []byte) (int, unix.Sockaddr, error) {
	n, sa, err := c.fd.readFrom(b)
	if err != nil {
		return n, nil, opError("read", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return n, sa, nil
}

// ReadFromUDP acts like ReadFrom but returns a *net.UDPAddr. As in net, the
// IP of a sender is 4 bytes long on an IPv4 socket and 16 on an IPv6 one.
func (c *UDPConn) ReadFromUDP(b []byte) (n int, addr *net.UDPAddr, err error) {
	if !c.ok() {
		return 0, nil, syscall.EINVAL
	}
	n, sa, err := c.recvFrom(b)
	if a, ok := sockaddrToAddr(unix.SOCK_DGRAM, sa).(*net.UDPAddr); ok {
		addr = a
	}
	return n, addr, err
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
	n, sa, err := c.recvFrom(b)
	if err != nil {
		return n, netip.AddrPort{}, err
	}
	return n, sockaddrToAddrPort(sa), nil
}

// ReadMsgUDP reads a message from c, copying the payload into b and the
// associated out-of-band data into oob; see net.UDPConn.ReadMsgUDP.
func (c *UDPConn) ReadMsgUDP(b, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	var ap netip.AddrPort
	n, oobn, flags, ap, err = c.ReadMsgUDPAddrPort(b, oob)
	if ap.IsValid() {
		addr = net.UDPAddrFromAddrPort(ap)
	}
	return
}

// ReadMsgUDPAddrPort is like ReadMsgUDP but returns a netip.AddrPort. A
// truncated datagram sets MSG_TRUNC in flags.
func (c *UDPConn) ReadMsgUDPAddrPort(b, oob []byte) (n, oobn, flags int, addr netip.AddrPort, err error) {
	if !c.ok() {
		return 0, 0, 0, netip.AddrPort{}, syscall.EINVAL
	}
	var sa unix.Sockaddr
	n, oobn, flags, sa, err = c.fd.readMsg(b, oob, 0)
	if sa == nil {
		// net decodes its zeroed sockaddr even when recvmsg failed, so it
		// returns the unspecified address of the family with the error.
		sa = zeroSockaddr(c.fd.family)
	}
	addr = sockaddrToAddrPort(sa)
	if err != nil {
		err = opError("read", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return
}

// zeroSockaddr is the zero sockaddr of an inet family.
func zeroSockaddr(family int) unix.Sockaddr {
	if family == unix.AF_INET {
		return &unix.SockaddrInet4{}
	}
	return &unix.SockaddrInet6{}
}

// sockaddrToAddrPort converts an inet sockaddr without unmapping anything,
// as net's UDP readers do.
func sockaddrToAddrPort(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		ip := netip.AddrFrom16(sa.Addr).WithZone(zoneName(sa.ZoneId))
		return netip.AddrPortFrom(ip, uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// udpSockaddr converts a destination for a socket of family; a nil addr is
// a nil sockaddr, as net's UDPAddr.sockaddr.
func udpSockaddr(family int, addr *net.UDPAddr) (unix.Sockaddr, error) {
	if addr == nil {
		return nil, nil
	}
	return ipToSockaddr(family, addr.IP, addr.Port, addr.Zone)
}

// addrPortSockaddr converts a destination AddrPort as net's
// addrPortToSockaddrInet4/6 do: no wildcard rewriting, IPv4-mapped accepted
// on IPv4 sockets.
func addrPortSockaddr(family int, ap netip.AddrPort) (unix.Sockaddr, error) {
	ip := ap.Addr()
	switch family {
	case unix.AF_INET:
		if !ip.Is4() && !ip.Is4In6() {
			return nil, &net.AddrError{Err: "non-IPv4 address", Addr: ip.String()}
		}
		return &unix.SockaddrInet4{Addr: ip.As4(), Port: int(ap.Port())}, nil
	case unix.AF_INET6:
		return &unix.SockaddrInet6{Addr: ip.As16(), Port: int(ap.Port()), ZoneId: zoneIndex(ip.Zone())}, nil
	}
	return nil, &net.AddrError{Err: "invalid address family", Addr: ip.String()}
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

// writeTo sends b to sa, or to the peer when sa is nil; oob selects
// sendmsg. Errors are wrapped with addr as the OpError's Addr.
func (c *UDPConn) writeTo(b, oob []byte, sa unix.Sockaddr, addr net.Addr, msg bool) (n, oobn int, err error) {
	if msg {
		n, oobn, err = c.fd.writeMsg(b, oob, sa)
	} else {
		n, err = c.fd.writeTo(b, sa)
	}
	if err != nil {
		err = opError("write", c.fd.net, c.fd.laddr, addr, err)
	}
	return n, oobn, err
}

// WriteToUDP acts like WriteTo but takes a *net.UDPAddr.
func (c *UDPConn) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	if !c.ok() {
		return 0, syscall.EINVAL
	}
	err := c.destination(addr != nil)
	var sa unix.Sockaddr
	if err == nil {
		sa, err = udpSockaddr(c.fd.family, addr)
	}
	if err != nil {
		return 0, opError("write", c.fd.net, c.fd.laddr, addr, err)
	}
	n, _, err := c.writeTo(b, nil, sa, addr, false)
	return n, err
}

// WriteToUDPAddrPort acts like WriteTo but takes a netip.AddrPort.
func (c *UDPConn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if !c.ok() {
		return 0, syscall.EINVAL
	}
	err := c.destination(addr.IsValid())
	var sa unix.Sockaddr
	if err == nil {
		sa, err = addrPortSockaddr(c.fd.family, addr)
	}
	if err != nil {
		return 0, opError("write", c.fd.net, c.fd.laddr, addrPortUDPAddr{addr}, err)
	}
	n, _, err := c.writeTo(b, nil, sa, addrPortUDPAddr{addr}, false)
	return n, err
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
	err = c.destination(addr != nil)
	var sa unix.Sockaddr
	if err == nil {
		sa, err = udpSockaddr(c.fd.family, addr)
	}
	if err != nil {
		return 0, 0, opError("write", c.fd.net, c.fd.laddr, addr, err)
	}
	return c.writeTo(b, oob, sa, addr, true)
}

// WriteMsgUDPAddrPort is like WriteMsgUDP but takes a netip.AddrPort; an
// invalid addr means the peer of a connected socket.
func (c *UDPConn) WriteMsgUDPAddrPort(b, oob []byte, addr netip.AddrPort) (n, oobn int, err error) {
	if !c.ok() {
		return 0, 0, syscall.EINVAL
	}
	err = c.destination(addr.IsValid())
	var sa unix.Sockaddr
	if err == nil && addr.IsValid() {
		sa, err = addrPortSockaddr(c.fd.family, addr)
	}
	if err != nil {
		return 0, 0, opError("write", c.fd.net, c.fd.laddr, addrPortUDPAddr{addr}, err)
	}
	return c.writeTo(b, oob, sa, addrPortUDPAddr{addr}, true)
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
