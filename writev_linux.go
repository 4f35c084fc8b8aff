package evnet

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

var iovecs vecPool[unix.Iovec]

// toIovec is the iovec of a non-empty b.
func toIovec(b []byte) unix.Iovec {
	iov := unix.Iovec{Base: &b[0]}
	iov.SetLen(len(b))
	return iov
}

// sendv sends the next gather of v (see gather) with one sendmsg(2) and
// returns the bytes written; with nothing to send it makes no syscall and
// returns 0, nil. The iovecs live on the stack, or for more than iovSmall
// slices in a pooled array: no allocation in steady state, where x/sys's
// SendmsgBuffers makes one per call.
func sendv(s int, v [][]byte, stream bool) (int, error) {
	var small [iovSmall]unix.Iovec
	iov, big := gatherSmall(small[:], &iovecs, v, stream, toIovec)
	if big != nil {
		defer iovecs.put(big)
	}
	if len(iov) == 0 {
		return 0, nil
	}
	var msg unix.Msghdr
	msg.Iov = &iov[0]
	msg.SetIovlen(len(iov))
	r, _, e := unix.Syscall(unix.SYS_SENDMSG, uintptr(s), uintptr(unsafe.Pointer(&msg)), sendFlags)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
