//go:build linux

package evnet

// A14 (RELIABILITY.md §4.1): syscall faults injected through the seams of
// hooks.go. socketFunc, connectFunc, getsockoptIntFunc and Accept4Func are
// net's own seams, so each row's outcome is what net's code gives the same
// fault (sock_posix.go, fd_unix.go's connect, internal/poll's Accept): the
// error chain *net.OpError → *os.SyscallError naming the syscall → errno,
// the faults net retries retried, and no socket left open. Close's seam is
// loop's (loop/inject_test.go). EINTR on read, write and epoll_pwait is B4's
// (strace injection on the real syscalls).

import (
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// hook replaces *v with f until t ends.
func hook[T any](t *testing.T, v *T, f T) {
	old := *v
	*v = f
	t.Cleanup(func() { *v = old })
}

// injectFaults are the resource errors a socket or accept may fail with.
var injectFaults = []syscall.Errno{unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM}

// assertChain asserts that err is an *net.OpError with op wrapping an
// *os.SyscallError named call wrapping errno, as net reports a failed
// syscall.
func assertChain(t *testing.T, err error, op, call string, errno syscall.Errno) {
	t.Helper()
	var oe *net.OpError
	if !assert.ErrorAs(t, err, &oe) {
		return
	}
	assert.Equal(t, op, oe.Op)
	var se *os.SyscallError
	if assert.ErrorAs(t, oe.Err, &se, "%v", err) {
		assert.Equal(t, call, se.Syscall)
		assert.Equal(t, errno, se.Err)
	}
}

// echoListener accepts and echoes on 127.0.0.1 until t ends.
func echoListener(t *testing.T) *TCPListener {
	t.Helper()
	ln, err := ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln
}

// assertEcho asserts that c carries a byte there and back, and closes it.
func assertEcho(t *testing.T, c net.Conn) {
	t.Helper()
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	_, err := c.Write([]byte{7})
	require.NoError(t, err)
	b := make([]byte, 1)
	_, err = io.ReadFull(c, b)
	require.NoError(t, err)
	assert.Equal(t, byte(7), b[0])
}

// TestInjectDial injects faults into Dial and Listen.
func TestInjectDial(t *testing.T) {
	ln := echoListener(t)
	addr := ln.Addr().String()
	sc := &scenarios{t: t}
	run := func(name string, f func(t *testing.T)) {
		sc.run(name, func(t *testing.T) {
			before := socketFDs(t)
			f(t)
			// Every socket the scenario made is closed by now (a dial's on
			// failure, a conn's by assertEcho); the echo server's side of a
			// conn may still be closing: allow it 10 s.
			for deadline := time.Now().Add(10 * time.Second); socketFDs(t) > before && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond) // polling the fd table, not ordering goroutines
			}
			assert.Equal(t, before, socketFDs(t), "socket fds before and after")
		})
	}
	// realConnect connects for real and then reports err instead, as a
	// connect(2) interrupted after the kernel began the handshake.
	realConnect := func(err error) func(int, unix.Sockaddr) error {
		return func(fd int, sa unix.Sockaddr) error {
			if e := unix.Connect(fd, sa); e != nil && e != unix.EINPROGRESS {
				return e
			}
			return err
		}
	}

	for _, errno := range injectFaults {
		run("socket "+errno.Error(), func(t *testing.T) {
			hook(t, &socketFunc, func(int, int, int) (int, error) { return -1, errno })
			c, err := Dial("tcp4", addr)
			assert.Nil(t, c)
			assertChain(t, err, "dial", "socket", errno)
			l, err := Listen("tcp4", "127.0.0.1:0")
			assert.Nil(t, l)
			assertChain(t, err, "listen", "socket", errno)
		})
	}
	run("connect ENOBUFS", func(t *testing.T) {
		hook(t, &connectFunc, func(int, unix.Sockaddr) error { return unix.ENOBUFS })
		c, err := Dial("tcp4", addr)
		assert.Nil(t, c)
		assertChain(t, err, "dial", "connect", unix.ENOBUFS)
	})
	for _, errno := range []syscall.Errno{unix.EINTR, unix.EALREADY, unix.EINPROGRESS} {
		// net takes each for a connect in progress and waits for it.
		run("connect "+errno.Error()+" in progress", func(t *testing.T) {
			hook(t, &connectFunc, realConnect(errno))
			c, err := Dial("tcp4", addr)
			require.NoError(t, err)
			assertEcho(t, c)
		})
	}
	run("SO_ERROR ECONNREFUSED", func(t *testing.T) {
		hook(t, &connectFunc, realConnect(unix.EINPROGRESS))
		hook(t, &getsockoptIntFunc, func(int, int, int) (int, error) { return int(unix.ECONNREFUSED), nil })
		c, err := Dial("tcp4", addr)
		assert.Nil(t, c)
		assertChain(t, err, "dial", "connect", unix.ECONNREFUSED)
	})
	run("SO_ERROR still in progress at the first look", func(t *testing.T) {
		// evnet looks at SO_ERROR once before it waits (over loopback the
		// handshake is often done by then); a look that finds it not done
		// is a spurious wakeup: it waits for the connect's edge and looks
		// again. (A second EINPROGRESS after the connect is done would
		// hang net and evnet alike: no edge comes any more.)
		hook(t, &connectFunc, realConnect(unix.EINPROGRESS))
		var calls atomic.Int32
		hook(t, &getsockoptIntFunc, func(fd, level, opt int) (int, error) {
			if calls.Add(1) == 1 {
				return int(unix.EINPROGRESS), nil
			}
			return unix.GetsockoptInt(fd, level, opt)
		})
		c, err := Dial("tcp4", addr)
		require.NoError(t, err)
		assert.EqualValues(t, 2, calls.Load(), "SO_ERROR looked at again")
		assertEcho(t, c)
	})
	run("getsockopt ENOBUFS", func(t *testing.T) {
		hook(t, &connectFunc, realConnect(unix.EINPROGRESS))
		hook(t, &getsockoptIntFunc, func(int, int, int) (int, error) { return 0, unix.ENOBUFS })
		c, err := Dial("tcp4", addr)
		assert.Nil(t, c)
		assertChain(t, err, "dial", "getsockopt", unix.ENOBUFS)
	})
	sc.report("dial and listen")
}

