// Package bench holds evnet's side-by-side benchmarks: every workload runs
// on the standard library's net and on evnet in the same process, as
// sub-benchmarks "net" and "evnet", so that benchstat can compare them.
//
//	go test -run XXX -bench . -count 10 ./bench/ | tee new.txt
//	benchstat -col /stack new.txt
//
// cmd/evbench runs them interleaved, in fresh processes, and prints ratios.
package bench
