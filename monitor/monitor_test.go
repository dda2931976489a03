package monitor_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/salesforce"
	"github.com/wardenhq/warden/sqlite"
)

// alerts records alerts.
type alerts struct {
	mu   sync.Mutex
	list []*warden.Alert
}

func (a *alerts) Alert(ctx context.Context, al *warden.Alert) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.list = append(a.list, al)
}

func (a *alerts) find(username string, state warden.State) *warden.Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, al := range a.list {
		if al.Username == username && al.State == state {
			return al
		}
	}
	return nil
}

type demoEnv struct {
	emu   *emulatortest.Emulator
	mon   *monitor.Monitor
	store *sqlite.DB
	// statuses is the status store (sqlite's keeps statuses of inventory
	// users only, and the demo org names are not inventory names).
	statuses *memStore
	alerts   *alerts
	orgs     []*monitor.Org
}

func pemKey(k *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

// startDemo runs the emulator with the demo seed and a monitor of both demo
// orgs, with every demo credential checkable.
func startDemo(t *testing.T, opts monitor.Options) *demoEnv {
	t.Helper()
	seed, key, err := emulator.Demo(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	emu := emulatortest.Start(t, seed)
	client := salesforce.New(salesforce.Config{LoginURL: emu.URL, HTTPClient: emu.HTTP})
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	orgs := demoOrgs(t, client, key)
	al := &alerts{}
	statuses := &memStore{}
	opts.Store, opts.Statuses, opts.Alerter = store, statuses, al
	return &demoEnv{emu: emu, mon: monitor.New(opts, orgs), store: store, statuses: statuses, alerts: al, orgs: orgs}
}

// alert delivers the queued alerts and returns the first one about
// username in state, or nil.
func (d *demoEnv) alert(t *testing.T, username string, state warden.State) *warden.Alert {
	t.Helper()
	if err := d.mon.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	return d.alerts.find(username, state)
}

// status returns a user's status as the status store has it.
func (d *demoEnv) status(t *testing.T, username string) warden.UserStatus {
	t.Helper()
	st, err := d.statuses.Statuses(t.Context(), warden.StatusFilter{Username: username})
	if err != nil || len(st) != 1 {
		t.Fatalf("status of %s: %v %v", username, st, err)
	}
	return *st[0]
}

func TestDemoCauses(t *testing.T) {
	d := startDemo(t, monitor.Options{NoPush: true, DashboardURL: "https://warden.example/"})
	ctx := t.Context()
	for _, o := range d.orgs {
		if err := d.mon.SweepOrg(ctx, o.Name); err != nil {
			t.Fatalf("sweep %s: %v", o.Name, err)
		}
	}
	want := []struct {
		user    string
		state   warden.State
		cause   warden.Cause
		warning string
	}{
		{"invoice.sync@acme.demo", warden.StateOK, "", ""},
		{"gis.legacy@acme.demo", warden.StateOK, "", ""},
		{"marketing.sync@acme.demo", warden.StateError, warden.CauseUserFrozen, ""},
		{"contracts.esign@acme.demo", warden.StateDegraded, "", "refresh token expires"},
		{"warehouse.batch@acme.demo", warden.StateError, warden.CauseIPOrHoursRestricted, ""},
		{"order.webhook@acme.demo", warden.StateDegraded, "", "of the hourly limit"},
		{"legacy.soap@acme.demo", warden.StateDegraded, "", "SOAP login()"},
		{"etl.loader@acme.demo", warden.StateError, warden.CausePasswordLocked, ""},
		{"reporting.api@acme.demo", warden.StateError, warden.CauseAPIPermissionMissing, ""},
		{"jwt.analytics@acme.demo", warden.StateOK, "", ""},
		{"erp.sync@globex.demo", warden.StateOK, "", ""},
		{"support.bridge@globex.demo", warden.StateError, warden.CauseUserDeactivated, ""},
		{"hr.feed@globex.demo", warden.StateDegraded, "", "password expires in"},
	}
	for _, w := range want {
		s := d.status(t, w.user)
		if s.State != w.state || s.Cause != w.cause || !strings.Contains(strings.Join(s.Warnings, "; "), w.warning) {
			t.Errorf("%s: %s/%s %q warnings %q; want %s/%s %q", w.user, s.State, s.Cause, s.Evidence, s.Warnings, w.state, w.cause, w.warning)
		}
		if s.Cause != "" && s.Fix == "" {
			t.Errorf("%s: no fix", w.user)
		}
	}
	if a := d.alert(t, "marketing.sync@acme.demo", warden.StateError); a == nil || a.Cause != warden.CauseUserFrozen || len(a.Dependents) != 1 ||
		a.Severity != warden.SeverityHigh || a.URL != "https://warden.example/users/Acme%20Corp/marketing.sync@acme.demo" {
		t.Errorf("frozen alert: %+v", a)
	}
	if a := d.alert(t, "invoice.sync@acme.demo", warden.StateOK); a != nil {
		t.Errorf("a healthy first check must not alert: %+v", a)
	}
	latest, err := d.store.LatestHealth(ctx, warden.HealthFilter{})
	if err != nil || len(latest) != len(want) {
		t.Fatalf("stored history: %d %v", len(latest), err)
	}
}

func TestSweepCostAndDetection(t *testing.T) {
	d := startDemo(t, monitor.Options{NoPush: true})
	ctx := t.Context()
	const org = "Acme Corp"
	if err := d.mon.SweepOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	d.emu.Control(t, "DELETE", "orgs/"+org+"/usage", nil, nil)
	if err := d.mon.SweepOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	if u := d.emu.Usage(t, org); u.APIRequests != 1 || u.Logins != 0 {
		t.Errorf("a sweep used %d API requests and %d logins; want 1 and 0", u.APIRequests, u.Logins)
	}
	// Freeze a healthy user: the next sweep finds it, the one after its
	// unfreezing announces the recovery.
	user := "invoice.sync@acme.demo"
	d.emu.Control(t, "PATCH", "orgs/"+org+"/users/"+user, map[string]any{"frozen": true}, nil)
	d.mon.SweepOrg(ctx, org)
	if s := d.status(t, user); s.State != warden.StateError || s.Cause != warden.CauseUserFrozen || !strings.Contains(s.Evidence, "frozeuser") && !strings.Contains(s.Evidence, "Froze") {
		t.Fatalf("after freeze: %+v", s)
	}
	d.emu.Control(t, "PATCH", "orgs/"+org+"/users/"+user, map[string]any{"frozen": false}, nil)
	d.mon.SweepOrg(ctx, org)
	if s := d.status(t, user); s.State != warden.StateOK {
		t.Fatalf("after unfreeze: %+v", s)
	}
	if a := d.alert(t, user, warden.StateOK); a == nil || !a.Resolved || a.Cause != warden.CauseUserFrozen {
		t.Errorf("recovery alert: %+v", a)
	}
	// Removing the permission set that grants the object access its
	// application needs.
	d.emu.Control(t, "DELETE", "orgs/"+org+"/users/"+user+"/permissionsets/Invoice_Sync_API", nil, nil)
	d.mon.SweepOrg(ctx, org)
	if s := d.status(t, user); s.Cause != warden.CauseObjectPermissionMissing || !strings.Contains(s.Evidence, "Account: Read") || !strings.Contains(s.Evidence, "unassigned") {
		t.Errorf("after unassign: %+v", s)
	}
}

func TestFaultsDoNotRaiseFalseErrors(t *testing.T) {
	d := startDemo(t, monitor.Options{NoPush: true, Debounce: 2})
	ctx := t.Context()
	const org = "Globex Corporation"
	d.mon.SweepOrg(ctx, org)
	d.emu.Control(t, "POST", "faults", map[string]any{"path": "/services/data/", "kind": "status", "status": 503}, nil)
	d.mon.SweepOrg(ctx, org)
	if s := d.status(t, "erp.sync@globex.demo"); s.State != warden.StateOK {
		t.Errorf("one failed sweep changed the state: %+v", s)
	}
	d.mon.SweepOrg(ctx, org)
	s := d.status(t, "erp.sync@globex.demo")
	if s.State != warden.StateUnknown || s.Cause != warden.CauseOrgUnavailable {
		t.Errorf("after two failed sweeps: %+v", s)
	}
	if a := d.alert(t, "erp.sync@globex.demo", warden.StateError); a != nil {
		t.Errorf("false error alert: %+v", a)
	}
	d.emu.Control(t, "DELETE", "faults", nil, nil)
	d.mon.SweepOrg(ctx, org)
	d.mon.SweepOrg(ctx, org)
	if s := d.status(t, "erp.sync@globex.demo"); s.State != warden.StateOK {
		t.Errorf("after the fault cleared: %+v", s)
	}
}

func TestPushDetectsDeactivation(t *testing.T) {
	d := startDemo(t, monitor.Options{SweepInterval: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go d.mon.Run(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for !d.mon.Ready() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // let the subscriptions connect
	start := time.Now()
	d.emu.Control(t, "PATCH", "orgs/Globex Corporation/users/erp.sync@globex.demo", map[string]any{"active": false}, nil)
	for time.Since(start) < 5*time.Second {
		if s := d.status(t, "erp.sync@globex.demo"); s.Cause == warden.CauseUserDeactivated {
			t.Logf("deactivation seen after %v", time.Since(start))
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("deactivation not seen within 5s: %+v", d.status(t, "erp.sync@globex.demo"))
}

func TestChaosRaisesNoFalseErrors(t *testing.T) {
	d := startDemo(t, monitor.Options{NoPush: true, LivenessInterval: time.Millisecond})
	ctx := t.Context()
	const org = "Acme Corp"
	if err := d.mon.SweepOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	before := map[string]warden.State{}
	all, err := d.statuses.Statuses(ctx, warden.StatusFilter{Org: org})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		before[s.Username] = s.State
	}
	chaos := []map[string]any{
		{"path": "/services/data/", "kind": "status", "status": 503, "probability": 0.25},
		{"path": "/services/data/", "kind": "malformed", "probability": 0.1},
		{"path": "/services/data/", "kind": "status", "status": 500, "probability": 0.1},
		{"path": "/services/data/", "kind": "latency", "latency": "50ms", "probability": 0.2},
		{"path": "/services/data/", "kind": "drop", "probability": 0.05},
		{"path": "/services/oauth2/token", "kind": "status", "status": 503, "probability": 0.2},
		{"path": "/services/Soap/", "kind": "status", "status": 502, "probability": 0.2},
	}
	for _, f := range chaos {
		d.emu.Control(t, "POST", "faults", f, nil)
	}
	falseError := func() *warden.Alert {
		d.mon.Flush(ctx)
		d.alerts.mu.Lock()
		defer d.alerts.mu.Unlock()
		for _, a := range d.alerts.list {
			if a.State == warden.StateError && before[a.Username] != warden.StateError && a.Username != "invoice.sync@acme.demo" {
				return a
			}
		}
		return nil
	}
	for i := 0; i < 12; i++ {
		d.mon.SweepOrg(ctx, org)
	}
	if a := falseError(); a != nil {
		t.Fatalf("false error alert during chaos: %+v", a)
	}
	// A real fault during the chaos is still detected.
	d.emu.Control(t, "PATCH", "orgs/"+org+"/users/invoice.sync@acme.demo", map[string]any{"frozen": true}, nil)
	for i := 0; i < 20 && d.alert(t, "invoice.sync@acme.demo", warden.StateError) == nil; i++ {
		d.mon.SweepOrg(ctx, org)
	}
	if a := d.alert(t, "invoice.sync@acme.demo", warden.StateError); a == nil || a.Cause != warden.CauseUserFrozen {
		t.Fatalf("freeze not detected during chaos: %+v", a)
	}
	if a := falseError(); a != nil {
		t.Fatalf("false error alert during chaos: %+v", a)
	}
}
