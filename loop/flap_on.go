//go:build evnetflap && (linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package loop

// flapAlways makes every adaptive loop change its mode on every wake that
// finds events, as Config.flap does for one loop: built with
// -tags evnetflap, a test suite exercises the changes (giving back and
// taking slots, closing and making the parked-on duplicate) all the time.
// CI runs the root and compat_test packages so.
const flapAlways = true
