package evnet

import (
	"io"
	"math"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// zeroCopyFrom is TCPConn.ReadFrom's fast path, net's spliceFrom and
// sendFile in one. r, or the R of an *io.LimitedReader, which is honoured
// and updated, is sent to dst with
//   - splice(2) through a pipe if it is an evnet stream conn (*TCPConn, a
//     "unix" *UnixConn) or a foreign fd that is a pipe or a stream socket:
//     an *os.File, or a *net.TCPConn or *net.UnixConn through its
//     SyscallConn (net itself splices only from its own conns; a pipe it
//     hands to sendfile(2), which fails, and then copies);
//   - sendfile(2) if it is a foreign fd that is a regular file, a block
//     device or a character device in blocking mode (/dev/zero), as net
//     does.
//
// The source waits on its own poller: evnet's loop for an evnet conn, the
// runtime's for an *os.File or a net conn. handled is false if nothing was
// moved and the caller must copy: r is of no such kind, or the kernel
// refused the first syscall (EINVAL...). Errors are errnos wrapped as
// "splice" or "sendfile", net.ErrClosed or os.ErrDeadlineExceeded.
func zeroCopyFrom(dst *netFD, r io.Reader) (written int64, handled bool, err error) {
	remain := int64(math.MaxInt64)
	lr, _ := r.(*io.LimitedReader)
	if lr != nil {
		remain, r = lr.N, lr.R
		if remain <= 0 {
			return 0, true, nil // as net: nothing to do, and done
		}
	}
	src, sendfile, ok := sourceEnd(r)
	switch {
	case !ok:
		return 0, false, nil
	case sendfile:
		written, handled, err = dst.sendFileFrom(src.rc, remain)
		if handled {
			copyStats.sendfile.add(written)
		}
	default:
		to := evnetEnd(dst)
		written, handled, err = spliceCopy(&to, &src, remain)
		if handled {
			copyStats.splice.add(written)
		}
	}
	if lr != nil {
		lr.N -= written
	}
	return written, handled, err
}

// sourceEnd finds the fd behind a ReadFrom source. sendfile reports that it
// is a file for sendfile(2), not a splice source; ok that it is either.
func sourceEnd(r io.Reader) (e spliceEnd, sendfile, ok bool) {
	switch v := r.(type) {
	case *TCPConn:
		if v != nil {
			return streamEnd(v.fd)
		}
		return e, false, false
	case tcpConnWithoutWriteTo: // from an evnet TCPConn's WriteTo
		if v.TCPConn != nil {
			return streamEnd(v.fd)
		}
		return e, false, false
	case *UnixConn:
		if v != nil {
			return streamEnd(v.fd)
		}
		return e, false, false
	}
	sc, isConn := r.(syscall.Conn)
	if !isConn {
		return e, false, false
	}
	rc, err := sc.SyscallConn()
	if err != nil || rc == nil {
		return e, false, false
	}
	if c, mine := rc.(*rawConn); mine { // an evnet conn wrapped in another type
		return streamEnd(c.fd)
	}
	fi, known := inspect(rc)
	switch {
	case !known:
		return e, false, false
	case fi.mode == unix.S_IFIFO, fi.stream:
		return foreignEnd(rc, fi.flags), false, true
	case fi.mode == unix.S_IFREG, fi.mode == unix.S_IFBLK,
		fi.mode == unix.S_IFCHR && fi.flags&unix.O_NONBLOCK == 0:
		// A nonblocking character device (a tty) could fail sendfile
		// with EAGAIN for want of input, and the wait, which is for the
		// socket, would then spin: such a source is copied.
		return spliceEnd{rc: rc}, true, true
	}
	return e, false, false
}

// streamEnd is the end on an evnet socket if it is a stream socket: net
// splices with "unix" conns, not "unixpacket" ones.
func streamEnd(fd *netFD) (e spliceEnd, sendfile, ok bool) {
	if fd == nil || fd.sotype != unix.SOCK_STREAM {
		return e, false, false
	}
	return evnetEnd(fd), false, true
}

// zeroCopyTo is TCPConn.WriteTo's fast path, net's spliceTo and
// os.File.ReadFrom's splice in one: it splices src into w if w is an evnet
// "unix" *UnixConn or an *os.File that is a pipe, a stream socket or a
// regular file not opened with O_APPEND (splice(2) refuses those, and only
// after src was drained). Other kinds of file are left to os.File.ReadFrom
// through the generic path, which copies. As in net, an error from
// splicing into an *os.File comes as os.File.ReadFrom returns it: in an
// *os.PathError with Op "write".
func zeroCopyTo(w io.Writer, src *netFD) (written int64, handled bool, err error) {
	var dst spliceEnd
	var f *os.File
	switch v := w.(type) {
	case *UnixConn:
		ok := false
		if v != nil {
			dst, _, ok = streamEnd(v.fd)
		}
		if !ok {
			return 0, false, nil
		}
	case *os.File:
		if v == nil {
			return 0, false, nil
		}
		rc, err := v.SyscallConn()
		if err != nil {
			return 0, false, nil
		}
		fi, known := inspect(rc)
		if !known || !(fi.mode == unix.S_IFIFO || fi.stream ||
			fi.mode == unix.S_IFREG && fi.flags&unix.O_APPEND == 0) {
			return 0, false, nil
		}
		dst, f = foreignEnd(rc, fi.flags), v
	default:
		return 0, false, nil
	}
	from := evnetEnd(src)
	written, handled, err = spliceCopy(&dst, &from, math.MaxInt64)
	if handled {
		copyStats.splice.add(written)
	}
	if err != nil && f != nil {
		err = &os.PathError{Op: "write", Path: f.Name(), Err: err}
	}
	return written, handled, err
}

// fdInfo is what decides whether a foreign fd can be spliced or sent from.
type fdInfo struct {
	mode   uint32 // st_mode & S_IFMT
	stream bool   // a SOCK_STREAM socket
	flags  int    // file status flags (F_GETFL)
}

// inspect describes the fd behind rc; known is false if it cannot (the fd
// is closed).
func inspect(rc syscall.RawConn) (fi fdInfo, known bool) {
	err := rc.Control(func(s uintptr) {
		var st unix.Stat_t
		if unix.Fstat(int(s), &st) != nil {
			return
		}
		fl, err := unix.FcntlInt(s, unix.F_GETFL, 0)
		if err != nil {
			return
		}
		fi.mode, fi.flags = st.Mode&unix.S_IFMT, fl
		if fi.mode == unix.S_IFSOCK {
			typ, err := unix.GetsockoptInt(int(s), unix.SOL_SOCKET, unix.SO_TYPE)
			fi.stream = err == nil && typ == unix.SOCK_STREAM
		}
		known = true
	})
	return fi, known && err == nil
}
