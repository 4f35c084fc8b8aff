//go:build linux || dragonfly || freebsd || netbsd

package evnet

import "golang.org/x/sys/unix"

// setKeepAliveIdle sets the idle time before keep-alive probes, in seconds.
func setKeepAliveIdle(fd, secs int) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, secs)
}

// setKeepAliveInterval sets the interval between probes, in seconds.
func setKeepAliveInterval(fd, secs int) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, secs)
}

// setKeepAliveCount sets the number of unanswered probes before reset.
func setKeepAliveCount(fd, n int) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, n)
}
