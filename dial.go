//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// defaultFallbackDelay is the Happy Eyeballs delay of net (RFC 6555).
const defaultFallbackDelay = 300 * time.Millisecond

// Dialer has the fields and methods of net.Dialer; its connections run on
// evnet's loop. The zero value dials with net's defaults.
type Dialer struct {
	// Timeout is the maximum time a dial waits for a connect to complete.
	Timeout time.Duration
	// Deadline is the absolute time after which dials fail.
	Deadline time.Time
	// LocalAddr is the local address to use when dialing.
	LocalAddr net.Addr
	// DualStack is deprecated in net: Happy Eyeballs is on by default.
	DualStack bool
	// FallbackDelay is the Happy Eyeballs delay; zero means 300ms and a
	// negative value disables the fallback.
	FallbackDelay time.Duration
	// KeepAlive is the keep-alive idle time; zero means 15s, negative
	// disables keep-alive unless KeepAliveConfig enables it.
	KeepAlive time.Duration
	// KeepAliveConfig, when Enable is set, configures keep-alive.
	KeepAliveConfig net.KeepAliveConfig
	// Resolver resolves names; nil means net.DefaultResolver.
	Resolver *net.Resolver
	// Cancel is deprecated in net; closing it cancels the dial.
	Cancel <-chan struct{}
	// Control is called after creating the socket and before connecting.
	Control func(network, address string, c syscall.RawConn) error
	// ControlContext is Control with the dial's context; it wins over
	// Control.
	ControlContext func(ctx context.Context, network, address string, c syscall.RawConn) error

	mptcp int8 // as net.Dialer.SetMultipathTCP: 0 default, 1 on, -1 off
}

// MultipathTCP reports whether MPTCP was asked for. evnet does not create
// MPTCP sockets; see SetMultipathTCP.
func (d *Dialer) MultipathTCP() bool { return d.mptcp > 0 }

// SetMultipathTCP records whether MPTCP is wanted. evnet dials plain TCP
// either way, which is what net does where MPTCP is not available.
func (d *Dialer) SetMultipathTCP(use bool) {
	if use {
		d.mptcp = 1
	} else {
		d.mptcp = -1
	}
}

func minNonzeroTime(a, b time.Time) time.Time {
	if a.IsZero() {
		return b
	}
	if b.IsZero() || a.Before(b) {
		return a
	}
	return b
}

// deadline is the earliest of now+Timeout, ctx's deadline and Deadline.
func (d *Dialer) deadline(ctx context.Context, now time.Time) (earliest time.Time) {
	if d.Timeout != 0 {
		earliest = now.Add(d.Timeout)
	}
	if cd, ok := ctx.Deadline(); ok {
		earliest = minNonzeroTime(earliest, cd)
	}
	return minNonzeroTime(earliest, d.Deadline)
}

func (d *Dialer) fallbackDelay() time.Duration {
	if d.FallbackDelay > 0 {
		return d.FallbackDelay
	}
	return defaultFallbackDelay
}

func (d *Dialer) ctrl() ctrlFunc {
	if d.ControlContext != nil {
		return d.ControlContext
	}
	if control := d.Control; control != nil {
		// The closure holds the func, not d: holding d would put every
		// Dialer on the heap, also net.Dial's zero one.
		return func(_ context.Context, network, address string, c syscall.RawConn) error {
			return control(network, address, c)
		}
	}
	return nil
}

// Dial connects to address on network; see net.Dialer.Dial.
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// errNilContext is returned for a nil context, where net panics.
var errNilContext = errors.New("nil context")

// DialContext connects to address on network using ctx; see
// net.Dialer.DialContext. The connection runs on evnet's loop.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if ctx == nil {
		return nil, opError("dial", network, nil, nil, errNilContext)
	}
	ctx, cancel := d.dialCtx(ctx)
	defer cancel()
	addrs, err := resolveAddrList(ctx, d.Resolver, "dial", network, address)
	if err == nil {
		addrs, err = filterAddrList(addrs, d.LocalAddr)
	}
	if err != nil {
		return nil, opError("dial", network, nil, nil, err)
	}
	var primaries, fallbacks []net.Addr
	if kind, _ := parseNetwork(network); kind == kindTCP && network == "tcp" && d.FallbackDelay >= 0 {
		primaries, fallbacks = partition(addrs)
	} else {
		primaries = addrs
	}
	c, err := d.dialParallel(ctx, network, primaries, fallbacks)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// dialCtx applies the Dialer's Timeout, Deadline and Cancel to ctx, as
