//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawStack is net's or evnet's raw IP API.
type rawStack struct {
	name         string
	listenIP     func(network string, laddr *net.IPAddr) (net.PacketConn, error)
	dialIP       func(network string, laddr, raddr *net.IPAddr) (net.Conn, error)
	listenPacket func(network, address string) (net.PacketConn, error)
}

func pconn[T net.PacketConn](c T, err error) (net.PacketConn, error) {
	if err != nil {
		return nil, err
	}
	return c, nil
}

func nconn[T net.Conn](c T, err error) (net.Conn, error) {
	if err != nil {
		return nil, err
	}
	return c, nil
}

var rawStacks = []rawStack{
	{"net",
		func(n string, la *net.IPAddr) (net.PacketConn, error) { return pconn(net.ListenIP(n, la)) },
		func(n string, la, ra *net.IPAddr) (net.Conn, error) { return nconn(net.DialIP(n, la, ra)) },
		net.ListenPacket},
	{"evnet",
		func(n string, la *net.IPAddr) (net.PacketConn, error) { return pconn(ListenIP(n, la)) },
		func(n string, la, ra *net.IPAddr) (net.Conn, error) { return nconn(DialIP(n, la, ra)) },
		ListenPacket},
}

var ipLoopback4 = &net.IPAddr{IP: net.IPv4(127, 0, 0, 1).To4()}

// icmpEcho is an ICMP echo request with a valid checksum.
func icmpEcho(id, seq uint16) []byte {
	b := []byte{8, 0, 0, 0, byte(id >> 8), byte(id), byte(seq >> 8), byte(seq), 'e', 'v'}
	var sum uint32
	for i := 0; i < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	sum = (sum >> 16) + (sum & 0xffff)
	sum += sum >> 16
	b[2], b[3] = byte(^sum>>8), byte(^sum)
	return b
}

// listenRaw is s.listenIP with a read deadline set and Close at cleanup; on
// error it returns nil and the error's shape, which the case reports.
func listenRaw(t *testing.T, s rawStack, network string, laddr *net.IPAddr) (net.PacketConn, string) {
	c, err := s.listenIP(network, laddr)
	if err != nil {
		return nil, errShape(err)
	}
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetReadDeadline(deadlineIn()))
	return c, ""
}

// TestIPDifferential compares raw IP sockets with net's. As root (the
// tests run so, in a network namespace) it sends ICMP echoes to 127.0.0.1;
// without CAP_NET_RAW it compares the errors.
func TestIPDifferential(t *testing.T) {
	cases := map[string]func(t *testing.T, s rawStack) string{
		"ListenIP icmp round trip": func(t *testing.T, s rawStack) string {
			c, shape := listenRaw(t, s, "ip4:icmp", ipLoopback4)
			if c == nil {
				return shape
			}
			n, err := c.WriteTo(icmpEcho(7, 1), ipLoopback4)
			require.NoError(t, err)
			b := make([]byte, 128)
			// The socket sees the request (it arrives on lo) and the reply.
			m, from, err := c.ReadFrom(b)
			require.NoError(t, err)
			return fmt.Sprint(n, m, b[0] == 0 || b[0] == 8, from, errShape(err))
		},
		"DialIP Read keeps the header": func(t *testing.T, s rawStack) string {
			c, err := s.dialIP("ip4:icmp", nil, ipLoopback4)
			if err != nil {
				return errShape(err)
			}
			defer c.Close()
			require.NoError(t, c.SetReadDeadline(deadlineIn()))
			_, err = c.Write(icmpEcho(8, 1))
			require.NoError(t, err)
			b := make([]byte, 128)
			n, err := c.Read(b)
			require.NoError(t, err)
			_, err1 := c.(net.PacketConn).WriteTo(b, ipLoopback4)
			_, _, err2 := c.(interface {
				WriteMsgIP(b, oob []byte, addr *net.IPAddr) (int, int, error)
			}).WriteMsgIP(b, nil, nil)
			return fmt.Sprint(n, b[0]>>4, " ", errShape(err1), " | ", errShape(err2))
		},
		"ListenIP ReadMsgIP keeps the header": func(t *testing.T, s rawStack) string {
			c, shape := listenRaw(t, s, "ip4:icmp", ipLoopback4)
			if c == nil {
				return shape
			}
			_, err := c.WriteTo(icmpEcho(9, 1), ipLoopback4)
			require.NoError(t, err)
			b, oob := make([]byte, 128), make([]byte, 64)
			n, oobn, flags, from, err := c.(interface {
				ReadMsgIP(b, oob []byte) (n, oobn, flags int, addr *net.IPAddr, err error)
			}).ReadMsgIP(b, oob)
			require.NoError(t, err)
			return fmt.Sprint(n, oobn, flags, b[0]>>4, from, len(from.IP), errShape(err))
		},
		"ListenIP ip6 round trip": func(t *testing.T, s rawStack) string {
			lo6 := &net.IPAddr{IP: net.IPv6loopback}
			c, shape := listenRaw(t, s, "ip6:ipv6-icmp", lo6)
			if c == nil {
				return shape
			}
			// An echo request; the kernel fills in the ICMPv6 checksum.
			n, err := c.WriteTo([]byte{128, 0, 0, 0, 0, 7, 0, 1, 'e', 'v'}, lo6)
			require.NoError(t, err)
			b := make([]byte, 128)
			m, from, err := c.ReadFrom(b)
			require.NoError(t, err)
			ip := from.(*net.IPAddr).IP
			return fmt.Sprint(n, m, b[0] == 128 || b[0] == 129, from, len(ip), errShape(err))
		},
		"network errors": func(t *testing.T, s rawStack) string {
			var out []string
			for _, n := range []string{"ip4", "ip4:nosuchproto", "udp:17", "ip4:ICMP", "ip5:1", "ip6:ipv6-icmp"} {
				c, err := s.listenIP(n, ipLoopback4)
				if c != nil {
					c.Close()
				}
				out = append(out, errShape(err))
			}
			_, err := s.dialIP("ip4:icmp", nil, nil)
			out = append(out, errShape(err))
			c, err := s.listenPacket("ip4:1", "127.0.0.1")
			if c != nil {
				c.Close()
			}
			out = append(out, errShape(err))
			return strings.Join(out, " | ")
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			var got [2]string
			for i, s := range rawStacks {
				t.Run(s.name, func(t *testing.T) { got[i] = f(t, s) })
			}
			t.Logf("net: %s", got[0])
			assert.Equal(t, got[0], got[1])
		})
	}
}

