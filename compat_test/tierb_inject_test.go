//go:build linux

package compat_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tbEINTRSet is B4's EINTR set: RELIABILITY.md's read, write and
// epoll_pwait, plus the syscalls the workload's I/O goes through instead:
// sendto (evnet's stream Write: x/sys sends a sendmsg without oob or
// address as sendto), sendmsg (writev of net.Buffers), splice (io.Copy
// between conns, on both stacks), epoll_wait, and ppoll and poll (evnet's
// poll(2) selector, under -tags forcepoll).
const tbEINTRSet = "read,write,sendto,sendmsg,splice,epoll_wait,epoll_pwait,ppoll,poll"

// tbInjections are B4's two strace fault injections: EINTR on every third
// I/O or wait syscall from the third on, and ECONNABORTED on every fifth
// accept4 from the second on. strace fails the syscall without running it,
// so the connection an aborted accept4 would have taken stays queued.
var tbInjections = []struct{ name, set, inject string }{
	{"EINTR", tbEINTRSet, tbEINTRSet + ":error=EINTR:when=3+3"},
	{"ECONNABORTED", "accept4", "accept4:error=ECONNABORTED:when=2+5"},
}

// TestTierB4Inject is RELIABILITY.md B4: the B5 workload (dial/echo/close
// cycles, a 4 MiB echoed transfer, deadlines, Close during blocked Read
// and Accept, RSTs, private loops) runs under each strace injection, on net
// and on evnet, and must do all its work without an error: every EINTR
// retried, every ECONNABORTED skipped by Accept, no wakeup lost. Stdlib
// baseline: the transfer passes.
func TestTierB4Inject(t *testing.T) {
	tbRequire(t, "strace")
	conns := relScale(1000, 200)
	for _, inj := range tbInjections {
		for _, s := range tbStacks {
			t.Run(inj.name+"/"+s.name, func(t *testing.T) {
				trace := filepath.Join(t.TempDir(), "strace.out")
				args, env := tbWorkloadArgs(s.name, conns)
				out, w, dt, err := tbRunTraced(t,
					[]string{"--seccomp-bpf", "-e", "trace=" + inj.set, "-e", "inject=" + inj.inject, "-o", trace},
					args, env, 90*time.Second)
				b, rerr := os.ReadFile(trace)
				require.NoError(t, rerr)
				injected := bytes.Count(b, []byte("(INJECTED)"))
				ok := err == nil && w != nil && len(w.Errors) == 0 && injected > 0
				relGoal(t, "B4", inj.name+" "+s.name, ok, "inject=%s: %d syscalls failed by strace; %s; child ran %v",
					inj.inject, injected, tbWorkFigure(w), dt.Round(time.Millisecond))
				require.NoError(t, err, "traced child failed:\n%s", tbTail(out))
				require.NotNil(t, w, "the child printed no report:\n%s", tbTail(out))
				assert.Empty(t, w.Errors, "workload errors")
				assert.Positive(t, injected, "strace injected nothing")
			})
		}
	}
}
