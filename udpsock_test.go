//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// udpConnAPI is the method set of net.UDPConn; both stacks' conns have it.
type udpConnAPI interface {
	net.Conn
	ReadFrom(b []byte) (int, net.Addr, error)
	WriteTo(b []byte, addr net.Addr) (int, error)
	ReadFromUDP(b []byte) (int, *net.UDPAddr, error)
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	ReadMsgUDP(b, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error)
	ReadMsgUDPAddrPort(b, oob []byte) (n, oobn, flags int, addr netip.AddrPort, err error)
	WriteToUDP(b []byte, addr *net.UDPAddr) (int, error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
	WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (n, oobn int, err error)
	WriteMsgUDPAddrPort(b, oob []byte, addr netip.AddrPort) (n, oobn int, err error)
	SetReadBuffer(bytes int) error
	SetWriteBuffer(bytes int) error
	SyscallConn() (syscall.RawConn, error)
	File() (*os.File, error)
}

var (
	_ udpConnAPI     = (*net.UDPConn)(nil)
	_ udpConnAPI     = (*UDPConn)(nil)
	_ net.PacketConn = (*UDPConn)(nil)
)

// udpStack is one implementation under test: net or evnet.
type udpStack struct {
	name         string
	listenUDP    func(network string, laddr *net.UDPAddr) (udpConnAPI, error)
	dialUDP      func(network string, laddr, raddr *net.UDPAddr) (udpConnAPI, error)
	listenPacket func(network, address string) (net.PacketConn, error)
	dial         func(network, address string) (net.Conn, error)
	multicast    func(network string, ifi *net.Interface, gaddr *net.UDPAddr) (udpConnAPI, error)
}

// iface returns c as the interface, nil (not a typed nil) on error.
func iface[T udpConnAPI](c T, err error) (udpConnAPI, error) {
	if err != nil {
		return nil, err
	}
	return c, nil
}

var udpStacks = []udpStack{
	{
		name:         "net",
		listenUDP:    func(n string, la *net.UDPAddr) (udpConnAPI, error) { return iface(net.ListenUDP(n, la)) },
		dialUDP:      func(n string, la, ra *net.UDPAddr) (udpConnAPI, error) { return iface(net.DialUDP(n, la, ra)) },
		listenPacket: net.ListenPacket,
		dial:         net.Dial,
		multicast: func(n string, ifi *net.Interface, g *net.UDPAddr) (udpConnAPI, error) {
			return iface(net.ListenMulticastUDP(n, ifi, g))
		},
	},
	{
		name:         "evnet",
		listenUDP:    func(n string, la *net.UDPAddr) (udpConnAPI, error) { return iface(ListenUDP(n, la)) },
		dialUDP:      func(n string, la, ra *net.UDPAddr) (udpConnAPI, error) { return iface(DialUDP(n, la, ra)) },
		listenPacket: ListenPacket,
		dial:         Dial,
		multicast: func(n string, ifi *net.Interface, g *net.UDPAddr) (udpConnAPI, error) {
			return iface(ListenMulticastUDP(n, ifi, g))
		},
	},
}

var loopback4 = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1).To4()}

// udpPair returns a server listening on 127.0.0.1 and a client dialed to it.
func udpPair(t *testing.T, s udpStack) (srv, cli udpConnAPI) {
	t.Helper()
	srv, err := s.listenUDP("udp4", loopback4)
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	cli, err = s.dialUDP("udp4", nil, srv.LocalAddr().(*net.UDPAddr))
	require.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	return srv, cli
}

// closedUDPPort returns a loopback address where nothing listens.
func closedUDPPort(t *testing.T, s udpStack) *net.UDPAddr {
	t.Helper()
	c, err := s.listenUDP("udp4", loopback4)
	require.NoError(t, err)
	a := c.LocalAddr().(*net.UDPAddr)
	require.NoError(t, c.Close())
	return a
}

