//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"context"
	"net"

	"golang.org/x/sys/unix"
)

// ListenMulticastUDP listens for datagrams sent to the group address gaddr
// on the interface ifi (nil: the system's choice); see
// net.ListenMulticastUDP. As in net, the socket shares its port
// (SO_REUSEADDR) and does not loop back its own multicast sends.
func ListenMulticastUDP(network string, ifi *net.Interface, gaddr *net.UDPAddr) (*UDPConn, error) {
	switch network {
	case "udp", "udp4", "udp6":
	default:
		return nil, opError("listen", network, nil, udpOpAddr(gaddr), net.UnknownNetworkError(network))
	}
	if gaddr == nil || gaddr.IP == nil {
		return nil, opError("listen", network, nil, udpOpAddr(gaddr), errMissingAddress)
	}
	var lc ListenConfig
	c, err := lc.listenMulticastUDP(context.Background(), network, ifi, gaddr)
	if err != nil {
		return nil, opError("listen", network, nil, gaddr, err)
	}
	return c, nil
}

// listenMulticastUDP binds a UDP socket to gaddr's port and joins the group,
// as net's sysListener.listenMulticastUDP.
func (lc *ListenConfig) listenMulticastUDP(ctx context.Context, network string, ifi *net.Interface, gaddr *net.UDPAddr) (*UDPConn, error) {
	c, err := lc.listenUDP(ctx, network, gaddr)
	if err != nil {
		return nil, err
	}
	join := joinIPv6
	ip := gaddr.IP
	if ip4 := ip.To4(); ip4 != nil {
		join, ip = joinIPv4, ip4
	}
	if err := c.fd.control(func(s int) error { return join(s, ifi, ip) }); err != nil {
		c.Close() // the join error is the one worth reporting
		return nil, err
	}
	return c, nil
}

// joinIPv4 sets the interface (if any), turns loopback off and joins the
// IPv4 group ip, as net's listenIPv4MulticastUDP.
func joinIPv4(s int, ifi *net.Interface, ip net.IP) error {
	if ifi != nil {
		if err := setIPv4MulticastInterface(s, ifi); err != nil {
			return err
		}
	}
	if err := setIPv4MulticastLoopback(s, false); err != nil {
		return err
	}
	return joinIPv4Group(s, ifi, ip)
}

// joinIPv6 is joinIPv4 for an IPv6 group, as net's listenIPv6MulticastUDP.
func joinIPv6(s int, ifi *net.Interface, ip net.IP) error {
	var index int
	if ifi != nil {
		index = ifi.Index
		if err := unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, index); err != nil {
			return wrapSyscallError("setsockopt", err)
		}
	}
	if err := unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP, 0); err != nil {
		return wrapSyscallError("setsockopt", err)
	}
	mreq := &unix.IPv6Mreq{Interface: uint32(index)}
	copy(mreq.Multiaddr[:], ip)
	return wrapSyscallError("setsockopt", unix.SetsockoptIPv6Mreq(s, unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, mreq))
}
