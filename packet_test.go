//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evnet/evnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// roundTrip sends msg from a to b's address and checks what b reads.
func roundTrip(t *testing.T, a net.PacketConn, b net.PacketConn) {
	t.Helper()
	require.NoError(t, b.SetReadDeadline(deadlineIn()))
	msg := []byte("ping")
	_, err := a.WriteTo(msg, b.LocalAddr())
	require.NoError(t, err)
	buf := make([]byte, 16)
	n, from, err := b.ReadFrom(buf)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(buf[:n]))
	assert.Equal(t, a.LocalAddr().(*net.UDPAddr).Port, from.(*net.UDPAddr).Port)
}

func TestUDPRoundTrips(t *testing.T) {
	t.Run("ListenPacket and Dial", func(t *testing.T) {
		srv, err := ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		defer srv.Close()
		require.IsType(t, &UDPConn{}, srv)
		any, err := ListenPacket("udp", ":0")
		require.NoError(t, err)
		defer any.Close()
		roundTrip(t, any, srv)

		c, err := Dial("udp", srv.LocalAddr().String())
		require.NoError(t, err)
		defer c.Close()
		require.IsType(t, &UDPConn{}, c)
		_, err = c.Write([]byte("ping"))
		require.NoError(t, err)
		buf := make([]byte, 16)
		require.NoError(t, srv.SetReadDeadline(deadlineIn()))
		n, from, err := srv.ReadFrom(buf)
		require.NoError(t, err)
		assert.Equal(t, "ping", string(buf[:n]))
		_, err = srv.WriteTo([]byte("pong"), from)
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(deadlineIn()))
		n, err = c.Read(buf)
		require.NoError(t, err)
		assert.Equal(t, "pong", string(buf[:n]))
	})
	t.Run("IPv6 AddrPort and Msg", func(t *testing.T) {
		srv, err := ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
		if err != nil {
			t.Skipf("no IPv6 loopback: %v", err)
		}
		defer srv.Close()
		var d Dialer
		cli, err := d.DialUDP(context.Background(), "udp6", netip.AddrPort{}, srv.LocalAddr().(*net.UDPAddr).AddrPort())
		require.NoError(t, err)
		defer cli.Close()
		n, oobn, err := cli.WriteMsgUDPAddrPort([]byte("v6"), nil, netip.AddrPort{})
		require.NoError(t, err)
		assert.Equal(t, [2]int{2, 0}, [2]int{n, oobn})
		require.NoError(t, srv.SetReadDeadline(deadlineIn()))
		buf := make([]byte, 8)
		n, _, flags, from, err := srv.ReadMsgUDPAddrPort(buf, nil)
		require.NoError(t, err)
		assert.Equal(t, "v6", string(buf[:n]))
		assert.Zero(t, flags)
		assert.Equal(t, cli.LocalAddr().(*net.UDPAddr).AddrPort(), from)
		_, err = srv.WriteToUDPAddrPort([]byte("back"), from)
		require.NoError(t, err)
		require.NoError(t, cli.SetReadDeadline(deadlineIn()))
		n, ap, err := cli.ReadFromUDPAddrPort(buf)
		require.NoError(t, err)
		assert.Equal(t, "back", string(buf[:n]))
		assert.Equal(t, srv.LocalAddr().(*net.UDPAddr).AddrPort(), ap)
	})
}

