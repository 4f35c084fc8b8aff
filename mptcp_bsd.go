//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

// isMPTCP reports whether socket s speaks Multipath TCP: never here.
func isMPTCP(s int) bool { return false }
