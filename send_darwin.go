package evnet

import "golang.org/x/sys/unix"

// send writes p to the connected socket s: write(2), as evnet's sockets on
// darwin carry SO_NOSIGPIPE (sendFlags is 0).
func send(s int, p []byte) (int, error) { return unix.Write(s, p) }
