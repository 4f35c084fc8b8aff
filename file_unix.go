//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"errors"
	"net"
	"os"
	"reflect"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// FileConn returns a copy of the network connection open as f, as
// net.FileConn: a *TCPConn, *UDPConn, *IPConn or *UnixConn on evnet's loop.
// Closing c does not affect f, and closing f does not affect c. A nil f is
// an error here, where net panics.
func FileConn(f *os.File) (c net.Conn, err error) {
	fd, err := newFileFD(f)
	if err == nil {
		switch fd.laddr.(type) {
		case *net.TCPAddr:
			return newTCPConn(fd, 0, net.KeepAliveConfig{}), nil
		case *net.UDPAddr:
			return newUDPConn(fd), nil
		case *net.IPAddr:
			return &IPConn{conn{fd}}, nil
		case *net.UnixAddr:
			return newUnixConn(fd, false), nil
		}
		err = errNotKind(fd)
	}
	return nil, fileError(f, err)
}

// FileListener returns a copy of the network listener open as f, as
// net.FileListener: a *TCPListener or *UnixListener on evnet's loop. A
// UnixListener made here does not remove its socket file on Close unless
// SetUnlinkOnClose(true) is called. Closing ln does not affect f, and
// closing f does not affect ln.
func FileListener(f *os.File) (ln net.Listener, err error) {
	fd, err := newFileFD(f)
	if err == nil {
		switch laddr := fd.laddr.(type) {
		case *net.TCPAddr:
			return &TCPListener{fd: fd}, nil
		case *net.UnixAddr:
			return &UnixListener{fd: fd, path: laddr.Name, unlink: false}, nil
		}
		err = errNotKind(fd)
	}
	return nil, fileError(f, err)
}

// FilePacketConn returns a copy of the packet network connection open as f,
// as net.FilePacketConn: a *UDPConn, *IPConn or *UnixConn on evnet's loop.
// Closing c does not affect f, and closing f does not affect c.
func FilePacketConn(f *os.File) (c net.PacketConn, err error) {
	fd, err := newFileFD(f)
	if err == nil {
		switch fd.laddr.(type) {
		case *net.UDPAddr:
			return newUDPConn(fd), nil
		case *net.IPAddr:
			return &IPConn{conn{fd}}, nil
		case *net.UnixAddr:
			return newUnixConn(fd, false), nil
		}
		err = errNotKind(fd)
	}
	return nil, fileError(f, err)
}

// errNotKind closes an adopted socket of the wrong kind and returns net's
// error for it.
func errNotKind(fd *netFD) error {
	fd.Close() // never handed out: nobody else can be using it
	return syscall.EINVAL
}

// newFileFD adopts a close-on-exec, nonblocking duplicate of f's socket
// into evnet's loop, as net's newFileFD: the socket type and local address
// decide the kind of connection.
func newFileFD(f *os.File) (*netFD, error) {
	if f == nil {
		return nil, syscall.EINVAL
	}
	s, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("fcntl", err)
	}
	fail := func(err error) (*netFD, error) {
		unix.Close(s) // the error that made us give up is the one to report
		return nil, err
	}
	if err := unix.SetNonblock(s, true); err != nil {
		return fail(os.NewSyscallError("setnonblock", err))
	}
	sotype, err := unix.GetsockoptInt(s, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return fail(os.NewSyscallError("getsockopt", err))
	}
	lsa, err := unix.Getsockname(s)
	if err != nil {
		return fail(os.NewSyscallError("getsockname", err))
	}
	rsa, _ := unix.Getpeername(s) // an unconnected socket has no peer
	var family int
	switch lsa.(type) {
	case *unix.SockaddrInet4:
		family = unix.AF_INET
	case *unix.SockaddrInet6:
		family = unix.AF_INET6
	case *unix.SockaddrUnix:
		family = unix.AF_UNIX
	default:
		return fail(syscall.EPROTONOSUPPORT)
	}
	laddr := sockaddrToAddr(sotype, lsa)
	if laddr == nil {
		// A socket type net has no conn for (an inet SOCK_SEQPACKET):
		// net panics here.
		return fail(syscall.EINVAL)
	}
	if err := noSIGPIPE(s); err != nil {
		return fail(os.NewSyscallError("setsockopt", err))
	}
	fd, err := newFD(s, family, sotype, laddr.Network())
	if err != nil {
		return nil, err // newFD closed s
	}
	fd.setAddr(laddr, sockaddrToAddr(sotype, rsa))
	return fd, nil
}

// fileError wraps err as net's File* functions do: Op "file", Net
// "file+net" and net's own fileAddr type holding f's name.
func fileError(f *os.File, err error) error {
	var addr net.Addr
	if f != nil {
		addr = fileAddr(f.Name())
	}
	return opError("file", "file+net", nil, addr, err)
}

// fileAddr returns net's unexported fileAddr(name), so that %T and
// Network() of the error's Addr agree with net; a look-alike if net's type
// could not be learned.
func fileAddr(name string) net.Addr {
	if t := netFileAddrType(); t != nil {
		v := reflect.New(t).Elem()
		v.SetString(name)
		if a, ok := v.Interface().(net.Addr); ok {
			return a
		}
	}
	return fileAddrLookalike(name)
}

// netFileAddrType learns the type of net's fileAddr once, from the error of
// net.FileConn on a file that is not a socket (os.DevNull): net dups it,
// fails at getsockopt and closes the dup.
var netFileAddrType = sync.OnceValue(func() reflect.Type {
	f, err := os.Open(os.DevNull)
	if err != nil {
		return nil
	}
	defer f.Close() // read-only and unused: nothing to report
	c, err := net.FileConn(f)
	if c != nil {
		c.Close() // cannot happen for /dev/null; do not leak if it does
		return nil
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Addr == nil {
		return nil
	}
	if t := reflect.TypeOf(oe.Addr); t.Kind() == reflect.String {
		return t
	}
	return nil
})

// fileAddrLookalike stands in for net's fileAddr.
type fileAddrLookalike string

func (fileAddrLookalike) Network() string  { return "file+net" }
func (a fileAddrLookalike) String() string { return string(a) }
