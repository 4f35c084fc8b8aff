//go:build linux

package compat_test

// F4 (RELIABILITY.md 4.4): an op-sequence model fuzzer. The input is a
// sequence of operations on one end (A) of an evnet connection, over TCP on
// 127.0.0.1 or a Unix socketpair, and on its peer (B): reads, writes, the
// three deadlines, CloseRead, CloseWrite, Close, and the peer's write,
// read, CloseWrite, Close and reset. A's reads and writes can also run in
// the background, so that deadlines, shutdowns and Close meet ops that are
// blocked. The model checks every result as it comes back:
//   - no panic, and no op outlives its deadline (or a Close of its conn) by
//     more than f4Slack; every blocking op has a deadline at most f4Guard
//     away, so nothing hangs;
//   - every error has one of net's shapes (the A1 checkers, then exactly:
//     *net.OpError with the right Op and addresses around net.ErrClosed,
//     os.ErrDeadlineExceeded or *os.SyscallError, or io.EOF) and happens
//     only when the model allows it (no timeout before the deadline, no
//     ErrClosed before Close, no EOF or reset without a reason);
//   - each direction's bytes read are a prefix of its bytes written, and
//     when nothing could have reset the connection, all of them arrive,
//     then EOF.

import (
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/evnet/evnet"
	"golang.org/x/sys/unix"
)

// f4Pair makes the connection: A is the dialer or the accepted end of a
// TCP connection, or one end of a Unix socketpair.
func f4Pair(t *testing.T, kind uint8) (a, b f4Conn, tcp bool) {
	if kind%3 == 2 {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		var cs [2]f4Conn
		for i, fd := range fds {
			f := os.NewFile(uintptr(fd), "socketpair")
			c, err := evnet.FileConn(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			cs[i] = c.(f4Conn)
		}
		return cs[0], cs[1], false
	}
	ln, err := evnet.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := evnet.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ln.(*evnet.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	s, err := ln.Accept()
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	if kind%3 == 0 {
		return c.(f4Conn), s.(f4Conn), true
	}
	return s.(f4Conn), c.(f4Conn), true
}

// FuzzF4Ops runs the op-sequence model; see the top of the file.
func FuzzF4Ops(f *testing.F) {
	// The first byte picks the connection (0: A dialed over TCP, 1: A
	// accepted, 2: a Unix socketpair), then come {op, arg} pairs: see step.
	f.Add([]byte{0, 0, 3, 12, 3, 9, 4, 1, 5})                  // A writes, B reads; B writes, A reads
	f.Add([]byte{1, 1, 1})                                     // a read that times out on the guard
	f.Add([]byte{2, 0, 7})                                     // a 1 MiB write against no reader
	f.Add([]byte{0, 2, 0, 1, 5, 0, 5})                         // a read deadline in the past
	f.Add([]byte{0, 4, 19, 1, 5, 0, 7})                        // both deadlines in 45ms
	f.Add([]byte{0, 10, 5, 9, 3, 13, 0})                       // background read, B writes, B closes
	f.Add([]byte{1, 10, 5, 2, 8, 1, 5})                        // background read, deadline now: woken
	f.Add([]byte{0, 10, 5, 2, 24, 1, 5})                       // background read, no deadline: guarded
	f.Add([]byte{2, 10, 5, 8, 0})                              // background read, A closes
	f.Add([]byte{0, 11, 7, 8, 0})                              // background 1 MiB write, A closes
	f.Add([]byte{0, 11, 7, 13, 1})                             // background write, B resets
	f.Add([]byte{2, 11, 7, 12, 6, 12, 6, 12, 7, 0, 1})         // background write, B reads
	f.Add([]byte{1, 0, 5, 13, 1, 0, 5, 1, 5})                  // A writes, B resets, A writes and reads
	f.Add([]byte{0, 7, 0, 7, 1, 0, 1, 9, 1, 1, 1})             // CloseRead, CloseWrite, then I/O
	f.Add([]byte{2, 7, 0, 9, 3})                               // Unix CloseRead: B's write fails
	f.Add([]byte{2, 9, 5, 14, 0, 1, 5, 1, 5})                  // B CloseWrite: A reads to EOF
	f.Add([]byte{0, 8, 0, 8, 0, 0, 1, 1, 1, 4, 0, 7, 0, 7, 1}) // everything after Close
	f.Add([]byte{1, 9, 6, 13, 0, 1, 6, 1, 6})                  // B writes 64 KiB and closes
	// A Unix stream's ReadMsgUnix and ReadFromUnix at EOF return net's
	// wrapped io.EOF: found by FuzzF3Cmsg (they returned 0, nil forever).
	f.Add([]byte{2, 9, 1, 13, 0, 1, 13, 1, 13})
	f.Add([]byte{2, 9, 1, 13, 0, 1, 21, 1, 21})
	f.Add([]byte{2, 9, 1, 1, 8, 1, 16, 1, 0}) // 0-byte reads: EOF (as net), EOF, 0
	f.Add([]byte("0C1C0c7"))                  // TCP: A shuts down both ways, B's data resets it
	f.Add([]byte("01=71y1"))                  // a deadline in 75ms, a guarded background read, a read
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		a, b, tcp := f4Pair(t, in[0])
		m := &f4Model{t: t, a: a, b: b, tcp: tcp}
		defer func() {
			m.join(&m.rd, true)
			m.join(&m.wr, false)
			a.Close()
			b.Close()
		}()
		in = in[1:]
		for i := 0; i+1 < len(in) && i < 2*f4MaxOps; i += 2 {
			m.step(in[i], in[i+1])
		}
		m.drain()
	})
}

