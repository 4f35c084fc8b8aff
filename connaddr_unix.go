//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// The addresses of a new connection are read as net reads them, with the
// standard library's syscall package (accept, getsockname, getpeername), not
// with x/sys/unix. On Linux x/sys's Accept4, Getsockname and Getpeername
// spend one more syscall per inet address, a getsockopt(SO_PROTOCOL) that
// tells L2TP sockets apart, and on every system each of its calls puts a
// RawSockaddrAny on the heap, even when it fails. syscall's allocate only the
// sockaddr they return.

// sysSockaddrToAddr converts a sockaddr of package syscall to the net.Addr of
// a socket type, or nil (a nil interface) if there is none.
func sysSockaddrToAddr(sotype int, sa syscall.Sockaddr) net.Addr {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return netAddr(sotype, net.IP(append([]byte(nil), sa.Addr[:]...)), sa.Port, "")
	case *syscall.SockaddrInet6:
		return netAddr(sotype, net.IP(append([]byte(nil), sa.Addr[:]...)), sa.Port, zoneName(sa.ZoneId))
	case *syscall.SockaddrUnix:
		return &net.UnixAddr{Name: sa.Name, Net: unixNet(sotype)}
	}
	return nil
}

// connAddrs converts the local and the remote sockaddr of a socket of
// sotype. Either may be nil, and so is then its address. The two addresses
// of a TCP connection and their IPs are one allocation, not four, and no
// bigger than the four together (112 bytes for IPv4, 128 for IPv6).
func connAddrs(sotype int, lsa, rsa syscall.Sockaddr) (laddr, raddr net.Addr) {
	if sotype == unix.SOCK_STREAM {
		switch l := lsa.(type) {
		case *syscall.SockaddrInet4:
			if r, ok := rsa.(*syscall.SockaddrInet4); ok {
				p := &struct {
					l, r     net.TCPAddr
					lip, rip [net.IPv4len]byte
				}{lip: l.Addr, rip: r.Addr}
				p.l = net.TCPAddr{IP: p.lip[:], Port: l.Port}
				p.r = net.TCPAddr{IP: p.rip[:], Port: r.Port}
				return &p.l, &p.r
			}
		case *syscall.SockaddrInet6:
			if r, ok := rsa.(*syscall.SockaddrInet6); ok {
				p := &struct {
					l, r     net.TCPAddr
					lip, rip [net.IPv6len]byte
				}{lip: l.Addr, rip: r.Addr}
				p.l = net.TCPAddr{IP: p.lip[:], Port: l.Port, Zone: zoneName(l.ZoneId)}
				p.r = net.TCPAddr{IP: p.rip[:], Port: r.Port, Zone: zoneName(r.ZoneId)}
				return &p.l, &p.r
			}
		}
	}
	return sysSockaddrToAddr(sotype, lsa), sysSockaddrToAddr(sotype, rsa)
}
