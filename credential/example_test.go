package credential_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/secret/local"
	"github.com/wardenhq/warden/sqlite"
)

// Two callers ask the registry for the session of one credential: they
// share it, and the credential logs in once.
func ExampleRegistry_Session() {
	ctx := context.Background()
	srv, _ := emulator.New(&emulator.Seed{Orgs: []emulator.SeedOrg{{
		Name:          "Acme",
		Profiles:      []emulator.SeedProfile{{Name: "System Administrator", Permissions: []string{"ApiEnabled", "ViewAllData"}}},
		Users:         []emulator.SeedUser{{Username: "admin@acme.example", Profile: "System Administrator", Password: "Adm1n-Passw0rd!"}},
		ConnectedApps: []emulator.SeedConnectedApp{{Name: "Warden", ConsumerKey: "warden-key", ConsumerSecret: "warden-secret", ClientCredentialsUser: "admin@acme.example"}},
	}}}, emulator.Options{})
	ts := httptest.NewServer(srv)
	defer ts.Close()

	dir, _ := os.MkdirTemp("", "credential-example")
	defer os.RemoveAll(dir)
	db, _ := sqlite.Open(ctx, filepath.Join(dir, "warden.db"))
	defer db.Close()
	kek, _ := local.NewKEK([]byte("example key-encryption key 32 B!")) // 32 bytes; keep real ones secret
	secrets, _ := local.Open(filepath.Join(dir, "secrets.json"), kek)
	defer secrets.Close()

	// The inventory holds the org and a reference to the secret.
	db.UpsertOrg(ctx, &warden.Org{Name: "acme", LoginURL: ts.URL})
	c := &warden.Credential{Name: "monitor-acme", Org: "acme", Kind: warden.CredentialClientCredentials, ClientID: "warden-key",
		Secret: warden.SecretRef{Store: "local", Key: "monitor-acme"}}
	db.UpsertCredential(ctx, c)

	reg := credential.NewRegistry(credential.Config{Orgs: db, Credentials: db, Secrets: map[string]warden.SecretStore{"local": secrets}})
	reg.PutMaterial(ctx, c, warden.Material{ClientSecret: "warden-secret"}, warden.StageCurrent)

	a, _ := reg.Session(ctx, "monitor-acme")
	b, _ := reg.Session(ctx, "monitor-acme")
	res, err := a.Query(ctx, "SELECT Username FROM User", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	tb, _ := b.Token(ctx)
	ta, _ := a.Token(ctx)
	fmt.Println(a == b, ta == tb, res.Records[0].String("Username"))
	// Output: true true admin@acme.example
}
