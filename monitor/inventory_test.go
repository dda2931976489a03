package monitor_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/salesforce"
	"github.com/wardenhq/warden/sqlite"
)

// TestInventoryLoad builds the monitored orgs from a store: users with
// their dependents' needs, checks for users with credentials, orgs without
// a monitoring credential skipped, and sessions and checks reused until
// their credential changes.
func TestInventoryLoad(t *testing.T) {
	ctx := t.Context()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	cred := func(name, user string) *warden.Credential {
		return &warden.Credential{Name: name, Org: "acme", Kind: warden.CredentialJWT, Username: user, ClientID: "key",
			Secret: warden.SecretRef{Store: "local", Key: name}}
	}
	must(store.UpsertOrg(ctx, &warden.Org{Name: "acme", LoginURL: "https://acme.example", MonitoringCredential: "monitor"}))
	must(store.UpsertOrg(ctx, &warden.Org{Name: "unwatched", LoginURL: "https://other.example"}))
	must(store.UpsertCredential(ctx, cred("monitor", "admin@acme.example")))
	must(store.UpsertCredential(ctx, cred("billing-cred", "billing@acme.example")))
	must(store.UpsertUser(ctx, &warden.IntegrationUser{Org: "acme", Username: "billing@acme.example", Owner: "finance", Credential: "billing-cred"}))
	must(store.UpsertUser(ctx, &warden.IntegrationUser{Org: "acme", Username: "gis@acme.example"}))
	must(store.UpsertDependent(ctx, &warden.Dependent{Name: "ledger", Org: "acme", Username: "billing@acme.example", Owner: "finance",
		Objects: []warden.ObjectAccess{{Object: "Invoice__c", Access: []string{"Read"}}}}))
	client := salesforce.New(salesforce.Config{LoginURL: "https://acme.example"})
	sessions, auths := 0, 0
	inv := &monitor.Inventory{Orgs: store, Users: store, Dependents: store, Credentials: store, DailyAPIShare: 0.02,
		Session: func(ctx context.Context, o *warden.Org, c *warden.Credential) (*salesforce.Session, error) {
			sessions++
			return salesforce.NewSession(client, salesforce.AuthFunc(func(context.Context) (*salesforce.Token, error) { return nil, nil })), nil
		},
		Authenticator: func(ctx context.Context, c *warden.Credential) (salesforce.Authenticator, error) {
			auths++
			return salesforce.AuthFunc(func(context.Context) (*salesforce.Token, error) { return nil, nil }), nil
		},
	}
	orgs, err := inv.Load(ctx)
	must(err)
	if len(orgs) != 1 || orgs[0].Name != "acme" || orgs[0].DailyAPIShare != 0.02 || len(orgs[0].Targets) != 2 {
		t.Fatalf("orgs: %+v", orgs)
	}
	billing := orgs[0].Targets[0]
	if billing.Username != "billing@acme.example" || billing.Owner != "finance" || billing.Credential != warden.CredentialJWT ||
		len(billing.Needs) != 1 || len(billing.Dependents) != 1 || billing.Dependents[0].Name != "ledger" || billing.CredentialVersion == "" {
		t.Errorf("billing target: %+v", billing)
	}
	if orgs[0].Liveness["billing@acme.example"] == nil || orgs[0].Liveness["gis@acme.example"] != nil {
		t.Errorf("checks: %v", orgs[0].Liveness)
	}
	again, err := inv.Load(ctx)
	must(err)
	if sessions != 1 || auths != 1 || again[0].Session != orgs[0].Session {
		t.Errorf("a second load built %d sessions and %d authenticators; want them reused", sessions, auths)
	}
	rotated := cred("billing-cred", "billing@acme.example")
	rotated.RotatedAt = time.Now()
	must(store.UpsertCredential(ctx, rotated))
	third, err := inv.Load(ctx)
	must(err)
	if auths != 2 || third[0].Targets[0].CredentialVersion == billing.CredentialVersion {
		t.Errorf("a rotated credential was not rebuilt: %d authenticators, version %q", auths, third[0].Targets[0].CredentialVersion)
	}
}

// TestInventoryTwinCheck gives a twin credential's check to the twin it
// logs in as, not to both users that name it: one login per check, about
// the right user.
func TestInventoryTwinCheck(t *testing.T) {
	ctx := t.Context()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, err := range []error{
		store.UpsertOrg(ctx, &warden.Org{Name: "acme", LoginURL: "https://acme.example", MonitoringCredential: "monitor"}),
		store.UpsertCredential(ctx, &warden.Credential{Name: "monitor", Org: "acme", Kind: warden.CredentialJWT, Username: "admin@acme.example", ClientID: "key", Secret: warden.SecretRef{Store: "local", Key: "m"}}),
		store.UpsertCredential(ctx, &warden.Credential{Name: "billing", Org: "acme", Kind: warden.CredentialPassword, Username: "billing@acme.example",
			TwinUsername: "billing.b@acme.example", Secret: warden.SecretRef{Store: "local", Key: "b"}}),
		store.UpsertUser(ctx, &warden.IntegrationUser{Org: "acme", Username: "billing@acme.example", Credential: "billing"}),
		store.UpsertUser(ctx, &warden.IntegrationUser{Org: "acme", Username: "billing.b@acme.example", Credential: "billing"}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	client := salesforce.New(salesforce.Config{LoginURL: "https://acme.example"})
	inv := &monitor.Inventory{Orgs: store, Users: store, Dependents: store, Credentials: store,
		Session: func(ctx context.Context, o *warden.Org, c *warden.Credential) (*salesforce.Session, error) {
			return salesforce.NewSession(client, salesforce.AuthFunc(func(context.Context) (*salesforce.Token, error) { return nil, nil })), nil
		},
		Authenticator: func(ctx context.Context, c *warden.Credential) (salesforce.Authenticator, error) {
			// The current material logs in as the twin.
			return salesforce.NewAuthenticator(client, c, warden.Material{Password: "x", Username: "billing.b@acme.example"}, nil)
		},
	}
	orgs, err := inv.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l := orgs[0].Liveness; len(l) != 1 || l["billing.b@acme.example"] == nil {
		t.Errorf("checks %v, want one, for the active twin billing.b@acme.example", l)
	}
}
