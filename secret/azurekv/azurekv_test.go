package azurekv_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/secret/azurekv"
	"github.com/wardenhq/warden/secret/azurekv/azurekvtest"
	"github.com/wardenhq/warden/secret/secrettest"
)

func TestConformance(t *testing.T) {
	secrettest.Run(t, func(t *testing.T) warden.SecretStore {
		s, _ := newStore(t, azurekvtest.Options{}, "warden-")
		return s
	})
}

// TestConformanceSlowDelete runs the suite against a vault whose
// deletions take a few polls to complete, as Key Vault's do.
func TestConformanceSlowDelete(t *testing.T) {
	secrettest.Run(t, func(t *testing.T) warden.SecretStore {
		s, _ := newStore(t, azurekvtest.Options{DeleteLatency: 2}, "")
		return s
	})
}

func newStore(t *testing.T, opts azurekvtest.Options, prefix string) (*azurekv.Store, *azurekvtest.Server) {
	t.Helper()
	srv := azurekvtest.New(opts)
	c, err := srv.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	return azurekv.New(c, prefix), srv
}

func TestNames(t *testing.T) {
	s, _ := newStore(t, azurekvtest.Options{}, "warden-")
	tests := []struct{ key, name string }{
		{"acme/prod/password", "warden-acme-2fprod-2fpassword"},
		{"Billing_API.key", "warden--42illing-5f-41-50-49-2ekey"},
		{"a-b", "warden-a-2db"},
		{"plain123", "warden-plain123"},
	}
	for _, tt := range tests {
		name, err := s.Name(tt.key)
		if err != nil || name != tt.name {
			t.Errorf("Name(%q) = %q, %v; want %q", tt.key, name, err, tt.name)
		}
		key, ok := azurekv.Unescape(strings.TrimPrefix(name, "warden-"))
		if !ok || key != tt.key {
			t.Errorf("Unescape(%q) = %q, %v; want %q", name, key, ok, tt.key)
		}
	}
	for _, bad := range []string{"-", "-2", "-zz", "-2F", "A", "-00", "x-2f"} {
		if key, ok := azurekv.Unescape(bad); ok {
			t.Errorf("Unescape(%q) = %q; want failure", bad, key)
		}
	}
	if _, err := s.Name(strings.Repeat("/a", 40)[1:]); warden.ErrorKind(err) != warden.EINVALID || !strings.Contains(err.Error(), "limit is 127") {
		t.Errorf("long key: %v", err)
	}
	bad := azurekv.New(nil, "bad_prefix")
	if _, err := bad.Get(t.Context(), "k", warden.StageCurrent); warden.ErrorKind(err) != warden.EINVALID {
		t.Errorf("invalid prefix: %v", err)
	}
}

// FuzzEscape checks that the key-to-name mapping is injective and
// reversible and always yields a valid Key Vault name.
func FuzzEscape(f *testing.F) {
	for _, k := range []string{"a", "a/b", "A.b_c-d", "x-2fy"} {
		f.Add(k)
	}
	s := azurekv.New(nil, "")
	f.Fuzz(func(t *testing.T, key string) {
		name, err := s.Name(key)
		if err != nil {
			return
		}
		for _, c := range name {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				t.Fatalf("Name(%q) = %q has %q", key, name, c)
			}
		}
		back, ok := azurekv.Unescape(name)
		if !ok || back != key {
			t.Fatalf("Unescape(Name(%q)) = %q, %v", key, back, ok)
		}
	})
}

