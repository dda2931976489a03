package inventory_test

import (
	"context"
	"slices"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/inventory"
	"github.com/wardenhq/warden/sqlite"
)

// declared returns a declared inventory: org acme with its monitoring
// credential, a team, the users named (each with a credential-less entry
// and a dependent "app-USER").
func declared(users ...string) inventory.Declared {
	d := inventory.Declared{
		Orgs: []*warden.Org{{Name: "acme", LoginURL: "https://acme.my.salesforce.com", MonitoringCredential: "monitor-acme", DailyAPIShare: 0.05}},
		Credentials: []*warden.Credential{{Name: "monitor-acme", Org: "acme", Kind: warden.CredentialJWT, Username: "admin@acme.example",
			ClientID: "k", Secret: warden.SecretRef{Store: "local", Key: "monitor-acme"}}},
		Owners: []*warden.Owner{{Team: "billing", Contacts: []string{"billing@acme.example"}}},
	}
	for _, u := range users {
		d.Users = append(d.Users, &warden.IntegrationUser{Org: "acme", Username: u, Owner: "billing"})
		d.Dependents = append(d.Dependents, &warden.Dependent{Name: "app-" + u, Org: "acme", Username: u, Delivery: warden.DeliveryManual})
	}
	return d
}

// changes renders a plan's changes for comparison.
func changes(p *inventory.Plan) []string {
	out := []string{}
	for _, c := range p.Changes {
		out = append(out, c.String())
	}
	return out
}

