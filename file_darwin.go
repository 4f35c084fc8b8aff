package evnet

import "golang.org/x/sys/unix"

// noSIGPIPE turns SIGPIPE off on an adopted socket: darwin has no
// MSG_NOSIGNAL (sendFlags is 0), so evnet's own sockets get SO_NOSIGPIPE at
// creation and adopted ones get it here.
func noSIGPIPE(s int) error {
	return unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_NOSIGPIPE, 1)
}
