//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batchConn is what both UDPConn and ipv4/ipv6.PacketConn offer.
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// readAll reads exactly want messages into ms with as many ReadBatch calls
// as needed (one per message off Linux).
func readAll(t *testing.T, c batchConn, ms []ipv4.Message, want int) {
	t.Helper()
	got := 0
	for tries := 0; got < want && tries < 2*want; tries++ {
		n, err := c.ReadBatch(ms[got:want], 0)
		require.NoError(t, err)
		require.Positive(t, n)
		got += n
	}
	require.Equal(t, want, got)
}

// writeAll writes ms with as many WriteBatch calls as needed.
func writeAll(t *testing.T, c batchConn, ms []ipv4.Message) {
	t.Helper()
	sent := 0
	for tries := 0; sent < len(ms) && tries < 2*len(ms); tries++ {
		n, err := c.WriteBatch(ms[sent:], 0)
		require.NoError(t, err)
		sent += n
	}
	require.Equal(t, len(ms), sent)
}

func newMessages(n, bufs, size int) []ipv4.Message {
	ms := make([]ipv4.Message, n)
	for i := range ms {
		for range bufs {
			ms[i].Buffers = append(ms[i].Buffers, make([]byte, size))
		}
	}
	return ms
}

func TestUDPBatch(t *testing.T) {
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			la := loopback4
			if network == "udp6" {
				la = &net.UDPAddr{IP: net.IPv6loopback}
			}
			srv, err := ListenUDP(network, la)
			if network == "udp6" && err != nil {
				t.Skipf("no IPv6 loopback: %v", err)
			}
			require.NoError(t, err)
			defer srv.Close()
			cli, err := ListenUDP(network, la)
			require.NoError(t, err)
			defer cli.Close()
			require.NoError(t, srv.SetReadDeadline(deadlineIn()))

			out := []ipv4.Message{
				{Buffers: [][]byte{[]byte("ab"), nil, []byte("cd")}, Addr: srv.LocalAddr()},
				{Addr: srv.LocalAddr()}, // a zero-length datagram
				{Buffers: [][]byte{[]byte("0123456789abcdef")}, Addr: srv.LocalAddr()},
			}
			writeAll(t, cli, out)
			assert.Equal(t, []int{4, 0, 16}, []int{out[0].N, out[1].N, out[2].N})

			in := newMessages(4, 2, 5) // 10 bytes per message: the third is truncated
			readAll(t, srv, in, 3)
			for i, want := range []string{"abcd", "", "0123456789"} {
				got := string(append(in[i].Buffers[0], in[i].Buffers[1]...)[:in[i].N])
				assert.Equal(t, want, got, "message %d", i)
				assert.Equal(t, cli.LocalAddr().String(), in[i].Addr.String(), "message %d", i)
				assert.IsType(t, &net.UDPAddr{}, in[i].Addr)
			}
			assert.Zero(t, in[0].Flags&syscall.MSG_TRUNC)
			assert.NotZero(t, in[2].Flags&syscall.MSG_TRUNC)
		})
	}
}