func TestUDPDialer(t *testing.T) {
	srv, err := ListenUDP("udp4", loopback4)
	require.NoError(t, err)
	defer srv.Close()
	ra := srv.LocalAddr().(*net.UDPAddr).AddrPort()

	t.Run("past Deadline", func(t *testing.T) {
		d := Dialer{Deadline: aLongTimeAgo}
		nd := net.Dialer{Deadline: aLongTimeAgo}
		c, err := d.DialUDP(context.Background(), "udp4", netip.AddrPort{}, ra)
		assert.Nil(t, c)
		_, nerr := nd.DialUDP(context.Background(), "udp4", netip.AddrPort{}, ra)
		assert.Equal(t, errShape(nerr), errShape(err))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var d Dialer
		_, err := d.DialUDP(ctx, "udp4", netip.AddrPort{}, ra)
		_, nerr := (&net.Dialer{}).DialUDP(ctx, "udp4", netip.AddrPort{}, ra)
		assert.Equal(t, errShape(nerr), errShape(err))
		assert.ErrorIs(t, err, context.Canceled)
		_, err = d.DialIP(ctx, "ip4:foo", netip.Addr{}, netip.MustParseAddr("127.0.0.1"))
		_, nerr = (&net.Dialer{}).DialIP(ctx, "ip4:foo", netip.Addr{}, netip.MustParseAddr("127.0.0.1"))
		assert.Equal(t, errShape(nerr), errShape(err))
	})
	t.Run("Cancel channel", func(t *testing.T) {
		ch := make(chan struct{})
		close(ch)
		d := Dialer{Cancel: ch}
		c, err := d.DialUDP(context.Background(), "udp4", netip.AddrPort{}, ra)
		if err == nil {
			c.Close() // the goroutine may lose the race with an instant connect
		} else {
			assert.ErrorIs(t, err, context.Canceled)
		}
	})
	t.Run("invalid AddrPorts", func(t *testing.T) {
		// net turns them into &UDPAddr{} rather than nil: no "missing address".
		var d Dialer
		c, err := d.DialUDP(context.Background(), "udp4", netip.AddrPort{}, netip.AddrPort{})
		nc, nerr := (&net.Dialer{}).DialUDP(context.Background(), "udp4", netip.AddrPort{}, netip.AddrPort{})
		assert.Equal(t, errShape(nerr), errShape(err))
		// RemoteAddr differs when getpeername fails (net: ":0", evnet:
		// "0.0.0.0:0"): sock_unix.go rebuilds it from the sockaddr.
		if err == nil {
			c.Close()
		}
		if nerr == nil {
			nc.Close()
		}
	})
	t.Run("nil ctx", func(t *testing.T) {
		var d Dialer
		//lint:ignore SA1012 a nil ctx is the point of the test
		c, err := d.DialUDP(nil, "udp4", netip.AddrPort{}, ra) //nolint:staticcheck
		assert.Nil(t, c)
		assert.Error(t, err)
	})
	t.Run("Control sees what net's sees", func(t *testing.T) {
		var got [2][]string
		record := func(i int) func(string, string, syscall.RawConn) error {
			return func(network, address string, _ syscall.RawConn) error {
				got[i] = append(got[i], network+" "+maskPorts(address))
				return nil
			}
		}
		for i, f := range []func(d func(string, string, syscall.RawConn) error) error{
			func(ctrl func(string, string, syscall.RawConn) error) error {
				c, err := (&net.Dialer{Control: ctrl}).Dial("udp", srv.LocalAddr().String())
				if err == nil {
					c.Close()
					var pc net.PacketConn
					if pc, err = (&net.ListenConfig{Control: ctrl}).ListenPacket(context.Background(), "udp", ":0"); err == nil {
						pc.Close()
					}
				}
				return err
			},
			func(ctrl func(string, string, syscall.RawConn) error) error {
				c, err := (&Dialer{Control: ctrl}).Dial("udp", srv.LocalAddr().String())
				if err == nil {
					c.Close()
					var pc net.PacketConn
					if pc, err = (&ListenConfig{Control: ctrl}).ListenPacket(context.Background(), "udp", ":0"); err == nil {
						pc.Close()
					}
				}
				return err
			},
		} {
			require.NoError(t, f(record(i)))
		}
		assert.Equal(t, got[0], got[1])
	})
}

