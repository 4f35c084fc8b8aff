//go:build unix

package selector

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// EnvVar names the environment variable that New consults, once per
// process: "epoll", "kqueue" or "poll" choose that mechanism, and an empty
// or unset value the default for this OS.
const EnvVar = "EVNET_SELECTOR"

// backend is one mechanism that NewByName can build.
type backend struct {
	name string
	new  func() (Selector, error)
}

// backends lists the mechanisms compiled for this OS, the native one first.
func backends() []backend {
	var bs []backend
	if b, ok := nativeBackend(); ok {
		bs = append(bs, b)
	}
	return append(bs, backend{"poll", NewPoll})
}

// Backends lists the names of the mechanisms available on this OS, for
// NewByName: "epoll" and "poll" on Linux, "kqueue" and "poll" on the BSDs
// and macOS, "poll" on other unix systems.
func Backends() []string {
	var names []string
	for _, b := range backends() {
		names = append(names, b.name)
	}
	return names
}

// New returns a new selector: the one EVNET_SELECTOR names, or this OS's
// default (epoll on Linux, kqueue on the BSDs and macOS, poll elsewhere or
// when built with the forcepoll tag). An unknown or unavailable name is an
// error, never a silent fallback. The caller closes the selector.
func New() (Selector, error) {
	f, err := parseEnv(envSelector())
	if err != nil {
		return nil, err
	}
	return f()
}

// envSelector reads EVNET_SELECTOR once per process.
var envSelector = sync.OnceValue(func() string { return os.Getenv(EnvVar) })

// parseEnv returns the constructor that the EVNET_SELECTOR value v asks for.
func parseEnv(v string) (func() (Selector, error), error) {
	f, why := lookup(v)
	if why != "" {
		return nil, fmt.Errorf("selector: %s=%q: %s", EnvVar, v, why)
	}
	return f, nil
}

// NewByName returns a new selector of the named mechanism (one of
// Backends), or the default one for "". The caller closes the selector.
func NewByName(name string) (Selector, error) {
	f, why := lookup(name)
	if why != "" {
		return nil, fmt.Errorf("selector: %s: %s", strconv.Quote(name), why)
	}
	return f()
}

// lookup returns the constructor for name ("" for the default), or the
// reason why there is none.
func lookup(name string) (f func() (Selector, error), why string) {
	if name == "" {
		return newDefault, ""
	}
	for _, b := range backends() {
		if b.name == name {
			return b.new, ""
		}
	}
	switch name {
	case "epoll", "kqueue", "poll":
		return nil, fmt.Sprintf("%s is not available on %s (have %s)",
			name, runtime.GOOS, strings.Join(Backends(), ", "))
	}
	return nil, "unknown selector (want epoll, kqueue or poll)"
}
