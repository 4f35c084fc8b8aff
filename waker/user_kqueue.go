//go:build darwin || dragonfly || freebsd

package waker

import (
	"fmt"

	"github.com/evnet/evnet/selector"
)

// user is the kqueue waker: an EVFILT_USER event on the selector's own
// kqueue, so it needs no fd of its own.
type user struct {
	guard
	ue    selector.UserEventer
	ident uint64
}

// NewUser returns a waker that triggers an EVFILT_USER event reported with
// token t. s must implement selector.UserEventer (a kqueue selector on
// darwin, dragonfly or freebsd); with any other selector, such as poll, it
// returns an error. The event's ident is the low 32 bits of t, which the
// loop keeps unique among live registrations.
func NewUser(s selector.Selector, t selector.Token) (Waker, error) {
	ue, ok := s.(selector.UserEventer)
	if !ok {
		return nil, fmt.Errorf("waker: the %s selector has no EVFILT_USER; use the pipe waker", s.Name())
	}
	ident := uint64(uint32(t))
	if err := ue.RegisterUser(ident, t); err != nil {
		return nil, err
	}
	return &user{ue: ue, ident: ident}, nil
}

func (w *user) Name() string { return "user" }

func (w *user) Wake() error {
	if !w.enter() {
		return ErrClosed
	}
	defer w.exit()
	return w.ue.TriggerUser(w.ident)
}

// Reset has nothing to consume: EV_CLEAR resets the event when Select
// reports it.
func (w *user) Reset() error {
	if !w.enter() {
		return ErrClosed
	}
	w.exit()
	return nil
}

func (w *user) Close() error {
	if !w.close() {
		return ErrClosed
	}
	return w.ue.DeregisterUser(w.ident)
}

// nativeBackend is the waker this OS has besides the pipe.
func nativeBackend() (backend, bool) { return backend{"user", NewUser}, true }
