// Command activity measures the activity rules at scale: a month of login
// history for many integration users (20,000 by default, each logging in
// every 20 minutes) is fed to the activity engine over a SQLite store, in
// one-day chunks to build the rule state, then in sweeps of -interval as
// the monitor hands them over. It prints the CPU time, allocations and
// wall time per steady-state sweep, the heap, and the size of the stored
// rule state.
//
//	go run ./bench/activity -users 20000 -sweeps 40
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"syscall"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/activity"
	"github.com/wardenhq/warden/activity/activitytest"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/sqlite"
)

func main() {
	users := flag.Int("users", 20000, "integration users")
	every := flag.Duration("every", 20*time.Minute, "interval between a user's logins")
	days := flag.Int("days", 30, "days of history before the measured sweeps")
	interval := flag.Duration("interval", 30*time.Second, "sweep interval of the measured sweeps")
	sweeps := flag.Int("sweeps", 40, "measured sweeps")
	flag.Parse()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "activity-bench")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(ctx, filepath.Join(dir, "warden.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	end := time.Now().UTC().Truncate(time.Hour)
	start := end.Add(-time.Duration(*days) * 24 * time.Hour)
	traffic := activitytest.NewTraffic(activitytest.Options{Users: *users, Every: *every}, start)
	alerts := 0
	e := activity.New(activity.Options{Store: db, Alerter: monitor.AlertFunc(func(context.Context, *warden.Alert) { alerts++ })})
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("loadavg before: %s", load)
	t0 := time.Now()
	rows := 0
	for at := start; at.Before(end); at = at.Add(6 * time.Hour) {
		s := traffic.Sweep("bench", at, at.Add(6*time.Hour))
		rows += len(s.Logins)
		if _, err := e.Analyze(ctx, s); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("history: %d users, %d logins over %d days analysed in %s (%d alerts)\n", *users, rows, *days, time.Since(t0).Round(time.Millisecond), alerts)
	var cpu, wall []time.Duration
	var allocs []uint64
	at := end
	var ms runtime.MemStats
	for range *sweeps {
		s := traffic.Sweep("bench", at, at.Add(*interval))
		at = at.Add(*interval)
		runtime.ReadMemStats(&ms)
		a0, c0, w0 := ms.TotalAlloc, cpuTime(), time.Now()
		if _, err := e.Analyze(ctx, s); err != nil {
			log.Fatal(err)
		}
		wall = append(wall, time.Since(w0))
		cpu = append(cpu, cpuTime()-c0)
		runtime.ReadMemStats(&ms)
		allocs = append(allocs, ms.TotalAlloc-a0)
		rows = len(s.Logins)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(e) // the engine's in-memory rule state counts in the heap
	st, err := db.ActivityState(ctx, "bench")
	if err != nil {
		log.Fatal(err)
	}
	stateBytes := 0
	for _, raw := range st.Users {
		stateBytes += len(raw)
	}
	b, _ := json.Marshal(st.Recent)
	fmt.Printf("steady state: %d sweeps of %s, about %d logins each\n", *sweeps, *interval, rows)
	fmt.Printf("  wall per sweep: median %s, p90 %s\n", pct(wall, 50), pct(wall, 90))
	fmt.Printf("  CPU per sweep:  median %s, p90 %s\n", pct(cpu, 50), pct(cpu, 90))
	sort.Slice(allocs, func(i, j int) bool { return allocs[i] < allocs[j] })
	fmt.Printf("  allocated per sweep: median %.1f MiB\n", float64(allocs[len(allocs)/2])/(1<<20))
	fmt.Printf("  heap in use after GC: %.1f MiB; stored rule state %.1f MiB for %d users (%.0f bytes each), cursor ids %.1f KiB\n",
		float64(ms.HeapInuse)/(1<<20), float64(stateBytes)/(1<<20), len(st.Users), float64(stateBytes)/float64(max(len(st.Users), 1)), float64(len(b))/1024)
	load, _ = os.ReadFile("/proc/loadavg")
	fmt.Printf("loadavg after: %s", load)
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func pct(ds []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, len(s)*p/100)].Round(time.Microsecond)
}
