//go:build linux

package compat_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/evnet/evnet"
	"github.com/evnet/evnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// unixProcFDs counts the process's fds in /proc/self/fd, all of them but
// evnet's own epolls, or only the sockets.
func unixProcFDs(t testing.TB, socketsOnly bool) int {
	if runtime.GOOS != "linux" {
		t.Skip("counts fds through /proc/self/fd")
	}
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	n := 0
	for _, e := range ents {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil {
			continue // the fd of the directory listing itself, now closed
		}
		if link == "anon_inode:[eventpoll]" {
			// evnet's own epolls: an adaptive loop drops and makes again
			// the one it parks on as it changes mode (loop/doc.go).
			continue
		}
		if !socketsOnly || strings.HasPrefix(link, "socket:") {
			n++
		}
	}
	return n
}

// liveRegistrations is the number of fds registered with evnet's loops.
func unixLiveRegs(t testing.TB) int {
	g, err := loop.Default()
	require.NoError(t, err)
	return g.Live()
}

// goal prints one RELIABILITY goal line.
func unixGoal(t *testing.T, id, what string, pass bool) {
	verdict := "PASS"
	if !pass {
		verdict = "FAIL"
	}
	line := fmt.Sprintf("GOAL %s %s — %s", id, what, verdict)
	fmt.Println(line)
}

// evnetUnixPair is a connected evnet pair of network over an abstract or
// temporary name.
func evnetUnixPair(t testing.TB, network string) (client, server *evnet.UnixConn) {
	c, s := unixPair(t, unixAPIs[1], unixTempDir(t), network)
	return c.(*evnet.UnixConn), s.(*evnet.UnixConn)
}

// TestUnixFDLeak is RELIABILITY A3 for unix (connect, 1-byte echo, close)
// and unixgram (dial, write, close).
func TestUnixFDLeak(t *testing.T) {
	const cycles = 10000
	t.Run("unix", func(t *testing.T) {
		dir := unixTempDir(t)
		before, live := unixProcFDs(t, true), unixLiveRegs(t)
		ln, err := evnet.Listen("unix", filepath.Join(dir, "s"))
		require.NoError(t, err)
		done := make(chan struct{})
		go func() {
			defer close(done)
			buf := make([]byte, 1)
			for {
				c, err := ln.Accept()
				if err != nil {
					return // the listener was closed
				}
				if n, err := c.Read(buf); err == nil {
					c.Write(buf[:n]) // a failure shows as a client error
				}
				c.Close() // nothing to report: the client checks the echo
			}
		}()
		failures := 0
		buf := make([]byte, 1)
		for range cycles {
			c, err := evnet.Dial("unix", ln.Addr().String())
			if err != nil {
				failures++
				continue
			}
			if _, err := c.Write([]byte{7}); err != nil {
				failures++
			} else if n, err := c.Read(buf); err != nil || n != 1 || buf[0] != 7 {
				failures++
			}
			c.Close() // the echo was checked
		}
		require.NoError(t, ln.Close())
		<-done
		delta, liveDelta := unixProcFDs(t, true)-before, unixLiveRegs(t)-live
		assert.Zero(t, failures)
		assert.Zero(t, delta, "socket fds")
		assert.Zero(t, liveDelta, "loop registrations")
		unixGoal(t, "A3", fmt.Sprintf("fd-leak unix: %d cycles, socket fd delta %d, registrations delta %d", cycles, delta, liveDelta),
			failures == 0 && delta == 0 && liveDelta == 0)
	})
	t.Run("unixgram", func(t *testing.T) {
		dir := unixTempDir(t)
		before, live := unixProcFDs(t, true), unixLiveRegs(t)
		srv, err := evnet.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "srv"), Net: "unixgram"})
		require.NoError(t, err)
		raddr := srv.LocalAddr().(*net.UnixAddr)
		failures := 0
		buf := make([]byte, 4)
		for range cycles {
			c, err := evnet.DialUnix("unixgram", nil, raddr)
			if err != nil {
				failures++
				continue
			}
			if _, err := c.Write([]byte{9}); err != nil {
				failures++
			} else if n, _, err := srv.ReadFrom(buf); err != nil || n != 1 {
				failures++
			}
			c.Close() // the datagram was checked
		}
		require.NoError(t, srv.Close())
		delta, liveDelta := unixProcFDs(t, true)-before, unixLiveRegs(t)-live
		assert.Zero(t, failures)
		assert.Zero(t, delta, "socket fds")
		assert.Zero(t, liveDelta, "loop registrations")
		unixGoal(t, "A3", fmt.Sprintf("fd-leak unixgram: %d cycles, socket fd delta %d, registrations delta %d", cycles, delta, liveDelta),
			failures == 0 && delta == 0 && liveDelta == 0)
	})
}

