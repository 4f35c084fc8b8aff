//go:build linux

package compat_test

// F5 (RELIABILITY.md 4.4): Buffers and gather writes. evnet.Buffers.WriteTo
// on an evnet TCP or Unix stream conn goes out with sendmsg, at most 1024
// non-empty slices per call as net's (buffers.go, fd_unix.go's writeBuffers,
// writev*.go); to other writers it writes slice by slice. The fuzzer
// writes 0..3,000 slices of random
// sizes, empty ones included, through small socket buffers to a reader
// that reads in small pieces and may stop, so that the kernel takes short
// writes and the writer's deadline can strike in the middle. It runs each
// case on net too.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/evnet/evnet"
	"golang.org/x/sys/unix"
)

// f5Sizes are the slice sizes; zero is frequent on purpose.
var f5Sizes = [...]int{0, 0, 0, 1, 1, 2, 3, 8, 15, 64, 100, 511, 1000, 1500, 4096, 9000}

// f5Total caps the bytes of one case.
const f5Total = 1 << 20

// f5Conn is what the test needs of a stream conn, net's or evnet's.
type f5Conn interface {
	net.Conn
	CloseWrite() error
	SetReadBuffer(int) error
	SetWriteBuffer(int) error
}

// f5Slices builds count slices with sizes from spec, cyclically. They are
// consecutive pieces of all, which holds a running counter, so that a
// slice's place in all tells where it came from.
func f5Slices(count int, spec []byte) (slices [][]byte, all []byte) {
	sizes := make([]int, count)
	total := 0
	for i := range sizes {
		if len(spec) > 0 {
			sizes[i] = min(f5Sizes[spec[i%len(spec)]%uint8(len(f5Sizes))], f5Total-total)
		}
		total += sizes[i]
	}
	all = make([]byte, total)
	for i := range all {
		all[i] = byte(i * 7)
	}
	off := 0
	for _, size := range sizes {
		slices = append(slices, all[off:off+size:off+size])
		off += size
	}
	return slices, all
}

// netConsume is net.Buffers.consume.
func netConsume(v [][]byte, n int64) [][]byte {
	for len(v) > 0 {
		ln0 := int64(len(v[0]))
		if ln0 > n {
			v[0] = v[0][n:]
			return v
		}
		n -= ln0
		v = v[1:]
	}
	return v
}

// f5Shape describes what is left of a Buffers: its slices' lengths and
// where each starts in the original data, runs of empty slices counted.
func f5Shape(v [][]byte, all []byte) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d slices:", len(v))
	for i := 0; i < len(v); i++ {
		if len(v[i]) == 0 {
			j := i
			for j < len(v) && len(v[j]) == 0 {
				j++
			}
			fmt.Fprintf(&b, " empty*%d", j-i)
			i = j - 1
			continue
		}
		fmt.Fprintf(&b, " %d@%d", len(v[i]), uintptrOf(v[i])-uintptrOf(all))
	}
	return b.String()
}

// uintptrOf is the address of b's first element.
func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// f5Pair returns a connected stream pair of api: TCP on 127.0.0.1 or a
// Unix socketpair.
func f5Pair(t *testing.T, api unixAPI, s stack, unixPair bool) (w, r f5Conn) {
	t.Helper()
	if !unixPair {
		c, srv := connPair(t, s, "tcp4")
		return c.(f5Conn), srv.(f5Conn)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var cs [2]f5Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := api.fileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		cs[i] = c.(f5Conn)
		t.Cleanup(func() { c.Close() })
	}
	return cs[0], cs[1]
}

// f5Result is what one run saw.
type f5Result struct {
	n     int64
	err   error
	left  [][]byte
	got   []byte
	rerr  error
	shape string
}

