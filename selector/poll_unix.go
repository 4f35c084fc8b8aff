//go:build unix

package selector

import (
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// pollSel is the portable selector: poll(2) over a guarded registration
// table, with edges emulated by dropping an interest once it was reported
// (see Rearmer), and a self-pipe that interrupts a blocked poll when the
// table changes (mio's notify_waker).
type pollSel struct {
	mu       sync.Mutex
	regs     []pollReg   // registrations, in no particular order
	index    map[int]int // fd → position in regs
	closed   bool
	polling  bool // a Select is in poll(2) with a snapshot of regs
	notified bool // a byte is in the self-pipe since poll was entered
	rfd, wfd int  // the self-pipe; rfd is always pfds[0]

	pfds []unix.PollFd // Select's snapshot; used by one goroutine at a time
}

// pollReg is one registered fd.
type pollReg struct {
	fd       int
	token    Token
	interest Interest // what the caller asked for
	armed    Interest // the part of interest not reported since the last Rearm
}

// NewPoll returns a poll(2) selector. It implements Rearmer but not
// Pollable. Its self-pipe is nonblocking and close-on-exec.
func NewPoll() (Selector, error) {
	r, w, err := Pipe()
	if err != nil {
		return nil, err
	}
	return &pollSel{index: make(map[int]int), rfd: r, wfd: w}, nil
}

func (s *pollSel) Name() string { return "poll" }

func (s *pollSel) Register(fd int, t Token, i Interest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if fd < 0 {
		return unix.EBADF
	}
	if _, ok := s.index[fd]; ok {
		return unix.EEXIST // as epoll_ctl(EPOLL_CTL_ADD) reports it
	}
	s.index[fd] = len(s.regs)
	s.regs = append(s.regs, pollReg{fd: fd, token: t, interest: i, armed: i})
	return s.notify()
}

func (s *pollSel) Reregister(fd int, t Token, i Interest) error {
	return s.update(fd, func(r *pollReg) {
		r.token, r.interest, r.armed = t, i, i
	})
}

// Rearm implements Rearmer: it arms again the part of i that fd was
// registered for.
func (s *pollSel) Rearm(fd int, i Interest) error {
	return s.update(fd, func(r *pollReg) {
		r.armed |= i & r.interest
	})
}

// update applies f to fd's registration and interrupts a blocked poll.
func (s *pollSel) update(fd int, f func(*pollReg)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	k, ok := s.index[fd]
	if !ok {
		return unix.ENOENT // as epoll_ctl(EPOLL_CTL_MOD) reports it
	}
	old := s.regs[k]
	f(&s.regs[k])
	if s.regs[k] == old {
		return nil // nothing for a blocked poll to pick up
	}
	return s.notify()
}

func (s *pollSel) Deregister(fd int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	k, ok := s.index[fd]
	if !ok {
		return unix.ENOENT
	}
	last := len(s.regs) - 1
	if k != last {
		s.regs[k] = s.regs[last]
		s.index[s.regs[k].fd] = k
	}
	s.regs = s.regs[:last]
	delete(s.index, fd)
	// Interrupt a blocked poll too, so that it lets go of fd before the
	// caller closes it and the number is reused.
	return s.notify()
}

// notify makes a blocked poll return, so that Select polls again with the
// new table. It is called with s.mu held.
func (s *pollSel) notify() error {
	if !s.polling || s.notified {
		return nil
	}
	b := [1]byte{1}
	for {
		_, err := unix.Write(s.wfd, b[:])
		switch err {
		case nil, unix.EAGAIN:
			// EAGAIN: the pipe is full, so poll already sees rfd readable.
			s.notified = true
			return nil
		case unix.EINTR:
			continue // interrupted by a signal before writing; write again
		default:
			return os.NewSyscallError("write", err)
		}
	}
}

// snapshot copies the armed part of the table into s.pfds for poll(2), the
// self-pipe first, and marks s as polling.
func (s *pollSel) snapshot() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.pfds = append(s.pfds[:0], unix.PollFd{Fd: int32(s.rfd), Events: unix.POLLIN})
	for _, r := range s.regs {
		p := unix.PollFd{Fd: int32(r.fd)}
		if r.armed&Readable != 0 {
			p.Events |= unix.POLLIN | pollReadHup
		}
		if r.armed&Writable != 0 {
			p.Events |= unix.POLLOUT
		}
		if p.Events == 0 {
			// Nothing armed: a negative fd makes poll skip the entry, which
			// it would otherwise report again and again on hang-up or error.
			p.Fd = -1
		}
		s.pfds = append(s.pfds, p)
	}
	s.polling = true
	return nil
}

