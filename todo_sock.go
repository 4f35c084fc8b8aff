//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

// Placeholders until UDP, IP and Unix sockets land (issue 4). Each returns
// net's error for an unsupported operation.

import (
	"context"
	"net"

	"golang.org/x/sys/unix"
)

type UDPConn struct{ conn }
type IPConn struct{ conn }
type UnixConn struct{ conn }
type UnixListener struct{ fd *netFD }

func (l *UnixListener) Accept() (net.Conn, error) { return nil, unix.EOPNOTSUPP }
func (l *UnixListener) Close() error              { return unix.EOPNOTSUPP }
func (l *UnixListener) Addr() net.Addr            { return nil }

func (d *Dialer) dialUDP(ctx context.Context, network string, la, ra *net.UDPAddr) (*UDPConn, error) {
	return nil, unix.EOPNOTSUPP
}
func (d *Dialer) dialIP(ctx context.Context, network string, la, ra *net.IPAddr) (*IPConn, error) {
	return nil, unix.EOPNOTSUPP
}
func (d *Dialer) dialUnix(ctx context.Context, network string, la, ra *net.UnixAddr) (*UnixConn, error) {
	return nil, unix.EOPNOTSUPP
}
func (lc *ListenConfig) listenUnix(ctx context.Context, network string, la *net.UnixAddr) (*UnixListener, error) {
	return nil, unix.EOPNOTSUPP
}
