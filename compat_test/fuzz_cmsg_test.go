//go:build linux

package compat_test

// F3 (RELIABILITY.md 4.4): control messages. On Linux evnet parses no
// control data itself: ReadMsgUnix has the kernel install SCM_RIGHTS fds
// close-on-exec (MSG_CMSG_CLOEXEC, unixsock_cmsgcloexec.go) and returns the
// bytes, and the parser of unixsock_setcloexec.go is darwin's and
// FreeBSD's. So the fuzzer drives random control data through evnet's
// WriteMsgUnix and ReadMsgUnix over a socketpair, with net's as the
// reference: well-formed SCM_RIGHTS and SCM_CREDENTIALS messages, other
// levels, garbage, truncated and misaligned headers, and receive buffers of
// every size (MSG_CTRUNC). Every fd in an SCM_RIGHTS message is a dup of a
// pipe the test made, so that no other descriptor of the process travels.

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// cmsgAlign rounds n up to the kernel's control-message alignment.
func cmsgAlign(n int) int { return unix.CmsgSpace(n) - unix.CmsgSpace(0) }

// putCmsgHdr writes a header at the start of dst, which need not be aligned.
func putCmsgHdr(dst []byte, length, level, typ int) {
	h := unix.Cmsghdr{Level: int32(level), Type: int32(typ)}
	h.SetLen(length)
	copy(dst, unsafe.Slice((*byte)(unsafe.Pointer(&h)), unix.SizeofCmsghdr))
}

// getCmsgHdr reads the header at the start of b.
func getCmsgHdr(b []byte) unix.Cmsghdr {
	var h unix.Cmsghdr
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&h)), unix.SizeofCmsghdr), b)
	return h
}

// walkCmsgs visits the control messages of b as the kernel's
// for_each_cmsghdr and CMSG_OK do for sendmsg, and stops where the kernel
// would fail with EINVAL.
func walkCmsgs(b []byte, visit func(h unix.Cmsghdr, data []byte)) {
	for off := 0; len(b)-off >= unix.SizeofCmsghdr; {
		h := getCmsgHdr(b[off:])
		l := uint64(h.Len)
		if l < unix.SizeofCmsghdr || l > uint64(len(b)-off) {
			return // !CMSG_OK
		}
		visit(h, b[off+unix.SizeofCmsghdr:off+int(l)])
		off += cmsgAlign(int(l))
	}
}

// f3Oob builds control data from the fuzzed spec. fds are the descriptors
// SCM_RIGHTS messages may carry.
func f3Oob(spec []byte, fds []int) []byte {
	var oob []byte
	next := func(i *int) byte {
		if *i >= len(spec) {
			return 0
		}
		*i++
		return spec[*i-1]
	}
	rights := func(k int, arg byte) []byte {
		b := make([]byte, unix.CmsgSpace(4*k))
		putCmsgHdr(b, unix.CmsgLen(4*k), unix.SOL_SOCKET, unix.SCM_RIGHTS)
		for j := 0; j < k; j++ {
			binary.NativeEndian.PutUint32(b[unix.CmsgLen(0)+4*j:], uint32(fds[(j+int(arg))%len(fds)]))
		}
		return b
	}
	for i := 0; i < len(spec) && len(oob) < 4096; {
		op, arg := next(&i), next(&i)
		switch op % 6 {
		case 0: // well-formed SCM_RIGHTS with 0..7 fds
			oob = append(oob, rights(int(arg%8), arg)...)
		case 1: // well-formed SCM_CREDENTIALS: ours
			b := make([]byte, unix.CmsgSpace(unix.SizeofUcred))
			putCmsgHdr(b, unix.CmsgLen(unix.SizeofUcred), unix.SOL_SOCKET, unix.SCM_CREDENTIALS)
			uc := unix.Ucred{Pid: int32(os.Getpid()), Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid())}
			copy(b[unix.CmsgLen(0):], unsafe.Slice((*byte)(unsafe.Pointer(&uc)), unix.SizeofUcred))
			oob = append(oob, b...)
		case 2: // another level, which a Unix socket ignores (or SOL_SOCKET's unknown types)
			n := int(arg % 24)
			b := make([]byte, unix.CmsgSpace(n))
			level := unix.IPPROTO_IP
			if arg&0x80 != 0 {
				level = unix.SOL_SOCKET
			}
			putCmsgHdr(b, unix.CmsgLen(n), level, int(arg%8))
			oob = append(oob, b...)
		case 3: // garbage bytes, straight from the spec
			n := min(int(arg%32), len(spec)-i)
			oob = append(oob, spec[i:i+n]...)
			i += n
		case 4: // a truncated SCM_RIGHTS header
			oob = append(oob, rights(1, arg)[:arg%uint8(unix.SizeofCmsghdr)]...)
		case 5: // SCM_RIGHTS whose length is not a multiple of 4, or past the end
			k := int(arg % 4)
			b := rights(k, arg)
			putCmsgHdr(b, unix.CmsgLen(4*k)+1+int(arg%5), unix.SOL_SOCKET, unix.SCM_RIGHTS)
			oob = append(oob, b[:min(len(b), unix.CmsgLen(4*k)+int(arg%3))]...)
		}
	}
	// Whatever the garbage made, the kernel must see only our fds.
	walkCmsgs(oob, func(h unix.Cmsghdr, data []byte) {
		if h.Level != unix.SOL_SOCKET || h.Type != unix.SCM_RIGHTS {
			return
		}
		for j := 0; j+4 <= len(data); j += 4 {
			v := binary.NativeEndian.Uint32(data[j:])
			binary.NativeEndian.PutUint32(data[j:], uint32(fds[int(v%uint32(len(fds)))]))
		}
	})
	return oob
}

