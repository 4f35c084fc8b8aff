//go:build linux

package loop

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/evnet/evnet/selector"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestBusyGivesSlotsBack: while the loop is busy a reader with a direct slot
// gives it back on its next wait and is woken by the loop's selector; once
// the loop is quiet its next wait takes a slot again. The busy flag is set
// by hand on a parked loop, which never changes it itself.
func TestBusyGivesSlotsBack(t *testing.T) {
	l := newDirectLoop(t, 1)
	d, peer := socketPair(t, l)
	adopt(t, d)
	require.Equal(t, uint64(0), l.direct.free.Load(), "the one slot is taken")

	// Data that came while the reader was on its slot: the slot's epoll
	// has the edge, the loop's selector had no read interest. Giving the
	// slot back must not lose it.
	_, err := unix.Write(peer, []byte("x"))
	require.NoError(t, err)
	l.busy.Store(true)
	require.NoError(t, within(t, waitIn(d, ModeRead), "giving the slot back blocked"))
	assert.Nil(t, d.slot.Load(), "slot kept while busy")
	assert.Equal(t, uint64(1), l.direct.free.Load(), "slot not released")
	require.NoError(t, within(t, waitIn(d, ModeRead), "data from the slot's time not reported by the loop"))
	n, err := readOnce(d, make([]byte, 8))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	for range 3 {
		readAfterWrite(t, d, peer) // woken by the loop now
	}
	assert.Nil(t, d.slot.Load(), "a slot taken while busy")

	l.busy.Store(false)
	adopt(t, d)
	readAfterWrite(t, d, peer)
}

