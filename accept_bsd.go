//go:build netbsd || openbsd

package evnet

import "golang.org/x/sys/unix"

// prepareAccepted makes an accepted socket nonblocking.
func prepareAccepted(fd int) error { return unix.SetNonblock(fd, true) }
