//go:build (darwin || dragonfly || freebsd || netbsd || openbsd) && !forcepoll

package selector

// newDefault builds the default selector: kqueue.
func newDefault() (Selector, error) { return NewKqueue() }