// f3FDs counts the descriptors of the process that refer to one of the
// given files ("pipe:[inode]" links).
func f3FDs(t *testing.T, links map[string]bool) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("no /proc/self/fd: %v", err)
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && links[l] {
			n++
		}
	}
	return n
}

// f3Pair returns the two ends of a socketpair of sotype as api's conns.
func f3Pair(t *testing.T, api unixAPI, sotype int) (a, b unixConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, sotype|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var cs [2]unixConn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := api.fileConn(f)
		f.Close() // FileConn made its own dup
		if err != nil {
			t.Fatal(err)
		}
		cs[i] = c.(unixConn)
	}
	return cs[0], cs[1]
}

// f3Story sends data and oob from one end of a fresh socketpair of api to
// the other, reads with an oob buffer of roobLen bytes, closes every fd
// received, checks that they were close-on-exec, and returns what happened
// with the fd numbers masked.
func f3Story(t *testing.T, api unixAPI, sotype int, passcred bool, data, oob []byte, roobLen int) string {
	a, b := f3Pair(t, api, sotype)
	defer a.Close()
	defer b.Close()
	if passcred {
		rc, err := b.(interface {
			SyscallConn() (syscall.RawConn, error)
		}).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
		}); err != nil || serr != nil {
			t.Fatal(err, serr)
		}
	}
	var story strings.Builder
	n, oobn, err := a.WriteMsgUnix(data, oob, nil)
	fmt.Fprintf(&story, "write %d %d %s\n", n, oobn, errChain(err))
	if cerr := checkWriteError(err); cerr != nil {
		t.Errorf("%s: WriteMsgUnix: %v", api.name, cerr)
	}
	if err != nil {
		return story.String()
	}
	b.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf, roob := make([]byte, 512), make([]byte, roobLen)
	n, oobn, flags, _, err := b.ReadMsgUnix(buf, roob)
	fmt.Fprintf(&story, "read %q %d %#x %s\n", buf[:n], oobn, flags, errChain(err))
	if cerr := checkReadError(err); cerr != nil && !isWrappedEOF(err) {
		t.Errorf("%s: ReadMsgUnix: %v", api.name, cerr)
	}
	if oobn > len(roob) {
		t.Fatalf("%s: oobn %d > %d", api.name, oobn, len(roob))
	}
	scms, perr := unix.ParseSocketControlMessage(roob[:oobn])
	fmt.Fprintf(&story, "parse %v\n", perr)
	for _, m := range scms {
		fmt.Fprintf(&story, "cmsg %d %d %d", m.Header.Level, m.Header.Type, m.Header.Len)
		if m.Header.Level == unix.SOL_SOCKET && (m.Header.Type == unix.SCM_RIGHTS || m.Header.Type == unix.SCM_PIDFD) {
			for j := 0; j+4 <= len(m.Data); j += 4 {
				fd := int(int32(binary.NativeEndian.Uint32(m.Data[j:])))
				flags, ferr := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
				if ferr != nil || flags&unix.FD_CLOEXEC == 0 {
					t.Errorf("%s: received fd %d: flags %#x, %v: not close-on-exec", api.name, fd, flags, ferr)
				}
				if cerr := unix.Close(fd); cerr != nil {
					t.Errorf("%s: close received fd %d: %v", api.name, fd, cerr)
				}
			}
			fmt.Fprintf(&story, " %d fds", len(m.Data)/4)
		} else {
			fmt.Fprintf(&story, " %x", m.Data)
		}
		story.WriteString("\n")
	}
	return story.String()
}

