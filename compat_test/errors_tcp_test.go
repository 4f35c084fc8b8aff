//go:build linux

package compat_test

// The A1 rows for TCP, dial and listen: every TCP and dial/listen row of
// probes/errprobe.txt, plus neighbours (zero values, every setter after
// Close, blocked ops woken by a deadline, Dialer.LocalAddr, IP protocol
// names). They register themselves like any other file's rows would; see
// errors_test.go for the harness.

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var pastDeadline = time.Unix(1, 0)

// afterClose returns a run func that closes a fresh client conn and then
// calls op on it.
func afterClose(op func(a api, c tcpConn) (int, error)) func(a api) (int, error) {
	return func(a api) (int, error) {
		c, _ := a.pair()
		require.NoError(a.t, c.Close())
		return op(a, c)
	}
}

// onConn returns a run func that calls op on a fresh client conn.
func onConn(op func(a api, c tcpConn) (int, error)) func(a api) (int, error) {
	return func(a api) (int, error) {
		c, _ := a.pair()
		return op(a, c)
	}
}

func errOnly(err error) (int, error) { return 0, err }

func checkShutdownError(err error) error { return checkCloseError(err, true) }
func checkCloseErr(err error) error      { return checkCloseError(err, false) }

func init() {
	register(zeroScenarios()...)
	register(connScenarios()...)
	register(blockedScenarios()...)
	register(listenerScenarios()...)
	register(dialScenarios()...)
}

func zeroScenarios() []scenario {
	return []scenario{
		{name: "zero TCPConn{} Read", shape: checkReadError, want: syscall.EINVAL,
			run: func(a api) (int, error) { return a.ZeroTCPConn().Read(make([]byte, 1)) }},
		{name: "zero TCPConn{} Write", shape: checkWriteError, want: syscall.EINVAL,
			run: func(a api) (int, error) { return a.ZeroTCPConn().Write([]byte("x")) }},
		{name: "zero TCPConn{} Close", shape: checkCloseErr, want: syscall.EINVAL,
			run: func(a api) (int, error) { return errOnly(a.ZeroTCPConn().Close()) }},
		{name: "zero TCPConn{} SetDeadline", shape: checkCommonError, want: syscall.EINVAL,
			run: func(a api) (int, error) { return errOnly(a.ZeroTCPConn().SetDeadline(time.Now())) }},
		{name: "zero TCPConn{} CloseWrite", shape: checkShutdownError, want: syscall.EINVAL,
			run: func(a api) (int, error) { return errOnly(a.ZeroTCPConn().CloseWrite()) }},
		{name: "zero TCPListener{} Accept", shape: checkAcceptError, want: syscall.EINVAL,
			run: func(a api) (int, error) {
				c, err := a.ZeroListener().Accept()
				assert.Nil(a.t, c)
				return errOnly(err)
			}},
		{name: "zero TCPListener{} Close", shape: checkCloseErr, want: syscall.EINVAL,
			run: func(a api) (int, error) { return errOnly(a.ZeroListener().Close()) }},
	}
}

