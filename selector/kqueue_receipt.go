//go:build darwin || dragonfly || freebsd || openbsd

package selector

import "golang.org/x/sys/unix"

// submit applies changes (at most two) with EV_RECEIPT, so that the kernel
// answers each one with its own errno (in Data, with EV_ERROR set) instead
// of failing the call or returning pending events, as mio does. It returns
// the errnos, zero for a change that succeeded.
func (s *kqueue) submit(changes []unix.Kevent_t) (errnos [2]unix.Errno, err error) {
	var out [2]unix.Kevent_t
	for k := range changes {
		changes[k].Flags |= unix.EV_RECEIPT
	}
	for {
		n, err := unix.Kevent(s.kq, changes, out[:len(changes)], nil)
		if err == unix.EINTR {
			// Interrupted by a signal: submit again. The changes are
			// idempotent (EV_ADD modifies; an EV_DELETE done twice reports
			// ENOENT, which every caller that deletes ignores).
			continue
		}
		if err != nil {
			return errnos, err
		}
		for k, ev := range out[:n] {
			if ev.Flags&unix.EV_ERROR != 0 {
				errnos[k] = unix.Errno(ev.Data)
			}
		}
		return errnos, nil
	}
}
