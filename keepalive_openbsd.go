package evnet

// OpenBSD has no per-socket keep-alive timing: net ignores these settings
// there too (net/tcpsockopt_openbsd.go), and so does evnet.

func setKeepAliveIdle(fd, secs int) error     { return nil }
func setKeepAliveInterval(fd, secs int) error { return nil }
func setKeepAliveCount(fd, n int) error       { return nil }
