package waker

import "errors"

// Waker interrupts a Select blocked on the selector it was registered with.
//
// Wake may be called from any goroutine, any number of times: wakes that
// happen before the next Select coalesce into one event carrying the waker's
// token. The loop calls Reset when it sees that token, before it acts on the
// work that caused the wake. Close deregisters and closes the waker's fds;
// it must be called before the selector is closed.
type Waker interface {
	// Wake makes the selector report the waker's token. It does not block.
	Wake() error
	// Reset consumes pending wakes and, on a selector that emulates edges
	// (selector.Rearmer), arms the waker again. Later wakes are reported.
	Reset() error
	// Close deregisters the waker and releases its fds. Wake and Reset
	// return ErrClosed afterwards, and so does a second Close.
	Close() error
	// Name reports the mechanism: "eventfd", "user" (EVFILT_USER) or "pipe".
	Name() string
}

// ErrClosed is returned by the methods of a closed waker.
var ErrClosed = errors.New("waker: closed")

// ErrUnsupported is returned by New on platforms without a waker.
var ErrUnsupported = errors.New("waker: not supported on this platform")
