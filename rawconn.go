//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// rawConn implements syscall.RawConn on an evnet socket: Read and Write
// wait on evnet's loop, not the runtime's poller.
type rawConn struct{ fd *netFD }

func (c *rawConn) ok() bool { return c != nil && c.fd != nil }

// Control runs f with the fd held open.
func (c *rawConn) Control(f func(uintptr)) error {
	if !c.ok() {
		return syscall.EINVAL
	}
	err := c.fd.control(func(s int) error { f(uintptr(s)); return nil })
	return opError("raw-control", c.fd.net, nil, c.fd.laddr, err)
}

// Read calls f until it reports done, waiting for readability between calls.
func (c *rawConn) Read(f func(uintptr) bool) error {
	if !c.ok() {
		return syscall.EINVAL
	}
	err := c.rawWait(f, true)
	return opError("raw-read", c.fd.net, c.fd.laddr, c.fd.raddr, err)
}

// Write calls f until it reports done, waiting for writability between
// calls.
func (c *rawConn) Write(f func(uintptr) bool) error {
	if !c.ok() {
		return syscall.EINVAL
	}
	err := c.rawWait(f, false)
	return opError("raw-write", c.fd.net, c.fd.laddr, c.fd.raddr, err)
}

func (c *rawConn) rawWait(f func(uintptr) bool, read bool) error {
	return c.fd.ioWait(read, "", func(s int) error {
		if f(uintptr(s)) {
			return nil
		}
		return errAgain
	})
}

// errAgain makes ioWait wait: the RawConn callback asked for readiness.
var errAgain error = unix.EAGAIN

// rawListener is the RawConn of a listener: Read and Write are not
// supported, as in net.
type rawListener struct{ rawConn }

func (l *rawListener) Read(func(uintptr) bool) error  { return syscall.EINVAL }
func (l *rawListener) Write(func(uintptr) bool) error { return syscall.EINVAL }
