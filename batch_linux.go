package evnet

import (
	"net"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// mmsgs holds the kernel's view of a batch: one mmsghdr per datagram (or
// per GSO run of datagrams, see gso_linux.go), their iovecs, names and
// control messages. A UDPConn keeps one per direction (batchBufs), made by
// its first batch, grown to its largest, and used only under that
// direction's lock. The headers point into the messages' buffers only
// during one recvmmsg or sendmmsg: every attempt packs them, makes the call
// and clears them, so nothing of the caller's is kept in between.
type mmsgs struct {
	hs    []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6 // room for either family
	runs  []int                   // send: how many messages header i carries
	cmsgs []gsoCmsg               // send: the UDP_SEGMENT of a run's header
}

// batchBufs are a UDPConn's reusable batch headers, nil until its first
// ReadBatch or WriteBatch, and what WriteBatch learned about GSO.
type batchBufs struct {
	r, w *mmsgs
	gso  gsoState
}

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
// a receive (send false) every message gets a header with room for a name.
// For a send, a header carries one message to its destination (none if
// ms[i].Addr is nil) or, if gso is not nil, a GSO run of messages.
func (m *mmsgs) pack(ms []ipv4.Message, family int, send bool, gso *gsoState) error {
	niov := 0
	for i := range ms {
		niov += len(ms[i].Buffers)
	}
	if cap(m.hs) < len(ms) {
		m.hs = make([]unix.Mmsghdr, len(ms))
		m.names = make([]unix.RawSockaddrInet6, len(ms))
		m.runs = make([]int, len(ms))
		m.cmsgs = make([]gsoCmsg, len(ms))
	}
	if cap(m.iovs) < niov {
		m.iovs = make([]unix.Iovec, niov)
	}
	m.hs, m.iovs = m.hs[:len(ms)], m.iovs[:niov]
	iovs := m.iovs
	nh := 0
	for i := 0; i < len(ms); nh++ {
		h := &m.hs[nh].Hdr
		run, size := 1, 0
		var to inetAddr
		if gso != nil {
			run, size = gso.run(ms[i:], family, &to)
		}
		if run < 2 {
			run = 1
			if send {
				// WriteBatch has checked every destination; an error here
				// means ms changed since.
				a, _ := ms[i].Addr.(*net.UDPAddr)
				if err := to.setUDP(family, a); err != nil {
					return err
				}
			}
			if len(ms[i].OOB) > 0 {
				h.Control = &ms[i].OOB[0]
				h.SetControllen(len(ms[i].OOB))
			}
		} else {
			cm := &m.cmsgs[nh]
			cm.set(size)
			h.Control = (*byte)(unsafe.Pointer(cm))
			h.SetControllen(unix.CmsgSpace(2))
		}
		n := 0
		for _, msg := range ms[i : i+run] {
			for _, b := range msg.Buffers {
				if len(b) > 0 {
					iovs[n].Base = &b[0]
				}
				iovs[n].SetLen(len(b))
				n++
			}
		}
		if n > 0 {
			h.Iov = &iovs[0]
			h.SetIovlen(n)
			iovs = iovs[n:]
		}
		m.runs[nh] = run
		i += run
		namelen := uint32(unix.SizeofSockaddrInet6)
		if send {
			if namelen = to.toRaw(&m.names[nh]); namelen == 0 {
				continue
			}
		}
		h.Name = (*byte)(unsafe.Pointer(&m.names[nh]))
		h.Namelen = namelen
	}
	m.hs = m.hs[:nh]
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
		if err := m.pack(ms, fd.family, false, nil); err != nil {
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
		for {
			gso := c.batch.gsoFor(s, flags)
			if err := m.pack(ms, fd.family, true, gso); err != nil {
				m.clear()
				return err
			}
			h, err := m.call(s, unix.SYS_SENDMMSG, flags|sendFlags)
			if err == nil {
				n = m.sent(ms, h)
			}
			// A first header that failed as a GSO run is sent again
			// without: see gso_linux.go.
			retry := err != nil && m.runs[0] > 1 && gso.failed(err, msgLen(&ms[0]))
			m.clear()
			if !retry {
				return err
			}
		}
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// sent sets N of the messages that the first h headers carried and returns
// how many they were.
func (m *mmsgs) sent(ms []ipv4.Message, h int) int {
	n := 0
	for i, run := range m.runs[:h] {
		if run == 1 {
			ms[n].N = int(m.hs[i].Len)
		} else {
			for j := n; j < n+run; j++ {
				ms[j].N = msgLen(&ms[j])
			}
		}
		n += run
	}
	return n
}