// TestInjectAccept injects faults into Accept with a connection pending:
// EINTR and ECONNABORTED are retried, resource errors are reported and lose
// nothing, and a wakeup with nothing to accept makes Accept try again.
func TestInjectAccept(t *testing.T) {
	ln, err := ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer ln.Close()
	require.NoError(t, ln.SetDeadline(time.Now().Add(30*time.Second))) // a bound: no scenario hangs
	sc := &scenarios{t: t}
	// pending dials ln and returns the client's conn, closed when t ends.
	pending := func(t *testing.T) net.Conn {
		c, err := Dial("tcp4", ln.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	// failFirst fails the first n accepts with errno, then accepts.
	failFirst := func(t *testing.T, n int32, errno syscall.Errno) *atomic.Int32 {
		var calls atomic.Int32
		hook(t, &acceptFunc, func(fd int) (int, syscall.Sockaddr, error) {
			if calls.Add(1) <= n {
				return -1, nil, errno
			}
			return sysAccept(fd)
		})
		return &calls
	}
	for _, errno := range []syscall.Errno{unix.EINTR, unix.ECONNABORTED} {
		sc.run(errno.Error()+" retried", func(t *testing.T) {
			c := pending(t)
			calls := failFirst(t, 3, errno)
			s, err := ln.Accept()
			require.NoError(t, err)
			assert.EqualValues(t, 4, calls.Load(), "accept calls")
			go func() { io.Copy(s, s); s.Close() }()
			assertEcho(t, c)
		})
	}
	for _, errno := range injectFaults {
		sc.run(errno.Error()+" reported", func(t *testing.T) {
			c := pending(t)
			failFirst(t, 1, errno)
			s, err := ln.Accept()
			assert.Nil(t, s)
			assertChain(t, err, "accept", "accept4", errno)
			// The pending connection is still there for the next Accept.
			s, err = ln.Accept()
			require.NoError(t, err)
			go func() { io.Copy(s, s); s.Close() }()
			assertEcho(t, c)
		})
	}
	sc.run("spurious wakeups", func(t *testing.T) {
		calls := make(chan struct{}, 16)
		hook(t, &acceptFunc, func(fd int) (int, syscall.Sockaddr, error) {
			calls <- struct{}{}
			return sysAccept(fd)
		})
		got := make(chan error, 1)
		go func() {
			s, err := ln.Accept()
			if err == nil {
				s.Close()
			}
			got <- err
		}()
		within := func(what string) {
			t.Helper()
			select {
			case <-calls:
			case <-time.After(10 * time.Second):
				t.Fatalf("no accept call within 10 s: %s", what)
			}
		}
		within("the first attempt") // nothing pending: EAGAIN, then a wait
		// A deadline earlier than the one set wakes the waiter, which finds
		// nothing and tries again, as after any spurious wakeup.
		for i := range 3 {
			require.NoError(t, ln.SetDeadline(time.Now().Add(time.Duration(20-i)*time.Second)))
			within("a retry after a wakeup")
		}
		select {
		case err := <-got:
			t.Fatalf("Accept returned %v with nothing pending", err)
		default:
		}
		pending(t)
		require.NoError(t, <-got)
	})
	sc.report("accept")
}

// scenarios runs a test's injected-fault scenarios as subtests and counts
// them for its GOAL line.
type scenarios struct {
	t         *testing.T
	n, failed int
}

func (s *scenarios) run(name string, f func(t *testing.T)) {
	s.n++
	if !s.t.Run(name, f) {
		s.failed++
	}
}

func (s *scenarios) report(what string) {
	verdict := "PASS"
	if s.failed > 0 {
		verdict = "FAIL"
	}
	s.t.Logf("GOAL A14 injected faults, %s: %d scenarios, %d failures — %s", what, s.n, s.failed, verdict)
}
