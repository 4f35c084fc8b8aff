package evnet

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// sendFileFrom sends at most remain bytes of the file behind rc to the
// socket with sendfile(2), from the file's offset on, which it advances, as
// net's sendFile does. rc.Read holds the file open (and its read lock)
// meanwhile; it calls back once.
func (fd *netFD) sendFileFrom(rc syscall.RawConn, remain int64) (written int64, handled bool, err error) {
	if rerr := rc.Read(func(s uintptr) bool {
		written, handled, err = fd.sendFile(int(s), remain)
		return true
	}); rerr != nil {
		// f did not run: the file is closed. The fallback reports it.
		return 0, false, nil
	}
	return written, handled, err
}

// sendFile is the sendfile(2) loop on the socket's write side, under the
// wait protocol of ioWait: after EAGAIN it waits for writability (or the
// write deadline, or Close) and goes on. handled is false, with nothing
// sent, when the socket cannot be written to at all (closed, deadline
// passed: net then lets its generic copy report that) or the kernel cannot
// sendfile from src (EINVAL, ENOSYS, EOPNOTSUPP); a fallback copy may then
// still do the transfer.
func (fd *netFD) sendFile(src int, remain int64) (written int64, handled bool, err error) {
	var started bool
	var unsupported error
	err = fd.ioWait(false, "sendfile", func(s int) error {
		started = true
		for written < remain {
			chunk := int(min(remain-written, maxRW))
			n, err := withoutSIGPIPE(chunk, func() (int, error) {
				// A nil offset: from and advancing src's file offset.
				return unix.Sendfile(s, src, nil, chunk)
			})
			switch err {
			case nil:
				if n == 0 {
					return nil // src's EOF
				}
				written += int64(n)
			case unix.EINVAL, unix.ENOSYS, unix.EOPNOTSUPP:
				if written == 0 {
					unsupported = err
					return nil
				}
				return err
			default:
				return err // EAGAIN and EINTR included: ioWait handles them
			}
		}
		return nil
	})
	if !started || unsupported != nil {
		return 0, false, nil
	}
	return written, true, err
}
