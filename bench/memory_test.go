//go:build linux

package bench

import (
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// memStats returns the memory stats after two collections.
func memStats() runtime.MemStats {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms
}

// rawDial connects a blocking socket that has no Go object behind it, so
// that the client side of a connection costs the process no heap.
func rawDial(addr *net.TCPAddr) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	unix.CloseOnExec(fd)
	sa := &unix.SockaddrInet4{Port: addr.Port}
	copy(sa.Addr[:], addr.IP.To4())
	if err := unix.Connect(fd, sa); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// BenchmarkIdleConnMem accepts 2,000 connections, each with a goroutine
// blocked in Read, and reports what they cost the process:
//
//	B/conn        HeapInuse+StackInuse delta per connection (the goal's figure)
//	heap-B/conn   HeapAlloc delta per connection
//
// net's runtime poll descriptors are off the heap (persistentalloc) and in
// neither figure; OtherSys, which the runtime charges per 256 KiB chunk
// rather than per descriptor, did not move over the 2,000 conns of either
// stack (Go 1.26), so it is not reported.
//
// The clients are raw sockets with no Go state. b.N is ignored: one op is
// the whole measurement.
func BenchmarkIdleConnMem(b *testing.B) {
	const conns = 2000
	forStacks(b, func(b *testing.B, s stack) {
		ln, err := s.listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		addr := ln.Addr().(*net.TCPAddr)
		clients := make([]int, 0, conns)
		servers := make([]net.Conn, 0, conns)
		var started, exited sync.WaitGroup
		defer func() {
			for _, fd := range clients {
				unix.Close(fd)
			}
			for _, c := range servers {
				c.Close()
			}
			exited.Wait()
		}()
		b.ReportAllocs()
		before := memStats()
		start := time.Now()
		for range conns {
			fd, err := rawDial(addr)
			if err != nil {
				b.Fatal(err)
			}
			clients = append(clients, fd)
			c, err := ln.Accept()
			if err != nil {
				b.Fatal(err)
			}
			servers = append(servers, c)
			started.Add(1)
			exited.Add(1)
			go func() {
				defer exited.Done()
				var buf [1]byte
				// The first Read waits for the byte below, the second
				// stays blocked until the end.
				_, err := c.Read(buf[:])
				started.Done()
				if err == nil {
					c.Read(buf[:])
				}
			}()
		}
		for _, fd := range clients {
			if _, err := unix.Write(fd, []byte{1}); err != nil {
				b.Fatal(err)
			}
		}
		started.Wait()
		elapsed := time.Since(start)
		after := memStats()
		b.StopTimer()
		per := func(a, b uint64) float64 { return (float64(a) - float64(b)) / conns }
		b.ReportMetric(per(after.HeapInuse+after.StackInuse, before.HeapInuse+before.StackInuse), "B/conn")
		b.ReportMetric(per(after.HeapAlloc, before.HeapAlloc), "heap-B/conn")
		reportPerConn(b, elapsed, &before, &after, conns)
	})
}

// BenchmarkDescMem registers 10,000 sockets (5,000 dialed and 5,000
// accepted connections) with no goroutine and reports the HeapAlloc delta
// per socket: the conn, its fd and the loop's descriptor, with addresses.
// b.N is ignored: the whole measurement runs once and ns/op, B/op and
// allocs/op are per socket.
func BenchmarkDescMem(b *testing.B) {
	const pairs = 5000
	forStacks(b, func(b *testing.B, s stack) {
		ln, err := s.listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		addr := ln.Addr().String()
		conns := make([]net.Conn, 0, 2*pairs)
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		b.ReportAllocs()
		before := memStats()
		start := time.Now()
		for range pairs {
			c, err := s.dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
			c, err = ln.Accept()
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
		}
		elapsed := time.Since(start)
		after := memStats()
		b.StopTimer()
		b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/(2*pairs), "B/conn")
		reportPerConn(b, elapsed, &before, &after, 2*pairs)
	})
}

// reportPerConn replaces ns/op, B/op and allocs/op of a benchmark that ignores
// b.N with figures per connection.
func reportPerConn(b *testing.B, elapsed time.Duration, before, after *runtime.MemStats, n int) {
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n), "ns/op")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n), "B/op")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(n), "allocs/op")
}
