package evnet

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// loopbackInterface returns the loopback interface if it is up and
// multicast-capable (in a fresh network namespace: `ip link set lo
// multicast on`), else nil.
func loopbackInterface(t *testing.T) *net.Interface {
	ifs, err := net.Interfaces()
	require.NoError(t, err)
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagLoopback != 0 && ifi.Flags&net.FlagUp != 0 && ifi.Flags&net.FlagMulticast != 0 {
			return &ifi
		}
	}
	return nil
}

// sockoptInt reads an int socket option through SyscallConn.
func sockoptInt(t *testing.T, c udpConnAPI, level, opt int) int {
	rc, err := c.SyscallConn()
	require.NoError(t, err)
	var v int
	var gerr error
	require.NoError(t, rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), level, opt) }))
	require.NoError(t, gerr)
	return v
}

// TestListenMulticastUDP compares ListenMulticastUDP with net's: errors,
// the socket options it sets and the bound address. Where lo is
// multicast-capable it joins a group on lo and receives a datagram sent
// with IP_MULTICAST_IF=lo and TTL 0, so nothing leaves the machine.
func TestListenMulticastUDP(t *testing.T) {
	lo := loopbackInterface(t)
	group := net.IPv4(239, 255, 7, 7).To4()
	differential(t, func(t *testing.T, s udpStack) string {
		var out []string
		for _, tt := range []struct {
			network string
			ifi     *net.Interface
			gaddr   *net.UDPAddr
		}{
			{"udp4", nil, nil},
			{"udp4", nil, &net.UDPAddr{Port: 1}},
			{"tcp", nil, &net.UDPAddr{IP: group}},
			{"udp4", nil, &net.UDPAddr{IP: loopback4.IP}},                                // not a group: the join fails
			{"udp6", nil, &net.UDPAddr{IP: group}},                                       // an IPv4 group on an IPv6 socket
			{"udp4", &net.Interface{Index: 1 << 20, Name: "x"}, &net.UDPAddr{IP: group}}, // no such interface
		} {
			c, err := s.multicast(tt.network, tt.ifi, tt.gaddr)
			if c != nil {
				c.Close()
			}
			out = append(out, errShape(err))
		}
		c, err := s.multicast("udp4", lo, &net.UDPAddr{IP: group})
		if err != nil {
			return strings.Join(append(out, errShape(err)), " | ")
		}
		defer c.Close()
		out = append(out, fmt.Sprint("reuseaddr=", sockoptInt(t, c, unix.SOL_SOCKET, unix.SO_REUSEADDR),
			" loop=", sockoptInt(t, c, unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP),
			" broadcast=", sockoptInt(t, c, unix.SOL_SOCKET, unix.SO_BROADCAST), " ", addrShape(c.LocalAddr())))
		if lo == nil {
			return strings.Join(out, " | ")
		}
		out = append(out, multicastToSelf(t, c, lo, group))
		return strings.Join(out, " | ")
	})
}

// multicastToSelf sends one datagram to the group c joined, on lo only.
func multicastToSelf(t *testing.T, c udpConnAPI, lo *net.Interface, group net.IP) string {
	snd, err := ListenUDP("udp4", loopback4)
	require.NoError(t, err)
	defer snd.Close()
	require.NoError(t, snd.fd.control(func(s int) error {
		if err := unix.SetsockoptIPMreqn(s, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, &unix.IPMreqn{Ifindex: int32(lo.Index)}); err != nil {
			return err
		}
		return unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, 0)
	}))
	dst := &net.UDPAddr{IP: group, Port: c.LocalAddr().(*net.UDPAddr).Port}
	if _, err := snd.WriteTo([]byte("mc"), dst); err != nil {
		return errShape(err)
	}
	require.NoError(t, c.SetReadDeadline(deadlineIn()))
	b := make([]byte, 8)
	n, from, err := c.ReadFrom(b)
	return fmt.Sprint(string(b[:n]), " ", from != nil && from.String() == snd.LocalAddr().String(), " ", errShape(err))
}