func connScenarios() []scenario {
	return []scenario{
		{name: "TCP Read(nil) on open conn", noErr: true, shape: checkReadError,
			run: onConn(func(a api, c tcpConn) (int, error) { return c.Read(nil) })},
		{name: "TCP Write(nil)", noErr: true, shape: checkWriteError,
			run: onConn(func(a api, c tcpConn) (int, error) { return c.Write(nil) })},
		{name: "TCP Read(nil), past deadline", noErr: true, shape: checkReadError,
			run: onConn(func(a api, c tcpConn) (int, error) {
				require.NoError(a.t, c.SetReadDeadline(pastDeadline))
				return c.Read(nil)
			})},
		{name: "TCP Write(nil), past deadline", want: os.ErrDeadlineExceeded, shape: checkWriteError,
			run: onConn(func(a api, c tcpConn) (int, error) {
				require.NoError(a.t, c.SetWriteDeadline(pastDeadline))
				return c.Write(nil)
			})},
		{name: "TCP Read, past deadline, data ready", want: os.ErrDeadlineExceeded, shape: checkReadError,
			run: func(a api) (int, error) {
				c, s := a.pair()
				_, err := s.Write([]byte("data"))
				require.NoError(a.t, err)
				require.NoError(a.t, c.SetReadDeadline(pastDeadline))
				return c.Read(make([]byte, 16))
			}},
		{name: "TCP Write, past deadline", want: os.ErrDeadlineExceeded, shape: checkWriteError,
			run: onConn(func(a api, c tcpConn) (int, error) {
				require.NoError(a.t, c.SetWriteDeadline(pastDeadline))
				return c.Write([]byte("x"))
			})},
		{name: "SetReadBuffer(-1)", noErr: true, shape: checkCommonError,
			run: onConn(func(a api, c tcpConn) (int, error) { return errOnly(c.SetReadBuffer(-1)) })},
		{name: "SetWriteBuffer(-1)", noErr: true, shape: checkCommonError,
			run: onConn(func(a api, c tcpConn) (int, error) { return errOnly(c.SetWriteBuffer(-1)) })},
		{name: "SetLinger(-1)", noErr: true, shape: checkCommonError,
			run: onConn(func(a api, c tcpConn) (int, error) { return errOnly(c.SetLinger(-1)) })},
		{name: "SetKeepAlivePeriod(-1)", noErr: true, shape: checkCommonError,
			run: onConn(func(a api, c tcpConn) (int, error) { return errOnly(c.SetKeepAlivePeriod(-1)) })},
		{name: "CloseWrite", noErr: true, shape: checkShutdownError,
			run: onConn(func(a api, c tcpConn) (int, error) { return errOnly(c.CloseWrite()) })},
		{name: "Write after CloseWrite", want: syscall.EPIPE, shape: checkWriteError,
			run: onConn(func(a api, c tcpConn) (int, error) {
				require.NoError(a.t, c.CloseWrite())
				return c.Write([]byte("x"))
			})},
		{name: "Write(nil) after CloseWrite", want: syscall.EPIPE, shape: checkWriteError,
			knownDiff: "deliberate (A10): evnet sends nothing for an empty stream Write, so no EPIPE",
			run: onConn(func(a api, c tcpConn) (int, error) {
				require.NoError(a.t, c.CloseWrite())
				return c.Write(nil)
			})},
		{name: "CloseRead twice", noErr: true, shape: checkShutdownError,
			run: onConn(func(a api, c tcpConn) (int, error) {
				require.NoError(a.t, c.CloseRead())
				return errOnly(c.CloseRead())
			})},
		{name: "Close", noErr: true, shape: checkCloseErr,
			run: onConn(func(a api, c tcpConn) (int, error) { return errOnly(c.Close()) })},
		{name: "Close again", want: net.ErrClosed, shape: checkCloseErr,
			run: afterClose(func(a api, c tcpConn) (int, error) { return errOnly(c.Close()) })},
		{name: "Read after Close", want: net.ErrClosed, shape: checkReadError,
			run: afterClose(func(a api, c tcpConn) (int, error) { return c.Read(make([]byte, 1)) })},
		{name: "Write after Close", want: net.ErrClosed, shape: checkWriteError,
			run: afterClose(func(a api, c tcpConn) (int, error) { return c.Write([]byte("x")) })},
		{name: "Read(nil) after Close", want: net.ErrClosed, shape: checkReadError,
			run: afterClose(func(a api, c tcpConn) (int, error) { return c.Read(nil) })},
		{name: "Write(nil) after Close", want: net.ErrClosed, shape: checkWriteError,
			run: afterClose(func(a api, c tcpConn) (int, error) { return c.Write(nil) })},
		{name: "SetDeadline after Close", want: net.ErrClosed, shape: checkCommonError,
			run: afterClose(func(a api, c tcpConn) (int, error) { return errOnly(c.SetDeadline(time.Now())) })},
		{name: "SetReadBuffer after Close", want: net.ErrClosed, shape: checkCommonError,
			run: afterClose(func(a api, c tcpConn) (int, error) { return errOnly(c.SetReadBuffer(4096)) })},
		{name: "SetLinger after Close", want: net.ErrClosed, shape: checkCommonError,
			run: afterClose(func(a api, c tcpConn) (int, error) { return errOnly(c.SetLinger(0)) })},
		{name: "SetReadDeadline after Close", want: net.ErrClosed, shape: checkCommonError,
			run: afterClose(func(a api, c tcpConn) (int, error) { return errOnly(c.SetReadDeadline(time.Now())) })},
		{name: "SetWriteDeadline after Close", want: net.ErrClosed, shape: checkCommonError,
			run: afterClose(func(a api, c tcpConn) (int, error) { return errOnly(c.SetWriteDeadline(time.Now())) })},
		{name: "SetWriteBuffer after Close", want: net.ErrClosed, shape: checkCommonError,
			run: afterClose(func(a api, c tcpConn) (int, error) { return errOnly(c.SetWriteBuffer(4096)) })},
		{name: "SetKeepAlive after Close", want: net.ErrClosed, shape: checkCommonError,
			run: afterClose(func(a api, c tcpConn) (int, error) { return errOnly(c.SetKeepAlive(true)) })},
		{name: "SetKeepAlivePeriod after Close", want: net.ErrClosed, shape: checkCommonError,
			run: afterClose(func(a api, c tcpConn) (int, error) { return errOnly(c.SetKeepAlivePeriod(time.Second)) })},
		{name: "SetKeepAliveConfig after Close", want: net.ErrClosed, shape: checkCommonError,
			run: afterClose(func(a api, c tcpConn) (int, error) {
				return errOnly(c.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true}))
			})},
		{name: "SetNoDelay after Close", want: net.ErrClosed, shape: checkCommonError,
			run: afterClose(func(a api, c tcpConn) (int, error) { return errOnly(c.SetNoDelay(true)) })},
		{name: "MultipathTCP after Close", noErr: true, shape: checkCommonError,
			run: afterClose(func(a api, c tcpConn) (int, error) {
				// Only the error is compared: net reports true here (its
				// MPTCP_INFO getsockopt fails on the closed fd with
				// ErrClosed, which it reads as "not fallen back").
				_, err := c.MultipathTCP()
				return errOnly(err)
			})},
		{name: "CloseRead after Close", want: net.ErrClosed, shape: checkCloseErr,
			run: afterClose(func(a api, c tcpConn) (int, error) { return errOnly(c.CloseRead()) })},
		{name: "CloseWrite after Close", want: net.ErrClosed, shape: checkCloseErr,
			run: afterClose(func(a api, c tcpConn) (int, error) { return errOnly(c.CloseWrite()) })},
		{name: "File after Close", want: net.ErrClosed, shape: checkCommonError,
			run: afterClose(func(a api, c tcpConn) (int, error) {
				f, err := c.File()
				if f != nil {
					f.Close()
				}
				assert.Nil(a.t, f)
				return errOnly(err)
			})},
		{name: "SyscallConn after Close", noErr: true, shape: checkCommonError,
			run: afterClose(func(a api, c tcpConn) (int, error) {
				_, err := c.SyscallConn()
				return errOnly(err)
			})},
		{name: "SyscallConn after Close, Control", want: net.ErrClosed, shape: checkCommonError,
			run: afterClose(func(a api, c tcpConn) (int, error) {
				rc, err := c.SyscallConn()
				require.NoError(a.t, err)
				return errOnly(rc.Control(func(uintptr) {}))
			})},
		{name: "64MiB Write, peer not reading, 100ms deadline", partial: true,
			want: os.ErrDeadlineExceeded, shape: checkWriteError,
			run: onConn(func(a api, c tcpConn) (int, error) {
				buf := make([]byte, 64<<20) // before the deadline: slow under -race
				require.NoError(a.t, c.SetWriteDeadline(time.Now().Add(100*time.Millisecond)))
				return c.Write(buf)
			})},
	}
}

