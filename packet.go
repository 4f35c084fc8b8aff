//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"context"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// ListenPacket announces on the local network address; see
// net.ListenConfig.ListenPacket. network must be udp, udp4, udp6, unixgram
// or ip, ip4, ip6 followed by a colon and a protocol number or name. The
// conn runs on evnet's loop. A nil ctx is an error, where net panics.
func (lc *ListenConfig) ListenPacket(ctx context.Context, network, address string) (net.PacketConn, error) {
	if ctx == nil {
		return nil, opError("listen", network, nil, nil, errNilContext)
	}
	if kind, _ := parseNetwork(network); kind == kindIP {
		// net checks the protocol while resolving, before any address.
		if _, _, err := parseIPNetwork(network); err != nil {
			return nil, opError("listen", network, nil, nil, err)
		}
	}
	addrs, err := resolveAddrList(ctx, nil, "listen", network, address)
	if err != nil {
		return nil, opError("listen", network, nil, nil, err)
	}
	var c net.PacketConn
	la := addrs[0] // for "listen", the first IPv4 address if there is one
	switch la := la.(type) {
	case *net.UDPAddr:
		var uc *UDPConn
		if uc, err = lc.listenUDP(ctx, network, la); err == nil {
			c = uc
		}
	case *net.IPAddr:
		var ic *IPConn
		if ic, err = lc.listenIP(ctx, network, la); err == nil {
			c = ic
		}
	case *net.UnixAddr:
		var uc *UnixConn
		if uc, err = lc.listenUnixgram(ctx, network, la); err == nil {
			c = uc
		}
	default:
		err = &net.AddrError{Err: "unexpected address type", Addr: address}
	}
	if err != nil {
		return nil, opError("listen", network, nil, la, err)
	}
	return c, nil
}

// ListenPacket announces on the local network address with a zero
// ListenConfig; see net.ListenPacket.
func ListenPacket(network, address string) (net.PacketConn, error) {
	var lc ListenConfig
	return lc.ListenPacket(context.Background(), network, address)
}

// inetAddrParts returns the IP, port and zone of a *UDPAddr or *IPAddr.
func inetAddrParts(a net.Addr) (ip net.IP, port int, zone string) {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.IP, a.Port, a.Zone
	case *net.IPAddr:
		return a.IP, 0, a.Zone
	}
	return nil, 0, ""
}

// packetSocket creates a UDP or raw IP socket as net's internetSocket does:
// connected to raddr when it is non-nil (dial), else bound to laddr
// (listen). network chooses the family; fdnet is the conn's Net. laddr and
// raddr are nil interfaces, a *net.UDPAddr or a *net.IPAddr.
func packetSocket(ctx context.Context, network, fdnet string, sotype, proto int, laddr, raddr net.Addr, ctrl ctrlFunc) (*netFD, error) {
	lip, lport, lzone := inetAddrParts(laddr)
	rip, rport, rzone := inetAddrParts(raddr)
	listen := raddr == nil
	family, ipv6only := favoriteFamily(network, lip, rip, listen)
	spec := sockSpec{net: fdnet, family: family, sotype: sotype, proto: proto, ipv6only: ipv6only, ctrl: ctrl}
	var err error
	if raddr != nil {
		if spec.raddr, err = ipToSockaddr(family, rip, rport, rzone); err != nil {
			return nil, err
		}
		spec.ctrlAddr = raddr.String()
	}
	if laddr != nil {
		if listen && sotype == unix.SOCK_DGRAM && lip.IsMulticast() {
			// As net's listenDatagram: a group address means the wildcard
			// address with a port shared with other listeners.
			wild := &net.UDPAddr{IP: net.IPv4zero, Port: lport, Zone: lzone}
			if family == unix.AF_INET6 {
				wild.IP = net.IPv6unspecified
			}
			laddr, lip = wild, wild.IP
			spec.ctrl = withMulticastSockopts(ctrl)
		}
		if spec.laddr, err = ipToSockaddr(family, lip, lport, lzone); err != nil {
			return nil, err
		}
		if listen {
			spec.ctrlAddr = laddr.String()
		}
	}
	return socket(ctx, spec)
}

// withMulticastSockopts sets net's options for a shared multicast port
// before the user's Control hook runs, in net's order.
func withMulticastSockopts(ctrl ctrlFunc) ctrlFunc {
	return func(ctx context.Context, network, address string, c syscall.RawConn) error {
		if err := c.(*rawConn).fd.control(setDefaultMulticastSockopts); err != nil {
			return err
		}
		if ctrl == nil {
			return nil
		}
		return ctrl(ctx, network, address, c)
	}
}
