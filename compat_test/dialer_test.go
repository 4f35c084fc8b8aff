//go:build linux

package compat_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/evnet/evnet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDialerDialTCPHonoursDeadline checks that the Go 1.26 Dialer.DialTCP
// applies the Dialer's Deadline and Timeout as net's does.
func TestDialerDialTCPHonoursDeadline(t *testing.T) {
	ln := newLocalListener(t, stacks[0], "tcp4")
	raddr := netip.MustParseAddrPort(ln.Addr().String())
	past := time.Now().Add(-time.Second)
	nd := net.Dialer{Deadline: past}
	ed := evnet.Dialer{Deadline: past}
	nc, nerr := nd.DialTCP(context.Background(), "tcp", netip.AddrPort{}, raddr)
	ec, eerr := ed.DialTCP(context.Background(), "tcp", netip.AddrPort{}, raddr)
	require.Nil(t, nc)
	require.Nil(t, ec)
	require.Error(t, nerr)
	require.Error(t, eerr)
	assert.Equal(t, nerr.Error(), eerr.Error())
	assert.True(t, errors.Is(eerr, context.DeadlineExceeded))
	assert.False(t, errors.Is(eerr, os.ErrDeadlineExceeded))
	var ne net.Error
	require.True(t, errors.As(eerr, &ne))
	assert.True(t, ne.Timeout())

	// Without a deadline it connects.
	var d evnet.Dialer
	c, err := d.DialTCP(context.Background(), "tcp", netip.AddrPort{}, raddr)
	require.NoError(t, err)
	assert.NoError(t, c.Close())
}
