//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import "sync"

// iovMax is the most slices one gather call sends, as net's Writev (the
// Linux and darwin IOV_MAX).
const iovMax = 1024

// iovSmall is how many slices a gather call holds on the caller's stack;
// beyond that it borrows an array of iovMax from a pool.
const iovSmall = 16

// gather appends to dst, converted by conv, the slices of v that the next
// gather call sends, picked as net's Writev picks them: the non-empty ones,
// at most iovMax, and on a stream a slice longer than maxRW cut to maxRW and
// sent last. It appends nothing when v holds no byte.
func gather[E any](dst []E, v [][]byte, stream bool, conv func([]byte) E) []E {
	for _, b := range v {
		if len(b) == 0 {
			continue
		}
		if stream && len(b) > maxRW {
			return append(dst, conv(b[:maxRW]))
		}
		if dst = append(dst, conv(b)); len(dst) == iovMax {
			break
		}
	}
	return dst
}

// countNonEmpty reports how many slices of v hold a byte, up to iovMax.
func countNonEmpty(v [][]byte) int {
	n := 0
	for _, b := range v {
		if len(b) > 0 {
			if n++; n == iovMax {
				break
			}
		}
	}
	return n
}

// vecPool lends the arrays of gather calls with more than iovSmall slices.
type vecPool[E any] struct{ p sync.Pool }

func (vp *vecPool[E]) get() *[iovMax]E {
	if a, ok := vp.p.Get().(*[iovMax]E); ok {
		return a
	}
	return new([iovMax]E)
}

// put clears a, which must not keep the caller's buffers alive, and returns
// it.
func (vp *vecPool[E]) put(a *[iovMax]E) {
	clear(a[:])
	vp.p.Put(a)
}
