package rotation_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
	"github.com/wardenhq/warden/mailbox"
	"github.com/wardenhq/warden/mailbox/emulatormail"
	"github.com/wardenhq/warden/rotation"
	"github.com/wardenhq/warden/rotation/rotationtest"
	"github.com/wardenhq/warden/secret/local"
	"github.com/wardenhq/warden/sqlite"
)

// fixture is one emulated org with a credential of each kind, two
// dependents each, and an engine over them.
type fixture struct {
	emu    *emulatortest.Emulator
	store  warden.Store
	ss     warden.SecretStore
	creds  *credential.Registry
	deliv  *rotationtest.Deliverer
	org    *rotationtest.Org
	alerts *alerts
}

// alerts collects the engine's notifications.
type alerts struct {
	mu  sync.Mutex
	all []*warden.Alert
}

func (a *alerts) add(_ context.Context, al *warden.Alert) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.all = append(a.all, al)
}

func (a *alerts) list() []*warden.Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*warden.Alert(nil), a.all...)
}

func newFixture(t *testing.T, mods ...func(*rotationtest.Org) error) *fixture {
	t.Helper()
	ctx := t.Context()
	org, err := rotationtest.NewOrg("acme", "local", 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, mod := range mods {
		if err := mod(org); err != nil {
			t.Fatal(err)
		}
	}
	emu := emulatortest.Start(t, &emulator.Seed{Orgs: []emulator.SeedOrg{org.Seed}})
	st, err := sqlite.Open(ctx, sqlite.MemoryPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ss, err := local.Open(filepath.Join(t.TempDir(), "secrets.json"), local.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	if err := org.Install(ctx, st, ss, emu.URL, rotationtest.Webhooks(2)); err != nil {
		t.Fatal(err)
	}
	creds := credential.NewRegistry(credential.Config{Orgs: st, Credentials: st, Secrets: map[string]warden.SecretStore{"local": ss}})
	deliv := rotationtest.NewDeliverer(creds)
	for _, c := range org.Creds {
		deps, err := st.Dependents(ctx, warden.DependentFilter{Org: "acme", Username: c.User.Username})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range deps {
			deliv.Hold(d, c.Material)
		}
	}
	return &fixture{emu: emu, store: st, ss: ss, creds: creds, deliv: deliv, org: org, alerts: &alerts{}}
}

// engine returns an engine over the fixture with fast timings.
func (f *fixture) engine(t *testing.T, mod func(*rotation.Config)) *rotation.Engine {
	t.Helper()
	cfg := rotation.Config{
		Store: f.store, Creds: f.creds, Deliverer: f.deliv, Notify: f.alerts.add, Grace: rotation.NoGrace,
		Lease: 5 * time.Second, TokenWait: 5 * time.Second, PollInterval: 20 * time.Millisecond, Backoff: 10 * time.Millisecond,
		Mailbox: func(ctx context.Context, c *warden.Credential, username string) (warden.Mailbox, mailbox.ParseOptions, error) {
			mb, err := emulatormail.New(emulatormail.Options{URL: f.emu.URL, Username: username})
			if err != nil {
				return nil, mailbox.ParseOptions{}, err
			}
			return mb, mb.ParseOptions(), nil
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	return rotation.New(cfg)
}

// cred returns the fixture credential of kind k.
func (f *fixture) cred(k warden.CredentialKind) rotationtest.Cred {
	for _, c := range f.org.Creds {
		if c.Credential.Kind == k {
			return c
		}
	}
	panic("no credential of kind " + string(k))
}

// checkWorking fails the test unless the secret store's current version
// of c logs in and every dependent of c holds a credential that does.
func (f *fixture) checkWorking(t *testing.T, c rotationtest.Cred) warden.Material {
	t.Helper()
	ctx := t.Context()
	m, err := f.creds.Material(ctx, c.Credential)
	if err != nil {
		t.Fatalf("current material of %s: %v", c.Credential.Name, err)
	}
	if err := rotationtest.Login(ctx, f.creds, c.Credential, m); err != nil {
		t.Errorf("current version of %s does not log in: %v", c.Credential.Name, err)
	}
	deps, err := f.store.Dependents(ctx, warden.DependentFilter{Org: "acme", Username: c.User.Username})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deps {
		held, _ := f.deliv.Held(d)
		if err := rotationtest.Login(ctx, f.creds, c.Credential, held); err != nil {
			t.Errorf("dependent %s holds a credential that does not log in: %v", d.Name, err)
		}
	}
	return m
}

func TestRotateEveryKind(t *testing.T) {
	for _, kind := range rotationtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixture(t)
			ctx := t.Context()
			c := f.cred(kind)
			e := f.engine(t, nil)
			j, err := e.Start(ctx, c.Credential.Name, "test")
			if err != nil {
				t.Fatal(err)
			}
			j, err = e.Run(ctx, j.ID)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if j.State != warden.RotationCompleted || j.Path != warden.PathSelfService {
				t.Fatalf("state %s path %s error %q, want completed self_service", j.State, j.Path, j.Error)
			}
			m := f.checkWorking(t, c)
			if strings.Join(m.Secrets(), "") == strings.Join(c.Material.Secrets(), "") {
				t.Error("the current material did not change")
			}
			// The old material no longer logs in (retired), except a
			// password, which Salesforce stopped accepting at apply.
			if err := rotationtest.Login(ctx, f.creds, c.Credential, c.Material); err == nil {
				t.Error("the old material still logs in after retirement")
			}
			recs, err := f.store.Rotations(ctx, c.Credential.Name, 0)
			if err != nil {
				t.Fatal(err)
			}
			steps := map[string]bool{}
			for _, r := range recs {
				steps[r.Step] = true
			}
			want, _ := rotation.Steps(kind)
			for _, s := range append(want, "started", "completed") {
				if !steps[s] {
					t.Errorf("no record of step %s", s)
				}
			}
			if a := f.alerts.list(); len(a) != 1 || !a[0].Resolved {
				t.Errorf("alerts = %v, want one success notice", a)
			}
		})
	}
}

func TestBreakGlass(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c := f.cred(warden.CredentialPassword)
	// The stored password is out of date: the runbook's "no" branch.
	stale := warden.Material{Password: "Wrong0000passTOKEN"}
	if _, err := f.creds.PutMaterial(ctx, c.Credential, stale, warden.StageCurrent); err != nil {
		t.Fatal(err)
	}
	e := f.engine(t, nil)
	j, err := e.Start(ctx, c.Credential.Name, "test")
	if err != nil {
		t.Fatal(err)
	}
	j, err = e.Run(ctx, j.ID)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if j.State != warden.RotationCompleted || j.Path != warden.PathBreakGlass {
		t.Fatalf("state %s path %s error %q, want completed break_glass", j.State, j.Path, j.Error)
	}
	f.checkWorking(t, c)
}

// TestRollbackOnFailedDependent fails a dependent's verification for
// every kind that can be rolled back: the dependents go back to the
// previous credential, which works, and nothing stays pending. A twin
// credential's active twin was never changed (unlike a password without
// a twin, which cannot be restored: TestPasswordTokenNeverArrives).
func TestRollbackOnFailedDependent(t *testing.T) {
	for _, tt := range []struct {
		kind  warden.CredentialKind
		twins bool
	}{{warden.CredentialJWT, false}, {warden.CredentialClientCredentials, false}, {warden.CredentialPassword, true}, {warden.CredentialJWT, true}} {
		name := string(tt.kind)
		var mods []func(*rotationtest.Org) error
		if tt.twins {
			name, mods = name+"_twin", append(mods, (*rotationtest.Org).AddTwins)
		}
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, mods...)
			ctx := t.Context()
			c := f.cred(tt.kind)
			f.deliv.Fail("acme", c.Credential.Name+"-app1")
			e := f.engine(t, nil)
			j, err := e.Start(ctx, c.Credential.Name, "test")
			if err != nil {
				t.Fatal(err)
			}
			j, err = e.Run(ctx, j.ID)
			if err == nil || j.State != warden.RotationRolledBack {
				t.Fatalf("Run = %v, state %s; want a rollback", err, j.State)
			}
			if !strings.Contains(j.Error, "verify") || !strings.Contains(j.Error, "-app1") {
				t.Errorf("error %q does not name the step and dependent", j.Error)
			}
			m := f.checkWorking(t, c)
			if strings.Join(m.Secrets(), "") != strings.Join(c.Material.Secrets(), "") || twinOf(c.Credential, m) != twinOf(c.Credential, c.Material) {
				t.Error("the current material changed in a rollback")
			}
			if _, err := f.ss.Get(ctx, c.Credential.Secret.Key, warden.StagePending); warden.ErrorKind(err) != warden.ENOTFOUND {
				t.Errorf("pending version after rollback: %v, want ENOTFOUND", err)
			}
			a := f.alerts.list()
			if len(a) != 1 || a[0].Resolved || !strings.Contains(a[0].Evidence, "-app1") {
				t.Errorf("alerts = %+v, want one failure naming the dependent", a)
			}
		})
	}
}