// f5Run writes slices to a fresh pair of api with WriteTo of net.Buffers
// (evnet false) or evnet.Buffers. mode 0 lets the reader take everything;
// 1 pauses the reader after pause bytes, so that the writer's deadline
// strikes; 2 closes the writer first; 3 sets a deadline in the past; 4
// closes the reader first.
func f5Run(t *testing.T, api unixAPI, s stack, ev, unixPair bool, slices [][]byte, all []byte,
	mode, sndbuf, rcvbuf, chunk, pause int) f5Result {
	w, r := f5Pair(t, api, s, unixPair)
	if sndbuf > 0 {
		if err := w.SetWriteBuffer(sndbuf); err != nil {
			t.Fatal(err)
		}
	}
	if rcvbuf > 0 {
		if err := r.SetReadBuffer(rcvbuf); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	resume := make(chan struct{})
	type readRes struct {
		got []byte
		err error
	}
	rch := make(chan readRes, 1)
	go func() {
		var got []byte
		buf := make([]byte, chunk)
		paused := mode != 1
		for {
			if !paused && len(got) >= pause {
				paused = true
				<-resume
			}
			n, err := r.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				rch <- readRes{got, err}
				return
			}
		}
	}()
	switch mode {
	case 1:
		w.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	case 2:
		w.Close()
	case 3:
		w.SetWriteDeadline(time.Now().Add(-time.Second))
	case 4:
		r.Close() // the reader's peer sees EPIPE or a reset
		<-rch
		w.SetWriteDeadline(time.Now().Add(30 * time.Second))
	default:
		w.SetWriteDeadline(time.Now().Add(30 * time.Second)) // nothing may hang
	}
	v := make([][]byte, len(slices))
	copy(v, slices)
	var res f5Result
	if ev {
		b := evnet.Buffers(v)
		res.n, res.err = b.WriteTo(w)
		res.left = b
	} else {
		b := net.Buffers(v)
		res.n, res.err = b.WriteTo(w)
		res.left = b
	}
	res.shape = f5Shape(res.left, all)
	switch mode {
	case 2:
		<-rch // the reader sees EOF: the writer is closed
		return res
	case 4:
		return res
	}
	if err := w.CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	if mode == 1 {
		close(resume)
	}
	rr := <-rch
	res.got, res.rerr = rr.got, rr.err
	return res
}

