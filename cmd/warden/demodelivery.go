package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/delivery"
	"github.com/wardenhq/warden/notify"
)

// The demo's dependents of every delivery kind, so that the rotation tour
// shows each: a configuration file, a secret-store path of the
// application's own, a signed webhook to a small loopback receiver the
// demo runs, a command hook, and a manual runbook. The other demo apps
// read their credential's own secret.

// demoHookKey is where the demo keeps its webhook's signing secret.
const demoHookKey = "demo-webhook-order-webhooks"

// demoDeliveries is the demo's delivery setup: its directory and the
// receiver of the webhook dependent.
type demoDeliveries struct {
	dir     string
	url     string // the receiver's base URL
	secret  string // its signing secret
	cancel  context.CancelFunc
	done    chan error
	mu      sync.Mutex
	version map[string]string // dependent -> version last received
}

// startDemoDeliveries starts the webhook receiver on loopback and writes
// the command hook's script under dir.
func startDemoDeliveries(ctx context.Context, dir string) (*demoDeliveries, error) {
	var b [24]byte
	_, _ = rand.Read(b[:])
	dd := &demoDeliveries{dir: dir, secret: hex.EncodeToString(b[:]), done: make(chan error, 1), version: map[string]string{}}
	hooks := filepath.Join(dir, "hooks")
	if err := os.MkdirAll(hooks, 0o700); err != nil {
		return nil, err
	}
	script := "#!/bin/sh\n# The demo's reload hook of Warehouse Batch: it gets the new credential on stdin\n" +
		"# (a JSON document) and logs the version it got, never the credential.\ncat > /dev/null\n" +
		`echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $WARDEN_ACTION $WARDEN_CREDENTIAL version $WARDEN_VERSION" >> "$(dirname "$0")/warehouse-reload.log"` + "\n"
	if err := os.WriteFile(filepath.Join(hooks, "warehouse-reload.sh"), []byte(script), 0o700); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, warden.Errorf(warden.EUNAVAILABLE, "demo webhook receiver: %v", err)
	}
	dd.url = "http://" + ln.Addr().String()
	ctx, dd.cancel = context.WithCancel(ctx)
	go func() { dd.done <- serve(ctx, ln, dd) }()
	return dd, nil
}

// Close stops the receiver.
func (dd *demoDeliveries) Close() error {
	if dd == nil {
		return nil
	}
	dd.cancel()
	return <-dd.done
}

// ServeHTTP is the receiver: POST /hooks/NAME takes a signed delivery
// (204) and GET /health/NAME says which version NAME last got.
func (dd *demoDeliveries) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/hooks/"):
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err := notify.VerifySignature(dd.secret, r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature), body, time.Now(), 0); err != nil {
			http.Error(w, "signature refused", http.StatusUnauthorized)
			return
		}
		var m delivery.Message
		if err := json.Unmarshal(body, &m); err != nil || m.Type != delivery.EventType {
			http.Error(w, "not a Warden credential delivery", http.StatusBadRequest)
			return
		}
		dd.mu.Lock()
		dd.version[strings.TrimPrefix(r.URL.Path, "/hooks/")] = m.Version
		dd.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/health/"):
		dd.mu.Lock()
		v := dd.version[strings.TrimPrefix(r.URL.Path, "/health/")]
		dd.mu.Unlock()
		fmt.Fprintf(w, "ok version=%s\n", v)
	default:
		http.NotFound(w, r)
	}
}

// prepare stores the webhook's signing secret in the demo's secret store.
func (dd *demoDeliveries) prepare(ctx context.Context, ss warden.SecretStore) error {
	if dd == nil {
		return nil
	}
	_, err := ss.Put(ctx, demoHookKey, []byte(dd.secret), warden.StageCurrent, map[string]string{"source": "warden demo"})
	return err
}

// of returns the delivery kind and the target and verify keys (YAML
// lines indented for a dependent) of a demo app.
func (dd *demoDeliveries) of(app string) (string, string) {
	kind, yaml := dd.target(app)
	return kind, strings.TrimSuffix(yaml, "\n")
}

func (dd *demoDeliveries) target(app string) (string, string) {
	if dd == nil {
		return "secret_store", ""
	}
	q := yamlQuote
	switch app {
	case "Legacy SOAP ETL":
		path := filepath.Join(dd.dir, "apps", "legacy-soap-etl.env")
		_ = os.MkdirAll(filepath.Dir(path), 0o700)
		return "file", "    target:\n      path: " + q(path) + "\n      template: |\n" +
			"        # Legacy SOAP ETL: written by Warden on every rotation.\n" +
			"        SF_USERNAME={{username}}\n        SF_PASSWORD={{password}}\n        SF_CREDENTIAL_VERSION={{version}}\n" +
			"    verify: {method: login}\n"
	case "Analytics Loader":
		return "secret_store", "    target: {store: local, key: apps/analytics-loader}\n    verify: {method: login}\n"
	case "Warehouse Batch":
		// No verification: the hook's exit status is the proof (the demo
		// user's login hours keep test logins out part of the day).
		return "command", "    target: {command: " + q(filepath.Join(dd.dir, "hooks", "warehouse-reload.sh")) + ", timeout: 30s}\n"
	case "ERP Sync":
		return "manual", "    target:\n      settings: [\"ERP > Administration > Salesforce connection > Consumer secret\"]\n" +
			"      instructions: Restart the ERP connector service.\n"
	case "Order Webhooks":
		if dd.url != "" {
			return "webhook", "    target: {url: " + q(dd.url+"/hooks/order-webhooks") + ", secret: {store: local, key: " + demoHookKey + "}}\n" +
				"    verify: {method: health, url: " + q(dd.url+"/health/order-webhooks") + ", expect: \"ok\"}\n"
		}
	}
	return "secret_store", ""
}
