//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"sync"

	"golang.org/x/sys/unix"
)

// ipStack records which IP features the kernel has, probed once as net's
// ipStackCapabilities does: by binding loopback sockets.
var ipStack = sync.OnceValue(func() (caps struct{ v4, v6, v4map bool }) {
	caps.v4 = probeBind(unix.AF_INET, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}, -1)
	caps.v6 = probeBind(unix.AF_INET6, &unix.SockaddrInet6{Addr: [16]byte{15: 1}}, 1)
	caps.v4map = probeBind(unix.AF_INET6, &unix.SockaddrInet6{Addr: [16]byte{10: 0xff, 11: 0xff, 12: 127, 15: 1}}, 0)
	return caps
})

// probeBind reports whether a TCP socket of family can bind sa, with
// IPV6_V6ONLY set to v6only unless it is negative.
func probeBind(family int, sa unix.Sockaddr, v6only int) bool {
	fd, err := unix.Socket(family, unix.SOCK_STREAM, unix.IPPROTO_TCP)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	if v6only >= 0 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
			return false
		}
	}
	return unix.Bind(fd, sa) == nil
}

func supportsIPv4() bool    { return ipStack().v4 }
func supportsIPv6() bool    { return ipStack().v6 }
func supportsIPv4map() bool { return ipStack().v4map }
