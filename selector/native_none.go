//go:build unix && !linux && !darwin && !dragonfly && !freebsd && !netbsd && !openbsd

package selector

// nativeBackend reports that this OS has no mechanism besides poll(2).
func nativeBackend() (backend, bool) { return backend{}, false }
