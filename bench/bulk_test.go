//go:build linux

package bench

import (
	"io"
	"testing"
)

// BenchmarkBulk1MiB streams 1 MiB writes over one connection to a reader
// that discards them with a 256 KiB buffer; MB/s is the throughput.
func BenchmarkBulk1MiB(b *testing.B) {
	const chunk = 1 << 20
	forStacks(b, func(b *testing.B, s stack) {
		ln, err := s.listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		done := make(chan error, 1)
		want := int64(b.N) * chunk
		// Made here, before bulkWrites starts the timer: the reader's
		// buffer and ack are not part of the writes measured.
		buf, ack := make([]byte, 256<<10), []byte{1}
		go func() {
			c, err := ln.Accept()
			if err != nil {
				done <- err
				return
			}
			defer c.Close()
			var got int64
			for got < want {
				n, err := c.Read(buf)
				got += int64(n)
				if err != nil {
					done <- err
					return
				}
			}
			_, err = c.Write(ack) // everything arrived
			done <- err
		}()
		c, err := s.dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		bulkWrites(b, chunk, func(p []byte) error {
			_, err := c.Write(p)
			return err
		}, func(p []byte) error {
			_, err := io.ReadFull(c, p)
			return err
		}, done)
	})
}

// bulkWrites times b.N writes of chunk bytes through write, then reads the
// reader's one-byte ack through readAck and waits for the reader's error on
// done; it reports MB/s, and CPU and thread sleeps per write.
func bulkWrites(b *testing.B, chunk int, write, readAck func([]byte) error, done <-chan error) {
	msg := make([]byte, chunk)
	b.ReportAllocs()
	b.SetBytes(int64(chunk))
	m := startMeter()
	b.ResetTimer()
	for range b.N {
		if err := write(msg); err != nil {
			b.Fatal(err)
		}
	}
	if err := readAck(msg[:1]); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	m.stop()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	m.report(b, b.N)
}
