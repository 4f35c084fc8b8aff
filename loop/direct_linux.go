//go:build linux

package loop

import (
	"encoding/binary"
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// defaultDirect is the most direct-read slots a parked loop makes when
// Config.Direct is 0.
const defaultDirect = 64

// slot is an epoll instance of its own, registered with the runtime's
// poller through an *os.File, holding the socket of one Desc (read
// interest, edge-triggered) and an eventfd to kick its reader. The runtime's
// netpoll readies the reader itself when the socket becomes readable, and
// runs it on the M that polled, as it does for the sockets of net: no
// handoff by the loop goroutine and no wakep (see doc.go).
type slot struct {
	idx  int // in the loop's slots
	f    *os.File
	rc   syscall.RawConn
	epfd int
	kfd  int     // eventfd in the slot's epoll; written by kick
	one  [8]byte // 1 in native byte order: what kick writes

	// Used by the owner's reader only, under the Desc's read lock.
	evs   [2]unix.EpollEvent
	dl    int64 // the deadline last set on f; 0: none
	ready func(uintptr) bool

	// The state of read, which runs its syscall inside RawConn.Read.
	d      *Desc
	buf    []byte
	n      int
	err    error
	readFn func(uintptr) bool
}

// slotKick is the epoll data of a slot's eventfd.
const slotKick = -1

// newSlot makes a slot: a CLOEXEC epoll with a nonblocking, CLOEXEC eventfd
// in it.
func newSlot(idx int) (*slot, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	kfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd) // the eventfd error is the one worth reporting
		return nil, os.NewSyscallError("eventfd", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: slotKick}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, kfd, &ev); err != nil {
		unix.Close(kfd) // the epoll_ctl error is the one worth reporting
		unix.Close(epfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	// The runtime's poller wants a nonblocking fd; an epoll fd never blocks
	// a read anyway (reads fail), and RawConn.Read never reads it.
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(kfd) // the fcntl error is the one worth reporting
		unix.Close(epfd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	f := os.NewFile(uintptr(epfd), "evnet-direct")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close() // the SyscallConn error is the one worth reporting
		unix.Close(kfd)
		return nil, err
	}
	sl := &slot{idx: idx, f: f, rc: rc, epfd: epfd, kfd: kfd}
	binary.NativeEndian.PutUint64(sl.one[:], 1)
	sl.ready = func(uintptr) bool {
		// Any event is a wakeup: the socket's edge, a kick, or a stale
		// edge from before the read attempt (a spurious wakeup).
		n, err := unix.EpollWait(sl.epfd, sl.evs[:], 0)
		return n > 0 || err != nil && err != unix.EINTR
	}
	sl.readFn = sl.tryRead
	return sl, nil
}

// attach adds fd to the slot, for readable edges.
func (sl *slot) attach(fd int) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(fd)}
	return unix.EpollCtl(sl.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
}

// detach removes fd from the slot, before fd is closed.
func (sl *slot) detach(fd int) {
	// An error means fd is not in the slot any more: nothing to remove.
	var ev unix.EpollEvent
	_ = unix.EpollCtl(sl.epfd, unix.EPOLL_CTL_DEL, fd, &ev)
}

// kick wakes the slot's reader. It never blocks. EAGAIN would mean the
// eventfd counter is full, which 2^64-2 kicks never reach.
func (sl *slot) kick() { _, _ = unix.Write(sl.kfd, sl.one[:]) }

// wait parks the calling reader until the slot reports an event, the
// deadline dl (0: none) passes, or the slot is closed. RawConn.Read resets
// the runtime's readiness first; the first call of ready then finds an edge
// that came before, in the slot's epoll.
func (sl *slot) wait(dl int64) {
	sl.setDeadline(dl)
	// os.ErrDeadlineExceeded or a closed file: the caller's check tells
	// which; anything else is a spurious wakeup.
	_ = sl.rc.Read(sl.ready)
}

// setDeadline gives f the reader's deadline, so that the runtime's timer
// ends the wait.
func (sl *slot) setDeadline(dl int64) {
	if dl == sl.dl {
		return
	}
	var t time.Time
	if dl != 0 {
		t = epoch.Add(time.Duration(dl))
	}
	// It fails only when the slot is closed, which Read reports too.
	_ = sl.f.SetReadDeadline(t)
	sl.dl = dl
}

// read is Desc.ReadDirect: read(2) into p from inside RawConn.Read, the way
// internal/poll reads, so that a wait costs no syscall of its own: the
// runtime resets its readiness, tryRead reads, and on EAGAIN the runtime
// parks the reader until the slot's epoll has a new edge.
func (sl *slot) read(d *Desc, p []byte) (int, error) {
	sl.d, sl.buf = d, p
	defer func() { sl.d, sl.buf, sl.err = nil, nil, nil }()
	for {
		sl.n, sl.err = 0, nil
		sl.setDeadline(d.rd.deadline.Load())
		if err := sl.rc.Read(sl.readFn); err != nil {
			// The runtime's timer fired, or the loop closed the slot.
			// Only check decides; nil is an early or spurious wakeup.
			if err := d.check(&d.rd); err != nil {
				return 0, err
			}
			continue
		}
		if sl.err != errDeadlineMoved {
			return sl.n, sl.err
		}
	}
}

// errDeadlineMoved makes read set the new deadline on f and wait again.
var errDeadlineMoved = errors.New("deadline moved")

// tryRead is read's function for RawConn.Read: true when read is done.
func (sl *slot) tryRead(uintptr) bool {
	d := sl.d
	if sl.err = d.check(&d.rd); sl.err != nil {
		return true
	}
	if d.rd.deadline.Load() != sl.dl {
		sl.err = errDeadlineMoved
		return true
	}
	for {
		n, err := unix.Read(d.Fd(), sl.buf)
		switch err {
		case nil:
			sl.n = n
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		sl.err = os.NewSyscallError("read", err)
		return true
	}
}

func (sl *slot) close() error {
	err := sl.f.Close()
	if cerr := unix.Close(sl.kfd); err == nil && cerr != nil {
		err = os.NewSyscallError("close", cerr)
	}
	return err
}
