package evnet

import "golang.org/x/sys/unix"

// isMPTCP reports whether socket s speaks Multipath TCP.
func isMPTCP(s int) bool {
	proto, err := unix.GetsockoptInt(s, unix.SOL_SOCKET, unix.SO_PROTOCOL)
	return err == nil && proto == unix.IPPROTO_MPTCP
}
