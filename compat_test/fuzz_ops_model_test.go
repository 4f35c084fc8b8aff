//go:build linux

package compat_test

// The model of FuzzF4Ops (fuzz_ops_test.go): A's and B's state, the
// guards that keep every blocking op short, and the checks of each result.

import (
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evnet/evnet"
)

const (
	f4MaxOps = 64
	f4Guard  = 50 * time.Millisecond // the longest a blocking op may wait
	f4Slack  = time.Second           // how late an op may return
)

// f4Sizes are the sizes of reads and writes.
var f4Sizes = [...]int{0, 1, 7, 100, 1000, 4096, 65536, 1 << 20}

// f4Conn is an evnet TCP or Unix conn.
type f4Conn interface {
	net.Conn
	CloseRead() error
	CloseWrite() error
}

// f4Byte is byte pos of the stream written by side (0: A, 1: B).
func f4Byte(side, pos int) byte { return byte(pos*131 + pos>>9 + side*97) }

// f4Fill returns the n stream bytes of side from pos.
func f4Fill(side, pos, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = f4Byte(side, pos+i)
	}
	return b
}

// f4Kind classifies an error of the model.
type f4Kind int

const (
	f4OK f4Kind = iota
	f4EOF
	f4Closed
	f4Deadline
	f4Errno
)

// f4Set is one deadline set while a background op ran.
type f4Set struct{ at, to time.Time }

// f4Async is a background read or write of A.
type f4Async struct {
	done     chan struct{}
	want     int
	data     []byte // read: what came; write: what was offered
	n        int
	err      error
	variant  int
	start    time.Time
	end      time.Time
	sets     []f4Set // the guard, then every deadline set meanwhile
	closedAt time.Time
}

// f4Dir is one direction of A's deadlines.
type f4Dir struct {
	user  time.Time // what the sequence asked for
	real  time.Time // what the conn has
	async *f4Async
}

// f4Model is one run.
type f4Model struct {
	t        *testing.T
	a, b     f4Conn
	tcp      bool
	log      []string
	rd, wr   f4Dir
	bDead    time.Time // B's deadline for both directions
	aWritten int       // bytes of A's stream written
	bWritten int
	aRead    int // bytes of B's stream A has read
	bRead    int
	// Events.
	aClosed, aShutRD, aShutWR bool
	bClosed, bShutWR, bRST    bool
	aCloseTime                time.Time
	lossToA, lossToB          bool // a reset may have cost the direction data
}

func (m *f4Model) logf(format string, args ...any) {
	m.log = append(m.log, fmt.Sprintf(format, args...))
}

func (m *f4Model) fail(format string, args ...any) {
	m.t.Helper()
	m.t.Fatalf("%s\nops:\n  %s", fmt.Sprintf(format, args...), strings.Join(m.log, "\n  "))
}

// classify checks err's shape for op on c and returns its kind.
func (m *f4Model) classify(c f4Conn, op string, err error) (f4Kind, syscall.Errno) {
	m.t.Helper()
	if err == nil {
		return f4OK, 0
	}
	var cerr error
	switch op {
	case "read":
		cerr = checkReadError(err)
		if isWrappedEOF(err) {
			cerr = nil // ReadMsgUnix and ReadFromUnix: net wraps io.EOF
		}
	case "write":
		cerr = checkWriteError(err)
	case "close":
		cerr = checkCloseError(err, false)
	case "shutdown":
		cerr = checkCloseError(err, true)
	case "set":
		cerr = checkCommonError(err)
	}
	if cerr != nil {
		m.fail("%s: %v", op, cerr)
	}
	if err == io.EOF {
		if op != "read" {
			m.fail("%s: bare io.EOF", op)
		}
		return f4EOF, 0
	}
	oe, ok := err.(*net.OpError)
	if !ok {
		m.fail("%s: %T %v, want a *net.OpError", op, err, err)
	}
	wantOp, src, dst := op, c.LocalAddr(), c.RemoteAddr()
	switch op {
	case "shutdown":
		wantOp = "close"
	case "set":
		src, dst = nil, c.LocalAddr()
	}
	if oe.Op != wantOp || oe.Source != src || oe.Addr != dst {
		m.fail("%s: OpError{Op: %q, Source: %v, Addr: %v}, want %q, %v, %v", op, oe.Op, oe.Source, oe.Addr, wantOp, src, dst)
	}
	switch e := oe.Err.(type) {
	case *os.SyscallError:
		errno, _ := e.Err.(syscall.Errno)
		return f4Errno, errno
	}
	switch {
	case oe.Err == net.ErrClosed:
		return f4Closed, 0
	case oe.Err == os.ErrDeadlineExceeded:
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			m.fail("%s: deadline error %v is not a Timeout", op, err)
		}
		return f4Deadline, 0
	case oe.Err == io.EOF && op == "read":
		return f4EOF, 0
	}
	m.fail("%s: OpError.Err %T %v", op, oe.Err, oe.Err)
	return 0, 0
}

