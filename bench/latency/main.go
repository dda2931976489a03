// Command latency measures how fast Warden's monitor announces broken
// integration users and their recovery.
//
// It runs the emulator in-process on 127.0.0.1 with -orgs orgs of -users
// integration users, and a monitor of all of them (SQLite store in a temp
// directory, push enabled: one CometD subscription to User change events
// per org) whose Alerter timestamps each alert on delivery. Then:
//
//  1. push: deactivates -push users one after another and measures
//     deactivation → error alert (User change event → immediate sweep);
//     reactivates them.
//  2. faults: injects -faults faults into distinct random users at random
//     times over -window through the control API, each one of freeze,
//     deactivate, remove the permission set granting API Enabled, or lock
//     the password, and measures fault → error alert;
//  3. recovery: undoes every fault at random times over -undo-window and
//     measures undo → recovery alert.
//
// Latency is measured from just before the control call that injects the
// fault to the alert's delivery. Every phase is bounded (-timeout for the
// whole run).
//
//	go run ./bench/latency -orgs 100 -users 20 -interval 30s -faults 200 -window 2m
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/wait"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/bench/internal/benchenv"
	"github.com/wardenhq/warden/bench/internal/benchseed"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/sqlite"
)

type config struct {
	orgs, users, faults, push int
	interval, window, undo    time.Duration
	grace, timeout            time.Duration
	noPush                    bool
	seed                      uint64
}

func main() {
	var c config
	flag.IntVar(&c.orgs, "orgs", 100, "orgs")
	flag.IntVar(&c.users, "users", 20, "integration users per org")
	flag.IntVar(&c.faults, "faults", 200, "faults to inject")
	flag.IntVar(&c.push, "push", 20, "users deactivated one by one to measure push")
	flag.DurationVar(&c.interval, "interval", 30*time.Second, "monitor sweep interval")
	flag.DurationVar(&c.window, "window", 2*time.Minute, "faults are injected at random times over this window")
	flag.DurationVar(&c.undo, "undo-window", time.Minute, "faults are undone at random times over this window")
	flag.DurationVar(&c.grace, "grace", 45*time.Second, "how long after the last injection (or undo) to wait for alerts")
	flag.DurationVar(&c.timeout, "timeout", 8*time.Minute, "bound on the whole run")
	flag.BoolVar(&c.noPush, "nopush", false, "disable the monitor's change-event subscriptions")
	flag.Uint64Var(&c.seed, "seed", 1, "random seed")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if err := run(ctx, c); err != nil {
		log.Fatal(err)
	}
}

// fault is one injected fault and its undo.
type fault struct {
	org, user, kind     string
	injected, undone    time.Time
	detected, recovered time.Time
	cause               warden.Cause
}

var kinds = []string{"freeze", "deactivate", "remove-permset", "lock"}

// apply injects (on) or undoes (!on) f through the control API.
func apply(ctx context.Context, base string, f *fault, on bool) error {
	path := "orgs/" + f.org + "/users/" + f.user
	switch f.kind {
	case "freeze":
		return benchenv.Control(ctx, base, http.MethodPatch, path, map[string]bool{"frozen": on}, nil)
	case "deactivate":
		return benchenv.Control(ctx, base, http.MethodPatch, path, map[string]bool{"active": !on}, nil)
	case "lock":
		return benchenv.Control(ctx, base, http.MethodPatch, path, map[string]bool{"passwordLocked": on}, nil)
	case "remove-permset":
		m := http.MethodPut
		if on {
			m = http.MethodDelete
		}
		return benchenv.Control(ctx, base, m, path+"/permissionsets/"+benchseed.APIPermSet, nil, nil)
	}
	return fmt.Errorf("unknown fault kind %q", f.kind)
}

