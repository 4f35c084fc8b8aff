//go:build linux

package evnet

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests prove which path TCPConn.ReadFrom and WriteTo took by
// copyStats, so they must not run in parallel with other copies.

// copyDelta returns what each path of copyStats counted while f ran.
type copyDelta struct {
	sendfile, splice, genericReadFrom, genericWriteTo [2]int64 // calls, bytes
}

func measureCopies(f func()) copyDelta {
	snap := func() (d copyDelta) {
		for i, c := range []*copyCounter{&copyStats.sendfile, &copyStats.splice,
			&copyStats.genericReadFrom, &copyStats.genericWriteTo} {
			v := [2]int64{c.calls.Load(), c.bytes.Load()}
			switch i {
			case 0:
				d.sendfile = v
			case 1:
				d.splice = v
			case 2:
				d.genericReadFrom = v
			case 3:
				d.genericWriteTo = v
			}
		}
		return d
	}
	before := snap()
	f()
	after := snap()
	sub := func(a, b [2]int64) [2]int64 { return [2]int64{a[0] - b[0], a[1] - b[1]} }
	return copyDelta{
		sendfile:        sub(after.sendfile, before.sendfile),
		splice:          sub(after.splice, before.splice),
		genericReadFrom: sub(after.genericReadFrom, before.genericReadFrom),
		genericWriteTo:  sub(after.genericWriteTo, before.genericWriteTo),
	}
}

