package monitor_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/monitor"
)

const acme = "Acme Corp"

// TestLoginBudget runs the demo seed for hours of sweeps and counts
// Warden's logins per user with the emulator's own counters: none at all
// for users whose records explain their state, none per sweep after the
// first, and never more than the hourly ceiling.
func TestLoginBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newMemDemo(t)
		mon := d.monitor(t, monitor.Options{SweepInterval: 5 * time.Second}, acme)
		ctx := t.Context()
		sweep := func(every time.Duration) {
			t.Helper()
			if err := mon.SweepOrg(ctx, acme); err != nil {
				t.Fatal(err)
			}
			time.Sleep(every)
		}
		d.control(t, "DELETE", "orgs/"+acme+"/usage", nil, nil)
		sweep(5 * time.Second)
		first := d.logins(t, acme)
		explained := []string{
			"marketing.sync@acme.demo", // frozen
			"etl.loader@acme.demo",     // password locked
			"reporting.api@acme.demo",  // API Enabled missing
			"order.webhook@acme.demo",  // 3,300 logins in the past hour: near the limit
		}
		for _, u := range explained {
			if first[u] != 0 {
				t.Errorf("%s: %d logins on the first sweep; its records explain its state, so want none", u, first[u])
			}
		}
		if first["invoice.sync@acme.demo"] != 1 || first["warehouse.batch@acme.demo"] != 1 {
			t.Errorf("first sweep: want one check of each unexplained user, got %v", first)
		}

		// Ten minutes at a 5 s sweep: no login at all, healthy or not.
		d.control(t, "DELETE", "orgs/"+acme+"/usage", nil, nil)
		for range 120 {
			sweep(5 * time.Second)
		}
		for u, n := range d.logins(t, acme) {
			if n != 0 && u != "admin@acme.demo" {
				t.Errorf("%s: %d logins in 120 sweeps after the first; want 0", u, n)
			}
		}

		// Three hours at a 1 min sweep: at most the ceiling in any hour.
		d.control(t, "DELETE", "orgs/"+acme+"/usage", nil, nil)
		var counts []map[string]int
		for range 180 {
			sweep(time.Minute)
			counts = append(counts, d.logins(t, acme))
		}
		for _, dc := range []string{"invoice.sync@acme.demo", "gis.legacy@acme.demo", "warehouse.batch@acme.demo",
			"contracts.esign@acme.demo", "legacy.soap@acme.demo", "jwt.analytics@acme.demo"} {
			for i := 0; i+60 < len(counts); i++ {
				if n := counts[i+60][dc] - counts[i][dc]; n > monitor.MaxCredentialChecksPerHour {
					t.Errorf("%s: %d logins in the hour after minute %d; the ceiling is %d", dc, n, i, monitor.MaxCredentialChecksPerHour)
					break
				}
			}
		}
		last := counts[len(counts)-1]
		if n := last["invoice.sync@acme.demo"]; n < 8 {
			t.Errorf("a healthy user was checked %d times in 3 hours; want about 12 (every 15 minutes)", n)
		}
		if n := last["warehouse.batch@acme.demo"]; n > 3 {
			t.Errorf("a user outside its login hours was checked %d times in 3 hours; want a backoff (at most 3)", n)
		}
		for _, u := range explained[:3] { // order.webhook's burst leaves the hour window
			if last[u] != 0 {
				t.Errorf("%s: %d logins; want none", u, last[u])
			}
		}
		s := d.status(t, "invoice.sync@acme.demo")
		if s.CredentialCheckedAt.IsZero() || !s.NextCredentialCheck.After(s.CredentialCheckedAt) {
			t.Errorf("credential check times of a healthy user: %+v", s)
		}
		if s := d.status(t, "marketing.sync@acme.demo"); !s.NextCredentialCheck.IsZero() {
			t.Errorf("a frozen user has a credential check planned: %+v", s)
		}
	})
}

