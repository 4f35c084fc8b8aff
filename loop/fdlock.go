//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package loop

import (
	"net"
	"sync"
	"sync/atomic"
)

// fdLock is the reference count and read/write serialisation of a Desc, the
// role of internal/poll's fdMutex. Every operation on the fd holds a
// reference; Read-like operations also hold rmu and Write-like ones wmu, so
// that at most one goroutine waits per direction. Once closed is set no new
// reference is handed out, and the goroutine that drops the last one destroys
// the fd (deregister, then close).
type fdLock struct {
	state atomic.Uint64 // closedBit | reference count
	rmu   sync.Mutex
	wmu   sync.Mutex
}

const closedBit = 1 << 63

// incref adds a reference; it fails once the fd is closing.
func (l *fdLock) incref() bool {
	for {
		old := l.state.Load()
		if old&closedBit != 0 {
			return false
		}
		if old&^closedBit == closedBit-1 {
			panic("evnet/loop: too many concurrent operations on one fd")
		}
		if l.state.CompareAndSwap(old, old+1) {
			return true
		}
	}
}

// decref drops a reference and reports whether the caller dropped the last
// one of a closing fd, and so must destroy it.
func (l *fdLock) decref() bool {
	n := l.state.Add(^uint64(0))
	return n == closedBit
}

// increfAndClose marks the fd closing and takes a reference that the caller
// drops with decref. It reports false if the fd was already closing.
func (l *fdLock) increfAndClose() bool {
	for {
		old := l.state.Load()
		if old&closedBit != 0 {
			return false
		}
		if l.state.CompareAndSwap(old, (old+1)|closedBit) {
			return true
		}
	}
}

// Incref adds a reference for an operation that needs the fd but neither
// direction (setsockopt, getsockname, shutdown). It returns net.ErrClosed
// after Close. Release it with Decref.
func (d *Desc) Incref() error {
	if !d.lk.incref() {
		return net.ErrClosed
	}
	return nil
}

// Decref releases a reference taken by Incref. If it was the last one of a
// closed Desc, the fd is deregistered and closed here.
func (d *Desc) Decref() {
	if d.lk.decref() {
		d.destroy()
	}
}

// ReadLock takes a reference and the read lock: one reader at a time, as in
// internal/poll. It returns net.ErrClosed if the Desc is or becomes closed
// while the caller queues for the lock.
func (d *Desc) ReadLock() error { return d.rwlock(&d.lk.rmu) }

// ReadUnlock releases ReadLock.
func (d *Desc) ReadUnlock() { d.rwunlock(&d.lk.rmu) }

// WriteLock takes a reference and the write lock: one writer at a time.
func (d *Desc) WriteLock() error { return d.rwlock(&d.lk.wmu) }

// WriteUnlock releases WriteLock.
func (d *Desc) WriteUnlock() { d.rwunlock(&d.lk.wmu) }

func (d *Desc) rwlock(mu *sync.Mutex) error {
	if !d.lk.incref() {
		return net.ErrClosed
	}
	mu.Lock()
	if d.lk.state.Load()&closedBit != 0 {
		// Closed while this goroutine queued behind another op.
		mu.Unlock()
		d.Decref()
		return net.ErrClosed
	}
	return nil
}

func (d *Desc) rwunlock(mu *sync.Mutex) {
	mu.Unlock()
	d.Decref()
}

// Close marks the Desc closing, wakes every waiter (they return
// net.ErrClosed), and waits until the last in-flight operation has left; then
// the fd is deregistered from the selector and closed, as poll.FD.Close and
// destroy do. It returns net.ErrClosed if the Desc was already closing, and
// otherwise the error of close(2), if any (never retried: close(2) NOTES).
func (d *Desc) Close() error {
	if !d.lk.increfAndClose() {
		return net.ErrClosed
	}
	d.evict()
	d.Decref()
	d.destroyed.Wait()
	return d.closeErr
}
