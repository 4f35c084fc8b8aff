//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package loop

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// slots is a Loop's set of direct slots (see doc.go, "Direct readers and
// writers"), made on demand up to max. A slot is given to a Desc's reader or
// writer on its first wait and stays with it until the Desc is destroyed;
// when none is free and no more may be made, waiters wait on their
// readiness channel.
type slots struct {
	max  int                            // how many may be made; fixed by init
	all  [maxSlots]atomic.Pointer[slot] // the first made are set
	made atomic.Int32
	free atomic.Uint64 // bit i set: all[i] is made and free

	mu     sync.Mutex // serialises making slots with close
	closed bool
}

// maxSlots bounds Config.Direct: the free set is one word.
const maxSlots = 64

// init sets how many slots may be made: n, defaultDirect for 0, none for
// n < 0.
func (s *slots) init(n int) {
	if n == 0 {
		n = defaultDirect
	}
	s.max = min(max(n, 0), maxSlots)
}

// available reports whether acquire may return a slot.
func (s *slots) available() bool {
	return s.free.Load() != 0 || int(s.made.Load()) < s.max
}

// acquire takes a free slot, makes one if fewer than max exist, or returns
// nil. A slot that cannot be made (EMFILE, say) is not an error: the reader
// waits on its channel.
func (s *slots) acquire() *slot {
	for {
		v := s.free.Load()
		if v == 0 {
			break
		}
		i := bits.TrailingZeros64(v)
		if s.free.CompareAndSwap(v, v&^(1<<i)) {
			return s.all[i].Load()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := int(s.made.Load())
	if s.closed || i >= s.max {
		return nil
	}
	sl, err := newSlot(i)
	if err != nil {
		return nil
	}
	s.all[i].Store(sl)
	s.made.Add(1)
	return sl
}

// release returns sl, which acquire returned, to the free set.
func (s *slots) release(sl *slot) { s.free.Or(1 << sl.idx) }

// close closes every slot made and stops making more. Readers parked on one
// return from their wait and report the loop's closed state.
func (s *slots) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var first error
	for i := range int(s.made.Load()) {
		if err := s.all[i].Load().close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
