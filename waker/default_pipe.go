//go:build unix && (forcepipe || !(linux || darwin || dragonfly || freebsd))

package waker

import "github.com/evnet/evnet/selector"

// newDefault builds the default waker: the pipe, the only one on this OS or
// the one forced by the forcepipe build tag.
func newDefault(s selector.Selector, t selector.Token) (Waker, error) { return NewPipe(s, t) }
