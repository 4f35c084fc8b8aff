//go:build linux

package compat_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// relOpt is one option read by relGetOpts.
type relOpt struct {
	name       string
	level, opt int // getsockopt; level -1: fcntl flag opt of F_GETFD/F_GETFL
}

var (
	relOptCloexec  = relOpt{"CLOEXEC", -1, unix.FD_CLOEXEC}
	relOptNonblock = relOpt{"NONBLOCK", -1, unix.O_NONBLOCK}
	relListenOpts  = []relOpt{
		{"SO_REUSEADDR", unix.SOL_SOCKET, unix.SO_REUSEADDR},
		{"SO_REUSEPORT", unix.SOL_SOCKET, unix.SO_REUSEPORT},
		relOptCloexec, relOptNonblock,
	}
	relConnOpts = []relOpt{
		{"TCP_NODELAY", unix.IPPROTO_TCP, unix.TCP_NODELAY},
		{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE},
		{"TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE},
		{"TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL},
		{"TCP_KEEPCNT", unix.IPPROTO_TCP, unix.TCP_KEEPCNT},
		relOptCloexec, relOptNonblock,
	}
	relV6OnlyOpt = relOpt{"IPV6_V6ONLY", unix.IPPROTO_IPV6, unix.IPV6_V6ONLY}
)

// relDefaultsWant is probes/defaultsprobe.txt, measured with net on Go
// 1.26.8 (booleans as 0/1).
var relDefaultsWant = map[string]int{
	"listener SO_REUSEADDR": 1, "listener SO_REUSEPORT": 0, "listener CLOEXEC": 1, "listener NONBLOCK": 1,
	"accepted TCP_NODELAY": 1, "accepted SO_KEEPALIVE": 1, "accepted TCP_KEEPIDLE": 15,
	"accepted TCP_KEEPINTVL": 15, "accepted TCP_KEEPCNT": 9, "accepted CLOEXEC": 1, "accepted NONBLOCK": 1,
	"dialed TCP_NODELAY": 1, "dialed SO_KEEPALIVE": 1, "dialed TCP_KEEPIDLE": 15,
	"dialed TCP_KEEPINTVL": 15, "dialed TCP_KEEPCNT": 9, "dialed CLOEXEC": 1, "dialed NONBLOCK": 1,
	"tcp [::]:0 listener IPV6_V6ONLY": 0, "tcp6 [::1]:0 listener IPV6_V6ONLY": 1,
}

// relGetOpts reads opts of c's socket into m under prefix.
func relGetOpts(t testing.TB, m map[string]int, prefix string, c any, opts []relOpt) {
	t.Helper()
	rc, err := c.(interface {
		SyscallConn() (syscall.RawConn, error)
	}).SyscallConn()
	require.NoError(t, err)
	require.NoError(t, rc.Control(func(fd uintptr) {
		for _, o := range opts {
			var v int
			var err error
			switch {
			case o.level >= 0:
				v, err = unix.GetsockoptInt(int(fd), o.level, o.opt)
			case o == relOptCloexec:
				v, err = unix.FcntlInt(fd, unix.F_GETFD, 0)
				v = relBool(v&o.opt != 0)
			default:
				v, err = unix.FcntlInt(fd, unix.F_GETFL, 0)
				v = relBool(v&o.opt != 0)
			}
			if !assert.NoError(t, err, "%s %s", prefix, o.name) {
				v = -1
			}
			m[prefix+" "+o.name] = v
		}
	}))
}

// relListenBacklog returns the accept backlog of the TCP listener on port,
// from the Send-Q column of `ss -ltn`, or a reason why it cannot.
func relListenBacklog(port int) (int, string) {
	ss, err := exec.LookPath("ss")
	if err != nil {
		return 0, "ss (iproute2) is not installed"
	}
	out, err := exec.Command(ss, "-Hltn", "sport = :"+strconv.Itoa(port)).Output()
	if err != nil {
		return 0, fmt.Sprintf("ss failed: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[0] == "LISTEN" && strings.HasSuffix(f[3], ":"+strconv.Itoa(port)) {
			n, err := strconv.Atoi(f[2])
			if err != nil {
				return 0, fmt.Sprintf("ss printed %q", line)
			}
			return n, ""
		}
	}
	return 0, fmt.Sprintf("ss does not list port %d: %q", port, out)
}

// TestReliabilityA18Defaults compares, by getsockopt, the options net and
// evnet set on a TCP listener and on dialed and accepted conns with
// probes/defaultsprobe.txt; checks that the listen backlog is somaxconn
// (TestMaxAckBacklog) and that a second Listen on a busy port fails with
// net's EADDRINUSE error (TestTCPListener).
func TestReliabilityA18Defaults(t *testing.T) {
	got := map[string]map[string]int{}
	backlog := map[string]int{}
	busy := map[string]string{}
	var backlogSkip string
	for _, s := range stacks {
		m := map[string]int{}
		got[s.name] = m
		c, p := connPair(t, s, "tcp4")
		relGetOpts(t, m, "dialed", c, relConnOpts)
		relGetOpts(t, m, "accepted", p, relConnOpts)

		ln := newLocalListener(t, s, "tcp4")
		relGetOpts(t, m, "listener", ln, relListenOpts)
		port := ln.Addr().(*net.TCPAddr).Port
		if n, why := relListenBacklog(port); why == "" {
			backlog[s.name] = n
		} else {
			backlogSkip = why
		}

		ln2, err := s.listen("tcp4", ln.Addr().String())
		if ln2 != nil {
			ln2.Close()
		}
		var oe *net.OpError
		var se *os.SyscallError
		shapeOK := errors.As(err, &oe) && oe.Op == "listen" && errors.As(err, &se) && se.Syscall == "bind" &&
			errors.Is(err, syscall.EADDRINUSE) && err == error(oe) && oe.Err == error(se)
		text := "<nil>"
		if err != nil {
			text = strings.ReplaceAll(err.Error(), strconv.Itoa(port), "PORT")
		}
		busy[s.name] = fmt.Sprintf("%q (OpError{listen} → SyscallError{bind} → EADDRINUSE: %v)", text, shapeOK)
		assert.True(t, shapeOK, "%s: second Listen on a busy port = %v (%T); want OpError{listen} → SyscallError{bind} → EADDRINUSE",
			s.name, err, err)

		if relIPv6() {
			for _, v := range [][2]string{{"tcp", "[::]:0"}, {"tcp6", "[::1]:0"}} {
				l6, err := s.listen(v[0], v[1])
				require.NoError(t, err)
				relGetOpts(t, m, v[0]+" "+v[1]+" listener", l6, []relOpt{relV6OnlyOpt})
				l6.Close()
			}
		}
	}

	var equal, total int
	var diffs []string
	for key, want := range relDefaultsWant {
		if strings.Contains(key, "IPV6") && !relIPv6() {
			continue
		}
		total++
		n, e := got["net"][key], got["evnet"][key]
		if n == want && e == want {
			equal++
		} else {
			diffs = append(diffs, fmt.Sprintf("%s: net %d evnet %d probe %d", key, n, e, want))
		}
		assert.Equal(t, want, e, "evnet %s (net %d)", key, n)
		assert.Equal(t, want, n, "net %s: the probe no longer matches this machine", key)
	}

	somaxconn, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	require.NoError(t, err)
	wantBacklog, err := strconv.Atoi(strings.TrimSpace(string(somaxconn)))
	require.NoError(t, err)
	wantBacklog = min(wantBacklog, 1<<16-1) // listen(2) stores it in a u16 before Linux 4.1; net caps it too
	backlogLine := fmt.Sprintf("backlog net %d evnet %d somaxconn %d", backlog["net"], backlog["evnet"], wantBacklog)
	if backlogSkip != "" {
		backlogLine = "backlog not checked: " + backlogSkip
	} else {
		assert.Equal(t, wantBacklog, backlog["evnet"], "evnet listen backlog")
		assert.Equal(t, wantBacklog, backlog["net"], "net listen backlog")
	}
	ipv6 := ""
	if !relIPv6() {
		ipv6 = " (IPV6_V6ONLY not checked: no IPv6 loopback)"
	}
	relGoal(t, "A18", "defaults tcp", !t.Failed(),
		"%d/%d options equal on net, evnet and the probe%s%s; %s; second Listen on a busy port: net %s, evnet %s",
		equal, total, ipv6, strings.Join(append([]string{""}, diffs...), "; differs: "), backlogLine,
		busy["net"], busy["evnet"])
}
