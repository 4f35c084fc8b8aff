//go:build linux

package loop

import (
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/evnet/evnet/selector"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// newDirectLoop is a parked epoll loop with up to n direct-read slots,
// whatever the default backend (forcepoll builds default to poll(2), which
// has no slots). It never turns busy, so slots stay where the tests put
// them (adaptive_test.go tests giving them back).
func newDirectLoop(t *testing.T, n int) *Loop {
	l := newTestLoop(t, Config{Selector: selector.NewEpoll, Direct: n, Run: RunParked})
	require.True(t, l.Parked(), "an epoll loop parks")
	return l
}

// slotted counts the Descs that hold a direct-read slot.
func slotted(ds []*Desc) int {
	n := 0
	for _, d := range ds {
		if d.slot.Load() != nil {
			n++
		}
	}
	return n
}

// TestDirectSlotsRunOut blocks more readers than there are slots: the first
// ones park on slots, the others on their channels, and every one is woken
// by its own data, in an order unrelated to who got a slot.
func TestDirectSlotsRunOut(t *testing.T) {
	l := newDirectLoop(t, 2)
	const n = 6
	ds := make([]*Desc, n)
	peers := make([]int, n)
	for i := range ds {
		ds[i], peers[i] = socketPair(t, l)
	}
	require.Zero(t, l.direct.made.Load(), "slots made before any wait")
	adopt(t, ds[3])
	adopt(t, ds[1])
	require.Equal(t, int32(2), l.direct.made.Load(), "slots made on demand")
	for round := range 20 {
		var wg sync.WaitGroup
		got := make([]byte, n)
		errs := make([]error, n)
		for i, d := range ds {
			wg.Go(func() {
				buf := make([]byte, 1)
				_, errs[i] = readOnce(d, buf)
				got[i] = buf[0]
			})
		}
		for i := n - 1; i >= 0; i-- {
			_, err := unix.Write(peers[i], []byte{byte('a' + i + round%100)})
			require.NoError(t, err)
		}
		wg.Wait()
		for i := range ds {
			require.NoError(t, errs[i])
			assert.Equal(t, byte('a'+i+round%100), got[i], "reader %d", i)
		}
	}
	assert.Equal(t, 2, slotted(ds), "slots held")
	assert.Zero(t, l.direct.free.Load(), "free slots")
}

// TestDirectSlotFreedByClose checks that a closed Desc gives its slot back
// and that the next reader takes it and is woken through it.
func TestDirectSlotFreedByClose(t *testing.T) {
	l := newDirectLoop(t, 1)
	d1, p1 := socketPair(t, l)
	adopt(t, d1)
	readAfterWrite(t, d1, p1)
	require.NoError(t, d1.Close())
	assert.Equal(t, uint64(1), l.direct.free.Load(), "slot back in the free set")

	d2, p2 := socketPair(t, l)
	adopt(t, d2)
	readAfterWrite(t, d2, p2)
}

// adopt makes d's reader take a slot: with nothing to read, its first
// wait adopts one and returns at once (a spurious wakeup).
func adopt(t *testing.T, d *Desc) {
	t.Helper()
	// Without a slot to take the wait below would block for good.
	require.True(t, d.loop.direct.available(), "no slot to adopt")
	require.NoError(t, d.ReadLock())
	defer d.ReadUnlock()
	require.NoError(t, d.PrepareRead())
	require.NoError(t, d.WaitRead())
	require.NotNil(t, d.slot.Load(), "no slot adopted")
}

// readAfterWrite reads one byte through d, racing a write to peer.
func readAfterWrite(t *testing.T, d *Desc, peer int) {
	t.Helper()
	got := make(chan error, 1)
	go func() {
		_, err := readOnce(d, make([]byte, 1))
		got <- err
	}()
	_, err := unix.Write(peer, []byte("x"))
	require.NoError(t, err)
	require.NoError(t, within(t, got, "reader not woken"))
}

// TestDirectReaderDeadlineAndClose checks a reader parked on its slot for
// the three ways out besides data: its deadline passing on the runtime's
// timer, a deadline moved into the past, and Close.
func TestDirectReaderDeadlineAndClose(t *testing.T) {
	l := newDirectLoop(t, 1)
	d, p := socketPair(t, l)
	adopt(t, d)
	readAfterWrite(t, d, p)

	require.NoError(t, d.SetDeadline(time.Now().Add(20*time.Millisecond), ModeRead))
	start := time.Now()
	_, err := readOnce(d, make([]byte, 1))
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.GreaterOrEqual(t, time.Since(start), 19*time.Millisecond, "returned early")

	require.NoError(t, d.SetDeadline(time.Now().Add(time.Hour), ModeRead))
	got := make(chan error, 1)
	go func() {
		_, err := readOnce(d, make([]byte, 1))
		got <- err
	}()
	require.NoError(t, d.SetDeadline(time.Now().Add(-time.Second), ModeRead))
	assert.ErrorIs(t, within(t, got, "past deadline did not wake the reader"), os.ErrDeadlineExceeded)

	require.NoError(t, d.SetDeadline(time.Time{}, ModeRead))
	go func() {
		_, err := readOnce(d, make([]byte, 1))
		got <- err
	}()
	require.NoError(t, d.Close())
	assert.ErrorIs(t, within(t, got, "Close did not wake the reader"), net.ErrClosed)
}

// readDirect reads through d the way netFD.Read does on a slotted Desc.
func readDirect(t *testing.T, d *Desc, buf []byte) (int, error) {
	if err := d.ReadLock(); err != nil {
		return 0, err
	}
	defer d.ReadUnlock()
	if err := d.PrepareRead(); err != nil {
		return 0, err
	}
	n, err, ok := d.ReadDirect(buf)
	assert.True(t, ok, "ReadDirect on a Desc without a slot")
	return n, err
}

// TestReadDirect covers ReadDirect's ways out: data, a deadline firing on
// the runtime's timer, one set while parked (none before), one moved later
// while parked, one moved into the past, Close.
func TestReadDirect(t *testing.T) {
	l := newDirectLoop(t, 1)
	d, p := socketPair(t, l)
	adopt(t, d)
	type result struct {
		n   int
		err error
	}
	start := func() chan result {
		got := make(chan result, 1)
		go func() {
			n, err := readDirect(t, d, make([]byte, 8))
			got <- result{n, err}
		}()
		return got
	}
	wait := func(got chan result) result {
		t.Helper()
		return within(t, got, "reader not woken")
	}

	got := start()
	_, err := unix.Write(p, []byte("abc"))
	require.NoError(t, err)
	r := wait(got)
	require.NoError(t, r.err)
	assert.Equal(t, 3, r.n)

	t.Run("deadline fires", func(t *testing.T) {
		require.NoError(t, d.SetDeadline(time.Now().Add(20*time.Millisecond), ModeRead))
		t0 := time.Now()
		r := wait(start())
		assert.ErrorIs(t, r.err, os.ErrDeadlineExceeded)
		assert.GreaterOrEqual(t, time.Since(t0), 19*time.Millisecond, "returned early")
	})
	t.Run("deadline set while parked", func(t *testing.T) {
		require.NoError(t, d.SetDeadline(time.Time{}, ModeRead))
		got := start()
		t0 := time.Now()
		require.NoError(t, d.SetDeadline(time.Now().Add(20*time.Millisecond), ModeRead))
		r := wait(got)
		assert.ErrorIs(t, r.err, os.ErrDeadlineExceeded)
		assert.GreaterOrEqual(t, time.Since(t0), 19*time.Millisecond, "returned early")
	})
	t.Run("deadline moved later while parked", func(t *testing.T) {
		require.NoError(t, d.SetDeadline(time.Now().Add(10*time.Millisecond), ModeRead))
		got := start()
		t0 := time.Now()
		require.NoError(t, d.SetDeadline(time.Now().Add(60*time.Millisecond), ModeRead))
		r := wait(got)
		assert.ErrorIs(t, r.err, os.ErrDeadlineExceeded)
		assert.GreaterOrEqual(t, time.Since(t0), 59*time.Millisecond, "returned at the old deadline")
	})
	t.Run("deadline into the past", func(t *testing.T) {
		require.NoError(t, d.SetDeadline(time.Now().Add(time.Hour), ModeRead))
		got := start()
		require.NoError(t, d.SetDeadline(time.Now().Add(-time.Second), ModeRead))
		assert.ErrorIs(t, wait(got).err, os.ErrDeadlineExceeded)
	})
	t.Run("data after deadlines", func(t *testing.T) {
		require.NoError(t, d.SetDeadline(time.Time{}, ModeRead))
		got := start()
		_, err := unix.Write(p, []byte("z"))
		require.NoError(t, err)
		r := wait(got)
		require.NoError(t, r.err)
		assert.Equal(t, 1, r.n)
	})
	t.Run("close", func(t *testing.T) {
		got := start()
		require.NoError(t, d.Close())
		r := wait(got)
		assert.ErrorIs(t, r.err, net.ErrClosed)
	})
}

// fillSocket writes into d until the socket is full, without waiting, and
// returns how much it wrote.
func fillSocket(t *testing.T, d *Desc) int {
	t.Helper()
	buf := make([]byte, 64<<10)
	total := 0
	for {
		n, err := unix.Write(d.Fd(), buf)
		if err == unix.EAGAIN {
			return total
		}
		require.NoError(t, err)
		total += n
	}
}

// drain reads and discards from the blocking fd until it has read n bytes.
func drain(fd, n int) error {
	buf := make([]byte, 64<<10)
	for got := 0; got < n; {
		m, err := unix.Read(fd, buf)
		if err != nil {
			return err
		}
		got += m
	}
	return nil
}

// TestDirectWriter checks a writer that waits: its first wait takes a slot,
// and from then on it is woken through it by room to write, its deadline
// firing, a deadline moved into the past and Close.
func TestDirectWriter(t *testing.T) {
	l := newDirectLoop(t, 1)
	d, p := socketPair(t, l)
	require.NoError(t, unix.SetNonblock(p, false)) // drain blocks
	start := func(buf []byte) chan error {
		got := make(chan error, 1)
		go func() {
			_, err := writeAll(d, buf)
			got <- err
		}()
		return got
	}
	wait := func(got chan error) error {
		t.Helper()
		return within(t, got, "writer not woken")
	}

	// 4 MiB into a full socket of a few hundred KiB: the writer waits at
	// once, and many times, on its slot from the second wait on.
	const size = 4 << 20
	filled := fillSocket(t, d)
	got := start(make([]byte, size))
	// Nobody reads yet, so the writer waits: its first wait takes the slot.
	require.Eventually(t, func() bool { return d.wslot.Load() != nil }, 10*time.Second, time.Millisecond,
		"the waiting writer took no slot")
	require.NoError(t, drain(p, filled+size))
	require.NoError(t, wait(got))
	assert.Nil(t, d.slot.Load(), "the reader never waited")

	t.Run("deadline fires", func(t *testing.T) {
		filled = fillSocket(t, d)
		require.NoError(t, d.SetDeadline(time.Now().Add(20*time.Millisecond), ModeWrite))
		t0 := time.Now()
		assert.ErrorIs(t, wait(start([]byte("x"))), os.ErrDeadlineExceeded)
		assert.GreaterOrEqual(t, time.Since(t0), 19*time.Millisecond, "returned early")
	})
	t.Run("deadline into the past", func(t *testing.T) {
		require.NoError(t, d.SetDeadline(time.Now().Add(time.Hour), ModeWrite))
		got := start([]byte("x"))
		require.NoError(t, d.SetDeadline(time.Now().Add(-time.Second), ModeWrite))
		assert.ErrorIs(t, wait(got), os.ErrDeadlineExceeded)
	})
	t.Run("room after deadlines", func(t *testing.T) {
		require.NoError(t, d.SetDeadline(time.Time{}, ModeWrite))
		got := start(make([]byte, 1<<20))
		require.NoError(t, drain(p, filled+1<<20))
		require.NoError(t, wait(got))
	})
	t.Run("close", func(t *testing.T) {
		filled = fillSocket(t, d)
		got := start([]byte("x"))
		require.NoError(t, d.Close())
		assert.ErrorIs(t, wait(got), net.ErrClosed)
	})
}

// TestDirectReaderAndWriter streams 4 MiB each way through one Desc whose
// peer echoes. The writer first waits on a full socket, then the reader on
// an empty one, before the peer starts: with two slots both take one (and
// the loop's selector keeps neither interest), with one slot the writer has
// it and the reader waits on its channel (and the loop keeps its
// interest). Every byte comes back in order.
func TestDirectReaderAndWriter(t *testing.T) {
	for _, slots := range []int{1, 2} {
		t.Run(fmt.Sprintf("slots=%d", slots), func(t *testing.T) {
			l := newDirectLoop(t, slots)
			d, p := socketPair(t, l)
			require.NoError(t, unix.SetNonblock(p, false)) // the echo blocks
			const size = 4 << 20
			out := make([]byte, size)
			for i := range out {
				out[i] = byte(i*7 + 1)
			}
			filled := fillSocket(t, d) // zeros
			wrote := make(chan error, 1)
			go func() {
				_, err := writeAll(d, out)
				wrote <- err
			}()
			require.Eventually(t, func() bool { return d.wslot.Load() != nil }, 10*time.Second, time.Millisecond,
				"the writer took no slot")

			want := filled + size
			read := make(chan []byte, 1)
			go func() {
				in := make([]byte, 0, want)
				buf := make([]byte, 64<<10)
				for len(in) < want {
					n, err := readOnce(d, buf)
					if err != nil {
						t.Error(err)
						break
					}
					in = append(in, buf[:n]...)
				}
				read <- in
			}()
			if slots == 2 {
				require.Eventually(t, func() bool { return d.slot.Load() != nil }, 10*time.Second, time.Millisecond,
					"the reader took no slot")
			}

			echoed := make(chan error, 1)
			go func() { // the peer: a blocking echo of want bytes
				buf := make([]byte, 64<<10)
				for got := 0; got < want; {
					n, err := unix.Read(p, buf)
					if err != nil {
						echoed <- err
						return
					}
					got += n
					for b := buf[:n]; len(b) > 0; {
						m, err := unix.Write(p, b)
						if err != nil {
							echoed <- err
							return
						}
						b = b[m:]
					}
				}
				echoed <- nil
			}()
			in := within(t, read, "the stream stalled")
			require.NoError(t, <-wrote)
			require.NoError(t, <-echoed)
			require.Len(t, in, want)
			assert.Equal(t, make([]byte, filled), in[:filled], "the fill came back changed")
			assert.Equal(t, out, in[filled:], "the stream came back changed")
			assert.Equal(t, slots == 2, d.slot.Load() != nil, "reader's slot")
		})
	}
}

// TestWaitConnectTakesNoSlot checks that a connect's one-off write wait
// leaves the slots to waiters that keep waiting, while a data write's wait
// takes one.
func TestWaitConnectTakesNoSlot(t *testing.T) {
	l := newDirectLoop(t, 1)
	d, _ := socketPair(t, l)
	require.NoError(t, d.WriteLock())
	defer d.WriteUnlock()
	// The socket is writable from the start: the loop reported it, and the
	// token is there for the wait.
	require.NoError(t, d.WaitConnect())
	assert.Nil(t, d.wslot.Load(), "connect's wait took a slot")
	require.NoError(t, d.WaitWrite()) // the first wait adopts and returns
	assert.NotNil(t, d.wslot.Load(), "a write wait took no slot")
}
