//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import "golang.org/x/sys/unix"

// The datagram system calls of inet sockets through x/sys's Sockaddr
// wrappers, which allocate the Sockaddr (darwin and OpenBSD make system
// calls through libc, so the raw calls of packetio_linux.go are not an
// option there). They return the raw errno.

// recvfromInet receives one datagram into p and its sender into from.
func recvfromInet(s int, p []byte, family int, from *inetAddr) (int, error) {
	n, sa, err := unix.Recvfrom(s, p, 0)
	if err != nil {
		return 0, err
	}
	from.setSockaddr(family, sa)
	return n, nil
}

// recvmsgInet receives one datagram into p, its control data into oob and
// its sender into from.
func recvmsgInet(s int, p, oob []byte, flags, family int, from *inetAddr) (n, oobn, rflags int, err error) {
	n, oobn, rflags, sa, err := unix.Recvmsg(s, p, oob, flags)
	if err != nil {
		return 0, 0, 0, err
	}
	from.setSockaddr(family, sa)
	return n, oobn, rflags, nil
}

// sendtoInet sends p as one datagram to to, or to the peer if to is no
// address.
func sendtoInet(s int, p []byte, to *inetAddr) (int, error) {
	return unix.SendmsgN(s, p, nil, to.sockaddr(), sendFlags)
}

// sendmsgInet sends p with the control data oob as one datagram to to, or
// to the peer if to is no address.
func sendmsgInet(s int, p, oob []byte, to *inetAddr) (int, error) {
	return unix.SendmsgN(s, p, oob, to.sockaddr(), sendFlags)
}

// setSockaddr decodes a received sa for a socket of family. As net's
// readFromInet4/6, it goes by the socket's family: no name, or one of
// another family, is the family's zero address.
func (a *inetAddr) setSockaddr(family int, sa unix.Sockaddr) {
	*a = inetAddr{family: family}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		if family == unix.AF_INET {
			copy(a.ip[:], sa.Addr[:])
			a.port = sa.Port
		}
	case *unix.SockaddrInet6:
		if family == unix.AF_INET6 {
			a.ip, a.port, a.zone = sa.Addr, sa.Port, sa.ZoneId
		}
	}
}
