//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"errors"
	"net"

	"golang.org/x/sys/unix"
)

// net's unexported errors for an interface without an IPv4 address.
var (
	errNoSuchInterface          = errors.New("no such network interface")
	errNoSuchMulticastInterface = errors.New("no such multicast network interface")
)

// setDefaultMulticastSockopts lets several sockets listen on one multicast
// port, as net's: the BSDs need SO_REUSEPORT too.
func setDefaultMulticastSockopts(s int) error {
	if err := unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return wrapSyscallError("setsockopt", err)
	}
	return wrapSyscallError("setsockopt", unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1))
}

// interfaceIPv4 returns ifi's first IPv4 address, or nil.
func interfaceIPv4(ifi *net.Interface) (net.IP, error) {
	ifat, err := ifi.Addrs()
	if err != nil {
		return nil, err
	}
	for _, ifa := range ifat {
		var ip net.IP
		switch v := ifa.(type) {
		case *net.IPAddr:
			ip = v.IP
		case *net.IPNet:
			ip = v.IP
		}
		if ip4 := ip.To4(); ip4 != nil {
			return ip4, nil
		}
	}
	return nil, nil
}

// setIPv4MulticastInterface selects ifi by its IPv4 address, as net on the
// BSDs.
func setIPv4MulticastInterface(s int, ifi *net.Interface) error {
	ip, err := interfaceIPv4(ifi)
	if err == nil && ip == nil {
		err = errNoSuchInterface
	}
	if err != nil {
		return err
	}
	return wrapSyscallError("setsockopt", unix.SetsockoptInet4Addr(s, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, [4]byte(ip)))
}

func setIPv4MulticastLoopback(s int, v bool) error {
	return wrapSyscallError("setsockopt", unix.SetsockoptByte(s, unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, byte(boolint(v))))
}

// joinIPv4Group joins the group ip4 (4 bytes) on ifi's IPv4 address, or on
// the system's choice when ifi is nil.
func joinIPv4Group(s int, ifi *net.Interface, ip4 net.IP) error {
	mreq := &unix.IPMreq{Multiaddr: [4]byte(ip4)}
	if ifi != nil {
		ip, err := interfaceIPv4(ifi)
		if err != nil {
			return err
		}
		if ip == nil || ip.Equal(net.IPv4zero) {
			return errNoSuchMulticastInterface
		}
		mreq.Interface = [4]byte(ip)
	}
	return wrapSyscallError("setsockopt", unix.SetsockoptIPMreq(s, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq))
}