func TestSync(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.MemoryPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name    string
		before  func() // CLI-side writes before the sync
		d       inventory.Declared
		want    []string
		summary string
	}{
		{"fresh store", nil, declared("a@acme.example", "b@acme.example"), []string{
			"create org acme", "create credential monitor-acme", "create owner billing",
			"create user acme/a@acme.example", "create user acme/b@acme.example",
			"create dependent acme/app-a@acme.example", "create dependent acme/app-b@acme.example",
		}, "7 to create, 0 to update, 0 to delete"},
		{"second sync", nil, declared("a@acme.example", "b@acme.example"), []string{}, "no changes"},
		{"items added by CLI commands stay", func() {
			must(db.UpsertUser(ctx, &warden.IntegrationUser{Org: "acme", Username: "found@acme.example", Reasons: []string{"API Only"}}))
			must(db.UpsertDependent(ctx, &warden.Dependent{Name: "cli-app", Org: "acme", Username: "a@acme.example"}))
			// Discovery learns a user id: a sync keeps it.
			must(db.UpsertUser(ctx, &warden.IntegrationUser{Org: "acme", Username: "b@acme.example", UserID: "005000000000001AAA", Owner: "billing"}))
		}, declared("a@acme.example", "b@acme.example"), []string{}, "no changes"},
		{"a user removed from the file goes, with its dependents", nil, declared("b@acme.example"), []string{
			"delete dependent acme/app-a@acme.example", "delete dependent acme/cli-app (with user acme/a@acme.example)",
			"delete user acme/a@acme.example",
		}, "0 to create, 0 to update, 3 to delete"},
		{"updates and adoption", nil, func() inventory.Declared {
			d := declared("b@acme.example", "found@acme.example")
			d.Users[0].Owner, d.Users[0].Description = "", "ERP"
			d.Orgs[0].PasswordExpiresDays = warden.PasswordsNeverExpire
			d.Owners[0].Contacts = []string{"ops@acme.example"}
			return d
		}(), []string{
			"update org acme (passwordExpiresDays)", "update owner billing (contacts)",
			"update user acme/b@acme.example (owner, description)",
			"update user acme/found@acme.example (now managed by the configuration; changes owner)",
			"create dependent acme/app-found@acme.example",
		}, "1 to create, 4 to update, 0 to delete"},
		{"removing the org takes everything in it", func() {
			must(db.UpsertUser(ctx, &warden.IntegrationUser{Org: "acme", Username: "late@acme.example"}))
		}, inventory.Declared{}, []string{
			"delete dependent acme/app-b@acme.example", "delete dependent acme/app-found@acme.example",
			"delete user acme/b@acme.example", "delete user acme/found@acme.example",
			"delete user acme/late@acme.example (with org acme)",
			"delete owner billing", "delete credential monitor-acme", "delete org acme",
		}, "0 to create, 0 to update, 8 to delete"},
		{"nothing left to do", nil, inventory.Declared{}, []string{}, "no changes"},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		p, err := inventory.PlanSync(ctx, db, st.d)
		must(err)
		if got := changes(p); !slices.Equal(got, st.want) {
			t.Fatalf("%s: plan\n%q\nwant\n%q", st.name, got, st.want)
		}
		if p.Summary() != st.summary {
			t.Errorf("%s: summary %q, want %q", st.name, p.Summary(), st.summary)
		}
		applied, err := inventory.Sync(ctx, db, st.d)
		must(err)
		if !slices.Equal(changes(applied), st.want) {
			t.Errorf("%s: Sync applied %q", st.name, changes(applied))
		}
		again, err := inventory.PlanSync(ctx, db, st.d)
		must(err)
		if !again.Empty() {
			t.Errorf("%s: the sync after it plans %q", st.name, changes(again))
		}
		switch st.name {
		case "a user removed from the file goes, with its dependents":
			if _, err := db.User(ctx, "acme", "a@acme.example"); warden.ErrorKind(err) != warden.ENOTFOUND {
				t.Errorf("removed user: %v", err)
			}
			if deps, _ := db.Dependents(ctx, warden.DependentFilter{Org: "acme"}); len(deps) != 1 || deps[0].Name != "app-b@acme.example" {
				t.Errorf("dependents left: %+v", deps)
			}
			if _, err := db.User(ctx, "acme", "found@acme.example"); err != nil {
				t.Errorf("a discovered user was deleted: %v", err)
			}
		case "updates and adoption":
			u, err := db.User(ctx, "acme", "b@acme.example")
			must(err)
			if u.UserID != "005000000000001AAA" || u.Description != "ERP" || u.Owner != "" {
				t.Errorf("updated user %+v", u)
			}
			f, err := db.User(ctx, "acme", "found@acme.example")
			must(err)
			if !slices.Equal(f.Reasons, []string{"API Only"}) || f.Owner != "billing" {
				t.Errorf("adopted user %+v", f)
			}
			o, err := db.Org(ctx, "acme")
			must(err)
			if o.PasswordExpiresDays != warden.PasswordsNeverExpire {
				t.Errorf("org %+v", o)
			}
		}
	}
	if orgs, _ := db.Orgs(ctx); len(orgs) != 0 {
		t.Errorf("orgs left: %+v", orgs)
	}
}

// TestApplyInterrupted: a sync that stops half-way leaves the removed
// items recorded as declared, so the next sync still deletes them.
func TestApplyInterrupted(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.MemoryPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := inventory.Sync(ctx, db, declared("a@acme.example")); err != nil {
		t.Fatal(err)
	}
	p, err := inventory.PlanSync(ctx, db, declared("b@acme.example"))
	if err != nil {
		t.Fatal(err)
	}
	if err := inventory.Apply(ctx, failingDelete{db}, p); err == nil {
		t.Fatal("Apply with a failing store succeeded")
	}
	if _, err := inventory.Sync(ctx, db, declared("b@acme.example")); err != nil {
		t.Fatal(err)
	}
	users, err := db.Users(ctx, warden.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].Username != "b@acme.example" {
		t.Errorf("users after the retried sync: %+v", users)
	}
}

// failingDelete is a store whose DeleteUser fails, as if the process died.
type failingDelete struct{ *sqlite.DB }

func (failingDelete) DeleteUser(context.Context, string, string) error {
	return warden.Errorf(warden.EUNAVAILABLE, "interrupted")
}
