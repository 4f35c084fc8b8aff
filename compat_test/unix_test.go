//go:build linux

package compat_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/evnet/evnet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/nettest"
)

// unixConn is the part of *net.UnixConn and *evnet.UnixConn the tests use.
type unixConn interface {
	net.Conn
	net.PacketConn
	CloseWrite() error
	ReadMsgUnix(b, oob []byte) (n, oobn, flags int, addr *net.UnixAddr, err error)
	WriteMsgUnix(b, oob []byte, addr *net.UnixAddr) (n, oobn int, err error)
	WriteToUnix(b []byte, addr *net.UnixAddr) (int, error)
}

// unixListener is the part of *net.UnixListener and *evnet.UnixListener
// the tests use.
type unixListener interface {
	net.Listener
	SetUnlinkOnClose(bool)
}

// unixAPI is one implementation of the Unix API: net's or evnet's. Its
// functions return nil interfaces on error, so that the tests can also
// check that the real functions do.
type unixAPI struct {
	name           string
	dial           func(network, address string) (net.Conn, error)
	listen         func(network, address string) (net.Listener, error)
	dialUnix       func(network string, laddr, raddr *net.UnixAddr) (unixConn, error)
	listenUnix     func(network string, laddr *net.UnixAddr) (unixListener, error)
	listenUnixgram func(network string, laddr *net.UnixAddr) (unixConn, error)
	fileConn       func(*os.File) (net.Conn, error)
	fileListener   func(*os.File) (net.Listener, error)
	filePacketConn func(*os.File) (net.PacketConn, error)
}

var unixAPIs = []unixAPI{
	{
		name: "net", dial: net.Dial, listen: net.Listen,
		dialUnix: func(n string, l, r *net.UnixAddr) (unixConn, error) {
			return asUnixConn(net.DialUnix(n, l, r))
		},
		listenUnix: func(n string, l *net.UnixAddr) (unixListener, error) {
			return asUnixListener(net.ListenUnix(n, l))
		},
		listenUnixgram: func(n string, l *net.UnixAddr) (unixConn, error) {
			return asUnixConn(net.ListenUnixgram(n, l))
		},
		fileConn: net.FileConn, fileListener: net.FileListener, filePacketConn: net.FilePacketConn,
	},
	{
		name: "evnet", dial: evnet.Dial, listen: evnet.Listen,
		dialUnix: func(n string, l, r *net.UnixAddr) (unixConn, error) {
			return asUnixConn(evnet.DialUnix(n, l, r))
		},
		listenUnix: func(n string, l *net.UnixAddr) (unixListener, error) {
			return asUnixListener(evnet.ListenUnix(n, l))
		},
		listenUnixgram: func(n string, l *net.UnixAddr) (unixConn, error) {
			return asUnixConn(evnet.ListenUnixgram(n, l))
		},
		fileConn: evnet.FileConn, fileListener: evnet.FileListener, filePacketConn: evnet.FilePacketConn,
	},
}

// asUnixConn converts a (*T, error) result, keeping a nil *T a nil
// interface.
func asUnixConn[T unixConn](c T, err error) (unixConn, error) {
	if err != nil {
		return nil, err
	}
	return c, nil
}

func asUnixListener[T unixListener](l T, err error) (unixListener, error) {
	if err != nil {
		return nil, err
	}
	return l, nil
}

// errShape describes err for differential comparison: Error() with dir
// masked, %T at each level, the fields of *net.OpError and *os.SyscallError,
// and the errors.Is / net.Error answers that callers rely on.
func unixErrShape(err error, dir string) string {
	if err == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%q", strings.ReplaceAll(err.Error(), dir, "<dir>"))
	for e := err; e != nil; e = errors.Unwrap(e) {
		fmt.Fprintf(&b, " > %T", e)
		switch e := e.(type) {
		case *net.OpError:
			fmt.Fprintf(&b, "{%s %s Source:%T Addr:%T}", e.Op, e.Net, e.Source, e.Addr)
		case *os.SyscallError:
			fmt.Fprintf(&b, "{%s}", e.Syscall)
		case syscall.Errno:
			fmt.Fprintf(&b, "(%d)", int(e))
		}
	}
	for _, s := range []error{net.ErrClosed, os.ErrDeadlineExceeded, context.DeadlineExceeded, context.Canceled} {
		fmt.Fprintf(&b, " Is(%v)=%v", s, errors.Is(err, s))
	}
	var ne net.Error
	if errors.As(err, &ne) {
		fmt.Fprintf(&b, " Timeout=%v", ne.Timeout())
	}
	return b.String()
}