// waitParked reports whether some goroutine is, or within a bounded number
// of yields becomes, parked with frame on its stack: how a test knows that
// an op really blocks before it closes the fd, without sleeping.
func waitParked(frame string) bool {
	buf := make([]byte, 1<<20)
	for range 100000 {
		all := string(buf[:runtime.Stack(buf, true)])
		for _, g := range strings.Split(all, "\n\n") {
			header, _, _ := strings.Cut(g, "\n")
			parked := !strings.Contains(header, "[running") && !strings.Contains(header, "[runnable")
			if parked && strings.Contains(g, frame) {
				return true
			}
		}
		runtime.Gosched()
	}
	return false
}

// deadlineIn is a generous deadline that only bounds a test that fails.
func deadlineIn() time.Time { return time.Now().Add(10 * time.Second) }

var portRE = regexp.MustCompile(`:\d+`)

func maskPorts(s string) string { return portRE.ReplaceAllString(s, ":P") }

func addrShape(a net.Addr) string {
	if a == nil {
		return "nil"
	}
	return a.Network() + "/" + maskPorts(a.String())
}

// errShape describes err for a differential comparison: %T at each level
// of the chain with OpError and SyscallError fields, Error() with ports
// masked, and Timeout/ErrClosed/ErrDeadlineExceeded.
func errShape(err error) string {
	if err == nil {
		return "<nil>"
	}
	var b strings.Builder
	for e := err; e != nil; e = errors.Unwrap(e) {
		fmt.Fprintf(&b, "%T", e)
		switch e := e.(type) {
		case *net.OpError:
			fmt.Fprintf(&b, "{%s %s src=%s addr=%s}", e.Op, e.Net, addrShape(e.Source), addrShape(e.Addr))
		case *os.SyscallError:
			fmt.Fprintf(&b, "{%s}", e.Syscall)
		}
		b.WriteString(" > ")
	}
	var ne net.Error
	timeout := errors.As(err, &ne) && ne.Timeout()
	fmt.Fprintf(&b, "%q timeout=%v closed=%v deadline=%v", maskPorts(err.Error()), timeout,
		errors.Is(err, net.ErrClosed), errors.Is(err, os.ErrDeadlineExceeded))
	return b.String()
}

// differential runs f on net and on evnet and requires the same outcome.
func differential(t *testing.T, f func(t *testing.T, s udpStack) string) {
	t.Helper()
	var got [2]string
	for i, s := range udpStacks {
		t.Run(s.name, func(t *testing.T) { got[i] = f(t, s) })
	}
	t.Logf("net: %s", got[0])
	assert.Equal(t, got[0], got[1], "net (expected) vs evnet (actual)")
}