func TestUDPZeroValue(t *testing.T) {
	var c UDPConn
	b := make([]byte, 1)
	_, err1 := c.Read(b)
	_, _, err2 := c.ReadFrom(b)
	_, _, err3 := c.ReadFromUDPAddrPort(b)
	_, _, _, _, err4 := c.ReadMsgUDP(b, nil)
	_, err5 := c.WriteTo(b, loopback4)
	_, err6 := c.WriteToUDPAddrPort(b, netip.AddrPort{})
	_, _, err7 := c.WriteMsgUDP(b, nil, nil)
	_, err8 := c.ReadBatch(nil, 0)
	_, err9 := c.WriteBatch(nil, 0)
	err10 := c.Close()
	for i, err := range []error{err1, err2, err3, err4, err5, err6, err7, err8, err9, err10} {
		assert.Equal(t, syscall.EINVAL, err, "call %d", i+1)
	}
	var ic IPConn
	_, _, err := ic.ReadFromIP(b)
	assert.Equal(t, syscall.EINVAL, err)
	_, err = ic.WriteToIP(b, nil)
	assert.Equal(t, syscall.EINVAL, err)
}

// socketFDs counts the process's socket fds in /proc/self/fd.
func socketFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}

// TestUDPFDLeak is RELIABILITY.md A3 for udp: dial, write, read the echo,
// close; then the socket fds and loop registrations must be as before.
func TestUDPFDLeak(t *testing.T) {
	cycles := 10000
	if testing.Short() {
		cycles = 1000
	}
	g, err := loop.Default()
	require.NoError(t, err)
	srv, err := ListenUDP("udp4", loopback4)
	require.NoError(t, err)
	sock0, live0 := socketFDs(t), g.Live()
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 16)
		for {
			n, from, err := srv.ReadFromUDPAddrPort(buf)
			if err != nil {
				done <- err
				return
			}
			if _, err := srv.WriteToUDPAddrPort(buf[:n], from); err != nil {
				done <- err
				return
			}
		}
	}()
	start := time.Now()
	ra := srv.LocalAddr().(*net.UDPAddr)
	n := 0
	for ; n < cycles; n++ {
		if err := udpEchoCycle(ra); err != nil {
			assert.NoError(t, err, "cycle %d", n)
			break
		}
	}
	elapsed := time.Since(start)
	dSock, dLive := socketFDs(t)-sock0, g.Live()-live0
	require.NoError(t, srv.Close())
	assert.ErrorIs(t, <-done, net.ErrClosed)
	ok := n == cycles && dSock == 0 && dLive == 0
	t.Logf("GOAL A3 fd-leak udp: %d cycles in %v, socket fd delta %d, live registration delta %d — %s",
		n, elapsed.Round(time.Millisecond), dSock, dLive, passFail(ok))
	assert.True(t, ok)
}

func udpEchoCycle(ra *net.UDPAddr) error {
	c, err := DialUDP("udp4", nil, ra)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetReadDeadline(deadlineIn()); err != nil {
		return err
	}
	if _, err := c.Write([]byte{'x'}); err != nil {
		return err
	}
	_, err = c.Read(make([]byte, 1))
	return err
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// TestListenPacketUnixgram checks that ListenPacket hands unixgram to the
// Unix socket code, and that other unix networks fail as in net.
func TestListenPacketUnixgram(t *testing.T) {
	dir := t.TempDir()
	c, err := ListenPacket("unixgram", dir+"/evnet")
	require.NoError(t, err)
	defer c.Close()
	assert.IsType(t, &UnixConn{}, c)
	assert.Equal(t, dir+"/evnet", c.LocalAddr().String())
	for _, network := range []string{"unix", "unixpacket"} {
		_, err := ListenPacket(network, dir+"/"+network)
		_, nerr := net.ListenPacket(network, dir+"/"+network+"-net")
		assert.Equal(t, strings.ReplaceAll(errShape(nerr), "-net", ""), errShape(err), network)
	}
}
