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
// sent last. It appends nothing when v holds no byte. When dst fills up (its
// cap is below iovMax) before the call's slices end, gather returns the
// part of v from the first slice left out: the caller goes on gathering it
// into a larger array. One pass over v either way.
func gather[E any](dst []E, v [][]byte, stream bool, conv func([]byte) E) (out []E, more [][]byte) {
	for i, b := range v {
		switch {
		case len(b) == 0:
			continue
		case len(dst) == iovMax:
			return dst, nil
		case len(dst) == cap(dst):
			return dst, v[i:]
		case stream && len(b) > maxRW:
			return append(dst, conv(b[:maxRW])), nil
		}
		dst = append(dst, conv(b))
	}
	return dst, nil
}

// gatherSmall gathers the next call's slices of v (see gather) into small,
// or, when they do not fit, into an array borrowed from pool, which the
// caller must give back with pool.put when big is not nil.
func gatherSmall[E any](small []E, pool *vecPool[E], v [][]byte, stream bool, conv func([]byte) E) (out []E, big *[iovMax]E) {
	out, more := gather(small[:0], v, stream, conv)
	if more == nil {
		return out, nil
	}
	big = pool.get()
	out, _ = gather(append(big[:0], out...), more, stream, conv)
	return out, big
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
