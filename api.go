package evnet

// This file re-exports the part of package net that evnet does not
// implement itself: addresses, errors, interfaces, resolvers and helpers.
// Types are aliases, so values flow freely between code that imports net and
// code that imports evnet: type switches, errors.As and errors.Is see the very
// same types and sentinels. Functions are plain forwarders. The sockets
// (TCPConn, Dialer, Listen, ...) are declared elsewhere in this package: by
// evnet's own implementation on unix, and by api_other.go elsewhere.

import (
	"net"
	"net/netip"
)

// Addresses.

// Addr is net.Addr, a network end point address.
type Addr = net.Addr

// IPAddr is net.IPAddr, the address of an IP end point.
type IPAddr = net.IPAddr

// TCPAddr is net.TCPAddr, the address of a TCP end point.
type TCPAddr = net.TCPAddr

// UDPAddr is net.UDPAddr, the address of a UDP end point.
type UDPAddr = net.UDPAddr

// UnixAddr is net.UnixAddr, the address of a Unix domain socket end point.
type UnixAddr = net.UnixAddr

// TCPAddrFromAddrPort is net.TCPAddrFromAddrPort.
func TCPAddrFromAddrPort(addr netip.AddrPort) *TCPAddr {
	return net.TCPAddrFromAddrPort(addr)
}

// UDPAddrFromAddrPort is net.UDPAddrFromAddrPort.
func UDPAddrFromAddrPort(addr netip.AddrPort) *UDPAddr {
	return net.UDPAddrFromAddrPort(addr)
}

// ResolveIPAddr is net.ResolveIPAddr. A host name is looked up with
// net.DefaultResolver.
func ResolveIPAddr(network, address string) (*IPAddr, error) {
	return net.ResolveIPAddr(network, address)
}

// ResolveTCPAddr is net.ResolveTCPAddr. A host name is looked up with
// net.DefaultResolver.
func ResolveTCPAddr(network, address string) (*TCPAddr, error) {
	return net.ResolveTCPAddr(network, address)
}

// ResolveUDPAddr is net.ResolveUDPAddr. A host name is looked up with
// net.DefaultResolver.
func ResolveUDPAddr(network, address string) (*UDPAddr, error) {
	return net.ResolveUDPAddr(network, address)
}

// ResolveUnixAddr is net.ResolveUnixAddr.
func ResolveUnixAddr(network, address string) (*UnixAddr, error) {
	return net.ResolveUnixAddr(network, address)
}

// SplitHostPort is net.SplitHostPort.
func SplitHostPort(hostport string) (host, port string, err error) {
	return net.SplitHostPort(hostport)
}

// JoinHostPort is net.JoinHostPort.
func JoinHostPort(host, port string) string {
	return net.JoinHostPort(host, port)
}

// Generic interfaces. evnet's connections and listeners implement them.

// Conn is net.Conn, a generic stream-oriented network connection.
type Conn = net.Conn

// PacketConn is net.PacketConn, a generic packet-oriented network connection.
type PacketConn = net.PacketConn

// Listener is net.Listener, a generic network listener for stream-oriented
// protocols.
type Listener = net.Listener

// Pipe is net.Pipe: a synchronous, in-memory, full duplex connection. It uses
// no socket and no event loop.
func Pipe() (Conn, Conn) {
	return net.Pipe()
}

// KeepAliveConfig is net.KeepAliveConfig, the TCP keep-alive options.
type KeepAliveConfig = net.KeepAliveConfig

// Errors. evnet returns these very types and sentinels, so errors.Is and
// errors.As work the same against net's and evnet's names.

// Error is net.Error, a network error that may report a timeout.
type Error = net.Error

// OpError is net.OpError, the error type usually returned by the functions and
// methods of this package.
type OpError = net.OpError

// AddrError is net.AddrError, an error about an address.
type AddrError = net.AddrError

// InvalidAddrError is net.InvalidAddrError.
type InvalidAddrError = net.InvalidAddrError

