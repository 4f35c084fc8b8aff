//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package loop

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/evnet/evnet/selector"
	"github.com/evnet/evnet/waker"
	"golang.org/x/sys/unix"
)

// wakerToken is the token of the loop's waker. Registered fds use
// fd | generation<<32 with fd < 2^31, so it cannot collide.
const wakerToken = selector.Token(1<<64 - 1)

// Config chooses a Loop's backends. The zero value uses selector.New and
// waker.New, which honour EVNET_SELECTOR and EVNET_WAKER.
type Config struct {
	// Selector, if set, builds the selector (for example selector.NewPoll).
	Selector func() (selector.Selector, error)
	// Waker, if set, builds the waker on the loop's selector.
	Waker func(selector.Selector, selector.Token) (waker.Waker, error)
	// Events is the size of the event array; 0 means 256.
	Events int
	// Run chooses how the loop goroutine waits where the selector has a
	// pollable fd (see doc.go); the zero value is RunAdaptive. A selector
	// without one (poll(2)) always blocks.
	Run RunMode
	// Direct is the most direct slots the loop makes, on demand (see
	// doc.go, "Direct readers and writers"); waiters beyond them wait on
	// their readiness channel. 0 means the platform default (64 on Linux, where
	// a slot costs an epoll fd), a negative value none.
	// Only a loop that may park has slots.
	Direct int

	// flap makes an adaptive loop change its mode on every wake that finds
	// events: tests use it to exercise the changes.
	flap bool
}

// RunMode is how a loop goroutine waits for events (see doc.go, "How the
// loop waits").
type RunMode uint8

const (
	// RunAdaptive parks on the runtime's poller while the loop is quiet and
	// blocks an OS thread in Select while it is busy.
	RunAdaptive RunMode = iota
	// RunParked always parks on the runtime's poller.
	RunParked
	// RunBlocking always blocks an OS thread in Select.
	RunBlocking
)

// Loop owns one selector and one waker and runs one goroutine that turns
// their events into wakeups of the Descs registered with it.
type Loop struct {
	sel     selector.Selector
	wk      waker.Waker
	rearm   selector.Rearmer // non-nil for selectors that emulate edges
	events  []selector.Event
	reg     registry
	gen     atomic.Uint32
	parked  bool // the goroutine may park on the runtime's poller (see doc.go)
	mode    RunMode
	direct  slots
	adoptMu sync.Mutex // serialises Desc.adopt's and unadopt's changes of a Desc's interest

	// An adaptive loop's state (see doc.go). busy is set while the loop
	// blocks in Select because it is busy; waiters then give their direct
	// slots back. The window is owned by the loop goroutine.
	busy     atomic.Bool
	win      window
	flap     bool
	switches atomic.Int64 // mode changes so far, for tests

	// In blocking mode, the Select in flight, so that deregister can wait
	// until a poll(2) that was given an fd has returned (see waitSelect).
	selMu     sync.Mutex
	selDone   sync.Cond // signalled when a Select returns; L is &selMu
	selecting bool
	selGen    uint64 // Select calls returned so far

	closed atomic.Bool
	done   chan struct{} // closed when the loop goroutine has returned
	pfile  *os.File      // duplicate of the selector fd, parked on in park mode; nil while busy
	runErr error         // why the goroutine stopped, if not Close; read after done
}

// New builds a Loop from cfg and starts its goroutine.
func New(cfg Config) (*Loop, error) {
	newSel, newWk := cfg.Selector, cfg.Waker
	if newSel == nil {
		newSel = selector.New
	}
	if newWk == nil {
		newWk = waker.New
	}
	n := cfg.Events
	if n <= 0 {
		n = 256
	}
	sel, err := newSel()
	if err != nil {
		return nil, err
	}
	wk, err := newWk(sel, wakerToken)
	if err != nil {
		sel.Close() // the waker error is the one worth reporting
		return nil, err
	}
	l := &Loop{sel: sel, wk: wk, events: make([]selector.Event, n), done: make(chan struct{}), mode: cfg.Run, flap: cfg.flap || flapAlways}
	l.win.n = 1 // a new Desc's seen is 0: not counted yet
	l.selDone.L = &l.selMu
	l.rearm, _ = sel.(selector.Rearmer)
	var rc syscall.RawConn
	if p, ok := sel.(selector.Pollable); ok && cfg.Run != RunBlocking {
		rc, err = l.parkOn(p.PollFd())
		if err != nil {
			wk.Close() // the park error is the one worth reporting
			sel.Close()
			return nil, err
		}
		l.parked = true
		l.direct.init(cfg.Direct)
	}
	go l.run(rc)
	return l, nil
}

