package vault_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/vault/api"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/secret/secrettest"
	"github.com/wardenhq/warden/secret/vault"
	"github.com/wardenhq/warden/secret/vault/vaulttest"
)

func TestConformance(t *testing.T) {
	secrettest.Run(t, func(t *testing.T) warden.SecretStore {
		srv := vaulttest.Start(t, vaulttest.Options{})
		return newStore(t, vault.Config{Address: srv.URL, Token: srv.Token})
	})
}

// TestConformanceLive runs the suite against a real Vault when
// WARDEN_TEST_VAULT_ADDR and WARDEN_TEST_VAULT_TOKEN are set (a KV v2
// engine must be mounted at "secret"). Each subtest uses its own prefix
// and deletes what it wrote.
func TestConformanceLive(t *testing.T) {
	addr, token := os.Getenv("WARDEN_TEST_VAULT_ADDR"), os.Getenv("WARDEN_TEST_VAULT_TOKEN")
	if addr == "" || token == "" {
		t.Skip("set WARDEN_TEST_VAULT_ADDR and WARDEN_TEST_VAULT_TOKEN to run against a live Vault")
	}
	secrettest.Run(t, func(t *testing.T) warden.SecretStore {
		b := make([]byte, 6)
		rand.Read(b)
		prefix := "warden-test/" + hex.EncodeToString(b) + "/"
		s := newStore(t, vault.Config{Address: addr, Token: token, Prefix: prefix})
		t.Cleanup(func() {
			c, err := api.NewClient(&api.Config{Address: addr})
			if err != nil {
				return
			}
			c.SetToken(token)
			deleteTree(c, "secret/metadata/"+strings.TrimSuffix(prefix, "/"))
		})
		return s
	})
}

func deleteTree(c *api.Client, path string) {
	list, err := c.Logical().List(path)
	if err != nil || list == nil {
		return
	}
	keys, _ := list.Data["keys"].([]any)
	for _, k := range keys {
		name, _ := k.(string)
		if strings.HasSuffix(name, "/") {
			deleteTree(c, path+"/"+strings.TrimSuffix(name, "/"))
			continue
		}
		c.Logical().Delete(path + "/" + name)
	}
}

func newStore(t *testing.T, cfg vault.Config) *vault.Store {
	t.Helper()
	s, err := vault.New(cfg)
	if err != nil {
		t.Fatalf("vault.New: %v", err)
	}
	return s
}

// noRetryClient is a Vault client that fails at once instead of retrying
// 5xx answers and connection errors with backoff.
func noRetryClient(t *testing.T, addr, token string) *api.Client {
	t.Helper()
	conf := api.DefaultConfig()
	conf.Address = addr
	conf.MaxRetries = 0
	c, err := api.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(token)
	return c
}

