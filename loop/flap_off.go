//go:build !evnetflap && (linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package loop

// flapAlways is set by the evnetflap build tag (see flap_on.go).
const flapAlways = false
