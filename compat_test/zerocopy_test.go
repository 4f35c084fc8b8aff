//go:build linux

package compat_test

// TCPConn.ReadFrom and WriteTo on Linux: sendfile(2) and splice(2), the
// same scenarios on net and on evnet. That evnet really takes the zero-copy
// paths is proven in the root package (zerocopy_linux_test.go), which can
// see its counters; here the bytes, the counts, the file offsets and the
// error shapes must be net's. The A1 rows at the bottom join
// TestErrorParity.

import (
	"crypto/rand"
	"crypto/sha256"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// zcRandom returns size random bytes.
func zcRandom(t *testing.T, size int) []byte {
	t.Helper()
	b := make([]byte, size)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// zcTempFile returns a file in dir holding data, at offset 0, closed at
// cleanup.
func zcTempFile(t *testing.T, dir string, data []byte) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "data"))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	_, err = f.Write(data)
	require.NoError(t, err)
	_, err = f.Seek(0, io.SeekStart)
	require.NoError(t, err)
	return f
}

// zcDrain reads r to EOF in a goroutine and returns a func that waits for
// the sha256 and the length of what came.
func zcDrain(r io.Reader) func() ([32]byte, int64, error) {
	type res struct {
		sum [32]byte
		n   int64
		err error
	}
	ch := make(chan res, 1)
	go func() {
		h := sha256.New()
		n, err := io.Copy(h, r)
		var sum [32]byte
		h.Sum(sum[:0])
		ch <- res{sum, n, err}
	}()
	return func() ([32]byte, int64, error) {
		r := <-ch
		return r.sum, r.n, r.err
	}
}

// closeWrite shuts down c's writing side: its peer reads EOF.
func closeWrite(c net.Conn) error {
	return c.(interface{ CloseWrite() error }).CloseWrite()
}

// zcResult is what one stack's transfer gave.
type zcResult struct {
	N      int64
	Sum    [32]byte
	Left   int64 // LimitedReader.N after the copy
	Offset int64 // of the source file after the copy
}

// TestZeroCopyFileParity: a file of a few MiB sent with io.Copy(conn,
// file) (os.File.WriteTo, then conn.ReadFrom: sendfile), whole and through
// an io.LimitedReader from an offset, arrives intact, and n, the reader's
// N and the file offset after it are net's.
func TestZeroCopyFileParity(t *testing.T) {
	const size, start, limit = 3<<20 + 11, 4097, 2<<20 + 1
	data := zcRandom(t, size)
	for _, tc := range []struct {
		name  string
		start int64
		limit int64 // 0: no LimitedReader
		want  []byte
	}{
		{"whole file", 0, 0, data},
		{"LimitedReader from an offset", start, limit, data[start : start+limit]},
		{"LimitedReader past EOF", size - 100, 1000, data[size-100:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var results []zcResult
			for _, s := range stacks {
				t.Run(s.name, func(t *testing.T) {
					f := zcTempFile(t, t.TempDir(), data)
					_, err := f.Seek(tc.start, io.SeekStart)
					require.NoError(t, err)
					c, peer := connPair(t, s, "tcp")
					wait := zcDrain(peer)
					var r io.Reader = f
					lr := &io.LimitedReader{R: f, N: tc.limit}
					if tc.limit > 0 {
						r = lr
					}
					n, err := io.Copy(c, r)
					require.NoError(t, err)
					require.NoError(t, closeWrite(c))
					sum, got, err := wait()
					require.NoError(t, err)
					off, err := f.Seek(0, io.SeekCurrent)
					require.NoError(t, err)
					assert.EqualValues(t, len(tc.want), n)
					assert.EqualValues(t, len(tc.want), got)
					assert.Equal(t, sha256.Sum256(tc.want), sum, "sha256 of what arrived")
					results = append(results, zcResult{N: n, Sum: sum, Left: lr.N, Offset: off})
				})
			}
			require.Len(t, results, 2)
			assert.Equal(t, results[0], results[1], "net, then evnet")
		})
	}
}

