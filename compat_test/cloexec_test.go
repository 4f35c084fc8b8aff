//go:build linux

package compat_test

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/evnet/evnet"
	"github.com/evnet/evnet/loop"
	"github.com/evnet/evnet/selector"
	"github.com/evnet/evnet/waker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// relFDKind names the kind of an fd from its /proc/self/fd link.
func relFDKind(link string) string {
	switch {
	case strings.HasPrefix(link, "socket:"):
		return "socket"
	case link == "anon_inode:[eventpoll]":
		return "epoll"
	case link == "anon_inode:[eventfd]":
		return "eventfd"
	case strings.HasPrefix(link, "pipe:"):
		return "pipe"
	}
	return "other"
}

// relCloexec reports whether fd has FD_CLOEXEC.
func relCloexec(fd int) (bool, error) {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil && flags&unix.FD_CLOEXEC != 0, err
}

// TestReliabilityA4Cloexec checks that every fd evnet creates for TCP is
// close-on-exec: a listener, dialed and accepted conns (v4 and v6), and the
// epoll, eventfd and pipe fds of a loop built with every selector × waker
// backend compiled here. Then it execs a child (os/exec's TestExtraFiles
// pattern) that counts the sockets, and this process's socket and pipe
// inodes, it inherited: 0. UDP and Unix fd kinds are added with their code.
func TestReliabilityA4Cloexec(t *testing.T) {
	before := relFDLinks(t)

	networks := [][2]string{{"tcp4", "127.0.0.1:0"}}
	if relIPv6() {
		networks = append(networks, [2]string{"tcp6", "[::1]:0"})
	}
	for _, n := range networks {
		ln, err := evnet.Listen(n[0], n[1])
		require.NoError(t, err)
		t.Cleanup(func() { ln.Close() })
		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				c = nil // the nil send tells the test goroutine it failed
			}
			accepted <- c
		}()
		c, err := evnet.Dial(n[0], ln.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		s := <-accepted
		require.NotNil(t, s, "Accept failed")
		t.Cleanup(func() { s.Close() })
	}
	var backends []string
	for _, sn := range selector.Backends() {
		for _, wn := range waker.Backends() {
			l, err := loop.New(loop.Config{
				Selector: func() (selector.Selector, error) { return selector.NewByName(sn) },
				Waker: func(s selector.Selector, tok selector.Token) (waker.Waker, error) {
					return waker.NewByName(wn, s, tok)
				},
			})
			if err != nil {
				t.Logf("loop %s+%s not available here: %v", sn, wn, err)
				continue
			}
			t.Cleanup(func() { l.Close() })
			backends = append(backends, sn+"+"+wn)
		}
	}
	after := relFDLinks(t)

	// Every fd this test created.
	created := map[string]int{}
	var notCloexec []string
	for fd, link := range after {
		if before[fd] == link {
			continue
		}
		created[relFDKind(link)]++
		if ok, err := relCloexec(fd); !ok {
			notCloexec = append(notCloexec, fmt.Sprintf("fd %d %s (%v)", fd, link, err))
		}
	}
	nCreated := 0
	for _, n := range created {
		nCreated += n
	}
	// Every socket, epoll, eventfd and pipe fd of the process above stdio,
	// the default loop group's included, except those this process inherited
	// from its environment (they are open in the parent process too, e.g. a
	// job-control pipe of the shell). Their identities go to the child.
	inherited := relInheritedFDs(t)
	var swept, envFDs int
	var parentIDs []string
	for fd, link := range after {
		kind := relFDKind(link)
		if fd <= 2 || kind == "other" {
			continue
		}
		if inherited[fd] == link {
			envFDs++
			continue
		}
		swept++
		if ok, err := relCloexec(fd); !ok && before[fd] == link {
			notCloexec = append(notCloexec, fmt.Sprintf("fd %d %s (%v), open before the test", fd, link, err))
		}
		if kind == "socket" || kind == "pipe" {
			parentIDs = append(parentIDs, link)
		}
	}
	slices.Sort(parentIDs)

	var child relCloexecResult
	relRunHelper(t, "cloexec", &child, "EVNET_RELIABILITY_PARENT_FDS="+strings.Join(parentIDs, ","))

	ok := len(notCloexec) == 0 && child.Sockets == 0 && len(child.Inherited) == 0 &&
		created["socket"] >= 3*len(networks) && created["epoll"] > 0
	relGoal(t, "A4", "cloexec tcp", ok,
		"%d fds created (%d socket, %d epoll, %d eventfd, %d pipe, %d other; loops %s), %d socket/epoll/eventfd/pipe fds swept "+
			"(%d inherited from the environment skipped), "+
			"%d without FD_CLOEXEC; exec'd child inherited %d sockets, %d of the parent's %d socket/pipe inodes",
		nCreated, created["socket"], created["epoll"], created["eventfd"], created["pipe"], created["other"],
		strings.Join(backends, ","), swept, envFDs, len(notCloexec), child.Sockets, len(child.Inherited), len(parentIDs))
	assert.Empty(t, notCloexec, "fds without FD_CLOEXEC")
	assert.GreaterOrEqual(t, created["socket"], 3*len(networks), "listener, dialed and accepted sockets")
	assert.Positive(t, created["epoll"], "no epoll fd was created: the backend loop did not build")
	assert.Zero(t, child.Sockets, "sockets in the child: %v", child.Links)
	assert.Empty(t, child.Inherited, "the parent's fds in the child")
}

// relInheritedFDs returns the fds without FD_CLOEXEC that the parent process
// has open to the same object: this process inherited them at exec, and
// they are not evnet's.
func relInheritedFDs(t testing.TB) map[int]string {
	t.Helper()
	parent := map[int]string{}
	ppid := strconv.Itoa(os.Getppid())
	ents, err := os.ReadDir("/proc/" + ppid + "/fd")
	if err != nil {
		return parent // not ours to read: inherit nothing
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/" + ppid + "/fd/" + e.Name()); err == nil {
			parent[fd] = l
		}
	}
	inherited := map[int]string{}
	for fd, link := range relFDLinks(t) {
		if ok, _ := relCloexec(fd); !ok && parent[fd] == link {
			inherited[fd] = link
		}
	}
	return inherited
}

// relCloexecResult is what the A4 child reports.
type relCloexecResult struct {
	Sockets   int      // socket fds open in the child
	Inherited []string // the parent's socket/pipe inodes open in the child
	Links     []string // every fd link of the child, for the failure message
}

// relHelperCloexec is the A4 child: it lists its fds at once.
func relHelperCloexec(t *testing.T) {
	parent := map[string]bool{}
	for _, id := range strings.Split(os.Getenv("EVNET_RELIABILITY_PARENT_FDS"), ",") {
		if id != "" {
			parent[id] = true
		}
	}
	var r relCloexecResult
	for fd, link := range relFDLinks(t) {
		r.Links = append(r.Links, fmt.Sprintf("%d=%s", fd, link))
		if strings.HasPrefix(link, "socket:") {
			r.Sockets++
		}
		if parent[link] {
			r.Inherited = append(r.Inherited, link)
		}
	}
	slices.Sort(r.Links)
	relReport(t, r)
}
