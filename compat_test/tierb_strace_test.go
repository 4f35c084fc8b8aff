//go:build linux

package compat_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/evnet/evnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The child of B4 and B5: tbHelperEnv selects its part, tbStackEnv the
// stack, tbConnsEnv the number of dial/accept/close cycles.
const (
	tbHelperEnv = "EVNET_TIERB_HELPER"
	tbStackEnv  = "EVNET_TIERB_STACK"
	tbConnsEnv  = "EVNET_TIERB_CONNS"
)

// TestTierBHelperProcess is not a test: it is the child process of B4 and
// B5, run only when the parent re-executes the test binary under strace.
func TestTierBHelperProcess(t *testing.T) {
	switch h := os.Getenv(tbHelperEnv); h {
	case "":
		t.Skip("helper process of B4/B5; runs only when re-executed by them")
	case "workload":
		i := 0
		if os.Getenv(tbStackEnv) == "evnet" {
			i = 1
		}
		conns, err := strconv.Atoi(os.Getenv(tbConnsEnv))
		require.NoError(t, err, tbConnsEnv)
		w := tbWorkload(tbStacks[i].stack, conns)
		relReport(t, w)
		require.Empty(t, w.Errors)
	default:
		t.Fatalf("unknown %s=%q", tbHelperEnv, h)
	}
}

// tbWork is what the workload did, and the errors it saw.
type tbWork struct {
	Cycles, Transfers, Deadlines, ClosedReads, ClosedAccepts, Resets, Loops int
	Parked                                                                  int    // blocked ops seen parked before their Close
	Selector                                                                string // evnet's ("epoll", "poll"); net's is the runtime's
	Errors                                                                  []string
}

func (w *tbWork) errorf(format string, args ...any) {
	if len(w.Errors) < 20 {
		w.Errors = append(w.Errors, fmt.Sprintf(format, args...))
	}
}

