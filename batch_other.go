//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// batchBufs has nothing to keep: these systems read and write one message
// per call.
type batchBufs struct{}

// readBatch receives one datagram into ms[0] with recvmsg: these systems
// have no recvmmsg that x/sys exposes, and x/net falls back the same way.
func (c *UDPConn) readBatch(ms []ipv4.Message, flags int) (int, error) {
	var sa unix.Sockaddr
	m := &ms[0]
	err := c.fd.ioWait(true, "recvmsg", func(s int) (e error) {
		m.N, m.NN, m.Flags, sa, e = unix.RecvmsgBuffers(s, m.Buffers, m.OOB, flags)
		return e
	})
	if err != nil {
		return 0, err
	}
	m.Addr = sockaddrToAddr(unix.SOCK_DGRAM, sa)
	return 1, nil
}

// writeBatch sends ms[0] to its Addr (nil: the peer) with sendmsg.
func (c *UDPConn) writeBatch(ms []ipv4.Message, flags int) (int, error) {
	m := &ms[0]
	var to inetAddr
	if err := c.batchDestination(m, &to); err != nil {
		return 0, err
	}
	err := c.fd.ioWait(false, "sendmsg", func(s int) (e error) {
		m.N, e = unix.SendmsgBuffers(s, m.Buffers, m.OOB, to.sockaddr(), flags|sendFlags)
		return e
	})
	if err != nil {
		return 0, err
	}
	return 1, nil
}
