package vaulttest_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/vault/api"

	"github.com/wardenhq/warden/secret/vault/vaulttest"
)

// call sends a raw request and returns the status and decoded body.
func call(t *testing.T, srv *vaulttest.TestServer, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: body %q is not JSON", method, path, raw)
		}
	}
	return resp.StatusCode, out
}

func errorsOf(body map[string]any) []any {
	errs, _ := body["errors"].([]any)
	return errs
}

// TestWireShapes checks the JSON shapes and status codes of Vault's KV v2
// API as documented at developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2.
func TestWireShapes(t *testing.T) {
	now := time.Date(2026, 3, 22, 2, 24, 6, 945319214, time.UTC)
	srv := vaulttest.Start(t, vaulttest.Options{Now: func() time.Time { return now }})
	tok := srv.Token

	// Auth.
	for _, token := range []string{"", "nope"} {
		code, body := call(t, srv, "GET", "/v1/secret/data/x", token, "")
		if code != 403 || !cmp.Equal(errorsOf(body), []any{"permission denied"}) {
			t.Errorf("token %q: %d %v; want 403 permission denied", token, code, body)
		}
	}

	// Missing key.
	code, body := call(t, srv, "GET", "/v1/secret/data/x", tok, "")
	if code != 404 || body["errors"] == nil || len(errorsOf(body)) != 0 {
		t.Errorf("missing key: %d %v; want 404 {\"errors\":[]}", code, body)
	}
	code, _ = call(t, srv, "GET", "/v1/secret/metadata/x", tok, "")
	if code != 404 {
		t.Errorf("missing metadata: %d; want 404", code)
	}

	// Write: the response data is the version metadata.
	code, body = call(t, srv, "POST", "/v1/secret/data/x", tok, `{"data":{"foo":"bar","n":1},"options":{"cas":0}}`)
	wantWrite := map[string]any{"created_time": "2026-03-22T02:24:06.945319214Z", "custom_metadata": nil, "deletion_time": "", "destroyed": false, "version": float64(1)}
	if code != 200 || !cmp.Equal(body["data"], any(wantWrite)) {
		t.Errorf("write: %d %v", code, body)
	}
	for _, field := range []string{"request_id", "lease_id", "renewable", "lease_duration", "wrap_info", "warnings", "auth"} {
		if _, ok := body[field]; !ok {
			t.Errorf("write response lacks %q", field)
		}
	}

	// Check-and-set.
	code, body = call(t, srv, "PUT", "/v1/secret/data/x", tok, `{"data":{"foo":"baz"},"options":{"cas":0}}`)
	if code != 400 || !cmp.Equal(errorsOf(body), []any{"check-and-set parameter did not match the current version"}) {
		t.Errorf("cas mismatch: %d %v", code, body)
	}
	code, _ = call(t, srv, "PUT", "/v1/secret/data/x", tok, `{"data":{"foo":"baz"},"options":{"cas":1}}`)
	if code != 200 {
		t.Errorf("cas match: %d", code)
	}
	code, body = call(t, srv, "PUT", "/v1/secret/data/x", tok, `{"options":{"cas":2}}`)
	if code != 400 || !cmp.Equal(errorsOf(body), []any{"no data provided"}) {
		t.Errorf("no data: %d %v", code, body)
	}

	// Read latest and by version.
	code, body = call(t, srv, "GET", "/v1/secret/data/x", tok, "")
	data, _ := body["data"].(map[string]any)
	meta, _ := data["metadata"].(map[string]any)
	if code != 200 || !cmp.Equal(data["data"], any(map[string]any{"foo": "baz"})) || meta["version"] != float64(2) {
		t.Errorf("read latest: %d %v", code, body)
	}
	code, body = call(t, srv, "GET", "/v1/secret/data/x?version=1", tok, "")
	data, _ = body["data"].(map[string]any)
	if code != 200 || !cmp.Equal(data["data"], any(map[string]any{"foo": "bar", "n": float64(1)})) {
		t.Errorf("read version 1: %d %v", code, body)
	}
	code, _ = call(t, srv, "GET", "/v1/secret/data/x?version=9", tok, "")
	if code != 404 {
		t.Errorf("read version 9: %d; want 404", code)
	}

	// Metadata with custom_metadata and the versions map.
	code, _ = call(t, srv, "POST", "/v1/secret/metadata/x", tok, `{"max_versions":5,"custom_metadata":{"warden_current":"2"}}`)
	if code != 204 {
		t.Errorf("metadata write: %d; want 204", code)
	}
	code, body = call(t, srv, "GET", "/v1/secret/metadata/x", tok, "")
	md, _ := body["data"].(map[string]any)
	versions, _ := md["versions"].(map[string]any)
	if code != 200 || md["current_version"] != float64(2) || md["max_versions"] != float64(5) || md["oldest_version"] != float64(1) ||
		!cmp.Equal(md["custom_metadata"], any(map[string]any{"warden_current": "2"})) || len(versions) != 2 || md["delete_version_after"] != "0s" {
		t.Errorf("metadata read: %d %v", code, body)
	}
	if v1, _ := versions["1"].(map[string]any); v1["deletion_time"] != "" || v1["destroyed"] != false || v1["created_time"] == "" {
		t.Errorf("versions[1] = %v", versions["1"])
	}
	// Reads carry the custom metadata too.
	_, body = call(t, srv, "GET", "/v1/secret/data/x", tok, "")
	data, _ = body["data"].(map[string]any)
	meta, _ = data["metadata"].(map[string]any)
	if !cmp.Equal(meta["custom_metadata"], any(map[string]any{"warden_current": "2"})) {
		t.Errorf("read custom_metadata = %v", meta["custom_metadata"])
	}
	code, body = call(t, srv, "POST", "/v1/secret/metadata/x", tok, `{"custom_metadata":{"k":"`+strings.Repeat("v", 513)+`"}}`)
	if code != 400 || len(errorsOf(body)) != 1 {
		t.Errorf("oversized custom_metadata: %d %v", code, body)
	}

	// Soft delete of the latest version: 404 with the metadata.
	code, _ = call(t, srv, "DELETE", "/v1/secret/data/x", tok, "")
	if code != 204 {
		t.Errorf("delete latest: %d", code)
	}
	code, body = call(t, srv, "GET", "/v1/secret/data/x", tok, "")
	data, _ = body["data"].(map[string]any)
	meta, _ = data["metadata"].(map[string]any)
	if code != 404 || data["data"] != nil || meta["deletion_time"] == "" {
		t.Errorf("read deleted: %d %v", code, body)
	}

	// List.
	call(t, srv, "POST", "/v1/secret/data/dir/a", tok, `{"data":{"v":"1"}}`)
	call(t, srv, "POST", "/v1/secret/data/dir/sub/b", tok, `{"data":{"v":"1"}}`)
	code, body = call(t, srv, "LIST", "/v1/secret/metadata/dir", tok, "")
	data, _ = body["data"].(map[string]any)
	if code != 200 || !cmp.Equal(data["keys"], any([]any{"a", "sub/"})) {
		t.Errorf("list: %d %v", code, body)
	}

	// Delete metadata removes everything; deleting again still succeeds.
	for range 2 {
		if code, _ := call(t, srv, "DELETE", "/v1/secret/metadata/x", tok, ""); code != 204 {
			t.Errorf("delete metadata: %d", code)
		}
	}
	if code, _ := call(t, srv, "GET", "/v1/secret/metadata/x", tok, ""); code != 404 {
		t.Errorf("metadata after delete: %d", code)
	}

	// Unknown mount and sealed server.
	if code, _ := call(t, srv, "GET", "/v1/nomount/data/x", tok, ""); code != 404 {
		t.Errorf("unknown mount: %d", code)
	}
	srv.Seal()
	code, body = call(t, srv, "GET", "/v1/secret/data/x", tok, "")
	if code != 503 || !cmp.Equal(errorsOf(body), []any{"Vault is sealed"}) {
		t.Errorf("sealed: %d %v", code, body)
	}
}

