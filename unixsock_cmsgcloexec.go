//go:build dragonfly || linux || netbsd || openbsd

package evnet

import "golang.org/x/sys/unix"

// readMsgFlags has the kernel install SCM_RIGHTS fds close-on-exec
// atomically, as net does on these systems.
const readMsgFlags = unix.MSG_CMSG_CLOEXEC

// setReadMsgCloseOnExec has nothing to do: see readMsgFlags.
func setReadMsgCloseOnExec([]byte) {}
