//go:build linux

package loop

import (
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// defaultDirect is the most direct slots a parked loop makes when
// Config.Direct is 0.
const defaultDirect = 64

// slot is an epoll instance of its own, registered with the runtime's
// poller through an *os.File, holding the socket of one Desc for one
// direction (read or write interest, edge-triggered). A kick is a past
// deadline on the file. The runtime's netpoll readies the waiter itself
// when the socket becomes ready, and runs it on the M that polled, as it
// does for the sockets of net: no handoff by the loop goroutine and no wakep
// (see doc.go).
type slot struct {
	idx  int // in the loop's slots
	f    *os.File
	rc   syscall.RawConn
	epfd int

	// Used by the owning direction's waiter only, under its lock.
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

// newSlot makes a slot: a CLOEXEC epoll.
func newSlot(idx int) (*slot, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	// The runtime's poller wants a nonblocking fd; an epoll fd never blocks
	// a read anyway (reads fail), and RawConn.Read never reads it.
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd) // the fcntl error is the one worth reporting
		return nil, os.NewSyscallError("fcntl", err)
	}
	f := os.NewFile(uintptr(epfd), "evnet-direct")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close() // the SyscallConn error is the one worth reporting
		return nil, err
	}
	sl := &slot{idx: idx, f: f, rc: rc, epfd: epfd}
	sl.ready = func(uintptr) bool {
		// Any event is a wakeup: the socket's edge, or a stale one from
		// before the read attempt (a spurious wakeup).
		for {
			n, err := unix.EpollWait(sl.epfd, sl.evs[:], 0)
			// A zero-timeout wait does not sleep, so no signal should
			// interrupt it; but on EINTR (strace's fault injection makes
			// one) false would park the reader with the event still queued
			// in the slot, and the runtime, seeing no new edge on the
			// slot's epoll fd, would not wake it again: retry instead.
			if err != unix.EINTR {
				return n > 0 || err != nil
			}
		}
	}
	sl.readFn = sl.tryRead
	return sl, nil
}

// attach adds fd to the slot, for readable edges if read, else writable
// ones. (Errors and hang-ups are reported either way.)
func (sl *slot) attach(fd int, read bool) error {
	ev := unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLET, Fd: int32(fd)}
	if read {
		ev.Events = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET
	}
	return unix.EpollCtl(sl.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
}

// detach removes fd from the slot, before fd is closed.
func (sl *slot) detach(fd int) {
	// An error means fd is not in the slot any more: nothing to remove.
	var ev unix.EpollEvent
	_ = unix.EpollCtl(sl.epfd, unix.EPOLL_CTL_DEL, fd, &ev)
}

// kick wakes the slot's reader, which then checks the Desc's state and
// deadline: it puts the file's deadline in the past, which the runtime
// reports to a parked reader at once and to the next RawConn.Read before
// its first try. It never blocks. (Whoever kicks has changed the state or
// deadline first: a reader that sets its deadline over the past one after
// the kick sees the change in its first check. A reader woken by a kick
// with nothing changed for it sets its own deadline again.)
func (sl *slot) kick() {
	// It fails only when the slot is closed, which the reader sees too.
	_ = sl.f.SetReadDeadline(aLongTimeAgo)
}

// aLongTimeAgo is a deadline that has passed.
var aLongTimeAgo = time.Unix(1, 0)

// wait parks the calling waiter of r until the slot reports an event, the
// deadline dl (0: none) passes, or the slot is closed. RawConn.Read resets
// the runtime's readiness first; the first call of ready then finds an edge
// that came before, in the slot's epoll.
func (sl *slot) wait(d *Desc, r *dir, dl int64) {
	sl.setDeadline(dl)
	// A kick that came after the caller's check and before setDeadline was
	// overwritten by it, and ready does not look at d: look now at what
	// the kicker changed before kicking (state, deadline), or the waiter
	// parks with nothing left to wake it.
	if d.check(r) != nil || r.deadline.Load() != dl {
		return
	}
	// os.ErrDeadlineExceeded or a closed file: the caller's check tells
	// which; anything else is a spurious wakeup.
	if sl.rc.Read(sl.ready) != nil {
		sl.dl = -1 // the file's deadline may be a kick's: set ours again
	}
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
			// The runtime's timer fired, a kick, or the loop closed the
			// slot. Only check decides; nil is an early or spurious
			// wakeup. Either way the file's deadline may be a kick's: the
			// next read sets ours again before it tries, rather than
			// failing once on the kick's (net/http kicks its background
			// read on every request).
			sl.dl = -1
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

func (sl *slot) close() error { return sl.f.Close() }
