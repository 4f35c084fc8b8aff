//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import "golang.org/x/sys/unix"

var byteVecs vecPool[[]byte]

// asIs is gather's conversion for SendmsgBuffers: none.
func asIs(b []byte) []byte { return b }

// sendv sends the next gather of v (see gather) with one sendmsg(2) and
// returns the bytes written; with nothing to send it makes no syscall and
// returns 0, nil. x/sys's SendmsgBuffers (which allocates its iovecs) makes
// the call: openbsd has no raw syscalls.
func sendv(s int, v [][]byte, stream bool) (int, error) {
	var small [iovSmall][]byte
	picked, big := gatherSmall(small[:], &byteVecs, v, stream, asIs)
	if big != nil {
		defer byteVecs.put(big)
	}
	if len(picked) == 0 {
		return 0, nil
	}
	return unix.SendmsgBuffers(s, picked, nil, nil, sendFlags)
}
