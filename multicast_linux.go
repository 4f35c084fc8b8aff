package evnet

import (
	"net"

	"golang.org/x/sys/unix"
)

// setDefaultMulticastSockopts lets several sockets listen on one multicast
// port, as net's.
func setDefaultMulticastSockopts(s int) error {
	return wrapSyscallError("setsockopt", unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1))
}

func ifIndex(ifi *net.Interface) int32 {
	if ifi == nil {
		return 0
	}
	return int32(ifi.Index)
}

// setIPv4MulticastInterface selects ifi by index (ip_mreqn), as net on Linux.
func setIPv4MulticastInterface(s int, ifi *net.Interface) error {
	mreq := &unix.IPMreqn{Ifindex: ifIndex(ifi)}
	return wrapSyscallError("setsockopt", unix.SetsockoptIPMreqn(s, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, mreq))
}

func setIPv4MulticastLoopback(s int, v bool) error {
	return wrapSyscallError("setsockopt", unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, boolint(v)))
}

// joinIPv4Group joins the group ip4 (4 bytes) on ifi, or on the system's
// choice when ifi is nil.
func joinIPv4Group(s int, ifi *net.Interface, ip4 net.IP) error {
	mreq := &unix.IPMreqn{Multiaddr: [4]byte(ip4), Ifindex: ifIndex(ifi)}
	return wrapSyscallError("setsockopt", unix.SetsockoptIPMreqn(s, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq))
}
