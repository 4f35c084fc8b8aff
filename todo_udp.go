//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"context"
	"net"

	"golang.org/x/sys/unix"
)

// Placeholders until UDP and IP sockets land (issue 4); the file goes then.

type UDPConn struct{ conn }
type IPConn struct{ conn }

func (d *Dialer) dialUDP(ctx context.Context, network string, la, ra *net.UDPAddr) (*UDPConn, error) {
	return nil, unix.EOPNOTSUPP
}
func (d *Dialer) dialIP(ctx context.Context, network string, la, ra *net.IPAddr) (*IPConn, error) {
	return nil, unix.EOPNOTSUPP
}
