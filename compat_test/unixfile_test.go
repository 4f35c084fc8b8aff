//go:build linux

package compat_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/evnet/evnet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// adopt returns what FileConn, FileListener or FilePacketConn make of a
// copy of x's socket; the copy is closed before the adopted one is used,
// and x itself is closed at cleanup.
func unixAdopt[T any](t *testing.T, x interface{ File() (*os.File, error) }, fn func(*os.File) (T, error)) T {
	f, err := x.File()
	require.NoError(t, err)
	v, err := fn(f)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return v
}

// echoOnce checks that a and b are connected, both ways.
func unixEchoOnce(t *testing.T, a, b net.Conn) {
	for _, p := range [][2]net.Conn{{a, b}, {b, a}} {
		_, err := p[0].Write([]byte("ping"))
		require.NoError(t, err)
		buf := make([]byte, 8)
		n, err := p[1].Read(buf)
		require.NoError(t, err)
		assert.Equal(t, "ping", string(buf[:n]))
	}
}

// TestFileConnRoundTrip adopts each kind of connected socket and checks
// its type, addresses and I/O.
func TestFileConnRoundTrip(t *testing.T) {
	dir := unixTempDir(t)
	cases := []struct {
		network, addr, typ string
	}{
		{"tcp", "127.0.0.1:0", "*evnet.TCPConn"},
		{"unix", filepath.Join(dir, "s"), "*evnet.UnixConn"},
		{"unixpacket", filepath.Join(dir, "p"), "*evnet.UnixConn"},
	}
	for _, tc := range cases {
		t.Run(tc.network, func(t *testing.T) {
			ln, err := evnet.Listen(tc.network, tc.addr)
			require.NoError(t, err)
			defer ln.Close()
			ch := make(chan net.Conn, 1)
			go func() {
				c, _ := ln.Accept() // a failure shows as a nil conn below
				ch <- c
			}()
			c, err := evnet.Dial(tc.network, ln.Addr().String())
			require.NoError(t, err)
			defer c.Close()
			s := <-ch
			require.NotNil(t, s)
			defer s.Close()
			fc := unixAdopt(t, c.(interface{ File() (*os.File, error) }), evnet.FileConn)
			defer fc.Close()
			assert.Equal(t, tc.typ, fmt.Sprintf("%T", fc))
			assert.Equal(t, c.LocalAddr().String(), fc.LocalAddr().String())
			assert.Equal(t, c.RemoteAddr().String(), fc.RemoteAddr().String())
			require.NoError(t, c.Close())
			unixEchoOnce(t, fc, s)
		})
	}
	t.Run("udp", func(t *testing.T) {
		a, err := evnet.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		defer a.Close()
		c, err := evnet.Dial("udp", a.LocalAddr().String())
		require.NoError(t, err)
		defer c.Close()
		fc := unixAdopt(t, c.(interface{ File() (*os.File, error) }), evnet.FileConn)
		defer fc.Close()
		assert.IsType(t, &evnet.UDPConn{}, fc)
		_, err = fc.Write([]byte("ping"))
		require.NoError(t, err)
		buf := make([]byte, 8)
		n, from, err := a.ReadFrom(buf)
		require.NoError(t, err)
		assert.Equal(t, "ping", string(buf[:n]))
		assert.Equal(t, fc.LocalAddr().String(), from.String())
	})
}

// TestFileListenerRoundTrip adopts tcp and unix listeners and accepts on
// them.
func TestFileListenerRoundTrip(t *testing.T) {
	for _, tc := range []struct{ network, addr, typ string }{
		{"tcp", "127.0.0.1:0", "*evnet.TCPListener"},
		{"unix", filepath.Join(unixTempDir(t), "s"), "*evnet.UnixListener"},
	} {
		t.Run(tc.network, func(t *testing.T) {
			ln, err := evnet.Listen(tc.network, tc.addr)
			require.NoError(t, err)
			defer ln.Close()
			fl := unixAdopt(t, ln.(interface{ File() (*os.File, error) }), evnet.FileListener)
			defer fl.Close()
			assert.Equal(t, tc.typ, fmt.Sprintf("%T", fl))
			assert.Equal(t, ln.Addr().String(), fl.Addr().String())
			ch := make(chan net.Conn, 1)
			go func() {
				c, _ := fl.Accept() // a failure shows as a nil conn below
				ch <- c
			}()
			c, err := evnet.Dial(tc.network, ln.Addr().String())
			require.NoError(t, err)
			defer c.Close()
			s := <-ch
			require.NotNil(t, s)
			defer s.Close()
			unixEchoOnce(t, c, s)
		})
	}
}

// TestFilePacketConnRoundTrip adopts udp and unixgram sockets.
func TestFilePacketConnRoundTrip(t *testing.T) {
	dir := unixTempDir(t)
	for _, tc := range []struct{ network, a, b, typ string }{
		{"udp", "127.0.0.1:0", "127.0.0.1:0", "*evnet.UDPConn"},
		{"unixgram", filepath.Join(dir, "a"), filepath.Join(dir, "b"), "*evnet.UnixConn"},
	} {
		t.Run(tc.network, func(t *testing.T) {
			a, err := evnet.ListenPacket(tc.network, tc.a)
			require.NoError(t, err)
			defer a.Close()
			b, err := evnet.ListenPacket(tc.network, tc.b)
			require.NoError(t, err)
			defer b.Close()
			fb := unixAdopt(t, b.(interface{ File() (*os.File, error) }), evnet.FilePacketConn)
			defer fb.Close()
			assert.Equal(t, tc.typ, fmt.Sprintf("%T", fb))
			assert.Equal(t, b.LocalAddr().String(), fb.LocalAddr().String())
			require.NoError(t, b.Close())
			_, err = a.WriteTo([]byte("ping"), fb.LocalAddr())
			require.NoError(t, err)
			buf := make([]byte, 8)
			n, from, err := fb.ReadFrom(buf)
			require.NoError(t, err)
			assert.Equal(t, "ping", string(buf[:n]))
			assert.Equal(t, a.LocalAddr().String(), from.String())
			_, err = fb.WriteTo([]byte("pong"), from)
			require.NoError(t, err)
			n, _, err = a.ReadFrom(buf)
			require.NoError(t, err)
			assert.Equal(t, "pong", string(buf[:n]))
		})
	}
}
