//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"context"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ctrlFunc is the Control hook of a Dialer or ListenConfig, in its context
// form.
type ctrlFunc func(ctx context.Context, network, address string, c syscall.RawConn) error

// sockSpec describes a socket to create, as the arguments of net's socket().
type sockSpec struct {
	net      string // the user's network: tcp, tcp4, udp6, unix, ...
	family   int
	sotype   int
	proto    int
	ipv6only bool
	laddr    unix.Sockaddr // bind to this; nil: do not bind
	raddr    unix.Sockaddr // connect to this; nil: do not connect
	listen   bool          // a stream listener: SO_REUSEADDR, bind, listen
	ctrl     ctrlFunc
	ctrlAddr string // the address string the Control hook is given
}

// socket creates, sets up and registers a socket, then listens, binds or
// connects as s says. The fd is closed on every error path.
func socket(ctx context.Context, s sockSpec) (*netFD, error) {
	sfd, err := sysSocket(s.family, s.sotype, s.proto)
	if err != nil {
		return nil, err
	}
	if err := setDefaultSockopts(sfd, s.family, s.sotype, s.ipv6only); err != nil {
		unix.Close(sfd) // the setsockopt error is the one worth reporting
		return nil, err
	}
	fd, err := newFD(sfd, s.family, s.sotype, s.net)
	if err != nil {
		return nil, err
	}
	if err := fd.setup(ctx, s); err != nil {
		fd.Close() // the setup error is the one worth reporting
		return nil, err
	}
	return fd, nil
}

func (fd *netFD) setup(ctx context.Context, s sockSpec) error {
	if s.listen {
		if err := fd.setsockoptInt(unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return err
		}
	}
	if s.ctrl != nil {
		if err := s.ctrl(ctx, fd.ctrlNetwork(), s.ctrlAddr, &rawConn{fd}); err != nil {
			return err
		}
	}
	if s.laddr != nil {
		if err := fd.control(func(sfd int) error { return wrapSyscallError("bind", unix.Bind(sfd, s.laddr)) }); err != nil {
			return err
		}
	}
	if s.listen {
		if err := fd.control(func(sfd int) error {
			return wrapSyscallError("listen", unix.Listen(sfd, listenerBacklog()))
		}); err != nil {
			return err
		}
	}
	var rsa syscall.Sockaddr
	if s.raddr != nil {
		var err error
		if rsa, err = fd.connect(ctx, s.raddr); err != nil {
			return err
		}
	}
	// The addresses are read as net reads them: see connaddr_unix.go.
	return fd.control(func(sfd int) error {
		lsa, _ := syscall.Getsockname(sfd) // on failure the address stays nil, as in net
		if s.raddr != nil && rsa == nil {
			rsa, _ = syscall.Getpeername(sfd)
		}
		laddr, raddr := connAddrs(s.sotype, lsa, rsa)
		if s.raddr != nil && raddr == nil {
			raddr = sockaddrToAddr(s.sotype, s.raddr) // no peer to ask: the one dialed, as net
		}
		fd.setAddr(laddr, raddr)
		return nil
	})
}

// ctrlNetwork is the network given to Control hooks: tcp4 or tcp6 for an
// inet socket whose network did not say, as net's ctrlNetwork.
func (fd *netFD) ctrlNetwork() string {
	switch fd.net {
	case "unix", "unixgram", "unixpacket":
		return fd.net
	}
	switch fd.net[len(fd.net)-1] {
	case '4', '6':
		return fd.net
	}
	if fd.family == unix.AF_INET {
		return fd.net + "4"
	}
	return fd.net + "6"
}

// setDefaultSockopts sets what net sets on every new socket.
func setDefaultSockopts(s, family, sotype int, ipv6only bool) error {
	if family == unix.AF_INET6 && sotype != unix.SOCK_RAW {
		v := 0
		if ipv6only {
			v = 1
		}
		// Errors are ignored, as net does: some systems refuse to change it.
		_ = unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v)
	}
	if (sotype == unix.SOCK_DGRAM || sotype == unix.SOCK_RAW) && family != unix.AF_UNIX {
		// Allow broadcast, as net does.
		if err := unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_BROADCAST, 1); err != nil {
			return os.NewSyscallError("setsockopt", err)
		}
	}
	return nil
}
