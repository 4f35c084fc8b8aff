//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import "io"

// zeroCopyFrom never handles a transfer here: evnet has sendfile and splice
// only on Linux, so TCPConn.ReadFrom copies through a buffer.
func zeroCopyFrom(*netFD, io.Reader) (int64, bool, error) { return 0, false, nil }

// zeroCopyTo never handles a transfer here: TCPConn.WriteTo copies through
// a buffer.
func zeroCopyTo(io.Writer, *netFD) (int64, bool, error) { return 0, false, nil }
