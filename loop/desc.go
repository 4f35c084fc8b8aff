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
	token selector.Token       // fd | generation<<32
	slot  atomic.Pointer[slot] // the reader's direct slot, if it has one
	wslot atomic.Pointer[slot] // the writer's

	lk        fdLock
	seen      uint32         // the loop's window this Desc was last counted in; loop goroutine only
	destroyed sync.WaitGroup // done once the fd is closed
	closeErr  error          // written before destroyed is done

	rd, wd dir
}

// dir is the readiness and deadline state of one direction.
type dir struct {
	ch       atomic.Pointer[chan struct{}] // capacity-1 token, made by the first waiter (see chanOf)
	pending  atomic.Bool                   // the token while there is no channel yet
	deadline atomic.Int64                  // monotonic ns since epoch (see mono); 0: none
	timer    *time.Timer                   // the waiter's, made on its first timed wait; used only under the direction's lock
}

// epoch is the origin of the monotonic deadlines.
var epoch = time.Now()

// mono converts t to the deadline scale: ns since epoch, at least 1.
func mono(t time.Time) int64 { return max(int64(t.Sub(epoch)), 1) }

// now is the current time on the deadline scale.
func now() int64 { return int64(time.Since(epoch)) }

// expired reports whether the direction's deadline has passed.
func (r *dir) expired() bool {
	dl := r.deadline.Load()
	return dl != 0 && now() >= dl
}

// Fd returns the file descriptor. Use it only while holding a reference
// (Incref, ReadLock or WriteLock).
func (d *Desc) Fd() int { return int(uint32(d.token)) }

// The readiness token of a direction lives in a capacity-1 channel, filled
// by a non-blocking send, which only a waiter that parks on it needs: most
// sockets never wait for writes, and a waiter with a direct slot waits
// on its slot. So the channel is made by the first waiter, and until then
// the token is the pending flag, which the waiter moves into the channel.

// chanOf returns the direction's channel, or nil before the first waiter.
func (r *dir) chanOf() chan struct{} {
	if p := r.ch.Load(); p != nil {
		return *p
	}
	return nil
}

// waitChan returns the channel to wait on, making it on the first call.
// Call it under the direction's lock.
func (r *dir) waitChan() chan struct{} {
	if ch := r.chanOf(); ch != nil {
		return ch
	}
	ch := make(chan struct{}, 1)
	r.ch.Store(&ch)
	// A poke that found no channel left the token in pending: move it.
	// (Channel stored, then pending swapped; poke stores pending, then
	// loads the channel: one of the two sees the other.)
	if r.pending.Swap(false) {
		send(ch) // a poke may have filled it already
	}
	return ch
}

// poke wakes the direction's waiter, if any, or leaves a token for the next
// wait. It never blocks.
func (d *Desc) poke(r *dir) {
	if ch := r.chanOf(); ch != nil {
		send(ch)
	} else {
		r.pending.Store(true)
		if ch := r.chanOf(); ch != nil && r.pending.Swap(false) {
			send(ch) // the waiter made the channel meanwhile
		}
	}
	// A direct waiter waits on its slot, not on the token: kick it. The
	// kick stays on the slot's file until the waiter's next look.
	if sl := d.slotOf(r).Load(); sl != nil {
		sl.kick()
	}
}

