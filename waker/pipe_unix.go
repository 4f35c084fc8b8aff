//go:build unix

package waker

import "github.com/evnet/evnet/selector"

// NewPipe returns the portable waker: a nonblocking, close-on-exec
// self-pipe (selector.Pipe) whose read end is registered Readable with s
// under token t. Wake writes one byte; a full pipe already means woken.
// Close closes both ends.
func NewPipe(s selector.Selector, t selector.Token) (Waker, error) {
	r, w, err := selector.Pipe()
	if err != nil {
		return nil, err
	}
	return newFdWaker("pipe", s, t, r, w, []byte{1})
}
