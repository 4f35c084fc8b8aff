//go:build linux

package evnet

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/ipv4"
)

// TestUDPAllocs pins the allocations of the datagram paths on Linux, where
// the system calls take the kernel's sockaddrs directly: a received
// *net.UDPAddr is one allocation (net makes two: the UDPAddr and its IP), a
// netip.AddrPort or a send none, and a batch one per received message.
func TestUDPAllocs(t *testing.T) {
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			la := loopback4
			if network == "udp6" {
				la = &net.UDPAddr{IP: net.IPv6loopback}
			}
			rx, err := ListenUDP(network, la)
			if network == "udp6" && err != nil {
				t.Skipf("no IPv6 loopback: %v", err)
			}
			require.NoError(t, err)
			defer rx.Close()
			tx, err := ListenUDP(network, la)
			require.NoError(t, err)
			defer tx.Close()
			require.NoError(t, rx.SetReadBuffer(1<<20))
			require.NoError(t, rx.SetReadDeadline(deadlineIn()))

			dst := rx.LocalAddr().(*net.UDPAddr)
			dstAP := dst.AddrPort()
			msg, buf, oob := make([]byte, 64), make([]byte, 64), make([]byte, 64)
			const runs = 50 // AllocsPerRun makes runs+1 calls: every write is read back below
			check := func(name string, want float64, f func() error) {
				t.Helper()
				var err error
				got := testing.AllocsPerRun(runs, func() {
					if e := f(); e != nil && err == nil {
						err = e
					}
				})
				require.NoError(t, err, name)
				assert.Equal(t, want, got, "%s: allocs per call", name)
			}
			write := func() error { _, err := tx.WriteTo(msg, dst); return err }

			check("WriteTo", 0, write)
			check("ReadFrom", 1, func() error { _, _, err := rx.ReadFrom(buf); return err })
			check("WriteToUDPAddrPort", 0, func() error { _, err := tx.WriteToUDPAddrPort(msg, dstAP); return err })
			check("ReadFromUDPAddrPort", 0, func() error { _, _, err := rx.ReadFromUDPAddrPort(buf); return err })
			check("WriteMsgUDP", 0, func() error { _, _, err := tx.WriteMsgUDP(msg, nil, dst); return err })
			check("ReadMsgUDP", 1, func() error { _, _, _, _, err := rx.ReadMsgUDP(buf, oob); return err })
			check("WriteMsgUDPAddrPort", 0, func() error { _, _, err := tx.WriteMsgUDPAddrPort(msg, nil, dstAP); return err })
			check("ReadMsgUDPAddrPort", 0, func() error { _, _, _, _, err := rx.ReadMsgUDPAddrPort(buf, oob); return err })

			const batch = 8
			out := make([]ipv4.Message, batch)
			in := make([]ipv4.Message, batch)
			for i := range out {
				out[i] = ipv4.Message{Buffers: [][]byte{msg}, Addr: dst}
				in[i] = ipv4.Message{Buffers: [][]byte{make([]byte, 64)}}
			}
			// The first WriteBatch and ReadBatch make the conn's reusable
			// headers; after that, a full batch allocates only the senders.
			writeAll(t, tx, out)
			readAll(t, rx, in, batch)
			check("WriteBatch", 0, func() error { _, err := tx.WriteBatch(out, 0); return err })
			got := 0
			allocs := testing.AllocsPerRun(runs, func() {
				n, err := rx.ReadBatch(in, 0)
				if err == nil {
					got += n
				}
			})
			want := (runs + 1) * batch
			for got < want { // the datagrams the ReadBatch calls above left
				n, err := rx.ReadBatch(in, 0)
				require.NoError(t, err)
				got += n
			}
			assert.LessOrEqual(t, allocs, float64(batch), "ReadBatch: allocs per call of up to %d messages", batch)
		})
	}
}
