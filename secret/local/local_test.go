package local_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/secret/local"
	"github.com/wardenhq/warden/secret/secrettest"
)

func TestConformance(t *testing.T) {
	secrettest.Run(t, func(t *testing.T) warden.SecretStore {
		return openStore(t, filepath.Join(t.TempDir(), "secrets.json"), local.GenerateKEK())
	})
}

// TestConformanceReopened runs the suite against a store that is closed
// and reopened after every call, so every read comes from the file.
func TestConformanceReopened(t *testing.T) {
	secrettest.Run(t, func(t *testing.T) warden.SecretStore {
		return &reopening{t: t, path: filepath.Join(t.TempDir(), "secrets.json"), kek: local.GenerateKEK()}
	})
}

func openStore(t *testing.T, path string, kek local.KeyEncryptionKey) *local.Store {
	t.Helper()
	s, err := local.Open(path, kek)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// secretValue is the plaintext the on-disk tests look for.
var secretValue = []byte("hunter2-correct-horse-battery-staple")

func TestFileHasNoPlaintext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	s := openStore(t, path, local.GenerateKEK())
	ctx := t.Context()
	for _, stage := range []warden.Stage{warden.StageCurrent, warden.StagePending} {
		if _, err := s.Put(ctx, "acme/prod/password", secretValue, stage, map[string]string{"owner": "billing"}); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	encodings := map[string][]byte{
		"raw":          secretValue,
		"base64":       []byte(base64.StdEncoding.EncodeToString(secretValue)),
		"base64 raw":   []byte(base64.RawStdEncoding.EncodeToString(secretValue)),
		"hex":          fmt.Appendf(nil, "%x", secretValue),
		"json escaped": must(json.Marshal(string(secretValue))),
		"8-byte chunk": secretValue[8:16],
	}
	for name, needle := range encodings {
		if bytes.Contains(raw, needle) {
			t.Errorf("store file contains the value (%s)", name)
		}
	}
	// Metadata is plaintext by design.
	if !bytes.Contains(raw, []byte("acme/prod/password")) || !bytes.Contains(raw, []byte(`"owner": "billing"`)) {
		t.Errorf("store file lacks the plaintext key name and tags")
	}
}

func TestFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	s := openStore(t, path, local.GenerateKEK())
	checkMode := func(when string) {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: store file mode %04o; want 0600", when, perm)
		}
	}
	checkMode("after Open")
	if _, err := s.Put(t.Context(), "k", []byte("v"), warden.StageCurrent, nil); err != nil {
		t.Fatal(err)
	}
	checkMode("after Put")
	// A loosened mode is restored by the next write (the file is replaced).
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(t.Context(), "k", []byte("v2"), warden.StageCurrent, nil); err != nil {
		t.Fatal(err)
	}
	checkMode("after Put on a chmod 644 file")
	if err := s.RotateKEK(t.Context(), local.GenerateKEK()); err != nil {
		t.Fatal(err)
	}
	checkMode("after RotateKEK")
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp"))
	if len(matches) > 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}
}

// storeFile is the on-disk shape, decoded loosely for tampering.
type storeFile struct {
	Format  string                     `json:"format"`
	Version int                        `json:"version"`
	KEK     string                     `json:"kek"`
	Secrets map[string]json.RawMessage `json:"secrets"`
}

type storeRecord struct {
	Current  int            `json:"current,omitempty"`
	Pending  int            `json:"pending,omitempty"`
	Previous int            `json:"previous,omitempty"`
	Versions []storeVersion `json:"versions"`
}

type storeVersion struct {
	Version int               `json:"version"`
	ID      string            `json:"id"`
	Created string            `json:"created"`
	Tags    map[string]string `json:"tags,omitempty"`
	DEK     []byte            `json:"dek"`
	Value   []byte            `json:"value"`
}

