package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/emulator/emulatortest"
)

// TestDemoDeliveries delivers each demo dependent's current credential
// the way a rotation does, and verifies it: the file, the application's
// secret-store path, the webhook to the demo's receiver (verified by its
// health URL), the reload hook, and the manual runbook confirmed with
// warden delivery confirm. Nothing printed or logged holds material.
func TestDemoDeliveries(t *testing.T) {
	seed, key := invDemo(t)
	emu := emulatortest.Start(t, seed)
	dir := t.TempDir()
	dd, err := startDemoDeliveries(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer dd.Close()
	cfgPath := filepath.Join(dir, "warden.yaml")
	if err := writeDemoConfigWith(t.Context(), dir, cfgPath, emu.URL, "127.0.0.1:0", 30*time.Second, key, dd); err != nil {
		t.Fatal(err)
	}
	syncInventory(t, cfgPath)
	// The targets come back from the store as declared: a second sync
	// changes nothing.
	if code, out, _ := run(t, "inventory", "sync", "--config", cfgPath, "--plan", "--json"); code != 0 || !strings.Contains(out, `"update": 0`) {
		t.Errorf("a second sync: %d %s", code, out)
	}
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	cfg, err := m.loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	e, err := m.open(t.Context(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	d := e.deliverer()
	deps, err := e.store.Dependents(t.Context(), warden.DependentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[warden.Delivery]bool{}
	var secrets []string
	for _, dep := range deps {
		kinds[dep.Delivery] = true
		u, err := e.store.User(t.Context(), dep.Org, dep.Username)
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.store.Credential(t.Context(), u.Credential)
		if err != nil {
			t.Fatal(err)
		}
		mat, err := e.creds.Material(t.Context(), c)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, mat.Secrets()...)
		r, err := d.Deliver(t.Context(), dep, c, mat, "1")
		if err != nil {
			t.Fatalf("Deliver to %s (%s): %v", dep.Name, dep.Delivery, err)
		}
		err = d.Verify(t.Context(), dep, c, mat, "1")
		switch {
		case dep.Delivery == warden.DeliveryManual:
			if !r.Pending || warden.ErrorKind(err) != warden.EUNAVAILABLE {
				t.Errorf("manual %s: pending %v, Verify %v", dep.Name, r.Pending, err)
			}
			code, out, errOut := run(t, "delivery", "list", "--config", cfgPath, "--pending")
			if code != 0 || !strings.Contains(out, "Consumer secret") || !strings.Contains(out, "warden delivery confirm --org globex 'ERP Sync'") {
				t.Errorf("delivery list --pending: %d\n%s%s", code, out, errOut)
			}
			code, out, errOut = run(t, "delivery", "confirm", "--config", cfgPath, "--org", dep.Org, "--by", "alice", dep.Name)
			if code != 0 || !strings.Contains(out, "Confirmed: deliver of erp.sync-globex version 1 to globex/ERP Sync (by alice)") {
				t.Errorf("delivery confirm: %d\n%s%s", code, out, errOut)
			}
			if err := d.Verify(t.Context(), dep, c, mat, "1"); err != nil {
				t.Errorf("Verify %s after confirmation: %v", dep.Name, err)
			}
		case err != nil:
			t.Errorf("Verify %s (%s): %v", dep.Name, dep.Delivery, err)
		}
	}
	for _, k := range []warden.Delivery{warden.DeliveryFile, warden.DeliverySecretStore, warden.DeliveryWebhook, warden.DeliveryCommand, warden.DeliveryManual} {
		if !kinds[k] {
			t.Errorf("the demo has no %s dependent", k)
		}
	}
	env, err := os.ReadFile(filepath.Join(dir, "apps", "legacy-soap-etl.env"))
	if err != nil || !strings.Contains(string(env), "SF_USERNAME='legacy.soap@acme.demo'") {
		t.Errorf("the Legacy SOAP ETL file: %s %v", env, err)
	}
	hookLog, err := os.ReadFile(filepath.Join(dir, "hooks", "warehouse-reload.log"))
	if err != nil || !strings.Contains(string(hookLog), "deliver warehouse.batch-acme version 1") {
		t.Errorf("the reload hook's log: %s %v", hookLog, err)
	}
	if _, err := credential.Read(t.Context(), e.secrets["local"], warden.SecretRef{Store: "local", Key: "apps/analytics-loader"}, warden.StageCurrent); err != nil {
		t.Errorf("the Analytics Loader's secret-store path: %v", err)
	}
	code, out, errOut := run(t, "delivery", "list", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "confirmed by alice") || !strings.Contains(out, "POST http://127.0.0.1") {
		t.Errorf("delivery list: %d\n%s%s", code, out, errOut)
	}
	_, jsonOut, _ := run(t, "delivery", "list", "--config", cfgPath, "--json")
	for _, s := range secrets {
		for where, text := range map[string]string{"logs": logs.String(), "list": out, "json": jsonOut, "hook log": string(hookLog)} {
			if len(s) >= 6 && strings.Contains(text, s) {
				t.Errorf("%s holds secret material", where)
			}
		}
	}
}
