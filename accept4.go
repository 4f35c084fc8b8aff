//go:build linux || dragonfly || freebsd || netbsd || openbsd

package evnet

import "syscall"

// acceptName is the syscall named in accept errors.
const acceptName = "accept4"

// sysAccept accepts a nonblocking, close-on-exec connection in one syscall.
// It is syscall's accept4, as net's (which uses it on these five systems),
// not x/sys's: see connaddr_unix.go.
func sysAccept(fd int) (int, syscall.Sockaddr, error) {
	return syscall.Accept4(fd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
}