// FuzzF5Buffers writes fuzzed Buffers with net and with evnet and checks:
// no panic; every byte that WriteTo reports written arrives, exactly once
// and in order, and no other (the reader drains to EOF after CloseWrite);
// what is left of the Buffers is what net leaves: the data from byte n on,
// in the same slices (net.Buffers' consume), or the whole Buffers when no
// write was attempted; errors have net's shapes; and net and evnet agree
// on everything that does not depend on timing. Buffers.WriteTo to a
// writer that is not a conn, and Buffers.Read, are compared with net's on
// the same slices.
func FuzzF5Buffers(f *testing.F) {
	leading := append(make([]byte, 1030), 14)                                                // 1030 empty slices, then 4 KiB
	f.Add(uint8(0), uint16(3), []byte{10, 11, 12}, uint8(0), uint8(0), uint8(0))             // three slices
	f.Add(uint8(0), uint16(0), []byte{}, uint8(0), uint8(0), uint8(0))                       // no slices
	f.Add(uint8(0), uint16(3000), []byte{3, 0, 14, 0, 1}, uint8(0), uint8(0x21), uint8(0))   // 3000 slices, small buffers
	f.Add(uint8(1), uint16(2999), []byte{15, 0, 12, 9, 0}, uint8(0), uint8(0x33), uint8(14)) // Unix, bigger reads
	f.Add(uint8(0), uint16(3000), []byte{15, 0, 13}, uint8(1), uint8(0x11), uint8(7))        // the deadline strikes
	f.Add(uint8(1), uint16(600), []byte{15}, uint8(1), uint8(0x22), uint8(0))                // Unix, the deadline strikes
	f.Add(uint8(0), uint16(10), []byte{0, 14}, uint8(2), uint8(0), uint8(0))                 // closed first
	f.Add(uint8(1), uint16(10), []byte{0, 14}, uint8(3), uint8(0), uint8(0))                 // a past deadline
	f.Add(uint8(1), uint16(10), []byte{0, 0, 14}, uint8(4), uint8(0), uint8(0))              // the reader is gone
	// Buffers of empty slices only are left as they are, as net leaves
	// them; when a write fails at once, leading empty slices are dropped,
	// as net's consume(0) drops them: both found by this fuzzer (evnet
	// emptied the first and kept the leading slices of the second).
	f.Add(uint8(1), uint16(5), []byte{0}, uint8(0), uint8(0), uint8(0))
	f.Add(uint8(0), uint16(2000), []byte{0}, uint8(0), uint8(0), uint8(0))
	f.Add(uint8(1), uint16(4), []byte{0}, uint8(3), uint8(0), uint8(0))
	f.Add(uint8(1), uint16(1031), leading, uint8(4), uint8(0), uint8(0))
	f.Add(uint8(1), uint16(1031), leading, uint8(0), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, kind uint8, count uint16, spec []byte, mode, bufs, rd uint8) {
		unixPair := kind%2 == 1
		slices, all := f5Slices(int(count%3001), spec)
		m := int(mode % 5)
		sndbuf := []int{0, 4096, 16384, 65536}[bufs&3]
		rcvbuf := []int{0, 4096, 16384, 65536}[(bufs>>4)&3]
		if !unixPair && rcvbuf > 0 {
			// A TCP window of a few KiB crawls on loopback (20 s for 1 MiB,
			// net as evnet); the small send buffer makes the short writes.
			rcvbuf = 65536
		}
		chunk := 1 << (rd % 17)
		if len(all)/chunk > 2000 {
			chunk = len(all)/2000 + 1
		}
		pause := int(rd) * len(all) / 512
		f5Generic(t, slices, all, pause, chunk)
		var res [2]f5Result
		for i, ev := range []bool{false, true} {
			res[i] = f5Run(t, unixAPIs[i], stacks[i], ev, unixPair, slices, all, m, sndbuf, rcvbuf, chunk, pause)
			f5Check(t, stacks[i].name, res[i], slices, all, m, unixPair)
		}
		// What does not depend on timing must agree: not where the
		// deadline strikes, nor how much TCP takes before the reset.
		if m != 1 && !(m == 4 && !unixPair) && (res[0].n != res[1].n || (res[0].err == nil) != (res[1].err == nil) || res[0].shape != res[1].shape) {
			t.Errorf("%d slices, mode %d:\n net   %d %v %s\n evnet %d %v %s", len(slices), m,
				res[0].n, res[0].err, res[0].shape, res[1].n, res[1].err, res[1].shape)
		}
	})
}

