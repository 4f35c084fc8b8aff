//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// recvMsgs receives one datagram into ms[0] with recvmsg: these systems have
// no recvmmsg that x/sys exposes, and x/net falls back the same way.
func (fd *netFD) recvMsgs(ms []ipv4.Message, flags int) (int, error) {
	var sa unix.Sockaddr
	m := &ms[0]
	err := fd.ioWait(true, "recvmsg", func(s int) (e error) {
		m.N, m.NN, m.Flags, sa, e = unix.RecvmsgBuffers(s, m.Buffers, m.OOB, flags)
		return e
	})
	if err != nil {
		return 0, err
	}
	m.Addr = sockaddrToAddr(unix.SOCK_DGRAM, sa)
	return 1, nil
}

// sendMsgs sends ms[0] to sas[0] (nil: the peer) with sendmsg.
func (fd *netFD) sendMsgs(ms []ipv4.Message, sas []unix.Sockaddr, flags int) (int, error) {
	m := &ms[0]
	err := fd.ioWait(false, "sendmsg", func(s int) (e error) {
		m.N, e = unix.SendmsgBuffers(s, m.Buffers, m.OOB, sas[0], flags|sendFlags)
		return e
	})
	if err != nil {
		return 0, err
	}
	return 1, nil
}
