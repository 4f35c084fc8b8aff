//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"context"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/evnet/evnet/loop"
	"golang.org/x/sys/unix"
)

// maxRW caps one read or write syscall, as internal/poll does (darwin and
// the BSDs fail larger ones with EINVAL).
const maxRW = 1 << 30

// aLongTimeAgo is a deadline in the past, for interrupting a blocked op.
var aLongTimeAgo = time.Unix(1, 0)

// netFD is a socket on evnet's loop: the role of net's netFD. Its methods
// return raw errors wrapped only in *os.SyscallError; the public types add
// the *net.OpError.
type netFD struct {
	pd     *loop.Desc
	family int
	sotype int
	net    string
	laddr  net.Addr
	raddr  net.Addr

	// tcp is the TCPConn of a TCP connection, allocated with its netFD
	// (see newTCPConn): the 8 bytes fit in netFD's size class, 80 bytes,
	// and save every TCP conn an allocation.
	tcp TCPConn
}

// newFD registers fd, which must be nonblocking, with the default loop
// group. On error fd is closed.
func newFD(fd, family, sotype int, network string) (*netFD, error) {
	g, err := loop.Default()
	if err == nil {
		var pd *loop.Desc
		if pd, err = g.Register(fd); err == nil {
			return &netFD{pd: pd, family: family, sotype: sotype, net: network}, nil
		}
	}
	unix.Close(fd) // the registration error is the one worth reporting
	return nil, err
}

func (fd *netFD) setAddr(laddr, raddr net.Addr) {
	fd.laddr, fd.raddr = laddr, raddr
}

// name is the os.File name of a dup, as net's netFD.name.
func (fd *netFD) name() string {
	var ls, rs string
	if !isNilAddr(fd.laddr) {
		ls = fd.laddr.String()
	}
	if !isNilAddr(fd.raddr) {
		rs = fd.raddr.String()
	}
	return fd.net + ":" + ls + "->" + rs
}

// Close closes the socket once no operation is in flight.
func (fd *netFD) Close() error { return fd.pd.Close() }

// eofError turns a 0-byte read on a stream into io.EOF.
func (fd *netFD) eofError(n int, err error) error {
	if n == 0 && err == nil && fd.sotype != unix.SOCK_DGRAM && fd.sotype != unix.SOCK_RAW {
		return io.EOF
	}
	return err
}

// Read reads into p, waiting on the loop when nothing is there yet.
func (fd *netFD) Read(p []byte) (int, error) {
	if err := fd.pd.ReadLock(); err != nil {
		return 0, err
	}
	defer fd.pd.ReadUnlock()
	if len(p) == 0 {
		// A zero-byte read returns at once, without a syscall, but after
		// the lock, so that it reports a closed fd (internal/poll).
		return 0, nil
	}
	if err := fd.pd.PrepareRead(); err != nil {
		return 0, err
	}
	if len(p) > maxRW {
		p = p[:maxRW]
	}
	if n, err, ok := fd.pd.ReadDirect(p); ok {
		return n, fd.eofError(n, err)
	}
	for {
		n, err := unix.Read(fd.pd.Fd(), p)
		if err != nil {
			n = 0
			switch err {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				if err = fd.pd.WaitRead(); err == nil {
					continue
				}
				return 0, err
			}
			return 0, os.NewSyscallError("read", err)
		}
		return n, fd.eofError(n, nil)
	}
}

