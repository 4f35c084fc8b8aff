//go:build linux

package bench

import (
	"testing"
)

// BenchmarkAcceptConnectClose is one TCP connection per op: the client
// dials and closes, a server goroutine accepts and closes. At most 32
// handshakes are in flight so the backlog never overflows.
func BenchmarkAcceptConnectClose(b *testing.B) {
	const window = 32
	forStacks(b, func(b *testing.B, s stack) {
		ln, err := s.listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		addr := ln.Addr().String()
		credits := make(chan struct{}, window)
		done := make(chan error, 1)
		b.ReportAllocs()
		b.ResetTimer()
		go func() {
			for range b.N {
				c, err := ln.Accept()
				if err != nil {
					done <- err
					return
				}
				c.Close()
				<-credits
			}
			done <- nil
		}()
		for range b.N {
			select {
			case credits <- struct{}{}:
			case err := <-done: // the server failed early
				b.Fatal(err)
			}
			c, err := s.dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "conns/s")
	})
}
