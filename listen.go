//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"context"
	"net"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ListenConfig has the fields and methods of net.ListenConfig; its listeners
// and packet conns run on evnet's loop.
type ListenConfig struct {
	// Control is called after creating the socket and before binding it.
	Control func(network, address string, c syscall.RawConn) error
	// KeepAlive is the keep-alive idle time of accepted connections; zero
	// means 15s, negative disables keep-alive unless KeepAliveConfig
	// enables it.
	KeepAlive time.Duration
	// KeepAliveConfig, when Enable is set, configures keep-alive of
	// accepted connections.
	KeepAliveConfig net.KeepAliveConfig

	mptcp int8
}

// MultipathTCP reports whether MPTCP was asked for; see SetMultipathTCP.
func (lc *ListenConfig) MultipathTCP() bool { return lc.mptcp > 0 }

// SetMultipathTCP records whether MPTCP is wanted. evnet listens with plain
// TCP either way, which is what net does where MPTCP is not available.
func (lc *ListenConfig) SetMultipathTCP(use bool) {
	if use {
		lc.mptcp = 1
	} else {
		lc.mptcp = -1
	}
}

func (lc *ListenConfig) ctrl() ctrlFunc {
	control := lc.Control // not lc: see Dialer.ctrl
	if control == nil {
		return nil
	}
	return func(_ context.Context, network, address string, c syscall.RawConn) error {
		return control(network, address, c)
	}
}

// Listen announces on the local network address; see
// net.ListenConfig.Listen. network must be tcp, tcp4, tcp6, unix or
// unixpacket.
func (lc *ListenConfig) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	addrs, err := resolveAddrList(ctx, nil, "listen", network, address)
	if err != nil {
		return nil, opError("listen", network, nil, nil, err)
	}
	la := addrs[0]
	var l net.Listener
	switch la := la.(type) {
	case *net.TCPAddr:
		var tl *TCPListener
		if tl, err = lc.listenTCP(ctx, network, la); err == nil {
			l = tl
		}
	case *net.UnixAddr:
		var ul *UnixListener
		if ul, err = lc.listenUnix(ctx, network, la); err == nil {
			l = ul
		}
	default:
		err = &net.AddrError{Err: "unexpected address type", Addr: address}
	}
	if err != nil {
		return nil, opError("listen", network, nil, la, err)
	}
	return l, nil
}

// listenTCP creates a TCP listener on laddr.
func (lc *ListenConfig) listenTCP(ctx context.Context, network string, laddr *net.TCPAddr) (*TCPListener, error) {
	family, ipv6only := favoriteFamily(network, laddr.IP, nil, true)
	sa, err := ipToSockaddr(family, laddr.IP, laddr.Port, laddr.Zone)
	if err != nil {
		return nil, err
	}
	spec := sockSpec{net: network, family: family, sotype: unix.SOCK_STREAM, ipv6only: ipv6only,
		laddr: sa, listen: true, ctrl: lc.ctrl()}
	if spec.ctrl != nil {
		spec.ctrlAddr = laddr.String()
	}
	fd, err := socket(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &TCPListener{fd: fd, lc: *lc}, nil
}

// Listen announces on the local network address with a zero ListenConfig;
// see net.Listen.
func Listen(network, address string) (net.Listener, error) {
	var lc ListenConfig
	return lc.Listen(context.Background(), network, address)
}

// ListenTCP announces on laddr, which may be nil or have port 0; see
// net.ListenTCP.
func ListenTCP(network string, laddr *net.TCPAddr) (*TCPListener, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, opError("listen", network, nil, tcpOpAddr(laddr), net.UnknownNetworkError(network))
	}
	if laddr == nil {
		laddr = &net.TCPAddr{}
	}
	var lc ListenConfig
	l, err := lc.listenTCP(context.Background(), network, laddr)
	if err != nil {
		return nil, opError("listen", network, nil, laddr, err)
	}
	return l, nil
}
