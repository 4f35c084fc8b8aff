// Package bench holds evnet's side-by-side benchmarks: every workload runs
// on the standard library's net and on evnet in the same process, as
// sub-benchmarks "stack=net" and "stack=evnet", so that benchstat can compare
// them.
//
//	go test -run XXX -bench . -count 10 ./bench/ | tee new.txt
//	benchstat -col /stack new.txt
//
// The workloads:
//
//	BenchmarkPingPong1           1 conn, 64 B round trips, both ends here: p50/p99, sleeps/op
//	BenchmarkPingPong64          64 conns at once, the same
//	BenchmarkPingPongProc        1 conn, the client (on net) in another process
//	BenchmarkBulk1MiB            streaming 1 MiB writes (MB/s)
//	BenchmarkAcceptConnectClose  one connection per op (conns/s)
//	BenchmarkUDP64               64 B datagrams, one WriteTo/ReadFrom each (dgrams/s)
//	BenchmarkUDPBatch64          net per datagram vs evnet's WriteBatch/ReadBatch (Linux)
//	BenchmarkIdleConnMem         memory per idle conn with a goroutine blocked in Read
//	BenchmarkDescMem             heap per registered socket without a goroutine
//
// and the floor of evnet's design, with neither stack's code in the way:
// the same raw sockets woken through the runtime's epoll holding them
// ("stack=net", net's way) or holding a private epoll that holds them
// ("stack=evnet", the way of a waiter on one of evnet's direct slots):
//
//	BenchmarkWakePath            PingPong1's workload on a raw pair
//	BenchmarkWakePath64          PingPong64's, 64 raw pairs
//	BenchmarkWakePathBulk        Bulk1MiB's, a raw pair
//
// TestSteadyStateAllocs asserts that an evnet TCP conn allocates nothing per
// Read and Write in steady state, and TestBuffersAllocs nothing per
// Buffers write of up to 16 slices; they are the only tests here and run
// with plain go test.
//
// cmd/evbench runs the benchmarks interleaved, in fresh processes, and
// prints medians, evnet/net ratios and issue 5's goals; bench/RESULTS.md
// holds its last recorded output.
//
// Two scripts look inside the net/http server of `evbench -serve` under
// wrk, net and evnet in interleaved rounds, each in its own network
// namespace (they need root, perf and wrk): wrk-per-request.sh counts its
// syscalls, context switches, wake-ups and migrations per request, and
// wrk-wakes.sh records where and how soon the thread that wrk wakes with a
// request runs.
package bench
