//go:build linux

package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// BenchmarkPingPongProc is one connection, 64-byte round trips, with the
// client in another process: the test binary re-executed, on the standard
// library. The server under test echoes. Latency and ns/op are measured by
// the client; sleeps/op counts this (the server's) process's thread sleeps.
func BenchmarkPingPongProc(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Skip("no executable to re-exec:", err)
	}
	forStacks(b, func(b *testing.B, s stack) {
		ln, err := s.listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		var out, stderr bytes.Buffer
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), envPeerAddr+"="+ln.Addr().String(), envPeerN+"="+strconv.Itoa(b.N))
		cmd.Stdout, cmd.Stderr = &out, &stderr
		b.StopTimer()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		waited := make(chan error, 1)
		go func() {
			err := cmd.Wait()
			ln.Close() // unblocks Accept if the peer never dialed
			waited <- err
		}()
		c, err := ln.Accept()
		if err != nil {
			b.Fatalf("accept: %v; peer: %v: %s", err, <-waited, stderr.Bytes())
		}
		defer c.Close()
		b.ReportAllocs()
		b.SetBytes(64)
		m := startMeter()
		b.StartTimer()
		buf := make([]byte, 64)
		for {
			n, err := c.Read(buf)
			if err != nil {
				break // the peer is done and closed
			}
			if _, err := c.Write(buf[:n]); err != nil {
				break
			}
		}
		b.StopTimer()
		m.stop()
		if err := <-waited; err != nil {
			b.Fatalf("peer: %v: %s", err, stderr.Bytes())
		}
		var n, ns, p50, p99 int64
		if _, err := fmt.Sscanf(out.String(), "peer n=%d ns=%d p50=%d p99=%d", &n, &ns, &p50, &p99); err != nil || n != int64(b.N) {
			b.Fatalf("peer output %q: %v", out.String(), err)
		}
		b.ReportMetric(float64(ns)/float64(n), "ns/op")
		b.ReportMetric(float64(p50)/1e3, "p50-µs")
		b.ReportMetric(float64(p99)/1e3, "p99-µs")
		m.report(b, int(n)+100) // the peer's 100 warm-up round trips too
	})
}