// Write writes all of p, waiting on the loop while the socket is full. It
// returns the bytes written before an error or deadline. Stream writes never
// raise SIGPIPE.
func (fd *netFD) Write(p []byte) (int, error) {
	if err := fd.pd.WriteLock(); err != nil {
		return 0, err
	}
	defer fd.pd.WriteUnlock()
	if err := fd.pd.PrepareWrite(); err != nil {
		return 0, err
	}
	if len(p) == 0 && fd.sotype == unix.SOCK_STREAM {
		// Nothing to send, and no syscall for it (A10). Closed fds and
		// passed deadlines are reported as internal/poll does; unlike net,
		// a shut-down or reset stream does not report EPIPE here.
		return 0, nil
	}
	var nn int
	for {
		max := len(p)
		if max-nn > maxRW {
			max = nn + maxRW
		}
		n, err := send(fd.pd.Fd(), p[nn:max])
		if n > 0 {
			nn += n
		}
		if nn == len(p) && err == nil {
			return nn, nil
		}
		switch err {
		case nil:
			if n == 0 {
				return nn, io.ErrUnexpectedEOF
			}
			continue
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			if err = fd.pd.WaitWrite(); err == nil {
				continue
			}
			return nn, err
		}
		return nn, os.NewSyscallError("write", err)
	}
}

// writeBuffers writes v with sendmsg's gather I/O, as net's Writev: each
// call sends up to iovMax non-empty slices (see gather), and what was
// written is consumed from v as net does; a v without a byte is left as it
// is. The wait protocol is ioWait's: after EAGAIN it resumes with what is
// left of v.
func (fd *netFD) writeBuffers(v *[][]byte) (int64, error) {
	stream := fd.sotype == unix.SOCK_STREAM
	var total int64
	err := fd.ioWait(false, "writev", func(s int) error {
		for len(*v) > 0 {
			n, err := sendv(s, *v, stream)
			if n == 0 && err == nil && !hasBytes(*v) {
				return nil // nothing to send (no syscall was made): net leaves v as it is
			}
			total += int64(n)
			consume(v, int64(n)) // also after an error: net drops leading empty slices then too
			if err != nil {
				return err
			}
			if n == 0 {
				return io.ErrUnexpectedEOF // a call that sent nothing, as net reports it
			}
		}
		return nil
	})
	return total, err
}

// hasBytes reports whether a slice of v is not empty.
func hasBytes(v [][]byte) bool {
	for _, b := range v {
		if len(b) > 0 {
			return true
		}
	}
	return false
}

// consume drops n written bytes from the front of v, as net.Buffers does.
func consume(v *[][]byte, n int64) {
	for len(*v) > 0 {
		ln0 := int64(len((*v)[0]))
		if ln0 > n {
			(*v)[0] = (*v)[0][n:]
			return
		}
		n -= ln0
		(*v)[0] = nil
		*v = (*v)[1:]
	}
}

// accept accepts a connection, skipping the ones aborted in the queue.
func (fd *netFD) accept() (*netFD, error) {
	if err := fd.pd.ReadLock(); err != nil {
		return nil, err
	}
	defer fd.pd.ReadUnlock()
	if err := fd.pd.PrepareRead(); err != nil {
		return nil, err
	}
	for {
		s, rsa, err := acceptFunc(fd.pd.Fd())
		switch err {
		case nil:
			nfd, err := newFD(s, fd.family, fd.sotype, fd.net)
			if err != nil {
				return nil, err
			}
			lsa, _ := syscall.Getsockname(s) // on failure the address stays nil, as in net
			nfd.setAddr(connAddrs(fd.sotype, lsa, rsa))
			return nfd, nil
		case unix.EINTR:
			continue
		case unix.ECONNABORTED:
			// A connection in the queue was reset before we accepted it:
			// net ignores it and accepts the next one.
			continue
		case unix.EAGAIN:
			if err = fd.pd.WaitRead(); err == nil {
				continue
			}
			return nil, err
		}
		return nil, os.NewSyscallError(acceptName, err)
	}
}