// guard makes sure a blocking op of d on A waits at most f4Guard and
// returns the deadline it waits with: the sequence's, unless that is
// further away.
func (m *f4Model) guard(d *f4Dir, set func(time.Time) error) time.Time {
	now := time.Now()
	dl := d.user
	if dl.IsZero() || dl.After(now.Add(f4Guard)) {
		dl = now.Add(f4Guard)
	}
	if !dl.Equal(d.real) {
		d.real = dl
		m.checkSet(m.a, set(dl))
	}
	return dl
}

func (m *f4Model) checkSet(c f4Conn, err error) {
	m.t.Helper()
	k, _ := m.classify(c, "set", err)
	if k != f4OK && !(k == f4Closed && (c == m.a && m.aClosed || c == m.b && m.bClosed)) {
		m.fail("set deadline: %v", err)
	}
}

// checkLate checks that an op that ran from start to end returned by its
// deadline plus f4Slack.
func (m *f4Model) checkLate(op string, start, end, deadline time.Time) {
	m.t.Helper()
	limit := deadline
	if limit.Before(start) {
		limit = start
	}
	if end.After(limit.Add(f4Slack)) {
		m.fail("%s returned %v after its deadline (started %v before it)", op, end.Sub(limit), limit.Sub(start))
	}
}

// checkRead checks a read of A (side 0 reads B's stream) or B.
func (m *f4Model) checkRead(reader int, data []byte, err error, want int, deadlineHit func(end time.Time) bool, end time.Time) {
	m.t.Helper()
	c, peerSide, pos := m.a, 1, &m.aRead
	if reader == 1 {
		c, peerSide, pos = m.b, 0, &m.bRead
	}
	k, errno := m.classify(c, "read", err)
	for i, got := range data {
		if w := f4Byte(peerSide, *pos+i); got != w {
			m.fail("side %d read byte %d of the peer's stream: %#x, want %#x", reader, *pos+i, got, w)
		}
	}
	*pos += len(data)
	written := m.bWritten
	if reader == 1 {
		written = m.aWritten
	}
	if k != f4OK && len(data) != 0 {
		m.fail("side %d read %d bytes and %v", reader, len(data), err)
	}
	if k == f4OK && len(data) == 0 && want > 0 {
		m.fail("side %d read 0 bytes and no error", reader)
	}
	closed, shutRD, peerDone, loss := m.aClosed, m.aShutRD, m.bClosed || m.bShutWR, m.lossToA
	if reader == 1 {
		closed, shutRD, peerDone, loss = m.bClosed, false, m.aClosed || m.aShutWR, m.lossToB
	}
	switch k {
	case f4EOF:
		if want == 0 && err != io.EOF {
			break // net: a 0-byte ReadMsgUnix or ReadFromUnix on a stream is EOF
		}
		if !peerDone && !shutRD {
			m.fail("side %d: EOF, but the peer neither closed nor shut down", reader)
		}
		if !shutRD && !loss && *pos < written {
			m.fail("side %d: EOF after %d of %d bytes", reader, *pos, written)
		}
	case f4Closed:
		if !closed {
			m.fail("side %d: ErrClosed on an open conn", reader)
		}
	case f4Deadline:
		if !deadlineHit(end) {
			m.fail("side %d: read timed out before its deadline", reader)
		}
	case f4Errno:
		if !loss || errno != syscall.ECONNRESET {
			m.fail("side %d: read: %v (no reset expected)", reader, err)
		}
	}
}

// checkWrite checks a write of A or B of n bytes.
func (m *f4Model) checkWrite(writer, n, want int, err error, deadlineHit func(end time.Time) bool, end time.Time) {
	m.t.Helper()
	c := m.a
	if writer == 1 {
		c = m.b
	}
	k, errno := m.classify(c, "write", err)
	if n < 0 || n > want || k == f4OK && n != want {
		m.fail("side %d wrote %d of %d bytes: %v", writer, n, want, err)
	}
	// A reset, or a peer that reads no more, fails writes with EPIPE or
	// ECONNRESET: a Unix peer after its CloseRead, a TCP one (RFC 1122)
	// once it shut down both directions and data comes in.
	reset := m.lossToA || m.lossToB
	closed, shutWR, peerGone := m.aClosed, m.aShutWR, m.bClosed || reset
	if writer == 1 {
		closed, shutWR, peerGone = m.bClosed, m.bShutWR, m.aClosed || reset || m.aShutRD && (!m.tcp || m.aShutWR)
	}
	switch k {
	case f4EOF:
		m.fail("side %d: write: EOF", writer)
	case f4Closed:
		if !closed {
			m.fail("side %d: write: ErrClosed on an open conn", writer)
		}
	case f4Deadline:
		if !deadlineHit(end) {
			m.fail("side %d: write timed out before its deadline", writer)
		}
	case f4Errno:
		if !(shutWR || peerGone) || errno != syscall.EPIPE && errno != syscall.ECONNRESET {
			m.fail("side %d: write: %v (the connection is up)", writer, err)
		}
	}
}

