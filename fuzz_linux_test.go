//go:build linux

package evnet

// F2 (RELIABILITY.md 4.4): the conversions between the kernel's sockaddrs
// and net's addresses, fed random bytes. evnet decodes one kind of raw
// sockaddr itself, the sender and destination names of its datagram paths
// (packetio_linux.go's inetAddr.fromRaw and toRaw, batch_linux.go), and
// converts x/sys's and syscall's Sockaddr values to net.Addr and back
// (sockaddr_unix.go, connaddr_unix.go). Bytes to Sockaddr for the other
// paths is x/sys's or syscall's code; compat_test's FuzzF2UnixName drives
// Unix names through the kernel instead.

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"reflect"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// f2Family maps a fuzzed byte to a socket family: mostly the ones evnet
// handles, sometimes anything else.
func f2Family(b uint8) int {
	switch b % 4 {
	case 0:
		return unix.AF_INET
	case 1:
		return unix.AF_INET6
	case 2:
		return unix.AF_UNIX
	}
	return int(b) // garbage, AF_INET and AF_INET6 included now and then
}

// f2Sotype maps a fuzzed byte to a socket type.
func f2Sotype(b uint8) int {
	switch b % 5 {
	case 0:
		return unix.SOCK_STREAM
	case 1:
		return unix.SOCK_DGRAM
	case 2:
		return unix.SOCK_RAW
	case 3:
		return unix.SOCK_SEQPACKET
	}
	return int(b)
}

// rawBytes is the memory of a raw sockaddr, as the kernel sees it.
func rawBytes(rsa *unix.RawSockaddrInet6) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(rsa)), unsafe.Sizeof(*rsa))
}

// wantFromRaw decodes raw as net's readFromInet4/6 and syscall's
// RecvfromInet4/6 do, from the bytes of the Linux layout: the port
// big-endian at 2, an IPv4 address at 4, an IPv6 one at 8 and its scope ID
// at 24, in host order.
func wantFromRaw(family int, raw []byte) (*net.UDPAddr, netip.AddrPort) {
	port := int(binary.BigEndian.Uint16(raw[2:4]))
	switch family {
	case unix.AF_INET:
		ip4 := [4]byte(raw[4:8])
		return &net.UDPAddr{IP: net.IP(raw[4:8:8]), Port: port},
			netip.AddrPortFrom(netip.AddrFrom4(ip4), uint16(port))
	case unix.AF_INET6:
		ip6 := [16]byte(raw[8:24])
		zone := zoneName(binary.NativeEndian.Uint32(raw[24:28]))
		return &net.UDPAddr{IP: net.IP(raw[8:24:24]), Port: port, Zone: zone},
			netip.AddrPortFrom(netip.AddrFrom16(ip6).WithZone(zone), uint16(port))
	}
	return nil, netip.AddrPort{}
}

