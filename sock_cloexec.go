//go:build linux || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"os"

	"golang.org/x/sys/unix"
)

// sendFlags go with every send on a stream socket: never raise SIGPIPE.
const sendFlags = unix.MSG_NOSIGNAL

// sysSocket creates a nonblocking, close-on-exec socket in one syscall.
func sysSocket(family, sotype, proto int) (int, error) {
	fd, err := socketFunc(family, sotype|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	return fd, nil
}