// TestRejectedPasswordIsNotRetried changes a user's password outside
// Warden: Warden's own check fails once and is not tried again, so Warden
// never locks the user, and Warden's own failed login is not blamed on the
// user's application.
func TestRejectedPasswordIsNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newMemDemo(t)
		mon := d.monitor(t, monitor.Options{SweepInterval: 5 * time.Second}, acme)
		ctx := t.Context()
		const user = "gis.legacy@acme.demo"
		mon.SweepOrg(ctx, acme)
		d.control(t, "PATCH", "orgs/"+acme+"/users/"+user, map[string]any{"password": "Changed-Elsewhere-42!"}, nil)
		d.control(t, "DELETE", "orgs/"+acme+"/usage", nil, nil)
		for range 12 * 40 { // 40 minutes at a 5 s sweep
			time.Sleep(5 * time.Second)
			mon.SweepOrg(ctx, acme)
		}
		if n := d.logins(t, acme)[user]; n != 1 {
			t.Errorf("Warden logged in %d times with a rejected password; want exactly 1", n)
		}
		s := d.status(t, user)
		if s.State != warden.StateError || s.Cause != warden.CauseCredentialRejected || !strings.HasPrefix(s.Evidence, "credential check") {
			t.Errorf("status after the password changed: %+v", s)
		}
		if want := s.CredentialCheckedAt.Add(monitor.RejectedHold); !s.NextCredentialCheck.Equal(want) {
			t.Errorf("next check %v, want %v (the rejected-credential hold)", s.NextCredentialCheck, want)
		}
	})
}

// TestFaultsDoNotRepageErrors runs a user in error through an org outage:
// it stays in error, and neither the outage nor its end pages it again.
func TestFaultsDoNotRepageErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newMemDemo(t)
		al := &alerts{}
		mon := d.monitor(t, monitor.Options{SweepInterval: 5 * time.Second, Alerter: al}, acme)
		ctx := t.Context()
		sweeps := func(n int) {
			for range n {
				mon.SweepOrg(ctx, acme)
				time.Sleep(5 * time.Second)
			}
			mon.Flush(ctx)
		}
		sweeps(1)
		count := func(user string) int {
			al.mu.Lock()
			defer al.mu.Unlock()
			n := 0
			for _, a := range al.list {
				if a.Username == user {
					n++
				}
			}
			return n
		}
		const frozen = "marketing.sync@acme.demo"
		before := count(frozen)
		d.control(t, "POST", "faults", map[string]any{"path": "/services/data/", "kind": "status", "status": 503}, nil)
		sweeps(10)
		if s := d.status(t, frozen); s.State != warden.StateError || s.Cause != warden.CauseUserFrozen {
			t.Errorf("during the outage: %+v", s)
		}
		if s := d.status(t, "invoice.sync@acme.demo"); s.State != warden.StateUnknown || s.Cause != warden.CauseOrgUnavailable {
			t.Errorf("a healthy user during the outage: %+v", s)
		}
		d.control(t, "DELETE", "faults", nil, nil)
		sweeps(3)
		if n := count(frozen); n != before {
			t.Errorf("%d alerts about the frozen user during and after the outage; want none", n-before)
		}
		if s := d.status(t, "invoice.sync@acme.demo"); s.State != warden.StateOK {
			t.Errorf("after the outage: %+v", s)
		}
	})
}

