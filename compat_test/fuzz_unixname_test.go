//go:build linux

package compat_test

// F2 (RELIABILITY.md 4.4), the Unix half: fuzzed names go to the kernel and
// come back through evnet's sockaddr conversions (x/sys's decoding, then
// sourceAddr, connAddrs, and syscall's SockaddrUnix on the way out), on net
// and on evnet, and the two runs must tell the same story. The root
// package's FuzzF2SockaddrRaw and FuzzF2SockaddrConv fuzz the inet
// conversions without the kernel.

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// f2UnixName builds a socket name of kind k from s, padded with pad bytes
// so that every length around len(sun_path) (108) is easy to reach.
// Abstract names start with a per-process tag, as fuzz workers share the
// network namespace; path names live in dir and contain no '/'.
func f2UnixName(dir, tag string, k, pad uint8, s string) string {
	s += strings.Repeat("x", int(pad%128))
	switch k % 4 {
	case 0:
		return "@" + tag + s
	case 1:
		return "\x00" + tag + s // also abstract, as syscall encodes it
	case 2:
		return dir + "/" + strings.ReplaceAll(s, "/", "_")
	}
	return "" // unnamed: a dialed socket, never bound
}

// f2AddrString describes an address for the comparison.
func f2AddrString(a net.Addr) string {
	if a == nil {
		return "<nil>"
	}
	if ua, ok := a.(*net.UnixAddr); ok {
		if ua == nil {
			return "(*net.UnixAddr)(nil)"
		}
		return fmt.Sprintf("%q/%s", ua.Name, ua.Net)
	}
	return fmt.Sprintf("%T %v", a, a)
}

// f2UnixStory runs one exchange on api and returns what it saw: a datagram
// from a socket named from (or an unnamed one) to one named to, the reply
// to the address the datagram came from, and a stream connection to to.
func f2UnixStory(api unixAPI, to, from string) []string {
	var story []string
	say := func(format string, args ...any) { story = append(story, fmt.Sprintf(format, args...)) }
	cleanup := func() {
		for _, name := range []string{to, from} {
			if name != "" && name[0] != '@' && name[0] != 0 {
				if i := strings.IndexByte(name, 0); i >= 0 {
					name = name[:i] // the kernel's name ends at a NUL
				}
				os.Remove(name) // a missing file is fine
			}
		}
	}
	cleanup()
	defer cleanup()
	deadline := time.Now().Add(5 * time.Second)

	rc, err := api.listenUnixgram("unixgram", &net.UnixAddr{Name: to, Net: "unixgram"})
	say("listen %s", errChain(err))
	if err != nil {
		return story
	}
	defer rc.Close()
	rc.SetDeadline(deadline)
	raddr, _ := rc.LocalAddr().(*net.UnixAddr)
	say("local %s", f2AddrString(rc.LocalAddr()))
	var sc unixConn
	if from == "" {
		sc, err = api.dialUnix("unixgram", nil, raddr)
	} else {
		sc, err = api.listenUnixgram("unixgram", &net.UnixAddr{Name: from, Net: "unixgram"})
	}
	say("sender %s", errChain(err))
	if err != nil {
		return story
	}
	defer sc.Close()
	sc.SetDeadline(deadline)
	say("sender local %s remote %s", f2AddrString(sc.LocalAddr()), f2AddrString(sc.RemoteAddr()))
	if from == "" {
		_, err = sc.Write([]byte("ping"))
	} else {
		_, err = sc.WriteToUnix([]byte("ping"), raddr)
	}
	say("send %s", errChain(err))
	if err != nil {
		return story
	}
	buf := make([]byte, 16)
	n, src, err := rc.(interface {
		ReadFromUnix([]byte) (int, *net.UnixAddr, error)
	}).ReadFromUnix(buf)
	say("recv %q from %s %s", buf[:n], f2AddrString(src), errChain(err))
	if err != nil || src == nil {
		return story
	}
	_, err = rc.WriteToUnix([]byte("pong"), src)
	say("reply %s", errChain(err))
	if err == nil {
		n, _, _, back, err := sc.ReadMsgUnix(buf, nil)
		say("got %q from %s %s", buf[:n], f2AddrString(back), errChain(err))
	}

	// The stream side: a listener on to and a connection to it.
	if to == "" {
		return story
	}
	rc.Close()
	cleanup()
	ln, err := api.listenUnix("unix", &net.UnixAddr{Name: to, Net: "unix"})
	say("listen unix %s", errChain(err))
	if err != nil {
		return story
	}
	defer ln.Close()
	say("listener %s", f2AddrString(ln.Addr()))
	c, err := api.dial("unix", ln.Addr().String())
	say("dial %s", errChain(err))
	if err != nil {
		return story
	}
	defer c.Close()
	s, err := ln.Accept()
	say("accept %s", errChain(err))
	if err != nil {
		return story
	}
	defer s.Close()
	say("client %s -> %s, server %s -> %s", f2AddrString(c.LocalAddr()), f2AddrString(c.RemoteAddr()),
		f2AddrString(s.LocalAddr()), f2AddrString(s.RemoteAddr()))
	return story
}

// FuzzF2UnixName checks that evnet hands Unix socket names to the kernel
// and back as net does: binding (errors for names too long, never a
// truncation), the sender's address of a datagram (abstract names with
// NULs, unnamed senders), a reply to that address, and a stream
// connection's four addresses.
func FuzzF2UnixName(f *testing.F) {
	f.Add(uint8(0), uint8(0), "a", uint8(3), uint8(0), "b")
	f.Add(uint8(0), uint8(0), "srv", uint8(0), uint8(0), "cli") // sender named like the receiver's kind
	f.Add(uint8(1), uint8(0), "nul", uint8(1), uint8(0), "x")
	f.Add(uint8(0), uint8(0), "embedded\x00nul", uint8(0), uint8(0), "\x00\x00")
	f.Add(uint8(2), uint8(0), "path", uint8(2), uint8(0), "peer")
	f.Add(uint8(2), uint8(0), "p\x00trunc", uint8(3), uint8(0), "")
	f.Add(uint8(2), uint8(0), "", uint8(3), uint8(0), "") // the directory itself
	f.Add(uint8(3), uint8(0), "", uint8(0), uint8(0), "from-abstract")
	for _, pad := range []uint8{90, 97, 98, 99, 100, 110} { // lengths around 108
		f.Add(uint8(0), pad, "", uint8(0), uint8(0), "s")
		f.Add(uint8(1), pad, "", uint8(0), uint8(0), "s")
		f.Add(uint8(2), pad-20, "", uint8(2), pad-30, "")
	}
	dir := unixTempDir(f)
	tag := fmt.Sprintf("evf2-%08x-", os.Getpid())
	f.Fuzz(func(t *testing.T, tk, tpad uint8, tname string, fk, fpad uint8, fname string) {
		to := f2UnixName(dir, tag+"t", tk, tpad, tname)
		from := f2UnixName(dir, tag+"f", fk, fpad, fname)
		if to == from {
			from += "-f" // two sockets cannot share a name
		}
		if to == "" {
			t.Skip("a receiver needs a name")
		}
		nstory := f2UnixStory(unixAPIs[0], to, from)
		estory := f2UnixStory(unixAPIs[1], to, from)
		if strings.Join(nstory, "\n") != strings.Join(estory, "\n") {
			t.Errorf("to %q, from %q:\nnet:\n  %s\nevnet:\n  %s", to, from,
				strings.Join(nstory, "\n  "), strings.Join(estory, "\n  "))
		}
	})
}