func TestIPConnErrors(t *testing.T) {
	c, err := ListenIP("ip4:icmp", ipLoopback4)
	if errors.Is(err, syscall.EPERM) {
		t.Skip("no CAP_NET_RAW")
	}
	require.NoError(t, err)
	defer c.Close()
	assert.IsType(t, &IPConn{}, c)
	_, err = c.WriteTo([]byte{1}, loopback4) // a *UDPAddr
	assert.Equal(t, syscall.EINVAL, err.(*net.OpError).Err)
	_, err = c.WriteToIP([]byte{1}, nil)
	assert.EqualError(t, err, "write ip4 127.0.0.1: missing address")
	require.NoError(t, c.SetReadDeadline(aLongTimeAgo))
	_, _, _, addr, err := c.ReadMsgIP(make([]byte, 8), nil)
	assert.Nil(t, addr)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var d Dialer
	ic, err := d.DialIP(context.Background(), "ip4:icmp", netip.Addr{}, netip.MustParseAddr("127.0.0.1"))
	require.NoError(t, err)
	defer ic.Close()
	assert.Equal(t, "127.0.0.1", ic.RemoteAddr().String())
}

func TestParseIPNetwork(t *testing.T) {
	for _, tt := range []struct {
		in    string
		afnet string
		proto int
	}{
		{"ip4:icmp", "ip4", 1}, {"ip4:ICMP", "ip4", 1}, {"ip6:ipv6-icmp", "ip6", 58}, {"ip:17", "ip", 17},
		{"ip6:58", "ip6", 58}, {"ip:udp", "ip", 17},
	} {
		afnet, proto, err := parseIPNetwork(tt.in)
		if assert.NoError(t, err, tt.in) {
			assert.Equal(t, tt.afnet, afnet, tt.in)
			assert.Equal(t, tt.proto, proto, tt.in)
		}
	}
	for _, in := range []string{"ip", "ip4", "ip4:", "tcp:6", "ip4:1x", "ip4:" + strings.Repeat("a", 40), "ip4:99999999"} {
		_, _, err := parseIPNetwork(in)
		assert.Error(t, err, in)
		// net agrees that these are invalid.
		_, nerr := net.ResolveIPAddr(in, "127.0.0.1")
		if in != "ip" && in != "ip4" { // ResolveIPAddr needs no protocol
			assert.Equal(t, errShape(nerr), errShape(err), in)
		}
	}
}