// TestUDPBatchXNet drives an evnet UDPConn through x/net's ipv4 and ipv6
// PacketConns: their ReadBatch and WriteBatch use SyscallConn, whose Read
// and Write wait on evnet's loop, and their control messages use Control.
func TestUDPBatchXNet(t *testing.T) {
	srv, err := ListenUDP("udp4", loopback4)
	require.NoError(t, err)
	defer srv.Close()
	cli, err := DialUDP("udp4", nil, srv.LocalAddr().(*net.UDPAddr))
	require.NoError(t, err)
	defer cli.Close()
	require.NoError(t, srv.SetReadDeadline(deadlineIn()))

	p := ipv4.NewPacketConn(srv)
	require.NoError(t, p.SetControlMessage(ipv4.FlagDst, true))
	done := make(chan error, 1)
	in := newMessages(2, 1, 8)
	for i := range in {
		in[i].OOB = ipv4.NewControlMessage(ipv4.FlagDst)
	}
	go func() {
		// Blocks in RawConn.Read on evnet's loop until the writes below.
		got := 0
		for tries := 0; got < 2 && tries < 4; tries++ {
			n, err := p.ReadBatch(in[got:], 0)
			if err != nil {
				done <- err
				return
			}
			got += n
		}
		done <- nil
	}()
	writeAll(t, ipv4.NewPacketConn(cli), []ipv4.Message{{Buffers: [][]byte{[]byte("x1")}}, {Buffers: [][]byte{[]byte("x2")}}})
	require.NoError(t, <-done)
	for i, want := range []string{"x1", "x2"} {
		assert.Equal(t, want, string(in[i].Buffers[0][:in[i].N]))
		var cm ipv4.ControlMessage
		require.NoError(t, cm.Parse(in[i].OOB[:in[i].NN]))
		assert.True(t, cm.Dst.Equal(loopback4.IP), "dst %v", cm.Dst)
	}

	if c6, err := ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback}); err == nil {
		defer c6.Close()
		p6 := ipv6.NewPacketConn(c6)
		writeAll(t, p6, []ipv4.Message{{Buffers: [][]byte{[]byte("v6")}, Addr: c6.LocalAddr()}})
		require.NoError(t, c6.SetReadDeadline(deadlineIn()))
		ms := newMessages(1, 1, 4)
		readAll(t, p6, ms, 1)
		assert.Equal(t, "v6", string(ms[0].Buffers[0][:ms[0].N]))
	}
}

func TestUDPBatchErrors(t *testing.T) {
	srv, err := ListenUDP("udp4", loopback4)
	require.NoError(t, err)
	defer srv.Close()
	cli, err := DialUDP("udp4", nil, srv.LocalAddr().(*net.UDPAddr))
	require.NoError(t, err)
	defer cli.Close()
	msg := [][]byte{[]byte("x")}

	n, err := cli.WriteBatch([]ipv4.Message{{Buffers: msg, Addr: srv.LocalAddr()}}, 0)
	assert.Zero(t, n)
	assert.ErrorIs(t, err, net.ErrWriteToConnected)
	_, err = srv.WriteBatch([]ipv4.Message{{Buffers: msg}}, 0)
	assert.EqualError(t, err, "write udp4 "+srv.LocalAddr().String()+": missing address")
	_, err = srv.WriteBatch([]ipv4.Message{{Buffers: msg, Addr: &net.UnixAddr{Name: "x"}}}, 0)
	assert.Equal(t, syscall.EINVAL, err.(*net.OpError).Err)
	n, err = srv.ReadBatch(nil, 0)
	assert.Zero(t, n)
	assert.NoError(t, err)

	require.NoError(t, srv.SetReadDeadline(aLongTimeAgo))
	_, err = srv.ReadBatch(newMessages(2, 1, 4), 0)
	var oe *net.OpError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "read", oe.Op)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.True(t, oe.Timeout())

	// Connected: messages without Addr go to the peer.
	require.NoError(t, srv.SetReadDeadline(deadlineIn()))
	writeAll(t, cli, []ipv4.Message{{Buffers: msg}, {Buffers: msg}})
	readAll(t, srv, newMessages(2, 1, 4), 2)

	// ICMP port unreachable comes back as the syscall's error.
	require.NoError(t, srv.Close())
	_, err = cli.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, cli.SetReadDeadline(deadlineIn()))
	_, err = cli.ReadBatch(newMessages(1, 1, 4), 0)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	var se *os.SyscallError
	if assert.ErrorAs(t, err, &se) && runtime.GOOS == "linux" {
		assert.Equal(t, "recvmmsg", se.Syscall)
	}

	// Close while blocked in ReadBatch.
	done := make(chan error, 1)
	go func() {
		_, err := cli.ReadBatch(newMessages(1, 1, 4), 0)
		done <- err
	}()
	assert.True(t, waitParked("(*UDPConn).ReadBatch("), "ReadBatch did not block")
	require.NoError(t, cli.Close())
	assert.ErrorIs(t, <-done, net.ErrClosed)
	_, err = cli.WriteBatch([]ipv4.Message{{Buffers: msg}}, 0)
	assert.ErrorIs(t, err, net.ErrClosed)
}