// step runs one op.
func (m *f4Model) step(op, arg byte) {
	m.t.Helper()
	size := f4Sizes[arg%8]
	switch op % 15 {
	case 0: // A writes
		m.join(&m.wr, false)
		m.logf("A write %d", size)
		dl := m.guard(&m.wr, m.a.SetWriteDeadline)
		start := time.Now()
		n, err := m.a.Write(f4Fill(0, m.aWritten, size))
		end := time.Now()
		m.checkLate("write", start, end, dl)
		m.logf("  = %d, %v", n, err)
		m.aWritten += n
		if n > 0 && m.bClosed {
			m.lossToA = true
		}
		m.checkWrite(0, n, size, err, deadlineHitBy(dl), end)
	case 1: // A reads, with Read, or ReadMsgUnix or ReadFromUnix on Unix
		m.join(&m.rd, true)
		m.logf("A read %d (variant %d)", size, arg>>3)
		dl := m.guard(&m.rd, m.a.SetReadDeadline)
		buf := make([]byte, size)
		start := time.Now()
		n, err := aReadOnce(m.a, buf, int(arg>>3))
		end := time.Now()
		m.checkLate("read", start, end, dl)
		m.logf("  = %d, %v", n, err)
		m.checkRead(0, buf[:n], err, size, deadlineHitBy(dl), end)
	case 2, 3, 4, 5, 6: // deadlines: op-2 picks which, arg picks when
		var to time.Time
		now := time.Now()
		switch (arg >> 3) % 5 {
		case 0:
			to = now.Add(-time.Hour)
		case 1:
			to = now
		case 2:
			to = now.Add(time.Duration(arg%8) * 15 * time.Millisecond)
		case 3: // zero: no deadline
		case 4:
			to = now.Add(time.Hour)
		}
		which := (op - 2) % 3
		m.logf("A set deadline %d to %v", which, to.Sub(now))
		if which != 1 {
			m.setDeadline(&m.rd, to, m.a.SetReadDeadline)
		}
		if which != 0 {
			m.setDeadline(&m.wr, to, m.a.SetWriteDeadline)
		}
	case 7: // A CloseRead or CloseWrite
		shutWR := arg%2 == 1
		m.logf("A shutdown write=%v", shutWR)
		var err error
		if shutWR {
			err = m.a.CloseWrite()
		} else {
			err = m.a.CloseRead()
		}
		m.logf("  = %v", err)
		switch k, errno := m.classify(m.a, "shutdown", err); {
		case k == f4OK:
			if shutWR {
				m.aShutWR = true
			} else {
				m.aShutRD = true
			}
			if m.tcp && m.aShutRD && m.aShutWR && m.bWritten > m.aRead {
				// B's data still coming resets the connection (RFC 1122).
				m.lossToA, m.lossToB = true, true
			}
		case k == f4Closed && m.aClosed:
		case k == f4Errno && errno == syscall.ENOTCONN && (m.bClosed || m.bShutWR || m.lossToA || m.lossToB):
			// The connection is over (both FINs, or a reset): as net.
		default:
			m.fail("shutdown: %v", err)
		}
	case 8: // A closes
		m.logf("A close")
		first := !m.aClosed
		m.noteAClose()
		err := m.a.Close()
		m.logf("  = %v", err)
		k, _ := m.classify(m.a, "close", err)
		if first && k != f4OK || !first && k != f4Closed {
			m.fail("close (first %v): %v", first, err)
		}
	case 9: // B writes
		m.logf("B write %d", size)
		dl := m.peerGuard()
		start := time.Now()
		n, err := m.b.Write(f4Fill(1, m.bWritten, size))
		end := time.Now()
		m.checkLate("peer write", start, end, dl)
		m.logf("  = %d, %v", n, err)
		m.bWritten += n
		if n > 0 && (m.aClosed || m.aShutRD) {
			m.lossToA, m.lossToB = true, true
		}
		m.checkWrite(1, n, size, err, deadlineHitBy(dl), end)
	case 10: // A reads in the background
		if m.rd.async != nil {
			m.join(&m.rd, true)
			return
		}
		m.logf("A read %d in the background", size)
		m.rd.async = m.startAsync(true, size, int(arg>>3))
	case 11: // A writes in the background
		if m.wr.async != nil {
			m.join(&m.wr, false)
			return
		}
		m.logf("A write %d in the background", size)
		m.wr.async = m.startAsync(false, size, 0)
	case 12: // B reads
		m.logf("B read %d", size)
		dl := m.peerGuard()
		buf := make([]byte, size)
		start := time.Now()
		n, err := m.b.Read(buf)
		end := time.Now()
		m.checkLate("peer read", start, end, dl)
		m.logf("  = %d, %v", n, err)
		m.checkRead(1, buf[:n], err, size, deadlineHitBy(dl), end)
	case 13: // B closes, or resets (TCP)
		rst := m.tcp && arg%2 == 1
		m.logf("B close reset=%v", rst)
		if m.bClosed {
			return
		}
		if rst {
			if err := m.b.(*evnet.TCPConn).SetLinger(0); err != nil {
				m.fail("SetLinger: %v", err)
			}
		}
		m.noteBClose(rst)
		if err := m.b.Close(); err != nil {
			m.fail("peer close: %v", err)
		}
	case 14: // B CloseWrite
		m.logf("B CloseWrite")
		if m.bClosed {
			return
		}
		err := m.b.CloseWrite()
		switch k, errno := m.classify(m.b, "shutdown", err); {
		case k == f4OK:
		case k == f4Errno && errno == syscall.ENOTCONN && (m.aClosed || m.aShutWR || m.bShutWR || m.lossToA || m.lossToB):
			// The connection is over (both FINs, or a reset): as net.
		default:
			m.fail("peer CloseWrite: %v", err)
		}
		m.bShutWR = true
	}
}