// parkOn wraps a CLOEXEC, nonblocking duplicate of the selector's fd in an
// *os.File, which the runtime registers with its own poller. Only the
// selector's fd is known to the runtime; the sockets are not.
func (l *Loop) parkOn(fd int) (syscall.RawConn, error) {
	dup, err := dupNonblock(fd)
	if err != nil {
		return nil, err
	}
	return l.parkOnDup(dup)
}

// parkOnDup is parkOn with the duplicate made.
func (l *Loop) parkOnDup(dup int) (syscall.RawConn, error) {
	l.pfile = os.NewFile(uintptr(dup), "evnet-selector")
	rc, err := l.pfile.SyscallConn()
	if err != nil {
		l.pfile.Close() // the SyscallConn error is the one worth reporting
		l.pfile = nil
		return nil, err
	}
	return rc, nil
}

// dupNonblock returns a CLOEXEC, nonblocking duplicate of fd.
func dupNonblock(fd int) (int, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("fcntl", err)
	}
	if err := unix.SetNonblock(dup, true); err != nil {
		unix.Close(dup) // the fcntl error is the one worth reporting
		return -1, os.NewSyscallError("fcntl", err)
	}
	return dup, nil
}

// Selector reports the name of the loop's selector.
func (l *Loop) Selector() string { return l.sel.Name() }

// Waker reports the name of the loop's waker.
func (l *Loop) Waker() string { return l.wk.Name() }

// Parked reports whether the loop goroutine may park on the runtime's poller
// (true: RunParked or RunAdaptive) or always blocks an OS thread in Select
// (false).
func (l *Loop) Parked() bool { return l.parked }

// Live reports how many Descs are registered.
func (l *Loop) Live() int { return int(l.reg.live.Load()) }

// Register makes the loop own fd, which must be nonblocking, and registers it
// edge-triggered for both directions. On error fd is not closed.
func (l *Loop) Register(fd int) (*Desc, error) {
	if fd < 0 || fd > 1<<31-1 {
		return nil, os.NewSyscallError("epoll_ctl", unix.EBADF)
	}
	d := &Desc{loop: l}
	d.destroyed.Add(1)
	l.reg.mu.Lock()
	defer l.reg.mu.Unlock()
	if l.closed.Load() {
		return nil, net.ErrClosed
	}
	d.token = selector.Token(uint32(fd)) | selector.Token(l.gen.Add(1))<<32
	// Publish before registering, so that the first event finds d.
	l.reg.put(d)
	if err := l.sel.Register(fd, d.token, selector.Readable|selector.Writable); err != nil {
		l.reg.remove(d)
		return nil, err
	}
	return d, nil
}

// deregister removes d from the selector and the registry, before its fd is
// closed. After Close of the loop the selector is gone with every
// registration, so there is nothing to remove.
func (l *Loop) deregister(d *Desc) {
	l.reg.mu.Lock()
	l.reg.remove(d)
	if !l.closed.Load() {
		// An error here means the fd is no longer registered (it was never,
		// or the kernel dropped it): either way nothing is left to remove.
		_ = l.sel.Deregister(d.Fd())
	}
	l.reg.mu.Unlock()
	if l.rearm != nil {
		l.waitSelect()
	}
}

// waitSelect returns once a Select in flight when it was called has
// returned. poll(2) holds a reference to every file it polls until it
// returns (fs/select.c, __pollwait), so a socket closed under it stays open
// in the kernel, its port still bound, after close(2). Waiting for the
// Select that had the fd keeps Close's promise that the port or path is free
// again when it returns; the next Select's table no longer has the fd.
func (l *Loop) waitSelect() {
	l.selMu.Lock()
	defer l.selMu.Unlock()
	if !l.selecting {
		return
	}
	// Deregister interrupts a blocked poll(2); the wake makes sure of it
	// for any blocking selector. If it fails the loop is closing, and its
	// goroutine returns from Select without it.
	_ = l.wk.Wake()
	for gen := l.selGen; l.selecting && l.selGen == gen; {
		l.selDone.Wait()
	}
}

