//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package loop

import (
	"math/bits"
	"sync/atomic"
)

// slots is a Loop's set of direct-read slots (see doc.go, "Direct readers").
// A slot is given to a Desc on its first read wait and stays with it until
// the Desc is destroyed; when none is free, readers wait on their readiness
// channel like writers always do.
type slots struct {
	all  []*slot
	free atomic.Uint64 // bit i set: all[i] is free
}

// maxSlots bounds Config.Direct: the free set is one word.
const maxSlots = 64

// make builds n slots (defaultDirect for 0, none for n < 0).
func (s *slots) make(n int) error {
	if n == 0 {
		n = defaultDirect
	}
	for range min(n, maxSlots) {
		sl, err := newSlot()
		if err != nil {
			return err
		}
		s.free.Or(1 << len(s.all))
		s.all = append(s.all, sl)
	}
	return nil
}

// acquire takes a free slot, or returns nil when all are in use.
func (s *slots) acquire() *slot {
	for {
		v := s.free.Load()
		if v == 0 {
			return nil
		}
		i := bits.TrailingZeros64(v)
		if s.free.CompareAndSwap(v, v&^(1<<i)) {
			return s.all[i]
		}
	}
}

// release returns sl, which acquire returned, to the free set.
func (s *slots) release(sl *slot) {
	for i, x := range s.all {
		if x == sl {
			s.free.Or(1 << i)
			return
		}
	}
}

// close closes every slot. Readers parked on one return from their wait and
// report the loop's closed state.
func (s *slots) close() error {
	var first error
	for _, sl := range s.all {
		if err := sl.close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