// f5Check checks one run.
func f5Check(t *testing.T, name string, r f5Result, slices [][]byte, all []byte, mode int, unixPair bool) {
	t.Helper()
	if cerr := checkWriteError(r.err); cerr != nil {
		t.Fatalf("%s: %v", name, cerr)
	}
	if r.n < 0 || r.n > int64(len(all)) {
		t.Fatalf("%s: n = %d of %d", name, r.n, len(all))
	}
	var oe *net.OpError
	switch {
	case r.err == nil:
		if mode == 2 || mode == 3 && len(all) > 0 || mode == 4 && len(all) > 0 && unixPair {
			t.Fatalf("%s: mode %d: no error", name, mode)
		}
		if r.n != int64(len(all)) {
			t.Fatalf("%s: wrote %d of %d bytes and no error", name, r.n, len(all))
		}
	case !errors.As(r.err, &oe) || oe.Op != "writev":
		t.Fatalf("%s: %v, want a writev *net.OpError", name, r.err)
	case mode == 2 && oe.Err != net.ErrClosed:
		t.Fatalf("%s: after Close: %v", name, r.err)
	case mode == 4:
		var se *os.SyscallError
		if !errors.As(oe.Err, &se) || se.Syscall != "writev" || se.Err != syscall.EPIPE && se.Err != syscall.ECONNRESET {
			t.Fatalf("%s: to a closed reader: %v", name, r.err)
		}
	case mode != 2 && oe.Err != os.ErrDeadlineExceeded:
		t.Fatalf("%s: %v, want a timeout", name, r.err)
	}
	// What is left: net's consume of the bytes written, or everything if
	// nothing was tried (nothing to write, or an error before the first
	// gather write).
	want := make([][]byte, len(slices))
	copy(want, slices)
	tried := len(all) > 0 && (r.err == nil || r.n > 0 || mode == 1 || mode == 4)
	if tried {
		want = netConsume(want, r.n)
	}
	if ws := f5Shape(want, all); ws != r.shape && !(mode == 1 && r.n == 0) {
		t.Errorf("%s: %d slices, wrote %d of %d bytes (%v): left\n  %s\nwant\n  %s", name, len(slices), r.n, len(all), r.err, r.shape, ws)
	}
	if left := bytes.Join(r.left, nil); !bytes.Equal(left, all[r.n:]) {
		t.Fatalf("%s: the %d bytes left are not the data from byte %d on", name, len(left), r.n)
	}
	if mode == 2 || mode == 4 {
		return // no reader
	}
	if r.rerr != nil {
		t.Fatalf("%s: reader: %v", name, r.rerr)
	}
	if !bytes.Equal(r.got, all[:r.n]) {
		i := 0
		for i < len(r.got) && i < int(r.n) && r.got[i] == all[i] {
			i++
		}
		t.Fatalf("%s: the reader got %d bytes, %d written; they differ from byte %d", name, len(r.got), r.n, i)
	}
}

// f5LimitWriter takes limit bytes, then fails.
type f5LimitWriter struct {
	got   []byte
	limit int
}

var errF5Limit = errors.New("fuzz: writer full")

func (w *f5LimitWriter) Write(p []byte) (int, error) {
	n := min(len(p), w.limit-len(w.got))
	w.got = append(w.got, p[:n]...)
	if n < len(p) {
		return n, errF5Limit
	}
	return n, nil
}

// f5Generic checks the Buffers methods that use no socket against net's:
// WriteTo to a writer that is not a conn (one Write per slice) and that
// fails after limit bytes, and Read in pieces of chunk bytes.
func f5Generic(t *testing.T, slices [][]byte, all []byte, limit, chunk int) {
	t.Helper()
	nv, ev := make([][]byte, len(slices)), make([][]byte, len(slices))
	copy(nv, slices)
	copy(ev, slices)
	nb, eb := net.Buffers(nv), evnet.Buffers(ev)
	nw, ew := &f5LimitWriter{limit: limit}, &f5LimitWriter{limit: limit}
	nn, nerr := nb.WriteTo(nw)
	en, eerr := eb.WriteTo(ew)
	if nn != en || nerr != eerr || !bytes.Equal(nw.got, ew.got) || f5Shape(nb, all) != f5Shape(eb, all) {
		t.Fatalf("WriteTo a writer of %d bytes: net %d %v %s, evnet %d %v %s", limit,
			nn, nerr, f5Shape(nb, all), en, eerr, f5Shape(eb, all))
	}
	copy(nv, slices)
	copy(ev, slices)
	nb, eb = net.Buffers(nv), evnet.Buffers(ev)
	np, ep := make([]byte, chunk), make([]byte, chunk)
	for {
		nn, nerr := nb.Read(np)
		en, eerr := eb.Read(ep)
		if nn != en || nerr != eerr || !bytes.Equal(np[:nn], ep[:en]) || !sameHead(nb, eb) {
			t.Fatalf("Read(%d): net %d %v %s, evnet %d %v %s", chunk, nn, nerr, f5Shape(nb, all), en, eerr, f5Shape(eb, all))
		}
		if nerr != nil {
			break
		}
	}
}

// sameHead reports whether two Buffers have as many slices and the same
// first one: a cheap f5Shape comparison for every step of a loop.
func sameHead(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	return len(a) == 0 || len(a[0]) == len(b[0]) && (len(a[0]) == 0 || &a[0][0] == &b[0][0])
}