// FuzzF2SockaddrRaw decodes random bytes as a datagram's name, as
// recvfromInet, recvmsgInet and ReadBatch do, and checks: no panic; the
// addresses are net's for those bytes; and the round trip address ->
// sockaddr -> address is stable (toRaw writes a canonical name that decodes
// to the same inetAddr).
func FuzzF2SockaddrRaw(f *testing.F) {
	v4 := func(port uint16, ip [4]byte) []byte {
		var r unix.RawSockaddrInet4
		r.Family, r.Port, r.Addr = unix.AF_INET, htons(int(port)), ip
		return unsafe.Slice((*byte)(unsafe.Pointer(&r)), unsafe.Sizeof(r))
	}
	v6 := func(port uint16, ip [16]byte, flow, scope uint32) []byte {
		r := unix.RawSockaddrInet6{Family: unix.AF_INET6, Port: htons(int(port)), Flowinfo: flow, Addr: ip, Scope_id: scope}
		return bytes.Clone(rawBytes(&r))
	}
	f.Add(uint8(0), v4(80, [4]byte{127, 0, 0, 1}))
	f.Add(uint8(0), v4(0, [4]byte{}))
	f.Add(uint8(0), v4(65535, [4]byte{255, 255, 255, 255}))
	f.Add(uint8(0), []byte{}) // the kernel wrote no name (an unnamed sender)
	f.Add(uint8(0), []byte{2, 0, 0x1f})
	f.Add(uint8(1), v6(443, [16]byte{15: 1}, 0, 0))
	f.Add(uint8(1), v6(1, [16]byte{0xfe, 0x80, 15: 1}, 0xfffff, 1))            // link-local, zone lo
	f.Add(uint8(1), v6(1, [16]byte{0xfe, 0x80, 15: 1}, 0, 0xffffffff))         // no such zone
	f.Add(uint8(1), v6(1, [16]byte{0xfe, 0x80, 15: 1}, 0, 0x7fffffff))         // no such zone
	f.Add(uint8(1), v6(9, [16]byte{10: 0xff, 11: 0xff, 12: 127, 15: 1}, 0, 0)) // IPv4-mapped
	f.Add(uint8(1), v6(9, [16]byte{10: 0xff, 11: 0xff}, 0, 0))                 // ::ffff:0.0.0.0
	f.Add(uint8(1), v6(0, [16]byte{}, 0, 0))                                   // ::
	f.Add(uint8(1), v4(80, [4]byte{127, 0, 0, 1}))                             // a v4 name on a v6 socket
	f.Add(uint8(0), v6(443, [16]byte{15: 1}, 7, 3))                            // and the other way
	f.Add(uint8(2), v4(80, [4]byte{127, 0, 0, 1}))                             // AF_UNIX: no inet name
	f.Add(uint8(3), bytes.Repeat([]byte{0xff}, 40))                            // garbage family, too long
	f.Add(uint8(255), bytes.Repeat([]byte{0xa5}, 28))
	f.Fuzz(func(t *testing.T, fam uint8, raw []byte) {
		family := f2Family(fam)
		var rsa unix.RawSockaddrInet6
		copy(rawBytes(&rsa), raw) // the kernel may write less than the room
		full := bytes.Clone(rawBytes(&rsa))

		var a inetAddr
		a.fromRaw(family, &rsa)
		ua, ap := a.udpAddr(), a.addrPort()
		wantUA, wantAP := wantFromRaw(family, full)
		if !reflect.DeepEqual(ua, wantUA) || ap != wantAP {
			t.Fatalf("family %d, raw %x: got %#v %v, want %#v %v", family, full, ua, ap, wantUA, wantAP)
		}
		if ua != nil && cap(ua.IP) != len(ua.IP) {
			t.Errorf("udpAddr IP %v: cap %d, len %d (net's IP has no spare capacity)", ua.IP, cap(ua.IP), len(ua.IP))
		}
		if ua == nil {
			if a != (inetAddr{}) {
				t.Fatalf("family %d: no address, but inetAddr %+v", family, a)
			}
			var out unix.RawSockaddrInet6
			if n := a.toRaw(&out); n != 0 {
				t.Fatalf("no address: toRaw wrote %d bytes", n)
			}
			return
		}

		// Back to a sockaddr: what WriteToUDP(ua) sends to.
		var b inetAddr
		if err := b.setUDP(family, ua); err != nil {
			t.Fatalf("setUDP(%d, %v): %v", family, ua, err)
		}
		want := a
		// The zone goes back by name, as in net, whose zoneCache turns a
		// scope ID with no interface into a number capped at 0xFFFFFF.
		want.zone = netZoneIndex(zoneName(a.zone))
		if family == unix.AF_INET6 && ua.IP.Equal(net.IPv4zero) {
			// net's ipToSockaddrInet6 sends to ::ffff:0.0.0.0 as ::.
			want.ip = [16]byte{}
		}
		if b != want {
			t.Fatalf("setUDP(%v) = %+v, want %+v", ua, b, want)
		}
		var out unix.RawSockaddrInet6
		n := b.toRaw(&out)
		var canon unix.RawSockaddrInet6
		switch family {
		case unix.AF_INET:
			r := (*unix.RawSockaddrInet4)(unsafe.Pointer(&canon))
			r.Family, r.Port, r.Addr = unix.AF_INET, htons(want.port), [4]byte(want.ip[:4])
			if n != unix.SizeofSockaddrInet4 {
				t.Fatalf("toRaw AF_INET: length %d", n)
			}
		case unix.AF_INET6:
			canon = unix.RawSockaddrInet6{Family: unix.AF_INET6, Port: htons(want.port), Addr: want.ip, Scope_id: want.zone}
			if n != unix.SizeofSockaddrInet6 {
				t.Fatalf("toRaw AF_INET6: length %d", n)
			}
		}
		if out != canon {
			t.Fatalf("toRaw(%+v) = %x, want %x", b, rawBytes(&out), rawBytes(&canon))
		}
		var c inetAddr
		c.fromRaw(family, &out)
		if c != want {
			t.Fatalf("round trip: %+v -> %x -> %+v", want, rawBytes(&out), c)
		}

		// And through the AddrPort API: setAddrPort does not rewrite ::.
		var d inetAddr
		if err := d.setAddrPort(family, ap); err != nil {
			t.Fatalf("setAddrPort(%d, %v): %v", family, ap, err)
		}
		if want.ip = a.ip; d != want {
			t.Fatalf("setAddrPort(%v) = %+v, want %+v", ap, d, want)
		}
	})
}

