//go:build linux

package compat_test

// Error-shape checkers, in the spirit of $GOROOT/src/net/error_test.go's
// parseDialError, parseReadError, parseWriteError, parseCloseError,
// parseAcceptError and parseCommonError. Each returns nil when err is nil or
// one of the shapes net itself returns from that kind of operation, and an
// error describing the first offending level otherwise. They take any error,
// from net or from evnet, so that other test files (UDP, Unix, stress,
// fuzz) can validate every error they see:
//
//	assert.NoError(t, checkReadError(err))
//
// Differences from net's parse* helpers, all of them things net returns:
//   - a bare syscall.EINVAL at the top level is accepted: it is what every
//     method of a zero (&net.TCPConn{}) or nil receiver returns;
//   - a bare net.ErrClosed from a Set* method is accepted: net's
//     TCPListener.SetDeadline (and UnixListener's) returns it unwrapped;
//   - net's unexported values (*net.timeoutError, net.canceledError,
//     errMissingAddress, *poll.DeadlineExceededError) are recognised by %T
//     and text, since this package cannot name them.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"
)

// checkDialError validates an error from Dial*, Listen* and ListenPacket.
func checkDialError(err error) error {
	return checkShape(err, shapeDial)
}

// checkReadError validates an error from Read, ReadFrom* and ReadMsg*.
func checkReadError(err error) error {
	return checkShape(err, shapeRead)
}

// checkWriteError validates an error from Write, WriteTo*, WriteMsg* and
// net.Buffers.WriteTo.
func checkWriteError(err error) error {
	return checkShape(err, shapeWrite)
}

// checkAcceptError validates an error from Accept and AcceptTCP/AcceptUnix.
func checkAcceptError(err error) error {
	return checkShape(err, shapeAccept)
}

// checkCommonError validates an error from Set*, File, SyscallConn and
// the RawConn methods.
func checkCommonError(err error) error {
	return checkShape(err, shapeCommon)
}

// checkCloseError validates an error from Close (isShutdown false) or from
// CloseRead/CloseWrite (isShutdown true). As net's parseCloseError, a Close
// error must say "use of closed network connection" and be net.ErrClosed.
func checkCloseError(err error, isShutdown bool) error {
	if err == nil {
		return nil
	}
	if isBareEINVAL(err) {
		return nil
	}
	if !isShutdown {
		const want = "use of closed network connection"
		if !strings.Contains(err.Error(), want) {
			return fmt.Errorf("error string %q does not contain expected string %q", err, want)
		}
		if !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("errors.Is(%v, net.ErrClosed) returns false, want true", err)
		}
	}
	return checkShape(err, shapeClose)
}

type shapeKind int

const (
	shapeDial shapeKind = iota
	shapeRead
	shapeWrite
	shapeAccept
	shapeClose
	shapeCommon
)

var shapeNames = [...]string{"dial", "read", "write", "accept", "close", "common"}

// checkShape walks err's levels: *net.OpError, then an allowed value or
// *os.SyscallError, then a syscall.Errno.
func checkShape(err error, kind shapeKind) error {
	if err == nil {
		return nil
	}
	if isBareEINVAL(err) {
		return nil // zero or nil receiver, as net
	}
	if kind == shapeCommon && (err == net.ErrClosed || err == os.ErrDeadlineExceeded) {
		return nil // net's TCPListener.SetDeadline returns the poll error bare
	}
	oe, ok := err.(*net.OpError)
	if !ok {
		if kind == shapeRead && err == io.EOF {
			return nil // end of stream is never wrapped
		}
		return fmt.Errorf("%s error: unexpected type on 1st nested level: %T (%v)", shapeNames[kind], err, err)
	}
	if perr := validOpError(oe); perr != nil {
		return perr
	}
	second := oe.Err
	if _, ok := second.(syscall.Errno); ok {
		return nil
	}
	switch e := second.(type) {
	case *os.SyscallError:
		if e.Syscall == "" {
			return fmt.Errorf("%s error: SyscallError.Syscall is empty: %v", shapeNames[kind], err)
		}
		if _, ok := e.Err.(syscall.Errno); ok {
			return nil
		}
		return fmt.Errorf("%s error: unexpected type on 3rd nested level: %T (%v)", shapeNames[kind], e.Err, err)
	case *fs.PathError: // Plan 9, and net's File/FileConn paths
		if kind != shapeRead && kind != shapeWrite {
			if _, ok := e.Err.(syscall.Errno); ok {
				return nil
			}
		}
	}
	if allowedSecond(second, kind) {
		return nil
	}
	return fmt.Errorf("%s error: unexpected type on 2nd nested level: %T (%v)", shapeNames[kind], second, err)
}

