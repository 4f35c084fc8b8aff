//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"encoding/binary"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// inetAddr is the address of a datagram's sender or destination, held by
// value so that the datagram paths convert between the kernel's sockaddr
// and net's types without a unix.Sockaddr on the heap in between (x/sys's
// Recvfrom allocates the raw buffer and the Sockaddr, and on Linux asks
// getsockopt(SO_PROTOCOL) for every datagram).
type inetAddr struct {
	family int      // unix.AF_INET or unix.AF_INET6; 0: none
	ip     [16]byte // AF_INET uses the first 4 bytes
	port   int
	zone   uint32 // IPv6 scope ID
}

// setUDP converts a destination for a socket of family; a nil addr is no
// address (the peer), as net's UDPAddr.sockaddr.
func (a *inetAddr) setUDP(family int, addr *net.UDPAddr) error {
	if addr == nil {
		*a = inetAddr{}
		return nil
	}
	return a.setIP(family, addr.IP, addr.Port, addr.Zone)
}

// setIP converts ip, port and zone for a socket of family with the rules
// and errors of net's ipToSockaddrInet4 and ipToSockaddrInet6 (ipToSockaddr
// is this and sockaddr): an empty IP is the wildcard, an IPv4 address
// becomes IPv4-mapped on AF_INET6, and the IPv4 wildcard the IPv6 one on a
// dual-stack socket.
func (a *inetAddr) setIP(family int, ip net.IP, port int, zone string) error {
	switch family {
	case unix.AF_INET:
		if len(ip) == 0 {
			ip = net.IPv4zero
		}
		ip4 := ip.To4()
		if ip4 == nil {
			return &net.AddrError{Err: "non-IPv4 address", Addr: ip.String()}
		}
		*a = inetAddr{family: family, port: port}
		copy(a.ip[:], ip4)
		return nil
	case unix.AF_INET6:
		if len(ip) == 0 || ip.Equal(net.IPv4zero) {
			ip = net.IPv6zero
		}
		ip6 := ip.To16()
		if ip6 == nil {
			return &net.AddrError{Err: "non-IPv6 address", Addr: ip.String()}
		}
		*a = inetAddr{family: family, port: port, zone: zoneIndex(zone)}
		copy(a.ip[:], ip6)
		return nil
	}
	return &net.AddrError{Err: "invalid address family", Addr: ip.String()}
}

// sockaddr returns a as a new unix.Sockaddr, nil for no address.
func (a *inetAddr) sockaddr() unix.Sockaddr {
	switch a.family {
	case unix.AF_INET:
		return &unix.SockaddrInet4{Port: a.port, Addr: [4]byte(a.ip[:4])}
	case unix.AF_INET6:
		return &unix.SockaddrInet6{Port: a.port, ZoneId: a.zone, Addr: a.ip}
	}
	return nil
}

// setAddrPort converts a destination AddrPort as net's
// addrPortToSockaddrInet4/6 do: no wildcard rewriting, IPv4-mapped accepted
// on IPv4 sockets.
func (a *inetAddr) setAddrPort(family int, ap netip.AddrPort) error {
	ip := ap.Addr()
	switch family {
	case unix.AF_INET:
		if !ip.Is4() && !ip.Is4In6() {
			return &net.AddrError{Err: "non-IPv4 address", Addr: ip.String()}
		}
		ip4 := ip.As4()
		*a = inetAddr{family: family, port: int(ap.Port())}
		copy(a.ip[:], ip4[:])
		return nil
	case unix.AF_INET6:
		*a = inetAddr{family: family, ip: ip.As16(), port: int(ap.Port()), zone: zoneIndex(ip.Zone())}
		return nil
	}
	return &net.AddrError{Err: "invalid address family", Addr: ip.String()}
}

// addrWithIP is an address (net.UDPAddr, net.IPAddr) and the bytes of its IP,
// allocated together: one allocation per received address where net makes
// two.
type addrWithIP[A any] struct {
	addr A
	ip   [16]byte
}

// isAddr reports whether a holds an address.
func (a *inetAddr) isAddr() bool { return a.family == unix.AF_INET || a.family == unix.AF_INET6 }

// ipIn copies a's IP into buf and returns it as net has it, with its zone's
// name: 4 bytes long on AF_INET and 16 on AF_INET6, its capacity its length.
func (a *inetAddr) ipIn(buf *[16]byte) (net.IP, string) {
	*buf = a.ip
	if a.family == unix.AF_INET {
		return buf[:4:4], ""
	}
	return buf[:], zoneName(a.zone)
}

// udpAddr returns a as a new *net.UDPAddr, or nil if a is no address.
func (a *inetAddr) udpAddr() *net.UDPAddr {
	if !a.isAddr() {
		return nil
	}
	b := new(addrWithIP[net.UDPAddr])
	ip, zone := a.ipIn(&b.ip)
	b.addr = net.UDPAddr{IP: ip, Port: a.port, Zone: zone}
	return &b.addr
}

// ipAddr returns a as a new *net.IPAddr, or nil if a is no address.
func (a *inetAddr) ipAddr() *net.IPAddr {
	if !a.isAddr() {
		return nil
	}
	b := new(addrWithIP[net.IPAddr])
	ip, zone := a.ipIn(&b.ip)
	b.addr = net.IPAddr{IP: ip, Zone: zone}
	return &b.addr
}

// addrPort returns a as a netip.AddrPort without unmapping anything, as
// net's UDP readers do; the zero AddrPort if a is no address.
func (a *inetAddr) addrPort() netip.AddrPort {
	switch a.family {
	case unix.AF_INET:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(a.ip[:4])), uint16(a.port))
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.ip).WithZone(zoneName(a.zone)), uint16(a.port))
	}
	return netip.AddrPort{}
}

// htons and ntohs convert a port to and from network byte order.
func htons(port int) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], uint16(port))
	return binary.NativeEndian.Uint16(b[:])
}

func ntohs(port uint16) int {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], port)
	return int(binary.BigEndian.Uint16(b[:]))
}
