//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"net"
	"syscall"

	"golang.org/x/net/ipv4"
)

// ReadBatch reads a batch of datagrams, as ipv4.PacketConn.ReadBatch (and
// ipv6's, whose Message is the same type) does: it fills the Buffers and OOB
// of ms from the start and sets N, NN, Flags and Addr (a *net.UDPAddr) of
// each message read. It returns how many messages it read, at least one
// unless there is an error; it waits on evnet's loop until one arrives.
// flags go to the system call (such as unix.MSG_WAITFORONE).
//
// On Linux one recvmmsg(2) reads the batch; elsewhere one message is read
// per call.
func (c *UDPConn) ReadBatch(ms []ipv4.Message, flags int) (int, error) {
	if !c.ok() {
		return 0, syscall.EINVAL
	}
	if len(ms) == 0 {
		return 0, nil
	}
	n, err := c.readBatch(ms, flags)
	if err != nil {
		return 0, opError("read", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return n, nil
}

// WriteBatch writes a batch of datagrams, as ipv4.PacketConn.WriteBatch
// does: message i goes to ms[i].Addr, a *net.UDPAddr, and N is set to the
// bytes sent. It returns how many messages were sent, which may be fewer
// than len(ms). Each destination is checked as WriteMsgUDP checks it: Addr
// must be nil on a connected socket and set on an unconnected one.
//
// On Linux one sendmmsg(2) writes the batch, and consecutive messages to
// one destination with one length go as one UDP GSO run (UDP_SEGMENT;
// see gso_linux.go): the receiver gets the same datagrams, for much less
// work per datagram on the sending side. Elsewhere one message is written
// per call.
func (c *UDPConn) WriteBatch(ms []ipv4.Message, flags int) (int, error) {
	if !c.ok() {
		return 0, syscall.EINVAL
	}
	if len(ms) == 0 {
		return 0, nil
	}
	for i := range ms {
		var to inetAddr // converted again under the write lock by writeBatch
		if err := c.batchDestination(&ms[i], &to); err != nil {
			return 0, opError("write", c.fd.net, c.fd.laddr, ms[i].Addr, err)
		}
	}
	n, err := c.writeBatch(ms, flags)
	if err != nil {
		return 0, opError("write", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return n, nil
}

// batchDestination checks the destination of m as WriteMsgUDP checks its
// addr and converts it into to (no address on a connected socket).
func (c *UDPConn) batchDestination(m *ipv4.Message, to *inetAddr) error {
	a, ok := m.Addr.(*net.UDPAddr)
	if m.Addr != nil && !ok {
		return syscall.EINVAL // as WriteTo with an addr of another type
	}
	if err := c.destination(a != nil); err != nil {
		return err
	}
	return to.setUDP(c.fd.family, a)
}