func run(ctx context.Context, c config) error {
	rng := rand.New(rand.NewPCG(c.seed, 0x5eed))
	key, cert, err := benchseed.NewKey()
	if err != nil {
		return err
	}
	emu, err := benchenv.StartEmulator(benchseed.Generate(benchseed.Params{Orgs: c.orgs, Users: c.users, Cert: cert}))
	if err != nil {
		return err
	}
	defer emu.Close()
	dir, err := os.MkdirTemp("", "warden-latency")
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
	reg := prometheus.NewRegistry()
	mon := monitor.New(monitor.Options{Store: store, Alerter: alerts, SweepInterval: c.interval, NoPush: c.noPush, Metrics: monitor.NewMetrics(reg)},
		benchenv.MonitorOrgs(benchenv.Client(emu.URL), key, c.orgs, c.users, false))
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); mon.Run(runCtx) }()
	defer func() { stop(); wg.Wait() }()

	fmt.Printf("emulator in-process; %d orgs x %d users, interval %v, push %v; load %s\n", c.orgs, c.users, c.interval, !c.noPush, benchenv.LoadAvg())
	start := time.Now()
	for !mon.Ready() {
		if err := wait.Sleep(ctx, 50*time.Millisecond); err != nil {
			return fmt.Errorf("monitor not ready: %w", err)
		}
	}
	bad := 0
	for _, s := range mon.Statuses() {
		if s.State != warden.StateOK {
			bad++
		}
	}
	fmt.Printf("all orgs swept once after %v; %d users not ok\n", time.Since(start).Round(time.Millisecond), bad)
	wait.Sleep(ctx, 2*time.Second) // let the subscriptions connect

	// Pick distinct users for the push sample and the faults.
	total := c.orgs * c.users
	if c.push+c.faults > total {
		return fmt.Errorf("%d push + %d faults > %d users", c.push, c.faults, total)
	}
	perm := rng.Perm(total)
	pick := func(k int) *fault {
		i, j := perm[k]/c.users, perm[k]%c.users
		return &fault{org: benchseed.OrgName(i), user: benchseed.Username(i, j)}
	}

	// 1. Push.
	var pushed []*fault
	if !c.noPush && c.push > 0 {
		mark := alertMark(alerts)
		for k := 0; k < c.push; k++ {
			f := pick(k)
			f.kind = "deactivate"
			f.injected = time.Now()
			if err := apply(ctx, emu.URL, f, true); err != nil {
				return err
			}
			pushed = append(pushed, f)
			wait.Sleep(ctx, 1500*time.Millisecond)
		}
		waitFor(ctx, alerts, mark, pushed, false, 10*time.Second)
		report("push: deactivation → alert", pushed, false, mark, alerts)
		for _, f := range pushed {
			apply(ctx, emu.URL, f, false)
		}
		waitFor(ctx, alerts, mark, pushed, true, 10*time.Second)
	}

	// 2. Faults at random times over the window.
	faults := make([]*fault, c.faults)
	offsets := make([]time.Duration, c.faults)
	for k := range faults {
		faults[k] = pick(c.push + k)
		faults[k].kind = kinds[rng.IntN(len(kinds))]
		offsets[k] = time.Duration(rng.Int64N(int64(c.window)))
	}
	mark := alertMark(alerts)
	fmt.Printf("injecting %d faults over %v (load %s)\n", c.faults, c.window, benchenv.LoadAvg())
	if err := schedule(ctx, faults, offsets, func(f *fault) error {
		f.injected = time.Now()
		return apply(ctx, emu.URL, f, true)
	}); err != nil {
		return err
	}
	waitFor(ctx, alerts, mark, faults, false, c.grace)
	report("faults: fault → alert", faults, false, mark, alerts)

	// 3. Undo at random times.
	for k := range offsets {
		offsets[k] = time.Duration(rng.Int64N(int64(c.undo)))
	}
	fmt.Printf("undoing %d faults over %v (load %s)\n", c.faults, c.undo, benchenv.LoadAvg())
	if err := schedule(ctx, faults, offsets, func(f *fault) error {
		f.undone = time.Now()
		return apply(ctx, emu.URL, f, false)
	}); err != nil {
		return err
	}
	waitFor(ctx, alerts, mark, faults, true, c.grace)
	report("recovery: undo → recovery alert", faults, true, mark, alerts)
	sweepStats(reg)
	fmt.Printf("total run %v; load %s\n", time.Since(start).Round(time.Second), benchenv.LoadAvg())
	return nil
}

// schedule calls do(fs[k]) at start + at[k], in time order.
func schedule(ctx context.Context, fs []*fault, at []time.Duration, do func(*fault) error) error {
	idx := make([]int, len(fs))
	for k := range idx {
		idx[k] = k
	}
	sort.Slice(idx, func(a, b int) bool { return at[idx[a]] < at[idx[b]] })
	start := time.Now()
	for _, k := range idx {
		if err := wait.Sleep(ctx, time.Until(start.Add(at[k]))); err != nil {
			return err
		}
		if err := do(fs[k]); err != nil {
			return fmt.Errorf("%s %s: %w", fs[k].kind, fs[k].user, err)
		}
	}
	return nil
}

