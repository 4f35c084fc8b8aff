//go:build linux

package compat_test

import (
	"net"
	"testing"

	"github.com/evnet/evnet"
	"github.com/stretchr/testify/require"
)

// stack is one implementation under test: the standard library or evnet.
type stack struct {
	name   string
	listen func(network, address string) (net.Listener, error)
	dial   func(network, address string) (net.Conn, error)
}

var stacks = []stack{
	{"net", net.Listen, net.Dial},
	{"evnet", evnet.Listen, evnet.Dial},
}

// newLocalListener listens on a loopback port of network with s.
func newLocalListener(t testing.TB, s stack, network string) net.Listener {
	addr := "127.0.0.1:0"
	if network == "tcp6" {
		addr = "[::1]:0"
	}
	ln, err := s.listen(network, addr)
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	return ln
}

// connPair returns a connected pair over a fresh listener of s.
func connPair(t testing.TB, s stack, network string) (client, server net.Conn) {
	ln := newLocalListener(t, s, network)
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	client, err := s.dial(network, ln.Addr().String())
	require.NoError(t, err)
	r := <-ch
	require.NoError(t, r.err)
	t.Cleanup(func() { client.Close(); r.c.Close() })
	return client, r.c
}
