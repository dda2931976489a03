// Command procsample reports the CPU share and memory of processes from
// /proc: it reads utime+stime of each pid, waits -for, reads them again and
// prints the CPU used over the wall time (as a share of one core), VmRSS,
// VmHWM and the load average at both ends.
//
//	go run ./bench/procsample -for 3m 1234 5678
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/wardenhq/warden/bench/internal/benchenv"
)

func main() {
	window := flag.Duration("for", 3*time.Minute, "measurement window")
	flag.Parse()
	var pids []int
	for _, a := range flag.Args() {
		pid, err := strconv.Atoi(a)
		if err != nil {
			log.Fatalf("%q is not a pid", a)
		}
		pids = append(pids, pid)
	}
	if len(pids) == 0 {
		fmt.Fprintln(os.Stderr, "usage: procsample [-for 3m] PID...")
		os.Exit(2)
	}
	load0 := benchenv.LoadAvg()
	before := make([]benchenv.ProcStat, len(pids))
	for i, pid := range pids {
		st, err := benchenv.ReadProc(pid)
		if err != nil {
			log.Fatal(err)
		}
		before[i] = st
	}
	time.Sleep(*window)
	load1 := benchenv.LoadAvg()
	for i, pid := range pids {
		st, err := benchenv.ReadProc(pid)
		if err != nil {
			log.Fatal(err)
		}
		wall := st.SampledAt.Sub(before[i].SampledAt)
		cpu := st.CPU - before[i].CPU
		fmt.Printf("pid %d: cpu %.1fs over %.1fs = %.1f%% of one core; VmRSS %.1f MiB, VmHWM %.1f MiB, threads %d; load %s -> %s\n",
			pid, cpu.Seconds(), wall.Seconds(), 100*cpu.Seconds()/wall.Seconds(), float64(st.RSS)/(1<<20), float64(st.HWM)/(1<<20), st.Threads, load0, load1)
	}
}
