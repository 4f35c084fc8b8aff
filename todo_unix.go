//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"context"
	"net"

	"golang.org/x/sys/unix"
)

// Placeholders until Unix sockets land (issue 4); the file goes then.

type UnixConn struct{ conn }
type UnixListener struct{ fd *netFD }

func (l *UnixListener) Accept() (net.Conn, error) { return nil, unix.EOPNOTSUPP }
func (l *UnixListener) Close() error              { return unix.EOPNOTSUPP }
func (l *UnixListener) Addr() net.Addr            { return nil }

func (d *Dialer) dialUnix(ctx context.Context, network string, la, ra *net.UnixAddr) (*UnixConn, error) {
	return nil, unix.EOPNOTSUPP
}
func (lc *ListenConfig) listenUnix(ctx context.Context, network string, la *net.UnixAddr) (*UnixListener, error) {
	return nil, unix.EOPNOTSUPP
}
func (lc *ListenConfig) listenUnixgram(ctx context.Context, network string, la *net.UnixAddr) (*UnixConn, error) {
	return nil, unix.EOPNOTSUPP
}
