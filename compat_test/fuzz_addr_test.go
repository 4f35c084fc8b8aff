//go:build linux

package compat_test

// F1 (RELIABILITY.md 4.4): literal address parsing and resolution, evnet
// against net on the same input, with no DNS.
//
// evnet forwards ResolveTCPAddr, SplitHostPort, ParseIP and the like to net
// (api.go), so those are checked only in passing. What evnet implements
// itself is the resolution inside Dial, Listen and ListenPacket
// (resolve.go's parseNetwork, resolveAddrList and filterAddrList, then
// sockaddr_unix.go's favoriteFamily and ipToSockaddr). The fuzzer reaches it
// through the public API: both Dialers and ListenConfigs get a Control hook
// that records what it is given and fails, so that every call stops after
// socket(2) and before bind(2) or connect(2). Nothing leaves the machine and
// no name is ever bound.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/evnet/evnet"
)

// errStopHere is what the Control hooks return: the call ends there.
var errStopHere = errors.New("fuzz: stopped in Control")

// ctrlRecord is what a Control hook was given; empty if it did not run.
type ctrlRecord struct{ network, address string }

func (r *ctrlRecord) hook(network, address string, _ syscall.RawConn) error {
	*r = ctrlRecord{network, address}
	return errStopHere
}

// errChain describes every level of err: its type and its text.
func errChain(err error) string {
	if err == nil {
		return "<nil>"
	}
	var b strings.Builder
	for e := err; e != nil; e = errors.Unwrap(e) {
		fmt.Fprintf(&b, "%T(%q) / ", e, e.Error())
	}
	return b.String()
}

// addrShapeF1 describes a resolved address, IPs compared by value: net and
// evnet may hold an IPv4 address in 4 or 16 bytes.
func addrShapeF1(a net.Addr) string {
	switch a := a.(type) {
	case nil:
		return "<nil>"
	case *net.TCPAddr:
		if a == nil {
			return "(*TCPAddr)(nil)"
		}
		return fmt.Sprintf("tcp %v %d %q", a.IP, a.Port, a.Zone)
	case *net.UDPAddr:
		if a == nil {
			return "(*UDPAddr)(nil)"
		}
		return fmt.Sprintf("udp %v %d %q", a.IP, a.Port, a.Zone)
	case *net.IPAddr:
		if a == nil {
			return "(*IPAddr)(nil)"
		}
		return fmt.Sprintf("ip %v %q", a.IP, a.Zone)
	case *net.UnixAddr:
		if a == nil {
			return "(*UnixAddr)(nil)"
		}
		return fmt.Sprintf("unix %q %q", a.Name, a.Net)
	}
	return fmt.Sprintf("%T %v", a, a)
}