// isWrappedEOF reports whether err is io.EOF in a read's *net.OpError: what
// net's ReadMsgUnix and ReadFromUnix return for a zero-byte read on a
// stream or seqpacket socket (net's Read alone returns io.EOF bare).
func isWrappedEOF(err error) bool {
	oe, ok := err.(*net.OpError)
	return ok && oe.Op == "read" && oe.Err == io.EOF
}

// FuzzF3Cmsg sends fuzzed control data over socketpairs of net and of
// evnet and checks: no panic; the same results from both (byte counts,
// flags, error chains, and the received control messages with their fd
// numbers masked); every error of net's shapes; every received fd
// close-on-exec; and no fd left behind: after the test closes what it
// parsed, the process holds exactly the descriptors of its pipes that it
// held before (fd delta 0), also when the kernel had to drop fds that did
// not fit (MSG_CTRUNC).
func FuzzF3Cmsg(f *testing.F) {
	f.Add(uint8(0), []byte{0, 1}, []byte("x"), uint16(64), false)       // one fd, room for it
	f.Add(uint8(1), []byte{0, 3, 0, 5}, []byte("x"), uint16(64), false) // 3 + 5 fds
	f.Add(uint8(2), []byte{0, 7}, []byte{}, uint16(512), false)         // seqpacket, no data
	f.Add(uint8(1), []byte{0, 7}, []byte{}, uint16(511), false)         // dgram, no data
	f.Add(uint8(0), []byte{0, 7}, []byte("x"), uint16(20), false)       // MSG_CTRUNC: 1 of 7 fits
	f.Add(uint8(0), []byte{0, 7}, []byte("x"), uint16(15), false)       // not even a header
	f.Add(uint8(0), []byte{0, 7}, []byte("x"), uint16(0), false)        // no oob buffer
	f.Add(uint8(1), []byte{1, 0, 0, 2}, []byte("cred"), uint16(64), true)
	f.Add(uint8(1), []byte{0, 2}, []byte("x"), uint16(40), true) // creds push the fds out
	f.Add(uint8(0), []byte{2, 5, 0, 1}, []byte("x"), uint16(64), false)
	f.Add(uint8(0), []byte{2, 0x85, 0, 1}, []byte("x"), uint16(64), false) // SOL_SOCKET, unknown type
	f.Add(uint8(0), []byte{3, 7, 1, 2, 3, 4, 5, 6, 7}, []byte("x"), uint16(64), false)
	f.Add(uint8(0), []byte{0, 1, 4, 9}, []byte("x"), uint16(64), false) // a truncated header after
	f.Add(uint8(0), []byte{5, 2}, []byte("x"), uint16(64), false)       // odd length
	f.Add(uint8(0), []byte{5, 7, 0, 1}, []byte("x"), uint16(64), false) // past the end
	f.Add(uint8(1), []byte{0, 3, 3, 5, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1}, []byte("x"), uint16(300), false)
	// A zero-length seqpacket message reads as net's wrapped io.EOF: found
	// by this fuzzer (evnet's ReadMsgUnix returned 0, nil).
	f.Add(uint8(2), []byte("9"), []byte{}, uint16(462), false)
	f.Add(uint8(2), []byte{0, 2}, []byte{}, uint16(64), false)
	f.Fuzz(func(t *testing.T, st uint8, spec, data []byte, roobLen uint16, passcred bool) {
		sotype := []int{unix.SOCK_STREAM, unix.SOCK_DGRAM, unix.SOCK_SEQPACKET}[st%3]
		if len(spec) > 256 {
			spec = spec[:256]
		}
		if len(data) > 256 {
			data = data[:256]
		}
		if len(data) == 0 && sotype == unix.SOCK_STREAM {
			data = []byte("x") // a stream drops control data sent with no bytes
		}
		var fds []int
		links := map[string]bool{}
		for range 2 {
			var p [2]int
			if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			defer unix.Close(p[0])
			defer unix.Close(p[1])
			fds = append(fds, p[0], p[1])
			l, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", p[0]))
			if err != nil {
				t.Fatal(err)
			}
			links[l] = true
		}
		oob := f3Oob(spec, fds)
		before := f3FDs(t, links)
		var stories [2]string
		for i, api := range unixAPIs {
			stories[i] = f3Story(t, api, sotype, passcred, data, oob, int(roobLen%512))
			if after := f3FDs(t, links); after != before {
				t.Fatalf("%s: %d descriptors of the test's pipes, %d before: oob %x", api.name, after, before, oob)
			}
		}
		if stories[0] != stories[1] {
			t.Errorf("oob %x, receive buffer %d:\nnet:\n%s\nevnet:\n%s", oob, roobLen%512, stories[0], stories[1])
		}
	})
}
