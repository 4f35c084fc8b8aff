//go:build linux

package compat_test

// Tier A reliability tests for TCP (RELIABILITY.md §4.1). Each goal logs one
// line, "GOAL <id> <name>: <figures> — PASS|FAIL", and asserts its pass bar.
// This file holds the shared helpers; the goals are split by topic:
//
//	fdleak_test.go        A3  fd leaks (tcp4, tcp6)
//	cloexec_test.go       A4  CLOEXEC and inheritance by a child process
//	closeblocked_test.go  A5  close while a Read is blocked, fd reuse
//	                      A6  re-Listen right after Close, Accept pending
//	stress_test.go        A7  concurrent random ops
//	deadline_test.go      A8  deadlines
//	emfile_test.go        A13 EMFILE backoff, in a child process
//	defaults_test.go      A18 socket option defaults
//
// A4 and A13 re-execute the test binary (os/exec's TestExtraFiles pattern):
// TestReliabilityHelperProcess does the child's part when relHelperEnv is set.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// relGoal logs a goal's one-line figure and returns ok, so that a test can
// log first and assert the details after.
func relGoal(t testing.TB, id, name string, ok bool, format string, args ...any) bool {
	t.Helper()
	verdict := "PASS"
	if !ok {
		verdict = "FAIL"
	}
	t.Logf("GOAL %s %s: %s — %s", id, name, fmt.Sprintf(format, args...), verdict)
	return ok
}

// relRace reports whether the test binary was built with -race, from its
// build settings (no race-only files: STYLE.md §6).
var relRace = sync.OnceValue(func() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
})

// relScale returns full, or short under -short.
func relScale(full, short int) int {
	if testing.Short() {
		return short
	}
	return full
}

// relIPv6 reports whether a TCP listener can bind [::1] here. (nettest's
// SupportsIPv6 also wants a routed IPv6 interface, which a loopback-only
// network namespace lacks.)
var relIPv6 = sync.OnceValue(func() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
})

// relFDLinks maps each open fd of the process to its /proc/self/fd link
// ("socket:[123]", "anon_inode:[eventpoll]", "pipe:[45]", a path, ...).
func relFDLinks(t testing.TB) map[int]string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	links := make(map[int]string, len(ents))
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		l, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // closed since ReadDir (e.g. ReadDir's own fd)
		}
		links[fd] = l
	}
	return links
}