// isLiteralHost reports whether net resolves host without a lookup: the
// empty host, or what net's lookupIPAddr accepts as a literal.
func isLiteralHost(host string) bool {
	if host == "" {
		return true
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}

// noDNS reports whether resolving address on network cannot ask a
// resolver. Port names are looked up in /etc/services and protocol names in
// /etc/protocols, neither of them a network lookup.
func noDNS(network, address string) bool {
	afnet := network
	if i := strings.LastIndexByte(network, ':'); i >= 0 {
		afnet = network[:i]
	}
	switch afnet {
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
		host, _, err := net.SplitHostPort(address)
		return err != nil || isLiteralHost(host)
	case "ip", "ip4", "ip6":
		return isLiteralHost(address)
	}
	return true // unix networks, and unknown ones net rejects first
}

// isUnixNetwork reports whether network names Unix sockets.
func isUnixNetwork(network string) bool {
	return network == "unix" || network == "unixgram" || network == "unixpacket"
}

// localAddrF1 builds a Dialer's LocalAddr of the kind k from a literal.
func localAddrF1(k uint8, s string) net.Addr {
	switch k % 6 {
	case 1:
		if ap, err := netip.ParseAddrPort(s); err == nil {
			return net.TCPAddrFromAddrPort(ap)
		}
		return &net.TCPAddr{}
	case 2:
		if ap, err := netip.ParseAddrPort(s); err == nil {
			return net.UDPAddrFromAddrPort(ap)
		}
		return &net.UDPAddr{}
	case 3:
		if ip, err := netip.ParseAddr(s); err == nil {
			return &net.IPAddr{IP: ip.AsSlice(), Zone: ip.Zone()}
		}
		return &net.IPAddr{}
	case 4:
		return &net.UnixAddr{Name: "@evnet-fuzz-f1-" + s, Net: "unix"}
	case 5:
		return (*net.TCPAddr)(nil)
	}
	return nil
}

// isNilPointerAddr reports whether a is a typed nil *net.TCPAddr.
func isNilPointerAddr(a net.Addr) bool {
	p, ok := a.(*net.TCPAddr)
	return ok && p == nil
}

// FuzzF1ResolveLiteral checks that evnet's Dial, Listen and ListenPacket
// resolve a literal address as net's do: the same error chain (type and
// text at every level), and the same network and address given to Control.
func FuzzF1ResolveLiteral(f *testing.F) {
	seeds := []struct {
		network, address string
	}{
		{"tcp", "127.0.0.1:80"}, {"tcp4", "127.0.0.1:0"}, {"tcp6", "[::1]:443"},
		{"tcp", "[::1]:http"}, {"tcp", ":0"}, {"tcp", ""}, {"tcp", ":"},
		{"tcp", "127.0.0.1"}, {"tcp", "[::1]"}, {"tcp", "::1:80"}, {"tcp", "[127.0.0.1]:80"},
		{"tcp", "[fe80::1%lo]:22"}, {"tcp", "[fe80::1%1]:22"}, {"tcp", "[fe80::1%nosuchif]:22"},
		{"tcp6", "127.0.0.1:80"}, {"tcp4", "[::1]:80"}, {"tcp4", "[::ffff:127.0.0.1]:80"},
		{"tcp6", "[::ffff:127.0.0.1]:80"}, {"tcp", "0.0.0.0:1"}, {"tcp", "[::]:1"},
		{"tcp", "127.0.0.1:65536"}, {"tcp", "127.0.0.1:-1"}, {"tcp", "127.0.0.1:nosuchservice"},
		{"tcp", "127.0.0.1:0x50"}, {"tcp", "[::1]]:80"}, {"tcp", "[::1:80"}, {"tcp", "1.2.3.4:5:6"},
		{"udp", "127.0.0.1:53"}, {"udp4", ":domain"}, {"udp6", "[::1]:0"}, {"udp", "[::]:0"},
		{"udp6", "0.0.0.0:9"}, {"udp", ""},
		// "::" stands for 0.0.0.0 too (Go issue 18806): found by this fuzzer.
		{"tcp4", "[::]:0"}, {"udp4", "[::]:7"}, {"tcp", "[::]:1"}, {"tcp", "[0::0]:1"},
		{"ip", "127.0.0.1"}, {"ip4:icmp", "127.0.0.1"}, {"ip4:1", ""}, {"ip6:58", "::1"},
		{"ip6:ipv6-icmp", "fe80::1%lo"}, {"ip4:nosuchproto", "127.0.0.1"},
		// An empty protocol is net's AddrError, not an unknown network:
		// found by this fuzzer.
		{"ip4:", "127.0.0.1"}, {"ip:", ""}, {"ip6:", "::1"},
		{"ip:icmp:1", "127.0.0.1"}, {"ip4:icmp", "::1"}, {"ip6:58", "127.0.0.1"}, {"ip4:300", "127.0.0.1"},
		{"ip", ""}, {"ip4", "127.0.0.1"},
		{"unix", "@evnet-fuzz-f1"}, {"unix", ""}, {"unixgram", "@"}, {"unixpacket", "sock"},
		{"unix", "@" + strings.Repeat("x", 107)}, {"unix", "@" + strings.Repeat("x", 108)},
		{"unix", strings.Repeat("p", 120)}, {"unixgram", "a\x00b"},
		{"", "127.0.0.1:80"}, {"tcp7", "127.0.0.1:80"}, {"TCP", "127.0.0.1:80"}, {"udp:1", ":1"},
	}
	for i, s := range seeds {
		f.Add(s.network, s.address, uint8(i%6), "127.0.0.1:0")
	}
	f.Add("tcp", "[::1]:80", uint8(1), "127.0.0.1:0")     // a local address of the other family
	f.Add("tcp", "127.0.0.1:80", uint8(2), "127.0.0.1:0") // of the wrong type
	f.Add("udp", "127.0.0.1:80", uint8(3), "::1")
	f.Add("unix", "@evnet-fuzz-f1", uint8(4), "local")
	f.Add("tcp6", "[::1]:80", uint8(1), "[::]:0")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, network, address string, lkind uint8, local string) {
		if !noDNS(network, address) {
			t.Skip("not a literal address")
		}
		if isUnixNetwork(network) && address != "" && address[0] != '@' {
			// Nothing is bound, but if that ever broke, a path must land
			// in a directory of the test's.
			address = dir + "/" + address
		}
		// The forwarders, in passing.
		nh, np, nerr := net.SplitHostPort(address)
		eh, ep, eerr := evnet.SplitHostPort(address)
		if nh != eh || np != ep || errChain(nerr) != errChain(eerr) {
			t.Errorf("SplitHostPort(%q): net %q %q %v, evnet %q %q %v", address, nh, np, nerr, eh, ep, eerr)
		}
		if j, k := net.JoinHostPort(nh, np), evnet.JoinHostPort(nh, np); j != k {
			t.Errorf("JoinHostPort(%q, %q): net %q, evnet %q", nh, np, j, k)
		}
		if a, b := net.ParseIP(address), evnet.ParseIP(address); !a.Equal(b) {
			t.Errorf("ParseIP(%q): net %v, evnet %v", address, a, b)
		}
		r1, e1 := net.ResolveTCPAddr(network, address)
		r2, e2 := evnet.ResolveTCPAddr(network, address)
		compareResolved(t, "ResolveTCPAddr", network, address, r1, r2, e1, e2)
		u1, e1 := net.ResolveUDPAddr(network, address)
		u2, e2 := evnet.ResolveUDPAddr(network, address)
		compareResolved(t, "ResolveUDPAddr", network, address, u1, u2, e1, e2)
		i1, e1 := net.ResolveIPAddr(network, address)
		i2, e2 := evnet.ResolveIPAddr(network, address)
		compareResolved(t, "ResolveIPAddr", network, address, i1, i2, e1, e2)
		x1, e1 := net.ResolveUnixAddr(network, address)
		x2, e2 := evnet.ResolveUnixAddr(network, address)
		compareResolved(t, "ResolveUnixAddr", network, address, x1, x2, e1, e2)

		// What evnet implements: resolution inside Dial and Listen.
		la := localAddrF1(lkind, local)
		var nrec, erec ctrlRecord
		nd := net.Dialer{LocalAddr: la, Control: nrec.hook}
		ed := evnet.Dialer{LocalAddr: la, Control: erec.hook}
		nc, nerr := nd.Dial(network, address)
		ec, eerr := ed.Dial(network, address)
		if isNilPointerAddr(la) && nerr != nil {
			// A deliberate difference: net puts a typed-nil LocalAddr in
			// OpError.Source ("dial tcp <nil>->..."), evnet keeps an
			// absent address a nil interface (STYLE.md section 4).
			if oe, ok := nerr.(*net.OpError); ok && isNilPointerAddr(oe.Source) {
				oe.Source = nil
			}
		}
		compareStopped(t, "Dial", network, address, nc, ec, nerr, eerr, nrec, erec)

		nrec, erec = ctrlRecord{}, ctrlRecord{}
		nlc := net.ListenConfig{Control: nrec.hook}
		elc := evnet.ListenConfig{Control: erec.hook}
		nl, nerr := nlc.Listen(context.Background(), network, address)
		el, eerr := elc.Listen(context.Background(), network, address)
		compareStopped(t, "Listen", network, address, nl, el, nerr, eerr, nrec, erec)

		nrec, erec = ctrlRecord{}, ctrlRecord{}
		np2, nerr := nlc.ListenPacket(context.Background(), network, address)
		ep2, eerr := elc.ListenPacket(context.Background(), network, address)
		compareStopped(t, "ListenPacket", network, address, np2, ep2, nerr, eerr, nrec, erec)
	})
}

