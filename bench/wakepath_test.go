//go:build linux

package bench

import (
	"errors"
	"io"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkWakePath isolates what evnet's design adds to the way a blocked
// reader is woken, with nothing else of either stack in the way: a 64-byte
// ping-pong between two goroutines over a loopback TCP pair of raw
// non-blocking sockets, each end read through an os.File's RawConn (the
// runtime's poller parks the reader until the fd is readable).
//
//	stack=net    the runtime's epoll holds the socket, as net's conns are held
//	stack=evnet  the runtime's epoll holds a private epoll that holds the
//	             socket (EPOLLIN|EPOLLRDHUP|EPOLLET), as a reader on one of
//	             evnet's direct slots waits
//
// The two differ only in the kernel's work: the nested epoll's wake-up
// (its callback, then the outer one's) and the outer epoll_wait polling the
// inner epoll, which scans its ready list and polls the socket again. The
// user-space path is the same code. Reports p50/p99 per round trip, thread
// sleeps and CPU per round trip.
func BenchmarkWakePath(b *testing.B) { benchWakePath(b, 1) }

// BenchmarkWakePath64 is BenchmarkWakePath on 64 pairs at once, each with
// its client goroutine (PingPong64's shape, every reader on a nested epoll
// of its own for stack=evnet, as if every one had a direct slot); ns/op is
// per round trip across all of them.
func BenchmarkWakePath64(b *testing.B) { benchWakePath(b, 64) }

func benchWakePath(b *testing.B, pairs int) {
	forWakePaths(b, func(b *testing.B, nested bool) { wakePath(b, nested, pairs) })
}

// forWakePaths runs f as sub-benchmark stack=net (nested false) and
// stack=evnet (nested true).
func forWakePaths(b *testing.B, f func(b *testing.B, nested bool)) {
	b.Run("stack=net", func(b *testing.B) { f(b, false) })
	b.Run("stack=evnet", func(b *testing.B) { f(b, true) })
}

// rawEnd is one end of a raw pair: the socket, and the RawConns whose calls
// park on the runtime's poller for it: rc for readability (through f, the
// socket's or the nested epoll's os.File) and, for writability, rc itself
// or, nested, a second epoll holding the socket for EPOLLOUT (as evnet's
// writer slots do).
type rawEnd struct {
	fd int
	f  *os.File // owns fd, or the nested read epoll
	wf *os.File // the nested write epoll; nil when not nested
	rc syscall.RawConn
	// waitWrite runs a write callback until it reports done, parking while
	// the socket is full: rc.Write, or the write epoll's RawConn Read.
	waitWrite func(func(uintptr) bool) error

	// The callbacks and what they read or write and return, made once: a
	// closure per call would allocate.
	p, wp   []byte
	n, wn   int
	err     error
	werr    error
	readFn  func(uintptr) bool
	writeFn func(uintptr) bool
}

func (e *rawEnd) write(p []byte) error {
	_, err := unix.Write(e.fd, p)
	return err
}

// readFull reads len(p) bytes, parking in the RawConn while the socket is
// empty.
func (e *rawEnd) readFull(p []byte) error {
	for got := 0; got < len(p); {
		e.p = p[got:]
		if err := e.rc.Read(e.readFn); err != nil {
			return err
		}
		if e.err != nil {
			return e.err
		}
		if e.n == 0 {
			return io.ErrUnexpectedEOF
		}
		got += e.n
	}
	return nil
}

// writeAll writes p, parking while the socket's buffer is full.
func (e *rawEnd) writeAll(p []byte) error {
	for len(p) > 0 {
		e.wp = p
		if err := e.waitWrite(e.writeFn); err != nil {
			return err
		}
		if e.werr != nil {
			return e.werr
		}
		p = p[e.wn:]
	}
	return nil
}

func (e *rawEnd) close() {
	e.f.Close()
	if e.wf != nil { // nested: f and wf are the epolls, fd is still open
		e.wf.Close()
		unix.Close(e.fd)
	}
}

// nestedEpoll returns a new non-blocking epoll instance holding fd for
// events (edge-triggered), as an os.File.
func nestedEpoll(fd int, events uint32) (*os.File, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	ev := unix.EpollEvent{Events: events | unix.EPOLLET, Fd: int32(fd)}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		unix.Close(ep)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	if err := unix.SetNonblock(ep, true); err != nil {
		unix.Close(ep)
		return nil, err
	}
	return os.NewFile(uintptr(ep), "wakepath-epoll"), nil
}

// newRawEnd makes the waiting side of socket fd: the runtime's poller holds
// fd itself, or new epoll instances holding it when nested (one for reads,
// one for writes). The end owns fd; on an error fd is closed.
func newRawEnd(fd int, nested bool) (*rawEnd, error) {
	e := &rawEnd{fd: fd}
	e.readFn = func(uintptr) bool {
		e.n, e.err = unix.Read(e.fd, e.p)
		return e.err != unix.EAGAIN
	}
	e.writeFn = func(uintptr) bool {
		e.wn, e.werr = unix.Write(e.fd, e.wp)
		return e.werr != unix.EAGAIN
	}
	var err error
	if nested {
		if e.f, err = nestedEpoll(fd, unix.EPOLLIN|unix.EPOLLRDHUP); err != nil {
			unix.Close(fd)
			return nil, err
		}
		if e.wf, err = nestedEpoll(fd, unix.EPOLLOUT); err != nil {
			e.f.Close()
			unix.Close(fd)
			return nil, err
		}
	} else {
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(fd)
			return nil, err
		}
		e.f = os.NewFile(uintptr(fd), "wakepath")
	}
	if e.rc, err = e.f.SyscallConn(); err != nil {
		e.close()
		return nil, err
	}
	e.waitWrite = e.rc.Write
	if nested {
		wrc, err := e.wf.SyscallConn()
		if err != nil {
			e.close()
			return nil, err
		}
		e.waitWrite = wrc.Read
	}
	return e, nil
}