// tbWorkload is the B4/B5 workload on s, every fd kind and close path the
// suite exercises: conns cycles of dial, 1-byte echo and close by 4
// workers; a 4 MiB echoed transfer; read and write deadlines; Close during
// a blocked Read and a blocked Accept; a peer's RST; and, on evnet, private
// loops made, used (with a direct-read slot) and closed. It never calls
// require: it runs in a child whose result the parent reads.
func tbWorkload(s stack, conns int) *tbWork {
	w := &tbWork{}
	var mu sync.Mutex // guards w
	fail := func(format string, args ...any) {
		mu.Lock()
		w.errorf(format, args...)
		mu.Unlock()
	}
	ln, err := s.listen("tcp4", "127.0.0.1:0")
	if err != nil {
		w.errorf("listen: %v", err)
		return w
	}
	addr := ln.Addr().String()
	var srv sync.WaitGroup
	srv.Add(1)
	go func() { // echo server
		defer srv.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					fail("accept: %v", err)
				}
				return
			}
			srv.Add(1)
			go func() {
				defer srv.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(time.Minute)) // a bound; its error shows in Copy
				if _, err := io.Copy(c, c); err != nil && !errors.Is(err, syscall.ECONNRESET) {
					fail("echo: %v", err)
				}
			}()
		}
	}()
	dial := func() net.Conn {
		c, err := s.dial("tcp4", addr)
		if err != nil {
			fail("dial: %v", err)
			return nil
		}
		return c
	}

	// Cycles: dial, echo a byte, close.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range conns / 4 {
				c := dial()
				if c == nil {
					return
				}
				b := []byte{7}
				_ = c.SetDeadline(time.Now().Add(30 * time.Second)) // a bound; its error shows below
				if _, err := c.Write(b); err != nil {
					fail("cycle write: %v", err)
				} else if _, err := io.ReadFull(c, b); err != nil {
					fail("cycle read: %v", err)
				}
				if err := c.Close(); err != nil {
					fail("cycle close: %v", err)
				}
				mu.Lock()
				w.Cycles++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	// Transfer: 4 MiB written and echoed back whole.
	if c := dial(); c != nil {
		data := tbPayload(4 << 20)
		_ = c.SetDeadline(time.Now().Add(30 * time.Second)) // a bound; its error shows below
		werr := make(chan error, 1)
		go func() {
			_, err := c.Write(data)
			werr <- err
		}()
		got := make([]byte, len(data))
		_, rerr := io.ReadFull(c, got)
		if err := <-werr; err != nil || rerr != nil {
			fail("transfer: write %v, read %v", err, rerr)
		} else if sha256.Sum256(got) != sha256.Sum256(data) {
			fail("transfer: echoed bytes differ")
		} else {
			w.Transfers++
		}
		c.Close()
	}

	// Deadlines: a read that times out, a write past its deadline.
	for range 50 {
		c := dial()
		if c == nil {
			break
		}
		_ = c.SetReadDeadline(time.Now().Add(time.Millisecond)) // checked by the Read
		if _, err := c.Read(make([]byte, 1)); !relIsTimeout(err) {
			fail("read past deadline: %v", err)
		}
		_ = c.SetWriteDeadline(time.Unix(1, 0)) // checked by the Write
		if _, err := c.Write([]byte{1}); !relIsTimeout(err) {
			fail("write past deadline: %v", err)
		}
		c.Close()
		w.Deadlines++
	}

	// Close during a blocked Read, and during a blocked Accept.
	frame := relNetWait
	if s.name == "evnet" {
		frame = "evnet/loop." // Desc.wait, or a direct-read slot's wait
	}
	stackBuf := make([]byte, 1<<20)
	blocked := func(op func() error, closer io.Closer) {
		ready := make(chan int64, 1)
		res := make(chan error, 1)
		go func() {
			ready <- relGoid()
			res <- op()
		}()
		if relWaitParked(stackBuf, <-ready, frame, 200) {
			w.Parked++
		}
		closer.Close()
		select {
		case err := <-res:
			if !errors.Is(err, net.ErrClosed) {
				fail("op blocked during Close: %v", err)
			}
		case <-time.After(10 * time.Second):
			fail("op blocked during Close did not return")
		}
	}
	for range 50 {
		c := dial()
		if c == nil {
			break
		}
		blocked(func() error { _, err := c.Read(make([]byte, 1)); return err }, c)
		w.ClosedReads++
	}
	for range 10 {
		l, err := s.listen("tcp4", "127.0.0.1:0")
		if err != nil {
			fail("listen: %v", err)
			break
		}
		blocked(func() error { _, err := l.Accept(); return err }, l)
		w.ClosedAccepts++
	}

	// A peer's RST (SetLinger(0), then Close): the Read fails.
	rl, err := s.listen("tcp4", "127.0.0.1:0")
	if err != nil {
		fail("listen: %v", err)
	} else {
		for range 20 {
			c, err := s.dial("tcp4", rl.Addr().String())
			if err != nil {
				fail("dial: %v", err)
				break
			}
			p, err := rl.Accept()
			if err != nil {
				fail("accept: %v", err)
				c.Close()
				break
			}
			_ = p.(interface{ SetLinger(int) error }).SetLinger(0) // the Read below shows if no RST came
			p.Close()
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second)) // a bound
			if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
				fail("read after RST: %v", err)
			}
			c.Close()
			w.Resets++
		}
		rl.Close()
	}

	w.Selector = "runtime"
	if s.name == "evnet" {
		for range 10 {
			sel, err := tbLoopCycle()
			if err != nil {
				fail("private loop: %v", err)
				break
			}
			w.Selector = sel
			w.Loops++
		}
	}

	ln.Close()
	srv.Wait()
	return w
}

// tbLoopCycle makes a private loop, registers one end of a socketpair with
// it, waits for a read deadline (which gives the reader a direct-read slot
// on Linux), then closes the Desc and the loop: every close path of the
// loop package, its selector, waker and slots. It returns the name of the
// loop's selector, which the default loops share.
func tbLoopCycle() (string, error) {
	l, err := loop.New(loop.Config{})
	if err != nil {
		return "", err
	}
	defer l.Close()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", os.NewSyscallError("socketpair", err)
	}
	defer unix.Close(fds[1])
	d, err := l.Register(fds[0])
	if err != nil {
		unix.Close(fds[0])
		return "", err
	}
	defer d.Close()
	if err := d.ReadLock(); err != nil {
		return "", err
	}
	defer d.ReadUnlock()
	if err := d.SetDeadline(time.Now().Add(time.Millisecond), loop.ModeRead); err != nil {
		return "", err
	}
	if err := d.PrepareRead(); err != nil {
		return "", err
	}
	for range 10 { // a spurious wakeup or the slot's adoption, then the deadline
		_, err := unix.Read(d.Fd(), make([]byte, 1))
		for err == unix.EINTR { // B4 injects it
			_, err = unix.Read(d.Fd(), make([]byte, 1))
		}
		if err != unix.EAGAIN {
			return "", fmt.Errorf("read on an empty socketpair: %v", err)
		}
		if err := d.WaitRead(); errors.Is(err, os.ErrDeadlineExceeded) {
			return l.Selector(), nil
		} else if err != nil {
			return "", err
		}
	}
	return "", errors.New("the read deadline never fired")
}

