//go:build unix && !linux && !darwin && !dragonfly && !freebsd

package waker

// nativeBackend reports that this OS has no waker besides the pipe.
func nativeBackend() (backend, bool) { return backend{}, false }
