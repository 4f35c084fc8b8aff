package evnet

import (
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxSpliceSize caps what one splice(2) asks for: the size given to the
// pipe in between, as internal/poll does (1 MiB is the default
// /proc/sys/fs/pipe-max-size).
const maxSpliceSize = 1 << 20

// spliceEnd is one side of a splice: an evnet socket, which waits on evnet's
// loop, or a foreign fd (an *os.File, a net conn) reached through its
// syscall.RawConn, which waits on its owner's poller.
type spliceEnd struct {
	fd    *netFD
	rc    syscall.RawConn
	flags int // for splice(2): SPLICE_F_NONBLOCK unless a foreign fd blocks
}

// evnetEnd is an end on one of evnet's stream sockets.
func evnetEnd(fd *netFD) spliceEnd { return spliceEnd{fd: fd, flags: unix.SPLICE_F_NONBLOCK} }

// foreignEnd is an end on a foreign fd whose file status flags are fl. A
// blocking fd gets blocking splices, as read(2) on it would block: with
// SPLICE_F_NONBLOCK a pipe would fail with EAGAIN that nothing can wait for.
func foreignEnd(rc syscall.RawConn, fl int) spliceEnd {
	e := spliceEnd{rc: rc}
	if fl&unix.O_NONBLOCK != 0 {
		e.flags = unix.SPLICE_F_NONBLOCK
	}
	return e
}

// do runs op on the end's fd under the end's lock and wait protocol for the
// read or write direction: op is retried after EINTR and, after EAGAIN,
// once the fd is ready. An errno from op is wrapped as "splice".
func (e *spliceEnd) do(read bool, op func(s int) error) error {
	if e.fd != nil {
		return e.fd.ioWait(read, "splice", op)
	}
	var opErr error
	f := func(s uintptr) bool {
		for {
			switch err := op(int(s)); err {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false // wait for readiness, then call f again
			default:
				opErr = err
				return true
			}
		}
	}
	var err error
	if read {
		err = e.rc.Read(f)
	} else {
		err = e.rc.Write(f)
	}
	if err == nil {
		err = opErr
	}
	return wrapSyscallError("splice", unwrapRaw(err))
}

// unwrapRaw takes the cause out of the *net.OpError a net or evnet RawConn
// wraps its errors in ("raw-read", "raw-write"): the caller wraps it again,
// as "readfrom" or "writeto". An *os.File's RawConn does not wrap.
func unwrapRaw(err error) error {
	if oe, ok := err.(*net.OpError); ok && (oe.Op == "raw-read" || oe.Op == "raw-write") {
		return oe.Err
	}
	return err
}

// spliceCopy moves at most remain bytes from src to dst through a pipe, as
// internal/poll's Splice does: splice(2) needs a pipe on one side, so each
// round drains src into the empty pipe, then pumps all of it into dst. It
// returns the bytes that reached dst. handled is false when nothing was
// moved and the copy can still be done another way: no pipe could be made,
// or the first splice from src failed with EINVAL (src's kind cannot be
// spliced; the failed call consumed nothing). Bytes drained from src but not
// pumped into dst when dst fails are lost, as in net.
func spliceCopy(dst, src *spliceEnd, remain int64) (written int64, handled bool, err error) {
	p := getPipe()
	if p == nil {
		return 0, false, nil
	}
	defer putPipe(p)
	for err == nil && remain > 0 {
		var inPipe int
		inPipe, err = p.drain(src, int(min(remain, maxSpliceSize)))
		handled = handled || !errors.Is(err, unix.EINVAL)
		if err != nil || inPipe == 0 {
			break // an error, or src's EOF
		}
		p.data += inPipe
		var n int
		n, err = p.pump(dst, inPipe)
		written += int64(n)
		remain -= int64(n)
		p.data -= n
	}
	if err != nil {
		return written, handled, err
	}
	return written, true, nil
}

// splicePipe is the pipe between the two ends of a splice; data counts the
// bytes in it.
type splicePipe struct {
	splicePipeFDs
	cleanup runtime.Cleanup
}

type splicePipeFDs struct{ rfd, wfd, data int }

// drain moves at most max bytes from src into p, which is empty, so that
// EAGAIN can only mean that src has nothing to read. 0 bytes and no error
// is src's EOF.
func (p *splicePipe) drain(src *spliceEnd, max int) (int, error) {
	var n int
	err := src.do(true, func(s int) error {
		m, err := unix.Splice(s, nil, p.wfd, nil, max, src.flags)
		if err != nil {
			return err
		}
		n = int(m)
		return nil
	})
	return n, err
}

// pump moves all inPipe bytes in p into dst, so that EAGAIN can only mean
// that dst is full. It returns what it moved before an error.
func (p *splicePipe) pump(dst *spliceEnd, inPipe int) (int, error) {
	var written int
	err := dst.do(false, func(s int) error {
		for inPipe > 0 {
			n, err := withoutSIGPIPE(inPipe, func() (int, error) {
				m, err := unix.Splice(p.rfd, nil, s, nil, inPipe, dst.flags)
				return int(m), err
			})
			if err != nil {
				return err
			}
			if n == 0 {
				// Cannot happen: p holds inPipe bytes and only we read
				// it. Do not spin if it does.
				return io.ErrUnexpectedEOF
			}
			inPipe -= n
			written += n
		}
		return nil
	})
	return written, err
}

// splicePipes caches pipes between transfers, as internal/poll does: a
// pipe costs pipe2 and fcntl, and closing it two more syscalls. The pool
// drops idle pipes at a GC; a cleanup then closes their fds.
var splicePipes = sync.Pool{New: func() any {
	p := newPipe()
	if p == nil {
		return nil // Get returns nil: the caller copies another way
	}
	p.cleanup = runtime.AddCleanup(p, func(fds splicePipeFDs) { fds.close() }, p.splicePipeFDs)
	return p
}}

func getPipe() *splicePipe {
	p, _ := splicePipes.Get().(*splicePipe)
	return p
}

// putPipe returns p to the pool, or closes it if data is stuck in it (dst
// failed): the next transfer must start with an empty pipe.
func putPipe(p *splicePipe) {
	if p.data != 0 {
		p.cleanup.Stop()
		p.close()
		return
	}
	splicePipes.Put(p)
}

// newPipe makes a nonblocking pipe sized for maxSpliceSize bytes, or nil if
// it cannot (EMFILE...), and then the caller copies another way.
func newPipe() *splicePipe {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil
	}
	// A smaller pipe works too, with more syscalls: ignore a failure
	// (EPERM above /proc/sys/fs/pipe-max-size for an unprivileged user).
	_, _ = unix.FcntlInt(uintptr(fds[0]), unix.F_SETPIPE_SZ, maxSpliceSize)
	return &splicePipe{splicePipeFDs: splicePipeFDs{rfd: fds[0], wfd: fds[1]}}
}

func (p splicePipeFDs) close() {
	// Nothing to do about a close error on a pipe we only spliced
	// through, and the fds are gone either way (close(2)).
	_ = unix.Close(p.rfd)
	_ = unix.Close(p.wfd)
}
