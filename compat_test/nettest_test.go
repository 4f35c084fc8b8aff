//go:build linux

package compat_test

import (
	"net"
	"testing"

	"github.com/evnet/evnet"
	"golang.org/x/net/nettest"
)

// TestNettestTCP runs x/net/nettest's conformance suite on evnet TCP conns,
// over IPv4 and IPv6 loopback, with the backends EVNET_SELECTOR/EVNET_WAKER
// choose for this process.
func TestNettestTCP(t *testing.T) {
	for _, network := range []string{"tcp4", "tcp6"} {
		t.Run(network, func(t *testing.T) {
			if network == "tcp6" && !nettest.SupportsIPv6() {
				t.Skip("no IPv6 loopback on this machine")
			}
			nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
				addr := "127.0.0.1:0"
				if network == "tcp6" {
					addr = "[::1]:0"
				}
				ln, err := evnet.Listen(network, addr)
				if err != nil {
					return nil, nil, nil, err
				}
				defer ln.Close()
				done := make(chan error, 1)
				go func() {
					var err error
					c2, err = ln.Accept()
					done <- err
				}()
				c1, err = evnet.Dial(network, ln.Addr().String())
				if err != nil {
					return nil, nil, nil, err
				}
				if err := <-done; err != nil {
					c1.Close()
					return nil, nil, nil, err
				}
				stop = func() { c1.Close(); c2.Close() }
				return c1, c2, stop, nil
			})
		})
	}
}
