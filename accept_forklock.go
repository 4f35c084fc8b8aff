//go:build darwin

package evnet

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// acceptName is the syscall named in accept errors.
const acceptName = "accept"

// sysAccept accepts a connection and makes it nonblocking and close-on-exec,
// holding ForkLock so that no fork sees it first (darwin has no accept4).
// It is syscall's accept, as net's, not x/sys's: see connaddr_unix.go.
func sysAccept(fd int) (int, syscall.Sockaddr, error) {
	syscall.ForkLock.RLock()
	nfd, sa, err := syscall.Accept(fd)
	if err == nil {
		syscall.CloseOnExec(nfd)
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
