//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"io"
	"syscall"
)

// Buffers has the methods of net.Buffers. Written to an evnet TCP or Unix
// stream conn, it goes out with gather I/O (sendmsg with up to IOV_MAX
// non-empty slices per call, as net's, and no allocation per call); to
// anything else, one Write per slice.
type Buffers [][]byte

// buffersWriter is implemented by conns that can write Buffers at once.
type buffersWriter interface {
	writeBuffers(*Buffers) (int64, error)
}

// WriteTo writes the contents of the buffers to w and consumes them, as
// net.Buffers.WriteTo does.
func (v *Buffers) WriteTo(w io.Writer) (n int64, err error) {
	if wv, ok := w.(buffersWriter); ok {
		return wv.writeBuffers(v)
	}
	for _, b := range *v {
		nb, err := w.Write(b)
		n += int64(nb)
		if err != nil {
			v.consume(n)
			return n, err
		}
	}
	v.consume(n)
	return n, nil
}

// Read reads from the buffers, as net.Buffers.Read does.
func (v *Buffers) Read(p []byte) (n int, err error) {
	for len(p) > 0 && len(*v) > 0 {
		n0 := copy(p, (*v)[0])
		v.consume(int64(n0))
		p = p[n0:]
		n += n0
	}
	if len(*v) == 0 {
		err = io.EOF
	}
	return
}

func (v *Buffers) consume(n int64) {
	b := (*[][]byte)(v)
	consume(b, n)
}

// writeBuffers writes v in one gather call per IOV_MAX slices.
func (c *conn) writeBuffers(v *Buffers) (int64, error) {
	if !c.ok() {
		return 0, syscall.EINVAL
	}
	n, err := c.fd.writeBuffers((*[][]byte)(v))
	if err != nil {
		err = opError("writev", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return n, err
}
