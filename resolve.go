//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"context"
	"net"
	"net/netip"
)

// afnetKind is the address kind of a network name.
type afnetKind int

const (
	kindTCP afnetKind = iota + 1
	kindUDP
	kindIP
	kindUnix
)

// parseNetwork checks a network name the way net does and reports its kind.
// "ip:proto" forms are accepted for kindIP; proto is validated later.
func parseNetwork(network string) (afnetKind, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
		return kindTCP, nil
	case "udp", "udp4", "udp6":
		return kindUDP, nil
	case "unix", "unixgram", "unixpacket":
		return kindUnix, nil
	}
	if afnet, _, err := splitIPNetwork(network); err == nil {
		switch afnet {
		case "ip", "ip4", "ip6":
			return kindIP, nil
		}
	}
	return 0, net.UnknownNetworkError(network)
}

// splitIPNetwork splits "ip4:icmp" into "ip4" and "icmp".
func splitIPNetwork(network string) (afnet, proto string, err error) {
	for i := 0; i < len(network); i++ {
		if network[i] == ':' {
			return network[:i], network[i+1:], nil
		}
	}
	return network, "", nil
}

// resolveAddrList resolves address for op ("dial" or "listen") on network into
// the addresses net would try, with net's errors for bad input. Names are
// resolved by r (net's own resolver); nothing of DNS is re-implemented.
func resolveAddrList(ctx context.Context, r *net.Resolver, op, network, address string) ([]net.Addr, error) {
	kind, err := parseNetwork(network)
	if err != nil {
		return nil, err
	}
	if kind == kindIP {
		// net checks the protocol while resolving, before the address: a
		// network without one ("ip4") is unknown, a bad one (also "ip4:")
		// net's own error, which ResolveIPAddr returns without a lookup for
		// an empty address.
		if afnet, _, _ := splitIPNetwork(network); afnet == network {
			return nil, net.UnknownNetworkError(network) // "ip4", no colon
		}
		if _, err := net.ResolveIPAddr(network, ""); err != nil {
			return nil, err
		}
	}
	if op == "dial" && address == "" {
		return nil, errMissingAddress
	}
	switch kind {
	case kindUnix:
		a, err := net.ResolveUnixAddr(network, address)
		if err != nil {
			return nil, err
		}
		return []net.Addr{a}, nil
	case kindIP:
		afnet, _, _ := splitIPNetwork(network)
		return resolveInet(ctx, r, op, kind, afnet, address, false)
	}
	return resolveInet(ctx, r, op, kind, network, address, true)
}

// resolveInet is net's internetAddrList followed by filterAddrList.
func resolveInet(ctx context.Context, r *net.Resolver, op string, kind afnetKind, network, address string, hasPort bool) ([]net.Addr, error) {
	if r == nil {
		r = net.DefaultResolver
	}
	host, port := address, 0
	if hasPort && address != "" {
		h, p, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		if port, err = r.LookupPort(ctx, network, p); err != nil {
			return nil, err
		}
		host = h
	}
	mk := func(ip net.IP, zone string) net.Addr {
		switch kind {
		case kindTCP:
			return &net.TCPAddr{IP: ip, Port: port, Zone: zone}
		case kindUDP:
			return &net.UDPAddr{IP: ip, Port: port, Zone: zone}
		}
		return &net.IPAddr{IP: ip, Zone: zone}
	}
	if host == "" {
		return []net.Addr{mk(nil, "")}, nil
	}
	var ips []net.IPAddr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []net.IPAddr{{IP: net.IP(ip.AsSlice()), Zone: ip.Zone()}}
	} else {
		if ips, err = r.LookupIPAddr(ctx, host); err != nil {
			return nil, err
		}
	}
	if len(ips) == 1 && ips[0].IP.Equal(net.IPv6unspecified) {
		// As net (Go issue 18806): "::" also means 0.0.0.0, for a machine
		// that can bind "::" but not connect to it, and for tcp4 and udp4.
		ips = append(ips, net.IPAddr{IP: net.IPv4zero})
	}
	var want func(net.IP) bool
	switch network[len(network)-1] {
	case '4':
		want = func(ip net.IP) bool { return ip.To4() != nil }
	case '6':
		want = func(ip net.IP) bool { return len(ip) == net.IPv6len && ip.To4() == nil }
	}
	var addrs []net.Addr
	for _, ia := range ips {
		if want == nil || want(ia.IP) {
			addrs = append(addrs, mk(ia.IP, ia.Zone))
		}
	}
	if len(addrs) == 0 {
		return nil, &net.AddrError{Err: "no suitable address found", Addr: host}
	}
	if op == "listen" {
		// Listen on one address: the first IPv4 one, else the first, as net.
		for _, a := range addrs {
			if isIPv4Addr(a) {
				return []net.Addr{a}, nil
			}
		}
		return addrs[:1], nil
	}
	return addrs, nil
}

// filterAddrList applies a Dialer's LocalAddr (hint) to the resolved
// addresses, as net's resolveAddrList does: every address must be of the
// hint's network, and a specific local IP keeps only its own family.
func filterAddrList(addrs []net.Addr, hint net.Addr) ([]net.Addr, error) {
	if hint == nil {
		return addrs, nil
	}
	var hintIP net.IP
	switch h := hint.(type) {
	case *net.TCPAddr:
		if h != nil {
			hintIP = h.IP
		}
	case *net.UDPAddr:
		if h != nil {
			hintIP = h.IP
		}
	case *net.IPAddr:
		if h != nil {
			hintIP = h.IP
		}
	}
	wildcard := hintIP == nil || hintIP.IsUnspecified()
	var naddrs []net.Addr
	for _, a := range addrs {
		if a.Network() != hint.Network() {
			return nil, &net.AddrError{Err: "mismatched local address type", Addr: hint.String()}
		}
		switch a.(type) {
		case *net.TCPAddr, *net.UDPAddr, *net.IPAddr:
			ip := addrIP(a)
			if !wildcard && ip != nil && !ip.IsUnspecified() && !matchAddrFamily(ip, hintIP) {
				continue
			}
		}
		naddrs = append(naddrs, a)
	}
	if len(naddrs) == 0 {
		return nil, &net.AddrError{Err: "no suitable address found", Addr: hint.String()}
	}
	return naddrs, nil
}

// matchAddrFamily reports whether ip and x are both IPv4 or both IPv6.
func matchAddrFamily(ip, x net.IP) bool {
	return ip.To4() != nil && x.To4() != nil || ip.To16() != nil && ip.To4() == nil && x.To16() != nil && x.To4() == nil
}

// addrIP returns the IP of an inet address.
func addrIP(a net.Addr) net.IP {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP
	case *net.UDPAddr:
		return a.IP
	case *net.IPAddr:
		return a.IP
	}
	return nil
}

func isIPv4Addr(a net.Addr) bool { return addrIP(a).To4() != nil }

// partition splits addrs into the ones of the first address's family and
// the others, for Happy Eyeballs (RFC 6555).
func partition(addrs []net.Addr) (primaries, fallbacks []net.Addr) {
	if len(addrs) == 1 {
		return addrs, nil // the common case, without a copy
	}
	var primaryV4 bool
	for i, a := range addrs {
		v4 := isIPv4Addr(a)
		if i == 0 {
			primaryV4 = v4
		}
		if v4 == primaryV4 {
			primaries = append(primaries, a)
		} else {
			fallbacks = append(fallbacks, a)
		}
	}
	return primaries, fallbacks
}