// TestAPILimitClearsAtOnce ends a REQUEST_LIMIT_EXCEEDED fault: the monitor
// sees the org again within two sweeps, and a 429 from concurrency limits
// is not taken for the daily limit.
func TestAPILimitClearsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newMemDemo(t)
		mon := d.monitor(t, monitor.Options{SweepInterval: 5 * time.Second}, acme)
		ctx := t.Context()
		sweep := func() error {
			err := mon.SweepOrg(ctx, acme)
			time.Sleep(5 * time.Second)
			return err
		}
		sweep()
		d.control(t, "POST", "faults", map[string]any{"path": "/services/data/", "kind": "limit"}, nil)
		for range 12 { // a minute of sweeps refused for the daily limit
			sweep()
		}
		if s := d.status(t, "invoice.sync@acme.demo"); s.Cause != warden.CauseAPILimitExhausted {
			t.Fatalf("during the limit: %+v", s)
		}
		d.control(t, "DELETE", "faults", nil, nil)
		ok := false
		for range 2 {
			if sweep() == nil {
				ok = true
				break
			}
		}
		if !ok {
			t.Fatal("no sweep succeeded within two sweeps after the limit cleared")
		}
		if s := d.status(t, "invoice.sync@acme.demo"); s.State != warden.StateOK {
			t.Errorf("the API-limit state did not clear with the first successful sweep: %+v", s)
		}

		d.control(t, "POST", "faults", map[string]any{"path": "/services/data/", "kind": "status", "status": 429}, nil)
		sweep()
		sweep()
		if s := d.status(t, "invoice.sync@acme.demo"); s.Cause == warden.CauseAPILimitExhausted || s.State == warden.StateDegraded {
			t.Errorf("a 429 from concurrency limits was taken for the daily limit: %+v", s)
		}
		d.control(t, "DELETE", "faults", nil, nil)
		// A 429 from the token endpoint throttles Warden's checks, it is not
		// every user's login rate.
		time.Sleep(monitor.MinLivenessInterval)
		d.control(t, "POST", "faults", map[string]any{"path": "/services/oauth2/token", "kind": "status", "status": 429}, nil)
		sweep()
		sweep()
		all, _ := d.store.Statuses(ctx, warden.StatusFilter{Org: acme})
		for _, s := range all {
			if s.Cause == warden.CauseLoginRateExceeded {
				t.Errorf("%s: login_rate_exceeded from the token endpoint's 429", s.Username)
			}
		}
	})
}

// blockingAlerter never returns from Alert until its context ends, like a
// notification channel that hangs.
type blockingAlerter struct{ calls atomic.Int32 }

func (b *blockingAlerter) Alert(ctx context.Context, a *warden.Alert) {
	b.calls.Add(1)
	<-ctx.Done()
}

// TestBlockedAlerterDoesNotStallSweeps runs the monitor with an alerter
// that blocks forever: sweeps go on, statuses are stored, and Ready and
// Statuses answer at once (a lock held by the blocked delivery would
// deadlock the bubble).
func TestBlockedAlerterDoesNotStallSweeps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newMemDemo(t)
		al := &blockingAlerter{}
		mon := d.monitor(t, monitor.Options{SweepInterval: 5 * time.Second, Alerter: al})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- mon.Run(ctx) }()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if al.calls.Load() != 1 {
			t.Fatalf("alerter called %d times; want 1 (blocked in the first delivery)", al.calls.Load())
		}
		if !mon.Ready() {
			t.Fatal("not ready after every org was swept")
		}
		puts := func() int {
			d.store.mu.Lock()
			defer d.store.mu.Unlock()
			return d.store.puts
		}
		before := puts()
		d.control(t, "PATCH", "orgs/"+acme+"/users/invoice.sync@acme.demo", map[string]any{"frozen": true}, nil)
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := puts() - before; n < 2*10 {
			t.Errorf("%d sweeps stored in a minute of 5 s sweeps of 2 orgs while the alerter is blocked; want at least 20", n)
		}
		if s := d.status(t, "invoice.sync@acme.demo"); s.Cause != warden.CauseUserFrozen {
			t.Errorf("a freeze was not seen while the alerter is blocked: %+v", s)
		}
		start := time.Now()
		if !mon.Ready() || len(mon.Statuses()) == 0 {
			t.Error("Ready or Statuses failed during a blocked delivery")
		}
		if time.Since(start) != 0 {
			t.Error("Ready and Statuses waited")
		}
		cancel()
		<-done
	})
}