// aReadOnce reads up to n bytes from A with one of its read methods.
func aReadOnce(c f4Conn, buf []byte, variant int) (int, error) {
	if uc, ok := c.(*evnet.UnixConn); ok {
		switch variant % 3 {
		case 1:
			n, _, _, _, err := uc.ReadMsgUnix(buf, nil)
			return n, err
		case 2:
			n, _, err := uc.ReadFromUnix(buf)
			return n, err
		}
	}
	return c.Read(buf)
}

// deadlineHitBy reports, for a sync op, whether its deadline had passed
// when it returned.
func deadlineHitBy(dl time.Time) func(time.Time) bool {
	return func(end time.Time) bool { return !dl.IsZero() && !end.Before(dl) }
}

// asyncDeadlineHit reports whether any deadline in effect during op had
// passed when it returned.
func (op *f4Async) deadlineHit(end time.Time) bool {
	for _, s := range op.sets {
		if !s.at.After(end) && !s.to.IsZero() && !end.Before(s.to) {
			return true
		}
	}
	return false
}

// join waits for A's background op in d, if any, and checks it.
func (m *f4Model) join(d *f4Dir, read bool) {
	m.t.Helper()
	op := d.async
	if op == nil {
		return
	}
	d.async = nil
	select {
	case <-op.done:
	case <-time.After(10 * time.Second):
		m.fail("a background op hangs")
	}
	// The op may wait until the last deadline set before it returned, or
	// until a Close.
	limit := op.sets[0]
	for _, s := range op.sets {
		if !s.at.After(op.end) {
			limit = s
		}
	}
	lim := limit.to
	if lim.Before(limit.at) {
		lim = limit.at
	}
	if !op.closedAt.IsZero() && !op.closedAt.After(op.end) && op.closedAt.Before(lim) {
		lim = op.closedAt
	}
	m.checkLate("background op", op.start, op.end, lim)
	if read {
		m.logf("  = read %d bytes, %v", op.n, op.err)
		m.checkRead(0, op.data[:op.n], op.err, op.want, op.deadlineHit, op.end)
	} else {
		m.logf("  = wrote %d bytes, %v", op.n, op.err)
		m.aWritten += op.n
		if op.n > 0 && m.bClosed {
			m.lossToA = true // data into a closed peer: a reset comes back
		}
		m.checkWrite(0, op.n, op.want, op.err, op.deadlineHit, op.end)
	}
}

// setDeadline sets A's deadline of d as the sequence asks, but at most
// f4Guard away while a background op waits in that direction.
func (m *f4Model) setDeadline(d *f4Dir, to time.Time, set func(time.Time) error) {
	d.user = to
	now := time.Now()
	real := to
	if d.async != nil && (to.IsZero() || to.After(now.Add(f4Guard))) {
		real = now.Add(f4Guard)
	}
	if d.async != nil {
		d.async.sets = append(d.async.sets, f4Set{now, real})
	}
	d.real = real
	m.checkSet(m.a, set(real))
}

// peerGuard sets B's deadline, if need be, so that its next op waits at
// most f4Guard, and returns that deadline.
func (m *f4Model) peerGuard() time.Time {
	now := time.Now()
	if !m.bDead.IsZero() && !m.bDead.After(now.Add(f4Guard)) {
		return m.bDead
	}
	m.bDead = now.Add(f4Guard)
	m.checkSet(m.b, m.b.SetDeadline(m.bDead))
	return m.bDead
}

// noteBClose records that B closes: data of A's it has not read is lost, and
// A learns of it by a reset.
func (m *f4Model) noteBClose(rst bool) {
	if rst || m.aWritten > m.bRead || m.wr.async != nil {
		m.lossToA, m.lossToB = true, true
	}
	m.bClosed = true
	m.bRST = m.bRST || rst
}

// noteAClose is noteBClose for A.
func (m *f4Model) noteAClose() {
	if m.bWritten > m.aRead || m.aShutRD {
		m.lossToA, m.lossToB = true, true
	}
	m.aClosed = true
	m.aCloseTime = time.Now()
	for _, d := range []*f4Dir{&m.rd, &m.wr} {
		if d.async != nil {
			d.async.closedAt = m.aCloseTime
		}
	}
}

// startAsync starts a background read or write of A.
func (m *f4Model) startAsync(read bool, size, variant int) *f4Async {
	d, set := &m.wr, m.a.SetWriteDeadline
	if read {
		d, set = &m.rd, m.a.SetReadDeadline
	}
	op := &f4Async{done: make(chan struct{}), want: size, variant: variant}
	dl := m.guard(d, set)
	if read {
		op.data = make([]byte, size)
	} else {
		op.data = f4Fill(0, m.aWritten, size)
	}
	if m.aClosed {
		op.closedAt = m.aCloseTime
	}
	op.start = time.Now()
	op.sets = []f4Set{{op.start, dl}}
	c := m.a
	go func() {
		defer close(op.done)
		if read {
			op.n, op.err = aReadOnce(c, op.data, variant)
		} else {
			op.n, op.err = c.Write(op.data)
		}
		op.end = time.Now()
	}()
	return op
}