func (s *pollSel) Select(evs []Event, timeout time.Duration) (int, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	w := newWait(timeout)
	for {
		if err := s.snapshot(); err != nil {
			return 0, err
		}
		n, err := unix.Poll(s.pfds, w.ms)
		if err != nil && err != unix.EINTR {
			err = os.NewSyscallError("poll", err)
		}
		s.mu.Lock()
		s.polling = false
		if err == nil && s.pfds[0].Revents != 0 {
			err = s.drain()
		}
		k := 0
		if err == nil && n > 0 {
			k = s.collect(evs)
		}
		s.mu.Unlock()
		switch {
		case err == unix.EINTR:
			// Interrupted by a signal (signal(7)): poll again below with
			// what is left of the timeout.
		case err != nil:
			return 0, err
		case k > 0 || w.ms == 0 || n == 0:
			// Events, a poll, or the timeout expired with nothing ready.
			return k, nil
		}
		// Woken by a registration change, or every ready fd was
		// deregistered or disarmed meanwhile: poll the new table.
		if !w.again() {
			return 0, nil
		}
	}
}

// drain empties the self-pipe. It is called with s.mu held.
func (s *pollSel) drain() error {
	s.notified = false
	var buf [64]byte
	for {
		n, err := unix.Read(s.rfd, buf[:])
		switch {
		case err == nil && n == 0, err == unix.EAGAIN:
			return nil // empty (EOF cannot happen while s holds wfd)
		case err == nil, err == unix.EINTR:
			continue // more bytes may be left; a signal interrupted nothing
		default:
			return os.NewSyscallError("read", err)
		}
	}
}

// collect fills evs from the poll results in s.pfds, looking fds up in the
// current table: an fd deregistered meanwhile is skipped, and the reported
// interests are disarmed. It is called with s.mu held and returns the count.
func (s *pollSel) collect(evs []Event) int {
	k := 0
	for _, p := range s.pfds[1:] {
		if k == len(evs) {
			break
		}
		if p.Revents == 0 {
			continue
		}
		i, ok := s.index[int(p.Fd)]
		if !ok {
			continue
		}
		r := &s.regs[i]
		e := readiness{
			in:    p.Revents&(unix.POLLIN|unix.POLLPRI) != 0,
			out:   p.Revents&unix.POLLOUT != 0,
			rdhup: p.Revents&pollReadHup != 0,
			hup:   p.Revents&unix.POLLHUP != 0,
			err:   p.Revents&(unix.POLLERR|unix.POLLNVAL) != 0,
		}.event(r.token)
		e.Readable = e.Readable && r.armed&Readable != 0
		e.Writable = e.Writable && r.armed&Writable != 0
		if !e.Readable && !e.Writable {
			continue // the registration changed after the snapshot
		}
		if e.Readable {
			r.armed &^= Readable
		}
		if e.Writable {
			r.armed &^= Writable
		}
		if p.Revents&unix.POLLNVAL != 0 {
			// fd was closed without Deregister: stop polling it.
			r.armed = 0
		}
		evs[k] = e
		k++
	}
	return k
}

func (s *pollSel) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	s.regs, s.index = nil, nil
	werr := unix.Close(s.wfd)
	if err := unix.Close(s.rfd); err != nil {
		return os.NewSyscallError("close", err)
	}
	if werr != nil {
		return os.NewSyscallError("close", werr)
	}
	return nil
}
