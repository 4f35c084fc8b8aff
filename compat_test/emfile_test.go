//go:build linux

package compat_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/evnet/evnet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestReliabilityA13EMFILE runs, in a child process so that this process's
// fd limit is untouched, http.Server.Serve on an evnet listener with the fd
// table full (RLIMIT_NOFILE 64) and one connection in the backlog, for 3 s:
// net/http's own backoff loop (5ms doubling to 1s). The accept error must
// have net's shape and be Temporary, the loop must not spin (accept calls
// and CPU), and once the fds are free the pending request must be served
// within 1.1 s. Stdlib baseline: 10 accept4, 20 epoll_pwait, 0% CPU.
func TestReliabilityA13EMFILE(t *testing.T) {
	var r relEMFILEResult
	relRunHelper(t, "emfile", &r)
	const maxCalls, maxCPU, maxRecover = 20, 0.05, 1100 * time.Millisecond
	recover := time.Duration(r.RecoverNs)
	ok := r.ChainOK && r.Temporary && r.EMFILE > 0 && r.EMFILE <= maxCalls && r.Calls == r.EMFILE &&
		r.CPU <= maxCPU && r.Status == http.StatusOK && recover <= maxRecover
	relGoal(t, "A13", "emfile tcp4", ok,
		"limit 64, %d fds filled, 1 conn in backlog, %v of http.Server backoff: %d Accept calls, %d EMFILE "+
			"(bar ≤ %d), error %s Temporary=%v, CPU %.2f%% (bar ≤ %.0f%%); fds freed → request served (status %d) after %v "+
			"(bar ≤ %v)",
		r.Filled, time.Duration(r.WindowNs).Round(time.Millisecond), r.Calls, r.EMFILE, maxCalls, r.Chain, r.Temporary,
		100*r.CPU, 100*maxCPU, r.Status, recover.Round(time.Millisecond), maxRecover)
	assert.True(t, r.ChainOK, "accept error chain: %s", r.Chain)
	assert.True(t, r.Temporary, "accept error Temporary()")
	assert.Positive(t, r.EMFILE, "no Accept returned EMFILE")
	assert.LessOrEqual(t, r.EMFILE, int32(maxCalls), "Accept calls returning EMFILE")
	assert.Equal(t, r.EMFILE, r.Calls, "Accept errors other than EMFILE: %s", r.OtherErr)
	assert.LessOrEqual(t, r.CPU, maxCPU, "CPU share over the window")
	assert.Equal(t, http.StatusOK, r.Status, r.ServeErr)
	assert.LessOrEqual(t, recover, maxRecover, "time from freeing fds to the response")
}

// relEMFILEResult is what the A13 child reports.
type relEMFILEResult struct {
	Filled    int     // fds opened to fill the table
	Calls     int32   // Accept calls that failed during the window
	EMFILE    int32   // of which returned EMFILE
	OtherErr  string  // the first non-EMFILE Accept error
	Chain     string  // the first error's type chain
	ChainOK   bool    // *net.OpError{accept} → *os.SyscallError{accept4} → EMFILE
	Temporary bool    // its Temporary()
	WindowNs  int64   // the measured window
	CPU       float64 // user+sys CPU over the window / window
	Status    int     // status of the backlog request once the fds were freed
	RecoverNs int64   // from freeing the fds to the response
	ServeErr  string
}

// relCountingListener counts the failed Accept calls of the listener it
// wraps and keeps the first error.
type relCountingListener struct {
	net.Listener
	calls, emfile atomic.Int32
	mu            sync.Mutex
	first, other  error
}

func (l *relCountingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		l.calls.Add(1)
		l.mu.Lock()
		if l.first == nil {
			l.first = err
		}
		if errors.Is(err, syscall.EMFILE) {
			l.emfile.Add(1)
		} else if l.other == nil && !errors.Is(err, net.ErrClosed) {
			l.other = err
		}
		l.mu.Unlock()
	}
	return c, err
}

