//go:build linux

package bench

import (
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Environment of a test binary re-executed as the peer of
// BenchmarkPingPongProc: the address to dial and the number of timed round
// trips.
const (
	envPeerAddr = "EVNET_BENCH_PEER_ADDR"
	envPeerN    = "EVNET_BENCH_PEER_N"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv(envPeerAddr); addr != "" {
		n, _ := strconv.Atoi(os.Getenv(envPeerN))
		if err := runPeer(os.Stdout, addr, n); err != nil {
			fmt.Fprintln(os.Stderr, "bench peer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	// The process-wide event loop lives as long as the process.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/evnet/evnet/loop.(*Loop).run"))
}

// runPeer is the client of BenchmarkPingPongProc, in its own process and on
// the standard library: it dials addr, warms up, does n timed 64-byte round
// trips and prints one line "peer n=<n> ns=<total> p50=<ns> p99=<ns>".
func runPeer(w io.Writer, addr string, n int) error {
	if n < 1 || n > 1e9 {
		return fmt.Errorf("bad round-trip count %d", n)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	msg, buf := make([]byte, 64), make([]byte, 64)
	for range 100 {
		if err := pingPong(c, msg, buf); err != nil {
			return err
		}
	}
	lat := make([]time.Duration, 0, n)
	start := time.Now()
	for range n {
		t0 := time.Now()
		if err := pingPong(c, msg, buf); err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
	}
	total := time.Since(start)
	slices.Sort(lat)
	q := func(p float64) int64 { return int64(lat[int(p*float64(len(lat)-1))]) }
	_, err = fmt.Fprintf(w, "peer n=%d ns=%d p50=%d p99=%d\n", n, total.Nanoseconds(), q(0.50), q(0.99))
	return err
}