// UnknownNetworkError is net.UnknownNetworkError, the error for an unknown
// network name.
type UnknownNetworkError = net.UnknownNetworkError

// ParseError is net.ParseError, the error type of literal address parsers.
type ParseError = net.ParseError

// DNSError is net.DNSError, the error of a DNS lookup.
type DNSError = net.DNSError

// DNSConfigError is net.DNSConfigError, an error reading the machine's DNS
// configuration.
type DNSConfigError = net.DNSConfigError

// ErrClosed is net.ErrClosed, the error returned by an I/O call on a
// connection or listener that is already closed, or that is closed while
// the call is blocked. It is the same value, not a copy.
var ErrClosed = net.ErrClosed

// ErrWriteToConnected is net.ErrWriteToConnected, the error returned by
// WriteTo-style methods on a connected packet socket. It is the same value,
// not a copy.
var ErrWriteToConnected = net.ErrWriteToConnected

// IP addresses and masks.

// IPv4len is net.IPv4len, the length in bytes of an IPv4 address.
const IPv4len = net.IPv4len

// IPv6len is net.IPv6len, the length in bytes of an IPv6 address.
const IPv6len = net.IPv6len

// IP is net.IP, a single IP address as a slice of bytes.
type IP = net.IP

// IPMask is net.IPMask, a bitmask used to manipulate IP addresses.
type IPMask = net.IPMask

// IPNet is net.IPNet, an IP network.
type IPNet = net.IPNet

// Well-known IPv4 addresses. Each variable shares its backing array with the
// net variable of the same name.
var (
	// IPv4bcast is net.IPv4bcast, the limited broadcast address.
	IPv4bcast = net.IPv4bcast
	// IPv4allsys is net.IPv4allsys, the all systems multicast address.
	IPv4allsys = net.IPv4allsys
	// IPv4allrouter is net.IPv4allrouter, the all routers multicast address.
	IPv4allrouter = net.IPv4allrouter
	// IPv4zero is net.IPv4zero, the all zeros address.
	IPv4zero = net.IPv4zero
)

// Well-known IPv6 addresses. Each variable shares its backing array with the
// net variable of the same name.
var (
	// IPv6zero is net.IPv6zero, the all zeros address.
	IPv6zero = net.IPv6zero
	// IPv6unspecified is net.IPv6unspecified, the unspecified address "::".
	IPv6unspecified = net.IPv6unspecified
	// IPv6loopback is net.IPv6loopback, the loopback address "::1".
	IPv6loopback = net.IPv6loopback
	// IPv6interfacelocalallnodes is net.IPv6interfacelocalallnodes.
	IPv6interfacelocalallnodes = net.IPv6interfacelocalallnodes
	// IPv6linklocalallnodes is net.IPv6linklocalallnodes.
	IPv6linklocalallnodes = net.IPv6linklocalallnodes
	// IPv6linklocalallrouters is net.IPv6linklocalallrouters.
	IPv6linklocalallrouters = net.IPv6linklocalallrouters
)

// IPv4 is net.IPv4: it returns the 16-byte form of the IPv4 address a.b.c.d.
func IPv4(a, b, c, d byte) IP {
	return net.IPv4(a, b, c, d)
}

// IPv4Mask is net.IPv4Mask: it returns the 4-byte IPv4 mask a.b.c.d.
func IPv4Mask(a, b, c, d byte) IPMask {
	return net.IPv4Mask(a, b, c, d)
}

// CIDRMask is net.CIDRMask: it returns a mask of ones ones out of bits bits.
func CIDRMask(ones, bits int) IPMask {
	return net.CIDRMask(ones, bits)
}

// ParseIP is net.ParseIP.
func ParseIP(s string) IP {
	return net.ParseIP(s)
}

// ParseCIDR is net.ParseCIDR.
func ParseCIDR(s string) (IP, *IPNet, error) {
	return net.ParseCIDR(s)
}

// Network interfaces.

