package waker

import "errors"

// Waker interrupts a Select blocked on the selector it was registered with.
//
// Wake may be called from any goroutine, any number of times: wakes that
// happen before the next Select coalesce into one event carrying the waker's
// token. The loop calls Reset when it sees that token, before it acts on the
// work that caused the wake. Close deregisters and closes the waker's fds.
type Waker interface {
	Wake() error
	Reset() error
	Close() error
	// Name reports the mechanism: "eventfd", "user" (EVFILT_USER) or "pipe".
	Name() string
}

// ErrUnsupported is returned by New on platforms without a waker.
var ErrUnsupported = errors.New("waker: not supported on this platform")