// selectTracked is Select for blocking mode, recording the call for
// waitSelect; only selectors that emulate edges (poll(2)) need the record.
func (l *Loop) selectTracked(timeout time.Duration) (int, error) {
	if l.rearm == nil {
		return l.sel.Select(l.events, timeout)
	}
	l.selMu.Lock()
	l.selecting = true
	l.selMu.Unlock()
	n, err := l.sel.Select(l.events, timeout)
	l.selMu.Lock()
	l.selecting = false
	l.selGen++
	l.selDone.Broadcast()
	l.selMu.Unlock()
	return n, err
}

// Close stops the loop: every registered Desc is woken and its waits return
// net.ErrClosed, the goroutine exits, and the selector and waker are closed.
// The Descs keep their fds until their own Close.
func (l *Loop) Close() error {
	l.reg.mu.Lock()
	if !l.closed.CompareAndSwap(false, true) {
		l.reg.mu.Unlock()
		return net.ErrClosed
	}
	l.reg.each((*Desc).evict)
	l.reg.mu.Unlock()
	werr := l.wk.Wake()
	<-l.done
	var errs []error
	if werr != nil {
		errs = append(errs, werr)
	}
	if l.pfile != nil {
		errs = append(errs, l.pfile.Close())
	}
	if l.parked {
		errs = append(errs, l.direct.close())
	}
	errs = append(errs, l.wk.Close(), l.sel.Close())
	return errors.Join(errs...)
}

// Err reports why the loop goroutine stopped on its own (a selector failure),
// or nil while it runs or after a clean Close.
func (l *Loop) Err() error {
	select {
	case <-l.done:
		return l.runErr
	default:
		return nil
	}
}

func (l *Loop) run(rc syscall.RawConn) {
	defer close(l.done)
	var err error
	switch {
	case rc == nil:
		err = l.runBlocking(false)
	case l.mode == RunParked:
		err = l.runParked(rc, false)
	default:
		err = l.runAdaptive(rc)
	}
	if err != nil && !l.closed.Load() {
		l.runErr = fmt.Errorf("evnet/loop: %s selector stopped: %w", l.sel.Name(), err)
		// Nothing will wake the registered Descs any more: fail them.
		l.reg.mu.Lock()
		l.closed.Store(true)
		l.reg.each((*Desc).evict)
		l.reg.mu.Unlock()
	}
}

// runAdaptive parks while the loop is quiet and blocks while it is busy,
// changing between the two as observe tells. See doc.go.
func (l *Loop) runAdaptive(rc syscall.RawConn) error {
	for {
		if err := l.runParked(rc, true); err != nil || l.closed.Load() {
			return err
		}
		l.busy.Store(true)
		l.switches.Add(1)
		// While the loop blocks, the duplicate's registration with the
		// runtime's poller would wake that epoll on every event for nobody
		// (it is a nested epoll): drop it. The next parked phase needs a
		// duplicate again: make it now and keep it unregistered, so that
		// the process's fds do not change with the mode. A close error of
		// a duplicate nobody waits on changes nothing; without a spare
		// (EMFILE, say) the next phase makes its own.
		fd := l.sel.(selector.Pollable).PollFd()
		spare, err := dupNonblock(fd)
		_ = l.pfile.Close()
		l.pfile = nil
		if err := l.runBlocking(true); err != nil || l.closed.Load() {
			if spare >= 0 {
				unix.Close(spare) // nothing to report: the loop is done
			}
			return err
		}
		if spare >= 0 {
			rc, err = l.parkOnDup(spare)
		} else {
			rc, err = l.parkOn(fd)
		}
		if err != nil {
			// No fd to park on: keep blocking, busy or not.
			return l.runBlocking(false)
		}
		l.busy.Store(false)
		l.switches.Add(1)
	}
}

// window counts, over the last readable events the loop delivered to
// readers that wait on it, how many distinct Descs they were for: the conns
// that are busy without a direct slot. Each Desc keeps the number of the
// window it was last counted in.
type window struct {
	n        uint32 // the current window's number, from 1
	events   int
	distinct int
	votes    int // consecutive full windows that called for a change
}