// f2IP builds an IP of any length from fuzzed bytes.
func f2IP(b []byte) net.IP {
	if len(b) > 17 {
		b = b[:17]
	}
	if len(b) == 0 {
		return nil
	}
	return net.IP(bytes.Clone(b))
}

// FuzzF2SockaddrConv converts fuzzed addresses to sockaddrs and back with
// ipToSockaddr, inetAddr.setIP, addrPortToSockaddr, sockaddrToAddr,
// sysSockaddrToAddr and connAddrs, and checks: no panic; the two encoders
// agree (value and error); the three decoders agree; and address ->
// sockaddr -> address -> sockaddr is stable.
func FuzzF2SockaddrConv(f *testing.F) {
	f.Add(uint8(0), uint8(0), []byte{127, 0, 0, 1}, 80, "", "")
	f.Add(uint8(1), uint8(0), []byte(net.IPv6loopback), 443, "", "")
	f.Add(uint8(1), uint8(1), []byte(net.ParseIP("fe80::1").To16()), 1, "lo", "")
	f.Add(uint8(1), uint8(1), []byte(net.ParseIP("fe80::1").To16()), 1, "1", "")
	f.Add(uint8(1), uint8(1), []byte(net.ParseIP("fe80::1").To16()), 1, "4294967295", "")
	f.Add(uint8(1), uint8(1), []byte(net.ParseIP("fe80::1").To16()), 1, "4294967296", "")
	f.Add(uint8(1), uint8(1), []byte(net.ParseIP("fe80::1").To16()), 1, "-1", "")
	f.Add(uint8(1), uint8(1), []byte(net.ParseIP("fe80::1").To16()), 1, "nosuchif", "")
	// A zone that names no interface is its leading digits, capped at
	// 0xFFFFFF, as in net: found by this fuzzer ("4294967296" was 0, "1x"
	// was 0, where net says 0xFFFFFF and 1).
	f.Add(uint8(1), uint8(1), []byte(net.ParseIP("fe80::1").To16()), 1, "1x", "")
	f.Add(uint8(1), uint8(1), []byte(net.ParseIP("fe80::1").To16()), 1, "+1", "")
	f.Add(uint8(1), uint8(1), []byte(net.ParseIP("fe80::1").To16()), 1, "16777215", "")
	f.Add(uint8(1), uint8(1), []byte(net.ParseIP("fe80::1").To16()), 1, "0099999999", "")
	f.Add(uint8(0), uint8(0), []byte(net.ParseIP("::1").To16()), 80, "", "") // v6 on AF_INET
	f.Add(uint8(1), uint8(0), []byte{127, 0, 0, 1}, 80, "", "")              // v4 on AF_INET6: mapped
	f.Add(uint8(1), uint8(0), []byte{0, 0, 0, 0}, 80, "", "")                // 0.0.0.0 on AF_INET6: ::
	f.Add(uint8(0), uint8(0), []byte{}, 0, "", "")                           // no IP: the wildcard
	f.Add(uint8(1), uint8(2), []byte{}, 0, "", "")
	f.Add(uint8(0), uint8(0), []byte{1, 2, 3}, 80, "", "") // bad lengths
	f.Add(uint8(1), uint8(0), []byte{1, 2, 3, 4, 5}, 80, "", "")
	f.Add(uint8(0), uint8(0), []byte{1, 2, 3, 4}, 70000, "", "") // out-of-range ports
	f.Add(uint8(1), uint8(0), []byte{1, 2, 3, 4}, -1, "", "")
	f.Add(uint8(3), uint8(0), []byte{1, 2, 3, 4}, 1, "", "") // no such family
	f.Add(uint8(2), uint8(0), []byte{}, 0, "", "/tmp/sock")
	f.Add(uint8(2), uint8(1), []byte{}, 0, "", "@abstract\x00with\x00nuls")
	f.Add(uint8(2), uint8(3), []byte{}, 0, "", "")
	f.Add(uint8(2), uint8(4), []byte{}, 0, "", string(make([]byte, 110)))
	f.Fuzz(func(t *testing.T, fam, st uint8, ipb []byte, port int, zone, name string) {
		family, sotype := f2Family(fam), f2Sotype(st)
		ip := f2IP(ipb)

		// Encoders: ipToSockaddr and inetAddr.setIP share net's rules.
		sa, err := ipToSockaddr(family, ip, port, zone)
		var ia inetAddr
		err2 := ia.setIP(family, ip, port, zone)
		if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("ipToSockaddr: %v, setIP: %v", err, err2)
		}
		if err != nil {
			if _, ok := err.(*net.AddrError); !ok {
				t.Fatalf("ipToSockaddr error %T, want *net.AddrError", err)
			}
		} else {
			checkInetSockaddr(t, family, ip, port, zone, sa, ia)
		}

		// Decoders, from every kind of sockaddr.
		var sas []unix.Sockaddr
		var syss []syscall.Sockaddr
		if sa != nil {
			sas = append(sas, sa)
			switch sa := sa.(type) {
			case *unix.SockaddrInet4:
				syss = append(syss, &syscall.SockaddrInet4{Port: sa.Port, Addr: sa.Addr})
			case *unix.SockaddrInet6:
				syss = append(syss, &syscall.SockaddrInet6{Port: sa.Port, ZoneId: sa.ZoneId, Addr: sa.Addr})
			}
		}
		sas = append(sas, &unix.SockaddrUnix{Name: name}, nil)
		syss = append(syss, &syscall.SockaddrUnix{Name: name}, nil)
		for i, sa := range sas {
			a := sockaddrToAddr(sotype, sa)
			b := sysSockaddrToAddr(sotype, syss[i])
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("sockaddrToAddr(%d, %#v) = %#v, sysSockaddrToAddr = %#v", sotype, sa, a, b)
			}
			checkAddrOf(t, sotype, sa, a)
			for j := range syss {
				l, r := connAddrs(sotype, syss[i], syss[j])
				if !reflect.DeepEqual(l, b) || !reflect.DeepEqual(r, sysSockaddrToAddr(sotype, syss[j])) {
					t.Fatalf("connAddrs(%d, %#v, %#v) = %#v, %#v", sotype, syss[i], syss[j], l, r)
				}
			}
		}

		// The AddrPort encoder, from whatever the fuzzed IP is.
		if nip, ok := netip.AddrFromSlice(ip); ok {
			if zone != "" && nip.Is6() {
				nip = nip.WithZone(zone)
			}
			ap := netip.AddrPortFrom(nip, uint16(port))
			sa, err := addrPortToSockaddr(family, ap)
			sa2, err2 := ipToSockaddr(family, net.IP(nip.AsSlice()), int(uint16(port)), nip.Zone())
			if (err == nil) != (err2 == nil) || !reflect.DeepEqual(sa, sa2) {
				t.Fatalf("addrPortToSockaddr(%d, %v) = %#v, %v; ipToSockaddr: %#v, %v", family, ap, sa, err, sa2, err2)
			}
		}
	})
}