// tbRunTraced runs the test binary's args under strace with straceArgs and
// env added, bounded to limit, and returns its output and the child's
// report (nil if it printed none).
func tbRunTraced(t *testing.T, straceArgs, args, env []string, limit time.Duration) (string, *tbWork, time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	argv := append(append(append([]string{"-f", "-qq"}, straceArgs...), os.Args[0]), args...)
	cmd := exec.CommandContext(ctx, "strace", argv...)
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	dt := time.Since(t0)
	var w *tbWork
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), relResultPrefix); ok {
			w = new(tbWork)
			if jerr := json.Unmarshal([]byte(line), w); jerr != nil {
				return string(out), nil, dt, jerr
			}
		}
	}
	return string(out), w, dt, err
}

// tbWorkloadArgs runs TestTierBHelperProcess's workload on stack name.
func tbWorkloadArgs(name string, conns int) (args, env []string) {
	// The child's own timeout, inside the parent's, dumps its goroutines.
	return []string{"-test.run=^TestTierBHelperProcess$", "-test.v", "-test.count=1", "-test.timeout=60s"},
		[]string{tbHelperEnv + "=workload", tbStackEnv + "=" + name, tbConnsEnv + "=" + strconv.Itoa(conns)}
}

// tbSuiteSubset is the part of the suite B5 also runs under strace: error
// parity (net and evnet), close while blocked with fd reuse, re-Listen, and
// half-close, in -short mode.
const tbSuiteSubset = "^(TestErrorParity|TestReliabilityA5CloseWhileBlocked|TestReliabilityA6RelistenAfterClose|TestExactHalfClose)$"

// TestTierB5DoubleClose is RELIABILITY.md B5: the workload (on net, then on
// evnet) and a subset of this suite run under strace -f -e
// trace=close,epoll_ctl; no close may fail with EBADF (a double close, or a
// close of a number something else now owns), and no fd may be closed while
// it is still in an epoll set (EPOLL_CTL_ADD without a later
// EPOLL_CTL_DEL: evnet deletes first, as the runtime does), in any of the
// process's epoll instances: the runtime's, evnet's loops' and their
// direct-read slots'. Stdlib baseline: 0 EBADF of 345 closes.
func TestTierB5DoubleClose(t *testing.T) {
	tbRequire(t, "strace")
	conns := relScale(1000, 200)
	type run struct {
		name      string
		args, env []string
		checkWork bool
	}
	var runs []run
	for _, s := range tbStacks {
		args, env := tbWorkloadArgs(s.name, conns)
		runs = append(runs, run{"workload " + s.name, args, env, true})
	}
	runs = append(runs, run{name: "suite subset",
		args: []string{"-test.run=" + tbSuiteSubset, "-test.short", "-test.count=1", "-test.v", "-test.timeout=100s"}})
	for _, r := range runs {
		t.Run(strings.ReplaceAll(r.name, " ", "-"), func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "strace.out")
			out, w, dt, err := tbRunTraced(t, []string{"--seccomp-bpf", "-e", "trace=close,epoll_ctl", "-o", trace},
				r.args, r.env, 120*time.Second)
			require.NoError(t, err, "traced child failed:\n%s", tbTail(out))
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "--- ") {
					t.Logf("child: %s", line) // which test took how long
				}
			}
			if r.checkWork {
				require.NotNil(t, w, "the child printed no report:\n%s", tbTail(out))
				assert.Empty(t, w.Errors, "workload errors")
			}
			f, err := os.Open(trace)
			require.NoError(t, err)
			defer f.Close()
			st, err := tbCheckTrace(f)
			require.NoError(t, err)
			fig := "tests " + tbSuiteSubset + " -short"
			if r.checkWork {
				fig = tbWorkFigure(w)
			}
			ok := st.EBADF == 0 && len(st.Undeleted) == 0 && st.Closes > 0 && !t.Failed()
			relGoal(t, "B5", "double-close "+r.name, ok,
				"%d closes, %d EBADF; %d EPOLL_CTL_ADD, %d EPOLL_CTL_DEL, %d closes of fds once in an epoll set, "+
					"%d of them still in one (bar 0, 0); %s; child ran %v",
				st.Closes, st.EBADF, st.Adds, st.Dels, st.RegisteredCloses, len(st.Undeleted), fig,
				dt.Round(time.Millisecond))
			assert.Zero(t, st.EBADF, "close(...) = -1 EBADF:\n%s", strings.Join(st.EBADFLines, "\n"))
			assert.Empty(t, st.Undeleted, "fds closed while still in an epoll set")
			assert.Positive(t, st.Closes, "no close traced: the trace is empty")
			if r.checkWork && w.Selector != "poll" { // poll(2) registers nothing with the kernel
				assert.Positive(t, st.RegisteredCloses, "no registered fd was closed: the check proved nothing")
			}
		})
	}
}