func TestMaxVersionsPrunes(t *testing.T) {
	srv := vaulttest.Start(t, vaulttest.Options{})
	tok := srv.Token
	call(t, srv, "POST", "/v1/secret/metadata/p", tok, `{"max_versions":2}`)
	for range 4 {
		call(t, srv, "POST", "/v1/secret/data/p", tok, `{"data":{"v":"x"}}`)
	}
	_, body := call(t, srv, "GET", "/v1/secret/metadata/p", tok, "")
	md, _ := body["data"].(map[string]any)
	versions, _ := md["versions"].(map[string]any)
	if md["oldest_version"] != float64(3) || len(versions) != 2 {
		t.Errorf("after 4 writes with max_versions 2: %v", md)
	}
	if code, _ := call(t, srv, "GET", "/v1/secret/data/p?version=1", tok, ""); code != 404 {
		t.Errorf("pruned version readable: %d", code)
	}
}

// TestOfficialClient drives the server with github.com/hashicorp/vault/api,
// the client the vault package uses.
func TestOfficialClient(t *testing.T) {
	srv := vaulttest.Start(t, vaulttest.Options{})
	c, err := api.NewClient(&api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(srv.Token)
	kv := c.KVv2("secret")
	ctx := t.Context()
	if _, err := kv.Put(ctx, "app/db", map[string]any{"password": "p1"}, api.WithCheckAndSet(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "app/db", map[string]any{"password": "p2"}, api.WithCheckAndSet(0)); err == nil {
		t.Fatal("stale check-and-set accepted")
	} else {
		var re *api.ResponseError
		if !errors.As(err, &re) || re.StatusCode != 400 || !strings.Contains(err.Error(), "check-and-set parameter did not match the current version") {
			t.Errorf("stale cas error: %v", err)
		}
	}
	if err := kv.PutMetadata(ctx, "app/db", api.KVMetadataPutInput{MaxVersions: 4, CustomMetadata: map[string]any{"owner": "dba"}}); err != nil {
		t.Fatal(err)
	}
	got, err := kv.Get(ctx, "app/db")
	if err != nil {
		t.Fatal(err)
	}
	if got.Data["password"] != "p1" || got.VersionMetadata.Version != 1 || got.CustomMetadata["owner"] != "dba" || got.VersionMetadata.CreatedTime.IsZero() {
		t.Errorf("Get = %+v %+v %v", got.Data, got.VersionMetadata, got.CustomMetadata)
	}
	md, err := kv.GetMetadata(ctx, "app/db")
	if err != nil {
		t.Fatal(err)
	}
	if md.CurrentVersion != 1 || md.MaxVersions != 4 || len(md.Versions) != 1 {
		t.Errorf("GetMetadata = %+v", md)
	}
	if _, err := kv.GetVersion(ctx, "app/db", 7); err == nil || !errors.Is(err, api.ErrSecretNotFound) {
		t.Errorf("GetVersion(7): %v; want ErrSecretNotFound", err)
	}
	if err := kv.DeleteMetadata(ctx, "app/db"); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Get(ctx, "app/db"); !errors.Is(err, api.ErrSecretNotFound) {
		t.Errorf("Get after DeleteMetadata: %v", err)
	}
}
