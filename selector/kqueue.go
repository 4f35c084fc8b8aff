//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package selector

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// kqueue is the BSD and macOS selector: EVFILT_READ and EVFILT_WRITE with
// EV_CLEAR (edge-triggered). Tokens live in a guarded fd → Token table, not
// in Udata: its type differs per OS, and a token is not a pointer.
type kqueue struct {
	kq     int
	closed atomic.Bool // set by Close before it takes mu

	mu    sync.Mutex
	fds   map[int]Token    // registered fds
	users map[uint64]Token // EVFILT_USER idents (see user_kqueue.go)

	raw []unix.Kevent_t // scratch for Select; used by one goroutine at a time
}

// NewKqueue returns a kqueue selector. It implements Pollable, and on
// darwin, dragonfly and freebsd also UserEventer. The kqueue fd is
// close-on-exec.
func NewKqueue() (Selector, error) {
	// Hold ForkLock so that no fork+exec inherits the fd before it is
	// close-on-exec, as the runtime and os do on these systems.
	syscall.ForkLock.RLock()
	kq, err := unix.Kqueue()
	if err == nil {
		unix.CloseOnExec(kq)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, os.NewSyscallError("kqueue", err)
	}
	return &kqueue{kq: kq, fds: make(map[int]Token), users: make(map[uint64]Token)}, nil
}

func (s *kqueue) Name() string { return "kqueue" }

// PollFd implements Pollable: a kqueue fd is readable while events are
// pending on it.
func (s *kqueue) PollFd() int { return s.kq }

// change is one kevent change: filter on ident with flags, plus fflags.
type change struct {
	ident  int
	filter int
	flags  int
	fflags uint32
}

// apply submits changes (at most two) and returns the first errno of a
// change that is not in ignore, wrapped.
func (s *kqueue) apply(changes []change, ignore ...unix.Errno) error {
	var in [2]unix.Kevent_t
	for k, c := range changes {
		unix.SetKevent(&in[k], c.ident, c.filter, c.flags)
		in[k].Fflags = c.fflags
	}
	errnos, err := s.submit(in[:len(changes)])
	if err != nil {
		return os.NewSyscallError("kevent", err)
	}
	for _, errno := range errnos {
		if errno != 0 && !contains(ignore, errno) {
			return os.NewSyscallError("kevent", errno)
		}
	}
	return nil
}

func contains(errs []unix.Errno, e unix.Errno) bool {
	for _, x := range errs {
		if x == e {
			return true
		}
	}
	return false
}

// fdChanges returns the changes that make fd's filters match i: EV_ADD for
// the wanted ones and, when del is set, EV_DELETE for the others.
func fdChanges(fd int, i Interest, del bool) []change {
	var cs []change
	for _, f := range [...]struct {
		in     Interest
		filter int
	}{{Readable, unix.EVFILT_READ}, {Writable, unix.EVFILT_WRITE}} {
		switch {
		case i&f.in != 0:
			cs = append(cs, change{ident: fd, filter: f.filter, flags: unix.EV_ADD | unix.EV_CLEAR})
		case del:
			cs = append(cs, change{ident: fd, filter: f.filter, flags: unix.EV_DELETE})
		}
	}
	return cs
}

func (s *kqueue) Register(fd int, t Token, i Interest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return ErrClosed
	}
	if _, ok := s.fds[fd]; ok {
		return unix.EEXIST // kqueue would modify; report it as epoll does
	}
	// EPIPE: older macOS reports it when registering a pipe whose other
	// end is closed, yet adds the filter (mio's kqueue selector).
	if err := s.apply(fdChanges(fd, i, false), unix.EPIPE); err != nil {
		// Undo a filter the other change may have added. The first error is
		// the one to report, so this cleanup's own error is dropped.
		_ = s.apply(fdChanges(fd, 0, true), unix.ENOENT)
		return err
	}
	s.fds[fd] = t
	return nil
}

func (s *kqueue) Reregister(fd int, t Token, i Interest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return ErrClosed
	}
	if _, ok := s.fds[fd]; !ok {
		return unix.ENOENT // as epoll_ctl(EPOLL_CTL_MOD) reports it
	}
	// ENOENT: deleting a filter that was never added.
	if err := s.apply(fdChanges(fd, i, true), unix.ENOENT); err != nil {
		return err
	}
	s.fds[fd] = t
	return nil
}

func (s *kqueue) Deregister(fd int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return ErrClosed
	}
	if _, ok := s.fds[fd]; !ok {
		return unix.ENOENT
	}
	delete(s.fds, fd)
	// ENOENT: deleting a filter that was never added.
	return s.apply(fdChanges(fd, 0, true), unix.ENOENT)
}

func (s *kqueue) Select(evs []Event, timeout time.Duration) (int, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	if len(evs) == 0 {
		return 0, nil
	}
	if cap(s.raw) < len(evs) {
		s.raw = make([]unix.Kevent_t, len(evs))
	}
	raw := s.raw[:len(evs)]
	w := newWait(timeout)
	for {
		var ts *unix.Timespec
		if w.ms >= 0 {
			t := unix.NsecToTimespec(int64(w.ms) * int64(time.Millisecond))
			ts = &t
		}
		n, err := unix.Kevent(s.kq, nil, raw, ts)
		if err == unix.EINTR {
			// Interrupted by a signal (signal(7)): wait again for what is
			// left of the timeout.
			if !w.again() {
				return 0, nil
			}
			continue
		}
		if err != nil {
			return 0, os.NewSyscallError("kevent", err)
		}
		return s.collect(evs, raw[:n]), nil
	}
}

// collect maps raw events to evs through the token tables, skipping idents
// deregistered meanwhile, and returns how many it filled.
func (s *kqueue) collect(evs []Event, raw []unix.Kevent_t) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := 0
	for _, r := range raw {
		var (
			t  Token
			ok bool
		)
		read := r.Filter == unix.EVFILT_READ
		write := r.Filter == unix.EVFILT_WRITE
		if read || write {
			t, ok = s.fds[int(r.Ident)]
		} else {
			// Only EVFILT_USER is added besides those two.
			t, ok = s.users[uint64(r.Ident)]
		}
		if !ok {
			continue
		}
		eof := r.Flags&unix.EV_EOF != 0
		evs[k] = Event{
			Token:       t,
			Readable:    read || !write, // a user event reads as readable
			Writable:    write,
			ReadClosed:  read && eof,
			WriteClosed: write && eof,
			// On EV_EOF, Fflags holds the socket error, if any (kqueue(2)).
			Error: r.Flags&unix.EV_ERROR != 0 || (eof && r.Fflags != 0),
		}
		k++
	}
	return k
}

func (s *kqueue) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	// Wait for a Register or Deregister that saw s open to finish with kq.
	s.mu.Lock()
	s.fds, s.users = nil, nil
	s.mu.Unlock()
	if err := unix.Close(s.kq); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// nativeBackend is the mechanism this OS has besides poll(2).
func nativeBackend() (backend, bool) { return backend{"kqueue", NewKqueue}, true }