// tbWorkFigure summarises w for a GOAL line.
func tbWorkFigure(w *tbWork) string {
	if w == nil {
		return "no workload report"
	}
	return fmt.Sprintf("workload (selector %s): %d cycles, %d transfers, %d deadlines, %d closed Reads and %d Accepts "+
		"(%d seen parked), %d RSTs, %d private loops", w.Selector, w.Cycles, w.Transfers, w.Deadlines, w.ClosedReads,
		w.ClosedAccepts, w.Parked, w.Resets, w.Loops)
}

// tbTail is the end of a child's output, for a failure message, after the
// list of running tests if the child timed out.
func tbTail(out string) string {
	var head string
	if i := strings.Index(out, "panic: test timed out"); i >= 0 {
		head = out[i:min(len(out), i+500)] + "\n...\n"
	}
	if len(out) > 4000 {
		out = "..." + out[len(out)-4000:]
	}
	return head + out
}

// tbTraceStats is what tbCheckTrace found.
type tbTraceStats struct {
	Closes, EBADF, Adds, Dels int
	RegisteredCloses          int      // closes of fds that had been EPOLL_CTL_ADDed
	EBADFLines                []string // the failing closes (at most 20)
	Undeleted                 []string // closes of fds still in an epoll set (at most 20)
}

// tbCheckTrace reads strace -f -e trace=close,epoll_ctl output and checks
// each close: it must not fail with EBADF, and its fd must be in no epoll
// set, judged when the close starts. An EPOLL_CTL_ADD counts once it
// returned 0, an EPOLL_CTL_DEL when it returned; closing an fd also empties
// the epoll set it was, if it was an epoll instance. The process's threads
// share one fd table, so fds are not told apart by thread. (Plain string
// cuts, not regexps: a trace has tens of thousands of lines, and the test
// runs under -race.)
func tbCheckTrace(r io.Reader) (*tbTraceStats, error) {
	st := &tbTraceStats{}
	in := map[int]map[int]bool{}      // fd -> the epoll fds whose set holds it
	members := map[int]map[int]bool{} // epoll fd -> the fds in its set
	once := map[int]bool{}            // fds ever added, until closed
	pending := map[string]string{}    // thread -> the start of its unfinished call
	closeStart := func(call, line string) {
		fd, ok := tbArg(call, "close(", 0)
		if !ok {
			return
		}
		if once[fd] {
			st.RegisteredCloses++
		}
		if len(in[fd]) > 0 && len(st.Undeleted) < 20 {
			st.Undeleted = append(st.Undeleted, line)
		}
		for ep := range in[fd] {
			delete(members[ep], fd)
		}
		delete(in, fd)
		delete(once, fd)
		for m := range members[fd] {
			delete(in[m], fd)
		}
		delete(members, fd)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		tid, call, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		call = strings.TrimLeft(call, " ")
		if strings.HasPrefix(call, "+++") || strings.HasPrefix(call, "---") {
			continue // exits and signals
		}
		if rest, ok := strings.CutPrefix(call, "<... "); ok {
			// The end of a call another thread interrupted.
			_, tail, ok := strings.Cut(rest, " resumed>")
			start, had := pending[tid]
			if !ok || !had {
				return nil, fmt.Errorf("strace: %q resumes no call of thread %s", line, tid)
			}
			delete(pending, tid)
			call = start + tail
		} else if start, ok := strings.CutSuffix(call, " <unfinished ...>"); ok {
			pending[tid] = start
			closeStart(start, line)
			continue
		} else {
			closeStart(call, line)
		}
		// call is complete, with its result; a close's start is done.
		i := strings.LastIndex(call, " = ") // strace pads before " = "
		if i < 0 {
			continue
		}
		result := strings.TrimSpace(call[i+len(" = "):])
		if strings.HasPrefix(call, "close(") {
			st.Closes++
			if strings.Contains(result, "EBADF") {
				st.EBADF++
				if len(st.EBADFLines) < 20 {
					st.EBADFLines = append(st.EBADFLines, line)
				}
			}
			continue
		}
		ep, ok1 := tbArg(call, "epoll_ctl(", 0)
		fd, ok2 := tbArg(call, "epoll_ctl(", 2)
		if !ok1 || !ok2 {
			continue
		}
		switch {
		case strings.Contains(call, "EPOLL_CTL_ADD") && result == "0":
			st.Adds++
			if in[fd] == nil {
				in[fd] = map[int]bool{}
			}
			if members[ep] == nil {
				members[ep] = map[int]bool{}
			}
			in[fd][ep], members[ep][fd], once[fd] = true, true, true
		case strings.Contains(call, "EPOLL_CTL_DEL"):
			st.Dels++
			delete(in[fd], ep)
			delete(members[ep], fd)
		}
	}
	return st, sc.Err()
}

