package evnet

import (
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// listenerBacklog is the listen(2) backlog: net.core.somaxconn, read once, as
// net's maxListenerBacklog.
var listenerBacklog = sync.OnceValue(func() int {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return unix.SOMAXCONN
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n == 0 {
		return unix.SOMAXCONN
	}
	// The kernel stored the backlog in a uint16 before Linux 4.1.
	if n > 1<<16-1 {
		n = 1<<16 - 1
	}
	return n
})
