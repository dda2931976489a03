package rotation_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/rotation"
	"github.com/wardenhq/warden/rotation/rotationtest"
)

// twinKinds are the kinds with a twin strategy.
var twinKinds = []warden.CredentialKind{warden.CredentialPassword, warden.CredentialJWT}

// twinOf is the identity of the twin m logs in as: a username or a
// consumer key.
func twinOf(c *warden.Credential, m warden.Material) string {
	if c.TwinClientID != "" {
		return c.LoginClientID(m)
	}
	return c.LoginUsername(m)
}

// TestTwinRotationHasNoDowntime rotates a twin credential twice (to the
// twin and back) and checks after every step that each dependent still
// holds a credential Salesforce accepts: the zero-downtime promise.
func TestTwinRotationHasNoDowntime(t *testing.T) {
	for _, kind := range twinKinds {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixture(t, (*rotationtest.Org).AddTwins)
			ctx := t.Context()
			c := f.cred(kind)
			deps, err := f.store.Dependents(ctx, warden.DependentFilter{Org: "acme", Username: c.User.Username})
			if err != nil || len(deps) != 2 {
				t.Fatalf("dependents %d %v", len(deps), err)
			}
			var mu sync.Mutex
			var broken []string
			e := f.engine(t, func(cfg *rotation.Config) {
				cfg.OnStep = func(j *warden.RotationJob, step string, err error) {
					for _, d := range deps {
						held, _ := f.deliv.Held(d)
						if lerr := rotationtest.Login(ctx, f.creds, c.Credential, held); lerr != nil {
							mu.Lock()
							broken = append(broken, step+": "+d.Name+": "+lerr.Error())
							mu.Unlock()
						}
					}
				}
			})
			first := twinOf(c.Credential, c.Material)
			before := c.Material
			for round, want := range []string{twinOf(c.Credential, warden.Material{Username: c.Credential.TwinUsername, ClientID: c.Credential.TwinClientID}), first} {
				j, err := e.Start(ctx, c.Credential.Name, "test")
				if err != nil {
					t.Fatal(err)
				}
				j, err = e.Run(ctx, j.ID)
				if err != nil || j.State != warden.RotationCompleted {
					t.Fatalf("round %d: Run = %v, state %s, error %q", round, err, j.State, j.Error)
				}
				m := f.checkWorking(t, c)
				if got := twinOf(c.Credential, m); got != want {
					t.Errorf("round %d: the credential logs in as %s, want twin %s", round, got, want)
				}
				for _, d := range deps {
					if held, _ := f.deliv.Held(d); twinOf(c.Credential, held) != want {
						t.Errorf("round %d: %s was not moved to twin %s", round, d.Name, want)
					}
				}
				// Retired: the material the dependents held before no
				// longer logs in.
				if err := rotationtest.Login(ctx, f.creds, c.Credential, before); err == nil {
					t.Errorf("round %d: the previous twin's material still logs in after retirement", round)
				}
				before = m
			}
			if len(broken) > 0 {
				t.Errorf("dependents held a refused credential during the rotation:\n%s", strings.Join(broken, "\n"))
			}
			recs, err := f.store.Rotations(ctx, c.Credential.Name, 0)
			if err != nil {
				t.Fatal(err)
			}
			var text []string
			for _, r := range recs {
				text = append(text, r.Step+": "+r.Detail)
			}
			all := strings.Join(text, "\n")
			for _, s := range []string{"twin credential: the new credential is for the idle", "nobody holds", "now logs in as twin"} {
				if !strings.Contains(all, s) {
					t.Errorf("no record says %q:\n%s", s, all)
				}
			}
		})
	}
}

// TestTwinNeedsDependentsThatCanMove refuses, before changing anything,
// a twin rotation with a dependent whose delivery cannot name the twin.
func TestTwinNeedsDependentsThatCanMove(t *testing.T) {
	f := newFixture(t, (*rotationtest.Org).AddTwins)
	ctx := t.Context()
	c := f.cred(warden.CredentialPassword)
	d := &warden.Dependent{Name: "legacy-app", Org: "acme", Username: c.User.Username, Delivery: warden.DeliveryFile,
		Target: warden.DeliveryTarget{File: &warden.FileTarget{Path: "/tmp/app.env", Format: "env", Template: "SF_PASSWORD={{password}}\n"}}}
	if err := f.store.UpsertDependent(ctx, d); err != nil {
		t.Fatal(err)
	}
	f.deliv.Hold(d, c.Material)
	e := f.engine(t, nil)
	j, err := e.Start(ctx, c.Credential.Name, "test")
	if err != nil {
		t.Fatal(err)
	}
	j, err = e.Run(ctx, j.ID)
	if err == nil || j.State != warden.RotationRolledBack || !strings.Contains(j.Error, "legacy-app cannot move to the twin") || !strings.Contains(j.Error, "{{username}}") {
		t.Fatalf("Run = %v, state %s, error %q; want a failure naming the dependent", err, j.State, j.Error)
	}
	if _, err := f.ss.Get(ctx, c.Credential.Secret.Key, warden.StagePending); warden.ErrorKind(err) != warden.ENOTFOUND {
		t.Errorf("a pending version was written: %v", err)
	}
	f.checkWorking(t, c)
}