// An adaptive loop looks at its mode every windowEvents readable events: a
// window calls for busy when they were for busyDistinct Descs or more, for
// quiet when for quietDistinct or fewer, and the loop changes after
// windowVotes windows in a row called for it (so that a load whose windows
// alternate does not make it change every window: each change moves every
// slotted fd). One conn, or a few, keep a loop quiet however fast they go;
// 64 conns ping-ponging without slots make it busy.
const (
	windowEvents  = 64
	windowVotes   = 2
	busyDistinct  = 16
	quietDistinct = 4
)

// count records a readable event delivered to d, if a reader of d ever
// waited on the loop (its channel exists): a socket nobody reads from, such
// as a closing conn's, says nothing of the load. Loop goroutine only.
func (w *window) count(d *Desc) {
	if d.rd.chanOf() == nil {
		return
	}
	w.events++
	if d.seen != w.n {
		d.seen = w.n
		w.distinct++
	}
}

// observe reports whether an adaptive loop should change its mode: to
// blocking when it is parked and windowVotes full windows in a row saw many
// Descs, to parked when it blocks and as many saw few. It starts the next
// window when one is full.
func (l *Loop) observe() (change bool) {
	if l.flap {
		return true
	}
	w := &l.win
	if w.events < windowEvents {
		return false
	}
	distinct := w.distinct
	w.n++
	w.events, w.distinct = 0, 0
	vote := distinct >= busyDistinct
	if l.busy.Load() {
		vote = distinct <= quietDistinct
	}
	if !vote {
		w.votes = 0
		return false
	}
	if w.votes++; w.votes < windowVotes {
		return false
	}
	w.votes = 0
	return true
}

// runParked harvests with Select(0) and parks on the runtime's poller, which
// reports the selector fd readable when new events arrive. See doc.go. An
// adaptive loop returns when observe says it is busy.
func (l *Loop) runParked(rc syscall.RawConn, adaptive bool) error {
	var selErr error
	err := rc.Read(func(uintptr) bool {
		for {
			n, err := l.sel.Select(l.events, 0)
			if err != nil {
				selErr = err
				return true
			}
			if l.dispatch(n, adaptive) || adaptive && n > 0 && l.observe() {
				return true
			}
			if n < len(l.events) {
				// The ready list is empty: park until the next event.
				return false
			}
		}
	})
	if selErr != nil {
		return selErr
	}
	return err
}

// runBlocking is the mode of selectors without a pollable fd (poll(2)) and
// of a busy adaptive loop: drain with Select(0), yield once so that the
// goroutines just woken run on this thread, and only then block in Select.
// See doc.go. An adaptive loop returns when observe says it is quiet.
func (l *Loop) runBlocking(adaptive bool) error {
	for {
		n, err := l.selectTracked(0)
		if err == nil && n == 0 {
			runtime.Gosched()
			n, err = l.selectTracked(-1)
		}
		if err != nil {
			return err
		}
		if l.dispatch(n, adaptive) || adaptive && n > 0 && l.observe() {
			return nil
		}
	}
}

// dispatch wakes the waiters of the first n events, counts the readable
// ones in the window if the loop is adaptive, and reports whether the loop is
// closing.
func (l *Loop) dispatch(n int, adaptive bool) (stop bool) {
	for i := range l.events[:n] {
		if d := l.deliver(&l.events[i]); d != nil && adaptive {
			l.win.count(d)
		}
	}
	return l.closed.Load()
}

// deliver wakes the waiters one event is for, and returns the Desc if it
// was readable. It is safe for concurrent use.
func (l *Loop) deliver(ev *selector.Event) (readable *Desc) {
	if ev.Token == wakerToken {
		// The waker only interrupts Select; Close is the one reason for it,
		// checked by dispatch. A failed reset leaves it readable, which
		// costs one spurious wake at worst.
		_ = l.wk.Reset()
		return nil
	}
	d := l.reg.get(int(uint32(ev.Token)))
	if d == nil || d.token != ev.Token {
		return nil // stale: the fd was closed (and maybe reused) since
	}
	if ev.Writable || ev.WriteClosed || ev.Error {
		d.poke(&d.wd)
	}
	if ev.Readable || ev.ReadClosed || ev.Error {
		d.poke(&d.rd)
		return d
	}
	return nil
}
