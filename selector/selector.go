package selector

import (
	"errors"
	"time"
)

// Token identifies a registration. The loop chooses it: the fd (or a slot) in
// the low 32 bits and a generation in the high 32 bits, so that an event for a
// closed-and-reused fd number can be recognised and dropped.
type Token uint64

// Interest is the set of readiness kinds a registration asks for.
type Interest uint8

const (
	// Readable asks for read readiness (and read-closed / error hints).
	Readable Interest = 1 << iota
	// Writable asks for write readiness (and write-closed / error hints).
	Writable
)

// Event is one readiness notification returned by Select.
//
// Readable and Writable say which waiters to wake: they are set when the fd
// is ready for that direction, and also on hang-up and error (as runtime's
// netpoll does), so that a waiter retries its syscall and sees EOF or the
// error. ReadClosed, WriteClosed and Error are hints only (see mio's Poll
// "Portability"): a caller must still read or write to learn the real state,
// and must tolerate spurious and repeated events.
type Event struct {
	Token       Token
	Readable    bool
	Writable    bool
	ReadClosed  bool
	WriteClosed bool
	Error       bool
}

// Selector waits for readiness of registered file descriptors.
//
// Register, Reregister and Deregister may be called from any goroutine, also
// while another goroutine is blocked in Select. Select must be called by one
// goroutine at a time. Close must not race with Select.
type Selector interface {
	// Register adds fd with token t and interest i. It is edge-triggered
	// where the OS allows it (epoll EPOLLET, kqueue EV_CLEAR); the poll(2)
	// backend emulates edges (see Rearmer).
	Register(fd int, t Token, i Interest) error
	// Reregister changes the token and interest of a registered fd.
	Reregister(fd int, t Token, i Interest) error
	// Deregister removes fd. It must be called before fd is closed.
	Deregister(fd int) error
	// Select fills evs with ready events and returns how many it filled.
	// A negative timeout blocks until an event arrives, zero polls, and a
	// positive timeout below a millisecond rounds up to one. EINTR is
	// retried with what is left of the timeout; when none is left, Select
	// returns 0 events. With an empty evs it returns 0 at once.
	Select(evs []Event, timeout time.Duration) (int, error)
	// Close releases the selector. Registered fds are not closed.
	Close() error
	// Name reports the mechanism: "epoll", "kqueue" or "poll".
	Name() string
}

// Pollable is implemented by selectors backed by a file descriptor that is
// itself readable when Select(evs, 0) would return events (epoll, kqueue).
// The loop uses it to park on the runtime's poller instead of blocking an OS
// thread in Select.
type Pollable interface {
	PollFd() int
}

// Rearmer is implemented by selectors that emulate edge-triggering (poll(2)).
// After an event is reported for an interest, that interest is dropped until
// Rearm is called for it; callers call Rearm after a syscall returned EAGAIN
// and before they wait. Edge-triggered selectors do not implement it.
type Rearmer interface {
	Rearm(fd int, i Interest) error
}

// UserEventer is implemented by kqueue selectors on systems with EVFILT_USER
// (darwin, dragonfly, freebsd). The kqueue waker uses it; where it is absent
// the pipe waker is used instead.
type UserEventer interface {
	// RegisterUser adds an EVFILT_USER event with ident, reported with token t.
	RegisterUser(ident uint64, t Token) error
	// TriggerUser triggers the user event ident (NOTE_TRIGGER).
	TriggerUser(ident uint64) error
	// DeregisterUser removes the user event ident.
	DeregisterUser(ident uint64) error
}

// ErrClosed is returned by methods of a closed selector.
var ErrClosed = errors.New("selector: closed")

// ErrUnsupported is returned by New on platforms without a selector.
var ErrUnsupported = errors.New("selector: not supported on this platform")

// millis converts a Select timeout into the millisecond argument of
// epoll_wait/poll: -1 blocks, 0 polls, and anything positive rounds up.
func millis(timeout time.Duration) int {
	if timeout < 0 {
		return -1
	}
	if timeout == 0 {
		return 0
	}
	ms := (timeout + time.Millisecond - 1) / time.Millisecond
	if ms > 1<<31-1 {
		ms = 1<<31 - 1
	}
	return int(ms)
}
