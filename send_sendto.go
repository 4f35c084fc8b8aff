//go:build linux || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// send writes p to the connected socket s with sendFlags (never SIGPIPE):
// sendto(2) with no address, the send that takes flags with the arguments
// of write(2); sendmsg would also copy in a msghdr and an iovec. No
// benchmark separated the two: the cross-process ping-pong's syscalls (strace
// -c) matched net's once this replaced sendmsg.
func send(s int, p []byte) (int, error) {
	var b unsafe.Pointer
	if len(p) > 0 {
		b = unsafe.Pointer(&p[0])
	}
	n, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(s), uintptr(b), uintptr(len(p)), sendFlags, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
