//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"context"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Unix socket names go to the kernel through the syscall package's
// SockaddrUnix, the one net uses, not x/sys's: x/sys (v0.49) rejects a name
// of exactly len(sun_path) bytes, which is a valid abstract name on Linux
// (net's TestUnixAbstractLongNameNulStart). Names coming back from the
// kernel (getsockname, recvmsg) are decoded by x/sys, the same way.

// unixSotype returns the socket type of a Unix network.
func unixSotype(network string) (int, error) {
	switch network {
	case "unix":
		return unix.SOCK_STREAM, nil
	case "unixgram":
		return unix.SOCK_DGRAM, nil
	case "unixpacket":
		return unix.SOCK_SEQPACKET, nil
	}
	return 0, net.UnknownNetworkError(network)
}

// unixSocket creates a Unix socket, as net's unixSocket. To listen, it binds
// laddr and, for a stream type, listens; to dial, it binds laddr if given and
// connects to raddr (which only an unconnected unixgram socket may lack).
// Errors are unwrapped, for the caller's *net.OpError.
func unixSocket(ctx context.Context, network string, laddr, raddr *net.UnixAddr, listen bool, ctrl ctrlFunc) (*netFD, error) {
	sotype, err := unixSotype(network)
	if err != nil {
		return nil, err
	}
	spec := sockSpec{net: network, family: unix.AF_UNIX, sotype: sotype, ctrl: ctrl}
	if listen {
		spec.ctrlAddr = laddr.String()
		if sotype != unix.SOCK_DGRAM {
			spec.ctrl = reuseAddrFirst(ctrl)
		}
	} else {
		if laddr != nil && laddr.Name == "" {
			laddr = nil // a wildcard: do not bind
		}
		if raddr != nil && raddr.Name == "" {
			raddr = nil
		}
		if raddr == nil && (sotype != unix.SOCK_DGRAM || laddr == nil) {
			return nil, errMissingAddress
		}
		if raddr != nil {
			spec.ctrlAddr = raddr.String()
		} else {
			spec.ctrlAddr = laddr.String()
		}
	}
	// socket creates and registers the fd and runs the Control hook; the
	// names are bound and connected here, through syscall's SockaddrUnix.
	fd, err := socket(ctx, spec)
	if err != nil {
		return nil, err
	}
	if err := fd.unixSetup(ctx, laddr, raddr, listen && sotype != unix.SOCK_DGRAM); err != nil {
		fd.Close() // the setup error is the one worth reporting
		return nil, err
	}
	return fd, nil
}

// reuseAddrFirst sets SO_REUSEADDR before running ctrl, net's order for a
// stream listener (setDefaultListenerSockopts, then the Control hook).
func reuseAddrFirst(ctrl ctrlFunc) ctrlFunc {
	return func(ctx context.Context, network, address string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(s uintptr) {
			err = wrapSyscallError("setsockopt", unix.SetsockoptInt(int(s), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1))
		}); cerr != nil {
			return cerr
		}
		if err != nil || ctrl == nil {
			return err
		}
		return ctrl(ctx, network, address, c)
	}
}

// unixSetup binds, listens and connects as unixSocket says, then records the
// socket's addresses as net does: the remote one from getpeername, else the
// one dialed.
func (fd *netFD) unixSetup(ctx context.Context, laddr, raddr *net.UnixAddr, listen bool) error {
	if laddr != nil {
		if err := fd.control(func(s int) error {
			return wrapSyscallError("bind", syscall.Bind(s, &syscall.SockaddrUnix{Name: laddr.Name}))
		}); err != nil {
			return err
		}
	}
	if listen {
		if err := fd.control(func(s int) error {
			return wrapSyscallError("listen", unix.Listen(s, listenerBacklog()))
		}); err != nil {
			return err
		}
	}
	if raddr != nil {
		if err := fd.unixConnect(ctx, raddr.Name); err != nil {
			return err
		}
	}
	return fd.control(func(s int) error {
		lsa, _ := unix.Getsockname(s) // on failure the address stays nil, as in net
		var ra net.Addr
		if raddr != nil {
			ra = raddr
			if rsa, err := unix.Getpeername(s); err == nil {
				ra = sockaddrToAddr(fd.sotype, rsa)
			}
		}
		fd.setAddr(sockaddrToAddr(fd.sotype, lsa), ra)
		return nil
	})
}

// unixConnect connects to the Unix socket name. A Unix connect completes or
// fails at once (a full backlog is EAGAIN, returned as net returns it); if a
// kernel ever reports it in progress, fd.connect waits for it: connect again
// on such a socket reports EALREADY or EISCONN, or the failure.
func (fd *netFD) unixConnect(ctx context.Context, name string) error {
	var err error
	if cerr := fd.control(func(s int) error {
		err = syscall.Connect(s, &syscall.SockaddrUnix{Name: name})
		return nil
	}); cerr != nil {
		return cerr
	}
	switch err {
	case nil, syscall.EISCONN:
		select {
		case <-ctx.Done():
			return mapErr(ctx.Err())
		default:
		}
		return nil
	case syscall.EINPROGRESS, syscall.EALREADY, syscall.EINTR:
		_, err := fd.connect(ctx, &unix.SockaddrUnix{Name: name}) // setup asks for the peer
		return err
	}
	return os.NewSyscallError("connect", err)
}

// sendUnix sends p and oob in one message to sa, or to the peer if sa is
// nil, waiting on the loop while the socket is full. name is the syscall
// net names in errors: sendto or sendmsg.
func (fd *netFD) sendUnix(name string, p, oob []byte, sa syscall.Sockaddr) (n, oobn int, err error) {
	err = fd.ioWait(false, name, func(s int) (e error) {
		n, e = syscall.SendmsgN(s, p, oob, sa, sendFlags)
		return e
	})
	if err != nil {
		return 0, 0, err
	}
	return n, len(oob), nil
}
