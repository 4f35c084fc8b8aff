//go:build darwin || freebsd

package evnet

import "golang.org/x/sys/unix"

// readMsgFlags is 0: net does not use MSG_CMSG_CLOEXEC here (darwin lacks
// it) and marks received fds close-on-exec after recvmsg instead.
const readMsgFlags = 0

// setReadMsgCloseOnExec marks every fd received with SCM_RIGHTS in oob
// close-on-exec, as net's does. Malformed control data is skipped: it
// cannot hold fds the kernel installed.
func setReadMsgCloseOnExec(oob []byte) {
	scms, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return
	}
	for i := range scms {
		if scms[i].Header.Level != unix.SOL_SOCKET || scms[i].Header.Type != unix.SCM_RIGHTS {
			continue
		}
		fds, err := unix.ParseUnixRights(&scms[i])
		if err != nil {
			continue
		}
		for _, fd := range fds {
			unix.CloseOnExec(fd)
		}
	}
}
