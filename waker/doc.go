// Package waker interrupts a blocked Select: the part of evnet that mio
// calls a Waker and the runtime calls netpollBreak.
//
// A Waker is registered with one selector under a token the loop chooses.
// The contract every backend keeps:
//
//   - Wake may be called from any goroutine, any number of times, and never
//     blocks. The wakes that happen before the loop's next Select coalesce
//     into one event carrying the waker's token, marked Readable.
//   - On that token the loop calls Reset, then acts on the work that was
//     queued for it; a Wake after Reset starts is reported again.
//   - Close deregisters the waker and closes its fds. It waits for Wakes in
//     flight; later calls return ErrClosed, so that a late Wake never writes
//     to a reused fd number. Close the waker before its selector.
//
// New picks the backend: the environment variable EVNET_WAKER (read once
// per process) or the default for this OS and selector. NewByName and
// Backends let tests run every backend compiled here. Every fd a waker
// creates is nonblocking and close-on-exec.
//
// # Implementation notes
//
// Linux: an eventfd, whose counter coalesces wakes; Reset reads it to zero.
// The default; EVNET_WAKER=pipe or the forcepipe build tag choose the pipe.
//
// darwin, dragonfly, freebsd: an EVFILT_USER event with EV_CLEAR on the
// selector's own kqueue (selector.UserEventer), triggered with NOTE_TRIGGER;
// it has no fd and Reset has nothing to do. A poll selector has no kqueue,
// so with one the default is the pipe, as in mio.
//
// Every unix system: a self-pipe, the fallback and the default on netbsd,
// openbsd and the rest. Wake writes one byte; a full pipe (EAGAIN) already
// means woken. Reset reads the pipe dry.
//
// With a selector that emulates edges (selector.Rearmer, the poll
// selector), Reset also re-arms the waker's read interest.
package waker
