package selector

import (
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// epoll is the Linux selector: one epoll instance, every fd registered once,
// edge-triggered, with EPOLLRDHUP so that a peer's shutdown is reported.
type epoll struct {
	epfd   int
	closed atomic.Bool
	raw    []unix.EpollEvent // scratch for Select; used by one goroutine at a time
}

// NewEpoll returns an epoll selector. The epoll fd is CLOEXEC.
func NewEpoll() (Selector, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	return &epoll{epfd: fd}, nil
}

func (s *epoll) Name() string { return "epoll" }

// PollFd implements Pollable: an epoll fd is readable while its ready list is
// not empty.
func (s *epoll) PollFd() int { return s.epfd }

func epollEvents(i Interest) uint32 {
	ev := uint32(unix.EPOLLET | unix.EPOLLRDHUP)
	if i&Readable != 0 {
		ev |= unix.EPOLLIN
	}
	if i&Writable != 0 {
		ev |= unix.EPOLLOUT
	}
	return ev
}

func (s *epoll) ctl(op, fd int, t Token, i Interest) error {
	if s.closed.Load() {
		return ErrClosed
	}
	ev := unix.EpollEvent{Events: epollEvents(i), Fd: int32(uint32(t)), Pad: int32(uint32(t >> 32))}
	if err := unix.EpollCtl(s.epfd, op, fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

func (s *epoll) Register(fd int, t Token, i Interest) error {
	return s.ctl(unix.EPOLL_CTL_ADD, fd, t, i)
}

func (s *epoll) Reregister(fd int, t Token, i Interest) error {
	return s.ctl(unix.EPOLL_CTL_MOD, fd, t, i)
}

func (s *epoll) Deregister(fd int) error {
	if s.closed.Load() {
		return ErrClosed
	}
	// A non-nil event pointer is required by kernels before 2.6.9 (epoll_ctl(2) BUGS).
	var ev unix.EpollEvent
	if err := unix.EpollCtl(s.epfd, unix.EPOLL_CTL_DEL, fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

func (s *epoll) Select(evs []Event, timeout time.Duration) (int, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	if len(evs) == 0 {
		return 0, nil
	}
	if cap(s.raw) < len(evs) {
		s.raw = make([]unix.EpollEvent, len(evs))
	}
	raw := s.raw[:len(evs)]
	w := newWait(timeout)
	for {
		n, err := unix.EpollWait(s.epfd, raw, w.ms)
		if err == unix.EINTR {
			// Interrupted by a signal (signal(7)): wait again for what is
			// left of the timeout.
			if !w.again() {
				return 0, nil
			}
			continue
		}
		if err != nil {
			return 0, os.NewSyscallError("epoll_wait", err)
		}
		for k := 0; k < n; k++ {
			e := raw[k].Events
			t := Token(uint32(raw[k].Fd)) | Token(uint32(raw[k].Pad))<<32
			evs[k] = readiness{
				in:    e&(unix.EPOLLIN|unix.EPOLLPRI) != 0,
				out:   e&unix.EPOLLOUT != 0,
				rdhup: e&unix.EPOLLRDHUP != 0,
				hup:   e&unix.EPOLLHUP != 0,
				err:   e&unix.EPOLLERR != 0,
			}.event(t)
		}
		return n, nil
	}
}

func (s *epoll) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	if err := unix.Close(s.epfd); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// nativeBackend is the mechanism this OS has besides poll(2).
func nativeBackend() (backend, bool) { return backend{"epoll", NewEpoll}, true }