// TestZeroCopyProxyParity: a TCP→TCP proxy with io.Copy(dst, src) (src's
// WriteTo, then dst's ReadFrom: splice) moves 10 MiB intact on both stacks.
func TestZeroCopyProxyParity(t *testing.T) {
	const size = 10 << 20
	data := zcRandom(t, size)
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			in, src := connPair(t, s, "tcp")
			dst, out := connPair(t, s, "tcp")
			werr := make(chan error, 1)
			go func() {
				_, err := in.Write(data)
				if err == nil {
					err = closeWrite(in)
				}
				werr <- err
			}()
			wait := zcDrain(out)
			n, err := io.Copy(dst, src)
			require.NoError(t, err)
			require.NoError(t, <-werr)
			require.NoError(t, closeWrite(dst))
			sum, got, err := wait()
			require.NoError(t, err)
			assert.EqualValues(t, size, n)
			assert.EqualValues(t, size, got)
			assert.Equal(t, sha256.Sum256(data), sum)
		})
	}
}

// TestZeroCopyWriteToPipeParity: conn.WriteTo into the write end of an
// os.Pipe (net: os.File.ReadFrom splices; evnet: WriteTo splices) and into
// a "unix" conn of the same stack (both: WriteTo splices).
func TestZeroCopyWriteToPipeParity(t *testing.T) {
	const size = 2<<20 + 7
	data := zcRandom(t, size)
	for _, dest := range []string{"pipe", "unix"} {
		t.Run(dest, func(t *testing.T) {
			for _, s := range stacks {
				t.Run(s.name, func(t *testing.T) {
					in, c := connPair(t, s, "tcp")
					werr := make(chan error, 1)
					go func() {
						_, err := in.Write(data)
						if err == nil {
							err = closeWrite(in)
						}
						werr <- err
					}()
					var w io.Writer
					var wait func() ([32]byte, int64, error)
					var done func() error
					if dest == "pipe" {
						pr, pw, err := os.Pipe()
						require.NoError(t, err)
						t.Cleanup(func() { pr.Close(); pw.Close() })
						w, wait, done = pw, zcDrain(pr), pw.Close
					} else {
						ln := newLocalUnixListener(t, s)
						u, peer := unixPairOn(t, s, ln)
						w, wait, done = u, zcDrain(peer), func() error { return closeWrite(u) }
					}
					n, err := c.(io.WriterTo).WriteTo(w)
					require.NoError(t, err)
					require.NoError(t, <-werr)
					require.NoError(t, done())
					sum, got, err := wait()
					require.NoError(t, err)
					assert.EqualValues(t, size, n)
					assert.EqualValues(t, size, got)
					assert.Equal(t, sha256.Sum256(data), sum)
				})
			}
		})
	}
}

// newLocalUnixListener listens with s on a "unix" socket in a temp dir.
func newLocalUnixListener(t *testing.T, s stack) net.Listener {
	t.Helper()
	ln, err := s.listen("unix", filepath.Join(t.TempDir(), "sock"))
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	return ln
}

// unixPairOn dials ln with s and returns both ends, closed at cleanup.
func unixPairOn(t *testing.T, s stack, ln net.Listener) (client, server net.Conn) {
	t.Helper()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	client, err := s.dial("unix", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { client.Close() })
	r := <-ch
	require.NoError(t, r.err)
	t.Cleanup(func() { r.c.Close() })
	return client, r.c
}

// The A1 rows: sendfile and splice errors, as net reports them.
func init() {
	register(zeroCopyScenarios()...)
}

// readFrom and writeTo call the conn's ReadFrom and WriteTo directly, not
// through io.Copy: io.Copy(netConn, file) goes through os.File.WriteTo,
// which on net sends the file itself and reports an *fs.PathError, a path
// evnet conns cannot take (os does not know their fd).
func readFrom(c tcpConn, r io.Reader) (int, error) {
	n, err := c.(io.ReaderFrom).ReadFrom(r)
	return int(n), err
}

