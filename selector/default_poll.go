//go:build unix && (forcepoll || !(linux || darwin || dragonfly || freebsd || netbsd || openbsd))

package selector

// newDefault builds the default selector: poll(2), the only one on this OS
// or the one forced by the forcepoll build tag.
func newDefault() (Selector, error) { return NewPoll() }