func blockedScenarios() []scenario {
	return []scenario{
		{name: "blocked Read, local Close", want: net.ErrClosed, shape: checkReadError,
			run: func(a api) (int, error) {
				c, _ := a.pair()
				wait := a.async(func() (int, error) { return c.Read(make([]byte, 1)) })
				require.NoError(a.t, c.Close())
				return wait()
			}},
		{name: "blocked Read, peer SetLinger(0)+Close (RST)", want: syscall.ECONNRESET, shape: checkReadError,
			run: func(a api) (int, error) {
				c, s := a.pair()
				wait := a.async(func() (int, error) { return c.Read(make([]byte, 1)) })
				require.NoError(a.t, s.SetLinger(0))
				require.NoError(a.t, s.Close())
				return wait()
			}},
		{name: "Write after RST", want: syscall.EPIPE, shape: checkWriteError,
			run: func(a api) (int, error) {
				c, _ := rstPair(a)
				return c.Write([]byte("x"))
			}},
		{name: "Write after RST (2nd)", want: syscall.EPIPE, shape: checkWriteError,
			run: func(a api) (int, error) {
				c, _ := rstPair(a)
				_, err := c.Write([]byte("x"))
				require.ErrorIs(a.t, err, syscall.EPIPE)
				return c.Write([]byte("x"))
			}},
		{name: "Write(nil) after RST", want: syscall.EPIPE, shape: checkWriteError,
			knownDiff: "deliberate (A10): evnet sends nothing for an empty stream Write, so no EPIPE",
			run: func(a api) (int, error) {
				c, _ := rstPair(a)
				return c.Write(nil)
			}},
		{name: "Read after RST was reported", want: io.EOF, shape: checkReadError,
			run: func(a api) (int, error) {
				c, _ := rstPair(a)
				return c.Read(make([]byte, 1))
			}},
		{name: "blocked Read, peer Close (FIN)", want: io.EOF, shape: checkReadError,
			run: func(a api) (int, error) {
				c, s := a.pair()
				wait := a.async(func() (int, error) { return c.Read(make([]byte, 1)) })
				require.NoError(a.t, s.Close())
				return wait()
			}},
		{name: "blocked Read, deadline moved to the past", want: os.ErrDeadlineExceeded, shape: checkReadError,
			run: func(a api) (int, error) {
				c, _ := a.pair()
				wait := a.async(func() (int, error) { return c.Read(make([]byte, 1)) })
				require.NoError(a.t, c.SetReadDeadline(pastDeadline))
				return wait()
			}},
	}
}

