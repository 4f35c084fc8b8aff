// Package loop is evnet's event loop: it owns a selector and a waker, the
// table from registration tokens to descriptors, and the deadlines, and it
// wakes the goroutines that wait for readiness.
//
// # Contract
//
// Register hands an fd to a Loop and returns its Desc, which from then on
// owns the fd (the role of internal/poll's FD and pollDesc together). A conn
// uses a Desc exactly as internal/poll does:
//
//	ReadLock → PrepareRead → syscall → on EAGAIN WaitRead → syscall … → ReadUnlock
//
// The waits return exactly nil, net.ErrClosed or os.ErrDeadlineExceeded, and
// every wakeup may be spurious. SetDeadline into the past or earlier than a
// blocked waiter's deadline wakes it; a later deadline keeps it waiting.
// Close marks the Desc closing, wakes every waiter, and returns once the last
// in-flight operation has left and the fd has been deregistered and closed,
// so that a port or path is free again when Close returns. Closing a Loop
// wakes all of its waiters with net.ErrClosed.
//
// Each fd is registered once, edge-triggered, for both directions; no
// selector call is made per wait (the poll(2) selector, which emulates edges,
// is re-armed before each wait). A token is fd | generation<<32, so that an
// event for a closed-and-reused fd number is dropped, like runtime's fdseq.
// Steady state allocates nothing per wait or per SetDeadline: a Desc has a
// capacity-1 readiness channel per direction (made by the direction's first
// waiter; until then the token is a flag), a deadline stored as an atomic
// monotonic offset, and one reusable timer per direction that a waiter with
// a deadline selects on (made on its first timed wait), so that an expiry
// readies the waiter straight from the runtime's timer.
//
// # How the loop waits
//
// The cost of an event loop outside the runtime is not its syscalls but the
// OS-thread sleeps it adds when it wakes a goroutine (ENGINE.md: one sleep
// and wake costs 10–25 µs here, more than a whole loopback round trip). A
// loop goroutine blocked in epoll_wait that wakes waiters by channel strands
// them in its own P's runnext and re-blocks, so another thread has to wake up
// to run them.
//
// So where the selector has a pollable fd (epoll, kqueue) the loop goroutine
// does not block a thread while it is quiet: it parks on the runtime's
// poller, waiting for the selector fd itself to become readable (a duplicate
// of it wrapped in an *os.File, through RawConn.Read), harvests with
// Select(0) until the ready list is empty, wakes the waiters, and parks
// again. The goroutines it woke then run on the same P as any goroutine the
// runtime's poller woke would. Only the selector's fd is known to the
// runtime; sockets are registered with evnet's selector alone. While it is
// busy it blocks instead (see "Busy loops block" below).
//
// The poll(2) selector has no fd. There the loop blocks an OS thread in
// Select, but first drains with Select(0) and yields once
// (drain-then-yield), so that goroutines it just woke run on its thread
// before it sleeps.
//
// # Measurements
//
// go test -run XXX -bench PingPong -benchtime 20000x ./bench/ on the 2-vCPU
// development VM (Go 1.26.8), net and evnet in one run, other work running
// on the machine; ratios are evnet/net medians:
//
//	                             GOMAXPROCS=2                 GOMAXPROCS=1
//	1 conn, parked loop          p50 1.8–2.4×, 1.3–2.1 sleeps/round trip   p50 1.27×, 0.003 sleeps
//	1 conn, blocking loop        p50 1.6×,     1.2 sleeps/round trip
//	64 conns, parked loop        round trip 1.0–2.2× (noisy)
//	64 conns, blocking loop      round trip 1.0–1.05×, p99 0.7–1.0×
//	net                          0.003–0.006 sleeps/round trip
//
// What costs the single connection is the runtime's wakep: any goroutine
// made runnable from user code (a channel send, a semaphore, a timer) while
// a P is idle and no M spins starts an M, which finds nothing and sleeps
// again: one OS-thread wake and sleep per wake-up. The runtime's own
// netpoll hands the goroutine it finds straight to the polling M and never
// pays it; with GOMAXPROCS=1 there is no idle P and the cost disappears
// (the table's right column). Poll-first in the waiter (harvest with
// Select(0) before parking, gated on at most one other waiter) was tried on
// the blocking loop and changed nothing measurable (1.2 sleeps per round
// trip either way): the kernel wakes the loop's thread on each event and it
// harvests first. Under load (64 conns) an M is usually spinning already and
// the two designs are on par with net.
//
// # Direct readers and writers
//
// A channel send from the loop goroutine is a wake-up from user code, and
// pays the wakep above. Only the runtime's netpoll readies a goroutine
// without it, so on Linux a parked loop makes up to Config.Direct slots (64
// by default, EVNET_DIRECT), on demand: each an epoll instance of its own,
// registered with the runtime's poller through an *os.File. A Desc's
// reader takes a free slot on its first wait and keeps it until the Desc is
// destroyed: the socket is added to the slot's epoll for readability (and
// the loop's registration keeps only writability), so a readable socket makes
// the slot's epoll readable, and the runtime's netpoll readies the reader
// itself, on the M that polled, as it does for a socket of net. The reader
// calls read(2) inside the slot file's RawConn.Read (Desc.ReadDirect), as
// internal/poll does: no syscall is spent on the wait. Deadlines ride on the
// slot file's runtime timer; a poke (deadline moved, Close) puts the file's
// deadline in the past, which wakes the reader to check. The socket is only
// ever in evnet's epolls; the runtime sees the slot's epoll fd, as it sees
// the loop's.
//
// A writer that waits (a full socket) takes a slot the same way, for
// writability, and parks on it with a zero-timeout epoll_wait on the slot as
// its readiness test; the loop's registration then keeps what no slot has
// (nothing, when the reader has one too). A connect's wait is a one-off and
// takes none (WaitConnect). go test -run XXX -bench 'Bulk1MiB$'
// -benchtime 3000x ./bench/, test binaries before and after, 6 rounds
// interleaved with net in one session: thread sleeps per MiB 3.9 with
// writers woken by the loop goroutine, 2.6 with slots (net 2.6), system CPU
// per MiB 405 → 350 µs (net 365), MB/s medians 3418 → 3680 (net 3758),
// 0.91× → 0.98× net's.
//
// The price of a slot is in the kernel: a readable socket wakes its waiter
// through two epolls (its callback on the slot's epoll, whose
// ep_poll_safewake runs the runtime epoll's), and the runtime's epoll_wait
// polls the slot's epoll, which scans its ready list and polls the socket
// again. BenchmarkWakePath (bench/) measures just that, on raw sockets with
// the same user code either way: on a 2-vCPU Intel VM whose loopback round
// trip takes 4.2 µs, about 0.3 µs per round trip (p50 1.05–1.09× the
// runtime's epoll holding the socket); 64 pairs at once
// (BenchmarkWakePath64) lose 7–9% of throughput. It is the
// floor of evnet's 1-conn ratios there. On an AMD VM whose round trips take
// 14–16 µs the same comparison gave p50 1.05 in 20 rounds (0.98–1.23
// between runs). The nested wake also loses the scheduler's WF_SYNC hint
// (ep_poll_safewake is a plain wake_up; read from the kernel source): under
// wrk -c1 a request's wake-up lands on wrk's own vCPU 31% of the time
// against net's 38% (bench/wrk-wakes.sh) and reaches the server 1.5 µs
// later on average, one part of why that serial workload stays under net's
// rate; bench/RESULTS.md (session 7) has the others.
//
// Waiters beyond the slots wait on their channels as before. A slot is held
// by whoever waited first, also by an idle reader such as an Accept loop;
// slots are not moved between Descs.
//
// go test -run XXX -bench 'PingPong1$' -benchtime 20000x ./bench/, same run,
// loaded machine: net p50 18.1–18.3 µs; evnet before slots 35 µs and 2.0
// thread sleeps per round trip; with slots and a wait through the loop
// goroutine (an eventfd hop) 27.6 µs; with the reader parked on its slot
// 23.7 µs and 0.006 sleeps; reading inside RawConn.Read 18.4–19.8 µs.
//
// # Busy loops block
//
// Under load the trade turns around: with many conns active, a parked loop
// (and the runtime's netpoll for the slots) is only polled when a P runs out
// of work, late and in big batches, while a thread blocked in epoll_wait
// harvests as soon as events come, and its drain-then-yield runs the woken
// goroutines on its own thread. So a loop runs adaptively (RunAdaptive, the
// default; EVNET_LOOP_MODE=parked|blocking fixes a mode): every 64 readable
// events it delivers to readers that wait on it (a socket nobody waits to
// read, such as a closing conn's, does not count), it counts how many
// distinct Descs they were for. After two such windows in a row with 16 or
// more it turns busy and blocks in Select; after two with 4 or fewer it is
// quiet and parks again (a load whose windows alternate changes nothing:
// each change moves every slotted fd). One conn, or a few, never make it
// busy however fast they go; 64 conns ping-ponging without slots do. (A first version counted events per wake instead: a blocking
// thread wakes on nearly every event, so under wrk -c64 it turned quiet and
// busy again 28 times in 3 s.)
// While busy, waiters give back their direct slots on their next wait
// (Desc.unadopt: the fd's interest moves back to the loop's selector, whose
// change of interest reports an fd already ready), so that every event
// comes from the blocking thread; and the loop closes the duplicate it parks
// on, whose registration with the runtime's epoll would otherwise wake that
// epoll, for nobody, on every event, keeping a spare duplicate that the
// runtime does not know (so the process's fds do not change with the
// mode). Quiet again, it parks on the spare, and waiters take slots on
// their next wait. Built with -tags evnetflap, every adaptive loop changes
// its mode on every wake that finds events; CI runs the root, loop and
// compat_test packages so.
//
// A loop only sees what no slot holds: busy conns that all hold slots (64 or
// fewer, as under wrk -c64) keep the loop quiet, and parked, as before.
//
// go test -c -o /tmp/b.test ./bench/, then /tmp/b.test -test.bench
// '^BenchmarkPingPong64$/^stack=S$' -test.benchtime 20000x, one process per
// measurement, net and evnet under each EVNET_LOOP_MODE interleaved, 10
// rounds, in unshare -n; medians of µs per round trip and of p99 µs:
//
//	net          11.99 µs   p99 2191
//	parked       13.55      4288
//	adaptive     12.06      1306
//	blocking     12.05      1331
//
// Closing the duplicate while busy is worth its syscalls: with the first
// version's per-wake count, keeping it gave 13.12 µs against 12.77 closed
// (net 12.60, blocking 12.75; 10 rounds).
//
// One conn in process (-bench '^BenchmarkPingPong1$'), 10 rounds: net 20.0,
// parked 21.3, adaptive 21.2 µs per round trip (p50 18.4, 19.4, 19.5); the
// loop never turned busy there, nor under wrk -c64 and -c1, nor in the bulk
// and accept benchmarks (a build printing each change of mode).
// Blocking alone is no default: one conn in process 0.52× net's round trips
// (bench/RESULTS.md keeps the run).
//
// # Groups
//
// Default returns the process-wide Group; each new fd is registered with the
// next loop in turn. Its size is EVNET_LOOPS, or one loop per four Ps (at
// least one). A parked loop costs a goroutine, not a thread. The default is
// not tuned: on the 2-vCPU machine only one loop was measured (64 conns at
// 0.85–1.05× net's round trips, bench/RESULTS.md); ENGINE.md found one loop
// per CPU inconclusive there.
package loop