func TestPasswordTokenNeverArrives(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c := f.cred(warden.CredentialPassword)
	e := f.engine(t, func(cfg *rotation.Config) {
		cfg.TokenWait, cfg.Retries = 100*time.Millisecond, 1
		cfg.Mailbox = func(ctx context.Context, c *warden.Credential, username string) (warden.Mailbox, mailbox.ParseOptions, error) {
			mb, err := emulatormail.New(emulatormail.Options{URL: f.emu.URL, Username: "nobody@acme.test"})
			return mb, mailbox.ParseOptions{}, err
		}
	})
	j, err := e.Start(ctx, c.Credential.Name, "test")
	if err != nil {
		t.Fatal(err)
	}
	j, err = e.Run(ctx, j.ID)
	if err == nil || j.State != warden.RotationFailed {
		t.Fatalf("Run = %v, state %s; want failed", err, j.State)
	}
	// The new password is kept, not lost: it is the pending version.
	p, err := f.ss.Get(ctx, c.Credential.Secret.Key, warden.StagePending)
	if err != nil {
		t.Fatalf("pending version: %v", err)
	}
	m, err := credential.Decode(p.Value)
	if err != nil || m.Password == "" {
		t.Fatalf("pending material: %v", err)
	}
	if !strings.Contains(j.Error, "collect_token") {
		t.Errorf("error %q does not name the step", j.Error)
	}
}