func TestLayout(t *testing.T) {
	srv := vaulttest.Start(t, vaulttest.Options{})
	s := newStore(t, vault.Config{Address: srv.URL, Token: srv.Token})
	ctx := t.Context()
	value := []byte{0, 1, 2, 0xff, 'x'}
	if _, err := s.Put(ctx, "acme/prod/password", value, warden.StageCurrent, map[string]string{"owner": "billing"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "acme/prod/password", []byte("new"), warden.StageCurrent, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "acme/prod/password", []byte("newer"), warden.StagePending, nil); err != nil {
		t.Fatal(err)
	}
	got := srv.RawData("secret", "warden/acme/prod/password", 1)
	want := map[string]any{"value": base64.StdEncoding.EncodeToString(value), "tags": map[string]any{"owner": "billing"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("version 1 data (-want +got):\n%s", diff)
	}
	wantMeta := map[string]string{"warden_current": "2", "warden_previous": "1", "warden_pending": "3"}
	if diff := cmp.Diff(wantMeta, srv.CustomMetadata("secret", "warden/acme/prod/password")); diff != "" {
		t.Errorf("custom_metadata (-want +got):\n%s", diff)
	}
	if err := s.Promote(ctx, "acme/prod/password"); err != nil {
		t.Fatal(err)
	}
	wantMeta = map[string]string{"warden_current": "3", "warden_previous": "2"}
	if diff := cmp.Diff(wantMeta, srv.CustomMetadata("secret", "warden/acme/prod/password")); diff != "" {
		t.Errorf("custom_metadata after Promote (-want +got):\n%s", diff)
	}
}

func TestMountAndPrefix(t *testing.T) {
	srv := vaulttest.Start(t, vaulttest.Options{Mounts: []string{"kv"}})
	s := newStore(t, vault.Config{Address: srv.URL, Token: srv.Token, Mount: "/kv/", Prefix: "teams/warden"})
	if _, err := s.Put(t.Context(), "k", []byte("v"), warden.StageCurrent, nil); err != nil {
		t.Fatal(err)
	}
	if srv.RawData("kv", "teams/warden/k", 0) == nil {
		t.Errorf("secret not written at kv/data/teams/warden/k")
	}
}

func TestKeepsOtherCustomMetadata(t *testing.T) {
	srv := vaulttest.Start(t, vaulttest.Options{})
	s := newStore(t, vault.Config{Address: srv.URL, Token: srv.Token})
	c := noRetryClient(t, srv.URL, srv.Token)
	ctx := t.Context()
	if _, err := s.Put(ctx, "k", []byte("v1"), warden.StageCurrent, nil); err != nil {
		t.Fatal(err)
	}
	// Set it the way an operator would with `vault kv metadata put`.
	md, err := c.KVv2("secret").GetMetadata(ctx, "warden/k")
	if err != nil {
		t.Fatal(err)
	}
	md.CustomMetadata["team"] = "identity"
	if err := c.KVv2("secret").PutMetadata(ctx, "warden/k", api.KVMetadataPutInput{CustomMetadata: md.CustomMetadata, MaxVersions: md.MaxVersions}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "k", []byte("v2"), warden.StageCurrent, nil); err != nil {
		t.Fatal(err)
	}
	if got := srv.CustomMetadata("secret", "warden/k")["team"]; got != "identity" {
		t.Errorf("custom_metadata team = %q after Put; want it kept", got)
	}
}

// TestCheckAndSetConflict makes another writer add a version between the
// store's metadata read and its data write: the store must report
// ECONFLICT, not overwrite.
func TestCheckAndSetConflict(t *testing.T) {
	inner := vaulttest.New(vaulttest.Options{})
	var once sync.Once
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodPut || r.Method == http.MethodPost) && strings.Contains(r.URL.Path, "/data/warden/raced") {
			once.Do(func() {
				// The competing writer, with the right check-and-set.
				body := `{"data":{"value":"b3RoZXI="},"options":{"cas":1}}`
				req := httptest.NewRequest(http.MethodPost, "/v1/secret/data/warden/raced", strings.NewReader(body))
				req.Header.Set("X-Vault-Token", vaulttest.DefaultToken)
				rec := httptest.NewRecorder()
				inner.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					t.Errorf("competing write: %d %s", rec.Code, rec.Body)
				}
			})
		}
		inner.ServeHTTP(w, r)
	})
	ts := httptest.NewServer(handler)
	defer ts.Close()
	s := newStore(t, vault.Config{Address: ts.URL, Token: vaulttest.DefaultToken})
	ctx := t.Context()

	// Version 1 exists; the store's Put will read current_version 1 and
	// then lose the race to the competing writer above.
	req := httptest.NewRequest(http.MethodPost, "/v1/secret/data/warden/raced", strings.NewReader(`{"data":{"value":"Zmlyc3Q="}}`))
	req.Header.Set("X-Vault-Token", vaulttest.DefaultToken)
	inner.ServeHTTP(httptest.NewRecorder(), req)

	_, err := s.Put(ctx, "raced", []byte("mine"), warden.StageCurrent, nil)
	if warden.ErrorKind(err) != warden.ECONFLICT || !strings.Contains(err.Error(), "check-and-set") {
		t.Fatalf("Put racing another writer: %v; want ECONFLICT (check-and-set)", err)
	}
	if got := inner.RawData("secret", "warden/raced", 0)["value"]; got != "b3RoZXI=" {
		t.Errorf("latest version holds %v; the competing write must survive", got)
	}
	// A retry succeeds.
	if _, err := s.Put(ctx, "raced", []byte("mine"), warden.StageCurrent, nil); err != nil {
		t.Fatalf("retry: %v", err)
	}
}

