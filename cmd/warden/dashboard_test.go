package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/notify"
	"github.com/wardenhq/warden/sqlite"
)

// alertRecorder is a notification channel that records what it is sent.
type alertRecorder struct {
	mu   sync.Mutex
	sent []string
}

func (r *alertRecorder) Name() string { return "recorder" }

func (r *alertRecorder) Notify(ctx context.Context, a *warden.Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, string(a.State)+" "+string(a.Cause))
	return nil
}

// TestSendAlertRecordsAndSuppresses: every alert is recorded; repeats of
// an acknowledged or snoozed problem are recorded as suppressed and not
// sent; recoveries always are.
func TestSendAlertRecordsAndSuppresses(t *testing.T) {
	db, err := sqlite.Open(t.Context(), sqlite.MemoryPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rec := &alertRecorder{}
	d := notify.NewDispatcher(notify.DispatcherConfig{Routes: []notify.Route{{Notifier: rec}}, DedupWindow: -1})
	e := &env{store: db, logger: discardLogger()}
	now := time.Now().UTC().Truncate(time.Second)
	alert := func(state warden.State, cause warden.Cause, at time.Duration) *warden.Alert {
		return &warden.Alert{Key: "acme/a@acme", Org: "acme", Username: "a@acme", State: state, Cause: cause, Resolved: state == warden.StateOK,
			Severity: state.Severity(), At: now.Add(at)}
	}
	latest := func() *warden.AlertRecord {
		t.Helper()
		rs, err := db.Alerts(t.Context(), warden.AlertFilter{Limit: 1})
		if err != nil || len(rs) != 1 {
			t.Fatalf("Alerts: %v %v", rs, err)
		}
		return rs[0]
	}
	ctx := t.Context()
	e.sendAlert(ctx, d, alert(warden.StateError, warden.CauseUserFrozen, 0))
	first := latest()
	if err := db.AcknowledgeAlert(ctx, first.ID, "account:ann", "known", time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.sendAlert(ctx, d, alert(warden.StateError, warden.CausePasswordLocked, time.Minute)) // acknowledged: suppressed
	if !latest().Suppressed {
		t.Errorf("a repeat of an acknowledged problem was not suppressed")
	}
	e.sendAlert(ctx, d, alert(warden.StateOK, "", 2*time.Minute)) // a recovery is sent
	e.sendAlert(ctx, d, alert(warden.StateError, warden.CauseUserFrozen, 3*time.Minute))
	snoozed := latest()
	if err := db.SnoozeAlert(ctx, snoozed.ID, "account:ann", "maintenance", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.sendAlert(ctx, d, alert(warden.StateDegraded, warden.CauseOrgUnavailable, 4*time.Minute)) // snoozed: suppressed
	e.sendAlert(ctx, d, alert(warden.StateError, warden.CauseUserFrozen, 2*time.Hour))          // the snooze is over
	want := []string{"error user_frozen", "ok ", "error user_frozen", "error user_frozen"}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.sent) != len(want) {
		t.Fatalf("sent %q, want %q", rec.sent, want)
	}
	for i := range want {
		if rec.sent[i] != want[i] {
			t.Errorf("sent %q, want %q", rec.sent, want)
		}
	}
	all, err := db.Alerts(ctx, warden.AlertFilter{})
	if err != nil || len(all) != 6 {
		t.Errorf("recorded %d alerts (%v), want 6", len(all), err)
	}
}

// viewerToken creates a viewer API token in the store of the
// configuration cfg (read with getenv) and returns it: what tests send to
// read the dashboard's routes, which all need a principal.
func viewerToken(t *testing.T, getenv func(string) string, cfg string) string {
	t.Helper()
	return apiToken(t, getenv, cfg, "viewer")
}

// apiToken creates an API token of role with warden token create and
// returns it.
func apiToken(t *testing.T, getenv func(string) string, cfg, role string) string {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Getenv: getenv}
	name := "test-" + role + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if code := m.Run(t.Context(), []string{"token", "create", "--config", cfg, "--name", name, "--role", role}); code != 0 {
		t.Fatalf("token create: %d %s", code, errb.String())
	}
	tok := regexp.MustCompile(`wat_[A-Za-z0-9_-]+`).FindString(out.String())
	if tok == "" {
		t.Fatalf("token create printed no token: %s", out.String())
	}
	return tok
}

// getAs GETs u with the API token tok and returns the status and body.
func getAs(t *testing.T, u, tok string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
