//go:build !unix

package waker

import "github.com/evnet/evnet/selector"

// Backends lists no mechanism: this OS has none.
func Backends() []string { return nil }

// New returns ErrUnsupported: this OS has no waker.
func New(s selector.Selector, t selector.Token) (Waker, error) { return nil, ErrUnsupported }

// NewByName returns ErrUnsupported: this OS has no waker.
func NewByName(name string, s selector.Selector, t selector.Token) (Waker, error) {
	return nil, ErrUnsupported
}
