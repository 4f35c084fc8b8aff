//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import "golang.org/x/sys/unix"

// The syscalls that fault-injection tests replace (RELIABILITY.md A14), as
// net's socketFunc, connectFunc and getsockoptIntFunc and internal/poll's
// Accept4Func. Nothing but tests writes them. (Close is loop's closeFunc.)
var (
	socketFunc        func(family, sotype, proto int) (int, error) = unix.Socket
	connectFunc       func(fd int, sa unix.Sockaddr) error         = unix.Connect
	getsockoptIntFunc func(fd, level, opt int) (int, error)        = unix.GetsockoptInt // connect's SO_ERROR
	acceptFunc                                                     = sysAccept
)