// allowedSecond reports whether v may sit in OpError.Err for kind, by net's
// lists.
func allowedSecond(v error, kind shapeKind) bool {
	isClosed := v == net.ErrClosed
	isDeadline := v == os.ErrDeadlineExceeded
	typ := fmt.Sprintf("%T", v)
	isTimeout := typ == "*net.timeoutError"  // net's errTimeout
	isCanceled := typ == "net.canceledError" // net's errCanceled
	isMissing := typ == "*errors.errorString" && v.Error() == "missing address"
	var addrish bool // resolution and address errors
	switch v.(type) {
	case *net.AddrError, *net.DNSError, net.InvalidAddrError, *net.ParseError, net.UnknownNetworkError:
		addrish = true
	}
	switch kind {
	case shapeDial:
		return addrish || isTimeout || isCanceled || isClosed || isMissing || isDeadline ||
			v == context.DeadlineExceeded || v == context.Canceled
	case shapeRead, shapeAccept:
		return isClosed || isTimeout || isDeadline
	case shapeWrite:
		return addrish || isTimeout || isCanceled || isClosed || isMissing || isDeadline ||
			v == net.ErrWriteToConnected || v == io.ErrUnexpectedEOF
	case shapeClose, shapeCommon:
		return isClosed
	}
	return false
}

// validOpError is net's (*OpError).isValid.
func validOpError(e *net.OpError) error {
	if e.Op == "" {
		return fmt.Errorf("OpError.Op is empty: %v", e)
	}
	if e.Net == "" {
		return fmt.Errorf("OpError.Net is empty: %v", e)
	}
	for _, addr := range []net.Addr{e.Source, e.Addr} {
		switch a := addr.(type) {
		case nil:
		case *net.TCPAddr:
			if a == nil {
				return fmt.Errorf("OpError.Source or Addr is non-nil interface: %#v, %v", a, e)
			}
		case *net.UDPAddr:
			if a == nil {
				return fmt.Errorf("OpError.Source or Addr is non-nil interface: %#v, %v", a, e)
			}
		case *net.IPAddr:
			if a == nil {
				return fmt.Errorf("OpError.Source or Addr is non-nil interface: %#v, %v", a, e)
			}
		case *net.IPNet:
			if a == nil {
				return fmt.Errorf("OpError.Source or Addr is non-nil interface: %#v, %v", a, e)
			}
		case *net.UnixAddr:
			if a == nil {
				return fmt.Errorf("OpError.Source or Addr is non-nil interface: %#v, %v", a, e)
			}
		default:
			if fmt.Sprintf("%T", a) == "net.fileAddr" && a.String() != "" {
				continue // FileConn on a non-socket
			}
			return fmt.Errorf("OpError.Source or Addr is unknown type: %T, %v", a, e)
		}
	}
	if e.Err == nil {
		return fmt.Errorf("OpError.Err is empty: %v", e)
	}
	return nil
}

func isBareEINVAL(err error) bool {
	errno, ok := err.(syscall.Errno)
	return ok && errno == syscall.EINVAL
}
