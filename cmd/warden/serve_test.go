package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
	"github.com/wardenhq/warden/notify"
	"github.com/wardenhq/warden/notify/smtptest"
)

// TestServeAlertsThroughChannels runs "warden serve" against the demo orgs
// with a signed webhook and an e-mail channel, and checks that the problems
// of the demo arrive at both real endpoints, and metrics are served.
func TestServeAlertsThroughChannels(t *testing.T) {
	seed, key, err := emulator.Demo(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	emu := emulatortest.Start(t, seed)
	var mu sync.Mutex
	var bodies []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := notify.VerifySignature("hook-secret", r.Header.Get("X-Warden-Timestamp"), r.Header.Get("X-Warden-Signature"), body, time.Now(), time.Minute); err != nil {
			t.Errorf("webhook signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		bodies = append(bodies, string(body))
		mu.Unlock()
	}))
	defer hook.Close()
	smtp, err := smtptest.NewServer(smtptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer smtp.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "warden.yaml")
	if err := writeDemoConfig(t.Context(), dir, path, emu.URL, "127.0.0.1:0", time.Second, key); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	f.WriteString(`notifications:
  - name: hook
    kind: webhook
    url: ` + hook.URL + `/warden
    secret: ${HOOK_SECRET}
    minSeverity: high
  - name: mail
    kind: email
    smtpHost: 127.0.0.1
    smtpPort: ` + itoa(smtp.Port) + `
    from: warden@example.com
    to: [oncall@example.com]
    minSeverity: high
    owners: [marketing]
`)
	f.Close()
	var out strings.Builder
	m := &Main{Stdout: &out, Stderr: io.Discard, Getenv: func(k string) string {
		if k == "HOOK_SECRET" {
			return "hook-secret"
		}
		return ""
	}}
	ready := make(chan string, 2)
	m.Ready = func(name, url string) { ready <- url }
	ctx, cancel := contextWithCancel(t)
	done := make(chan int)
	go func() { done <- m.Run(ctx, []string{"serve", "--config", path}) }()
	var base string
	select {
	case base = <-ready:
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, out.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve not ready")
	}
	defer func() { cancel(); <-done }()
	// Both orgs are swept independently: wait for the alerts of both.
	wants := []string{`"cause":"user_frozen"`, `"cause":"user_deactivated"`, `"cause":"password_locked"`, "Marketing Connector"}
	// Health alerts; the activity rules' alerts (X-Warden-Key activity/...)
	// about the team's users go to the same channel.
	healthMail := func() []smtptest.Message {
		var msgs []smtptest.Message
		for _, msg := range smtp.Messages() {
			if !strings.Contains(string(msg.Data), "X-Warden-Key: activity/") {
				msgs = append(msgs, msg)
			}
		}
		return msgs
	}
	delivered := func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(bodies, "\n")
	}
	waitFor(t, "alerts from both orgs", 30*time.Second, func() bool {
		all := delivered()
		for _, want := range wants {
			if !strings.Contains(all, want) {
				return false
			}
		}
		return len(healthMail()) > 0
	})
	all := delivered()
	if strings.Contains(all, "invoice.sync@acme.demo") {
		t.Errorf("a healthy user was announced")
	}
	msgs := healthMail()
	if len(msgs) != 1 || !strings.Contains(string(msgs[0].Data), "user_frozen") || !strings.Contains(string(msgs[0].Data), "marketing.sync@acme.demo") {
		t.Errorf("e-mail routed to the marketing team: %d messages", len(msgs))
	}
	// Alerts go out while a sweep runs; the state gauges are set after it.
	var metrics []byte
	waitFor(t, "metrics", 10*time.Second, func() bool {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			return false
		}
		metrics, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		return strings.Contains(string(metrics), `warden_user_state{org="acme",state="error",username="marketing.sync@acme.demo"} 1`)
	})
	for _, want := range []string{`warden_user_state{org="acme",state="error",username="marketing.sync@acme.demo"} 1`, "warden_sweep_duration_seconds", "warden_api_requests_total", "warden_alerts_total"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	waitFor(t, "readiness", 10*time.Second, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	for _, p := range []string{"/healthz", "/readyz", "/status", "/api/status", "/users/acme/marketing.sync@acme.demo"} {
		resp, err := http.Get(base + p)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("%s: %v %v", p, err, resp.StatusCode)
		}
		resp.Body.Close()
	}
	// A page reached through a foreign name (DNS rebinding) is refused;
	// the probes answer.
	for p, want := range map[string]int{"/status": 421, "/api/status": 421, "/metrics": 421, "/healthz": 200} {
		req, _ := http.NewRequest("GET", base+p, nil)
		req.Host = "rebound.example"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s with a foreign Host: %d, want %d", p, resp.StatusCode, want)
		}
	}
}

// TestServeAnswersDuringNotificationOutage runs "warden serve" with a
// webhook that never answers: alert delivery hangs for as long as the test
// runs. Sweeps must go on (the stored statuses keep being checked), and the
// probes and status pages must answer in milliseconds throughout, since
// neither waits for a sweep or for alert delivery.
func TestServeAnswersDuringNotificationOutage(t *testing.T) {
	seed, key, err := emulator.Demo(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	emu := emulatortest.Start(t, seed)
	release := make(chan struct{})
	var calls sync.WaitGroup
	var mu sync.Mutex
	blocked := 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		defer calls.Done()
		mu.Lock()
		blocked++
		mu.Unlock()
		<-release // the channel is down: no answer until the test ends
	}))
	defer func() { close(release); calls.Wait(); hook.Close() }()
	dir := t.TempDir()
	path := filepath.Join(dir, "warden.yaml")
	if err := writeDemoConfig(t.Context(), dir, path, emu.URL, "127.0.0.1:0", time.Second, key); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	f.WriteString("notifications:\n  - name: hook\n    kind: webhook\n    url: " + hook.URL + "/warden\n    secret: hook-secret-for-the-outage\n    minSeverity: low\n")
	f.Close()
	base := startServe(t, "serve", "--config", path)
	waitFor(t, "an alert delivery to hang", 20*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return blocked > 0
	})
	checkedAt := func() time.Time {
		var latest time.Time
		for _, s := range statusesOf(t, path) {
			if s.CheckedAt.After(latest) {
				latest = s.CheckedAt
			}
		}
		return latest
	}
	// Readiness (every org swept once) does not wait for alert delivery.
	waitFor(t, "readiness while alert delivery hangs", 20*time.Second, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	first := checkedAt()
	// For several sweep intervals, with delivery hanging, time every read.
	var slowest time.Duration
	var slowestPath string
	deadline := time.Now().Add(4 * time.Second)
	for time.Now().Before(deadline) {
		for _, p := range []string{"/readyz", "/healthz", "/status", "/api/status"} {
			start := time.Now()
			resp, err := http.Get(base + p)
			took := time.Since(start)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s during the outage: %d", p, resp.StatusCode)
			}
			if took > slowest {
				slowest, slowestPath = took, p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("slowest answer during the outage: %s in %v", slowestPath, slowest)
	// Generous for a loaded 2-core CI machine; a read that waited for a
	// sweep or a delivery would take seconds (timeouts are 10 s).
	if slowest > 500*time.Millisecond {
		t.Errorf("%s took %v while alert delivery hung", slowestPath, slowest)
	}
	if !checkedAt().After(first) {
		t.Errorf("sweeps stopped while alert delivery hung: latest check still %v", first)
	}
}
