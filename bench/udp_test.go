//go:build linux

package bench

import (
	"net"
	"testing"
	"time"

	"github.com/evnet/evnet"
)

// udpConn is what the UDP benchmarks need of a stack's UDP socket.
type udpConn interface {
	net.PacketConn
	SetReadBuffer(int) error
}

// udpStack is a stack's UDP listen.
type udpStack struct {
	name   string
	listen func(laddr *net.UDPAddr) (udpConn, error)
}

var udpStacks = []udpStack{
	{"net", func(a *net.UDPAddr) (udpConn, error) { return net.ListenUDP("udp", a) }},
	{"evnet", func(a *net.UDPAddr) (udpConn, error) { return evnet.ListenUDP("udp", a) }},
}

var udpLoopback = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}

// udpWindow bounds the datagrams in flight: the sender takes one credit per
// window of udpWindow datagrams, the receiver returns it once the window has
// arrived. udpCredits windows in flight fit in the receive buffer many
// times over, so loopback never drops.
const (
	udpWindow  = 32
	udpCredits = 2
)

// udpPair opens a receiver and a sender on 127.0.0.1.
func udpPair(b *testing.B, listen func(*net.UDPAddr) (udpConn, error)) (rx, tx udpConn) {
	rx, err := listen(udpLoopback)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rx.Close() })
	tx, err = listen(udpLoopback)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tx.Close() })
	if err := rx.SetReadBuffer(1 << 20); err != nil {
		b.Fatal(err)
	}
	// Bounds the benchmark if a datagram is ever lost.
	if err := rx.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
		b.Fatal(err)
	}
	return rx, tx
}

// udpReceive reads total datagrams with recv, which returns how many it got,
// and returns a credit after each window.
func udpReceive(total int, credits <-chan struct{}, recv func() (int, error)) error {
	got, window := 0, 0
	for got < total {
		n, err := recv()
		if err != nil {
			return err
		}
		got += n
		for window += n; window >= udpWindow; window -= udpWindow {
			<-credits
		}
	}
	if window > 0 {
		<-credits
	}
	return nil
}

// BenchmarkUDP64 sends 64-byte datagrams from one socket to another, one
// WriteTo and one ReadFrom per datagram; ns/op is per datagram.
func BenchmarkUDP64(b *testing.B) {
	for _, s := range udpStacks {
		b.Run("stack="+s.name, func(b *testing.B) {
			rx, tx := udpPair(b, s.listen)
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
	}
}

// benchUDP sends b.N datagrams to dst with per-datagram WriteTo, receive
// runs in its own goroutine.
func benchUDP(b *testing.B, tx udpConn, dst net.Addr, receive func(chan struct{}) error) {
	credits := make(chan struct{}, udpCredits)
	done := make(chan error, 1)
	go func() { done <- receive(credits) }()
	msg := make([]byte, 64)
	for i := 0; i < b.N; i += udpWindow {
		select {
		case credits <- struct{}{}:
		case err := <-done:
			b.Fatal("receiver stopped early:", err)
		}
		for range min(udpWindow, b.N-i) {
			if _, err := tx.WriteTo(msg, dst); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "dgrams/s")
}
