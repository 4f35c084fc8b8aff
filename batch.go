//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"net"
	"syscall"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
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
	n, err := c.fd.recvMsgs(ms, flags)
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
// On Linux one sendmmsg(2) writes the batch; elsewhere one message is
// written per call.
func (c *UDPConn) WriteBatch(ms []ipv4.Message, flags int) (int, error) {
	if !c.ok() {
		return 0, syscall.EINVAL
	}
	if len(ms) == 0 {
		return 0, nil
	}
	sas := make([]unix.Sockaddr, len(ms))
	for i := range ms {
		a, ok := ms[i].Addr.(*net.UDPAddr)
		var err error
		if ms[i].Addr != nil && !ok {
			err = syscall.EINVAL // as WriteTo with an addr of another type
		} else if err = c.destination(a != nil); err == nil {
			sas[i], err = udpSockaddr(c.fd.family, a)
		}
		if err != nil {
			return 0, opError("write", c.fd.net, c.fd.laddr, ms[i].Addr, err)
		}
	}
	n, err := c.fd.sendMsgs(ms, sas, flags)
	if err != nil {
		return 0, opError("write", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return n, nil
}