// TestBusyWriterAndReader: the writer and the reader of one socket pair
// give back their slots while data flows, the loop's interest follows each
// (a direction left out of it stalls its waiter), and they take slots again
// once the loop is quiet.
func TestBusyWriterAndReader(t *testing.T) {
	l := newDirectLoop(t, 2)
	d, e := registeredPair(t, l)
	var err error

	// transfer writes size bytes through d into a full socket, so that the
	// writer waits at once, and only then lets e read everything. The
	// writer's first wait takes a slot in a quiet loop and gives its slot
	// back in a busy one.
	const size = 4 << 20
	transfer := func(busy bool) {
		filled := fillSocket(t, d)
		l.busy.Store(busy)
		wrote := make(chan error, 1)
		go func() {
			_, err := writeAll(d, make([]byte, size))
			wrote <- err
		}()
		require.Eventually(t, func() bool { return (d.wslot.Load() == nil) == busy }, 10*time.Second, time.Millisecond,
			"the waiting writer's slot")
		read := make(chan error, 1)
		go func() {
			buf := make([]byte, 64<<10)
			for got := 0; got < filled+size; {
				n, err := readOnce(e, buf)
				if err != nil {
					read <- err
					return
				}
				got += n
			}
			read <- nil
		}()
		require.NoError(t, within(t, wrote, "writer stalled"))
		require.NoError(t, within(t, read, "reader stalled"))
	}

	adopt(t, e)
	transfer(false)
	require.NotNil(t, e.slot.Load(), "reader lost its slot")
	require.NotNil(t, d.wslot.Load(), "writer lost its slot")

	transfer(true)
	// The reader may not have waited since the loop turned busy; its next
	// wait gives the slot back, or waits on the loop.
	_, err = writeAll(d, []byte("x"))
	require.NoError(t, err)
	require.NoError(t, within(t, waitIn(e, ModeRead), "reader's wait not woken"))
	assert.Nil(t, e.slot.Load(), "reader kept its slot")
	n, err := readOnce(e, make([]byte, 8))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	assert.Equal(t, uint64(3), l.direct.free.Load(), "slots not released")

	transfer(false)
	// The reader took a slot again in the transfer, or does on its next wait.
	_, err = writeAll(d, []byte("x"))
	require.NoError(t, err)
	require.NoError(t, within(t, waitIn(e, ModeRead), "reader's wait not woken"))
	assert.NotNil(t, e.slot.Load(), "reader took no slot again")
	assert.NotNil(t, d.wslot.Load(), "writer took no slot again")
	n, err = readOnce(e, make([]byte, 8))
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

// TestAdaptiveTurnsBusyAndQuiet: an adaptive loop with few slots turns busy
// when many conns exchange messages at once (its wakes find many events) and
// quiet again when one conn does alone, and no message is lost meanwhile.
func TestAdaptiveTurnsBusyAndQuiet(t *testing.T) {
	l := newTestLoop(t, Config{Selector: selector.NewEpoll, Direct: 2})
	const conns = 32
	type pair struct {
		d    *Desc
		peer *Desc
	}
	ps := make([]pair, conns)
	for i := range ps {
		ps[i].d, ps[i].peer = registeredPair(t, l)
	}
	// exchange makes n conns do one round trip each, all at once.
	exchange := func(n int) error {
		errs := make(chan error, 2*n)
		var wg sync.WaitGroup
		for _, p := range ps[:n] {
			wg.Go(func() { errs <- echoOnce(p.peer) })
			wg.Go(func() { errs <- pingOnce(p.d) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
	// Bounded: on this machine the first rounds do it.
	for round := 0; !l.busy.Load(); round++ {
		require.Less(t, round, 2000, "the loop never turned busy")
		require.NoError(t, exchange(conns))
	}
	for round := 0; l.busy.Load(); round++ {
		require.Less(t, round, 2000, "the loop never turned quiet")
		require.NoError(t, exchange(1))
	}
	require.GreaterOrEqual(t, l.switches.Load(), int64(2))
	require.NoError(t, exchange(conns))
}

// TestFlappingSwitches checks that the adaptive-flapping backend of the
// loop tests does change mode.
func TestFlappingSwitches(t *testing.T) {
	// Without slots every readable edge reaches the loop.
	l := newTestLoop(t, Config{Selector: selector.NewEpoll, flap: true, Direct: -1})
	d, peer := socketPair(t, l)
	for range 4 {
		readAfterWrite(t, d, peer)
	}
	// The loop counts a change after the dispatch that woke the reader.
	require.Eventually(t, func() bool { return l.switches.Load() > 0 }, 10*time.Second, time.Millisecond,
		"no change of mode")
	require.NoError(t, d.Close())
	_, err := readOnce(d, make([]byte, 1))
	assert.ErrorIs(t, err, net.ErrClosed)
}

// pingOnce writes one byte through d and reads the echo.
func pingOnce(d *Desc) error {
	if _, err := writeAll(d, []byte{7}); err != nil {
		return err
	}
	_, err := readOnce(d, make([]byte, 1))
	return err
}

// echoOnce reads one byte through d and writes it back.
func echoOnce(d *Desc) error {
	buf := make([]byte, 1)
	if _, err := readOnce(d, buf); err != nil {
		return err
	}
	_, err := writeAll(d, buf)
	return err
}

// TestAdaptiveWindow checks the decision an adaptive loop takes after its
// windows of readable events: busy from 16 distinct readers on, quiet at 4 or
// fewer, each only after two windows in a row call for it, and nothing for
// readers that never waited on the loop.
func TestAdaptiveWindow(t *testing.T) {
	descs := func(n int, waited bool) []*Desc {
		ds := make([]*Desc, n)
		for i := range ds {
			ds[i] = new(Desc)
			if waited {
				ds[i].rd.waitChan()
			}
		}
		return ds
	}
	// feed counts windowEvents readable events spread over ds, and returns
	// what observe said before the window was full and after.
	feed := func(l *Loop, ds []*Desc) (early, full bool) {
		for i := range windowEvents {
			l.win.count(ds[i%len(ds)])
			if i == windowEvents-2 {
				early = l.observe()
			}
		}
		return early, l.observe()
	}
	for _, tc := range []struct {
		busy     bool
		n        int
		waited   bool
		change   bool
		describe string
	}{
		{false, 2, true, false, "two conns keep a parked loop parked"},
		{false, busyDistinct - 1, true, false, "fewer than busyDistinct"},
		{false, busyDistinct, true, true, "busyDistinct conns make it busy"},
		{false, 64, false, false, "readers that never waited do not count"},
		{true, quietDistinct + 1, true, false, "more than quietDistinct keep it busy"},
		{true, quietDistinct, true, true, "quietDistinct conns make it quiet"},
		{true, 64, true, false, "64 conns keep it busy"},
	} {
		l := &Loop{}
		l.win.n = 1
		l.busy.Store(tc.busy)
		ds := descs(tc.n, tc.waited)
		// The same Descs count again in every window.
		for w := 1; w <= windowVotes; w++ {
			early, full := feed(l, ds)
			assert.False(t, early, "%s: decided before window %d was full", tc.describe, w)
			assert.Equal(t, tc.change && w == windowVotes, full, "%s, window %d", tc.describe, w)
		}
		if !tc.change {
			continue
		}
		// A window that does not call for the change starts the count
		// again: alternating windows never change the mode.
		other := descs(busyDistinct-1, true) // between the two thresholds
		for range 3 {
			_, full := feed(l, ds)
			assert.False(t, full, "%s: changed after one window", tc.describe)
			_, full = feed(l, other)
			assert.False(t, full, "%s: changed on alternating windows", tc.describe)
		}
	}
}
