package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestPinned(t *testing.T) {
	ctx := context.Background()
	if got := pinned(ctx, "", "wrk", "-c1").Args; !slices.Equal(got, []string{"wrk", "-c1"}) {
		t.Errorf("unpinned: %q", got)
	}
	if got := pinned(ctx, "0", "wrk", "-c1").Args; !slices.Equal(got, []string{"taskset", "-c", "0", "wrk", "-c1"}) {
		t.Errorf("pinned: %q", got)
	}
}

func TestServeHTTP(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			inR, inW := io.Pipe()
			outR, outW := io.Pipe()
			served := make(chan error, 1)
			go func() { served <- serveHTTP(stack, inR, outW) }()
			line, err := bufio.NewReader(outR).ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			addr := strings.TrimSpace(line)
			if !strings.HasPrefix(addr, "127.0.0.1:") {
				t.Errorf("address %q is not on 127.0.0.1", addr)
			}
			resp, err := http.Get("http://" + addr + "/")
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(body) != "hello, world\n" {
					t.Errorf("body %q", body)
				}
			} else {
				t.Error(err)
			}
			http.DefaultClient.CloseIdleConnections()
			inW.Close() // EOF: the server stops
			if err := <-served; err != nil {
				t.Error(err)
			}
		})
	}
	if err := serveHTTP("bogus", strings.NewReader(""), io.Discard); err == nil {
		t.Error("unknown stack: no error")
	}
}
