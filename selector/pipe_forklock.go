//go:build aix || darwin

package selector

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Pipe returns a pipe whose two ends are nonblocking and close-on-exec. The
// poll selector interrupts itself with one; the pipe waker in package waker
// is one. The caller owns and closes both fds.
//
// There is no pipe2 here, so the flags are set afterwards, under
// syscall.ForkLock so that no fork+exec inherits the fds in between, as
// os.Pipe does on these systems.
func Pipe() (r, w int, err error) {
	var p [2]int
	syscall.ForkLock.RLock()
	err = unix.Pipe(p[:])
	if err == nil {
		unix.CloseOnExec(p[0])
		unix.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, -1, os.NewSyscallError("pipe", err)
	}
	for _, fd := range p {
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(p[0]) // the fcntl error is the one worth reporting
			unix.Close(p[1])
			return -1, -1, os.NewSyscallError("fcntl", err)
		}
	}
	return p[0], p[1], nil
}