// zcPair returns a connected evnet TCP pair, closed at cleanup.
func zcPair(t *testing.T) (client, server *TCPConn) {
	t.Helper()
	ln, err := Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	c, err := Dial("tcp4", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	r := <-ch
	require.NoError(t, r.err)
	t.Cleanup(func() { r.c.Close() })
	return c.(*TCPConn), r.c.(*TCPConn)
}

// zcUnixPair returns a connected evnet "unix" pair, closed at cleanup.
func zcUnixPair(t *testing.T) (client, server *UnixConn) {
	t.Helper()
	ln, err := Listen("unix", filepath.Join(t.TempDir(), "s"))
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	c, err := Dial("unix", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	r := <-ch
	require.NoError(t, r.err)
	t.Cleanup(func() { r.c.Close() })
	return c.(*UnixConn), r.c.(*UnixConn)
}

// zcFile returns a temp file holding size random bytes, at offset 0.
func zcFile(t *testing.T, size int) (*os.File, []byte) {
	t.Helper()
	data := make([]byte, size)
	_, err := rand.Read(data)
	require.NoError(t, err)
	f, err := os.Create(filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	_, err = f.Write(data)
	require.NoError(t, err)
	_, err = f.Seek(0, io.SeekStart)
	require.NoError(t, err)
	return f, data
}

// readAllAsync reads r to EOF in a goroutine; the returned func waits for
// the bytes.
func readAllAsync(r io.Reader) func() ([]byte, error) {
	type res struct {
		b   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		b, err := io.ReadAll(r)
		ch <- res{b, err}
	}()
	return func() ([]byte, error) {
		r := <-ch
		return r.b, r.err
	}
}

func TestReadFromSendfile(t *testing.T) {
	const size = 4<<20 + 17
	for _, tc := range []struct {
		name string
		copy func(c *TCPConn, f *os.File) (int64, error)
	}{
		{"ReadFrom", func(c *TCPConn, f *os.File) (int64, error) { return c.ReadFrom(f) }},
		// io.Copy goes through os.File.WriteTo, which hands ReadFrom an
		// os.fileWithoutWriteTo: a syscall.Conn, not an *os.File.
		{"io.Copy", func(c *TCPConn, f *os.File) (int64, error) { return io.Copy(c, f) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, data := zcFile(t, size)
			c, s := zcPair(t)
			recv := readAllAsync(s)
			var n int64
			var err error
			d := measureCopies(func() {
				n, err = tc.copy(c, f)
				require.NoError(t, c.CloseWrite())
			})
			require.NoError(t, err)
			got, err := recv()
			require.NoError(t, err)
			assert.EqualValues(t, size, n)
			assert.Equal(t, sha256.Sum256(data), sha256.Sum256(got))
			assert.Equal(t, [2]int64{1, size}, d.sendfile, "sendfile moved it all")
			assert.Zero(t, d.genericReadFrom[0], "no copy through a buffer")
			assert.Zero(t, d.splice[0])
		})
	}
}

func TestReadFromSendfileLimited(t *testing.T) {
	const size, start, limit = 3 << 20, 1000, 1<<20 + 123
	f, data := zcFile(t, size)
	_, err := f.Seek(start, io.SeekStart)
	require.NoError(t, err)
	c, s := zcPair(t)
	recv := readAllAsync(s)
	lr := &io.LimitedReader{R: f, N: limit}
	var n int64
	d := measureCopies(func() {
		n, err = io.Copy(c, lr)
		require.NoError(t, c.CloseWrite())
	})
	require.NoError(t, err)
	got, err := recv()
	require.NoError(t, err)
	assert.EqualValues(t, limit, n)
	assert.Zero(t, lr.N)
	assert.Equal(t, data[start:start+limit], got)
	off, err := f.Seek(0, io.SeekCurrent)
	require.NoError(t, err)
	assert.EqualValues(t, start+limit, off, "the file offset moved by what was sent")
	assert.Equal(t, [2]int64{1, limit}, d.sendfile)
	assert.Zero(t, d.genericReadFrom[0])
}

// TestReadFromSplice: every source kind that splices, and the TCP→TCP
// proxy, where io.Copy goes through the source's WriteTo (generic, as in
// net) into the destination's ReadFrom, which splices.
func TestReadFromSplice(t *testing.T) {
	const size = 3<<20 + 5
	data := make([]byte, size)
	_, err := rand.Read(data)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		// source returns a reader fed with data, then EOF.
		source func(t *testing.T) io.Reader
	}{
		{"evnet TCPConn", func(t *testing.T) io.Reader {
			a, b := zcPair(t)
			go func() { a.Write(data); a.CloseWrite() }()
			return b
		}},
		{"evnet UnixConn", func(t *testing.T) io.Reader {
			a, b := zcUnixPair(t)
			go func() { a.Write(data); a.CloseWrite() }()
			return b
		}},
		{"os.Pipe", func(t *testing.T) io.Reader {
			r, w, err := os.Pipe()
			require.NoError(t, err)
			t.Cleanup(func() { r.Close(); w.Close() })
			go func() { w.Write(data); w.Close() }()
			return r
		}},
		{"net.TCPConn", func(t *testing.T) io.Reader {
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			require.NoError(t, err)
			t.Cleanup(func() { ln.Close() })
			go func() {
				c, err := net.Dial("tcp4", ln.Addr().String())
				if err != nil {
					return // Accept below fails the test
				}
				c.Write(data)
				c.Close()
			}()
			c, err := ln.Accept()
			require.NoError(t, err)
			t.Cleanup(func() { c.Close() })
			return c
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.source(t)
			c, s := zcPair(t)
			recv := readAllAsync(s)
			var n int64
			var err error
			d := measureCopies(func() {
				n, err = io.Copy(c, src)
				require.NoError(t, c.CloseWrite())
			})
			require.NoError(t, err)
			got, err := recv()
			require.NoError(t, err)
			assert.EqualValues(t, size, n)
			assert.True(t, bytes.Equal(data, got), "bytes differ")
			assert.Equal(t, [2]int64{1, size}, d.splice, "splice moved it all")
			assert.Zero(t, d.genericReadFrom[0], "no copy through a buffer")
			assert.Zero(t, d.sendfile[0])
		})
	}
}

func TestWriteToSplice(t *testing.T) {
	const size = 2<<20 + 3
	data := make([]byte, size)
	_, err := rand.Read(data)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		// dest returns the writer and a func that returns what reached it
		// once the writer was closed.
		dest   func(t *testing.T) (io.Writer, func() []byte)
		splice bool
	}{
		{"os.Pipe", func(t *testing.T) (io.Writer, func() []byte) {
			r, w, err := os.Pipe()
			require.NoError(t, err)
			t.Cleanup(func() { r.Close(); w.Close() })
			recv := readAllAsync(r)
			return w, func() []byte {
				w.Close()
				b, err := recv()
				assert.NoError(t, err)
				return b
			}
		}, true},
		{"evnet UnixConn", func(t *testing.T) (io.Writer, func() []byte) {
			a, b := zcUnixPair(t)
			recv := readAllAsync(b)
			return a, func() []byte {
				a.CloseWrite()
				got, err := recv()
				assert.NoError(t, err)
				return got
			}
		}, true},
		{"regular file", func(t *testing.T) (io.Writer, func() []byte) {
			f, err := os.Create(filepath.Join(t.TempDir(), "out"))
			require.NoError(t, err)
			t.Cleanup(func() { f.Close() })
			return f, func() []byte {
				b, err := os.ReadFile(f.Name())
				assert.NoError(t, err)
				return b
			}
		}, true},
		{"O_APPEND file", func(t *testing.T) (io.Writer, func() []byte) {
			name := filepath.Join(t.TempDir(), "out")
			f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
			require.NoError(t, err)
			t.Cleanup(func() { f.Close() })
			return f, func() []byte {
				b, err := os.ReadFile(name)
				assert.NoError(t, err)
				return b
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, s := zcPair(t)
			go func() { c.Write(data); c.CloseWrite() }()
			w, result := tc.dest(t)
			var n int64
			var err error
			d := measureCopies(func() { n, err = io.Copy(w, s) })
			require.NoError(t, err)
			assert.EqualValues(t, size, n)
			assert.True(t, bytes.Equal(data, result()), "bytes differ")
			if tc.splice {
				assert.Equal(t, [2]int64{1, size}, d.splice, "splice moved it all")
				assert.Zero(t, d.genericWriteTo[0], "no copy through a buffer")
			} else {
				assert.Zero(t, d.splice[0], "splice refuses O_APPEND")
				assert.Equal(t, [2]int64{1, size}, d.genericWriteTo)
			}
		})
	}
}

// TestReadFromGeneric: sources that cannot be spliced or sent from are
// copied, with the same result.
func TestReadFromGeneric(t *testing.T) {
	data := bytes.Repeat([]byte("evnet"), 100000)
	for _, tc := range []struct {
		name string
		src  func(t *testing.T) io.Reader
	}{
		{"bytes.Reader", func(*testing.T) io.Reader { return bytes.NewReader(data) }},
		{"LimitedReader of bytes.Reader", func(*testing.T) io.Reader {
			return io.LimitReader(io.MultiReader(bytes.NewReader(data), bytes.NewReader(data)), int64(len(data)))
		}},
		{"unixpacket", func(t *testing.T) io.Reader {
			ln, err := Listen("unixpacket", filepath.Join(t.TempDir(), "p"))
			require.NoError(t, err)
			t.Cleanup(func() { ln.Close() })
			go func() {
				c, err := Dial("unixpacket", ln.Addr().String())
				if err != nil {
					return // Accept below fails the test
				}
				for b := data; len(b) > 0; b = b[min(len(b), 1000):] {
					c.Write(b[:min(len(b), 1000)])
				}
				c.Close()
			}()
			c, err := ln.Accept()
			require.NoError(t, err)
			t.Cleanup(func() { c.Close() })
			return c
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src(t)
			c, s := zcPair(t)
			recv := readAllAsync(s)
			var n int64
			var err error
			d := measureCopies(func() {
				n, err = c.ReadFrom(src)
				require.NoError(t, c.CloseWrite())
			})
			require.NoError(t, err)
			got, err := recv()
			require.NoError(t, err)
			assert.EqualValues(t, len(data), n)
			assert.True(t, bytes.Equal(data, got), "bytes differ")
			assert.Equal(t, [2]int64{1, int64(len(data))}, d.genericReadFrom)
			assert.Zero(t, d.splice[0]+d.sendfile[0])
		})
	}
}

// TestZeroCopyNoSIGPIPE: sendfile and splice into a socket shut down for
// writing, and a splice into a pipe without readers, fail with EPIPE and
// raise no SIGPIPE. The kernel sends SIGPIPE to the thread synchronously,
// so it would be queued for signal.Notify before the call returns; a
// SIGWINCH sent afterwards marks the end (the runtime hands pending
// signals over in increasing order, SIGPIPE before SIGWINCH).
func TestZeroCopyNoSIGPIPE(t *testing.T) {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGPIPE, syscall.SIGWINCH)
	defer signal.Stop(sigs)

	check := func(t *testing.T, n int64, err error) {
		t.Helper()
		assert.Zero(t, n)
		assert.ErrorIs(t, err, syscall.EPIPE)
		require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGWINCH))
		for s := range sigs {
			if s == syscall.SIGWINCH {
				return
			}
			t.Errorf("got %v", s)
		}
	}
	t.Run("sendfile", func(t *testing.T) {
		f, _ := zcFile(t, 1<<16)
		c, _ := zcPair(t)
		require.NoError(t, c.CloseWrite())
		n, err := c.ReadFrom(f)
		check(t, n, err)
	})
	t.Run("splice into socket", func(t *testing.T) {
		a, b := zcPair(t)
		_, err := a.Write([]byte("data"))
		require.NoError(t, err)
		c, _ := zcPair(t)
		require.NoError(t, c.CloseWrite())
		n, err := c.ReadFrom(b)
		check(t, n, err)
	})
	t.Run("splice into pipe", func(t *testing.T) {
		r, w, err := os.Pipe()
		require.NoError(t, err)
		defer w.Close()
		require.NoError(t, r.Close())
		a, b := zcPair(t)
		_, err = a.Write([]byte("data"))
		require.NoError(t, err)
		n, err := b.WriteTo(w)
		check(t, n, err)
		var pe *os.PathError
		assert.True(t, errors.As(err, &pe), "as os.File.ReadFrom: %v", err)
	})
}