func TestResumeAfterLostLease(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c := f.cred(warden.CredentialClientCredentials)
	// The first worker stops after creating the pending version, as if
	// killed: its context ends and its lease is left to expire.
	first := f.engine(t, func(cfg *rotation.Config) { cfg.Owner, cfg.Lease = "first", 300*time.Millisecond })
	j, err := first.Start(ctx, c.Credential.Name, "test")
	if err != nil {
		t.Fatal(err)
	}
	stopCtx, stop := context.WithCancel(ctx)
	first2 := f.engine(t, func(cfg *rotation.Config) {
		cfg.Owner, cfg.Lease = "first", 300*time.Millisecond
		cfg.OnStep = func(j *warden.RotationJob, step string, err error) {
			if step == rotation.StepCreate {
				stop()
			}
		}
	})
	_, _ = first2.Run(stopCtx, j.ID)
	second := f.engine(t, func(cfg *rotation.Config) { cfg.Owner = "second" })
	j, err = second.Run(ctx, j.ID)
	if err != nil || j.State != warden.RotationCompleted || j.Attempt != 2 {
		t.Fatalf("resumed Run = %v, state %s attempt %d; want completed on attempt 2", err, j.State, j.Attempt)
	}
	f.checkWorking(t, c)
}

func TestEmulatorFaults(t *testing.T) {
	tests := []struct {
		name  string
		kind  warden.CredentialKind
		fault emulator.Fault
		want  warden.RotationState
	}{
		{"password 503 twice is retried", warden.CredentialPassword,
			emulator.Fault{Path: "/services/data/*/sobjects/User/*/password", Method: "POST", Kind: "status", Status: 503, Count: 2}, warden.RotationCompleted},
		{"dropped staging call is retried", warden.CredentialClientCredentials,
			emulator.Fault{Path: "/services/data/*/apps/oauth/credentials/*/*/staged", Method: "POST", Kind: "drop", Count: 1}, warden.RotationCompleted},
		// Down for the apply and its retries and the first rollback
		// attempt: the job stays in rollback, and the next run (after the
		// lease, as warden serve does) finishes it.
		{"metadata API down rolls back on the next run", warden.CredentialJWT,
			emulator.Fault{Path: "/services/Soap/m/", Kind: "status", Status: 500, Count: 5}, warden.RotationRolledBack},
		{"staging always 503 rolls back", warden.CredentialClientCredentials,
			emulator.Fault{Path: "/services/data/*/apps/oauth/credentials/*/*/staged", Method: "POST", Kind: "status", Status: 503}, warden.RotationRolledBack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := t.Context()
			c := f.cred(tt.kind)
			f.emu.Control(t, "POST", "faults", tt.fault, nil)
			e := f.engine(t, nil)
			j, err := e.Start(ctx, c.Credential.Name, "test")
			if err != nil {
				t.Fatal(err)
			}
			j, _ = e.Run(ctx, j.ID)
			if j.State == warden.RotationRunning && j.Step == rotation.StepRollback {
				f.checkWorking(t, c) // working while the rollback waits
				j, _ = e.Run(ctx, j.ID)
			}
			if j.State != tt.want {
				t.Fatalf("state %s (error %q), want %s", j.State, j.Error, tt.want)
			}
			f.checkWorking(t, c)
		})
	}
}

// manualDeliverer makes manual dependents wait for confirmation.
type manualDeliverer struct {
	*rotationtest.Deliverer
	mu        sync.Mutex
	confirmed bool
}

func (m *manualDeliverer) Verify(ctx context.Context, d *warden.Dependent, c *warden.Credential, mat warden.Material, version string) error {
	m.mu.Lock()
	ok := m.confirmed
	m.mu.Unlock()
	if d.Delivery == warden.DeliveryManual && !ok {
		return warden.Errorf(warden.EUNAVAILABLE, "waiting for the owner to confirm")
	}
	return m.Deliverer.Verify(ctx, d, c, mat, version)
}

