package selector

import "time"

// wait tracks what is left of one Select timeout across retries of the
// underlying wait (after EINTR, or after the poll selector was interrupted
// to pick up a registration change).
type wait struct {
	ms       int       // the next wait's argument, as millis returns it
	deadline time.Time // set only for a positive timeout
}

func newWait(timeout time.Duration) wait {
	w := wait{ms: millis(timeout)}
	if w.ms > 0 {
		w.deadline = time.Now().Add(time.Duration(w.ms) * time.Millisecond)
	}
	return w
}

// again prepares the next wait and reports whether there is time left for
// it: a blocking wait always restarts, a poll (timeout 0) restarts once more
// as a poll, and a timed wait restarts with what is left of its timeout.
func (w *wait) again() bool {
	if w.ms <= 0 {
		return true
	}
	left := time.Until(w.deadline)
	if left <= 0 {
		return false
	}
	w.ms = millis(left)
	return true
}
