package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/evnet/evnet"
)

// haveWrk reports whether wrk is on PATH.
func haveWrk() bool {
	_, err := exec.LookPath("wrk")
	return err == nil
}

// measureWrk starts an HTTP server on stack in a child process (this
// command with -serve), runs wrk against it on 127.0.0.1 with conns
// connections, and returns req/s and p99-µs, and the server's CPU time per
// request (usr-µs/op, sys-µs/op; its start and idle time are in it too).
func measureWrk(ctx context.Context, cfg config, conns int, stack string) (map[string]float64, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	srv := pinned(ctx, cfg.serveCPUs, exe, "-serve", stack)
	stdin, err := srv.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := srv.StdoutPipe()
	if err != nil {
		return nil, err
	}
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return nil, err
	}
	waited := false
	defer func() {
		if !waited {
			stdin.Close() // the server exits on EOF
			srv.Wait()
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("server did not start: %w", err)
	}
	addr := strings.TrimSpace(line)
	if host, _, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" {
		return nil, fmt.Errorf("server address %q is not on 127.0.0.1", addr)
	}
	secs := max(1, int(cfg.wrkDur.Seconds()))
	out, err := pinned(ctx, cfg.wrkCPUs, "wrk", "-t1", "-c"+strconv.Itoa(conns),
		"-d"+strconv.Itoa(secs)+"s", "--latency", "http://"+addr+"/").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("wrk: %w: %s", err, tail(string(out)))
	}
	m, err := parseWrk(string(out))
	if err != nil {
		return nil, err
	}
	waited = true
	stdin.Close()
	if err := srv.Wait(); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if n := m["requests"]; n > 0 {
		ps := srv.ProcessState
		m["usr-µs/op"] = float64(ps.UserTime().Microseconds()) / n
		m["sys-µs/op"] = float64(ps.SystemTime().Microseconds()) / n
	}
	return m, nil
}

// pinned is the command name args, run under taskset -c cpus when cpus is
// not empty (every thread it starts inherits the affinity).
func pinned(ctx context.Context, cpus, name string, args ...string) *exec.Cmd {
	if cpus == "" {
		return exec.CommandContext(ctx, name, args...)
	}
	return exec.CommandContext(ctx, "taskset", append([]string{"-c", cpus, name}, args...)...)
}

// serveHTTP serves a tiny net/http handler on 127.0.0.1 through stack, prints
// the address as the first line of out and serves until in reaches EOF.
func serveHTTP(stack string, in io.Reader, out io.Writer) error {
	var ln net.Listener
	var err error
	switch stack {
	case "net":
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	case "evnet":
		ln, err = evnet.Listen("tcp", "127.0.0.1:0")
	default:
		return fmt.Errorf("unknown stack %q", stack)
	}
	if err != nil {
		return err
	}
	body := []byte("hello, world\n")
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if _, err := fmt.Fprintln(out, ln.Addr()); err != nil {
		srv.Close()
		return err
	}
	io.Copy(io.Discard, in)
	srv.Close()
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
