//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
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

// TestUDPBatchRuns writes batches whose messages form runs of every shape
// (one destination and length, a shorter last message, a longer one, other
// destinations, several buffers, zero-length datagrams, nil Addr on a
// connected socket, more than one GSO send can carry) and checks that each
// receiver gets exactly the datagrams sendmmsg would deliver one by one, in
// order, with N set on every message sent.
func TestUDPBatchRuns(t *testing.T) {
	for _, network := range []string{"udp4", "udp6", "dual-stack"} {
		t.Run(network, func(t *testing.T) {
			la, rxnet, txnet, txla := loopback4, network, network, loopback4
			switch network {
			case "udp6":
				la, txla = &net.UDPAddr{IP: net.IPv6loopback}, &net.UDPAddr{IP: net.IPv6loopback}
			case "dual-stack": // an AF_INET6 sender, IPv4-mapped destinations
				rxnet, txnet, txla = "udp4", "udp", &net.UDPAddr{}
			}
			var rx [2]*UDPConn
			for i := range rx {
				c, err := ListenUDP(rxnet, la)
				if network == "udp6" && err != nil {
					t.Skipf("no IPv6 loopback: %v", err)
				}
				require.NoError(t, err)
				defer c.Close()
				require.NoError(t, c.SetReadBuffer(1<<20))
				require.NoError(t, c.SetReadDeadline(deadlineIn()))
				rx[i] = c
			}
			a, b := rx[0].LocalAddr(), rx[1].LocalAddr()
			// A copy of a, to check that runs compare addresses, not pointers.
			a2 := &net.UDPAddr{IP: a.(*net.UDPAddr).IP, Port: a.(*net.UDPAddr).Port}
			tx, err := ListenUDP(txnet, txla)
			require.NoError(t, err)
			defer tx.Close()
			conn, err := DialUDP(txnet, nil, a.(*net.UDPAddr))
			require.NoError(t, err)
			defer conn.Close()

			type dgram struct {
				to   net.Addr
				bufs []string
			}
			cases := map[string][]dgram{
				"one run":        {{a, []string{"aaaaaaaa"}}, {a, []string{"bbbbbbbb"}}, {a2, []string{"cccccccc"}}, {a, []string{"dddddddd"}}},
				"shorter last":   {{a, []string{"aaaaaaaa"}}, {a, []string{"bbbbbbbb"}}, {a, []string{"ccc"}}, {a, []string{"dddddddd"}}},
				"longer":         {{a, []string{"aaaa"}}, {a, []string{"bbbb"}}, {a, []string{"cccccccc"}}, {a, []string{"dddddddd"}}},
				"destinations":   {{a, []string{"aaaa"}}, {b, []string{"bbbb"}}, {a, []string{"cccc"}}, {a, []string{"dddd"}}, {b, []string{"eeee"}}, {b, []string{"ffff"}}},
				"buffers":        {{a, []string{"aaa", "", "AAAAA"}}, {a, []string{"bbbbb", "BBB"}}, {a, []string{"cccccccc"}}, {a, []string{"d", "D"}}},
				"zero-length":    {{a, []string{"aaaa"}}, {a, nil}, {a, []string{"", ""}}, {a, []string{"bbbb"}}, {a, []string{"cccc"}}},
				"connected peer": {{nil, []string{"aaaa"}}, {nil, []string{"bbbb"}}, {nil, []string{"cc"}}},
			}
			var many []dgram
			for i := range 150 {
				many = append(many, dgram{a, []string{fmt.Sprintf("%010d", i)}})
			}
			cases["more than a GSO send"] = many
			for name, dgs := range cases {
				t.Run(name, func(t *testing.T) {
					src := tx
					if dgs[0].to == nil {
						src = conn
					}
					out := make([]ipv4.Message, len(dgs))
					want := map[net.Addr][]string{}
					for i, d := range dgs {
						out[i].Addr = d.to
						for _, s := range d.bufs {
							out[i].Buffers = append(out[i].Buffers, []byte(s))
						}
						to := d.to
						if to == nil || to == a2 {
							to = a
						}
						want[to] = append(want[to], strings.Join(d.bufs, ""))
					}
					writeAll(t, src, out)
					for i, d := range dgs {
						assert.Equal(t, len(strings.Join(d.bufs, "")), out[i].N, "N of message %d", i)
					}
					for i, c := range rx {
						to := []net.Addr{a, b}[i]
						in := newMessages(len(want[to]), 1, 16)
						readAll(t, c, in, len(want[to]))
						for j, w := range want[to] {
							assert.Equal(t, w, string(in[j].Buffers[0][:in[j].N]), "datagram %d to %s", j, to)
							assert.Equal(t, src.LocalAddr().(*net.UDPAddr).Port, in[j].Addr.(*net.UDPAddr).Port)
						}
					}
				})
			}
		})
	}
}
