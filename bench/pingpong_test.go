//go:build linux

package bench

import (
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

// echoServer accepts on ln and echoes every conn until it closes.
func echoServer(b *testing.B, ln net.Listener) {
	var wg sync.WaitGroup
	b.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				buf := make([]byte, 64)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			}()
		}
	}()
}

// pingPong does one 64-byte round trip on c.
func pingPong(c net.Conn, msg, buf []byte) error {
	if _, err := c.Write(msg); err != nil {
		return err
	}
	_, err := io.ReadFull(c, buf)
	return err
}

// BenchmarkPingPong1 is one connection, 64-byte round trips, both ends in
// this process. Reports p50/p99 latency and thread sleeps per round trip.
func BenchmarkPingPong1(b *testing.B) {
	forStacks(b, func(b *testing.B, s stack) {
		ln, err := s.listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		echoServer(b, ln)
		c, err := s.dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		msg, buf := make([]byte, 64), make([]byte, 64)
		for range 100 { // warm up
			if err := pingPong(c, msg, buf); err != nil {
				b.Fatal(err)
			}
		}
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		b.SetBytes(64)
		m := startMeter()
		b.ResetTimer()
		for range b.N {
			t0 := time.Now()
			if err := pingPong(c, msg, buf); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		b.StopTimer()
		m.stop()
		reportLatency(b, lat)
		m.report(b, b.N)
	})
}

// BenchmarkPingPong64 is 64 connections, each a goroutine doing 64-byte
// round trips; ns/op is per round trip across all of them.
func BenchmarkPingPong64(b *testing.B) {
	forStacks(b, func(b *testing.B, s stack) {
		ln, err := s.listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		echoServer(b, ln)
		const conns = 64
		cs := make([]net.Conn, conns)
		for i := range cs {
			if cs[i], err = s.dial("tcp", ln.Addr().String()); err != nil {
				b.Fatal(err)
			}
			defer cs[i].Close()
		}
		per := b.N/conns + 1
		b.ReportAllocs()
		b.SetBytes(64)
		m := startMeter()
		b.ResetTimer()
		lat, err := parallelRoundTrips(conns, per, func(i int, msg, buf []byte) error {
			return pingPong(cs[i], msg, buf)
		})
		b.StopTimer()
		m.stop()
		if err != nil {
			b.Fatal(err)
		}
		reportLatency(b, lat)
		m.report(b, per*conns)
	})
}

// parallelRoundTrips runs per 64-byte round trips on each of n clients at
// once, a goroutine each (roundTrip(i, msg, buf) is client i's), and returns
// the latencies of all of them, or the first error.
func parallelRoundTrips(n, per int, roundTrip func(i int, msg, buf []byte) error) ([]time.Duration, error) {
	lats := make([][]time.Duration, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg, buf := make([]byte, 64), make([]byte, 64)
			lat := make([]time.Duration, 0, per)
			for range per {
				t0 := time.Now()
				if err := roundTrip(i, msg, buf); err != nil {
					errs <- err
					return
				}
				lat = append(lat, time.Since(t0))
			}
			lats[i] = lat
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return slices.Concat(lats...), nil
}

// reportLatency adds p50 and p99 metrics in microseconds.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e3 }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}
