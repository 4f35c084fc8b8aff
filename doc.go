// Package evnet is a drop-in replacement for package net whose sockets run on
// evnet's own event loop (epoll, kqueue or poll(2)) instead of the Go
// runtime's network poller.
//
// A program switches by changing one import line:
//
//	import net "github.com/evnet/evnet"
//
// Everything else compiles unchanged: evnet exports every identifier of
// package net, with the same kind and signature (the compat_test package
// checks this against $GOROOT/api). Dial, Listen, ListenPacket, Dialer,
// ListenConfig, the File* functions and the connection and listener types
// (TCPConn, TCPListener, UDPConn, UnixConn, UnixListener, IPConn, Buffers) are
// evnet's own. Everything else (addresses, errors, interfaces, name
// resolution, network interfaces, Pipe) is package net's: types are aliases,
// variables hold net's values and functions forward to net.
//
// Connections are safe for concurrent use as in net. Read, Write and Accept
// block the calling goroutine, not an OS thread, until the event loop
// reports readiness, and deadlines work as in net. Errors have net's shapes:
// a *OpError whose Err is ErrClosed, os.ErrDeadlineExceeded or an
// *os.SyscallError, and io.EOF at the end of a stream.
//
// # Configuration
//
// The event loop picks the best mechanism for the platform: epoll on linux,
// kqueue on the BSDs and darwin (poll(2) can be forced everywhere). To wake a
// blocked loop it uses an eventfd on linux, an EVFILT_USER event where kqueue
// has one, and a self-pipe elsewhere. Two environment variables, read when a
// loop is built, override the choice:
//
//	EVNET_SELECTOR=epoll|kqueue|poll
//	EVNET_WAKER=eventfd|user|pipe
//	EVNET_LOOPS=N                  (number of loops; default GOMAXPROCS/4, at least 1)
//	EVNET_LOOP_MODE=adaptive|parked|blocking (default adaptive: see package loop)
//
// A mechanism that the platform lacks cannot be chosen. The build tags
// forcepoll and forcepipe make the poll(2) selector and the pipe waker the
// defaults, so that CI can test the fallbacks on linux and darwin:
//
//	go test -tags forcepoll,forcepipe ./...
//
// The loop, selector and waker packages document the event loop itself.
//
// # Other platforms
//
// On platforms other than linux, darwin, dragonfly, freebsd, netbsd and
// openbsd (windows, js/wasm, wasip1, plan9, solaris, illumos, aix, ...),
// evnet is a thin layer over net: every type is an alias of net's and every
// function calls net's, so a program that imports evnet builds and behaves
// exactly as with net.
//
// # Differences from net
//
// On unix, *TCPConn, *TCPListener, *UDPConn, *UnixConn, *UnixListener,
// *IPConn, Dialer, ListenConfig and Buffers are evnet's own types, not
// aliases: a type assertion or type switch on a value that evnet returned must
// name evnet's type, as in conn.(*evnet.TCPConn), never conn.(*net.TCPConn).
// Likewise an evnet Dialer is not a net.Dialer, and a *net.TCPConn cannot be
// passed where evnet expects a *TCPConn. Code that only uses the Conn,
// Listener and PacketConn interfaces sees no difference.
//
// Address types (TCPAddr, UDPAddr, UnixAddr, IPAddr, IP, ...), error types
// (OpError, AddrError, DNSError, ...), the interfaces (Conn, Listener,
// PacketConn, Addr, Error) and Resolver are aliases, so they are identical
// to net's: errors.As(err, new(*net.OpError)) and a switch on *net.TCPAddr
// work on values from evnet, and errors.Is(err, net.ErrClosed) is the same
// test as errors.Is(err, evnet.ErrClosed).
//
// A nil context given to DialContext is an error here; net panics.
//
// Name resolution is package net's: lookups, including those for the host
// names given to Dial, run in net, on net's own sockets. The
// variables (DefaultResolver, ErrClosed, IPv4bcast, ...) start out holding
// net's values, but they are distinct variables: assigning a new value to one
// of evnet's does not change net's, and the reverse.
package evnet
