//go:build darwin || netbsd || openbsd

package evnet

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// acceptName is the syscall named in accept errors.
const acceptName = "accept"

// sysAccept accepts a connection and makes it nonblocking and close-on-exec,
// holding ForkLock so that no fork sees it first (x/sys has no accept4 here).
func sysAccept(fd int) (int, unix.Sockaddr, error) {
	syscall.ForkLock.RLock()
	nfd, sa, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, nil, err
	}
	if err := prepareAccepted(nfd); err != nil {
		unix.Close(nfd) // the setup error is the one worth reporting
		return -1, nil, err
	}
	return nfd, sa, nil
}
