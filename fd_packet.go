//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import "golang.org/x/sys/unix"

// ioWait runs op under the direction's lock with internal/poll's protocol:
// prepare, try, and on EAGAIN wait and try again; EINTR retries. op returns
// the raw errno. The error is wrapped with name if it is an errno.
func (fd *netFD) ioWait(read bool, name string, op func(s int) error) error {
	pd := fd.pd
	lock, unlock, prepare, wait := pd.WriteLock, pd.WriteUnlock, pd.PrepareWrite, pd.WaitWrite
	if read {
		lock, unlock, prepare, wait = pd.ReadLock, pd.ReadUnlock, pd.PrepareRead, pd.WaitRead
	}
	if err := lock(); err != nil {
		return err
	}
	defer unlock()
	if err := prepare(); err != nil {
		return err
	}
	for {
		switch err := op(pd.Fd()); err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			if err := wait(); err != nil {
				return err
			}
		default:
			return wrapSyscallError(name, err)
		}
	}
}

// readFrom receives one datagram (recvfrom). A datagram larger than p is
// truncated, as net does.
func (fd *netFD) readFrom(p []byte) (n int, sa unix.Sockaddr, err error) {
	err = fd.ioWait(true, "recvfrom", func(s int) (e error) {
		n, sa, e = unix.Recvfrom(s, p, 0)
		return e
	})
	if err != nil {
		return 0, nil, err
	}
	return n, sa, fd.eofError(n, nil) // as net, also for a Unix stream or seqpacket
}

// readMsg receives one message with control data (recvmsg).
func (fd *netFD) readMsg(p, oob []byte, flags int) (n, oobn, rflags int, sa unix.Sockaddr, err error) {
	err = fd.ioWait(true, "recvmsg", func(s int) (e error) {
		n, oobn, rflags, sa, e = unix.Recvmsg(s, p, oob, flags)
		return e
	})
	if err != nil {
		return 0, 0, 0, nil, err
	}
	return n, oobn, rflags, sa, fd.eofError(n, nil) // as net
}

// writeTo sends one datagram to sa (sendto semantics, through sendmsg).
func (fd *netFD) writeTo(p []byte, sa unix.Sockaddr) (n int, err error) {
	err = fd.ioWait(false, "sendto", func(s int) (e error) {
		n, e = unix.SendmsgN(s, p, nil, sa, sendFlags)
		return e
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// writeMsg sends one message with control data to sa, which may be nil on a
// connected socket.
func (fd *netFD) writeMsg(p, oob []byte, sa unix.Sockaddr) (n, oobn int, err error) {
	err = fd.ioWait(false, "sendmsg", func(s int) (e error) {
		n, e = unix.SendmsgN(s, p, oob, sa, sendFlags)
		return e
	})
	if err != nil {
		return 0, 0, err
	}
	return n, len(oob), nil
}

// readFromInet receives one datagram on an inet socket (recvfrom) and its
// sender into from. A datagram larger than p is truncated, as net does.
func (fd *netFD) readFromInet(p []byte, from *inetAddr) (int, error) {
	var n int
	err := fd.ioWait(true, "recvfrom", func(s int) (e error) {
		n, e = recvfromInet(s, p, fd.family, from)
		return e
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// readMsgInet receives one message with control data on an inet socket
// (recvmsg) and its sender into from.
func (fd *netFD) readMsgInet(p, oob []byte, flags int, from *inetAddr) (n, oobn, rflags int, err error) {
	err = fd.ioWait(true, "recvmsg", func(s int) (e error) {
		n, oobn, rflags, e = recvmsgInet(s, p, oob, flags, fd.family, from)
		return e
	})
	if err != nil {
		return 0, 0, 0, err
	}
	return n, oobn, rflags, nil
}

// writeToInet sends one datagram on an inet socket to to (sendto).
func (fd *netFD) writeToInet(p []byte, to *inetAddr) (int, error) {
	var n int
	err := fd.ioWait(false, "sendto", func(s int) (e error) {
		n, e = sendtoInet(s, p, to)
		return e
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// writeMsgInet sends one message with control data on an inet socket to
// to, or to the peer if to is no address (sendmsg).
func (fd *netFD) writeMsgInet(p, oob []byte, to *inetAddr) (n, oobn int, err error) {
	err = fd.ioWait(false, "sendmsg", func(s int) (e error) {
		n, e = sendmsgInet(s, p, oob, to)
		return e
	})
	if err != nil {
		return 0, 0, err
	}
	return n, len(oob), nil
}
