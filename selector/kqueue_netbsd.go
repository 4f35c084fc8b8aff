package selector

import "golang.org/x/sys/unix"

// submit applies changes (at most two) one kevent call each and returns
// their errnos, zero for a change that succeeded. NetBSD has no EV_RECEIPT
// in x/sys, and without one an event list could also return pending events,
// so each change goes alone with no event list: its error is the call's
// (kevent(2): "there is no room in the eventlist").
func (s *kqueue) submit(changes []unix.Kevent_t) (errnos [2]unix.Errno, err error) {
	for k := range changes {
		for {
			_, err := unix.Kevent(s.kq, changes[k:k+1], nil, nil)
			if err == unix.EINTR {
				// Interrupted by a signal: submit again. The change is
				// idempotent (EV_ADD modifies; an EV_DELETE done twice
				// reports ENOENT, which every caller that deletes ignores).
				continue
			}
			if errno, ok := err.(unix.Errno); ok {
				errnos[k] = errno
			} else if err != nil {
				return errnos, err
			}
			break
		}
	}
	return errnos, nil
}
