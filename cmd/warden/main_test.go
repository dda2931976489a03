package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// run runs the CLI in-process and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code := m.Run(t.Context(), args)
	return code, out.String(), errb.String()
}

// startServe runs a long-running command until the test ends and returns
// the URL it reported ready.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan string, 1)
	var out bytes.Buffer
	m := &Main{Stdout: &out, Stderr: io.Discard, Getenv: func(string) string { return "" },
		Ready: func(name, url string) { ready <- url }}
	done := make(chan int)
	go func() { done <- m.Run(ctx, args) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("%v exited %d", args, code)
		}
	})
	select {
	case u := <-ready:
		return u
	case code := <-done:
		t.Fatalf("%v exited %d before ready: %s", args, code, out.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("%v not ready", args)
	}
	return ""
}

func TestHelpEverywhere(t *testing.T) {
	code, out, _ := run(t, "--help")
	if code != 0 || !strings.Contains(out, "emulator") || !strings.Contains(out, "demo") {
		t.Fatalf("--help: %d %s", code, out)
	}
	for name := range commands {
		code, out, errOut := run(t, name, "--help")
		if code != 0 || !strings.HasPrefix(out, "Usage: warden "+name) {
			t.Errorf("%s --help: %d %q %q", name, code, out, errOut)
		}
		if code, _, _ := run(t, "help", name); code != 0 {
			t.Errorf("help %s: %d", name, code)
		}
	}
	if code, _, errOut := run(t, "bogus"); code != 2 || !strings.Contains(errOut, `unknown command "bogus"`) {
		t.Errorf("bogus: %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "emulator", "--nope"); code != 2 || !strings.Contains(errOut, "flag provided but not defined: -nope") {
		t.Errorf("bad flag: %d %s", code, errOut)
	}
	if code, out, _ := run(t, "version"); code != 0 || !strings.HasPrefix(out, "warden ") {
		t.Errorf("version: %d %s", code, out)
	}
}

func TestEmulatorServesExampleSeed(t *testing.T) {
	seed := filepath.Join("..", "..", "..", "shared", "examples", "emulator-seed.yaml")
	if _, err := os.Stat(seed); err != nil {
		seed = filepath.Join("..", "..", "emulator", "testdata", "seeds", "example.yaml")
	}
	base := startServe(t, "emulator", "--addr", "127.0.0.1:0", "--seed", seed)
	resp, err := http.PostForm(base+"/services/oauth2/token", map[string][]string{"grant_type": {"password"},
		"client_id": {"warden-consumer-key"}, "client_secret": {"warden-consumer-secret"},
		"username": {"invoice.ar@acme.example"}, "password": {"Inv01ce-Passw0rd!"}}) // 127.0.0.1 is a trusted range
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"access_token":"00D5g000000EmuAEAS!`) {
		t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
}

func TestEmulatorRejectsBadSeed(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "seed.yaml")
	os.WriteFile(bad, []byte("orgs:\n  - name: Acme\n    frozn: true\n    dailyApiRequests: lots\n"), 0o600)
	code, _, errOut := run(t, "emulator", "--seed", bad, "--addr", "127.0.0.1:0")
	if code != 2 || !strings.Contains(errOut, "seed.yaml:3") || !strings.Contains(errOut, `"frozn"`) || !strings.Contains(errOut, "seed.yaml:4") {
		t.Errorf("bad seed: %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "emulator", "--seed", filepath.Join(dir, "missing.yaml")); code != 2 || !strings.Contains(errOut, "missing.yaml") {
		t.Errorf("missing seed: %d %s", code, errOut)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}

func TestStopOnSignals(t *testing.T) {
	tests := []struct {
		name    string
		signals []os.Signal
		code    int
		say     string
	}{
		{"second signal exits at once", []os.Signal{syscall.SIGTERM, os.Interrupt}, 130, "warden: interrupt again: exiting at once"},
		{"grace runs out", []os.Signal{syscall.SIGTERM}, 143, "warden: still running 30s after terminated: exiting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sigs := make(chan os.Signal, 2)
				canceled := false
				var stderr bytes.Buffer
				exited := make(chan int, 1)
				go stopOnSignals(sigs, func() { canceled = true }, &stderr, func(code int) { exited <- code }, stopGrace)
				for _, s := range tt.signals {
					sigs <- s
				}
				start := time.Now()
				code := <-exited
				if !canceled {
					t.Error("the first signal did not cancel the context")
				}
				if code != tt.code || !strings.Contains(stderr.String(), tt.say) {
					t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tt.code, tt.say)
				}
				if waited := time.Since(start); len(tt.signals) > 1 && waited != 0 || len(tt.signals) == 1 && waited != stopGrace {
					t.Errorf("exited after %v", waited)
				}
			})
		})
	}
}
