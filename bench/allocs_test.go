//go:build linux

package bench

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/evnet/evnet"
)

// TestSteadyStateAllocs asserts that an evnet TCP conn allocates nothing
// per Read and per Write once warmed up, whether the data (or the room) is
// already there or the call has to wait for it, and with a read deadline
// set on every Read as net/http does.
func TestSteadyStateAllocs(t *testing.T) {
	ln, err := evnet.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, s := evnetPair(t, ln)

	const runs = 200
	msg, buf := make([]byte, 64), make([]byte, 64)
	check := func(name string, f func()) {
		t.Helper()
		if got := testing.AllocsPerRun(runs, f); got != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, got)
		}
	}
	fail := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}

	// Write with room in the socket buffer; the peer does not read yet.
	check("Write", func() { _, err := c.Write(msg); fail(err) })
	// Read with the data already queued: AllocsPerRun calls f runs+1
	// times, so exactly as many messages as the Writes above.
	check("Read ready", func() { _, err := io.ReadFull(s, buf); fail(err) })

	// Round trips through an echo goroutine: both Reads wait.
	done := make(chan error, 1)
	go func() {
		b := make([]byte, 64)
		for {
			if _, err := io.ReadFull(s, b); err != nil {
				done <- nil // the client closed
				return
			}
			if _, err := s.Write(b); err != nil {
				done <- err
				return
			}
		}
	}()
	check("Write+Read waiting", func() { fail(pingPong(c, msg, buf)) })
	future := time.Now().Add(time.Hour)
	check("SetReadDeadline+Write+Read waiting", func() {
		fail(c.SetReadDeadline(future))
		fail(pingPong(c, msg, buf))
	})
	c.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Writes that wait for room: 4 MiB at a time, more than the socket
	// buffers hold, drained by the peer (the first, warm-up call takes the
	// writer's direct slot).
	c, s = evnetPair(t, ln)
	drained := drain(s)
	big := make([]byte, 4<<20)
	check("Write waiting", func() { _, err := c.Write(big); fail(err) })
	c.Close()
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
}

// TestBuffersAllocs asserts that Buffers.WriteTo on an evnet TCP conn does
// not allocate per call, as net's Writev does not once its FD has cached an
// iovec array: up to 16 slices gather on the stack, exactly 0; more borrow a
// pooled array, which the race detector's sync.Pool drops a quarter of the
// time, so there the bound is below 0.5 (allocating the iovecs on every call
// makes it at least 1).
func TestBuffersAllocs(t *testing.T) {
	ln, err := evnet.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, s := evnetPair(t, ln)
	drained := drain(s)

	chunk := make([]byte, 32)
	for _, tc := range []struct {
		slices int
		max    float64
	}{{8, 0}, {16, 0}, {100, 0.5}} {
		src := make([][]byte, 0, 2*tc.slices)
		for range tc.slices {
			src = append(src, chunk, nil) // empty slices in between, as net allows
		}
		// WriteTo takes *Buffers, so v lives on the heap (with net too):
		// made once here; each run refills it, since WriteTo consumes it.
		backing := make(evnet.Buffers, len(src))
		var v evnet.Buffers
		got := testing.AllocsPerRun(200, func() {
			v = append(backing[:0], src...)
			if _, err := v.WriteTo(c); err != nil {
				t.Fatal(err)
			}
		})
		if got > tc.max {
			t.Errorf("Buffers.WriteTo of %d slices: %v allocs per call, want at most %v", tc.slices, got, tc.max)
		}
	}
	c.Close()
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
}

// evnetPair dials ln and accepts: a connected pair of evnet conns, closed
// when t ends.
func evnetPair(t *testing.T, ln net.Listener) (c, s net.Conn) {
	t.Helper()
	c, err := evnet.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return c, s
}

// drain reads s until it fails, into a buffer of its own (io.Discard's
// pooled one allocates whenever the race detector's sync.Pool drops it),
// and then sends nil for EOF or the error.
func drain(s net.Conn) <-chan error {
	done := make(chan error, 1)
	go func() {
		b := make([]byte, 64<<10)
		for {
			if _, err := s.Read(b); err != nil {
				if err == io.EOF {
					err = nil
				}
				done <- err
				return
			}
		}
	}()
	return done
}
