package selector

import "golang.org/x/sys/unix"

// pollReadHup is requested with read interest so that poll(2) reports a
// peer's shutdown of its write side (POLLRDHUP, Linux 2.6.17).
const pollReadHup = unix.POLLRDHUP
