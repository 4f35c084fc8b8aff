//go:build linux

package compat_test

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/evnet/evnet"
	"github.com/evnet/evnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReliabilityA3FDLeakTCP runs 10,000 connect → 1-byte echo → close
// cycles per network on evnet, then counts the process's socket fds and the
// default group's live registrations: both must be back where they started
// (RELIABILITY.md A3; stdlib baseline in probes/holdprobe.txt).
func TestReliabilityA3FDLeakTCP(t *testing.T) {
	for _, network := range []string{"tcp4", "tcp6"} {
		t.Run(network, func(t *testing.T) {
			addr := "127.0.0.1:0"
			if network == "tcp6" {
				if !relIPv6() {
					t.Skip("no IPv6 loopback here")
				}
				addr = "[::1]:0"
			}
			cycles := relScale(10000, 1000)
			g, err := loop.Default()
			require.NoError(t, err)
			sock0, live0 := relSocketFDs(t), g.Live()

			ln, err := evnet.Listen(network, addr)
			require.NoError(t, err)
			srv := make(chan error, 1)
			go func() { srv <- relEchoOnce(ln) }()

			start := time.Now()
			var done int
			for done < cycles {
				if err := relEchoCycle(network, ln.Addr().String()); err != nil {
					assert.NoError(t, err, "cycle %d", done)
					break
				}
				done++
			}
			elapsed := time.Since(start)
			require.NoError(t, ln.Close())
			select {
			case err := <-srv:
				assert.NoError(t, err, "echo server")
			case <-time.After(10 * time.Second):
				t.Error("echo server did not stop after the listener closed")
			}

			dSock, dLive := relSocketFDs(t)-sock0, g.Live()-live0
			ok := done == cycles && dSock == 0 && dLive == 0
			relGoal(t, "A3", "fd-leak "+network, ok,
				"%d cycles in %v, socket fd delta %d, live registration delta %d (stdlib: 20000 cycles in 3.3s, delta 0)",
				done, elapsed.Round(time.Millisecond), dSock, dLive)
			assert.Equal(t, cycles, done)
			assert.Zero(t, dSock, "socket fd delta")
			assert.Zero(t, dLive, "live registration delta")
		})
	}
}

// relEchoCycle dials address, sends one byte, reads it back and closes.
func relEchoCycle(network, address string) error {
	c, err := evnet.Dial(network, address)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	if _, err := c.Write([]byte{'e'}); err != nil {
		return err
	}
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return err
	}
	if b[0] != 'e' {
		return errors.New("echo returned a different byte")
	}
	return c.Close()
}

// relEchoOnce serves ln one conn at a time: echo one byte, wait for the
// client's close, close. It returns nil once ln is closed.
func relEchoOnce(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		err = func() error {
			defer c.Close()
			if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
				return err
			}
			var b [1]byte
			if _, err := io.ReadFull(c, b[:]); err != nil {
				return err
			}
			if _, err := c.Write(b[:]); err != nil {
				return err
			}
			_, err := io.Copy(io.Discard, c) // until the client's FIN
			return err
		}()
		if err != nil {
			return err
		}
	}
}
