//go:build linux && !forcepipe

package waker

import "github.com/evnet/evnet/selector"

// newDefault builds the default waker: an eventfd.
func newDefault(s selector.Selector, t selector.Token) (Waker, error) { return NewEventfd(s, t) }