// rawTCPPair connects two loopback TCP sockets, both non-blocking, with
// TCP_NODELAY as net sets it.
func rawTCPPair() (a, c int, err error) {
	ln, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, err
	}
	defer unix.Close(ln)
	if err := unix.Bind(ln, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return -1, -1, err
	}
	if err := unix.Listen(ln, 1); err != nil {
		return -1, -1, err
	}
	sa, err := unix.Getsockname(ln)
	if err != nil {
		return -1, -1, err
	}
	c, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, err
	}
	if err := unix.Connect(c, sa); err != nil {
		unix.Close(c)
		return -1, -1, err
	}
	a, _, err = unix.Accept4(ln, unix.SOCK_CLOEXEC)
	if err != nil {
		unix.Close(c)
		return -1, -1, err
	}
	for _, fd := range []int{a, c} {
		if err = errors.Join(unix.SetNonblock(fd, true), unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)); err != nil {
			unix.Close(a)
			unix.Close(c)
			return -1, -1, err
		}
	}
	return a, c, nil
}

// rawEcho is a raw pair with its echo goroutine running; stop ends it.
type rawEcho struct {
	cli, srv *rawEnd
	cfd      int
	echoed   chan error
}

func newRawEcho(nested bool) (*rawEcho, error) {
	sfd, cfd, err := rawTCPPair()
	if err != nil {
		return nil, err
	}
	srv, err := newRawEnd(sfd, nested)
	if err != nil {
		unix.Close(cfd)
		return nil, err
	}
	cli, err := newRawEnd(cfd, nested)
	if err != nil {
		srv.close()
		return nil, err
	}
	e := &rawEcho{cli: cli, srv: srv, cfd: cfd, echoed: make(chan error, 1)}
	go func() { // echo until the client shuts its side
		buf := make([]byte, 64)
		for {
			if err := srv.readFull(buf); err != nil {
				if err == io.ErrUnexpectedEOF {
					err = nil
				}
				e.echoed <- err
				return
			}
			if err := srv.write(buf); err != nil {
				e.echoed <- err
				return
			}
		}
	}()
	return e, nil
}

// roundTrip sends msg and reads the echo into buf.
func (e *rawEcho) roundTrip(msg, buf []byte) error {
	if err := e.cli.write(msg); err != nil {
		return err
	}
	return e.cli.readFull(buf)
}

// stop shuts the client's side, waits for the echo goroutine and closes
// both ends; it returns the echo's error.
func (e *rawEcho) stop() error {
	unix.Shutdown(e.cfd, unix.SHUT_WR)
	err := <-e.echoed
	e.cli.close()
	e.srv.close()
	return err
}

func wakePath(b *testing.B, nested bool, pairs int) {
	es := make([]*rawEcho, 0, pairs)
	defer func() {
		for _, e := range es {
			if err := e.stop(); err != nil {
				b.Error("echo:", err)
			}
		}
	}()
	for range pairs {
		e, err := newRawEcho(nested)
		if err != nil {
			b.Fatal(err)
		}
		es = append(es, e)
	}
	msg, buf := make([]byte, 64), make([]byte, 64)
	for range 100 { // warm up
		if err := es[0].roundTrip(msg, buf); err != nil {
			b.Fatal(err)
		}
	}
	per := b.N
	if pairs > 1 {
		per = b.N/pairs + 1
	}
	b.ReportAllocs()
	m := startMeter()
	b.ResetTimer()
	lat, err := parallelRoundTrips(pairs, per, func(i int, msg, buf []byte) error {
		return es[i].roundTrip(msg, buf)
	})
	b.StopTimer()
	m.stop()
	if err != nil {
		b.Fatal(err)
	}
	reportLatency(b, lat)
	m.report(b, per*pairs)
}

// BenchmarkWakePathBulk is BulkMiB's workload on a raw pair woken both ways
// (see BenchmarkWakePath): 1 MiB writes, parking while the socket's buffer
// is full, to a reader that discards them with a 256 KiB buffer; MB/s is
// the throughput.
func BenchmarkWakePathBulk(b *testing.B) { forWakePaths(b, wakePathBulk) }

func wakePathBulk(b *testing.B, nested bool) {
	const chunk = 1 << 20
	sfd, cfd, err := rawTCPPair()
	if err != nil {
		b.Fatal(err)
	}
	srv, err := newRawEnd(sfd, nested)
	if err != nil {
		unix.Close(cfd)
		b.Fatal(err)
	}
	defer srv.close()
	cli, err := newRawEnd(cfd, nested)
	if err != nil {
		b.Fatal(err)
	}
	defer cli.close()
	want := int64(b.N) * chunk
	done := make(chan error, 1)
	buf, ack := make([]byte, 256<<10), []byte{1} // before the timer, as in Bulk1MiB
	go func() {
		for got := int64(0); got < want; {
			srv.p = buf
			if err := srv.rc.Read(srv.readFn); err != nil {
				done <- err
				return
			}
			if srv.err != nil {
				done <- srv.err
				return
			}
			if srv.n == 0 {
				done <- io.ErrUnexpectedEOF
				return
			}
			got += int64(srv.n)
		}
		done <- srv.writeAll(ack) // everything arrived
	}()
	bulkWrites(b, chunk, cli.writeAll, cli.readFull, done)
}
