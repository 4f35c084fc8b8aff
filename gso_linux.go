package evnet

import (
	"net"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// WriteBatch sends runs of messages with UDP generic segmentation offload
// (UDP_SEGMENT, udp(7), Linux 4.18): consecutive messages to one
// destination, of one length (the last may be shorter) and without
// control data share one header of the sendmmsg, whose data is their
// concatenation and whose control message gives the segment size. The
// stack handles the run as one packet down to the device (on loopback,
// down to the receiving socket) and cuts it there into the datagrams that
// it would have sent one by one: a receiver sees the same datagrams in the
// same order (unless it asked for UDP_GRO). This saves the sending path's
// per-datagram work (route, headers, queueing, the loopback's softirq),
// which is most of the cost of a small datagram.
//
// What GSO cannot carry goes without it: a kernel without UDP_SEGMENT
// (asked once per conn with getsockopt: older kernels would ignore the
// control message and send the run as one datagram), flags with MSG_MORE,
// and whatever made a run fail as the first header of a sendmmsg, which is
// then sent again without GSO: a route that cannot segment (EIO, as IPsec;
// GSO is then off for the conn), a segment larger than the path MTU allows,
// or checksums turned off (EINVAL, EMSGSIZE: that segment size and larger
// then go without GSO on the conn). A run that fails behind other headers
// ends the sendmmsg there, as any failed message does; the next WriteBatch
// starts with it.

const (
	gsoMaxSegments = 64    // UDP_MAX_SEGMENTS of Linux 4.18 (later kernels allow more)
	gsoMaxBytes    = 65507 // the payload of the largest IPv4 datagram
	gsoMaxIovecs   = 1024  // UIO_MAXIOV
)

// gsoState is what a conn has learned about GSO; it is used only under the
// write lock.
type gsoState struct {
	checked bool // UDP_SEGMENT support was asked
	off     bool // unsupported, or the route cannot segment
	tooBig  int  // the smallest segment size that failed; 0: none yet
}

// gsoCmsg is a UDP_SEGMENT control message: its size is CmsgSpace(2) and
// the segment size sits at CmsgLen(0) on every Linux architecture.
type gsoCmsg struct {
	hdr  unix.Cmsghdr
	size uint16
}

func (c *gsoCmsg) set(size int) {
	c.hdr.Level, c.hdr.Type = unix.SOL_UDP, unix.UDP_SEGMENT
	c.hdr.SetLen(unix.CmsgLen(2))
	c.size = uint16(size)
}

// gsoFor returns the conn's GSO state for a WriteBatch with flags on
// socket s, or nil if it must not use GSO. Call it under the write lock.
func (b *batchBufs) gsoFor(s, flags int) *gsoState {
	g := &b.gso
	if !g.checked {
		g.checked = true
		// ENOPROTOOPT before Linux 4.18.
		_, err := unix.GetsockoptInt(s, unix.IPPROTO_UDP, unix.UDP_SEGMENT)
		g.off = err != nil
	}
	if g.off || flags&unix.MSG_MORE != 0 {
		// MSG_MORE corks messages into one datagram; leave that to the
		// kernel's plain path.
		return nil
	}
	return g
}

// failed records that a run of segments of size failed with err as the
// first header of a sendmmsg, and reports whether to send it again
// without GSO.
func (g *gsoState) failed(err error, size int) bool {
	switch err {
	case unix.EIO, unix.ENOPROTOOPT, unix.EOPNOTSUPP:
		g.off = true
		return true
	case unix.EINVAL, unix.EMSGSIZE:
		g.tooBig = size
		return true
	}
	// EAGAIN, and the errors a plain send gives too (a pending ICMP error,
	// an unreachable network), are the batch's.
	return false
}

// msgLen is the length of the datagram of m.
func msgLen(m *ipv4.Message) int {
	n := 0
	for _, b := range m.Buffers {
		n += len(b)
	}
	return n
}

// run returns how many leading messages of ms one GSO header can carry and
// their segment size, with their destination in to; n < 2 means none.
func (g *gsoState) run(ms []ipv4.Message, family int, to *inetAddr) (n, size int) {
	if len(ms) < 2 || len(ms[0].OOB) > 0 {
		return 0, 0
	}
	size = msgLen(&ms[0])
	if size == 0 || (g.tooBig > 0 && size >= g.tooBig) {
		return 0, 0 // a zero-length datagram is no segment
	}
	a0, _ := ms[0].Addr.(*net.UDPAddr)
	if to.setUDP(family, a0) != nil {
		return 0, 0
	}
	total, iovs := size, len(ms[0].Buffers)
	for n = 1; n < len(ms) && n < gsoMaxSegments; n++ {
		m := &ms[n]
		l := msgLen(m)
		if len(m.OOB) > 0 || l == 0 || l > size || total+l > gsoMaxBytes || iovs+len(m.Buffers) > gsoMaxIovecs {
			break
		}
		if a, _ := m.Addr.(*net.UDPAddr); a != a0 {
			var t inetAddr
			if t.setUDP(family, a) != nil || t != *to {
				break
			}
		}
		total, iovs = total+l, iovs+len(m.Buffers)
		if l < size {
			return n + 1, size // only the last segment may be shorter
		}
	}
	return n, size
}
