//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"io"
	"sync/atomic"
)

// readFrom is net's TCPConn.readFrom: a zero-copy transfer where the source
// allows one (zeroCopyFrom: sendfile or splice on Linux, nothing elsewhere),
// else a copy through a buffer. Errors are not yet wrapped in *net.OpError.
func (c *TCPConn) readFrom(r io.Reader) (int64, error) {
	if n, handled, err := zeroCopyFrom(c.fd, r); handled {
		return n, err
	}
	n, err := io.Copy(tcpConnWithoutReadFrom{TCPConn: c}, r)
	copyStats.genericReadFrom.add(n)
	return n, err
}

// writeTo is net's TCPConn.writeTo: a splice where the destination allows
// one (zeroCopyTo), else io.Copy, which lets w's own ReadFrom (an evnet
// TCPConn's splices from c) do the work.
func (c *TCPConn) writeTo(w io.Writer) (int64, error) {
	if n, handled, err := zeroCopyTo(w, c.fd); handled {
		return n, err
	}
	n, err := io.Copy(w, tcpConnWithoutWriteTo{TCPConn: c})
	copyStats.genericWriteTo.add(n)
	return n, err
}

// noReadFrom and noWriteTo, embedded next to *TCPConn, hide its ReadFrom or
// WriteTo: two methods of one name at the same depth cancel out, so io.Copy
// does not call back into the method that called it. Everything else of
// *TCPConn stays visible: a destination's ReadFrom still recognises the
// conn inside tcpConnWithoutWriteTo and splices from it, as net's does.
type noReadFrom struct{}

// ReadFrom is never called: it only hides *TCPConn's.
func (noReadFrom) ReadFrom(io.Reader) (int64, error) { panic("evnet: noReadFrom.ReadFrom called") }

type noWriteTo struct{}

// WriteTo is never called: it only hides *TCPConn's.
func (noWriteTo) WriteTo(io.Writer) (int64, error) { panic("evnet: noWriteTo.WriteTo called") }

type tcpConnWithoutReadFrom struct {
	noReadFrom
	*TCPConn
}

type tcpConnWithoutWriteTo struct {
	noWriteTo
	*TCPConn
}

// copyCounter counts the calls of one ReadFrom/WriteTo path and the bytes
// it moved.
type copyCounter struct{ calls, bytes atomic.Int64 }

func (c *copyCounter) add(n int64) {
	c.calls.Add(1)
	c.bytes.Add(n)
}

// copyStats records which path TCPConn.ReadFrom and WriteTo took, so that
// tests can tell a zero-copy transfer from a copy through a buffer (the
// bytes are equal either way). It is written once per call, never read by
// the package itself.
var copyStats struct {
	sendfile, splice                copyCounter
	genericReadFrom, genericWriteTo copyCounter
}