// shortDir returns a fresh directory with a short path: sun_path holds
// only 104..108 bytes, and t.TempDir's names can be long.
func unixTempDir(t testing.TB) string {
	dir, err := os.MkdirTemp("", "ev")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// unixScenario runs one case on an API, in its own directory, and returns
// the error to compare.
type unixScenario func(t *testing.T, api unixAPI, dir string) error

// TestUnixErrorParity runs each scenario on net and on evnet and compares
// the error shapes (RELIABILITY A1, §4.3 unix rows).
func TestUnixErrorParity(t *testing.T) {
	long := strings.Repeat("a", 200)
	ua := func(network, name string) *net.UnixAddr { return &net.UnixAddr{Name: name, Net: network} }
	cases := []struct {
		name string
		run  unixScenario
	}{
		{"Dial empty", func(t *testing.T, a unixAPI, dir string) error { return unixDialErr(a.dial("unix", "")) }},
		{"Dial missing path", func(t *testing.T, a unixAPI, dir string) error {
			return unixDialErr(a.dial("unix", filepath.Join(dir, "nope")))
		}},
		{"Dial unixgram missing path", func(t *testing.T, a unixAPI, dir string) error {
			return unixDialErr(a.dial("unixgram", filepath.Join(dir, "nope")))
		}},
		{"Dial path too long", func(t *testing.T, a unixAPI, dir string) error { return unixDialErr(a.dial("unix", long)) }},
		{"DialUnix nil raddr", func(t *testing.T, a unixAPI, dir string) error {
			return unixDialErr(a.dialUnix("unix", nil, nil))
		}},
		{"DialUnix network udp", func(t *testing.T, a unixAPI, dir string) error {
			return unixDialErr(a.dialUnix("udp", nil, ua("unix", "x")))
		}},
		{"DialUnix //", func(t *testing.T, a unixAPI, dir string) error {
			return unixDialErr(a.dialUnix("unix", nil, ua("unix", "//")))
		}},
		{"ListenUnix path too long", func(t *testing.T, a unixAPI, dir string) error {
			return unixListenErr(a.listenUnix("unix", ua("unix", long)))
		}},
		{"ListenUnix nil", func(t *testing.T, a unixAPI, dir string) error { return unixListenErr(a.listenUnix("unix", nil)) }},
		{"ListenUnix unixgram", func(t *testing.T, a unixAPI, dir string) error {
			return unixListenErr(a.listenUnix("unixgram", ua("unixgram", filepath.Join(dir, "s"))))
		}},
		{"ListenUnixgram unix", func(t *testing.T, a unixAPI, dir string) error {
			return unixListenErr(a.listenUnixgram("unix", ua("unix", filepath.Join(dir, "s"))))
		}},
		{"ListenUnixgram nil", func(t *testing.T, a unixAPI, dir string) error {
			return unixListenErr(a.listenUnixgram("unixgram", nil))
		}},
		{"Listen missing dir", func(t *testing.T, a unixAPI, dir string) error {
			return unixListenErr(a.listen("unix", filepath.Join(dir, "no", "s")))
		}},
		{"Listen busy path", func(t *testing.T, a unixAPI, dir string) error {
			path := filepath.Join(dir, "s")
			ln, err := a.listen("unix", path)
			require.NoError(t, err)
			defer ln.Close()
			return unixListenErr(a.listen("unix", path))
		}},
		{"Listen busy unixpacket path", func(t *testing.T, a unixAPI, dir string) error {
			path := filepath.Join(dir, "s")
			ln, err := a.listenUnix("unixpacket", ua("unixpacket", path))
			require.NoError(t, err)
			defer ln.Close()
			return unixListenErr(a.listenUnix("unixpacket", ua("unixpacket", path)))
		}},
		{"Accept after Close", func(t *testing.T, a unixAPI, dir string) error {
			ln, err := a.listen("unix", filepath.Join(dir, "s"))
			require.NoError(t, err)
			require.NoError(t, ln.Close())
			c, err := ln.Accept()
			assert.Nil(t, c)
			return err
		}},
		{"Listener Close twice", func(t *testing.T, a unixAPI, dir string) error {
			ln, err := a.listen("unix", filepath.Join(dir, "s"))
			require.NoError(t, err)
			require.NoError(t, ln.Close())
			return ln.Close()
		}},
		{"Listener SetDeadline after Close", func(t *testing.T, a unixAPI, dir string) error {
			ln, err := a.listenUnix("unix", ua("unix", filepath.Join(dir, "s")))
			require.NoError(t, err)
			require.NoError(t, ln.Close())
			return ln.(interface{ SetDeadline(time.Time) error }).SetDeadline(time.Now())
		}},
		{"Listener File after Close", func(t *testing.T, a unixAPI, dir string) error {
			ln, err := a.listenUnix("unix", ua("unix", filepath.Join(dir, "s")))
			require.NoError(t, err)
			require.NoError(t, ln.Close())
			_, err = ln.(interface{ File() (*os.File, error) }).File()
			return err
		}},
		{"Accept past deadline", func(t *testing.T, a unixAPI, dir string) error {
			ln, err := a.listenUnix("unix", ua("unix", filepath.Join(dir, "s")))
			require.NoError(t, err)
			defer ln.Close()
			require.NoError(t, ln.(interface{ SetDeadline(time.Time) error }).SetDeadline(time.Now().Add(-time.Second)))
			_, err = ln.Accept()
			return err
		}},
		{"Read after Close", func(t *testing.T, a unixAPI, dir string) error {
			c, _ := unixPair(t, a, dir, "unix")
			require.NoError(t, c.Close())
			_, err := c.Read(make([]byte, 1))
			return err
		}},
		{"Close twice", func(t *testing.T, a unixAPI, dir string) error {
			c, _ := unixPair(t, a, dir, "unix")
			require.NoError(t, c.Close())
			return c.Close()
		}},
		{"Write after CloseWrite", func(t *testing.T, a unixAPI, dir string) error {
			c, _ := unixPair(t, a, dir, "unix")
			require.NoError(t, c.CloseWrite())
			_, err := c.Write([]byte("x"))
			return err
		}},
		{"Read past deadline", func(t *testing.T, a unixAPI, dir string) error {
			c, _ := unixPair(t, a, dir, "unixpacket")
			require.NoError(t, c.SetReadDeadline(time.Now().Add(-time.Second)))
			_, err := c.Read(make([]byte, 1))
			return err
		}},
		{"peer Close then Read", func(t *testing.T, a unixAPI, dir string) error {
			c, s := unixPair(t, a, dir, "unix")
			require.NoError(t, s.Close())
			_, err := c.Read(make([]byte, 1))
			return err
		}},
		{"WriteMsgUnix closed fd in rights", func(t *testing.T, a unixAPI, dir string) error {
			c, _ := unixPair(t, a, dir, "unix")
			f, err := os.Open(os.DevNull)
			require.NoError(t, err)
			fd := int(f.Fd())
			require.NoError(t, f.Close())
			_, _, err = c.WriteMsgUnix([]byte("x"), syscall.UnixRights(fd), nil)
			return err
		}},
		{"WriteToUnix on dialed unixgram", func(t *testing.T, a unixAPI, dir string) error {
			c, _ := unixgramPair(t, a, dir)
			_, err := c.WriteToUnix([]byte("x"), ua("unixgram", filepath.Join(dir, "srv")))
			return err
		}},
		{"WriteMsgUnix on dialed unixgram", func(t *testing.T, a unixAPI, dir string) error {
			c, _ := unixgramPair(t, a, dir)
			_, _, err := c.WriteMsgUnix([]byte("x"), nil, nil)
			return err
		}},
		{"WriteToUnix nil addr", func(t *testing.T, a unixAPI, dir string) error {
			_, s := unixgramPair(t, a, dir)
			_, err := s.WriteToUnix([]byte("x"), nil)
			return err
		}},
		{"WriteToUnix net mismatch", func(t *testing.T, a unixAPI, dir string) error {
			_, s := unixgramPair(t, a, dir)
			_, err := s.WriteToUnix([]byte("x"), ua("unix", filepath.Join(dir, "cli")))
			return err
		}},
		{"WriteTo UDPAddr", func(t *testing.T, a unixAPI, dir string) error {
			_, s := unixgramPair(t, a, dir)
			_, err := s.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9})
			return err
		}},
		{"WriteTo nil Addr", func(t *testing.T, a unixAPI, dir string) error {
			_, s := unixgramPair(t, a, dir)
			_, err := s.WriteTo([]byte("x"), nil)
			return err
		}},
		{"WriteToUnix missing peer", func(t *testing.T, a unixAPI, dir string) error {
			_, s := unixgramPair(t, a, dir)
			_, err := s.WriteToUnix([]byte("x"), ua("unixgram", filepath.Join(dir, "nope")))
			return err
		}},
		{"WriteToUnix on accepted stream", func(t *testing.T, a unixAPI, dir string) error {
			_, s := unixPair(t, a, dir, "unix")
			_, err := s.WriteToUnix([]byte("x"), ua("unix", filepath.Join(dir, "s")))
			return err
		}},
		{"FileConn not a socket", func(t *testing.T, a unixAPI, dir string) error {
			f, err := os.Open(os.DevNull)
			require.NoError(t, err)
			defer f.Close()
			return unixDialErr(a.fileConn(f))
		}},
		{"FileListener on unixgram", func(t *testing.T, a unixAPI, dir string) error {
			_, s := unixgramPair(t, a, dir)
			f, err := s.(interface{ File() (*os.File, error) }).File()
			require.NoError(t, err)
			defer f.Close()
			return unixListenErr(a.fileListener(f))
		}},
		{"FilePacketConn on unix stream listener", func(t *testing.T, a unixAPI, dir string) error {
			ln, err := a.listenUnix("unix", ua("unix", filepath.Join(dir, "s")))
			require.NoError(t, err)
			defer ln.Close()
			f, err := ln.(interface{ File() (*os.File, error) }).File()
			require.NoError(t, err)
			defer f.Close()
			c, err := a.filePacketConn(f)
			if c != nil {
				c.Close()
			}
			return err
		}},
		{"backlog full", func(t *testing.T, a unixAPI, dir string) error {
			if runtime.GOOS != "linux" {
				t.Skip("EAGAIN from a full unix backlog is Linux behaviour")
			}
			return unixFillBacklog(t, a, filepath.Join(dir, "s"))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var shapes [2]string
			for i, api := range unixAPIs {
				dir := unixTempDir(t)
				shapes[i] = unixErrShape(tc.run(t, api, dir), dir)
			}
			assert.Equal(t, shapes[0], shapes[1], "net vs evnet")
			t.Logf("%s", shapes[1])
		})
	}
}