// rstPair returns a pair whose server end reset the connection, after the
// client's Read has reported the ECONNRESET (later writes then get EPIPE).
func rstPair(a api) (client, server tcpConn) {
	a.t.Helper()
	c, s := a.pair()
	require.NoError(a.t, s.SetLinger(0))
	require.NoError(a.t, s.Close())
	_, err := c.Read(make([]byte, 1))
	require.ErrorIs(a.t, err, syscall.ECONNRESET)
	return c, s
}

func listenerScenarios() []scenario {
	accept := func(l net.Listener) (int, error) {
		c, err := l.Accept()
		if c != nil {
			c.Close()
			if err != nil {
				return 0, fmt.Errorf("Accept returned non-nil %T with error %w", c, err)
			}
		}
		return errOnly(err)
	}
	return []scenario{
		{name: "Accept past deadline", want: os.ErrDeadlineExceeded, shape: checkAcceptError,
			run: func(a api) (int, error) {
				l := a.listener()
				require.NoError(a.t, l.SetDeadline(pastDeadline))
				return accept(l)
			}},
		{name: "Accept after Close", want: net.ErrClosed, shape: checkAcceptError,
			run: func(a api) (int, error) {
				l := a.listener()
				require.NoError(a.t, l.Close())
				return accept(l)
			}},
		{name: "Listener Close again", want: net.ErrClosed, shape: checkCloseErr,
			run: func(a api) (int, error) {
				l := a.listener()
				require.NoError(a.t, l.Close())
				return errOnly(l.Close())
			}},
		{name: "Listener SetDeadline after Close", want: net.ErrClosed, shape: checkCommonError,
			run: func(a api) (int, error) {
				l := a.listener()
				require.NoError(a.t, l.Close())
				return errOnly(l.SetDeadline(time.Now()))
			}},
		{name: "Listener File after Close", want: net.ErrClosed, shape: checkCommonError,
			run: func(a api) (int, error) {
				l := a.listener()
				require.NoError(a.t, l.Close())
				f, err := l.File()
				if f != nil {
					f.Close()
				}
				return errOnly(err)
			}},
		{name: "blocked Accept, Close", want: net.ErrClosed, shape: checkAcceptError,
			run: func(a api) (int, error) {
				l := a.listener()
				wait := a.async(func() (int, error) { return accept(l) })
				require.NoError(a.t, l.Close())
				return wait()
			}},
		{name: "blocked Accept, deadline moved to the past", want: os.ErrDeadlineExceeded, shape: checkAcceptError,
			run: func(a api) (int, error) {
				l := a.listener()
				wait := a.async(func() (int, error) { return accept(l) })
				require.NoError(a.t, l.SetDeadline(pastDeadline))
				return wait()
			}},
		{name: "Listen on port in use", want: syscall.EADDRINUSE, shape: checkDialError,
			run: func(a api) (int, error) {
				l := a.listener()
				l2, err := a.Listen("tcp", l.Addr().String())
				if l2 != nil {
					l2.Close()
				}
				return errOnly(err)
			}},
		{name: "ListenTCP port 65536", want: syscall.EINVAL, shape: checkDialError,
			run: func(a api) (int, error) {
				_, err := a.ListenTCP("tcp", &net.TCPAddr{Port: 1 << 16})
				return errOnly(err)
			}},
		{name: `ListenTCP network "udp"`, shape: checkDialError,
			run: func(a api) (int, error) {
				_, err := a.ListenTCP("udp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
				return errOnly(err)
			}},
		{name: `Listen("foo","x")`, shape: checkDialError,
			run: func(a api) (int, error) { _, err := a.Listen("foo", "x"); return errOnly(err) }},
		{name: `Listen("tcp","127.0.0.1:99999")`, shape: checkDialError,
			run: func(a api) (int, error) { _, err := a.Listen("tcp", "127.0.0.1:99999"); return errOnly(err) }},
		{name: `Listen("tcp4","[::1]:0")`, shape: checkDialError,
			run: func(a api) (int, error) { _, err := a.Listen("tcp4", "[::1]:0"); return errOnly(err) }},
	}
}

func dialScenarios() []scenario {
	dial := func(network, address string) func(a api) (int, error) {
		return func(a api) (int, error) {
			c, err := a.Dial(network, address)
			if c != nil {
				c.Close()
			}
			return errOnly(err)
		}
	}
	ss := []scenario{
		{name: "Dial closed port (refused)", want: syscall.ECONNREFUSED, shape: checkDialError,
			run: func(a api) (int, error) { return dial("tcp", a.closedPort())(a) }},
		{name: "DialTimeout negative", want: context.DeadlineExceeded, shape: checkDialError,
			run: func(a api) (int, error) {
				_, err := a.DialTimeout("tcp", "127.0.0.1:1", -1)
				return errOnly(err)
			}},
		{name: "Dialer past Deadline", want: context.DeadlineExceeded, shape: checkDialError,
			run: func(a api) (int, error) {
				_, err := a.DialContext(context.Background(), dialerOpts{Deadline: time.Now().Add(-time.Second)}, "tcp", "127.0.0.1:1")
				return errOnly(err)
			}},
		{name: "DialContext, cancelled ctx", want: context.Canceled, shape: checkDialError,
			run: func(a api) (int, error) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				_, err := a.DialContext(ctx, dialerOpts{}, "tcp", "127.0.0.1:1")
				return errOnly(err)
			}},
		{name: "DialContext, expired ctx", want: context.DeadlineExceeded, shape: checkDialError,
			run: func(a api) (int, error) {
				ctx, cancel := context.WithDeadline(context.Background(), pastDeadline)
				defer cancel()
				_, err := a.DialContext(ctx, dialerOpts{}, "tcp", "127.0.0.1:1")
				return errOnly(err)
			}},
		{name: "DialContext, cancelled ctx, name to resolve", want: context.Canceled, shape: checkDialError,
			racy: "net's lookupIPAddr selects between the cancelled ctx and its own lookup goroutine, " +
				"which may have read /etc/hosts already: then the dial fails instead, with the address " +
				"(seen once in 40 race runs; both stacks resolve through net's Resolver)",
			run: func(a api) (int, error) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				_, err := a.DialContext(ctx, dialerOpts{}, "tcp", "localhost:1")
				return errOnly(err)
			}},
		{name: "Dialer LocalAddr of another type", shape: checkDialError,
			run: func(a api) (int, error) {
				_, err := a.DialContext(context.Background(), dialerOpts{LocalAddr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}}, "tcp", a.closedPort())
				return errOnly(err)
			}},
		{name: "Dialer LocalAddr IPv4, remote IPv6", shape: checkDialError,
			run: func(a api) (int, error) {
				_, err := a.DialContext(context.Background(), dialerOpts{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}}, "tcp", "[::1]:1")
				return errOnly(err)
			}},
		{name: "Dialer LocalAddr typed nil, closed port", want: syscall.ECONNREFUSED,
			knownDiff: "deliberate (STYLE §4): net puts the typed nil in OpError.Source, " +
				"failing its own isValid; evnet keeps a nil interface",
			run: func(a api) (int, error) {
				_, err := a.DialContext(context.Background(), dialerOpts{LocalAddr: (*net.TCPAddr)(nil)}, "tcp", a.closedPort())
				if a.name != "net" {
					assert.NoError(a.t, checkDialError(err), "error shape")
				}
				return errOnly(err)
			}},
		{name: "DialTCP nil raddr", shape: checkDialError,
			run: func(a api) (int, error) { _, err := a.DialTCP("tcp", nil, nil); return errOnly(err) }},
		{name: `DialTCP network "udp"`, shape: checkDialError,
			run: func(a api) (int, error) {
				_, err := a.DialTCP("udp", nil, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1})
				return errOnly(err)
			}},
		{name: "DialTCP port 65536", shape: checkDialError,
			run: func(a api) (int, error) {
				_, err := a.DialTCP("tcp", nil, &net.TCPAddr{Port: 1 << 16})
				return errOnly(err)
			}},
		{name: "DialTCP closed port, laddr set", want: syscall.ECONNREFUSED, shape: checkDialError,
			run: func(a api) (int, error) {
				ra, err := net.ResolveTCPAddr("tcp", a.closedPort())
				require.NoError(a.t, err)
				_, err = a.DialTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, ra)
				return errOnly(err)
			}},
	}
	// Bad addresses: each fails in resolution, before any socket exists.
	for _, d := range []struct{ network, address string }{
		{"tcp", "127.0.0.1:99999"},
		{"tcp", "127.0.0.1:-1"},
		{"tcp", ":-1"},
		{"tcp", ""},
		{"tcp", "127.0.0.1"},
		{"foo", "x"},
		{"tcp4", "[::1]:80"},
		{"tcp6", "127.0.0.1:80"},
		{"tcp", "[::1"},
		{"udp", "127.0.0.1:☺"},
		{"tcp", "127.0.0.1:☺"},
		{"unix", ""},
		{"ip:nosuchproto", "127.0.0.1"},
		{"ip:nosuchproto", ""},
		{"ip", "127.0.0.1"},
	} {
		sc := scenario{
			name:  fmt.Sprintf("Dial(%q,%q)", d.network, d.address),
			shape: checkDialError,
			run:   dial(d.network, d.address),
		}
		ss = append(ss, sc)
	}
	return slices.Clip(ss)
}
