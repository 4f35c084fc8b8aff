//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package loop

import "errors"

// defaultDirect is 0 where no slot is built yet: every reader waits on its
// readiness channel.
const defaultDirect = 0

// slot is not built on these systems; acquire never returns one.
type slot struct{ idx int }

func newSlot(int) (*slot, error)      { return nil, errors.ErrUnsupported }
func (*slot) attach(int, bool) error  { return errors.ErrUnsupported }
func (*slot) detach(int)              {}
func (*slot) kick()                   {}
func (*slot) wait(*Desc, *dir, int64) {}
func (*slot) close() error            { return nil }

func (*slot) read(*Desc, []byte) (int, error) { return 0, errors.ErrUnsupported }
