package selector

// readiness is one fd's state as a level-style mechanism (epoll, poll(2))
// reports it, decoded into the bits those mechanisms share.
type readiness struct {
	in    bool // EPOLLIN/EPOLLPRI, POLLIN/POLLPRI: data to read
	out   bool // EPOLLOUT, POLLOUT: room to write
	rdhup bool // EPOLLRDHUP, POLLRDHUP: the peer shut down its write side
	hup   bool // EPOLLHUP, POLLHUP: both directions are closed
	err   bool // EPOLLERR, POLLERR, POLLNVAL: an error is pending
}

// event turns r into an Event for token t. Like runtime's netpoll, it sets
// Readable and Writable also on hang-up and error, so that a waiting reader
// or writer is woken to observe EOF or the error with its own syscall; an fd
// registered for one direction may therefore see the other one reported.
func (r readiness) event(t Token) Event {
	return Event{
		Token:       t,
		Readable:    r.in || r.rdhup || r.hup || r.err,
		Writable:    r.out || r.hup || r.err,
		ReadClosed:  r.rdhup || r.hup,
		WriteClosed: r.hup || (r.err && r.out),
		Error:       r.err,
	}
}