func TestManualDependentWaits(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c := f.cred(warden.CredentialClientCredentials)
	d := &warden.Dependent{Name: "by-hand", Org: "acme", Username: c.User.Username, Delivery: warden.DeliveryManual}
	if err := f.store.UpsertDependent(ctx, d); err != nil {
		t.Fatal(err)
	}
	f.deliv.Hold(d, c.Material)
	md := &manualDeliverer{Deliverer: f.deliv}
	old := rotation.ManualRecheck
	rotation.ManualRecheck = 50 * time.Millisecond
	t.Cleanup(func() { rotation.ManualRecheck = old })
	e := f.engine(t, func(cfg *rotation.Config) { cfg.Deliverer = md })
	j, err := e.Start(ctx, c.Credential.Name, "test")
	if err != nil {
		t.Fatal(err)
	}
	j, err = e.Run(ctx, j.ID)
	if err != nil || j.State != warden.RotationRunning || j.Step != rotation.StepVerify {
		t.Fatalf("Run = %v, state %s step %s; want waiting at verify", err, j.State, j.Step)
	}
	f.checkWorking(t, c) // both secrets work while the owner has not confirmed
	md.mu.Lock()
	md.confirmed = true
	md.mu.Unlock()
	time.Sleep(60 * time.Millisecond)
	if j, err = e.Run(ctx, j.ID); err != nil || j.State != warden.RotationCompleted {
		t.Fatalf("after confirmation: %v, state %s", err, j.State)
	}
}

func TestGraceThenNow(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c := f.cred(warden.CredentialClientCredentials)
	e := f.engine(t, func(cfg *rotation.Config) { cfg.Grace = time.Hour })
	j, err := e.Start(ctx, c.Credential.Name, "test")
	if err != nil {
		t.Fatal(err)
	}
	j, err = e.Run(ctx, j.ID)
	if err != nil || j.State != warden.RotationRunning || j.Step != rotation.StepRetire {
		t.Fatalf("Run = %v, state %s step %s; want waiting to retire", err, j.State, j.Step)
	}
	// During the grace period both consumer secrets work.
	if err := rotationtest.Login(ctx, f.creds, c.Credential, c.Material); err != nil {
		t.Errorf("old secret during the grace period: %v", err)
	}
	f.checkWorking(t, c)
	// A later run with no grace (warden rotate --now) retires at once.
	j, err = f.engine(t, nil).Run(ctx, j.ID)
	if err != nil || j.State != warden.RotationCompleted {
		t.Fatalf("Run --now = %v, state %s", err, j.State)
	}
	if err := rotationtest.Login(ctx, f.creds, c.Credential, c.Material); err == nil {
		t.Error("old secret still works after retirement")
	}
}

func TestMailboxAccount(t *testing.T) {
	for _, tt := range []struct {
		name      string
		broken    bool
		wantState warden.RotationState
	}{
		{"salesforce password works", false, warden.RotationCompleted},
		{"salesforce password broken", true, warden.RotationRolledBack},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := t.Context()
			c := f.cred(warden.CredentialPassword)
			if tt.broken {
				if _, err := f.creds.PutMaterial(ctx, c.Credential, warden.Material{Password: "Wrong0000pass"}, warden.StageCurrent); err != nil {
					t.Fatal(err)
				}
			}
			ref := warden.SecretRef{Store: "local", Key: "acme/pw00-mailbox"}
			e := f.engine(t, func(cfg *rotation.Config) {
				cfg.MailboxAccount = func(ctx context.Context, c *warden.Credential) (warden.PasswordChanger, warden.SecretRef, error) {
					mb, err := emulatormail.New(emulatormail.Options{URL: f.emu.URL, Username: c.Username})
					return mb, ref, err
				}
			})
			j, err := e.StartMailbox(ctx, c.Credential.Name, "test")
			if err != nil {
				t.Fatal(err)
			}
			j, _ = e.Run(ctx, j.ID)
			if j.State != tt.wantState {
				t.Fatalf("state %s (%q), want %s", j.State, j.Error, tt.wantState)
			}
			stored, err := credential.Read(ctx, f.ss, ref, warden.StageCurrent)
			got := f.emu.MailboxPassword(c.Credential.Username)
			if tt.broken {
				if got != "" || err == nil {
					t.Errorf("mailbox password changed (%v) or stored (%v) although Salesforce's does not work", got != "", err)
				}
				return
			}
			if err != nil || got == "" || stored.Password != got {
				t.Errorf("stored mailbox password %v, matches the provider's: %v", err, stored.Password == got)
			}
		})
	}
}
