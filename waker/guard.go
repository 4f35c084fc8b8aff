//go:build unix

package waker

import "sync"

// guard makes Close wait for the Wakes and Resets in flight and fail the
// later ones, so that no Wake writes to an fd number that Close released
// and the OS reused.
type guard struct {
	mu     sync.RWMutex
	closed bool
}

// enter reports whether the waker is open; if so, the caller calls exit
// when done with its fds.
func (g *guard) enter() bool {
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return false
	}
	return true
}

func (g *guard) exit() { g.mu.RUnlock() }

// close marks the waker closed once no method is in flight, and reports
// whether this call was the one that did it.
func (g *guard) close() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.closed = true
	return true
}
