//go:build linux

package compat_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evnet/evnet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// evnetTransport is an http.Transport whose connections are evnet's.
func evnetTransport() *http.Transport {
	var d evnet.Dialer
	return &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 8}
}

// serve starts srv on an evnet listener and stops it at cleanup.
func serve(t *testing.T, srv *http.Server) (url string, ln net.Listener) {
	ln, err := evnet.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		assert.ErrorIs(t, <-done, http.ErrServerClosed)
	})
	return "http://" + ln.Addr().String(), ln
}

func TestHTTPKeepAliveAndBigBodies(t *testing.T) {
	var conns atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("X-Len", itoa(n))
		w.Header().Set("X-Sum", hex.EncodeToString(h.Sum(nil)))
		_, _ = w.Write(bytes.Repeat([]byte("r"), 10<<20)) // the client checks the length
	})
	srv := &http.Server{Handler: mux, ConnState: func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
			if _, ok := c.(*evnet.TCPConn); !ok {
				t.Errorf("server conn is %T, want *evnet.TCPConn", c)
			}
		}
	}}
	url, _ := serve(t, srv)
	client := &http.Client{Transport: evnetTransport(), Timeout: 60 * time.Second}
	defer client.CloseIdleConnections()
	body := bytes.Repeat([]byte("q"), 10<<20)
	want := sha256.Sum256(body)
	for i := range 5 {
		resp, err := client.Post(url+"/echo", "application/octet-stream", bytes.NewReader(body))
		require.NoError(t, err, "request %d", i)
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, int64(10<<20), n)
		assert.Equal(t, itoa(10<<20), resp.Header.Get("X-Len"))
		assert.Equal(t, hex.EncodeToString(want[:]), resp.Header.Get("X-Sum"))
	}
	assert.Equal(t, int32(1), conns.Load(), "keep-alive should reuse one connection")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestHTTPReadHeaderTimeout(t *testing.T) {
	srv := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 100 * time.Millisecond}
	_, ln := serve(t, srv)
	c, err := evnet.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n")) // headers never finish
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	start := time.Now()
	_, err = io.ReadAll(c)
	// The server gives up on the slow headers and closes the connection.
	assert.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestHTTPIdleTimeout(t *testing.T) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
		IdleTimeout: 100 * time.Millisecond}
	_, ln := serve(t, srv)
	c, err := evnet.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	start := time.Now()
	b, err := io.ReadAll(c) // the response, then EOF when the idle conn is closed
	assert.NoError(t, err)
	assert.Contains(t, string(b), "200 OK")
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestHTTPShutdownWithRequestsInFlight(t *testing.T) {
	release := make(chan struct{})
	inHandler := make(chan struct{}, 4)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inHandler <- struct{}{}
		<-release
		_, _ = io.WriteString(w, "done") // the client checks the body
	})}
	ln, err := evnet.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	client := &http.Client{Transport: evnetTransport()}
	defer client.CloseIdleConnections()
	results := make(chan string, 4)
	for range 4 {
		go func() {
			resp, err := client.Get("http://" + ln.Addr().String())
			if err != nil {
				results <- err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			results <- string(b)
		}()
	}
	for range 4 {
		<-inHandler
	}
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	// Shutdown closes the listener at once and waits for the handlers.
	require.Eventually(t, func() bool {
		c, err := evnet.Dial("tcp", ln.Addr().String())
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 10*time.Second, 5*time.Millisecond, "listener still accepting after Shutdown")
	close(release)
	for range 4 {
		assert.Equal(t, "done", <-results)
	}
	assert.NoError(t, <-shut)
	assert.ErrorIs(t, <-served, http.ErrServerClosed)
}

func TestHTTP2OverTLS(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto) // the client checks the protocol
	}))
	ln, err := evnet.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ts.Listener.Close()
	ts.Listener = ln
	ts.EnableHTTP2 = true
	ts.StartTLS()
	defer ts.Close()
	tr := ts.Client().Transport.(*http.Transport).Clone()
	var d evnet.Dialer
	tr.DialContext = d.DialContext
	tr.ForceAttemptHTTP2 = true
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	for range 3 {
		resp, err := client.Get(ts.URL)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, "HTTP/2.0", string(b))
	}
}