// dialErr returns the error of a dial, closing a conn that should not be
// there and checking that a failed dial returned a nil interface.
func unixDialErr[T io.Closer](c T, err error) error {
	return unixCloserErr(c, err)
}

func unixListenErr[T io.Closer](l T, err error) error { return unixCloserErr(l, err) }

func unixCloserErr(c io.Closer, err error) error {
	if err != nil {
		if c != nil {
			return fmt.Errorf("non-nil %T returned with error %w", c, err)
		}
		return err
	}
	c.Close()
	return nil
}

// unixPair returns a dialed conn and the accepted one over a listener of
// network in dir, closed at cleanup.
func unixPair(t testing.TB, a unixAPI, dir, network string) (client, server unixConn) {
	ln, err := a.listenUnix(network, &net.UnixAddr{Name: filepath.Join(dir, "s"), Net: network})
	require.NoError(t, err)
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept() // a failure shows as a nil conn below
		ch <- c
	}()
	client, err = a.dialUnix(network, nil, ln.Addr().(*net.UnixAddr))
	require.NoError(t, err)
	t.Cleanup(func() { client.Close() })
	sc := <-ch
	require.NotNil(t, sc, "accept failed")
	t.Cleanup(func() { sc.Close() })
	return client, sc.(unixConn)
}

