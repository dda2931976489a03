// Command scale runs Warden's monitor over many orgs against an emulator
// in another process (bench/emulatorserver started with the same -key,
// -orgs and -users), so that the monitor's own CPU and memory can be read
// from /proc (see bench/procsample and bench/scripts/scale.sh).
//
// The monitor uses a SQLite store in a temporary directory, no alert
// delivery beyond counting, and, unless -nopush, one CometD subscription to
// User change events per org. It prints a line when every org has been
// swept once ("ready"), a progress line every -every, optionally probes
// push latency (-probe), and exits after
// -duration or on SIGINT/SIGTERM.
//
//	go build -o /tmp/scale ./bench/scale
//	/tmp/scale -url http://127.0.0.1:8585 -key /tmp/bench-key.pem -orgs 2000 -users 10 -interval 60s -duration 6m -nopush
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	_ "net/http/pprof" // served only on -pprof
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/wardenhq/warden/internal/wait"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/bench/internal/benchenv"
	"github.com/wardenhq/warden/bench/internal/benchseed"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/sqlite"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8585", "emulator base URL (loopback)")
	keyFile := flag.String("key", "", "RSA key file shared with bench/emulatorserver -key (required)")
	orgs := flag.Int("orgs", 2000, "orgs")
	users := flag.Int("users", 10, "integration users per org")
	interval := flag.Duration("interval", time.Minute, "sweep interval")
	duration := flag.Duration("duration", 6*time.Minute, "exit after this long")
	every := flag.Duration("every", 30*time.Second, "progress line interval")
	noPush := flag.Bool("nopush", false, "do not subscribe to User change events")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this loopback address")
	probe := flag.Int("probe", 0, "after -probe-after, deactivate this many users one by one (2 s apart) and measure deactivation → alert, then reactivate them")
	probeAfter := flag.Duration("probe-after", 5*time.Minute, "when to run the probe, from start")
	flag.Parse()
	if *pprofAddr != "" {
		go func() { log.Println(http.ListenAndServe(*pprofAddr, nil)) }() // DefaultServeMux has the pprof handlers
	}
	if *keyFile == "" {
		log.Fatal("-key is required")
	}
	if err := run(*base, *keyFile, *orgs, *users, *interval, *duration, *every, *noPush, *probe, *probeAfter); err != nil {
		log.Fatal(err)
	}
}

func run(base, keyFile string, orgs, users int, interval, duration, every time.Duration, noPush bool, probe int, probeAfter time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	key, _, err := benchseed.LoadOrCreateKey(keyFile)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "warden-scale")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(ctx, filepath.Join(dir, "warden.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	alerts := &benchenv.Alerts{}
	mon := monitor.New(monitor.Options{Store: store, Alerter: alerts, SweepInterval: interval, NoPush: noPush},
		benchenv.MonitorOrgs(benchenv.Client(base), key, orgs, users, false))
	fmt.Printf("pid %d: monitoring %d orgs x %d users at %v, push %v, store %s\n", os.Getpid(), orgs, users, interval, !noPush, dir)
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); mon.Run(ctx) }()
	if probe > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if wait.Sleep(ctx, probeAfter) == nil {
				runProbe(ctx, base, alerts, orgs, users, probe)
			}
		}()
	}
	ready := false
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := time.Now()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
		if !ready && mon.Ready() {
			ready = true
			fmt.Printf("ready after %v\n", time.Since(start).Round(time.Millisecond))
		}
		if time.Since(last) >= every || ctx.Err() != nil {
			last = time.Now()
			progress(mon, alerts, start)
		}
	}
	wg.Wait()
	return nil
}

// progress prints user states, alerts, goroutines and heap.
func progress(mon *monitor.Monitor, alerts *benchenv.Alerts, start time.Time) {
	states := map[warden.State]int{}
	var oldest time.Duration
	for _, s := range mon.Statuses() {
		states[s.State]++
		if !s.CheckedAt.IsZero() {
			oldest = max(oldest, time.Since(s.CheckedAt))
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("t=%v states=%v oldest-check=%v alerts=%d goroutines=%d heap=%dMiB sys=%dMiB gc=%d load=%s\n",
		time.Since(start).Round(time.Second), states, oldest.Round(time.Second), alertCount(alerts), runtime.NumGoroutine(),
		ms.HeapAlloc>>20, ms.Sys>>20, ms.NumGC, benchenv.LoadAvg())
}

func alertCount(a *benchenv.Alerts) int {
	_, n := a.Since(0)
	return n
}

// runProbe deactivates n users of distinct orgs, 2 s apart, prints the
// time from each deactivation to its alert, and reactivates them.
func runProbe(ctx context.Context, base string, alerts *benchenv.Alerts, orgs, users, n int) {
	mark := alertCount(alerts)
	type probe struct {
		org, user string
		at, seen  time.Time
	}
	var ps []*probe
	for k := 0; k < n && ctx.Err() == nil; k++ {
		i := rand.IntN(orgs)
		p := &probe{org: benchseed.OrgName(i), user: benchseed.Username(i, rand.IntN(users)), at: time.Now()}
		if err := benchenv.Control(ctx, base, http.MethodPatch, "orgs/"+p.org+"/users/"+p.user, map[string]bool{"active": false}, nil); err != nil {
			fmt.Println("probe:", err)
			return
		}
		ps = append(ps, p)
		wait.Sleep(ctx, 2*time.Second)
	}
	deadline := time.Now().Add(70 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		list, _ := alerts.Since(mark)
		waiting := 0
		for _, p := range ps {
			for _, d := range list {
				if p.seen.IsZero() && d.Alert.Username == p.user && d.Alert.Cause == warden.CauseUserDeactivated {
					p.seen = d.At
				}
			}
			if p.seen.IsZero() {
				waiting++
			}
		}
		if waiting == 0 {
			break
		}
		wait.Sleep(ctx, 100*time.Millisecond)
	}
	var ds []time.Duration
	for _, p := range ps {
		if !p.seen.IsZero() {
			ds = append(ds, p.seen.Sub(p.at))
		}
		benchenv.Control(ctx, base, http.MethodPatch, "orgs/"+p.org+"/users/"+p.user, map[string]bool{"active": true}, nil)
	}
	slices.Sort(ds)
	if len(ds) == 0 {
		fmt.Printf("probe: no alert for %d deactivations\n", len(ps))
		return
	}
	fmt.Printf("probe: deactivation → alert for %d of %d users: min %.2fs p50 %.2fs max %.2fs (load %s)\n", len(ds), len(ps),
		ds[0].Seconds(), ds[len(ds)/2].Seconds(), ds[len(ds)-1].Seconds(), benchenv.LoadAvg())
}
