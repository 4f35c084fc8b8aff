//go:build linux && !forcepoll

package selector

// newDefault builds the default selector: epoll.
func newDefault() (Selector, error) { return NewEpoll() }
