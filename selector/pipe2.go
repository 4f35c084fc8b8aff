//go:build dragonfly || freebsd || linux || netbsd || openbsd || solaris

package selector

import (
	"os"

	"golang.org/x/sys/unix"
)

// Pipe returns a pipe whose two ends are nonblocking and close-on-exec. The
// poll selector interrupts itself with one; the pipe waker in package waker
// is one. The caller owns and closes both fds.
func Pipe() (r, w int, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return -1, -1, os.NewSyscallError("pipe2", err)
	}
	return p[0], p[1], nil
}
