//go:build darwin || dragonfly || freebsd

package selector

import "golang.org/x/sys/unix"

// RegisterUser implements UserEventer: it adds an EVFILT_USER event with
// EV_CLEAR, so that any number of triggers before Select coalesce into one
// event, reported Readable with token t. ident must fit in the system's
// kevent ident (uintptr); otherwise it returns EINVAL.
func (s *kqueue) RegisterUser(ident uint64, t Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return ErrClosed
	}
	if uint64(int(ident)) != ident || uint64(uintptr(ident)) != ident {
		return unix.EINVAL
	}
	if _, ok := s.users[ident]; ok {
		return unix.EEXIST
	}
	if err := s.apply([]change{{ident: int(ident), filter: unix.EVFILT_USER, flags: unix.EV_ADD | unix.EV_CLEAR}}); err != nil {
		return err
	}
	s.users[ident] = t
	return nil
}

// TriggerUser implements UserEventer (NOTE_TRIGGER). It may be called from
// any goroutine, also while Select blocks, but not after Close.
func (s *kqueue) TriggerUser(ident uint64) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return s.apply([]change{{ident: int(ident), filter: unix.EVFILT_USER, fflags: unix.NOTE_TRIGGER}})
}

// DeregisterUser implements UserEventer.
func (s *kqueue) DeregisterUser(ident uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return ErrClosed
	}
	if _, ok := s.users[ident]; !ok {
		return unix.ENOENT
	}
	delete(s.users, ident)
	return s.apply([]change{{ident: int(ident), filter: unix.EVFILT_USER, flags: unix.EV_DELETE}})
}