// isCloexec reports whether fd has FD_CLOEXEC.
func unixIsCloexec(t testing.TB, fd int) bool {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.NoError(t, err)
	return flags&unix.FD_CLOEXEC != 0
}

// recvRights reads one message and returns the fds it carried.
func unixRecvRights(t testing.TB, c *evnet.UnixConn, oobSize int) (fds []int, flags int) {
	oob := make([]byte, oobSize)
	_, oobn, flags, _, err := c.ReadMsgUnix(make([]byte, 16), oob)
	require.NoError(t, err)
	scms, err := unix.ParseSocketControlMessage(oob[:oobn])
	require.NoError(t, err)
	for i := range scms {
		got, err := unix.ParseUnixRights(&scms[i])
		require.NoError(t, err)
		fds = append(fds, got...)
	}
	return fds, flags
}

// TestUnixSCMRights is RELIABILITY A16.
func TestUnixSCMRights(t *testing.T) {
	devnull, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer devnull.Close()
	nullFD := int(devnull.Fd())
	c, s := evnetUnixPair(t, "unix")
	send := func(n int) {
		rights := make([]int, n)
		for i := range rights {
			rights[i] = nullFD
		}
		_, oobn, err := c.WriteMsgUnix([]byte{1}, unix.UnixRights(rights...), nil)
		require.NoError(t, err)
		require.Equal(t, unix.CmsgSpace(4*n), oobn)
	}
	closeAll := func(fds []int) {
		for _, fd := range fds {
			unix.Close(fd) // a received dup of /dev/null
		}
	}

	t.Run("1..253 fds", func(t *testing.T) {
		before := unixProcFDs(t, false)
		bad := 0
		for n := 1; n <= 253; n++ { // SCM_MAX_FD
			send(n)
			fds, flags := unixRecvRights(t, s, unix.CmsgSpace(4*253))
			for _, fd := range fds {
				if !unixIsCloexec(t, fd) {
					bad++
				}
			}
			if len(fds) != n || flags&unix.MSG_CTRUNC != 0 {
				bad++
			}
			closeAll(fds)
		}
		delta := unixProcFDs(t, false) - before
		assert.Zero(t, bad)
		assert.Zero(t, delta)
		unixGoal(t, "A16", fmt.Sprintf("scm-rights 1..253 fds per message: %d bad, all CLOEXEC, fd delta %d", bad, delta), bad == 0 && delta == 0)
	})
	t.Run("10000 pass-and-close", func(t *testing.T) {
		before := unixProcFDs(t, false)
		bad := 0
		for range 10000 {
			send(1)
			fds, _ := unixRecvRights(t, s, unix.CmsgSpace(4))
			if len(fds) != 1 {
				bad++
			}
			closeAll(fds)
		}
		delta := unixProcFDs(t, false) - before
		assert.Zero(t, bad)
		assert.Zero(t, delta)
		unixGoal(t, "A16", fmt.Sprintf("scm-rights 10000 pass-and-close cycles: fd delta %d", delta), bad == 0 && delta == 0)
	})
	t.Run("undersized oob", func(t *testing.T) {
		before := unixProcFDs(t, false)
		send(3)
		fds, flags := unixRecvRights(t, s, unix.CmsgSpace(4)) // room for fewer than 3
		grew := unixProcFDs(t, false) - before
		trunc := flags&unix.MSG_CTRUNC != 0
		for _, fd := range fds {
			assert.True(t, unixIsCloexec(t, fd))
		}
		closeAll(fds)
		assert.True(t, trunc, "MSG_CTRUNC")
		assert.Less(t, len(fds), 3)
		assert.Equal(t, len(fds), grew, "process fds grow by exactly the fds returned")
		unixGoal(t, "A16", fmt.Sprintf("scm-rights 3 fds into small oob: MSG_CTRUNC=%v, %d received, fds grew by %d", trunc, len(fds), grew),
			trunc && grew == len(fds))
	})
	t.Run("plain Read discards fds", func(t *testing.T) {
		before := unixProcFDs(t, false)
		send(3)
		n, err := s.Read(make([]byte, 16))
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		assert.Equal(t, 0, unixProcFDs(t, false)-before)
	})
}

