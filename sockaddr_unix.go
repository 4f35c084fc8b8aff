//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"net"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"
)

// zoneName returns the interface name of a zone index, or its number, as
// net's zoneCache does.
func zoneName(idx uint32) string {
	if idx == 0 {
		return ""
	}
	if ifi, err := net.InterfaceByIndex(int(idx)); err == nil {
		return ifi.Name
	}
	return strconv.Itoa(int(idx))
}

// zoneIndex returns the interface index of a zone name, else the number
// its leading decimal digits make, capped at 0xFFFFFF, as net's zoneCache
// (its dtoi) does.
func zoneIndex(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	const big = 0xFFFFFF
	var n uint32
	for i := 0; i < len(zone) && '0' <= zone[i] && zone[i] <= '9'; i++ {
		if n = n*10 + uint32(zone[i]-'0'); n >= big {
			return big
		}
	}
	return n
}

// ipToSockaddr converts ip and port to a sockaddr of family with net's rules
// (inetAddr.setIP's): an IPv4 address becomes IPv4-mapped for AF_INET6, and
// an unspecified one the wildcard.
func ipToSockaddr(family int, ip net.IP, port int, zone string) (unix.Sockaddr, error) {
	var a inetAddr
	if err := a.setIP(family, ip, port, zone); err != nil {
		return nil, err
	}
	return a.sockaddr(), nil
}

// sockaddrToIPPort extracts the address of an inet sockaddr.
func sockaddrToIPPort(sa unix.Sockaddr) (net.IP, int, string, bool) {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return net.IP(append([]byte(nil), sa.Addr[:]...)), sa.Port, "", true
	case *unix.SockaddrInet6:
		return net.IP(append([]byte(nil), sa.Addr[:]...)), sa.Port, zoneName(sa.ZoneId), true
	}
	return nil, 0, "", false
}

// sockaddrToAddr converts a sockaddr to the net.Addr of a socket type, or
// nil (a nil interface) if there is none.
func sockaddrToAddr(sotype int, sa unix.Sockaddr) net.Addr {
	if ip, port, zone, ok := sockaddrToIPPort(sa); ok {
		return netAddr(sotype, ip, port, zone)
	}
	if sa, ok := sa.(*unix.SockaddrUnix); ok {
		return &net.UnixAddr{Name: sa.Name, Net: unixNet(sotype)}
	}
	return nil
}

// netAddr returns the net.Addr of a socket type for an IP, port and zone,
// or nil (a nil interface) if the type has none.
func netAddr(sotype int, ip net.IP, port int, zone string) net.Addr {
	switch sotype {
	case unix.SOCK_STREAM:
		return &net.TCPAddr{IP: ip, Port: port, Zone: zone}
	case unix.SOCK_DGRAM:
		return &net.UDPAddr{IP: ip, Port: port, Zone: zone}
	case unix.SOCK_RAW:
		return &net.IPAddr{IP: ip, Zone: zone}
	}
	return nil
}

// unixNet names the net of a unix socket type.
func unixNet(sotype int) string {
	switch sotype {
	case unix.SOCK_DGRAM:
		return "unixgram"
	case unix.SOCK_SEQPACKET:
		return "unixpacket"
	}
	return "unix"
}

// addrPortToSockaddr converts an AddrPort for a socket of family.
func addrPortToSockaddr(family int, ap netip.AddrPort) (unix.Sockaddr, error) {
	ip := ap.Addr()
	if !ip.IsValid() {
		return nil, &net.AddrError{Err: "invalid address", Addr: ap.String()}
	}
	return ipToSockaddr(family, net.IP(ip.AsSlice()), int(ap.Port()), ip.Zone())
}

// ipFamily reports the socket family, AF_INET or AF_INET6, for an IP; an
// unspecified IP has no family of its own (0).
func ipFamily(ip net.IP) int {
	if len(ip) == 0 {
		return 0
	}
	if ip.To4() != nil {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// isWildcard reports whether ip is empty or unspecified.
func isWildcard(ip net.IP) bool { return len(ip) == 0 || ip.IsUnspecified() }

// favoriteFamily chooses the family and IPV6_V6ONLY of an inet socket, as
// net's favoriteAddrFamily does: a network ending in 4 or 6 decides; a
// wildcard listener is dual-stack IPv6; two IPv4 endpoints make AF_INET.
func favoriteFamily(network string, laddr, raddr net.IP, listen bool) (family int, ipv6only bool) {
	switch network[len(network)-1] {
	case '4':
		return unix.AF_INET, false
	case '6':
		return unix.AF_INET6, true
	}
	if listen && isWildcard(laddr) {
		if supportsIPv4map() || !supportsIPv4() {
			return unix.AF_INET6, false
		}
		return unix.AF_INET, false
	}
	lf, rf := ipFamily(laddr), ipFamily(raddr)
	if (lf == 0 || lf == unix.AF_INET) && (rf == 0 || rf == unix.AF_INET) {
		return unix.AF_INET, false
	}
	return unix.AF_INET6, false
}
