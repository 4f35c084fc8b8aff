package evnet

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// gsoPair returns a receiver and an unconnected sender on 127.0.0.1, and
// a run of four 8-byte messages to the receiver.
func gsoPair(t *testing.T) (rx, tx *UDPConn, run []ipv4.Message) {
	t.Helper()
	rx, err := ListenUDP("udp4", loopback4)
	require.NoError(t, err)
	t.Cleanup(func() { rx.Close() })
	require.NoError(t, rx.SetReadDeadline(deadlineIn()))
	tx, err = ListenUDP("udp4", loopback4)
	require.NoError(t, err)
	t.Cleanup(func() { tx.Close() })
	for _, s := range []string{"aaaaaaaa", "bbbbbbbb", "cccccccc", "dddddddd"} {
		run = append(run, ipv4.Message{Buffers: [][]byte{[]byte(s)}, Addr: rx.LocalAddr()})
	}
	return rx, tx, run
}

// setsockopt sets an int option on c's socket.
func setsockopt(t *testing.T, c *UDPConn, level, opt, v int) error {
	t.Helper()
	rc, err := c.SyscallConn()
	require.NoError(t, err)
	var serr error
	require.NoError(t, rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), level, opt, v) }))
	return serr
}

// TestUDPBatchGSO proves that a run goes out as one GSO send: a receiver
// with UDP_GRO (Linux 5.0) gets it back as one coalesced datagram.
func TestUDPBatchGSO(t *testing.T) {
	rx, tx, run := gsoPair(t)
	if err := setsockopt(t, rx, unix.IPPROTO_UDP, unix.UDP_GRO, 1); err != nil {
		t.Skipf("no UDP_GRO: %v", err)
	}
	n, err := tx.WriteBatch(run, 0)
	require.NoError(t, err)
	assert.Equal(t, len(run), n)
	if tx.batch.gso.off {
		t.Skip("no UDP_SEGMENT")
	}
	assert.Equal(t, gsoState{checked: true}, tx.batch.gso)
	b := make([]byte, 64)
	got, _, err := rx.ReadFrom(b)
	require.NoError(t, err)
	assert.Equal(t, "aaaaaaaabbbbbbbbccccccccdddddddd", string(b[:got]))
}

// TestUDPBatchGSOFallback makes GSO sends fail (UDP GSO needs checksums,
// SO_NO_CHECK turns them off: EINVAL), first as the first header of a
// sendmmsg, then behind a plain message, and checks that every datagram
// still arrives, in order, and that the conn stops trying that segment
// size.
func TestUDPBatchGSOFallback(t *testing.T) {
	rx, tx, run := gsoPair(t)
	require.NoError(t, setsockopt(t, tx, unix.SOL_SOCKET, unix.SO_NO_CHECK, 1))
	check := func(out []ipv4.Message) {
		t.Helper()
		writeAll(t, tx, out)
		in := newMessages(len(out), 1, 16)
		readAll(t, rx, in, len(out))
		for i := range out {
			assert.Equal(t, string(out[i].Buffers[0]), string(in[i].Buffers[0][:in[i].N]))
			assert.Equal(t, len(out[i].Buffers[0]), out[i].N)
		}
	}
	check(run)
	assert.Equal(t, gsoState{checked: true, tooBig: 8}, tx.batch.gso)

	short := make([]ipv4.Message, len(run))
	for i, m := range run {
		short[i] = ipv4.Message{Buffers: [][]byte{m.Buffers[0][:4]}, Addr: m.Addr}
	}
	check(append([]ipv4.Message{{Buffers: [][]byte{[]byte("x")}, Addr: rx.LocalAddr()}}, short...))
	assert.Equal(t, gsoState{checked: true, tooBig: 4}, tx.batch.gso)
}

// TestGSOFailed checks which errors of a GSO run send it again without
// GSO, and what the conn remembers.
func TestGSOFailed(t *testing.T) {
	cases := []struct {
		err   error
		retry bool
		after gsoState
	}{
		{unix.EIO, true, gsoState{off: true}}, // the route cannot segment (IPsec)
		{unix.ENOPROTOOPT, true, gsoState{off: true}},
		{unix.EOPNOTSUPP, true, gsoState{off: true}},
		{unix.EINVAL, true, gsoState{tooBig: 100}}, // larger than the MTU, no checksums
		{unix.EMSGSIZE, true, gsoState{tooBig: 100}},
		{unix.EAGAIN, false, gsoState{}},
		{unix.ECONNREFUSED, false, gsoState{}},
		{unix.ENETUNREACH, false, gsoState{}},
	}
	for _, c := range cases {
		t.Run(c.err.Error(), func(t *testing.T) {
			var g gsoState
			assert.Equal(t, c.retry, g.failed(c.err, 100))
			assert.Equal(t, c.after, g)
		})
	}
}

// TestGSOCmsgLayout checks gsoCmsg against the kernel's cmsg layout on
// this architecture.
func TestGSOCmsgLayout(t *testing.T) {
	var c gsoCmsg
	assert.Equal(t, uintptr(unix.CmsgSpace(2)), unsafe.Sizeof(c))
	assert.Equal(t, uintptr(unix.CmsgLen(0)), unsafe.Offsetof(c.size))
}
