package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runEnv runs the CLI in-process with the given environment and returns
// its exit code and output.
func runEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	code := m.Run(t.Context(), args)
	return code, out.String(), errb.String()
}

// writeConfig writes a configuration file in a new directory.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warden.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var configEnv = map[string]string{
	"VAULT_TOKEN":       "hvs.token-secret",
	"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/path-secret",
	"SMTP_PASSWORD":     "smtp-secret",
}

func TestConfigCheckOK(t *testing.T) {
	full, err := filepath.Abs(filepath.Join("..", "..", "config", "testdata", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runEnv(t, configEnv, "config", "check", "--config", full)
	want := full + ": ok (2 orgs, 5 users, 3 credentials, 4 dependents, 2 notification channels)\n"
	if code != 0 || out != want || errOut != "" {
		t.Errorf("got %d\n%s%s\nwant 0\n%s", code, out, errOut, want)
	}

	// The default file comes from $WARDEN_CONFIG; --show prints the
	// effective configuration without secrets.
	env := map[string]string{"WARDEN_CONFIG": full}
	for k, v := range configEnv {
		env[k] = v
	}
	code, out, _ = runEnv(t, env, "config", "check", "--show")
	if code != 0 || !strings.HasPrefix(out, want+"\n") || !strings.Contains(out, "token: REDACTED") ||
		!strings.Contains(out, "delivery: manual") {
		t.Errorf("--show: %d\n%s", code, out)
	}
	for _, secret := range configEnv {
		if strings.Contains(out, secret) {
			t.Errorf("--show prints the secret %q", secret)
		}
	}

	// Counts are singular when there is one of a thing.
	path := writeConfig(t, "orgs:\n  - {name: acme, loginUrl: 'https://login.salesforce.com', monitoringCredential: m}\n"+
		"credentials:\n  - {name: m, org: acme, kind: password, username: a@acme.example}\n"+
		"users:\n  - {org: acme, username: a@acme.example, credential: m}\n")
	code, out, _ = runEnv(t, nil, "config", "check", "--config", path)
	if want := path + ": ok (1 org, 1 user, 1 credential, 0 dependents, 0 notification channels)\n"; code != 0 || out != want {
		t.Errorf("got %d %q, want %q", code, out, want)
	}
}

func TestConfigCheckProblems(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // stderr lines, FILE standing for the file's path
	}{
		{"bad key", "server:\n  addr: 127.0.0.1:8080\n  publicURL: https://warden.acme.example\n", []string{
			`FILE:3: unknown key "publicURL" in server (known keys: addr, publicUrl; did you mean "publicUrl"?)`,
			`warden: FILE: 1 problem`,
		}},
		{"bad values", "store:\n  driver: mysql\nmonitor:\n  sweepInterval: soon\norgs:\n  - {name: acme, loginUrl: login.salesforce.com}\n", []string{
			`FILE:2: store.driver: "mysql" is not sqlite or postgres`,
			`FILE:4: monitor.sweepInterval: "soon" is not a duration (use a number with a unit: 30s, 15m, 720h)`,
			`FILE:6: orgs[0].loginUrl: "login.salesforce.com" is not an absolute URL (want https://HOST, such as https://login.salesforce.com or https://acme.my.salesforce.com)`,
			`FILE:6: orgs[0].monitoringCredential: is required (the credential Warden reads the org with)`,
			`warden: FILE: 4 problems`,
		}},
		{"missing env var", "secretStores:\n  - name: vault\n    kind: vault\n    address: https://vault.acme.example\n    token: ${VAULT_TOKEN}\n", []string{
			`FILE:5: secretStores[0].token: environment variable VAULT_TOKEN is not set`,
			`warden: FILE: 1 problem`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.text)
			code, out, errOut := runEnv(t, nil, "config", "check", "--config", path)
			want := strings.ReplaceAll(strings.Join(tt.want, "\n")+"\n", "FILE", path)
			if code != 2 || out != "" || errOut != want {
				t.Errorf("got %d, stdout %q, stderr\n%s\nwant 2, stderr\n%s", code, out, errOut, want)
			}
			// Nothing was written beside the file (no database, no secrets).
			if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
				t.Errorf("check wrote files: %v", entries)
			}
		})
	}
}

func TestConfigCheckUsage(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.yaml")
	if code, _, errOut := runEnv(t, nil, "config", "check", "--config", missing); code != 3 ||
		errOut != "warden: "+missing+" not found (give --config FILE or set WARDEN_CONFIG)\n" {
		t.Errorf("missing file: %d %q", code, errOut)
	}
	if code, _, errOut := runEnv(t, nil, "config"); code != 2 || !strings.Contains(errOut, "config needs a subcommand") {
		t.Errorf("no subcommand: %d %q", code, errOut)
	}
	if code, _, errOut := runEnv(t, nil, "config", "lint"); code != 2 || !strings.Contains(errOut, `unknown config subcommand "lint"`) {
		t.Errorf("unknown subcommand: %d %q", code, errOut)
	}
	if code, out, _ := runEnv(t, nil, "config", "check", "--help"); code != 0 || !strings.HasPrefix(out, "Usage: warden config check") ||
		!strings.Contains(out, "-config") {
		t.Errorf("check --help: %d %q", code, out)
	}
	if code, _, errOut := runEnv(t, nil, "config", "check", "extra"); code != 2 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("extra argument: %d %q", code, errOut)
	}
}
