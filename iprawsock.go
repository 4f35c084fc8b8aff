//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// IPConn is a raw IP socket on evnet's loop. It has the method set of
// net.IPConn and implements net.Conn and net.PacketConn. It is safe for
// concurrent use. Creating one usually needs privileges (CAP_NET_RAW).
//
// It is evnet's own type, not net.IPConn: assert *evnet.IPConn.
type IPConn struct {
	conn
}

func newIPConn(fd *netFD) *IPConn { return &IPConn{conn{fd}} }

// ReadFromIP acts like ReadFrom but returns a *net.IPAddr.
func (c *IPConn) ReadFromIP(b []byte) (int, *net.IPAddr, error) {
	if !c.ok() {
		return 0, nil, syscall.EINVAL
	}
	var from inetAddr
	n, err := c.fd.readFromInet(b, &from)
	addr := from.ipAddr()
	if from.family == unix.AF_INET {
		n = stripIPv4Header(n, b)
	}
	if err != nil {
		err = opError("read", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return n, addr, err
}

// ReadFrom implements the net.PacketConn ReadFrom method. As in net, the
// IPv4 header is removed from what an IPv4 socket reads (Read keeps it).
func (c *IPConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := c.ReadFromIP(b)
	if addr == nil {
		return n, nil, err // a nil interface, never a typed nil
	}
	return n, addr, err
}

// stripIPv4Header removes the IPv4 header at the start of b[:n], as net's.
func stripIPv4Header(n int, b []byte) int {
	if len(b) < 20 {
		return n
	}
	l := int(b[0]&0x0f) << 2
	if 20 > l || l > len(b) {
		return n
	}
	if b[0]>>4 != 4 {
		return n
	}
	copy(b, b[l:])
	return n - l
}

// ReadMsgIP reads a message from c, copying the payload into b and the
// associated out-of-band data into oob; see net.IPConn.ReadMsgIP.
func (c *IPConn) ReadMsgIP(b, oob []byte) (n, oobn, flags int, addr *net.IPAddr, err error) {
	if !c.ok() {
		return 0, 0, 0, nil, syscall.EINVAL
	}
	var from inetAddr
	n, oobn, flags, err = c.fd.readMsgInet(b, oob, 0, &from)
	addr = from.ipAddr()
	if err != nil {
		err = opError("read", c.fd.net, c.fd.laddr, c.fd.raddr, err)
	}
	return
}

// ipDestination converts a destination as net's IPConn writers check it: a
// connected socket takes none, not even through WriteMsgIP.
func (c *IPConn) ipDestination(addr *net.IPAddr) (unix.Sockaddr, error) {
	if c.fd.connected() {
		return nil, net.ErrWriteToConnected
	}
	if addr == nil {
		return nil, errMissingAddress
	}
	return ipToSockaddr(c.fd.family, addr.IP, 0, addr.Zone)
}

// WriteToIP acts like WriteTo but takes a *net.IPAddr.
func (c *IPConn) WriteToIP(b []byte, addr *net.IPAddr) (int, error) {
	n, _, err := c.writeMsg(b, nil, addr, false)
	return n, err
}

// WriteTo implements the net.PacketConn WriteTo method. An addr that is not
// a *net.IPAddr fails with syscall.EINVAL, as in net.
func (c *IPConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if !c.ok() {
		return 0, syscall.EINVAL
	}
	a, ok := addr.(*net.IPAddr)
	if !ok {
		return 0, opError("write", c.fd.net, c.fd.laddr, addr, syscall.EINVAL)
	}
	return c.WriteToIP(b, a)
}

// WriteMsgIP writes a message to addr with the out-of-band data oob; see
// net.IPConn.WriteMsgIP.
func (c *IPConn) WriteMsgIP(b, oob []byte, addr *net.IPAddr) (n, oobn int, err error) {
	return c.writeMsg(b, oob, addr, true)
}

// writeMsg sends b to addr with sendto, or with sendmsg when msg is set.
func (c *IPConn) writeMsg(b, oob []byte, addr *net.IPAddr, msg bool) (n, oobn int, err error) {
	if !c.ok() {
		return 0, 0, syscall.EINVAL
	}
	sa, err := c.ipDestination(addr)
	if err == nil {
		if msg {
			n, oobn, err = c.fd.writeMsg(b, oob, sa)
		} else {
			n, err = c.fd.writeTo(b, sa)
		}
	}
	if err != nil {
		err = opError("write", c.fd.net, c.fd.laddr, ipOpAddr(addr), err)
	}
	return n, oobn, err
}

// ipOpAddr turns a nil *IPAddr into a nil net.Addr.
func ipOpAddr(a *net.IPAddr) net.Addr {
	if a == nil {
		return nil
	}
	return a
}

// ipAddrFromAddr is net's: an invalid Addr becomes an IPAddr with a nil IP.
func ipAddrFromAddr(a netip.Addr) *net.IPAddr {
	return &net.IPAddr{IP: a.AsSlice(), Zone: a.Zone()}
}

// DialIP connects to raddr from laddr, which may be nil; see net.DialIP.
// network is "ip", "ip4" or "ip6" followed by a colon and a protocol number
// or name, such as "ip4:icmp".
func DialIP(network string, laddr, raddr *net.IPAddr) (*IPConn, error) {
	return dialIPContext(context.Background(), &Dialer{}, network, laddr, raddr)
}

// DialIP acts like Dial for IP networks using ctx; see net.Dialer.DialIP. As
// in net, an invalid laddr or raddr means the unspecified address. A nil ctx
// is an error, where net panics.
func (d *Dialer) DialIP(ctx context.Context, network string, laddr, raddr netip.Addr) (*IPConn, error) {
	if ctx == nil {
		return nil, opError("dial", network, nil, nil, errNilContext)
	}
	ctx, cancel := d.dialCtx(ctx)
	defer cancel()
	return dialIPContext(ctx, d, network, ipAddrFromAddr(laddr), ipAddrFromAddr(raddr))
}

func dialIPContext(ctx context.Context, d *Dialer, network string, laddr, raddr *net.IPAddr) (*IPConn, error) {
	if raddr == nil {
		return nil, opError("dial", network, ipOpAddr(laddr), nil, errMissingAddress)
	}
	c, err := d.dialIP(ctx, network, laddr, raddr)
	if err != nil {
		return nil, opError("dial", network, ipOpAddr(laddr), raddr, err)
	}
	return c, nil
}

// dialIP creates a raw socket connected to raddr; the error is unwrapped.
func (d *Dialer) dialIP(ctx context.Context, network string, laddr, raddr *net.IPAddr) (*IPConn, error) {
	afnet, proto, err := parseIPNetwork(network)
	if err != nil {
		return nil, err
	}
	fd, err := packetSocket(ctx, afnet, afnet, unix.SOCK_RAW, proto, ipOpAddr(laddr), raddr, d.ctrl())
	if err != nil {
		return nil, err
	}
	return newIPConn(fd), nil
}

// ListenIP listens for IP packets of the protocol in network on laddr,
// which may be nil; see net.ListenIP.
func ListenIP(network string, laddr *net.IPAddr) (*IPConn, error) {
	if laddr == nil {
		laddr = &net.IPAddr{}
	}
	var lc ListenConfig
	c, err := lc.listenIP(context.Background(), network, laddr)
	if err != nil {
		return nil, opError("listen", network, nil, laddr, err)
	}
	return c, nil
}

// listenIP creates a raw socket bound to laddr; the error is unwrapped.
func (lc *ListenConfig) listenIP(ctx context.Context, network string, laddr *net.IPAddr) (*IPConn, error) {
	afnet, proto, err := parseIPNetwork(network)
	if err != nil {
		return nil, err
	}
	fd, err := packetSocket(ctx, afnet, afnet, unix.SOCK_RAW, proto, laddr, nil, lc.ctrl())
	if err != nil {
		return nil, err
	}
	return newIPConn(fd), nil
}

// parseIPNetwork splits "ip4:icmp" or "ip6:58" into the address family
// network and the protocol number, with net's errors: a network without a
// protocol, or not of the ip family, is an UnknownNetworkError.
func parseIPNetwork(network string) (afnet string, proto int, err error) {
	i := strings.LastIndexByte(network, ':')
	if i < 0 {
		return "", 0, net.UnknownNetworkError(network)
	}
	afnet = network[:i]
	switch afnet {
	case "ip", "ip4", "ip6":
	default:
		return "", 0, net.UnknownNetworkError(network)
	}
	protostr := network[i+1:]
	if proto, n, ok := dtoi(protostr); ok && n == len(protostr) {
		return afnet, proto, nil
	}
	if proto, err = lookupProtocol(protostr); err != nil {
		return "", 0, err
	}
	return afnet, proto, nil
}

// dtoi parses a decimal prefix of s as net's dtoi: n, the bytes used, and
// false when there is none or it is too big.
func dtoi(s string) (n int, i int, ok bool) {
	const big = 0xFFFFFF
	for i = 0; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
		if n >= big {
			return big, i, false
		}
	}
	if i == 0 {
		return 0, 0, false
	}
	return n, i, true
}

// protocols maps protocol names to numbers: net's built-in table augmented
// once by /etc/protocols, names kept as written, as net's readProtocols.
var protocols = sync.OnceValue(func() map[string]int {
	m := map[string]int{"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "ipv6-icmp": 58}
	f, err := os.Open("/etc/protocols")
	if err != nil {
		return m // as net: the built-in table is enough without the file
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if proto, _, ok := dtoi(f[1]); ok {
			for _, name := range append(f[:1:1], f[2:]...) {
				if _, ok := m[name]; !ok {
					m[name] = proto
				}
			}
		}
	}
	return m
})

// lowerASCII lower-cases the ASCII letters of s only, as net does.
func lowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}, s)
}

// lookupProtocol returns the number of a protocol name, ignoring case, with
// net's error for an unknown one.
func lookupProtocol(name string) (int, error) {
	const maxProtoLength = len("RSVP-E2E-IGNORE") + 10
	if len(name) <= maxProtoLength {
		if proto, ok := protocols()[lowerASCII(name)]; ok {
			return proto, nil
		}
	}
	return 0, &net.AddrError{Err: "unknown IP protocol specified", Addr: name}
}
