//go:build linux || dragonfly || freebsd || netbsd || openbsd

package evnet

// noSIGPIPE has nothing to do: every send carries MSG_NOSIGNAL (sendFlags).
func noSIGPIPE(int) error { return nil }
