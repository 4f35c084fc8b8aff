package evnet

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// sendFlags go with every send on a stream socket; darwin sockets get
// SO_NOSIGPIPE at creation instead of MSG_NOSIGNAL.
const sendFlags = 0

// sysSocket creates a nonblocking, close-on-exec socket. darwin has no
// SOCK_CLOEXEC: hold ForkLock so that no fork sees the fd before
// CloseOnExec, as net's sysSocket does.
func sysSocket(family, sotype, proto int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := socketFunc(family, sotype, proto)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := prepareFd(fd); err != nil {
		unix.Close(fd) // the setup error is the one worth reporting
		return -1, err
	}
	return fd, nil
}

// prepareFd makes a new darwin socket nonblocking and SIGPIPE-free.
func prepareFd(fd int) error {
	if err := unix.SetNonblock(fd, true); err != nil {
		return os.NewSyscallError("setnonblock", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_NOSIGPIPE, 1); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	return nil
}

// setKeepAliveIdle sets the idle time before keep-alive probes, in seconds.
func setKeepAliveIdle(fd, secs int) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPALIVE, secs)
}

// setKeepAliveInterval sets the interval between probes, in seconds.
func setKeepAliveInterval(fd, secs int) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, secs)
}

// setKeepAliveCount sets the number of unanswered probes before reset.
func setKeepAliveCount(fd, n int) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, n)
}

// prepareAccepted makes an accepted socket nonblocking and SIGPIPE-free.
func prepareAccepted(fd int) error {
	if err := unix.SetNonblock(fd, true); err != nil {
		return err
	}
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_NOSIGPIPE, 1)
}