// netZoneIndex is net's ipv6ZoneCache.index: an interface's name, else
// the decimal digits the zone starts with (net's dtoi, capped at 0xFFFFFF).
func netZoneIndex(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	const big = 0xFFFFFF
	n := 0
	for i := 0; i < len(zone) && '0' <= zone[i] && zone[i] <= '9'; i++ {
		if n = n*10 + int(zone[i]-'0'); n >= big {
			return big
		}
	}
	return uint32(n)
}

// checkInetSockaddr checks what ipToSockaddr and setIP made of ip: the
// same name, by net's rules, and a stable round trip through net.Addr.
func checkInetSockaddr(t *testing.T, family int, ip net.IP, port int, zone string, sa unix.Sockaddr, ia inetAddr) {
	t.Helper()
	var wantIP [16]byte
	switch family {
	case unix.AF_INET:
		sa4, ok := sa.(*unix.SockaddrInet4)
		if !ok || ip != nil && ip.To4() == nil {
			t.Fatalf("AF_INET %v: %#v", ip, sa)
		}
		if ip == nil {
			ip = net.IPv4zero
		}
		copy(wantIP[:], ip.To4())
		if sa4.Addr != [4]byte(wantIP[:4]) || sa4.Port != port || ia.ip != wantIP || ia.port != port || ia.zone != 0 {
			t.Fatalf("AF_INET %v %d: %#v, %+v", ip, port, sa4, ia)
		}
	case unix.AF_INET6:
		sa6, ok := sa.(*unix.SockaddrInet6)
		if !ok || ip != nil && ip.To16() == nil {
			t.Fatalf("AF_INET6 %v: %#v", ip, sa)
		}
		if ip == nil || ip.Equal(net.IPv4zero) {
			ip = net.IPv6zero
		}
		copy(wantIP[:], ip.To16())
		z := netZoneIndex(zone)
		if sa6.Addr != wantIP || sa6.Port != port || sa6.ZoneId != z || ia.ip != wantIP || ia.port != port || ia.zone != z {
			t.Fatalf("AF_INET6 %v %d %q: %#v, %+v", ip, port, zone, sa6, ia)
		}
	default:
		t.Fatalf("family %d: no error, %#v", family, sa)
	}
	if ia.family != family {
		t.Fatalf("setIP family %d, want %d", ia.family, family)
	}
	// sockaddr -> net.Addr -> sockaddr -> net.Addr.
	for _, sotype := range []int{unix.SOCK_STREAM, unix.SOCK_DGRAM, unix.SOCK_RAW} {
		a := sockaddrToAddr(sotype, sa)
		ip2, port2, zone2, ok := addrParts(a)
		if !ok {
			t.Fatalf("sockaddrToAddr(%d, %#v) = %#v", sotype, sa, a)
		}
		if sotype == unix.SOCK_RAW {
			port2 = port // an IPAddr has no port
		}
		sa2, err := ipToSockaddr(family, ip2, port2, zone2)
		if err != nil {
			t.Fatalf("round trip %#v -> %v: %v", sa, a, err)
		}
		if sotype == unix.SOCK_RAW {
			switch s := sa2.(type) {
			case *unix.SockaddrInet4:
				s.Port = sa.(*unix.SockaddrInet4).Port
			case *unix.SockaddrInet6:
				s.Port = sa.(*unix.SockaddrInet6).Port
			}
		}
		if !reflect.DeepEqual(sa2, sa) {
			t.Fatalf("round trip %#v -> %v -> %#v", sa, a, sa2)
		}
		if a2 := sockaddrToAddr(sotype, sa2); !reflect.DeepEqual(a2, a) {
			t.Fatalf("round trip %v -> %#v -> %v", a, sa2, a2)
		}
	}
}