// connect connects to ra, waiting on the loop, and honours ctx's deadline and
// cancellation as net's netFD.connect does. Like net's, it returns the peer's
// address when it had to ask for it (getpeername) to tell a connection from a
// spurious wakeup; otherwise the caller asks.
func (fd *netFD) connect(ctx context.Context, ra unix.Sockaddr) (rsa syscall.Sockaddr, err error) {
	// Drop stale readiness before the attempt, never after it: the edge of
	// a connection that completes at once may already be in the token.
	if err := fd.pd.PrepareWrite(); err != nil {
		return nil, err
	}
	switch err := connectFunc(fd.pd.Fd(), ra); err {
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
	case nil, unix.EISCONN:
		select {
		case <-ctx.Done():
			return nil, mapErr(ctx.Err())
		default:
		}
		return nil, nil
	default:
		return nil, os.NewSyscallError("connect", err)
	}
	// Deferred first, so run last: the wait's channel and timer would stay
	// with the conn for good, for the rare Write that waits.
	defer fd.pd.ForgetWaits(loop.ModeWrite)
	if deadline, ok := ctx.Deadline(); ok {
		if err := fd.pd.SetDeadline(deadline, loop.ModeWrite); err != nil {
			return nil, err
		}
		defer fd.pd.SetDeadline(time.Time{}, loop.ModeWrite)
	}
	if ctx.Done() != nil {
		// Cancellation interrupts the wait through a past deadline.
		stop := context.AfterFunc(ctx, func() { fd.pd.SetDeadline(aLongTimeAgo, loop.ModeWrite) })
		defer func() {
			if !stop() && err == nil {
				// The cancellation's past deadline may land after the
				// connect succeeded and poison the conn's writes: report
				// the cancellation instead, as net does (its issue 16523).
				rsa, err = nil, mapErr(ctx.Err())
			}
		}()
	}
	for first := true; ; first = false {
		// Look before the first wait: over loopback the handshake is
		// usually done by the time connect(2) returns EINPROGRESS, and a
		// connected socket needs no wake-up through the loop. A look too
		// early is a spurious wakeup, as after any wait.
		if !first {
			if err := fd.pd.WaitConnect(); err != nil {
				if ctxErr := ctx.Err(); ctxErr != nil {
					return nil, mapErr(ctxErr)
				}
				return nil, err
			}
		}
		nerr, err := getsockoptIntFunc(fd.pd.Fd(), unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			return nil, os.NewSyscallError("getsockopt", err)
		}
		switch e := syscall.Errno(nerr); e {
		case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
			continue // not yet: a spurious wakeup
		case unix.EISCONN:
			return nil, nil
		case 0:
			// Connected, unless the wakeup was spurious: getpeername tells
			// (ENOTCONN), as net checks. syscall's, see connaddr_unix.go.
			if rsa, err := syscall.Getpeername(fd.pd.Fd()); err == nil {
				return rsa, nil
			}
			continue
		default:
			return nil, os.NewSyscallError("connect", e)
		}
	}
}

// shutdown shuts down one or both directions.
func (fd *netFD) shutdown(how int) error {
	if err := fd.pd.Incref(); err != nil {
		return err
	}
	defer fd.pd.Decref()
	return wrapSyscallError("shutdown", unix.Shutdown(fd.pd.Fd(), how))
}

// control runs f with the fd held open.
func (fd *netFD) control(f func(fd int) error) error {
	if err := fd.pd.Incref(); err != nil {
		return err
	}
	defer fd.pd.Decref()
	return f(fd.pd.Fd())
}

// setsockoptInt sets an int option, wrapping the errno as net does.
func (fd *netFD) setsockoptInt(level, opt, v int) error {
	return fd.control(func(s int) error {
		return wrapSyscallError("setsockopt", unix.SetsockoptInt(s, level, opt, v))
	})
}

// SetDeadline sets the deadline of the directions in mode.
func (fd *netFD) setDeadline(t time.Time, mode loop.Mode) error {
	return fd.pd.SetDeadline(t, mode)
}

// dup returns an *os.File holding a close-on-exec duplicate of the socket.
func (fd *netFD) dup() (*os.File, error) {
	var f *os.File
	err := fd.control(func(s int) error {
		ns, err := unix.FcntlInt(uintptr(s), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return os.NewSyscallError("fcntl", err)
		}
		f = os.NewFile(uintptr(ns), fd.name())
		return nil
	})
	return f, err
}