func TestUDPDifferential(t *testing.T) {
	msg := []byte("0123456789abcdef")
	cases := map[string]func(t *testing.T, s udpStack) string{
		"WriteTo on connected": func(t *testing.T, s udpStack) string {
			srv, cli := udpPair(t, s)
			n, err := cli.WriteTo(msg, srv.LocalAddr())
			return fmt.Sprint(n, " ", errShape(err), errors.Is(err, net.ErrWriteToConnected))
		},
		"Write on unconnected": func(t *testing.T, s udpStack) string {
			srv, _ := udpPair(t, s)
			n, err := srv.Write(msg)
			return fmt.Sprint(n, " ", errShape(err), errors.Is(err, syscall.EDESTADDRREQ))
		},
		"WriteTo nil and UnixAddr": func(t *testing.T, s udpStack) string {
			srv, _ := udpPair(t, s)
			_, err1 := srv.WriteTo(msg, nil)
			_, err2 := srv.WriteTo(msg, &net.UnixAddr{Name: "x", Net: "unix"})
			return errShape(err1) + " | " + errShape(err2)
		},
		"WriteToUDP and Msg without address": func(t *testing.T, s udpStack) string {
			srv, cli := udpPair(t, s)
			_, err1 := srv.WriteToUDP(msg, nil)
			_, err2 := srv.WriteToUDPAddrPort(msg, netip.AddrPort{})
			_, _, err3 := srv.WriteMsgUDP(msg, nil, nil)
			_, _, err4 := cli.WriteMsgUDP(msg, nil, srv.LocalAddr().(*net.UDPAddr))
			_, _, err5 := cli.WriteMsgUDPAddrPort(msg, nil, netip.MustParseAddrPort("127.0.0.1:9"))
			_, err6 := srv.WriteToUDPAddrPort(msg, netip.MustParseAddrPort("[::1]:9"))
			return strings.Join([]string{errShape(err1), errShape(err2), errShape(err3), errShape(err4),
				errShape(err5), errShape(err6)}, " | ")
		},
		"oversize and max datagram": func(t *testing.T, s udpStack) string {
			srv, cli := udpPair(t, s)
			n1, err1 := cli.Write(make([]byte, 65508))
			n2, err2 := cli.Write(make([]byte, 65507))
			require.NoError(t, srv.SetReadDeadline(deadlineIn()))
			n3, _, err3 := srv.ReadFrom(make([]byte, 70000))
			return fmt.Sprint(n1, errShape(err1), errors.Is(err1, syscall.EMSGSIZE), n2, errShape(err2), n3, errShape(err3))
		},
		"truncation": func(t *testing.T, s udpStack) string {
			srv, cli := udpPair(t, s)
			require.NoError(t, srv.SetReadDeadline(deadlineIn()))
			_, err := cli.Write(msg)
			require.NoError(t, err)
			b := make([]byte, 10)
			n1, from1, err1 := srv.ReadFrom(b)
			_, err = cli.Write(msg)
			require.NoError(t, err)
			n2, oobn, flags, from2, err2 := srv.ReadMsgUDP(b, nil)
			return fmt.Sprint(n1, errShape(err1), from1.String() == cli.LocalAddr().String(), string(b),
				n2, oobn, flags&syscall.MSG_TRUNC != 0, errShape(err2), from2.String() == cli.LocalAddr().String())
		},
		"zero-length datagram": func(t *testing.T, s udpStack) string {
			srv, cli := udpPair(t, s)
			require.NoError(t, srv.SetReadDeadline(deadlineIn()))
			n1, err1 := cli.Write(nil)
			n2, from, err2 := srv.ReadFrom(make([]byte, 10))
			return fmt.Sprint(n1, errShape(err1), n2, errShape(err2), from != nil && from.String() == cli.LocalAddr().String())
		},
		"ICMP port unreachable": func(t *testing.T, s udpStack) string {
			c, err := s.dialUDP("udp4", nil, closedUDPPort(t, s))
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.SetReadDeadline(deadlineIn()))
			_, err1 := c.Write(msg)
			_, err2 := c.Read(make([]byte, 10))
			return errShape(err1) + " | " + errShape(err2) + fmt.Sprint(errors.Is(err2, syscall.ECONNREFUSED))
		},
		"read deadline": func(t *testing.T, s udpStack) string {
			srv, _ := udpPair(t, s)
			require.NoError(t, srv.SetReadDeadline(aLongTimeAgo))
			b := make([]byte, 10)
			n1, a1, err1 := srv.ReadFrom(b)
			n2, a2, err2 := srv.ReadFromUDP(b)
			n3, a3, err3 := srv.ReadFromUDPAddrPort(b)
			n4, _, _, a4, err4 := srv.ReadMsgUDP(b, nil)
			n5, _, _, a5, err5 := srv.ReadMsgUDPAddrPort(b, nil)
			return fmt.Sprint(n1, a1 == nil, errShape(err1), n2, a2 == nil, errShape(err2), n3, a3, errShape(err3),
				n4, a4, errShape(err4), n5, a5, errShape(err5))
		},
		"use after close": func(t *testing.T, s udpStack) string {
			srv, cli := udpPair(t, s)
			require.NoError(t, cli.Close())
			_, _, err1 := cli.ReadFrom(make([]byte, 1))
			_, err2 := cli.Write(msg)
			err3 := cli.Close()
			err4 := cli.SetDeadline(deadlineIn())
			_, err5 := srv.WriteTo(msg, cli.LocalAddr()) // still fine: srv is open
			_, err6 := cli.File()
			return strings.Join([]string{errShape(err1), errShape(err2), errShape(err3), errShape(err4),
				errShape(err5), errShape(err6)}, " | ")
		},
		"close while blocked in ReadFrom": func(t *testing.T, s udpStack) string {
			srv, _ := udpPair(t, s)
			done := make(chan error, 1)
			go func() {
				_, _, err := srv.ReadFrom(make([]byte, 10))
				done <- err
			}()
			assert.True(t, waitParked("(*UDPConn).ReadFrom("), "ReadFrom did not block")
			require.NoError(t, srv.Close())
			return errShape(<-done)
		},
		"sender address forms": func(t *testing.T, s udpStack) string {
			dual, err := s.listenUDP("udp", nil)
			require.NoError(t, err)
			defer dual.Close()
			port := dual.LocalAddr().(*net.UDPAddr).Port
			cli, err := s.dialUDP("udp4", nil, &net.UDPAddr{IP: loopback4.IP, Port: port})
			require.NoError(t, err)
			defer cli.Close()
			require.NoError(t, dual.SetReadDeadline(deadlineIn()))
			b := make([]byte, 10)
			var out []string
			for i := range 3 {
				_, err := cli.Write(msg)
				require.NoError(t, err)
				switch i {
				case 0:
					_, a, err := dual.ReadFromUDP(b)
					require.NoError(t, err)
					out = append(out, fmt.Sprint(len(a.IP), maskPorts(a.String())))
				case 1:
					_, ap, err := dual.ReadFromUDPAddrPort(b)
					require.NoError(t, err)
					out = append(out, fmt.Sprint(ap.Addr(), ap.Addr().Is4In6()))
				case 2:
					_, _, _, a, err := dual.ReadMsgUDP(b, nil)
					require.NoError(t, err)
					out = append(out, fmt.Sprint(len(a.IP), maskPorts(a.String())))
				}
			}
			return strings.Join(out, " | ") + " " + addrShape(dual.LocalAddr())
		},
		"sender address shapes": func(t *testing.T, s udpStack) string {
			var out []string
			for _, la := range []*net.UDPAddr{loopback4, {IP: net.IPv6loopback}} {
				network := "udp4"
				if la.IP.To4() == nil {
					network = "udp6"
				}
				srv, err := s.listenUDP(network, la)
				if err != nil {
					out = append(out, network+" unavailable")
					continue
				}
				defer srv.Close()
				cli, err := s.dialUDP(network, nil, srv.LocalAddr().(*net.UDPAddr))
				require.NoError(t, err)
				defer cli.Close()
				require.NoError(t, srv.SetReadDeadline(deadlineIn()))
				shape := func(a *net.UDPAddr) string {
					return fmt.Sprintf("%s len=%d cap=%d zone=%q", maskPorts(a.String()), len(a.IP), cap(a.IP), a.Zone)
				}
				b := make([]byte, 10)
				for i := range 5 {
					_, err := cli.Write(msg)
					require.NoError(t, err)
					var got string
					switch i {
					case 0:
						_, a, err := srv.ReadFrom(b)
						require.NoError(t, err)
						got = fmt.Sprintf("%T ", a) + shape(a.(*net.UDPAddr))
					case 1:
						_, a, err := srv.ReadFromUDP(b)
						require.NoError(t, err)
						got = shape(a)
					case 2:
						_, _, _, a, err := srv.ReadMsgUDP(b, nil)
						require.NoError(t, err)
						got = shape(a)
					case 3:
						_, ap, err := srv.ReadFromUDPAddrPort(b)
						require.NoError(t, err)
						got = maskPorts(ap.String()) + fmt.Sprint(ap.Addr().Is4(), ap.Port() == cli.LocalAddr().(*net.UDPAddr).AddrPort().Port())
					case 4:
						_, _, _, ap, err := srv.ReadMsgUDPAddrPort(b, nil)
						require.NoError(t, err)
						got = maskPorts(ap.String()) + fmt.Sprint(ap.Addr().Is4())
					}
					out = append(out, network+" "+got)
				}
			}
			return strings.Join(out, " | ")
		},
		"dial and listen errors": func(t *testing.T, s udpStack) string {
			ra := &net.UDPAddr{IP: loopback4.IP, Port: 9}
			busy, err := s.listenUDP("udp4", loopback4)
			require.NoError(t, err)
			defer busy.Close()
			_, err1 := s.dialUDP("tcp", nil, ra)
			_, err2 := s.dialUDP("udp", nil, nil)
			_, err3 := s.dialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv6loopback, Port: 9})
			_, err4 := s.listenUDP("udp", &net.UDPAddr{Port: 65536})
			_, err5 := s.listenUDP("udp4", busy.LocalAddr().(*net.UDPAddr))
			_, err6 := s.listenUDP("unixgram", nil)
			_, err7 := s.dial("udp", "127.0.0.1:99999")
			_, err8 := s.dial("udp4", "[::1]:9")
			return strings.Join([]string{errShape(err1), errShape(err2), errShape(err3), errShape(err4),
				errShape(err5), errShape(err6), errShape(err7), errShape(err8)}, " | ")
		},
		"ListenPacket errors": func(t *testing.T, s udpStack) string {
			var out []string
			for _, na := range [][2]string{{"ip4", ""}, {"ip4:nosuchproto", "127.0.0.1"}, {"tcp", "127.0.0.1:0"},
				{"udp", "127.0.0.1:99999"}, {"foo", ""}, {"udp4", "[::1]:0"}, {"ip", "127.0.0.1"}} {
				c, err := s.listenPacket(na[0], na[1])
				if c != nil {
					c.Close()
				}
				out = append(out, errShape(err))
			}
			return strings.Join(out, " | ")
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) { differential(t, f) })
	}
}