// Interface is net.Interface, a network interface of the machine.
type Interface = net.Interface

// Flags is net.Flags, the flags of a network interface.
type Flags = net.Flags

// The flags of a network interface, as in net.
const (
	// FlagUp is net.FlagUp: the interface is administratively up.
	FlagUp = net.FlagUp
	// FlagBroadcast is net.FlagBroadcast: the interface supports broadcast.
	FlagBroadcast = net.FlagBroadcast
	// FlagLoopback is net.FlagLoopback: the interface is a loopback interface.
	FlagLoopback = net.FlagLoopback
	// FlagPointToPoint is net.FlagPointToPoint: the interface belongs to a
	// point-to-point link.
	FlagPointToPoint = net.FlagPointToPoint
	// FlagMulticast is net.FlagMulticast: the interface supports multicast.
	FlagMulticast = net.FlagMulticast
	// FlagRunning is net.FlagRunning: the interface is in the running state.
	FlagRunning = net.FlagRunning
)

// HardwareAddr is net.HardwareAddr, a physical hardware address.
type HardwareAddr = net.HardwareAddr

// ParseMAC is net.ParseMAC.
func ParseMAC(s string) (hw HardwareAddr, err error) {
	return net.ParseMAC(s)
}

// Interfaces is net.Interfaces: it returns the machine's network interfaces.
func Interfaces() ([]Interface, error) {
	return net.Interfaces()
}

// InterfaceByIndex is net.InterfaceByIndex.
func InterfaceByIndex(index int) (*Interface, error) {
	return net.InterfaceByIndex(index)
}

// InterfaceByName is net.InterfaceByName.
func InterfaceByName(name string) (*Interface, error) {
	return net.InterfaceByName(name)
}

// InterfaceAddrs is net.InterfaceAddrs: it returns the machine's unicast
// interface addresses.
func InterfaceAddrs() ([]Addr, error) {
	return net.InterfaceAddrs()
}

// Name resolution. evnet has no resolver of its own: lookups run in package
// net, on net's sockets (or the C library), not on evnet's event loop.

// Resolver is net.Resolver, a name and address resolver.
//
// Its Dial field, when set, may return an evnet connection, since evnet's
// connections implement Conn.
type Resolver = net.Resolver

// DefaultResolver is net.DefaultResolver. It starts out as the same pointer,
// so a change to the resolver's fields is seen by both packages, but
// assigning a new resolver to one variable does not change the other.
var DefaultResolver = net.DefaultResolver

// MX is net.MX, a single DNS MX record.
type MX = net.MX

// NS is net.NS, a single DNS NS record.
type NS = net.NS

// SRV is net.SRV, a single DNS SRV record.
type SRV = net.SRV

// LookupHost is net.LookupHost.
func LookupHost(host string) (addrs []string, err error) {
	return net.LookupHost(host)
}

// LookupIP is net.LookupIP.
func LookupIP(host string) ([]IP, error) {
	return net.LookupIP(host)
}

// LookupPort is net.LookupPort.
func LookupPort(network, service string) (port int, err error) {
	return net.LookupPort(network, service)
}

// LookupCNAME is net.LookupCNAME.
func LookupCNAME(host string) (cname string, err error) {
	return net.LookupCNAME(host)
}

// LookupSRV is net.LookupSRV.
func LookupSRV(service, proto, name string) (cname string, addrs []*SRV, err error) {
	return net.LookupSRV(service, proto, name)
}

// LookupMX is net.LookupMX.
func LookupMX(name string) ([]*MX, error) {
	return net.LookupMX(name)
}

// LookupNS is net.LookupNS.
func LookupNS(name string) ([]*NS, error) {
	return net.LookupNS(name)
}

// LookupTXT is net.LookupTXT.
func LookupTXT(name string) ([]string, error) {
	return net.LookupTXT(name)
}

// LookupAddr is net.LookupAddr: a reverse lookup.
func LookupAddr(addr string) (names []string, err error) {
	return net.LookupAddr(addr)
}
