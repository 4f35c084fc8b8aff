//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import "golang.org/x/sys/unix"

// listenerBacklog is the listen(2) backlog.
func listenerBacklog() int { return unix.SOMAXCONN }
