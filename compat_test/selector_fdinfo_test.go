//go:build linux

package compat_test

import (
	"bufio"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/evnet/evnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// epollTargets maps each epoll instance of the process, named by its lowest
// fd, to the fds registered with it, read from /proc/self/fdinfo ("tfd: N"
// lines). Fds that duplicate one instance (evnet's loop parks on a dup of
// its epoll fd) list the same registrations and count once.
func epollTargets(t *testing.T) map[int]map[int]bool {
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	out := map[int]map[int]bool{}
	seen := map[string]bool{} // the tfd lines of each instance
	for _, e := range ents {
		link, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil || !strings.Contains(link, "eventpoll") {
			continue // gone already, or not an epoll fd
		}
		epfd, _ := strconv.Atoi(e.Name())
		f, err := os.Open("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue // closed since the directory was read
		}
		targets := map[int]bool{}
		var lines strings.Builder
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == "tfd:" {
				n, _ := strconv.Atoi(fields[1])
				targets[n] = true
				lines.WriteString(sc.Text() + "\n")
			}
		}
		f.Close()
		if key := lines.String(); key != "" && seen[key] {
			continue // a duplicate fd of an instance already counted
		} else {
			seen[key] = true
		}
		out[epfd] = targets
	}
	return out
}

// sysfd returns the fd number of a conn through its RawConn.
func sysfd(t *testing.T, c net.Conn) int {
	sc, ok := c.(syscall.Conn)
	require.True(t, ok, "%T has no SyscallConn", c)
	rc, err := sc.SyscallConn()
	require.NoError(t, err)
	fd := -1
	require.NoError(t, rc.Control(func(s uintptr) { fd = int(s) }))
	return fd
}

// TestFdsAreOnEvnetSelectorNotRuntime proves from the kernel's own records
// that an evnet conn's fd is registered with exactly one epoll instance,
// evnet's, and not with the runtime's, which holds net's conns.
func TestFdsAreOnEvnetSelectorNotRuntime(t *testing.T) {
	netClient, netServer := connPair(t, stacks[0], "tcp4")
	evClient, evServer := connPair(t, stacks[1], "tcp4")
	targets := epollTargets(t)
	holders := func(fd int) []int {
		var eps []int
		for ep, ts := range targets {
			if ts[fd] {
				eps = append(eps, ep)
			}
		}
		return eps
	}
	runtimeEps := holders(sysfd(t, netClient))
	require.Len(t, runtimeEps, 1, "net's conn should be in the runtime's epoll only")
	assert.Equal(t, runtimeEps, holders(sysfd(t, netServer)))
	g, err := loop.Default()
	require.NoError(t, err)
	selName := g.Loops()[0].Selector()
	for name, c := range map[string]net.Conn{"dialed": evClient, "accepted": evServer} {
		fd := sysfd(t, c)
		assert.False(t, targets[runtimeEps[0]][fd], "%s evnet conn is in the runtime's epoll", name)
		eps := holders(fd)
		if selName != "epoll" {
			// poll(2) keeps no kernel registration at all.
			assert.Empty(t, eps, "%s evnet conn on the %s selector is in an epoll instance", name, selName)
			continue
		}
		if assert.Len(t, eps, 1, "%s evnet conn: epoll instances holding it", name) {
			assert.NotEqual(t, runtimeEps[0], eps[0], "%s evnet conn is in the runtime's epoll", name)
			t.Logf("%s evnet conn fd %d is in evnet's epoll (fd %d); net's conns are in the runtime's (fd %d)",
				name, fd, eps[0], runtimeEps[0])
		}
	}
}