func alertMark(a *benchenv.Alerts) int {
	_, n := a.Since(0)
	return n
}

// match fills detected (or recovered) from the alerts delivered since mark
// and reports how many faults are still waiting.
func match(alerts *benchenv.Alerts, mark int, fs []*fault, recovery bool) int {
	list, _ := alerts.Since(mark)
	by := map[string]*fault{}
	for _, f := range fs {
		by[f.user] = f
	}
	waiting := 0
	for _, f := range fs {
		if recovery && f.recovered.IsZero() || !recovery && f.detected.IsZero() {
			waiting++
		}
	}
	for _, d := range list {
		f := by[d.Alert.Username]
		if f == nil {
			continue
		}
		switch {
		case !recovery && f.detected.IsZero() && !f.injected.IsZero() && d.Alert.State == warden.StateError && d.At.After(f.injected):
			f.detected, f.cause = d.At, d.Alert.Cause
			waiting--
		case recovery && f.recovered.IsZero() && !f.undone.IsZero() && d.Alert.Resolved && d.At.After(f.undone):
			f.recovered = d.At
			waiting--
		}
	}
	return waiting
}

// waitFor waits until every fault has its alert, or for grace.
func waitFor(ctx context.Context, alerts *benchenv.Alerts, mark int, fs []*fault, recovery bool, grace time.Duration) {
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) && match(alerts, mark, fs, recovery) > 0 {
		if wait.Sleep(ctx, 100*time.Millisecond) != nil {
			return
		}
	}
}

// report prints latency percentiles, overall and per fault kind.
func report(title string, fs []*fault, recovery bool, mark int, alerts *benchenv.Alerts) {
	match(alerts, mark, fs, recovery)
	byKind := map[string][]time.Duration{}
	missed := map[string]int{}
	wrongCause := 0
	want := map[string]warden.Cause{"freeze": warden.CauseUserFrozen, "deactivate": warden.CauseUserDeactivated,
		"lock": warden.CausePasswordLocked, "remove-permset": warden.CauseAPIPermissionMissing}
	for _, f := range fs {
		from, to := f.injected, f.detected
		if recovery {
			from, to = f.undone, f.recovered
		}
		if to.IsZero() {
			missed[f.kind]++
			continue
		}
		if !recovery && f.cause != want[f.kind] {
			wrongCause++
		}
		d := to.Sub(from)
		byKind[f.kind] = append(byKind[f.kind], d)
		byKind["all"] = append(byKind["all"], d)
		if f.kind != "deactivate" {
			// Found by the periodic sweep; deactivation is pushed.
			byKind["all but deactivate"] = append(byKind["all but deactivate"], d)
		}
	}
	fmt.Printf("%s (load %s):\n", title, benchenv.LoadAvg())
	keys := make([]string, 0, len(byKind))
	for k := range byKind {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ds := byKind[k]
		slices.Sort(ds)
		fmt.Printf("  %-18s n=%3d  p50 %6.2fs  p90 %6.2fs  p99 %6.2fs  max %6.2fs\n", k, len(ds),
			pct(ds, 0.50).Seconds(), pct(ds, 0.90).Seconds(), pct(ds, 0.99).Seconds(), ds[len(ds)-1].Seconds())
	}
	if len(missed) > 0 || wrongCause > 0 {
		fmt.Printf("  no alert within the grace period: %v; alerts with an unexpected cause: %d\n", missed, wrongCause)
	}
}

// pct is the nearest-rank percentile of sorted ds.
func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(float64(len(ds))*p+0.999999) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

// sweepStats prints the mean sweep duration and request count from the
// monitor's metrics.
func sweepStats(reg *prometheus.Registry) {
	mfs, err := reg.Gather()
	if err != nil {
		return
	}
	var n uint64
	var sum, requests float64
	for _, mf := range mfs {
		switch mf.GetName() {
		case "warden_sweep_duration_seconds":
			for _, m := range mf.GetMetric() {
				n += m.GetHistogram().GetSampleCount()
				sum += m.GetHistogram().GetSampleSum()
			}
		case "warden_api_requests_total":
			for _, m := range mf.GetMetric() {
				requests += m.GetCounter().GetValue()
			}
		}
	}
	if n > 0 {
		fmt.Printf("sweeps: %d, mean duration %.1f ms, %.0f API requests in all\n", n, sum/float64(n)*1000, requests)
	}
}