func TestTagsAndEncoding(t *testing.T) {
	s, srv := newStore(t, azurekvtest.Options{}, "warden-")
	ctx := t.Context()
	value := []byte{0, 0xff, 'a'}
	v1, err := s.Put(ctx, "k", value, warden.StageCurrent, map[string]string{"owner": "billing"})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := s.Put(ctx, "k", []byte("two"), warden.StagePending, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(v1.Version) != 32 || strings.Trim(v1.Version, "0123456789abcdef") != "" {
		t.Errorf("version id %q is not 32 hex digits", v1.Version)
	}
	raw, _ := srv.RawValue("warden-k", v1.Version)
	if raw != base64.StdEncoding.EncodeToString(value) {
		t.Errorf("stored value %q; want base64", raw)
	}
	if diff := cmp.Diff(map[string]string{"owner": "billing", "warden-stage": "current", "warden-seq": "1"}, srv.Tags("warden-k", v1.Version)); diff != "" {
		t.Errorf("version 1 tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"warden-stage": "pending", "warden-seq": "2"}, srv.Tags("warden-k", v2.Version)); diff != "" {
		t.Errorf("version 2 tags (-want +got):\n%s", diff)
	}
	if err := s.Promote(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if got := srv.Tags("warden-k", v1.Version)["warden-stage"]; got != "previous" {
		t.Errorf("after Promote version 1 is %q", got)
	}
	if got := srv.Tags("warden-k", v2.Version)["warden-stage"]; got != "current" {
		t.Errorf("after Promote version 2 is %q", got)
	}
}

// TestForeignSecret reads a secret created outside Warden (the portal, az
// CLI): untagged, plain text. Its newest version counts as current.
func TestForeignSecret(t *testing.T) {
	s, srv := newStore(t, azurekvtest.Options{}, "")
	c, _ := srv.NewClient()
	ctx := t.Context()
	for _, v := range []string{"old-password", "new-password"} {
		if _, err := c.SetSecret(ctx, "legacy", azsecrets.SetSecretParameters{Value: to.Ptr(v)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Get(ctx, "legacy", warden.StageCurrent)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Value) != "new-password" {
		t.Errorf("current of a foreign secret = %q; want the newest version", got.Value)
	}
	// Rotating it through Warden works from there.
	if _, err := s.Put(ctx, "legacy", []byte("rotated"), warden.StagePending, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Promote(ctx, "legacy"); err != nil {
		t.Fatal(err)
	}
	for stage, want := range map[warden.Stage]string{warden.StageCurrent: "rotated", warden.StagePrevious: "new-password"} {
		got, err := s.Get(ctx, "legacy", stage)
		if err != nil || string(got.Value) != want {
			t.Errorf("Get(%s) = %v, %v; want %q", stage, got, err, want)
		}
	}
}

// TestInterruptedPromote replays a Promote that stopped after each of its
// tag updates: every intermediate state must read as the completed one.
func TestInterruptedPromote(t *testing.T) {
	for stop := 1; stop <= 3; stop++ {
		t.Run(fmt.Sprintf("after %d updates", stop), func(t *testing.T) {
			s, srv := newStore(t, azurekvtest.Options{}, "")
			ctx := t.Context()
			var ids []string
			for i, stage := range []warden.Stage{warden.StageCurrent, warden.StageCurrent, warden.StagePending} {
				v, err := s.Put(ctx, "k", fmt.Appendf(nil, "v%d", i), stage, nil)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, v.Version)
			}
			n := 0
			srv.SetFault(func(op, name string) (int, string) {
				if op == "UpdateSecretProperties" {
					if n++; n > stop {
						return 503, "ServiceUnavailable"
					}
				}
				return 0, ""
			})
			err := s.Promote(ctx, "k")
			srv.SetFault(nil)
			if stop < 3 && warden.ErrorKind(err) != warden.EUNAVAILABLE {
				t.Fatalf("interrupted Promote: %v; want EUNAVAILABLE", err)
			}
			want := map[warden.Stage]string{warden.StageCurrent: ids[2], warden.StagePrevious: ids[1]}
			for stage, id := range want {
				got, err := s.Get(ctx, "k", stage)
				if err != nil || got.Version != id {
					t.Errorf("Get(%s) = %v, %v; want version %s", stage, got, err, id)
				}
			}
			if _, err := s.Get(ctx, "k", warden.StagePending); warden.ErrorKind(err) != warden.ENOTFOUND {
				t.Errorf("Get(pending): %v; want ENOTFOUND", err)
			}
			// The next write cleans up stale tags.
			if _, err := s.Put(ctx, "k", []byte("v3"), warden.StageCurrent, nil); err != nil {
				t.Fatal(err)
			}
			stages := map[string]int{}
			for _, id := range ids {
				stages[srv.Tags("k", id)["warden-stage"]]++
			}
			if diff := cmp.Diff(map[string]int{"": 2, "previous": 1}, stages); diff != "" {
				t.Errorf("stage tags of the old versions after the next Put (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSoftDeleteWithPurgeProtection(t *testing.T) {
	s, srv := newStore(t, azurekvtest.Options{PurgeProtection: true}, "")
	ctx := t.Context()
	if _, err := s.Put(ctx, "k", []byte("v"), warden.StageCurrent, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if !srv.IsDeleted("k") {
		t.Errorf("secret not soft-deleted")
	}
	if _, err := s.Get(ctx, "k", warden.StageCurrent); warden.ErrorKind(err) != warden.ENOTFOUND {
		t.Errorf("Get after Delete: %v", err)
	}
	_, err := s.Put(ctx, "k", []byte("again"), warden.StageCurrent, nil)
	if warden.ErrorKind(err) != warden.ECONFLICT || !strings.Contains(err.Error(), "deleted but recoverable") {
		t.Errorf("Put on a soft-deleted name: %v; want ECONFLICT", err)
	}
}

func TestServiceErrors(t *testing.T) {
	tests := []struct {
		status int
		code   string
		kind   string
	}{
		{503, "ServiceUnavailable", warden.EUNAVAILABLE},
		{429, "Throttled", warden.EUNAVAILABLE},
		{401, "Unauthorized", warden.EUNAUTHORIZED},
		{403, "Forbidden", warden.EFORBIDDEN},
		{400, "BadParameter", warden.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			s, srv := newStore(t, azurekvtest.Options{}, "")
			if _, err := s.Put(t.Context(), "k", []byte("v"), warden.StageCurrent, nil); err != nil {
				t.Fatal(err)
			}
			srv.SetFault(func(op, name string) (int, string) { return tt.status, tt.code })
			_, err := s.Get(t.Context(), "k", warden.StageCurrent)
			if warden.ErrorKind(err) != tt.kind {
				t.Errorf("Get with %d %s: %v; want %s", tt.status, tt.code, err, tt.kind)
			}
		})
	}
}

func TestDisabledVersion(t *testing.T) {
	s, srv := newStore(t, azurekvtest.Options{}, "")
	ctx := t.Context()
	v, err := s.Put(ctx, "k", []byte("v"), warden.StageCurrent, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := srv.NewClient()
	if _, err := c.UpdateSecretProperties(ctx, "k", v.Version, azsecrets.UpdateSecretPropertiesParameters{SecretAttributes: &azsecrets.SecretAttributes{Enabled: to.Ptr(false)}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "k", warden.StageCurrent); warden.ErrorKind(err) != warden.EFORBIDDEN || !strings.Contains(err.Error(), "disabled") {
		t.Errorf("Get of a disabled current version: %v; want EFORBIDDEN mentioning disabled", err)
	}
}

func TestNewFromURL(t *testing.T) {
	if _, err := azurekv.NewFromURL("https://x.vault.azure.net", nil, "bad/prefix", nil); warden.ErrorKind(err) != warden.EINVALID {
		t.Errorf("bad prefix: %v", err)
	}
	s, err := azurekv.NewFromURL("https://x.vault.azure.net", nil, "warden-", nil)
	if err != nil || s == nil {
		t.Errorf("NewFromURL: %v", err)
	}
}

// TestInterruptedPut replays a Put to current whose tag updates all
// failed: the new version is current, the old current previous, and the
// superseded pending version no longer pending.
func TestInterruptedPut(t *testing.T) {
	s, srv := newStore(t, azurekvtest.Options{}, "")
	ctx := t.Context()
	var ids []string
	for i, stage := range []warden.Stage{warden.StageCurrent, warden.StageCurrent, warden.StagePending} {
		v, err := s.Put(ctx, "k", fmt.Appendf(nil, "v%d", i), stage, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.Version)
	}
	srv.SetFault(func(op, name string) (int, string) {
		if op == "UpdateSecretProperties" {
			return 503, "ServiceUnavailable"
		}
		return 0, ""
	})
	if _, err := s.Put(ctx, "k", []byte("v3"), warden.StageCurrent, nil); warden.ErrorKind(err) != warden.EUNAVAILABLE {
		t.Fatalf("interrupted Put: %v; want EUNAVAILABLE", err)
	}
	srv.SetFault(nil)
	if got := srv.Tags("k", ids[2])["warden-stage"]; got != "pending" {
		t.Fatalf("bad test: the old pending version is tagged %q", got)
	}
	versions, err := s.Versions(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	var stages []warden.Stage
	for _, v := range versions {
		stages = append(stages, v.Stage)
	}
	if diff := cmp.Diff([]warden.Stage{warden.StageCurrent, "", warden.StagePrevious, ""}, stages); diff != "" {
		t.Errorf("stages newest first (-want +got):\n%s", diff)
	}
	if _, err := s.Get(ctx, "k", warden.StagePending); warden.ErrorKind(err) != warden.ENOTFOUND {
		t.Errorf("Get(pending): %v; want ENOTFOUND", err)
	}
}

// TestManyVersions crosses Key Vault's list page size.
func TestManyVersions(t *testing.T) {
	s, _ := newStore(t, azurekvtest.Options{}, "")
	ctx := t.Context()
	var last string
	for i := range 60 {
		v, err := s.Put(ctx, "k", fmt.Appendf(nil, "v%d", i), warden.StageCurrent, nil)
		if err != nil {
			t.Fatal(err)
		}
		last = v.Version
	}
	versions, err := s.Versions(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 60 || versions[0].Version != last {
		t.Errorf("Versions: %d versions, newest %s; want 60, newest %s", len(versions), versions[0].Version, last)
	}
	got, err := s.Get(ctx, "k", warden.StagePrevious)
	if err != nil || string(got.Value) != "v58" {
		t.Errorf("Get(previous) = %v, %v; want v58", got, err)
	}
}

func Example() {
	srv := azurekvtest.New(azurekvtest.Options{})
	client, err := srv.NewClient() // in production: azsecrets.NewClient(vaultURL, cred, nil)
	if err != nil {
		panic(err)
	}
	s := azurekv.New(client, "warden-")
	ctx := context.Background()

	s.Put(ctx, "acme/prod/password", []byte("old"), warden.StageCurrent, nil)
	s.Put(ctx, "acme/prod/password", []byte("new"), warden.StagePending, nil)
	s.Promote(ctx, "acme/prod/password")

	cur, _ := s.Get(ctx, "acme/prod/password", warden.StageCurrent)
	prev, _ := s.Get(ctx, "acme/prod/password", warden.StagePrevious)
	fmt.Println(string(cur.Value), string(prev.Value), srv.Names())
	// Output: new old [warden-acme-2fprod-2fpassword]
}
