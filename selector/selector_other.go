//go:build !unix

package selector

// Backends lists no mechanism: this OS has none.
func Backends() []string { return nil }

// New returns ErrUnsupported: this OS has no selector.
func New() (Selector, error) { return nil, ErrUnsupported }

// NewByName returns ErrUnsupported: this OS has no selector.
func NewByName(name string) (Selector, error) { return nil, ErrUnsupported }
