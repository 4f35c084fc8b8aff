//go:build (darwin || dragonfly || freebsd) && !forcepipe

package waker

import "github.com/evnet/evnet/selector"

// newDefault builds the default waker: EVFILT_USER when s is a kqueue
// selector, else (a poll selector) the pipe.
func newDefault(s selector.Selector, t selector.Token) (Waker, error) {
	if _, ok := s.(selector.UserEventer); ok {
		return NewUser(s, t)
	}
	return NewPipe(s, t)
}