// drain ends the run: when a direction's sender is done and nothing can
// have reset the connection, every byte it wrote must arrive, then EOF.
func (m *f4Model) drain() {
	m.t.Helper()
	m.join(&m.rd, true)
	m.join(&m.wr, false)
	if !m.aClosed && !m.aShutRD && !m.lossToA && (m.bClosed || m.bShutWR) {
		m.logf("drain A")
		m.checkSet(m.a, m.a.SetReadDeadline(time.Now().Add(10*time.Second)))
		buf := make([]byte, 1<<16)
		for {
			n, err := m.a.Read(buf)
			m.checkRead(0, buf[:n], err, len(buf), func(time.Time) bool { return true }, time.Now())
			if err == io.EOF {
				break
			}
			if err != nil {
				m.fail("drain A after %d of %d bytes: %v", m.aRead, m.bWritten, err)
			}
		}
		if m.aRead != m.bWritten {
			m.fail("A read %d bytes, B wrote %d", m.aRead, m.bWritten)
		}
	}
	if !m.bClosed && !m.lossToB && (m.aClosed || m.aShutWR) {
		m.logf("drain B")
		m.checkSet(m.b, m.b.SetReadDeadline(time.Now().Add(10*time.Second)))
		buf := make([]byte, 1<<16)
		for {
			n, err := m.b.Read(buf)
			m.checkRead(1, buf[:n], err, len(buf), func(time.Time) bool { return true }, time.Now())
			if err == io.EOF {
				break
			}
			if err != nil {
				m.fail("drain B after %d of %d bytes: %v", m.bRead, m.aWritten, err)
			}
		}
		if m.bRead != m.aWritten {
			m.fail("B read %d bytes, A wrote %d", m.bRead, m.aWritten)
		}
	}
}