// compareResolved compares the results of a Resolve* function of net and
// of evnet.
func compareResolved(t *testing.T, name, network, address string, na, ea net.Addr, nerr, eerr error) {
	t.Helper()
	if addrShapeF1(na) != addrShapeF1(ea) || errChain(nerr) != errChain(eerr) {
		t.Errorf("%s(%q, %q):\n net   %s %s\n evnet %s %s", name, network, address,
			addrShapeF1(na), errChain(nerr), addrShapeF1(ea), errChain(eerr))
	}
}

// compareStopped compares a Dial or Listen* of net and evnet whose Control
// hooks stopped them. Neither may return a socket.
func compareStopped[C interface{ Close() error }](t *testing.T, op, network, address string, nc, ec C,
	nerr, eerr error, nrec, erec ctrlRecord) {
	t.Helper()
	if nerr == nil {
		nc.Close() // cannot happen: Control failed the call
		t.Errorf("%s(%q, %q): net returned no error", op, network, address)
	}
	if eerr == nil {
		ec.Close()
		t.Errorf("%s(%q, %q): evnet returned no error", op, network, address)
	}
	if nrec != erec {
		t.Errorf("%s(%q, %q): Control got net %q, evnet %q", op, network, address, nrec, erec)
	}
	if n, e := errChain(nerr), errChain(eerr); n != e {
		t.Errorf("%s(%q, %q) error:\n net   %s\n evnet %s", op, network, address, n, e)
	}
}
