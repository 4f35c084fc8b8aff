//go:build linux

package compat_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind: a conn,
// listener or waiter that no Close reached. The loops' goroutines live for
// the process, as the runtime's poller does.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/evnet/evnet/loop.(*Loop).run"))
}
