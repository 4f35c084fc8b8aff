//go:build unix && !linux

package selector

// pollReadHup is zero here: these systems have no POLLRDHUP (or x/sys does
// not define it), so a peer's shutdown shows up as POLLIN, then EOF on read.
const pollReadHup = 0
