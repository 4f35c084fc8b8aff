//go:build linux

package bench

import (
	"net"
	"testing"

	"github.com/evnet/evnet"
	"golang.org/x/net/ipv4"
)

// BenchmarkUDPBatch64 is BenchmarkUDP64's traffic with evnet's batch API:
// stack=net is the standard library one datagram per call (the baseline),
// stack=evnet sends each window with one WriteBatch (sendmmsg) and receives
// with ReadBatch (recvmmsg) into udpWindow buffers. ns/op is per datagram.
func BenchmarkUDPBatch64(b *testing.B) {
	b.Run("stack=net", func(b *testing.B) {
		rx, tx := udpPair(b, udpStacks[0].listen)
		b.ReportAllocs()
		b.SetBytes(64)
		b.ResetTimer()
		benchUDP(b, tx, rx.LocalAddr(), func(credits chan struct{}) error {
			buf := make([]byte, 64)
			return udpReceive(b.N, credits, func() (int, error) {
				_, _, err := rx.ReadFrom(buf)
				return 1, err
			})
		})
	})
	b.Run("stack=evnet", func(b *testing.B) {
		listen := func(a *net.UDPAddr) (udpConn, error) { return evnet.ListenUDP("udp", a) }
		prx, ptx := udpPair(b, listen)
		rx, tx := prx.(*evnet.UDPConn), ptx.(*evnet.UDPConn)
		out := messages(udpWindow, rx.LocalAddr())
		in := messages(udpWindow, nil)
		credits := make(chan struct{}, udpCredits)
		done := make(chan error, 1)
		b.ReportAllocs()
		b.SetBytes(64)
		b.ResetTimer()
		go func() {
			done <- udpReceive(b.N, credits, func() (int, error) { return rx.ReadBatch(in, 0) })
		}()
		for i := 0; i < b.N; i += udpWindow {
			select {
			case credits <- struct{}{}:
			case err := <-done:
				b.Fatal("receiver stopped early:", err)
			}
			batch := out[:min(udpWindow, b.N-i)]
			for len(batch) > 0 {
				n, err := tx.WriteBatch(batch, 0)
				if err != nil {
					b.Fatal(err)
				}
				batch = batch[n:]
			}
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "dgrams/s")
	})
}

// messages returns n messages of one 64-byte buffer each, addressed to dst.
func messages(n int, dst net.Addr) []ipv4.Message {
	ms := make([]ipv4.Message, n)
	for i := range ms {
		ms[i] = ipv4.Message{Buffers: [][]byte{make([]byte, 64)}, Addr: dst}
	}
	return ms
}
