package warden_test

import (
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

func TestAlertSuppressed(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	problem := &warden.Alert{Key: "acme/a", State: warden.StateError, At: now}
	recovery := &warden.Alert{Key: "acme/a", State: warden.StateOK, Resolved: true, At: now}
	rec := func(resolved, acked bool, snoozed time.Duration) *warden.AlertRecord {
		r := &warden.AlertRecord{Alert: warden.Alert{Key: "acme/a", Resolved: resolved}}
		if acked {
			r.AcknowledgedAt = now.Add(-time.Minute)
		}
		if snoozed != 0 {
			r.SnoozedUntil = now.Add(snoozed)
		}
		return r
	}
	tests := []struct {
		name    string
		earlier []*warden.AlertRecord
		a       *warden.Alert
		want    bool
	}{
		{"no history", nil, problem, false},
		{"nothing done", []*warden.AlertRecord{rec(false, false, 0)}, problem, false},
		{"acknowledged", []*warden.AlertRecord{rec(false, true, 0)}, problem, true},
		{"acknowledged before a cause change", []*warden.AlertRecord{rec(false, false, 0), rec(false, true, 0)}, problem, true},
		{"snoozed", []*warden.AlertRecord{rec(false, false, time.Hour)}, problem, true},
		{"snooze over", []*warden.AlertRecord{rec(false, false, -time.Second)}, problem, false},
		{"acknowledged before a recovery", []*warden.AlertRecord{rec(true, false, 0), rec(false, true, 0)}, problem, false},
		{"a recovery is always sent", []*warden.AlertRecord{rec(false, true, time.Hour)}, recovery, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := warden.AlertSuppressed(tt.earlier, tt.a); got != tt.want {
				t.Errorf("AlertSuppressed = %v, want %v", got, tt.want)
			}
		})
	}
}