// relCPU returns the process's user+sys CPU time.
func relCPU(t testing.TB) time.Duration {
	var ru unix.Rusage
	require.NoError(t, unix.Getrusage(unix.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// relHelperEMFILE is the A13 child.
func relHelperEMFILE(t *testing.T) {
	ln, err := evnet.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	// The client is net's, dialed and with its request sent before the table
	// fills: the connection then waits in the listener's backlog.
	client, err := net.Dial("tcp4", ln.Addr().String())
	require.NoError(t, err)
	defer client.Close()
	_, err = io.WriteString(client, "GET / HTTP/1.1\r\nHost: a13\r\nConnection: close\r\n\r\n")
	require.NoError(t, err)

	var orig syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &orig))
	lim := orig
	lim.Cur = 64
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig) // best effort: the process exits next
	var fillers []int
	freeFillers := func() {
		for _, fd := range fillers {
			unix.Close(fd) // /dev/null: nothing to report
		}
		fillers = nil
	}
	defer freeFillers()
	for range 128 {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == unix.EMFILE {
			break
		}
		require.NoError(t, err)
		fillers = append(fillers, fd)
	}
	var r relEMFILEResult
	r.Filled = len(fillers)
	_, err = unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	require.ErrorIs(t, err, unix.EMFILE, "the fd table is not full")

	cl := &relCountingListener{Listener: ln}
	srv := &http.Server{
		Handler:  http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }),
		ErrorLog: log.New(io.Discard, "", 0), // "http: Accept error: ...; retrying in ..."
	}
	served := make(chan error, 1)
	cpu0, t0 := relCPU(t), time.Now()
	go func() { served <- srv.Serve(cl) }()
	<-time.After(3 * time.Second) // the measurement window, not ordering
	window, cpu := time.Since(t0), relCPU(t)-cpu0
	r.Calls, r.EMFILE = cl.calls.Load(), cl.emfile.Load()
	r.WindowNs, r.CPU = int64(window), float64(cpu)/float64(window)

	freeFillers()
	tFree := time.Now()
	require.NoError(t, client.SetReadDeadline(time.Now().Add(5*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(client), nil)
	if err == nil {
		r.RecoverNs = int64(time.Since(tFree))
		r.Status = resp.StatusCode
		resp.Body.Close()
	} else {
		r.ServeErr = err.Error()
	}
	srv.Close()
	select {
	case err := <-served:
		assert.ErrorIs(t, err, http.ErrServerClosed)
	case <-time.After(10 * time.Second):
		t.Error("Serve did not return after Close")
	}

	cl.mu.Lock()
	first, other := cl.first, cl.other
	cl.mu.Unlock()
	if other != nil {
		r.OtherErr = other.Error()
	}
	r.Chain, r.ChainOK, r.Temporary = relAcceptChain(first)
	relReport(t, r)
}

// relAcceptChain describes err's type chain and reports whether it is
// *net.OpError{Op:"accept"} → *os.SyscallError{"accept4"} → EMFILE, and
// whether it is Temporary.
func relAcceptChain(err error) (chain string, ok, temporary bool) {
	if err == nil {
		return "<nil>", false, false
	}
	oe, isOp := err.(*net.OpError)
	if !isOp {
		return fmt.Sprintf("%T", err), false, false
	}
	temp, _ := err.(interface{ Temporary() bool })
	temporary = temp != nil && temp.Temporary()
	chain = fmt.Sprintf("*net.OpError{Op:%q}", oe.Op)
	se, isSys := oe.Err.(*os.SyscallError)
	if !isSys {
		return chain + fmt.Sprintf(" → %T", oe.Err), false, temporary
	}
	chain += fmt.Sprintf(" → *os.SyscallError{%q}", se.Syscall)
	errno, isErrno := se.Err.(syscall.Errno)
	if !isErrno {
		return chain + fmt.Sprintf(" → %T", se.Err), false, temporary
	}
	chain += fmt.Sprintf(" → syscall.Errno(%d %v)", int(errno), errno)
	return chain, oe.Op == "accept" && se.Syscall == "accept4" && errno == syscall.EMFILE, temporary
}