// send puts a token in ch unless one is there: the wakes coalesce.
func send(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// drain discards a stale token so that a fresh attempt does not cost a
// wasted syscall later (runtime's netpollReset).
func (r *dir) drain() {
	r.pending.Store(false)
	if ch := r.chanOf(); ch != nil {
		select {
		case <-ch:
		default:
		}
	}
}

func (d *Desc) check(r *dir) error {
	if d.lk.state.Load()&closedBit != 0 || d.loop.closed.Load() {
		return net.ErrClosed
	}
	if r.expired() {
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

// WaitConnect is WaitWrite for a connect in progress: a wait that happens
// once, so it never takes a direct slot (which the Desc would keep).
func (d *Desc) WaitConnect() error { return d.waitOn(&d.wd, selector.Writable, false) }

func (d *Desc) wait(r *dir, i selector.Interest) error { return d.waitOn(r, i, true) }

// slotOf returns where the direct slot of r's waiter is kept.
func (d *Desc) slotOf(r *dir) *atomic.Pointer[slot] {
	if r == &d.rd {
		return &d.slot
	}
	return &d.wslot
}

// waitOn is wait; a direction that has no direct slot takes one if direct
// is true and one is free.
func (d *Desc) waitOn(r *dir, i selector.Interest, direct bool) error {
	if err := d.check(r); err != nil {
		return err
	}
	if d.loop.rearm != nil {
		// poll(2) emulates edges: re-arm the interest now that the syscall
		// reported EAGAIN, or the next readiness is never reported.
		if err := d.loop.rearm.Rearm(d.Fd(), i); err != nil {
			return d.check(r) // a closing Desc is deregistered: report that
		}
	}
	dl := r.deadline.Load()
	sl := d.slotOf(r).Load()
	busy := d.loop.busy.Load()
	if sl == nil && direct && !busy && d.loop.direct.available() && d.adopt(r) {
		// A poke before the slot was published left a token alone: return
		// for a retry, as a spurious wakeup, and wait on the slot from the
		// next wait on. (Slot stored, then deadline and state loaded;
		// pokers store those, then load the slot.)
		return d.check(r)
	}
	if sl != nil && busy && d.unadopt(r, sl) {
		// The loop is busy: r's readiness is the loop's again. Return for a
		// retry, as a spurious wakeup, and wait on the channel from the
		// next wait on. (Readiness from before is reported by the loop:
		// the change of interest queues an event for a ready fd.)
		return d.check(r)
	}
	if sl != nil {
		sl.wait(d, r, dl)
		return d.check(r)
	}
	ch := r.waitChan()
	if dl == 0 {
		<-ch
		return d.check(r)
	}
	left := dl - now()
	if left <= 0 {
		return os.ErrDeadlineExceeded
	}
	// The waiter times itself: the runtime timer readies it directly. A
	// deadline moved earlier pokes the token, and the caller's retry waits
	// again with the new one.
	if r.timer == nil {
		r.timer = time.NewTimer(time.Duration(left))
	} else {
		r.timer.Reset(time.Duration(left))
	}
	select {
	case <-ch:
	case <-r.timer.C:
	}
	r.timer.Stop()
	return d.check(r)
}

// ReadDirect reads into p with read(2) if d's reader has a direct-read slot,
// doing the work of the syscall, WaitRead and retry loop in one, and reports
// ok false if it has none: the caller then reads as usual. Call it under
// the read lock, after PrepareRead, with a non-empty p. err is
// net.ErrClosed, os.ErrDeadlineExceeded or read's *os.SyscallError.
func (d *Desc) ReadDirect(p []byte) (n int, err error, ok bool) {
	sl := d.slot.Load()
	if sl == nil || d.loop.busy.Load() {
		// Without a slot, or with one to give back (see waitOn).
		return 0, nil, false
	}
	n, err = sl.read(d, p)
	return n, err, true
}

// adopt gives r's waiter a direct slot, if one is free, and reports whether
// it did: d's fd moves, for r's readiness, from the loop's selector to the
// slot's, and stays there until destroy or unadopt. It runs under r's lock,
// on the waiter's first wait.
func (d *Desc) adopt(r *dir) bool {
	sl := d.loop.direct.acquire()
	if sl == nil {
		return false
	}
	if sl.attach(d.Fd(), r == &d.rd) != nil {
		d.loop.direct.release(sl)
		return false
	}
	// Both selectors report r's readiness until the loop's stops: an edge
	// meanwhile is seen twice at worst, never lost.
	if d.setSlot(r, sl) != nil {
		sl.detach(d.Fd())
		d.loop.direct.release(sl)
		return false
	}
	return true
}

// unadopt gives r's direct slot back, while the loop is busy, and reports
// whether it did: d's fd moves, for r's readiness, from the slot's selector
// back to the loop's, where a ready fd makes an event at once. It runs under
// r's lock. The next wait in a quiet loop adopts a slot again.
func (d *Desc) unadopt(r *dir, sl *slot) bool {
	if d.setSlot(r, nil) != nil {
		return false // r keeps waiting on its slot
	}
	// A poke that loaded the slot before it was dropped kicks it, after it
	// may have gone to another Desc: a spurious wakeup there.
	sl.detach(d.Fd())
	d.loop.direct.release(sl)
	return true
}

// setSlot gives r's waiter the slot sl (nil: none) once the loop's selector
// has the interest of the directions that have no slot then. A reader and a
// writer may change at once: each computes the interest from the other's
// slot, so both run under adoptMu.
func (d *Desc) setSlot(r *dir, sl *slot) error {
	d.loop.adoptMu.Lock()
	defer d.loop.adoptMu.Unlock()
	rs, ws := d.slot.Load(), d.wslot.Load()
	if r == &d.rd {
		rs = sl
	} else {
		ws = sl
	}
	var keep selector.Interest
	if rs == nil {
		keep |= selector.Readable
	}
	if ws == nil {
		keep |= selector.Writable
	}
	if err := d.loop.sel.Reregister(d.Fd(), d.token, keep); err != nil {
		return err
	}
	d.slotOf(r).Store(sl)
	return nil
}

// ForgetWaits drops what waiters of the directions in mode made, the
// readiness channel and the timer, for a direction that waited once and may
// never again: connect's write wait leaves them on every dialed socket. A
// later waiter makes them again. Call it when no goroutine waits in those
// directions (after connect, before the conn is handed out).
func (d *Desc) ForgetWaits(mode Mode) {
	if mode&ModeRead != 0 {
		d.rd.forget()
	}
	if mode&ModeWrite != 0 {
		d.wd.forget()
	}
}

func (r *dir) forget() {
	if r.ch.Load() == nil && r.timer == nil {
		return
	}
	r.ch.Store(nil)
	// A poke that found the channel before it was dropped may have left
	// its token there: keep one in pending instead, a spurious wakeup at
	// worst (and the next attempt's prepare drops it anyway).
	r.pending.Store(true)
	r.timer = nil // stopped by its waiter
}

// SetDeadline sets the deadline of the directions in mode. A zero t clears
// it. A t in the past, or earlier than a waiter's current one, wakes that
// waiter, which then returns os.ErrDeadlineExceeded; a later t keeps it
// waiting. It returns net.ErrClosed after Close. It does not allocate.
func (d *Desc) SetDeadline(t time.Time, mode Mode) error {
	if err := d.Incref(); err != nil {
		return err
	}
	defer d.Decref()
	var dl int64
	if !t.IsZero() {
		dl = mono(t)
	}
	if mode&ModeRead != 0 {
		d.setDeadline(&d.rd, dl)
	}
	if mode&ModeWrite != 0 {
		d.setDeadline(&d.wd, dl)
	}
	return nil
}

// setDeadline stores dl and wakes a waiter that must see it: one whose
// deadline moved earlier or appeared. A cleared or later deadline needs no
// wake: the waiter's timer firing early is a spurious wakeup.
func (d *Desc) setDeadline(r *dir, dl int64) {
	old := r.deadline.Swap(dl)
	if dl != 0 && (old == 0 || dl < old) {
		d.poke(r)
	}
}

// evict wakes every waiter; they see the closing state and return
// net.ErrClosed.
func (d *Desc) evict() {
	d.poke(&d.rd)
	d.poke(&d.wd)
}

// closeFunc is close(2); fault-injection tests replace it (RELIABILITY.md
// A14), as internal/poll's CloseFunc.
var closeFunc = unix.Close

// destroy runs once, when the last reference of a closing Desc is dropped:
// deregister before close (poll.FD.destroy), then close the fd once. The
// waiters' timers are stopped by the waiters themselves.
func (d *Desc) destroy() {
	d.loop.deregister(d)
	for _, sl := range [...]*slot{d.slot.Load(), d.wslot.Load()} {
		if sl != nil {
			sl.detach(d.Fd())
			d.loop.direct.release(sl)
		}
	}
	if err := closeFunc(d.Fd()); err != nil {
		// close(2) is not retried, also on EINTR: the fd is gone on Linux
		// and retrying could close a reused number. The error is close's
		// own, unwrapped, as internal/poll returns it (net's Close wraps it
		// in its *OpError only).
		d.closeErr = err
	}
	d.destroyed.Done()
}