// unixgramPair returns a unixgram conn bound to dir/cli and dialed to a
// server bound to dir/srv.
func unixgramPair(t testing.TB, a unixAPI, dir string) (client, server unixConn) {
	srv, err := a.listenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "srv"), Net: "unixgram"})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	cli, err := a.dialUnix("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "cli"), Net: "unixgram"},
		srv.LocalAddr().(*net.UnixAddr))
	require.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	return cli, srv
}

// fillBacklog dials a listener with a backlog of 1 until a dial fails and
// returns that error; it must come at once.
func unixFillBacklog(t *testing.T, a unixAPI, path string) error {
	s, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	syscall.CloseOnExec(s)
	defer syscall.Close(s)
	require.NoError(t, syscall.Bind(s, &syscall.SockaddrUnix{Name: path}))
	require.NoError(t, syscall.Listen(s, 1))
	for range 16 {
		start := time.Now()
		c, err := a.dial("unix", path)
		if err != nil {
			assert.Less(t, time.Since(start), 2*time.Second, "a full backlog must fail at once")
			return err
		}
		t.Cleanup(func() { c.Close() })
	}
	return errors.New("backlog never filled")
}

var unixNettestSeq atomic.Int64

// TestNettestUnix runs x/net/nettest's conformance suite on evnet's unix
// and unixpacket conns (RELIABILITY A2).
func TestNettestUnix(t *testing.T) {
	for _, network := range []string{"unix", "unixpacket"} {
		t.Run(network, func(t *testing.T) {
			if runtime.GOOS == "darwin" && network == "unixpacket" {
				t.Skip("no unixpacket on darwin")
			}
			dir := unixTempDir(t)
			nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
				path := filepath.Join(dir, fmt.Sprint(unixNettestSeq.Add(1)))
				ln, err := evnet.Listen(network, path)
				if err != nil {
					return nil, nil, nil, err
				}
				defer ln.Close()
				done := make(chan error, 1)
				go func() {
					var err error
					c2, err = ln.Accept()
					done <- err
				}()
				c1, err = evnet.Dial(network, path)
				if err != nil {
					return nil, nil, nil, err
				}
				if err := <-done; err != nil {
					c1.Close()
					return nil, nil, nil, err
				}
				return c1, c2, func() { c1.Close(); c2.Close() }, nil
			})
		})
	}
}
