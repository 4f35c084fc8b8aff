//go:build linux

package compat_test

import (
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTCPConnAddrs dials and accepts on both stacks and compares the
// LocalAddr and RemoteAddr of both ends: type, IP bytes and length, zone,
// and which port each one has. It also checks that each method returns the
// same value every time, and that an append to one IP leaves the others
// alone (evnet keeps a conn's addresses in one allocation).
func TestTCPConnAddrs(t *testing.T) {
	tests := []struct {
		name        string
		lnet, laddr string
		dnet, dhost string
		needIPv6    bool
	}{
		{name: "tcp4", lnet: "tcp4", laddr: "127.0.0.1:0", dnet: "tcp4", dhost: "127.0.0.1"},
		{name: "tcp6", lnet: "tcp6", laddr: "[::1]:0", dnet: "tcp6", dhost: "::1", needIPv6: true},
		{name: "dual-stack listener, IPv4 client", lnet: "tcp", laddr: ":0", dnet: "tcp", dhost: "127.0.0.1"},
		{name: "dual-stack listener, IPv6 client", lnet: "tcp", laddr: ":0", dnet: "tcp", dhost: "::1", needIPv6: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needIPv6 {
				if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
					t.Skipf("no IPv6 loopback: %v", err)
				} else {
					ln.Close()
				}
			}
			shapes := make(map[string]string)
			for _, s := range stacks {
				ln, err := s.listen(tt.lnet, tt.laddr)
				require.NoError(t, err)
				defer ln.Close()
				port := ln.Addr().(*net.TCPAddr).Port
				type res struct {
					c   net.Conn
					err error
				}
				ch := make(chan res, 1)
				go func() {
					c, err := ln.Accept()
					ch <- res{c, err}
				}()
				client, err := s.dial(tt.dnet, net.JoinHostPort(tt.dhost, fmt.Sprint(port)))
				require.NoError(t, err)
				defer client.Close()
				r := <-ch
				require.NoError(t, r.err)
				server := r.c
				defer server.Close()

				var shape string
				for _, e := range []struct {
					name string
					c    net.Conn
				}{{"client", client}, {"server", server}} {
					la, ra := e.c.LocalAddr(), e.c.RemoteAddr()
					assert.Same(t, la, e.c.LocalAddr(), "%s %s LocalAddr", s.name, e.name)
					assert.Same(t, ra, e.c.RemoteAddr(), "%s %s RemoteAddr", s.name, e.name)
					shape += fmt.Sprintf("%s local %s; %s remote %s\n",
						e.name, addrShape(la, port), e.name, addrShape(ra, port))
				}
				cl, sr := client.LocalAddr().(*net.TCPAddr), server.RemoteAddr().(*net.TCPAddr)
				assert.Equal(t, cl.Port, sr.Port, "%s: client's local port is the server's remote port", s.name)

				// Appending to one IP must not write into another address.
				sl := server.LocalAddr().(*net.TCPAddr)
				before := sl.String()
				_ = append(sr.IP, 0xff, 0xff, 0xff, 0xff)
				assert.Equal(t, before, sl.String(), "%s: append to RemoteAddr().IP changed LocalAddr", s.name)
				shapes[s.name] = shape
			}
			assert.Equal(t, shapes["net"], shapes["evnet"])
		})
	}
}

// addrShape describes a TCP address with its port masked unless it is the
// listener's.
func addrShape(a net.Addr, lport int) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return fmt.Sprintf("%T", a)
	}
	port := "ephemeral"
	if ta.Port == lport {
		port = "listener's"
	}
	return fmt.Sprintf("%T{IP: %v (len %d, cap %d), Port: %s, Zone: %q}", a, []byte(ta.IP), len(ta.IP), cap(ta.IP), port, ta.Zone)
}
