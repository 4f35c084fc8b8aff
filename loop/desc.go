//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package loop

import (
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evnet/evnet/selector"
	"golang.org/x/sys/unix"
)

// Mode selects the direction of a deadline.
type Mode uint8

const (
	// ModeRead is the read direction.
	ModeRead Mode = 1 << iota
	// ModeWrite is the write direction.
	ModeWrite
	// ModeBoth is both directions, as SetDeadline sets.
	ModeBoth = ModeRead | ModeWrite
)

// Desc is one registered file descriptor: the role of internal/poll's FD and
// pollDesc together. It owns the fd from Register on: Close deregisters and
// closes it once no operation is in flight.
//
// The wait protocol is internal/poll's: take the direction's lock, call
// PrepareRead, try the syscall; on EAGAIN call WaitRead and try again. Every
// wakeup may be spurious. Methods are safe for concurrent use.
type Desc struct {
	loop  *Loop
	fd    int
	token selector.Token

	lk        fdLock
	destroyed sync.WaitGroup // done once the fd is closed
	closeErr  error          // written before destroyed is done

	rd, wd dir
	mu     sync.Mutex // guards the deadlines and timers of rd and wd
}

// dir is the readiness and deadline state of one direction.
type dir struct {
	ready    chan struct{} // capacity-1 token, filled by a non-blocking send
	expired  atomic.Bool   // the deadline has passed
	deadline time.Time     // zero: none; guarded by Desc.mu
	timer    *time.Timer   // made on first future deadline, then reused
}

// Fd returns the file descriptor. Use it only while holding a reference
// (Incref, ReadLock or WriteLock).
func (d *Desc) Fd() int { return d.fd }

// Loop returns the loop the Desc is registered with.
func (d *Desc) Loop() *Loop { return d.loop }

// poke wakes the direction's waiter, if any, or leaves a token for the next
// wait. It never blocks.
func (r *dir) poke() {
	select {
	case r.ready <- struct{}{}:
	default: // a token is already pending: the wakes coalesce
	}
}

// drain discards a stale token so that a fresh attempt does not cost a
// wasted syscall later (runtime's netpollReset).
func (r *dir) drain() {
	select {
	case <-r.ready:
	default:
	}
}

func (d *Desc) check(r *dir) error {
	if d.lk.state.Load()&closedBit != 0 || d.loop.closed.Load() {
		return net.ErrClosed
	}
	if r.expired.Load() {
		return os.ErrDeadlineExceeded
	}
	return nil
}

// PrepareRead readies a read attempt: it reports net.ErrClosed or
// os.ErrDeadlineExceeded (also when data is ready, as net does) and drops a
// stale readiness token.
func (d *Desc) PrepareRead() error { return d.prepare(&d.rd) }

// PrepareWrite is PrepareRead for the write direction.
func (d *Desc) PrepareWrite() error { return d.prepare(&d.wd) }

func (d *Desc) prepare(r *dir) error {
	r.drain()
	return d.check(r)
}

// WaitRead blocks until the fd may be readable, the read deadline passes or
// the Desc is closed, and returns nil, os.ErrDeadlineExceeded or
// net.ErrClosed. Call it only after a read returned EAGAIN.
func (d *Desc) WaitRead() error { return d.wait(&d.rd, selector.Readable) }

// WaitWrite is WaitRead for the write direction.
func (d *Desc) WaitWrite() error { return d.wait(&d.wd, selector.Writable) }

func (d *Desc) wait(r *dir, i selector.Interest) error {
	if err := d.check(r); err != nil {
		return err
	}
	if d.loop.rearm != nil {
		// poll(2) emulates edges: re-arm the interest now that the syscall
		// reported EAGAIN, or the next readiness is never reported.
		if err := d.loop.rearm.Rearm(d.fd, i); err != nil {
			return d.check(r) // a closing Desc is deregistered: report that
		}
	}
	<-r.ready
	return d.check(r)
}

// SetDeadline sets the deadline of the directions in mode. A zero t clears
// it. A t in the past, or earlier than a waiter's current one, wakes that
// waiter, which then returns os.ErrDeadlineExceeded; a later t keeps it
// waiting. It returns net.ErrClosed after Close.
func (d *Desc) SetDeadline(t time.Time, mode Mode) error {
	if err := d.Incref(); err != nil {
		return err
	}
	defer d.Decref()
	d.mu.Lock()
	defer d.mu.Unlock()
	if mode&ModeRead != 0 {
		d.setDeadline(&d.rd, t)
	}
	if mode&ModeWrite != 0 {
		d.setDeadline(&d.wd, t)
	}
	return nil
}

// setDeadline runs with d.mu held.
func (d *Desc) setDeadline(r *dir, t time.Time) {
	r.deadline = t
	if t.IsZero() {
		r.expired.Store(false)
		if r.timer != nil {
			r.timer.Stop()
		}
		return
	}
	left := time.Until(t)
	if left <= 0 {
		if r.timer != nil {
			r.timer.Stop()
		}
		r.expired.Store(true)
		r.poke()
		return
	}
	r.expired.Store(false)
	if r.timer == nil {
		r.timer = time.AfterFunc(left, func() { d.fire(r) })
	} else {
		r.timer.Reset(left)
	}
}

// fire runs when a deadline timer expires. A timer that raced with a later
// SetDeadline finds the deadline moved and does nothing.
func (d *Desc) fire(r *dir) {
	d.mu.Lock()
	if !r.deadline.IsZero() && !time.Now().Before(r.deadline) {
		r.expired.Store(true)
		r.poke()
	}
	d.mu.Unlock()
}

// evict wakes every waiter; they see the closing state and return
// net.ErrClosed.
func (d *Desc) evict() {
	d.rd.poke()
	d.wd.poke()
}

// destroy runs once, when the last reference of a closing Desc is dropped:
// deregister before close (poll.FD.destroy), then close the fd once.
func (d *Desc) destroy() {
	d.mu.Lock()
	for _, r := range [...]*dir{&d.rd, &d.wd} {
		if r.timer != nil {
			r.timer.Stop()
		}
	}
	d.mu.Unlock()
	d.loop.deregister(d)
	if err := unix.Close(d.fd); err != nil {
		// close(2) is not retried, also on EINTR: the fd is gone on Linux
		// and retrying could close a reused number.
		d.closeErr = os.NewSyscallError("close", err)
	}
	d.destroyed.Done()
}
