package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
)

// demoConfigFor writes the demo's configuration for an in-process demo
// emulator and syncs its inventory, as warden demo does.
func demoConfigFor(t *testing.T) (cfgPath string, emu *emulatortest.Emulator) {
	t.Helper()
	seed, key, err := emulator.Demo(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	emu = emulatortest.Start(t, seed)
	dir := t.TempDir()
	cfgPath = filepath.Join(dir, "warden.yaml")
	if err := writeDemoConfig(t.Context(), dir, cfgPath, emu.URL, "127.0.0.1:0", time.Minute, key); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "inventory", "sync", "--config", cfgPath); code != 0 {
		t.Fatalf("inventory sync: %d %s", code, errOut)
	}
	return cfgPath, emu
}

// TestRotateDemo rotates, on the demo, a password + token user (token
// from the mailbox), a JWT user and a client-credentials user; each ends
// completed and its new credential passes warden check.
func TestRotateDemo(t *testing.T) {
	cfg, _ := demoConfigFor(t)
	for _, tt := range []struct{ user, org, check string }{
		{"legacy.soap@acme.demo", "acme", "security token collected from the mailbox"},
		{"jwt.analytics@acme.demo", "acme", "new certificate installed"},
		{"erp.sync@globex.demo", "globex", "old consumer secret revoked"},
	} {
		t.Run(tt.user, func(t *testing.T) {
			code, out, errOut := run(t, "rotate", tt.user, "--now", "--config", cfg)
			if code != 0 || !strings.Contains(out, "completed (self_service)") {
				t.Fatalf("rotate: %d\n%s\n%s", code, out, errOut)
			}
			id := strings.Fields(out)[0]
			code, out, errOut = run(t, "rotation", "show", id, "--config", cfg)
			if code != 0 || !strings.Contains(out, tt.check) || !strings.Contains(out, "promote") || !strings.Contains(out, "Triggered: cli") {
				t.Errorf("rotation show: %d\n%s\n%s", code, out, errOut)
			}
			if code, out, errOut := run(t, "check", "--config", cfg, tt.org+"/"+tt.user); code != 0 {
				t.Errorf("check after rotation: %d\n%s\n%s", code, out, errOut)
			}
		})
	}
	code, out, _ := run(t, "rotations", "--json", "--config", cfg)
	var jobs []*warden.RotationJob
	if err := json.Unmarshal([]byte(out), &jobs); code != 0 || err != nil || len(jobs) != 3 {
		t.Fatalf("rotations --json: %d %v %s", code, err, out)
	}
	for _, j := range jobs {
		if j.State != warden.RotationCompleted {
			t.Errorf("%s: %s", j.Credential, j.State)
		}
	}
	code, out, _ = run(t, "rotate", "legacy.soap@acme.demo", "--plan", "--config", cfg)
	if code != 0 || !strings.Contains(out, "collect_token") || !strings.Contains(out, "Downtime:") {
		t.Errorf("rotate --plan: %d %s", code, out)
	}
}

// TestRotateDemoMailboxAccount rotates, on the demo, the mailbox account
// of a user whose Salesforce password still works (the runbook's "yes"
// branch): the emulator's mail account gets the new password, and it is
// current in the secret store.
func TestRotateDemoMailboxAccount(t *testing.T) {
	cfg, emu := demoConfigFor(t)
	code, out, errOut := run(t, "rotate", "gis.legacy@acme.demo", "--mailbox", "--config", cfg)
	if code != 0 || !strings.Contains(out, "completed (self_service)") {
		t.Fatalf("rotate --mailbox: %d\n%s\n%s", code, out, errOut)
	}
	if emu.MailboxPassword("gis.legacy@acme.demo") == "" {
		t.Error("the mailbox account's password was not changed")
	}
	id := strings.Fields(out)[0]
	code, out, _ = run(t, "rotation", "show", id, "--config", cfg)
	if code != 0 || !strings.Contains(out, "only the mailbox account gets a new password") || !strings.Contains(out, "is current in local/gis.legacy-acme-mailbox") {
		t.Errorf("rotation show: %d\n%s", code, out)
	}
}

// TestRotateFromDashboard rotates a demo user through the dashboard's API
// (POST /api/v1/users/{org}/{username}/rotate, operator role) on a running
// warden serve: the answer carries the rotation's id at once, and the
// rotation runs in the background, triggered by the token's name, up to
// the promotion (retiring the old secret waits for the grace period).
func TestRotateFromDashboard(t *testing.T) {
	cfg, _ := demoConfigFor(t)
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	if code := m.Run(t.Context(), []string{"token", "create", "--config", cfg, "--name", "ops", "--role", "operator"}); code != 0 {
		t.Fatalf("token create: %d %s", code, errb.String())
	}
	tok := regexp.MustCompile(`wat_[A-Za-z0-9_-]+`).FindString(out.String())
	base := startServe(t, "serve", "--config", cfg)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/users/globex/erp.sync@globex.demo/rotate", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var res struct {
		RotationID string `json:"rotationId"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &res) != nil || res.RotationID == "" {
		t.Fatalf("rotate through the API: %d %s", resp.StatusCode, body)
	}
	var shown string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		_, shown, _ = run(t, "rotation", "show", res.RotationID, "--config", cfg)
		if strings.Contains(shown, "version 2 is current") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(shown, "version 2 is current") || !strings.Contains(shown, "Triggered: dashboard: token:ops") {
		t.Errorf("rotation started from the dashboard:\n%s", shown)
	}
}