// addrParts returns the IP, port and zone of an inet address.
func addrParts(a net.Addr) (net.IP, int, string, bool) {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP, a.Port, a.Zone, true
	case *net.UDPAddr:
		return a.IP, a.Port, a.Zone, true
	case *net.IPAddr:
		return a.IP, 0, a.Zone, true
	}
	return nil, 0, "", false
}

// checkAddrOf checks the net.Addr that sockaddrToAddr made of sa: its type
// is the socket type's, its fields are sa's, and absent is a nil interface.
func checkAddrOf(t *testing.T, sotype int, sa unix.Sockaddr, a net.Addr) {
	t.Helper()
	if isNilAddr(a) && a != nil {
		t.Fatalf("sockaddrToAddr(%d, %#v): a typed nil %#v", sotype, sa, a)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrUnix:
		ua, ok := a.(*net.UnixAddr)
		if !ok || ua.Name != sa.Name || ua.Net != unixNet(sotype) {
			t.Fatalf("sockaddrToAddr(%d, %#v) = %#v", sotype, sa, a)
		}
		return
	case *unix.SockaddrInet4, *unix.SockaddrInet6:
		want := map[int]string{unix.SOCK_STREAM: "*net.TCPAddr", unix.SOCK_DGRAM: "*net.UDPAddr", unix.SOCK_RAW: "*net.IPAddr"}[sotype]
		if got := reflect.TypeOf(a); want == "" && a != nil || want != "" && (got == nil || got.String() != want) {
			t.Fatalf("sockaddrToAddr(%d, %#v) = %#v, want a %s", sotype, sa, a, want)
		}
		if a == nil {
			return
		}
		ip, port, zone, _ := addrParts(a)
		var wantIP net.IP
		var wantPort int
		var wantZone string
		switch sa := sa.(type) {
		case *unix.SockaddrInet4:
			wantIP, wantPort = net.IP(sa.Addr[:]), sa.Port
		case *unix.SockaddrInet6:
			wantIP, wantPort, wantZone = net.IP(sa.Addr[:]), sa.Port, zoneName(sa.ZoneId)
		}
		if sotype == unix.SOCK_RAW {
			wantPort = 0
		}
		if !bytes.Equal(ip, wantIP) || port != wantPort || zone != wantZone {
			t.Fatalf("sockaddrToAddr(%d, %#v) = %v", sotype, sa, a)
		}
	case nil:
		if a != nil {
			t.Fatalf("sockaddrToAddr(%d, nil) = %#v", sotype, a)
		}
	}
}
