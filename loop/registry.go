//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package loop

import (
	"sync"
	"sync/atomic"
)

// registry maps fd numbers to Descs without a lock on the lookup path: a
// two-level table of pages of atomic pointers, indexed by fd. The loop reads
// it for every event; Register and destroy write it under mu.
type registry struct {
	mu    sync.Mutex
	pages [pageCount]atomic.Pointer[page]
	big   sync.Map // fds beyond the table, rare: fd >= pageCount*pageSize
	live  atomic.Int64
}

const (
	pageSize  = 1024
	pageCount = 4096 // 4M fds before the map takes over
)

type page [pageSize]atomic.Pointer[Desc]

func (r *registry) slot(fd int, create bool) *atomic.Pointer[Desc] {
	p, i := fd/pageSize, fd%pageSize
	if p >= pageCount {
		return nil
	}
	pg := r.pages[p].Load()
	if pg == nil {
		if !create {
			return nil
		}
		pg = new(page)
		r.pages[p].Store(pg)
	}
	return &pg[i]
}

// get returns the Desc registered for fd, or nil.
func (r *registry) get(fd int) *Desc {
	if s := r.slot(fd, false); s != nil {
		return s.Load()
	}
	if v, ok := r.big.Load(fd); ok {
		return v.(*Desc)
	}
	return nil
}

// put stores d for its fd. The caller holds r.mu.
func (r *registry) put(d *Desc) {
	if s := r.slot(d.Fd(), true); s != nil {
		s.Store(d)
	} else {
		r.big.Store(d.Fd(), d)
	}
	r.live.Add(1)
}

// remove clears fd's entry if it still holds d. The caller holds r.mu.
func (r *registry) remove(d *Desc) {
	if s := r.slot(d.Fd(), false); s != nil {
		s.CompareAndSwap(d, nil)
	} else {
		r.big.CompareAndDelete(d.Fd(), d)
	}
	r.live.Add(-1)
}

// each calls f for every registered Desc. The caller holds r.mu.
func (r *registry) each(f func(*Desc)) {
	for p := range r.pages {
		pg := r.pages[p].Load()
		if pg == nil {
			continue
		}
		for i := range pg {
			if d := pg[i].Load(); d != nil {
				f(d)
			}
		}
	}
	r.big.Range(func(_, v any) bool { f(v.(*Desc)); return true })
}
