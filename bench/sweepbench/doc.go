// Package sweepbench holds Go benchmarks of Warden's monitor sweep and of
// the Salesforce record accessors it spends its time in, for CPU and
// allocation profiles:
//
//	go test ./bench/sweepbench/ -run '^$' -bench . -benchmem -cpuprofile /tmp/sweep.pprof
//
// It has benchmarks only, so the normal test suite runs nothing here.
package sweepbench