// TestReloadPicksUpInventory changes the inventory under a running
// monitor: added users and orgs get a first status within a sweep
// interval, removed ones are no longer swept.
func TestReloadPicksUpInventory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newMemDemo(t)
		demo := demoOrgs(t, d.client, d.key)
		acmeOrg, globex := demo[0], demo[1]
		var mu sync.Mutex
		subset := func(o *monitor.Org, targets []monitor.Target) *monitor.Org {
			c := *o
			c.Targets = targets
			return &c
		}
		current := []*monitor.Org{subset(globex, globex.Targets[:1])}
		load := func(ctx context.Context) ([]*monitor.Org, error) {
			mu.Lock()
			defer mu.Unlock()
			return current, nil
		}
		mon := monitor.New(monitor.Options{Store: d.store, Statuses: d.store, NoPush: true, SweepInterval: 30 * time.Second, Load: load}, current)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- mon.Run(ctx) }()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		first, second := globex.Targets[0].Username, globex.Targets[1].Username
		if s := d.status(t, first); s.CheckedAt.IsZero() {
			t.Fatalf("%s not swept: %+v", first, s)
		}
		if _, err := mon.Check(ctx, globex.Name, second); warden.ErrorKind(err) != warden.ENOTFOUND {
			t.Fatalf("%s is monitored before it was added: %v", second, err)
		}

		// Added elsewhere: picked up by the periodic reload.
		mu.Lock()
		current = []*monitor.Org{globex, acmeOrg}
		mu.Unlock()
		time.Sleep(35 * time.Second)
		synctest.Wait()
		for _, u := range []string{second, "invoice.sync@acme.demo"} {
			if s := d.status(t, u); s.CheckedAt.IsZero() || s.State == warden.StateUnknown {
				t.Errorf("%s has no first status a sweep interval after it was added: %+v", u, s)
			}
		}

		// Removed elsewhere: an explicit Reload (SIGHUP) drops them.
		mu.Lock()
		current = []*monitor.Org{subset(globex, globex.Targets[1:])}
		mu.Unlock()
		if err := mon.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if err := mon.SweepOrg(ctx, acme); warden.ErrorKind(err) != warden.ENOTFOUND {
			t.Errorf("a removed org is still swept: %v", err)
		}
		if _, err := mon.Check(ctx, globex.Name, first); warden.ErrorKind(err) != warden.ENOTFOUND {
			t.Errorf("a removed user is still swept: %v", err)
		}
		cancel()
		<-done
	})
}

// TestChangeTriggersOneCheck freezes and unfreezes a healthy user: no
// check while frozen (the records explain it), one check at the sweep
// that sees the unfreezing, and none at the sweeps after.
func TestChangeTriggersOneCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newMemDemo(t)
		mon := d.monitor(t, monitor.Options{SweepInterval: 5 * time.Second}, acme)
		ctx := t.Context()
		const user = "invoice.sync@acme.demo"
		sweeps := func(n int) int {
			t.Helper()
			d.control(t, "DELETE", "orgs/"+acme+"/usage", nil, nil)
			for range n {
				if err := mon.SweepOrg(ctx, acme); err != nil {
					t.Fatal(err)
				}
				time.Sleep(5 * time.Second)
			}
			return d.logins(t, acme)[user]
		}
		sweeps(1)
		d.control(t, "PATCH", "orgs/"+acme+"/users/"+user, map[string]any{"frozen": true}, nil)
		if n := sweeps(20); n != 0 {
			t.Errorf("%d checks of a frozen user; want none", n)
		}
		d.control(t, "PATCH", "orgs/"+acme+"/users/"+user, map[string]any{"frozen": false}, nil)
		if n := sweeps(1); n != 1 {
			t.Errorf("%d checks at the sweep that saw the unfreezing; want 1", n)
		}
		if n := sweeps(20); n != 0 {
			t.Errorf("%d checks at the sweeps after; want none", n)
		}
		if s := d.status(t, user); s.State != warden.StateOK {
			t.Errorf("after unfreezing: %+v", s)
		}
	})
}
