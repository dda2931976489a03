package delivery

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

func fileDependent(path, format, tmpl string) *warden.Dependent {
	return &warden.Dependent{Name: "billing", Org: "acme", Username: "billing@acme.demo", Owner: "finance",
		Delivery: warden.DeliveryFile, Target: warden.DeliveryTarget{File: &warden.FileTarget{Path: path, Format: format, Template: tmpl}}}
}

func TestFileDeliverRestore(t *testing.T) {
	templates := map[string]string{
		FormatEnv:        "# billing\nSF_USERNAME={{username}}\nSF_PASSWORD={{ password }}\nSF_VERSION={{version}}\n",
		FormatJSON:       `{"salesforce": {"username": {{username}}, "password": {{password}}}, "version": {{version}}}`,
		FormatYAML:       "salesforce:\n  username: {{username}}\n  password: {{password}}\nversion: {{version}}\n",
		FormatProperties: "# billing\nsf.username={{username}}\nsf.password = {{password}}\nsf.version={{version}}\n",
	}
	for format, tmpl := range templates {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "app."+format)
			if err := os.WriteFile(path, []byte("old contents\n"), 0o640); err != nil {
				t.Fatal(err)
			}
			logs := &logBuffer{}
			d := New(Config{Logger: logs.logger(), Now: fixedNow})
			dep, c := fileDependent(path, format, tmpl), passwordCred()
			oldM, newM := newMaterial("old"), newMaterial("new")

			r, err := d.Deliver(bg, dep, c, newM, "7")
			if err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if r.Detail != path || r.Pending || r.Version != "7" || r.Delivery != warden.DeliveryFile {
				t.Errorf("receipt = %+v", r)
			}
			got := readFile(t, path)
			values, err := parseValues(format, got)
			if err != nil {
				t.Fatalf("delivered file does not parse: %v", err)
			}
			for _, want := range []string{newM.Password, c.Username, "7"} {
				if !slices.Contains(values, want) {
					t.Errorf("delivered file lacks value %q; values %q", want, values)
				}
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
				t.Errorf("mode = %v, want the old file's 0640", fi.Mode().Perm())
			}
			if b := readFile(t, path+BackupSuffix); b != "old contents\n" {
				t.Errorf("backup = %q", b)
			}

			// Idempotent: a second delivery changes nothing, backup included.
			if _, err := d.Deliver(bg, dep, c, newM, "7"); err != nil {
				t.Fatalf("second Deliver: %v", err)
			}
			if again := readFile(t, path); again != got {
				t.Errorf("second delivery changed the file")
			}
			if b := readFile(t, path+BackupSuffix); b != "old contents\n" {
				t.Errorf("second delivery changed the backup to %q", b)
			}

			// Restore puts the backup back, twice the same.
			for range 2 {
				if err := d.Restore(bg, dep, c, oldM, "6"); err != nil {
					t.Fatalf("Restore: %v", err)
				}
				if b := readFile(t, path); b != "old contents\n" {
					t.Errorf("restored file = %q", b)
				}
			}
			assertNoTemps(t, dir)
			noSecrets(t, "logs", logs.String(), newM, oldM)
			noSecrets(t, "receipt", r.Detail, newM, oldM)
		})
	}
}

func TestFileNewFileAndKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "conf", "app.env")
	if err := os.Mkdir(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	dep := fileDependent(path, FormatEnv, "SF_KEY_FILE={{privateKeyPath}}\nSF_CLIENT_ID={{clientId}}\n")
	dep.Target.File.KeyPath = filepath.Join(dir, "conf", "server.key")
	c := &warden.Credential{Name: "jwt", Org: "acme", Kind: warden.CredentialJWT, Username: "u@acme.demo", ClientID: "3MVG9-client"}
	m := warden.Material{PrivateKey: "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"}
	d := New(Config{})
	if _, err := d.Deliver(bg, dep, c, m, "1"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, dep.Target.File.KeyPath); got != m.PrivateKey {
		t.Errorf("key file = %q", got)
	}
	for _, p := range []string{path, dep.Target.File.KeyPath} {
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600 for a new file", p, fi.Mode().Perm())
		}
		if _, err := os.Stat(p + BackupSuffix); !os.IsNotExist(err) {
			t.Errorf("%s: a backup of a file that did not exist: %v", p, err)
		}
	}
	want := "SF_KEY_FILE='" + dep.Target.File.KeyPath + "'\nSF_CLIENT_ID='3MVG9-client'\n"
	if got := readFile(t, path); got != want {
		t.Errorf("file = %q, want %q", got, want)
	}
	// A restore without a backup renders the previous material.
	prev := warden.Material{PrivateKey: "-----BEGIN PRIVATE KEY-----\nPREVIOUSKEYPREVIOUSKEY\n-----END PRIVATE KEY-----\n"}
	if err := d.Restore(bg, dep, c, prev, "0"); err != nil {
		t.Fatal(err)
	}
	// The key file had no backup (the delivery created it), so the restore
	// wrote the previous key.
	if got := readFile(t, dep.Target.File.KeyPath); got != prev.PrivateKey {
		t.Errorf("restored key file = %q, want the previous key", got)
	}
	assertNoTemps(t, filepath.Dir(path))
}

func TestFileStaleTempRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.env")
	stale := filepath.Join(dir, ".app.env"+tempInfix+"deadbeef")
	if err := os.WriteFile(stale, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{}).Deliver(bg, fileDependent(path, FormatEnv, "P={{password}}\n"), passwordCred(), newMaterial("a"), "1"); err != nil {
		t.Fatal(err)
	}
	assertNoTemps(t, dir)
}

func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	m := newMaterial("n")
	tests := []struct {
		name string
		dep  *warden.Dependent
		want string
	}{
		{"relative path", fileDependent("app.env", FormatEnv, "P={{password}}"), "absolute"},
		{"missing dir", fileDependent(filepath.Join(dir, "nope", "app.env"), FormatEnv, "P={{password}}"), "writing it"},
		{"quoted placeholder", fileDependent(filepath.Join(dir, "a.json"), FormatJSON, `{"p": "{{password}}"}`), "not valid json"},
		{"placeholder as key", fileDependent(filepath.Join(dir, "a.yaml"), FormatYAML, "{{password}}: x\n"), "does not stand where"},
		{"field the credential lacks", fileDependent(filepath.Join(dir, "a.env"), FormatEnv, "K={{clientSecret}}"), "clientSecret"},
		{"unknown field", fileDependent(filepath.Join(dir, "a.env"), FormatEnv, "K={{pasword}}"), "not a field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Config{}).Deliver(bg, tt.dep, passwordCred(), m, "1")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			noSecrets(t, "error", err.Error(), m)
		})
	}
	assertNoTemps(t, dir)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), tempInfix) {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}
