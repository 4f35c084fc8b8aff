//go:build unix

package waker

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/evnet/evnet/selector"
)

// EnvVar names the environment variable that New consults, once per
// process: "eventfd", "user" or "pipe" choose that mechanism, and an empty
// or unset value the default for this OS and selector.
const EnvVar = "EVNET_WAKER"

// backend is one mechanism that NewByName can build.
type backend struct {
	name string
	new  func(selector.Selector, selector.Token) (Waker, error)
}

// backends lists the mechanisms compiled for this OS, the native one first.
func backends() []backend {
	var bs []backend
	if b, ok := nativeBackend(); ok {
		bs = append(bs, b)
	}
	return append(bs, backend{"pipe", NewPipe})
}

// Backends lists the names of the mechanisms compiled for this OS, for
// NewByName: "eventfd" and "pipe" on Linux, "user" and "pipe" on darwin,
// dragonfly and freebsd, "pipe" elsewhere. "user" also needs a kqueue
// selector.
func Backends() []string {
	var names []string
	for _, b := range backends() {
		names = append(names, b.name)
	}
	return names
}

// New returns a new waker registered with s under token t: the one
// EVNET_WAKER names, or the default (eventfd on Linux; EVFILT_USER on
// darwin, dragonfly and freebsd when s is a kqueue selector; the pipe
// elsewhere or when built with the forcepipe tag). An unknown or unavailable
// name is an error, never a silent fallback. The caller closes the waker
// before it closes s.
func New(s selector.Selector, t selector.Token) (Waker, error) {
	f, err := parseEnv(envWaker())
	if err != nil {
		return nil, err
	}
	return f(s, t)
}

// envWaker reads EVNET_WAKER once per process.
var envWaker = sync.OnceValue(func() string { return os.Getenv(EnvVar) })

// parseEnv returns the constructor that the EVNET_WAKER value v asks for.
func parseEnv(v string) (func(selector.Selector, selector.Token) (Waker, error), error) {
	f, why := lookup(v)
	if why != "" {
		return nil, fmt.Errorf("waker: %s=%q: %s", EnvVar, v, why)
	}
	return f, nil
}

// NewByName returns a new waker of the named mechanism (one of Backends),
// or the default one for "", registered with s under token t.
func NewByName(name string, s selector.Selector, t selector.Token) (Waker, error) {
	f, why := lookup(name)
	if why != "" {
		return nil, fmt.Errorf("waker: %s: %s", strconv.Quote(name), why)
	}
	return f(s, t)
}

// lookup returns the constructor for name ("" for the default), or the
// reason why there is none.
func lookup(name string) (f func(selector.Selector, selector.Token) (Waker, error), why string) {
	if name == "" {
		return newDefault, ""
	}
	for _, b := range backends() {
		if b.name == name {
			return b.new, ""
		}
	}
	switch name {
	case "eventfd", "user", "pipe":
		return nil, fmt.Sprintf("%s is not available on %s (have %s)",
			name, runtime.GOOS, strings.Join(Backends(), ", "))
	}
	return nil, "unknown waker (want eventfd, user or pipe)"
}