func writeTo(c tcpConn, w io.Writer) (int, error) {
	n, err := c.(io.WriterTo).WriteTo(w)
	return int(n), err
}

// zcFileFor returns a file of size zero bytes (sparse: cheap to make, and
// sendfile reads it as any other) in a's masked temp dir.
func zcFileFor(a api, size int64) *os.File {
	f := zcTempFile(a.t, a.tempDir(), nil)
	require.NoError(a.t, f.Truncate(size))
	return f
}

// stalledPair returns a pair with small buffers whose server end never
// reads, so that a large send from the client blocks.
func stalledPair(a api) (client, server tcpConn) {
	c, s := a.pair()
	require.NoError(a.t, c.SetWriteBuffer(16<<10))
	require.NoError(a.t, s.SetReadBuffer(16<<10))
	return c, s
}

func zeroCopyScenarios() []scenario {
	return []scenario{
		{name: "ReadFrom file, peer not reading, 100ms write deadline (sendfile)", partial: true,
			want: os.ErrDeadlineExceeded, shape: checkWriteError,
			run: func(a api) (int, error) {
				c, _ := stalledPair(a)
				f := zcFileFor(a, 32<<20)
				require.NoError(a.t, c.SetWriteDeadline(time.Now().Add(100*time.Millisecond)))
				return readFrom(c, f)
			}},
		{name: "io.Copy(conn, file), peer not reading, 100ms write deadline", partial: true,
			want: os.ErrDeadlineExceeded,
			knownDiff: "net's conn is known to os, so os.File.WriteTo sends the file itself and " +
				"reports an *fs.PathError read; evnet's ReadFrom sends it and reports an *net.OpError readfrom",
			run: func(a api) (int, error) {
				c, _ := stalledPair(a)
				f := zcFileFor(a, 32<<20)
				require.NoError(a.t, c.SetWriteDeadline(time.Now().Add(100*time.Millisecond)))
				n, err := io.Copy(c, f)
				return int(n), err
			}},
		{name: "blocked ReadFrom file, local Close (sendfile)", partial: true,
			want: net.ErrClosed, shape: checkWriteError,
			run: func(a api) (int, error) {
				c, _ := stalledPair(a)
				f := zcFileFor(a, 32<<20)
				wait := a.async(func() (int, error) { return readFrom(c, f) })
				require.NoError(a.t, c.Close())
				return wait()
			}},
		{name: "blocked ReadFrom file, deadline moved to the past (sendfile)", partial: true,
			want: os.ErrDeadlineExceeded, shape: checkWriteError,
			run: func(a api) (int, error) {
				c, _ := stalledPair(a)
				f := zcFileFor(a, 32<<20)
				wait := a.async(func() (int, error) { return readFrom(c, f) })
				require.NoError(a.t, c.SetWriteDeadline(pastDeadline))
				return wait()
			}},
		{name: "ReadFrom file after CloseWrite (sendfile EPIPE)", want: syscall.EPIPE, shape: checkWriteError,
			run: func(a api) (int, error) {
				c, _ := a.pair()
				require.NoError(a.t, c.CloseWrite())
				return readFrom(c, zcFileFor(a, 1<<16))
			}},
		{name: "ReadFrom file after RST (sendfile EPIPE)", want: syscall.EPIPE, shape: checkWriteError,
			run: func(a api) (int, error) {
				c, _ := rstPair(a)
				return readFrom(c, zcFileFor(a, 1<<16))
			}},
		// Neither stack can sendfile into a closed conn or past a passed
		// deadline; both fall back to the copy, whose Write reports it:
		// an OpError "write" inside the "readfrom" one.
		{name: "ReadFrom file after Close", want: net.ErrClosed,
			run: afterClose(func(a api, c tcpConn) (int, error) { return readFrom(c, zcFileFor(a, 1<<16)) })},
		{name: "ReadFrom file, write deadline passed", want: os.ErrDeadlineExceeded,
			run: onConn(func(a api, c tcpConn) (int, error) {
				require.NoError(a.t, c.SetWriteDeadline(pastDeadline))
				return readFrom(c, zcFileFor(a, 1<<16))
			})},
		{name: "ReadFrom LimitedReader N=0 of a file", noErr: true,
			run: onConn(func(a api, c tcpConn) (int, error) {
				return readFrom(c, &io.LimitedReader{R: zcFileFor(a, 1<<16), N: 0})
			})},
		{name: "ReadFrom TCP after CloseWrite (splice EPIPE)", want: syscall.EPIPE, shape: checkWriteError,
			run: func(a api) (int, error) {
				in, src := a.pair()
				_, err := in.Write([]byte("data"))
				require.NoError(a.t, err)
				c, _ := a.pair()
				require.NoError(a.t, c.CloseWrite())
				return readFrom(c, src)
			}},
		{name: "ReadFrom TCP, source read deadline passed (splice)", want: os.ErrDeadlineExceeded, shape: checkWriteError,
			run: func(a api) (int, error) {
				_, src := a.pair()
				require.NoError(a.t, src.SetReadDeadline(pastDeadline))
				c, _ := a.pair()
				return readFrom(c, src)
			}},
		{name: "ReadFrom closed TCP (splice)", want: net.ErrClosed, shape: checkWriteError,
			run: func(a api) (int, error) {
				_, src := a.pair()
				require.NoError(a.t, src.Close())
				c, _ := a.pair()
				return readFrom(c, src)
			}},
		{name: "blocked ReadFrom TCP, local Close (splice)", want: net.ErrClosed, shape: checkWriteError,
			run: func(a api) (int, error) {
				_, src := a.pair()
				c, _ := a.pair()
				wait := a.async(func() (int, error) { return readFrom(c, src) })
				require.NoError(a.t, src.Close())
				return wait()
			}},
		{name: "blocked ReadFrom TCP, peer not reading, local Close (splice)", partial: true,
			want: net.ErrClosed, shape: checkWriteError,
			run: func(a api) (int, error) {
				in, src := a.pair()
				// The first splice finds data, so something is sent before
				// the conn fills up and ReadFrom blocks writing into it.
				_, err := in.Write(make([]byte, 64<<10))
				require.NoError(a.t, err)
				go in.Write(make([]byte, 32<<20)) // fails once the pair is closed at cleanup
				c, _ := stalledPair(a)
				wait := a.async(func() (int, error) { return readFrom(c, src) })
				require.NoError(a.t, c.Close())
				return wait()
			}},
		// As os.File.ReadFrom, which net's WriteTo reaches, reports it: in
		// an *fs.PathError "write" inside the "writeto" OpError.
		{name: "WriteTo pipe, read deadline passed (splice)", want: os.ErrDeadlineExceeded,
			run: onConn(func(a api, c tcpConn) (int, error) {
				pr, pw, err := os.Pipe()
				require.NoError(a.t, err)
				a.t.Cleanup(func() { pr.Close(); pw.Close() })
				require.NoError(a.t, c.SetReadDeadline(pastDeadline))
				return writeTo(c, pw)
			})},
		{name: "WriteTo pipe without reader (splice EPIPE)", want: syscall.EPIPE,
			run: func(a api) (int, error) {
				in, c := a.pair()
				_, err := in.Write([]byte("data"))
				require.NoError(a.t, err)
				pr, pw, err := os.Pipe()
				require.NoError(a.t, err)
				a.t.Cleanup(func() { pw.Close() })
				require.NoError(a.t, pr.Close())
				return writeTo(c, pw)
			}},
	}
}