// tbArg returns the i-th argument of call, a decimal number, if call starts
// with prefix ("close(", "epoll_ctl(").
func tbArg(call, prefix string, i int) (int, bool) {
	args, ok := strings.CutPrefix(call, prefix)
	if !ok {
		return 0, false
	}
	for range i {
		if _, args, ok = strings.Cut(args, ", "); !ok {
			return 0, false
		}
	}
	end := strings.IndexFunc(args, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(args) // "close(7" of an unfinished call
	}
	if end == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(args[:end])
	return n, err == nil
}

// TestTierBTraceChecker checks tbCheckTrace on a made-up trace in strace
// 6.1's format: padding before " = ", calls split by other threads, a
// failed EPOLL_CTL_ADD, an epoll fd closed with fds in its set, a close of
// a registered fd without EPOLL_CTL_DEL, and a double close.
func TestTierBTraceChecker(t *testing.T) {
	const trace = `100  epoll_ctl(4, EPOLL_CTL_ADD, 7, {events=EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, data={u32=7, u64=7}}) = 0
100  epoll_ctl(9, EPOLL_CTL_ADD, 7, {events=EPOLLIN|EPOLLRDHUP|EPOLLET, data={u32=7, u64=7}}) = 0
101  epoll_ctl(4, EPOLL_CTL_DEL, 7 <unfinished ...>
100  epoll_ctl(4, EPOLL_CTL_ADD, 8, {events=EPOLLIN, data={u32=8, u64=8}}) = -1 EEXIST (File exists)
101  <... epoll_ctl resumed>, 0xc000123456) = 0
100  close(8)                          = 0
101  epoll_ctl(9, EPOLL_CTL_DEL, 7, 0xc000123456) = 0
101  close(7 <unfinished ...>
100  --- SIGURG {si_signo=SIGURG, si_code=SI_TKILL, si_pid=100, si_uid=0} ---
101  <... close resumed>)               = 0
100  epoll_ctl(9, EPOLL_CTL_ADD, 10, {events=EPOLLIN, data={u32=10, u64=10}}) = 0
100  close(9)                          = 0
100  close(10)                         = 0
100  epoll_ctl(4, EPOLL_CTL_ADD, 11, {events=EPOLLIN, data={u32=11, u64=11}}) = 0
100  close(11)                         = 0
100  close(11)                         = -1 EBADF (Bad file descriptor)
100  +++ exited with 0 +++
`
	st, err := tbCheckTrace(strings.NewReader(trace))
	require.NoError(t, err)
	assert.Equal(t, 6, st.Closes, "closes")
	assert.Equal(t, 1, st.EBADF, "EBADF")
	assert.Equal(t, 4, st.Adds, "successful adds")
	assert.Equal(t, 2, st.Dels, "dels")
	assert.Equal(t, 3, st.RegisteredCloses, "closes of fds once added: 7, 10 and the first 11")
	require.Len(t, st.Undeleted, 1, "only 11 is closed while in a set: %q", st.Undeleted)
	assert.Contains(t, st.Undeleted[0], "close(11)")
}