// net's Dialer.dialCtx does. A dial with none of them costs no allocation.
func (d *Dialer) dialCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	cancel := noCancel
	if deadline := d.deadline(ctx, time.Now()); !deadline.IsZero() {
		if cd, ok := ctx.Deadline(); !ok || deadline.Before(cd) {
			ctx, cancel = context.WithDeadline(ctx, deadline)
		}
	}
	if oldCancel := d.Cancel; oldCancel != nil {
		deadlineCancel := cancel
		var cancelCancel context.CancelFunc
		ctx, cancelCancel = context.WithCancel(ctx)
		cancel = func() {
			deadlineCancel()
			cancelCancel()
		}
		go func(done <-chan struct{}) {
			select {
			case <-oldCancel:
				cancelCancel()
			case <-done:
			}
		}(ctx.Done())
	}
	return ctx, cancel
}

// noCancel is the CancelFunc of a context dialCtx did not derive.
func noCancel() {}

// dialParallel races primaries against fallbacks started after the fallback
// delay, as net's dialParallel; the first connection wins.
func (d *Dialer) dialParallel(ctx context.Context, network string, primaries, fallbacks []net.Addr) (net.Conn, error) {
	if len(fallbacks) == 0 {
		return d.dialSerial(ctx, network, primaries)
	}
	type result struct {
		c       net.Conn
		err     error
		primary bool
	}
	results := make(chan result, 2)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The racers dial with a copy of d: capturing d itself would put every
	// Dialer on the heap, also the ones that never race.
	dc := *d
	race := func(primary bool, ras []net.Addr) {
		c, err := dc.dialSerial(ctx, network, ras)
		results <- result{c, err, primary}
	}
	go race(true, primaries)
	timer := time.NewTimer(d.fallbackDelay())
	defer timer.Stop()
	var primaryErr, fallbackErr error
	started, pending := false, 1
	for {
		select {
		case <-timer.C:
			if !started {
				started, pending = true, pending+1
				go race(false, fallbacks)
			}
		case r := <-results:
			pending--
			if r.err == nil {
				cancel()
				// Close a second winner arriving late.
				go func(n int) {
					for range n {
						if r := <-results; r.c != nil {
							r.c.Close() // a duplicate nobody will use
						}
					}
				}(pending)
				return r.c, nil
			}
			if r.primary {
				primaryErr = r.err
			} else {
				fallbackErr = r.err
			}
			if !started {
				// The primaries failed: start the fallbacks at once.
				timer.Stop()
				started, pending = true, pending+1
				go race(false, fallbacks)
			}
			if pending == 0 {
				if primaryErr != nil {
					return nil, primaryErr
				}
				return nil, fallbackErr
			}
		}
	}
}

// dialSerial tries ras in order, giving each a share of the time left, as
// net's dialSerial.
func (d *Dialer) dialSerial(ctx context.Context, network string, ras []net.Addr) (net.Conn, error) {
	var firstErr error
	for i, ra := range ras {
		select {
		case <-ctx.Done():
			return nil, opError("dial", network, d.LocalAddr, ra, mapErr(ctx.Err()))
		default:
		}
		dialCtx := ctx
		if deadline, ok := ctx.Deadline(); ok {
			partial, err := partialDeadline(time.Now(), deadline, len(ras)-i)
			if err != nil {
				if firstErr == nil {
					firstErr = opError("dial", network, d.LocalAddr, ra, err)
				}
				break
			}
			if partial.Before(deadline) {
				var cancel context.CancelFunc
				dialCtx, cancel = context.WithDeadline(ctx, partial)
				defer cancel()
			}
		}
		c, err := d.dialSingle(dialCtx, network, ra)
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = opError("dial", network, nil, nil, errMissingAddress)
	}
	return nil, firstErr
}

// partialDeadline divides the time left among the addresses left, with a
// sane minimum, as net's partialDeadline.
func partialDeadline(now, deadline time.Time, addrsRemaining int) (time.Time, error) {
	if deadline.IsZero() {
		return deadline, nil
	}
	left := deadline.Sub(now)
	if left <= 0 {
		_, timeout := ctxErrors()
		return time.Time{}, timeout
	}
	timeout := left / time.Duration(addrsRemaining)
	const saneMinimum = 2 * time.Second
	if timeout < saneMinimum {
		timeout = min(left, saneMinimum)
	}
	return now.Add(timeout), nil
}

