package evnet

import (
	"net"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// mmsgs holds the kernel's view of a batch: one mmsghdr per message, their
// iovecs and their names. A UDPConn keeps one per direction (batchBufs),
// made by its first batch, grown to its largest, and used only under that
// direction's lock. The headers point into the messages' buffers only
// during one recvmmsg or sendmmsg: every attempt packs them, makes the call
// and clears them, so nothing of the caller's is kept in between.
type mmsgs struct {
	hs    []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6 // room for either family
}

// batchBufs are a UDPConn's reusable batch headers, nil until its first
// ReadBatch or WriteBatch.
type batchBufs struct{ r, w *mmsgs }

// reader returns the headers of ReadBatch; call it under the read lock.
func (b *batchBufs) reader() *mmsgs {
	if b.r == nil {
		b.r = new(mmsgs)
	}
	return b.r
}

// writer returns the headers of WriteBatch; call it under the write lock.
func (b *batchBufs) writer() *mmsgs {
	if b.w == nil {
		b.w = new(mmsgs)
	}
	return b.w
}

// pack points the headers at the buffers of ms for a socket of family. For
// a receive every message gets room for a name; for a send (send set),
// message i gets its destination, none if ms[i].Addr is nil.
func (m *mmsgs) pack(ms []ipv4.Message, family int, send bool) error {
	niov := 0
	for i := range ms {
		niov += len(ms[i].Buffers)
	}
	if cap(m.hs) < len(ms) {
		m.hs = make([]unix.Mmsghdr, len(ms))
		m.names = make([]unix.RawSockaddrInet6, len(ms))
	}
	if cap(m.iovs) < niov {
		m.iovs = make([]unix.Iovec, niov)
	}
	m.hs, m.names, m.iovs = m.hs[:len(ms)], m.names[:len(ms)], m.iovs[:niov]
	iovs := m.iovs
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
		namelen := uint32(unix.SizeofSockaddrInet6)
		if send {
			// WriteBatch has checked every destination; an error here means
			// ms changed since.
			a, _ := ms[i].Addr.(*net.UDPAddr)
			var to inetAddr
			if err := to.setUDP(family, a); err != nil {
				return err
			}
			if namelen = to.toRaw(&m.names[i]); namelen == 0 {
				continue
			}
		}
		h.Name = (*byte)(unsafe.Pointer(&m.names[i]))
		h.Namelen = namelen
	}
	return nil
}

// clear zeroes the headers and iovecs of the last pack: the next pack starts
// from zero values, and no pointer into the caller's buffers is kept.
func (m *mmsgs) clear() {
	clear(m.hs)
	clear(m.iovs)
}

// call makes one recvmmsg or sendmmsg (trap) over the packed headers. x/sys
// has no wrapper for either; both are direct system calls on every Linux
// architecture x/sys lists (on 386 since Linux 4.3).
func (m *mmsgs) call(s int, trap uintptr, flags int) (int, error) {
	r, _, e := unix.Syscall6(trap, uintptr(s), uintptr(unsafe.Pointer(&m.hs[0])), uintptr(len(m.hs)), uintptr(flags), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// readBatch receives up to len(ms) datagrams with one recvmmsg.
func (c *UDPConn) readBatch(ms []ipv4.Message, flags int) (int, error) {
	fd := c.fd
	var n int
	err := fd.ioWait(true, "recvmmsg", func(s int) error {
		m := c.batch.reader()
		if err := m.pack(ms, fd.family, false); err != nil {
			m.clear()
			return err
		}
		var err error
		if n, err = m.call(s, unix.SYS_RECVMMSG, flags); err == nil {
			for i := range ms[:n] {
				h := &m.hs[i]
				ms[i].N = int(h.Len)
				ms[i].NN = int(h.Hdr.Controllen)
				ms[i].Flags = int(h.Hdr.Flags)
				ms[i].Addr = nil // a nil interface, never a typed nil
				if h.Hdr.Namelen >= rawNameLen(fd.family) {
					var from inetAddr
					from.fromRaw(fd.family, &m.names[i])
					ms[i].Addr = from.udpAddr()
				}
			}
		}
		m.clear()
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// rawNameLen is the length of a name of family.
func rawNameLen(family int) uint32 {
	if family == unix.AF_INET {
		return unix.SizeofSockaddrInet4
	}
	return unix.SizeofSockaddrInet6
}

// writeBatch sends up to len(ms) datagrams with one sendmmsg, message i to
// ms[i].Addr (nil: the peer).
func (c *UDPConn) writeBatch(ms []ipv4.Message, flags int) (int, error) {
	fd := c.fd
	var n int
	err := fd.ioWait(false, "sendmmsg", func(s int) error {
		m := c.batch.writer()
		if err := m.pack(ms, fd.family, true); err != nil {
			m.clear()
			return err
		}
		var err error
		if n, err = m.call(s, unix.SYS_SENDMMSG, flags|sendFlags); err == nil {
			for i := range ms[:n] {
				ms[i].N = int(m.hs[i].Len)
			}
		}
		m.clear()
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