// relSocketFDs counts the process's socket fds: RELIABILITY.md §5 counts
// sockets, not all fds (the runtime keeps pipes and cgroup files open).
func relSocketFDs(t testing.TB) int {
	t.Helper()
	n := 0
	for _, l := range relFDLinks(t) {
		if strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}

// relFD returns the fd number of c, through SyscallConn().Control.
func relFD(t testing.TB, c any) int {
	t.Helper()
	sc, ok := c.(interface {
		SyscallConn() (syscall.RawConn, error)
	})
	require.True(t, ok, "%T has no SyscallConn", c)
	rc, err := sc.SyscallConn()
	require.NoError(t, err)
	fd := -1
	require.NoError(t, rc.Control(func(s uintptr) { fd = int(s) }))
	return fd
}

// relGoid returns the calling goroutine's id, from its stack header.
func relGoid() int64 {
	var buf [64]byte
	s := buf[:runtime.Stack(buf[:], false)]
	s = bytes.TrimPrefix(s, []byte("goroutine "))
	id, _ := strconv.ParseInt(string(s[:bytes.IndexByte(s, ' ')]), 10, 64)
	return id
}

// Frames a goroutine parked in a read or accept wait has on its stack.
const (
	relEvnetWait = "evnet/loop.(*Desc).wait"
	relNetWait   = "internal/poll.runtime_pollWait"
)

// relWaitParked reports whether goroutine id is, or within tries yields
// becomes, parked (not running or runnable) with frame on its stack. It is
// how a test knows that an op is really blocked before it closes the fd,
// without sleeping. buf is scratch space for runtime.Stack.
func relWaitParked(buf []byte, id int64, frame string, tries int) bool {
	head := []byte("goroutine " + strconv.FormatInt(id, 10) + " [")
	for range tries {
		all := buf[:runtime.Stack(buf, true)]
		if i := bytes.Index(all, head); i >= 0 {
			g := all[i:]
			if j := bytes.Index(g, []byte("\n\n")); j >= 0 {
				g = g[:j]
			}
			status := g[len(head):]
			running := bytes.HasPrefix(status, []byte("running")) || bytes.HasPrefix(status, []byte("runnable"))
			if !running && bytes.Contains(g, []byte(frame)) {
				return true
			}
		}
		runtime.Gosched()
	}
	return false
}

// relQuantiles returns the p50, p99 and max of ds (zeros if empty).
func relQuantiles(ds []time.Duration) (p50, p99, mx time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration {
		i := int(math.Ceil(q*float64(len(s)))) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return at(0.50), at(0.99), s[len(s)-1]
}

// relIsTimeout reports whether err is a net.Error with Timeout() true.
func relIsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// relCheckConnErr is the local A7 shape checker for an error returned by a
// TCPConn method op (read, write, set, close): nil; io.EOF from read; or a
// *net.OpError with that Op, a tcp Net, net's Source/Addr convention, and in
// Err net.ErrClosed (not Timeout), os.ErrDeadlineExceeded (Timeout) or an
// *os.SyscallError of the op's syscall wrapping an Errno. It returns a
// description of the first violation, or "".
func relCheckConnErr(op string, err error) string {
	if err == nil {
		return ""
	}
	if err == io.EOF {
		if op == "read" {
			return ""
		}
		return fmt.Sprintf("%s: bare io.EOF", op)
	}
	oe, ok := err.(*net.OpError)
	if !ok {
		return fmt.Sprintf("%s: top level is %T, want *net.OpError: %v", op, err, err)
	}
	if oe.Op != op {
		return fmt.Sprintf("%s: OpError.Op is %q: %v", op, oe.Op, err)
	}
	if !strings.HasPrefix(oe.Net, "tcp") {
		return fmt.Sprintf("%s: OpError.Net is %q: %v", op, oe.Net, err)
	}
	nilAddr := func(a net.Addr) bool {
		ta, isTCP := a.(*net.TCPAddr)
		return a == nil || (isTCP && ta == nil)
	}
	if ta, isTCP := oe.Source.(*net.TCPAddr); isTCP && ta == nil {
		return fmt.Sprintf("%s: OpError.Source is a typed nil: %v", op, err)
	}
	if op == "set" {
		if oe.Source != nil || nilAddr(oe.Addr) {
			return fmt.Sprintf("%s: want Source nil and Addr the local address: %v", op, err)
		}
	} else if nilAddr(oe.Source) || nilAddr(oe.Addr) {
		return fmt.Sprintf("%s: want Source and Addr set: %v", op, err)
	}
	var se *os.SyscallError
	switch {
	case errors.Is(oe.Err, net.ErrClosed):
		if oe.Timeout() {
			return fmt.Sprintf("%s: closed error with Timeout() true: %v", op, err)
		}
	case errors.Is(oe.Err, os.ErrDeadlineExceeded):
		if !oe.Timeout() || (op != "read" && op != "write") {
			return fmt.Sprintf("%s: deadline error with Timeout() %v: %v", op, oe.Timeout(), err)
		}
	case errors.As(oe.Err, &se) && oe.Err == error(se):
		want := map[string][]string{"read": {"read"}, "write": {"write", "writev"},
			"close": {"shutdown"}, "set": {"setsockopt"}}[op]
		if !slices.Contains(want, se.Syscall) {
			return fmt.Sprintf("%s: SyscallError.Syscall is %q, want one of %q: %v", op, se.Syscall, want, err)
		}
		if _, ok := se.Err.(syscall.Errno); !ok {
			return fmt.Sprintf("%s: SyscallError wraps %T: %v", op, se.Err, err)
		}
	default:
		return fmt.Sprintf("%s: OpError.Err is %T: %v", op, oe.Err, err)
	}
	return ""
}

// relHelperEnv selects the child's part when the test binary re-executes
// itself; relResultPrefix marks the child's one result line.
const (
	relHelperEnv    = "EVNET_RELIABILITY_HELPER"
	relResultPrefix = "EVNET-RELIABILITY-RESULT "
)

// TestReliabilityHelperProcess is not a test: it is the child process of A4,
// A13 and B6, run only when the parent re-executes the test binary.
func TestReliabilityHelperProcess(t *testing.T) {
	switch h := os.Getenv(relHelperEnv); h {
	case "":
		t.Skip("helper process of A4/A13/B6; runs only when re-executed by them")
	case "cloexec":
		relHelperCloexec(t)
	case "emfile":
		relHelperEMFILE(t)
	case "soak":
		relHelperSoak(t)
	default:
		t.Fatalf("unknown %s=%q", relHelperEnv, h)
	}
}

// relReport prints the child's result for the parent to parse.
func relReport(t testing.TB, v any) {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	fmt.Printf("\n%s%s\n", relResultPrefix, b)
}

// relRunHelper re-executes the test binary as helper h with env added and
// decodes its result line into v.
func relRunHelper(t *testing.T, h string, v any, env ...string) {
	t.Helper()
	// A hung child is killed after three minutes rather than hang the test
	// (B6's soak takes 60 s and its setup).
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestReliabilityHelperProcess$", "-test.v", "-test.count=1")
	cmd.Env = append(append(os.Environ(), relHelperEnv+"="+h), env...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "helper %s failed:\n%s", h, out)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), relResultPrefix); ok {
			require.NoError(t, json.Unmarshal([]byte(line), v), "helper %s result %q", h, line)
			return
		}
	}
	t.Fatalf("helper %s printed no result line:\n%s", h, out)
}
