//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package evnet

// This file is the fallback for platforms without an evnet selector (windows,
// js/wasm, wasip1, plan9), in the spirit of runtime/netpoll_stub.go: every
// identifier that evnet implements itself on unix is package net's own here,
// so a program that imports evnet still builds and behaves exactly as with net.

import (
	"net"
	"os"
	"time"
)

// TCPConn is net.TCPConn on this platform.
type TCPConn = net.TCPConn

// TCPListener is net.TCPListener on this platform.
type TCPListener = net.TCPListener

// UDPConn is net.UDPConn on this platform.
type UDPConn = net.UDPConn

// UnixConn is net.UnixConn on this platform.
type UnixConn = net.UnixConn

// UnixListener is net.UnixListener on this platform.
type UnixListener = net.UnixListener

// IPConn is net.IPConn on this platform.
type IPConn = net.IPConn

// Dialer is net.Dialer on this platform.
type Dialer = net.Dialer

// ListenConfig is net.ListenConfig on this platform.
type ListenConfig = net.ListenConfig

// Buffers is net.Buffers on this platform.
type Buffers = net.Buffers

// Dial is net.Dial on this platform.
func Dial(network, address string) (Conn, error) {
	return net.Dial(network, address)
}

// DialTimeout is net.DialTimeout on this platform.
func DialTimeout(network, address string, timeout time.Duration) (Conn, error) {
	return net.DialTimeout(network, address, timeout)
}

// DialTCP is net.DialTCP on this platform.
func DialTCP(network string, laddr, raddr *TCPAddr) (*TCPConn, error) {
	return net.DialTCP(network, laddr, raddr)
}

// DialUDP is net.DialUDP on this platform.
func DialUDP(network string, laddr, raddr *UDPAddr) (*UDPConn, error) {
	return net.DialUDP(network, laddr, raddr)
}

// DialUnix is net.DialUnix on this platform.
func DialUnix(network string, laddr, raddr *UnixAddr) (*UnixConn, error) {
	return net.DialUnix(network, laddr, raddr)
}

// DialIP is net.DialIP on this platform.
func DialIP(network string, laddr, raddr *IPAddr) (*IPConn, error) {
	return net.DialIP(network, laddr, raddr)
}

// Listen is net.Listen on this platform.
func Listen(network, address string) (Listener, error) {
	return net.Listen(network, address)
}

// ListenTCP is net.ListenTCP on this platform.
func ListenTCP(network string, laddr *TCPAddr) (*TCPListener, error) {
	return net.ListenTCP(network, laddr)
}

// ListenUDP is net.ListenUDP on this platform.
func ListenUDP(network string, laddr *UDPAddr) (*UDPConn, error) {
	return net.ListenUDP(network, laddr)
}

// ListenUnix is net.ListenUnix on this platform.
func ListenUnix(network string, laddr *UnixAddr) (*UnixListener, error) {
	return net.ListenUnix(network, laddr)
}

// ListenUnixgram is net.ListenUnixgram on this platform.
func ListenUnixgram(network string, laddr *UnixAddr) (*UnixConn, error) {
	return net.ListenUnixgram(network, laddr)
}

// ListenPacket is net.ListenPacket on this platform.
func ListenPacket(network, address string) (PacketConn, error) {
	return net.ListenPacket(network, address)
}

// ListenIP is net.ListenIP on this platform.
func ListenIP(network string, laddr *IPAddr) (*IPConn, error) {
	return net.ListenIP(network, laddr)
}

// ListenMulticastUDP is net.ListenMulticastUDP on this platform.
func ListenMulticastUDP(network string, ifi *Interface, gaddr *UDPAddr) (*UDPConn, error) {
	return net.ListenMulticastUDP(network, ifi, gaddr)
}

// FileConn is net.FileConn on this platform.
func FileConn(f *os.File) (c Conn, err error) {
	return net.FileConn(f)
}

// FileListener is net.FileListener on this platform.
func FileListener(f *os.File) (ln Listener, err error) {
	return net.FileListener(f)
}

// FilePacketConn is net.FilePacketConn on this platform.
func FilePacketConn(f *os.File) (c PacketConn, err error) {
	return net.FilePacketConn(f)
}
