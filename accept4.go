//go:build linux || dragonfly || freebsd

package evnet

import "golang.org/x/sys/unix"

// acceptName is the syscall named in accept errors.
const acceptName = "accept4"

// sysAccept accepts a nonblocking, close-on-exec connection in one syscall.
func sysAccept(fd int) (int, unix.Sockaddr, error) {
	return unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}
