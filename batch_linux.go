package evnet

import (
	"encoding/binary"
	"runtime"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// mmsgs holds the kernel's view of a batch: one mmsghdr per message, their
// iovecs and their socket addresses, all in Go memory. The headers point
// into that memory (and into the messages' buffers) only for the duration
// of one recvmmsg or sendmmsg call; runtime.KeepAlive keeps it reachable
// until the call has returned. Nothing of it is kept afterwards.
type mmsgs struct {
	hs  []unix.Mmsghdr
	sa4 []unix.RawSockaddrInet4 // the names of an AF_INET socket
	sa6 []unix.RawSockaddrInet6 // the names of an AF_INET6 socket
}

// packMmsgs builds the headers of ms for a socket of family. For a receive
// (sas nil) every message gets room for a name; for a send, message i gets
// sas[i] if it is not nil.
func packMmsgs(family int, ms []ipv4.Message, sas []unix.Sockaddr) *mmsgs {
	m := &mmsgs{hs: make([]unix.Mmsghdr, len(ms))}
	if family == unix.AF_INET {
		m.sa4 = make([]unix.RawSockaddrInet4, len(ms))
	} else {
		m.sa6 = make([]unix.RawSockaddrInet6, len(ms))
	}
	niov := 0
	for i := range ms {
		niov += len(ms[i].Buffers)
	}
	iovs := make([]unix.Iovec, niov)
	for i := range ms {
		h := &m.hs[i].Hdr
		if n := len(ms[i].Buffers); n > 0 {
			iov := iovs[:n:n]
			iovs = iovs[n:]
			for j, b := range ms[i].Buffers {
				if len(b) > 0 {
					iov[j].Base = &b[0]
				}
				iov[j].SetLen(len(b))
			}
			h.Iov = &iov[0]
			h.SetIovlen(n)
		}
		if len(ms[i].OOB) > 0 {
			h.Control = &ms[i].OOB[0]
			h.SetControllen(len(ms[i].OOB))
		}
		var sa unix.Sockaddr
		if sas != nil {
			if sa = sas[i]; sa == nil {
				continue
			}
		}
		m.setName(i, sa)
	}
	return m
}

// setName points header i at its name buffer, filled from sa if not nil.
func (m *mmsgs) setName(i int, sa unix.Sockaddr) {
	h := &m.hs[i].Hdr
	if m.sa4 != nil {
		raw := &m.sa4[i]
		if sa, ok := sa.(*unix.SockaddrInet4); ok {
			*raw = unix.RawSockaddrInet4{Family: unix.AF_INET, Port: htons(sa.Port), Addr: sa.Addr}
		}
		h.Name = (*byte)(unsafe.Pointer(raw))
		h.Namelen = unix.SizeofSockaddrInet4
		return
	}
	raw := &m.sa6[i]
	if sa, ok := sa.(*unix.SockaddrInet6); ok {
		*raw = unix.RawSockaddrInet6{Family: unix.AF_INET6, Port: htons(sa.Port), Scope_id: sa.ZoneId, Addr: sa.Addr}
	}
	h.Name = (*byte)(unsafe.Pointer(raw))
	h.Namelen = unix.SizeofSockaddrInet6
}

// name returns the sender of received message i, or nil.
func (m *mmsgs) name(i int) unix.Sockaddr {
	h := &m.hs[i].Hdr
	switch {
	case m.sa4 != nil && h.Namelen >= unix.SizeofSockaddrInet4 && m.sa4[i].Family == unix.AF_INET:
		return &unix.SockaddrInet4{Port: ntohs(m.sa4[i].Port), Addr: m.sa4[i].Addr}
	case m.sa6 != nil && h.Namelen >= unix.SizeofSockaddrInet6 && m.sa6[i].Family == unix.AF_INET6:
		return &unix.SockaddrInet6{Port: ntohs(m.sa6[i].Port), ZoneId: m.sa6[i].Scope_id, Addr: m.sa6[i].Addr}
	}
	return nil
}

// htons and ntohs convert a port to and from network byte order.
func htons(port int) uint16 {
	return binary.NativeEndian.Uint16(binary.BigEndian.AppendUint16(nil, uint16(port)))
}

func ntohs(port uint16) int {
	return int(binary.BigEndian.Uint16(binary.NativeEndian.AppendUint16(nil, port)))
}

// mmsg runs one recvmmsg or sendmmsg (trap) over m's headers through
// ioWait. x/sys has no wrapper for either; both are direct system calls on
// every Linux architecture x/sys lists (on 386 since Linux 4.3).
func (fd *netFD) mmsg(read bool, name string, trap uintptr, m *mmsgs, flags int) (int, error) {
	var n int
	err := fd.ioWait(read, name, func(s int) error {
		r, _, e := unix.Syscall6(trap, uintptr(s), uintptr(unsafe.Pointer(&m.hs[0])), uintptr(len(m.hs)), uintptr(flags), 0, 0)
		if e != 0 {
			return e
		}
		n = int(r)
		return nil
	})
	runtime.KeepAlive(m)
	return n, err
}

// recvMsgs receives up to len(ms) datagrams with one recvmmsg.
func (fd *netFD) recvMsgs(ms []ipv4.Message, flags int) (int, error) {
	m := packMmsgs(fd.family, ms, nil)
	n, err := fd.mmsg(true, "recvmmsg", unix.SYS_RECVMMSG, m, flags)
	runtime.KeepAlive(ms) // the buffers the headers point into
	if err != nil {
		return 0, err
	}
	for i := range ms[:n] {
		h := &m.hs[i]
		ms[i].N = int(h.Len)
		ms[i].NN = int(h.Hdr.Controllen)
		ms[i].Flags = int(h.Hdr.Flags)
		ms[i].Addr = sockaddrToAddr(unix.SOCK_DGRAM, m.name(i))
	}
	return n, nil
}

// sendMsgs sends up to len(ms) datagrams, message i to sas[i] (nil: the
// peer), with one sendmmsg.
func (fd *netFD) sendMsgs(ms []ipv4.Message, sas []unix.Sockaddr, flags int) (int, error) {
	m := packMmsgs(fd.family, ms, sas)
	n, err := fd.mmsg(false, "sendmmsg", unix.SYS_SENDMMSG, m, flags|sendFlags)
	runtime.KeepAlive(ms)
	if err != nil {
		return 0, err
	}
	for i := range ms[:n] {
		ms[i].N = int(m.hs[i].Len)
	}
	return n, nil
}