// editFile decodes the store file, lets edit change it, and writes it
// back.
func editFile(t *testing.T, path string, edit func(recs map[string]*storeRecord)) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f storeFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	recs := map[string]*storeRecord{}
	for k, v := range f.Secrets {
		var r storeRecord
		if err := json.Unmarshal(v, &r); err != nil {
			t.Fatal(err)
		}
		recs[k] = &r
	}
	edit(recs)
	for k, r := range recs {
		f.Secrets[k] = must(json.Marshal(r))
	}
	if err := os.WriteFile(path, must(json.Marshal(f)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTampering changes the file under a closed store and checks that
// reading the affected version fails with a clear error, never garbage.
func TestTampering(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(recs map[string]*storeRecord)
		key     string
		version string
		want    string
	}{
		{
			name: "flip a value byte",
			edit: func(recs map[string]*storeRecord) { recs["a"].Versions[0].Value[20] ^= 1 },
			key:  "a", version: "1", want: "value failed to decrypt",
		},
		{
			name: "flip a value tag byte",
			edit: func(recs map[string]*storeRecord) { v := recs["a"].Versions[0].Value; v[len(v)-1] ^= 0x80 },
			key:  "a", version: "1", want: "value failed to decrypt",
		},
		{
			name: "flip a nonce byte",
			edit: func(recs map[string]*storeRecord) { recs["a"].Versions[0].Value[0] ^= 1 },
			key:  "a", version: "1", want: "value failed to decrypt",
		},
		{
			name: "flip a data key byte",
			edit: func(recs map[string]*storeRecord) { recs["a"].Versions[0].DEK[30] ^= 1 },
			key:  "a", version: "1", want: "data key failed to decrypt",
		},
		{
			name: "swap values between keys",
			edit: func(recs map[string]*storeRecord) {
				a, b := &recs["a"].Versions[0], &recs["b"].Versions[0]
				a.Value, b.Value = b.Value, a.Value
			},
			key: "a", version: "1", want: "value failed to decrypt",
		},
		{
			name: "swap data keys and values between keys",
			edit: func(recs map[string]*storeRecord) {
				a, b := &recs["a"].Versions[0], &recs["b"].Versions[0]
				a.Value, b.Value = b.Value, a.Value
				a.DEK, b.DEK = b.DEK, a.DEK
			},
			key: "a", version: "1", want: "data key failed to decrypt",
		},
		{
			name: "swap whole versions of one key",
			edit: func(recs map[string]*storeRecord) {
				v := recs["a"].Versions
				v[0].DEK, v[1].DEK = v[1].DEK, v[0].DEK
				v[0].Value, v[1].Value = v[1].Value, v[0].Value
				v[0].ID, v[1].ID = v[1].ID, v[0].ID
			},
			key: "a", version: "1", want: "data key failed to decrypt",
		},
		{
			name: "move a record to another key name",
			edit: func(recs map[string]*storeRecord) {
				recs["c"] = recs["a"]
			},
			key: "c", version: "1", want: "data key failed to decrypt",
		},
		{
			name: "change the version id",
			edit: func(recs map[string]*storeRecord) { recs["a"].Versions[0].ID = strings.Repeat("ab", 16) },
			key:  "a", version: "1", want: "value failed to decrypt",
		},
		{
			name: "change a tag",
			edit: func(recs map[string]*storeRecord) { recs["a"].Versions[0].Tags = map[string]string{"owner": "mallory"} },
			key:  "a", version: "1", want: "value failed to decrypt",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secrets.json")
			kek := local.GenerateKEK()
			s := openStore(t, path, kek)
			for _, key := range []string{"a", "b"} {
				for i := range 2 {
					if _, err := s.Put(t.Context(), key, fmt.Appendf(nil, "%s-secret-%d", key, i), warden.StageCurrent, map[string]string{"owner": "billing"}); err != nil {
						t.Fatal(err)
					}
				}
			}
			s.Close()
			editFile(t, path, tt.edit)
			s = openStore(t, path, kek)
			got, err := s.GetVersion(t.Context(), tt.key, tt.version)
			if err == nil {
				t.Fatalf("GetVersion after tampering returned a value of %d bytes; want an error", len(got.Value))
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "modified") {
				t.Errorf("error %q; want it to contain %q and explain the file was modified", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret-") {
				t.Errorf("error %q contains a value", err)
			}
			// Untouched records still read.
			if tt.key == "a" {
				if _, err := s.GetVersion(t.Context(), "b", "2"); err != nil && !strings.HasPrefix(tt.name, "swap") {
					t.Errorf("untouched record fails: %v", err)
				}
			}
		})
	}
}

func TestWrongKEK(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	right := local.GenerateKEK()
	s := openStore(t, path, right)
	if _, err := s.Put(t.Context(), "k", secretValue, warden.StageCurrent, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	wrong := local.GenerateKEK()
	_, err := local.Open(path, wrong)
	if warden.ErrorKind(err) != warden.EUNAUTHORIZED {
		t.Fatalf("Open with the wrong KEK: %v (kind %s); want %s", err, warden.ErrorKind(err), warden.EUNAUTHORIZED)
	}
	msg := err.Error()
	if !strings.Contains(msg, "key-encryption key does not match: fingerprint "+wrong.Fingerprint()) || !strings.Contains(msg, right.Fingerprint()) {
		t.Errorf("error %q; want both fingerprints", msg)
	}
	// The right key still works after the failed attempt.
	s = openStore(t, path, right)
	got, err := s.Get(t.Context(), "k", warden.StageCurrent)
	if err != nil || !bytes.Equal(got.Value, secretValue) {
		t.Fatalf("Get with the right KEK: %v", err)
	}
}

func TestRotateKEK(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	oldKEK, newKEK := local.GenerateKEK(), local.GenerateKEK()
	s := openStore(t, path, oldKEK)
	ctx := t.Context()
	want := map[string]map[string][]byte{} // key -> version -> value
	for _, key := range []string{"a", "b/c", "d.e"} {
		want[key] = map[string][]byte{}
		for i, stage := range []warden.Stage{warden.StageCurrent, warden.StageCurrent, warden.StagePending} {
			value := fmt.Appendf(nil, "%s value %d", key, i)
			v, err := s.Put(ctx, key, value, stage, map[string]string{"i": fmt.Sprint(i)})
			if err != nil {
				t.Fatal(err)
			}
			want[key][v.Version] = value
		}
	}
	if err := s.RotateKEK(ctx, newKEK); err != nil {
		t.Fatalf("RotateKEK: %v", err)
	}
	checkAll := func(s *local.Store) {
		t.Helper()
		for key, versions := range want {
			for id, value := range versions {
				got, err := s.GetVersion(ctx, key, id)
				if err != nil {
					t.Fatalf("GetVersion(%s, %s): %v", key, id, err)
				}
				if !bytes.Equal(got.Value, value) {
					t.Errorf("GetVersion(%s, %s) returned the wrong value", key, id)
				}
			}
		}
	}
	checkAll(s) // the open store switched keys
	if _, err := s.Put(ctx, "after", []byte("rotation"), warden.StageCurrent, nil); err != nil {
		t.Fatal(err)
	}
	want["after"] = map[string][]byte{"1": []byte("rotation")}
	s.Close()

	_, err := local.Open(path, oldKEK)
	if warden.ErrorKind(err) != warden.EUNAUTHORIZED || !strings.Contains(err.Error(), "key-encryption key does not match") {
		t.Fatalf("Open with the old KEK after rotation: %v; want a fingerprint mismatch", err)
	}
	checkAll(openStore(t, path, newKEK))
}

// TestRotateKEKAllOrNothing corrupts one data key and checks that the
// rotation fails without changing the file.
func TestRotateKEKAllOrNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	oldKEK, newKEK := local.GenerateKEK(), local.GenerateKEK()
	s := openStore(t, path, oldKEK)
	for _, key := range []string{"a", "b", "c"} {
		if _, err := s.Put(t.Context(), key, []byte(key+"-value"), warden.StageCurrent, nil); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	editFile(t, path, func(recs map[string]*storeRecord) { recs["c"].Versions[0].DEK[40] ^= 1 })
	before, _ := os.ReadFile(path)
	s = openStore(t, path, oldKEK)
	err := s.RotateKEK(t.Context(), newKEK)
	if err == nil || !strings.Contains(err.Error(), "failed to decrypt") {
		t.Fatalf("RotateKEK with a corrupt data key: %v; want a decryption error", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("failed RotateKEK changed the file")
	}
	if got, err := s.Get(t.Context(), "a", warden.StageCurrent); err != nil || string(got.Value) != "a-value" {
		t.Errorf("store unusable under the old KEK after a failed rotation: %v", err)
	}
	s.Close()
	if _, err := local.Open(path, newKEK); err == nil {
		t.Errorf("new KEK opens the store after a failed rotation")
	}
}

func TestTwoStoresShareTheFile(t *testing.T) {
	// Two processes (here two Store values) may use one file: each
	// operation takes the file lock and reloads what the other wrote.
	path := filepath.Join(t.TempDir(), "secrets.json")
	kek := local.GenerateKEK()
	a := openStore(t, path, kek)
	b := openStore(t, path, kek)
	ctx := t.Context()
	if _, err := a.Put(ctx, "k", []byte("from a"), warden.StageCurrent, nil); err != nil {
		t.Fatal(err)
	}
	got, err := b.Get(ctx, "k", warden.StageCurrent)
	if err != nil || string(got.Value) != "from a" {
		t.Fatalf("b sees %v %v", got, err)
	}
	if _, err := b.Put(ctx, "k", []byte("from b"), warden.StagePending, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Promote(ctx, "k"); err != nil {
		t.Fatalf("a promotes b's pending version: %v", err)
	}
	got, err = b.Get(ctx, "k", warden.StageCurrent)
	if err != nil || string(got.Value) != "from b" {
		t.Fatalf("after promote b sees %v %v", got, err)
	}
	if _, err := local.Open(path, local.GenerateKEK()); warden.ErrorKind(err) != warden.EUNAUTHORIZED {
		t.Errorf("a wrong KEK: %v", err)
	}
}

func TestClosed(t *testing.T) {
	s, err := local.Open(filepath.Join(t.TempDir(), "secrets.json"), local.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(t.Context(), "k", []byte("v"), warden.StageCurrent, nil); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Put after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestRetention(t *testing.T) {
	s, err := local.OpenWithOptions(filepath.Join(t.TempDir(), "secrets.json"), local.GenerateKEK(), local.Options{MaxVersions: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	put := func(stage warden.Stage) string {
		t.Helper()
		v, err := s.Put(ctx, "k", []byte("v"), stage, nil)
		if err != nil {
			t.Fatal(err)
		}
		return v.Version
	}
	versionsOf := func() []string {
		t.Helper()
		vs, err := s.Versions(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, v := range vs {
			ids = append(ids, v.Version+string(v.Stage[:min(len(v.Stage), 1)]))
		}
		return ids
	}
	for range 5 {
		put(warden.StageCurrent)
	}
	if got, want := fmt.Sprint(versionsOf()), "[5c 4p 3]"; got != want {
		t.Errorf("after 5 current puts, versions %s; want %s", got, want)
	}
	// Many failed rotations (pending, discard) must never push the
	// current and previous versions out.
	for range 6 {
		put(warden.StagePending)
		if err := s.Discard(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := fmt.Sprint(versionsOf()), "[11 5c 4p]"; got != want {
		t.Errorf("after failed rotations, versions %s; want %s", got, want)
	}
	if got, err := s.Get(ctx, "k", warden.StagePrevious); err != nil || got.Version != "4" {
		t.Errorf("Get(previous) = %v, %v; want version 4", got, err)
	}
}

func TestOpenRejectsBadFiles(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"empty", "", "not a valid store file"},
		{"not json", "hello", "not a valid store file"},
		{"other format", `{"format":"x","version":1,"kek":"00000000000000000000000000000000","secrets":{}}`, "not a store file"},
		{"future version", `{"format":"warden-secrets","version":2,"kek":"00000000000000000000000000000000","secrets":{}}`, "not supported"},
		{"unknown field", `{"format":"warden-secrets","version":1,"kek":"00000000000000000000000000000000","secrets":{},"x":1}`, "unknown field"},
		{"bad key", `{"format":"warden-secrets","version":1,"kek":"00000000000000000000000000000000","secrets":{"../x":{"versions":[]}}}`, "invalid key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secrets.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := local.Open(path, local.GenerateKEK())
			if warden.ErrorKind(err) != warden.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open: %v; want EINVALID containing %q", err, tt.want)
			}
		})
	}
}

// reopening is a warden.SecretStore that opens the file afresh for every
// call, proving that everything the suite checks survives a restart.
type reopening struct {
	t    *testing.T
	path string
	kek  local.KeyEncryptionKey
	mu   sync.Mutex // the file lock admits one open store at a time
}

func (r *reopening) with(fn func(s *local.Store) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, err := local.Open(r.path, r.kek)
	if err != nil {
		r.t.Errorf("reopen: %v", err)
		return err
	}
	defer s.Close()
	return fn(s)
}

func (r *reopening) Put(ctx context.Context, key string, value []byte, stage warden.Stage, tags map[string]string) (v warden.SecretVersion, err error) {
	err = r.with(func(s *local.Store) (e error) { v, e = s.Put(ctx, key, value, stage, tags); return e })
	return
}

func (r *reopening) Get(ctx context.Context, key string, stage warden.Stage) (v *warden.Secret, err error) {
	err = r.with(func(s *local.Store) (e error) { v, e = s.Get(ctx, key, stage); return e })
	return
}

func (r *reopening) GetVersion(ctx context.Context, key, version string) (v *warden.Secret, err error) {
	err = r.with(func(s *local.Store) (e error) { v, e = s.GetVersion(ctx, key, version); return e })
	return
}

func (r *reopening) Versions(ctx context.Context, key string) (v []warden.SecretVersion, err error) {
	err = r.with(func(s *local.Store) (e error) { v, e = s.Versions(ctx, key); return e })
	return
}

func (r *reopening) Promote(ctx context.Context, key string) (err error) {
	err = r.with(func(s *local.Store) (e error) { e = s.Promote(ctx, key); return e })
	return
}

func (r *reopening) Discard(ctx context.Context, key string) (err error) {
	err = r.with(func(s *local.Store) (e error) { e = s.Discard(ctx, key); return e })
	return
}

func (r *reopening) Delete(ctx context.Context, key string) (err error) {
	err = r.with(func(s *local.Store) (e error) { e = s.Delete(ctx, key); return e })
	return
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestOpenRefusesUnsafeFiles: a store file others may read, a named pipe
// (which must not block Open) and a directory are refused.
func TestOpenRefusesUnsafeFiles(t *testing.T) {
	kek := local.GenerateKEK()
	readable := filepath.Join(t.TempDir(), "secrets.json")
	s := openStore(t, readable, kek)
	s.Close()
	if err := os.Chmod(readable, 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "secrets.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{readable, "is accessible by other users (mode 0644); restrict it with: chmod 600"},
		{fifo, "is a named pipe, not a regular file"},
		{t.TempDir(), "is a directory, not a regular file"},
	} {
		_, err := local.Open(tc.path, kek)
		if warden.ErrorKind(err) != warden.EINVALID || !strings.Contains(warden.ErrorMessage(err), tc.want) {
			t.Errorf("Open(%s): %v; want EINVALID containing %q", tc.path, err, tc.want)
		}
	}
}

// TestOpenRemovesStaleTemps: the temporary copies a write killed before
// its rename leaves behind are removed by the next Open; other files stay.
func TestOpenRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secrets.json")
	kek := local.GenerateKEK()
	s := openStore(t, path, kek)
	if _, err := s.Put(t.Context(), "k", []byte("v"), warden.StageCurrent, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".secrets.json.123456.tmp")
	other := filepath.Join(dir, ".other.json.1.tmp")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s = openStore(t, path, kek)
	defer s.Close()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary file survives Open: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another store's file was removed: %v", err)
	}
	if got, err := s.Get(t.Context(), "k", warden.StageCurrent); err != nil || string(got.Value) != "v" {
		t.Errorf("Get after Open: %v %v", got, err)
	}
}
