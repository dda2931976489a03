package storetest

import (
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// alertKey names an alert record in order checks.
func alertKey(r *warden.AlertRecord) string {
	return r.Key + "@" + r.At.Sub(stored(base)).String()
}

// addAlert records an alert of key at t, a recovery when resolved.
func addAlert(t *testing.T, s warden.Store, key string, resolved bool, t0 time.Time) *warden.AlertRecord {
	t.Helper()
	r := &warden.AlertRecord{Alert: warden.Alert{Key: key, Org: "acme", Username: key, State: warden.StateError,
		Cause: warden.CauseUserFrozen, Severity: warden.SeverityHigh, Resolved: resolved, At: t0}}
	if resolved {
		r.State, r.Cause, r.Severity = warden.StateOK, "", warden.SeverityInfo
	}
	must(t, s.AppendAlert(t.Context(), r))
	return r
}

// alertTests are the tests of AlertService.
var alertTests = []test{
	{"RoundTrip", func(t *testing.T, s warden.Store) {
		r := &warden.AlertRecord{Alert: warden.Alert{Key: "acme/a@acme", Org: "acme", Username: "a@acme", State: warden.StateError,
			Previous: warden.StateOK, Cause: warden.CauseUserFrozen, Severity: warden.SeverityHigh, Evidence: "UserLogin.IsFrozen = true",
			Fix: "Unfreeze it.", Owner: "billing", URL: "https://warden.example/users/acme/a@acme", At: at(0),
			Dependents: []warden.AffectedApp{{Name: "Invoice Sync", Owner: "billing", Contact: "billing@acme"}}}, Suppressed: true}
		must(t, s.AppendAlert(t.Context(), r))
		if r.ID == 0 || !r.At.Equal(stored(at(0))) {
			t.Errorf("AppendAlert wrote back ID %d, At %v", r.ID, r.At)
		}
		got, err := s.Alert(t.Context(), r.ID)
		must(t, err)
		diff(t, "Alert", r, got)
		all, err := s.Alerts(t.Context(), warden.AlertFilter{})
		must(t, err)
		diff(t, "Alerts", []*warden.AlertRecord{r}, all)
	}},
	{"ZeroTimeIsNow", func(t *testing.T, s warden.Store) {
		w := startWindow()
		r := addAlert(t, s, "k", false, time.Time{})
		w.check(t, "At", r.At)
	}},
	{"Invalid", func(t *testing.T, s warden.Store) {
		wantKind(t, s.AppendAlert(t.Context(), &warden.AlertRecord{Alert: warden.Alert{Org: "acme"}}), warden.EINVALID, "key")
		wantKind(t, s.AppendAlert(t.Context(), &warden.AlertRecord{Alert: warden.Alert{Key: "k"}}), warden.EINVALID, "org")
		_, err := s.Alerts(t.Context(), warden.AlertFilter{Limit: -1})
		wantKind(t, err, warden.EINVALID)
		r := addAlert(t, s, "k", false, at(0))
		wantKind(t, s.AcknowledgeAlert(t.Context(), r.ID, "ann", "", time.Time{}), warden.EINVALID, "reason")
		wantKind(t, s.SnoozeAlert(t.Context(), r.ID, "ann", "", at(time.Hour)), warden.EINVALID, "reason")
		wantKind(t, s.SnoozeAlert(t.Context(), r.ID, "ann", "maintenance", time.Time{}), warden.EINVALID)
	}},
	{"NotFound", func(t *testing.T, s warden.Store) {
		_, err := s.Alert(t.Context(), 42)
		wantKind(t, err, warden.ENOTFOUND, "42")
		wantKind(t, s.AcknowledgeAlert(t.Context(), 42, "ann", "known", time.Time{}), warden.ENOTFOUND, "42")
		wantKind(t, s.SnoozeAlert(t.Context(), 42, "ann", "known", at(time.Hour)), warden.ENOTFOUND, "42")
	}},
	{"AcknowledgeAndSnooze", func(t *testing.T, s warden.Store) {
		r := addAlert(t, s, "k", false, at(0))
		w := startWindow()
		must(t, s.AcknowledgeAlert(t.Context(), r.ID, "ann", "known: the billing team unfreezes it", time.Time{}))
		must(t, s.SnoozeAlert(t.Context(), r.ID, "bob", "maintenance window", at(2*time.Hour)))
		got, err := s.Alert(t.Context(), r.ID)
		must(t, err)
		w.check(t, "AcknowledgedAt", got.AcknowledgedAt)
		if got.AcknowledgedBy != "ann" || got.AckReason != "known: the billing team unfreezes it" ||
			!got.SnoozedUntil.Equal(stored(at(2*time.Hour))) || got.SnoozedBy != "bob" || got.SnoozeReason != "maintenance window" {
			t.Errorf("after acknowledge and snooze: %+v", got)
		}
		checkNorm(t, "SnoozedUntil", got.SnoozedUntil)
	}},
	{"FilterAndOrder", func(t *testing.T, s warden.Store) {
		addAlert(t, s, "a", false, at(0))
		addAlert(t, s, "b", false, at(time.Minute))
		addAlert(t, s, "a", true, at(2*time.Minute))
		addAlert(t, s, "c", false, at(3*time.Minute))
		d := addAlert(t, s, "d", false, at(4*time.Minute))
		must(t, s.AcknowledgeAlert(t.Context(), d.ID, "ann", "known", time.Time{}))
		for _, tt := range []struct {
			f    warden.AlertFilter
			want []string
		}{
			{warden.AlertFilter{}, []string{"d@4m0s", "c@3m0s", "a@2m0s", "b@1m0s", "a@0s"}},
			{warden.AlertFilter{Key: "a"}, []string{"a@2m0s", "a@0s"}},
			{warden.AlertFilter{Username: "b"}, []string{"b@1m0s"}},
			{warden.AlertFilter{Org: "globex"}, []string{}},
			{warden.AlertFilter{Limit: 2}, []string{"d@4m0s", "c@3m0s"}},
			{warden.AlertFilter{Limit: 2, Offset: 2}, []string{"a@2m0s", "b@1m0s"}},
			// Open: a recovered, d acknowledged.
			{warden.AlertFilter{Open: true}, []string{"c@3m0s", "b@1m0s"}},
		} {
			got, err := s.Alerts(t.Context(), tt.f)
			must(t, err)
			diff(t, "Alerts "+fmtFilter(tt.f), tt.want, names(got, alertKey))
		}
	}},
	{"KeptWhenTheUserGoes", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		addUser(t, s, "acme", "a@acme", "")
		r := addAlert(t, s, "a@acme", false, at(0))
		must(t, s.DeleteUser(t.Context(), "acme", "a@acme"))
		if _, err := s.Alert(t.Context(), r.ID); err != nil {
			t.Errorf("the alert went with its user: %v", err)
		}
	}},
}