// TestConcurrentStores has two stores (two Warden processes) put to one
// key at once: every Put either succeeds or fails with ECONFLICT, and the
// successful ones leave a consistent current version.
func TestConcurrentStores(t *testing.T) {
	srv := vaulttest.Start(t, vaulttest.Options{})
	stores := []*vault.Store{
		newStore(t, vault.Config{Address: srv.URL, Token: srv.Token}),
		newStore(t, vault.Config{Address: srv.URL, Token: srv.Token}),
	}
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		ok, confl int
	)
	for i, s := range stores {
		wg.Go(func() {
			for j := range 10 {
				_, err := s.Put(t.Context(), "shared", fmt.Appendf(nil, "%d-%d", i, j), warden.StageCurrent, nil)
				mu.Lock()
				switch warden.ErrorKind(err) {
				case "":
					ok++
				case warden.ECONFLICT:
					confl++
				default:
					t.Errorf("Put: %v", err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("%d puts succeeded, %d conflicted", ok, confl)
	if ok == 0 {
		t.Fatal("no Put succeeded")
	}
	cur, err := stores[0].Get(t.Context(), "shared", warden.StageCurrent)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Stage != warden.StageCurrent {
		t.Errorf("current version has stage %q", cur.Stage)
	}
}

func TestRetentionKeepsStagedVersions(t *testing.T) {
	srv := vaulttest.Start(t, vaulttest.Options{})
	s := newStore(t, vault.Config{Address: srv.URL, Token: srv.Token, MaxVersions: 3})
	ctx := t.Context()
	for i := range 5 {
		if _, err := s.Put(ctx, "k", fmt.Appendf(nil, "c%d", i), warden.StageCurrent, nil); err != nil {
			t.Fatal(err)
		}
	}
	versions, err := s.Versions(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 3 || versions[0].Version != "5" {
		t.Errorf("after 5 puts with MaxVersions 3: %d versions, newest %s", len(versions), versions[0].Version)
	}
	// Failed rotations must not push current and previous out of Vault.
	for range 8 {
		if _, err := s.Put(ctx, "k", []byte("doomed"), warden.StagePending, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Discard(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	for stage, want := range map[warden.Stage]string{warden.StageCurrent: "c4", warden.StagePrevious: "c3"} {
		got, err := s.Get(ctx, "k", stage)
		if err != nil {
			t.Fatalf("Get(%s) after failed rotations: %v", stage, err)
		}
		if string(got.Value) != want {
			t.Errorf("Get(%s) = %q; want %q", stage, got.Value, want)
		}
	}
}

func TestErrors(t *testing.T) {
	srv := vaulttest.Start(t, vaulttest.Options{})
	ctx := t.Context()

	bad := newStore(t, vault.Config{Address: srv.URL, Token: "wrong-token"})
	_, err := bad.Get(ctx, "k", warden.StageCurrent)
	if warden.ErrorKind(err) != warden.EFORBIDDEN || !strings.Contains(err.Error(), "denied") {
		t.Errorf("wrong token: %v; want EFORBIDDEN", err)
	}

	srv.Seal()
	sealed := newStore(t, vault.Config{Client: noRetryClient(t, srv.URL, srv.Token)})
	_, err = sealed.Put(ctx, "k", []byte("v"), warden.StageCurrent, nil)
	if warden.ErrorKind(err) != warden.EUNAVAILABLE || !strings.Contains(err.Error(), "sealed") {
		t.Errorf("sealed Vault: %v; want EUNAVAILABLE", err)
	}
	srv.Unseal()

	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	gone := newStore(t, vault.Config{Client: noRetryClient(t, down.URL, "t")})
	_, err = gone.Versions(ctx, "k")
	if warden.ErrorKind(err) != warden.EUNAVAILABLE || !strings.Contains(err.Error(), "cannot reach Vault") {
		t.Errorf("Vault down: %v; want EUNAVAILABLE", err)
	}

	if _, err := vault.New(vault.Config{Address: srv.URL, Token: "", Client: func() *api.Client {
		c, _ := api.NewClient(&api.Config{Address: srv.URL})
		c.ClearToken()
		return c
	}()}); warden.ErrorKind(err) != warden.EINVALID {
		t.Errorf("no token: %v; want EINVALID", err)
	}
}

// TestForeignData reads a version someone wrote with `vault kv put`
// instead of through Warden.
func TestForeignData(t *testing.T) {
	srv := vaulttest.Start(t, vaulttest.Options{})
	s := newStore(t, vault.Config{Address: srv.URL, Token: srv.Token})
	c := noRetryClient(t, srv.URL, srv.Token)
	if _, err := c.KVv2("secret").Put(t.Context(), "warden/foreign", map[string]any{"password": "hunter2"}); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetVersion(t.Context(), "foreign", "1")
	if warden.ErrorKind(err) != warden.EINTERNAL || !strings.Contains(err.Error(), "not written by Warden") {
		t.Errorf("foreign data: %v", err)
	}
	if strings.Contains(fmt.Sprint(err), "hunter2") {
		t.Errorf("error reveals the value")
	}
}

// TestValuesNeverInErrors checks that nothing the store returns as an
// error carries the value it was given.
func TestValuesNeverInErrors(t *testing.T) {
	srv := vaulttest.Start(t, vaulttest.Options{})
	s := newStore(t, vault.Config{Address: srv.URL, Token: srv.Token})
	value := []byte("s3cr3t-value-xyzzy")
	if _, err := s.Put(t.Context(), "k", value, warden.StageCurrent, map[string]string{"warden-x": "1"}); err == nil || bytes.Contains([]byte(err.Error()), value) {
		t.Errorf("Put with a reserved tag: %v", err)
	}
	srv.Seal()
	sealed := newStore(t, vault.Config{Client: noRetryClient(t, srv.URL, srv.Token)})
	_, err := sealed.Put(t.Context(), "k", value, warden.StageCurrent, nil)
	var we *warden.Error
	if err == nil {
		t.Fatal("Put on a sealed Vault succeeded")
	}
	b, _ := json.Marshal(err)
	if bytes.Contains([]byte(err.Error()), value) || bytes.Contains(b, value) || (asError(err, &we) && we.Err != nil && strings.Contains(we.Err.Error(), string(value))) {
		t.Errorf("error reveals the value: %v", err)
	}
}

func asError(err error, target **warden.Error) bool {
	e, ok := err.(*warden.Error)
	if ok {
		*target = e
	}
	return ok
}
