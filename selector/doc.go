// Package selector waits for readiness of file descriptors: the part of
// evnet that mio calls a Selector and the runtime calls netpoll.
//
// A Selector holds registrations: an fd, a Token chosen by the caller (the
// loop puts the fd in the low 32 bits and a generation in the high 32) and
// an Interest (Readable, Writable or both). Select fills a slice of Events,
// each carrying the Token of a ready registration; the caller maps the
// token back to its descriptor and drops tokens whose generation is stale.
//
// The contract every backend keeps:
//
//   - Registrations are edge-triggered, or behave as if they were: after an
//     event, the same readiness is not reported again until it is lost and
//     regained (epoll, kqueue) or until the caller calls Rearm (poll, see
//     Rearmer). Callers must still tolerate spurious and repeated events.
//   - A caller reads or writes until EAGAIN before it waits again, and on a
//     Rearmer it calls Rearm after EAGAIN and before it waits.
//   - Readable and Writable tell which waiters to wake, and are also set on
//     hang-up and error; ReadClosed, WriteClosed and Error are hints. One fd
//     may come in two Events of one Select (kqueue reports each filter
//     apart), and an Event may mark a direction that was not asked for.
//   - Register, Reregister, Deregister (and Rearm) may be called from any
//     goroutine, also while another goroutine is blocked in Select; such a
//     change takes effect for that Select. Once Deregister has returned, no
//     later Select reports the fd's token. Deregister before closing an fd.
//   - Select is called by one goroutine at a time. A negative timeout
//     blocks, zero polls, and a positive one below a millisecond rounds up.
//     Signals (EINTR) never end a Select early with an error.
//   - Close releases the selector's own fds, never the registered ones, and
//     must not race with Select. Afterwards every method returns ErrClosed.
//   - Errors from the OS are *os.SyscallError values naming the system
//     call, so errors.Is(err, unix.ENOENT) works. A duplicate Register
//     reports EEXIST, and a change to an unregistered fd ENOENT, on every
//     backend.
//
// New picks the backend: the environment variable EVNET_SELECTOR (read once
// per process) or this OS's default. NewByName and Backends let tests run
// every backend compiled here. Every fd a selector creates is close-on-exec.
//
// # Implementation notes
//
// Linux: epoll with EPOLLET and EPOLLRDHUP. The token is split over the
// epoll_event data's two 32-bit halves. The epoll fd is Pollable. The
// default; EVNET_SELECTOR=poll or the forcepoll build tag choose poll.
//
// darwin, dragonfly, freebsd, netbsd, openbsd: kqueue, with EVFILT_READ and
// EVFILT_WRITE added with EV_CLEAR. Changes go with EV_RECEIPT, so that each
// gets its own errno, as in mio; netbsd, where x/sys has no EV_RECEIPT,
// submits them one kevent call at a time. Tokens live in a table inside the
// selector, not in Udata (a pointer field on most systems). EV_EOF is
// reported as ReadClosed or WriteClosed for the filter that saw it, and a
// socket error in Fflags as Error. ENOENT from deleting a filter that was
// never added is ignored, and so is EPIPE from adding a pipe whose other end
// is closed (older macOS reports it, yet adds the filter). On darwin,
// dragonfly and freebsd the selector also implements UserEventer with
// EVFILT_USER, for the waker. The kqueue fd is Pollable.
//
// Every unix system: poll(2), the fallback. The registrations live in a
// mutex-guarded table; each Select polls a snapshot of it plus the read end
// of a nonblocking self-pipe, and a change made while a Select is blocked
// writes a byte to the pipe so that the Select polls the new table (mio's
// notify_waker). Edges are emulated: once an interest is reported it is
// dropped until Rearm or Reregister, and an fd with nothing armed is left
// out of the poll, so that a hang-up is not reported in a loop. POLLRDHUP
// is requested on Linux only. POLLNVAL (an fd closed while registered) is
// reported once, as Error. There is no fd to poll, so it is not Pollable.
package selector
