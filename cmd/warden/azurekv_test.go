package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets/fake"

	"github.com/wardenhq/warden/secret/azurekv/azurekvtest"
)

// bearerRecorder passes requests to the fake vault and records the
// Authorization headers they carry.
type bearerRecorder struct {
	next interface {
		Do(*http.Request) (*http.Response, error)
	}
	mu   sync.Mutex
	seen []string
}

func (b *bearerRecorder) Do(r *http.Request) (*http.Response, error) {
	b.mu.Lock()
	b.seen = append(b.seen, r.Header.Get("Authorization"))
	b.mu.Unlock()
	return b.next.Do(r)
}

// TestAzureKeyVaultSecretStore runs warden with an azurekv secret store:
// its service principal gets a token from an in-process identity
// platform, and the in-process fake vault keeps the secret org add writes
// and discover reads.
func TestAzureKeyVaultSecretStore(t *testing.T) {
	const clientSecret = "azure-client-secret-value"
	var grants sync.Map
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/tenant-1/oauth2/v2.0/token" || r.PostForm.Get("client_id") != "warden-app" || r.PostForm.Get("client_secret") != clientSecret ||
			r.PostForm.Get("scope") != "https://vault.azure.net/.default" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client"}`)
			return
		}
		tok := fmt.Sprintf("kv-token-%p", r)
		grants.Store(tok, true)
		json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": 3600, "access_token": tok})
	}))
	t.Cleanup(idp.Close)
	vault := azurekvtest.New(azurekvtest.Options{})
	rec := &bearerRecorder{next: fake.NewServerTransport(vault.Fake())}
	old := azureTransport
	azureTransport = rec
	t.Cleanup(func() { azureTransport = old })

	v := newInvEnv(t, false)
	cfg := "store:\n  driver: sqlite\n  path: warden.db\nsecretStores:\n  - name: azure\n    kind: azurekv\n    vaultUrl: " + azurekvtest.VaultURL + "\n"
	if err := os.WriteFile(v.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := v.run("org", "list")
	if code != 2 || !strings.Contains(errOut, "secret store azure: Azure Key Vault needs the service principal's credentials in the environment: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET not set") {
		t.Errorf("without the Azure environment: %d %s", code, errOut)
	}
	v.env["AZURE_TENANT_ID"], v.env["AZURE_CLIENT_ID"], v.env["AZURE_CLIENT_SECRET"] = "tenant-1", "warden-app", clientSecret
	v.env["AZURE_AUTHORITY_HOST"] = idp.URL

	out := v.addJWT("acme", "acme")
	if !strings.Contains(out, `secret kept in secret store "azure" under key "monitor-acme"`) {
		t.Errorf("org add:\n%s", out)
	}
	if names := vault.Names(); !slices.Contains(names, "warden-monitor-2dacme") {
		t.Errorf("vault secrets %q", names)
	}
	if out := v.ok("discover", "--org", "acme"); !strings.Contains(out, "integration users found in org acme") {
		t.Errorf("discover with the key from the vault:\n%s", out)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	authorized := 0
	for _, h := range rec.seen {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if _, granted := grants.Load(tok); ok && granted {
			authorized++
		} else if h != "" {
			t.Errorf("a vault request carried %q, not a granted token", h)
		}
	}
	if authorized == 0 {
		t.Errorf("no vault request carried a token: %q", rec.seen)
	}
	for _, s := range append(slices.Clone(rec.seen), out) {
		if strings.Contains(s, clientSecret) {
			t.Error("the client secret was sent to the vault or printed")
		}
	}
}