// TestUDPGoalsA10A11 checks RELIABILITY.md A10 (zero-length datagrams) and
// A11 (truncation and oversize) on evnet and logs their GOAL lines.
func TestUDPGoalsA10A11(t *testing.T) {
	s := udpStacks[1]
	srv, cli := udpPair(t, s)
	require.NoError(t, srv.SetReadDeadline(deadlineIn()))

	wn, werr := cli.Write(nil)
	rn, from, rerr := srv.ReadFrom(make([]byte, 8))
	a10 := wn == 0 && werr == nil && rn == 0 && rerr == nil && from != nil && from.String() == cli.LocalAddr().String()
	t.Logf("GOAL A10 zero-length udp: Write(nil) n=%d err=%v, ReadFrom n=%d err=%v from set=%v — %s",
		wn, werr, rn, rerr, from != nil, passFail(a10))
	assert.True(t, a10)

	msg := []byte("0123456789abcdef")
	_, err := cli.Write(msg)
	require.NoError(t, err)
	n1, _, err1 := srv.ReadFrom(make([]byte, 10))
	_, err = cli.Write(msg)
	require.NoError(t, err)
	n2, _, flags, _, err2 := srv.ReadMsgUDP(make([]byte, 10), nil)
	_, errBig := cli.Write(make([]byte, 65508))
	nMax, errMax := cli.Write(make([]byte, 65507))
	a11 := n1 == 10 && err1 == nil && n2 == 10 && err2 == nil && flags&syscall.MSG_TRUNC != 0 &&
		errors.Is(errBig, syscall.EMSGSIZE) && nMax == 65507 && errMax == nil
	t.Logf("GOAL A11 truncation udp: 16B into 10B n=%d err=%v, ReadMsgUDP n=%d MSG_TRUNC=%v, 65508B write %v, 65507B write n=%d err=%v — %s",
		n1, err1, n2, flags&syscall.MSG_TRUNC != 0, errBig, nMax, errMax, passFail(a11))
	assert.True(t, a11)
}