// dialSingle dials one resolved address.
func (d *Dialer) dialSingle(ctx context.Context, network string, ra net.Addr) (c net.Conn, err error) {
	la := d.LocalAddr
	if isNilAddr(la) {
		la = nil
	}
	switch ra := ra.(type) {
	case *net.TCPAddr:
		la, ok := la.(*net.TCPAddr)
		if !ok && d.LocalAddr != nil && !isNilAddr(d.LocalAddr) {
			err = &net.AddrError{Err: "mismatched local address type", Addr: d.LocalAddr.String()}
			break
		}
		var tc *TCPConn
		if tc, err = d.dialTCP(ctx, network, la, ra); err == nil {
			c = tc
		}
	case *net.UDPAddr:
		la, ok := la.(*net.UDPAddr)
		if !ok && la != nil {
			err = &net.AddrError{Err: "mismatched local address type", Addr: d.LocalAddr.String()}
			break
		}
		var uc *UDPConn
		if uc, err = d.dialUDP(ctx, network, la, ra); err == nil {
			c = uc
		}
	case *net.IPAddr:
		la, ok := la.(*net.IPAddr)
		if !ok && la != nil {
			err = &net.AddrError{Err: "mismatched local address type", Addr: d.LocalAddr.String()}
			break
		}
		var ic *IPConn
		if ic, err = d.dialIP(ctx, network, la, ra); err == nil {
			c = ic
		}
	case *net.UnixAddr:
		la, ok := la.(*net.UnixAddr)
		if !ok && la != nil {
			err = &net.AddrError{Err: "mismatched local address type", Addr: d.LocalAddr.String()}
			break
		}
		var uc *UnixConn
		if uc, err = d.dialUnix(ctx, network, la, ra); err == nil {
			c = uc
		}
	default:
		err = &net.AddrError{Err: "unexpected address type", Addr: ra.String()}
	}
	if err != nil {
		return nil, opError("dial", network, d.LocalAddr, ra, err)
	}
	return c, nil
}

// dialTCP dials one TCP address, retrying a self-connect as net does (a
// dial to a local port with no listener can connect to itself).
func (d *Dialer) dialTCP(ctx context.Context, network string, laddr, raddr *net.TCPAddr) (*TCPConn, error) {
	var lip net.IP
	if laddr != nil {
		lip = laddr.IP
	}
	family, ipv6only := favoriteFamily(network, lip, raddr.IP, false)
	ra, err := ipToSockaddr(family, raddr.IP, raddr.Port, raddr.Zone)
	if err != nil {
		return nil, err
	}
	spec := sockSpec{net: network, family: family, sotype: unix.SOCK_STREAM, ipv6only: ipv6only,
		raddr: ra, ctrl: d.ctrl()}
	if spec.ctrl != nil {
		spec.ctrlAddr = raddr.String()
	}
	if laddr != nil {
		if spec.laddr, err = ipToSockaddr(family, laddr.IP, laddr.Port, laddr.Zone); err != nil {
			return nil, err
		}
	}
	fd, err := socket(ctx, spec)
	for i := 0; i < 2 && (laddr == nil || laddr.Port == 0) && err == nil && selfConnect(fd); i++ {
		fd.Close() // retry: the kernel picked the remote port as the local one
		fd, err = socket(ctx, spec)
	}
	if err != nil {
		return nil, err
	}
	return newTCPConn(fd, d.KeepAlive, d.KeepAliveConfig), nil
}

// selfConnect reports whether fd connected to itself.
func selfConnect(fd *netFD) bool {
	l, ok1 := fd.laddr.(*net.TCPAddr)
	r, ok2 := fd.raddr.(*net.TCPAddr)
	return ok1 && ok2 && l.Port == r.Port && l.IP.Equal(r.IP)
}

// DialTCP connects to raddr from laddr with the Dialer's settings; see
// net.Dialer.DialTCP.
func (d *Dialer) DialTCP(ctx context.Context, network string, laddr, raddr netip.AddrPort) (*TCPConn, error) {
	if ctx == nil {
		return nil, opError("dial", network, nil, nil, errNilContext)
	}
	ctx, cancel := d.dialCtx(ctx)
	defer cancel()
	// As net: an invalid AddrPort still becomes a (zero) *TCPAddr.
	return dialTCPContext(ctx, d, network, net.TCPAddrFromAddrPort(laddr), net.TCPAddrFromAddrPort(raddr))
}

// Dial connects to address on network with a zero Dialer; see net.Dial.
func Dial(network, address string) (net.Conn, error) {
	var d Dialer
	return d.Dial(network, address)
}

// DialTimeout is Dial with a timeout; see net.DialTimeout.
func DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	d := Dialer{Timeout: timeout}
	return d.Dial(network, address)
}

// DialTCP connects to raddr from laddr, which may be nil; see net.DialTCP.
func DialTCP(network string, laddr, raddr *net.TCPAddr) (*TCPConn, error) {
	return dialTCPContext(context.Background(), &Dialer{}, network, laddr, raddr)
}

func dialTCPContext(ctx context.Context, d *Dialer, network string, laddr, raddr *net.TCPAddr) (*TCPConn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, opError("dial", network, tcpOpAddr(laddr), tcpOpAddr(raddr), net.UnknownNetworkError(network))
	}
	if raddr == nil {
		return nil, opError("dial", network, tcpOpAddr(laddr), nil, errMissingAddress)
	}
	c, err := d.dialTCP(ctx, network, laddr, raddr)
	if err != nil {
		return nil, opError("dial", network, tcpOpAddr(laddr), tcpOpAddr(raddr), err)
	}
	return c, nil
}

// tcpOpAddr turns a nil *TCPAddr into a nil net.Addr.
func tcpOpAddr(a *net.TCPAddr) net.Addr {
	if a == nil {
		return nil
	}
	return a
}
