package evnet

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The datagram system calls of inet sockets, on the kernel's own sockaddrs
// in stack memory: x/sys's wrappers take and return a unix.Sockaddr, which
// costs two allocations per datagram, and its Recvfrom and Recvmsg ask
// getsockopt(SO_PROTOCOL) for every AF_INET or AF_INET6 sender (to tell
// L2TP apart), a second system call per datagram. They are direct system
// calls on every Linux architecture x/sys lists (on 386 and s390x, which
// had only socketcall before, since Linux 4.3). They return the raw errno.

// toRaw writes a into rsa, which has room for either family, and returns
// the length to give the kernel: 0 for no address.
func (a *inetAddr) toRaw(rsa *unix.RawSockaddrInet6) uint32 {
	switch a.family {
	case unix.AF_INET:
		r := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		*r = unix.RawSockaddrInet4{Family: unix.AF_INET, Port: htons(a.port), Addr: [4]byte(a.ip[:4])}
		return unix.SizeofSockaddrInet4
	case unix.AF_INET6:
		*rsa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Port: htons(a.port), Scope_id: a.zone, Addr: a.ip}
		return unix.SizeofSockaddrInet6
	}
	return 0
}

// fromRaw decodes the name the kernel wrote into rsa for a socket of
// family. As net's readFromInet4/6, it goes by the socket's family, not the
// name's: a name the kernel left empty is the family's zero address.
func (a *inetAddr) fromRaw(family int, rsa *unix.RawSockaddrInet6) {
	switch family {
	case unix.AF_INET:
		r := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		*a = inetAddr{family: family, port: ntohs(r.Port)}
		copy(a.ip[:], r.Addr[:])
	case unix.AF_INET6:
		*a = inetAddr{family: family, ip: rsa.Addr, port: ntohs(rsa.Port), zone: rsa.Scope_id}
	default:
		*a = inetAddr{}
	}
}

// recvfromInet receives one datagram into p and its sender into from.
func recvfromInet(s int, p []byte, family int, from *inetAddr) (int, error) {
	var rsa unix.RawSockaddrInet6
	salen := uint32(unix.SizeofSockaddrInet6)
	r, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(s), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)),
		0, uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&salen)))
	if e != 0 {
		return 0, e
	}
	from.fromRaw(family, &rsa)
	return int(r), nil
}

// recvmsgInet receives one datagram into p, its control data into oob and
// its sender into from.
func recvmsgInet(s int, p, oob []byte, flags, family int, from *inetAddr) (n, oobn, rflags int, err error) {
	var rsa unix.RawSockaddrInet6
	var iov unix.Iovec
	msg := unix.Msghdr{Name: (*byte)(unsafe.Pointer(&rsa)), Namelen: unix.SizeofSockaddrInet6}
	if len(p) > 0 {
		iov.Base = &p[0]
		iov.SetLen(len(p))
		msg.Iov = &iov
		msg.SetIovlen(1)
	}
	if len(oob) > 0 {
		msg.Control = &oob[0]
		msg.SetControllen(len(oob))
	}
	r, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(s), uintptr(unsafe.Pointer(&msg)), uintptr(flags))
	if e != 0 {
		return 0, 0, 0, e
	}
	from.fromRaw(family, &rsa)
	return int(r), int(msg.Controllen), int(msg.Flags), nil
}

// sendtoInet sends p as one datagram to to, or to the peer if to is no
// address.
func sendtoInet(s int, p []byte, to *inetAddr) (int, error) {
	var rsa unix.RawSockaddrInet6
	var name unsafe.Pointer
	salen := to.toRaw(&rsa)
	if salen > 0 {
		name = unsafe.Pointer(&rsa)
	}
	r, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(s), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)),
		sendFlags, uintptr(name), uintptr(salen))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// sendmsgInet sends p with the control data oob as one datagram to to, or
// to the peer if to is no address.
func sendmsgInet(s int, p, oob []byte, to *inetAddr) (int, error) {
	var rsa unix.RawSockaddrInet6
	var iov unix.Iovec
	var msg unix.Msghdr
	if salen := to.toRaw(&rsa); salen > 0 {
		msg.Name = (*byte)(unsafe.Pointer(&rsa))
		msg.Namelen = salen
	}
	if len(p) > 0 {
		iov.Base = &p[0]
		iov.SetLen(len(p))
		msg.Iov = &iov
		msg.SetIovlen(1)
	}
	if len(oob) > 0 {
		msg.Control = &oob[0]
		msg.SetControllen(len(oob))
	}
	r, _, e := unix.Syscall(unix.SYS_SENDMSG, uintptr(s), uintptr(unsafe.Pointer(&msg)), sendFlags)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