// TestUnixMalformedOOB writes malformed control data with net and evnet:
// no panic, and the same error.
func TestUnixMalformedOOB(t *testing.T) {
	hdr := func(level, typ int32, length, room int) []byte {
		b := make([]byte, unix.CmsgSpace(room)) // 8-aligned: a heap object of >= 16 bytes
		cm := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
		cm.Level, cm.Type = level, typ
		cm.SetLen(length)
		return b
	}
	cases := map[string][]byte{
		"3 bytes":          {1, 2, 3},
		"huge cmsg_len":    hdr(unix.SOL_SOCKET, unix.SCM_RIGHTS, 1<<20, 4),
		"short cmsg_len":   hdr(unix.SOL_SOCKET, unix.SCM_RIGHTS, 2, 4),
		"odd rights size":  hdr(unix.SOL_SOCKET, unix.SCM_RIGHTS, unix.CmsgLen(3), 4),
		"unknown type":     hdr(unix.SOL_SOCKET, 0x7777, unix.CmsgLen(4), 4),
		"unknown level":    hdr(0x7777, unix.SCM_RIGHTS, unix.CmsgLen(4), 4),
		"rights fd -1":     unix.UnixRights(-1),
		"garbage 64 bytes": bytes.Repeat([]byte{0xff}, 64),
	}
	for name, oob := range cases {
		t.Run(name, func(t *testing.T) {
			var shapes [2]string
			for i, api := range unixAPIs {
				dir := unixTempDir(t)
				c, _ := unixPair(t, api, dir, "unix")
				var err error
				assert.NotPanics(t, func() { _, _, err = c.WriteMsgUnix([]byte("x"), oob, nil) })
				shapes[i] = unixErrShape(err, dir)
			}
			assert.Equal(t, shapes[0], shapes[1], "net vs evnet")
		})
	}
}

// TestUnixgramTruncation: a 16-byte datagram into 10 bytes (A11).
func TestUnixgramTruncation(t *testing.T) {
	cli, srv := unixgramPair(t, unixAPIs[1], unixTempDir(t))
	payload := []byte("0123456789abcdef")
	_, err := cli.Write(payload)
	require.NoError(t, err)
	n, _, flags, from, err := srv.ReadMsgUnix(make([]byte, 10), nil)
	require.NoError(t, err)
	assert.Equal(t, 10, n)
	assert.NotZero(t, flags&unix.MSG_TRUNC, "MSG_TRUNC")
	assert.Equal(t, cli.LocalAddr().String(), from.String())
	_, err = cli.Write(payload)
	require.NoError(t, err)
	n, addr, err := srv.ReadFrom(make([]byte, 10))
	require.NoError(t, err)
	assert.Equal(t, 10, n)
	assert.Equal(t, cli.LocalAddr().String(), addr.String())
	_, err = cli.Write(nil)
	require.NoError(t, err)
	n, _, err = srv.ReadFrom(make([]byte, 10))
	assert.NoError(t, err)
	assert.Zero(t, n, "zero-length datagram")
}

// TestUnixCloexec is the Unix part of RELIABILITY A4: every fd evnet makes
// is close-on-exec.
func TestUnixCloexec(t *testing.T) {
	dir := unixTempDir(t)
	ln, err := evnet.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, "s"), Net: "unix"})
	require.NoError(t, err)
	defer ln.Close()
	c, s := evnetUnixPair(t, "unix")
	g, _ := unixgramPair(t, unixAPIs[1], dir)
	fds := map[string]syscall.Conn{"listener": ln, "dialed": c, "accepted": s, "unixgram": g.(*evnet.UnixConn)}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	require.NoError(t, err)
	unix.CloseOnExec(pair[0])
	unix.CloseOnExec(pair[1])
	f := os.NewFile(uintptr(pair[0]), "pair")
	defer f.Close()
	defer unix.Close(pair[1])
	fc, err := evnet.FileConn(f)
	require.NoError(t, err)
	defer fc.Close()
	fds["FileConn"] = fc.(syscall.Conn)
	all := true
	for name, sc := range fds {
		rc, err := sc.SyscallConn()
		require.NoError(t, err)
		require.NoError(t, rc.Control(func(fd uintptr) {
			ok := unixIsCloexec(t, int(fd))
			all = all && ok
			assert.True(t, ok, name)
		}))
	}
	unixGoal(t, "A4", fmt.Sprintf("cloexec unix: %d fd kinds (listener, dialed, accepted, unixgram, FileConn) all CLOEXEC", len(fds)), all)
}
