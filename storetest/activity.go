package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// activityTests are the tests of ActivityService.
var activityTests = []test{
	{"StateRoundTrip", func(t *testing.T, s warden.Store) {
		st, err := s.ActivityState(t.Context(), "acme")
		must(t, err)
		if !st.Cursor.IsZero() || !st.AuditCursor.IsZero() || st.Recent != nil || st.Users != nil {
			t.Fatalf("ActivityState of an org never committed = %+v, want zero cursors and no users", st)
		}
		at := time.Date(2026, 11, 2, 9, 30, 0, 123456789, time.UTC)
		_, err = s.CommitActivity(t.Context(), &warden.ActivityState{Org: "acme", Cursor: at, AuditCursor: at.Add(-time.Hour),
			Recent: []string{"0Ya1", "0Ya2"}, Users: map[string]json.RawMessage{"sync@acme.example": json.RawMessage(`{"ips":["198.51.100.0/24"]}`)}}, nil)
		must(t, err)
		// A second commit updates one user and keeps the other.
		_, err = s.CommitActivity(t.Context(), &warden.ActivityState{Org: "acme", Cursor: at.Add(time.Minute), AuditCursor: at,
			Users: map[string]json.RawMessage{"GIS@acme.example": json.RawMessage(`{"n":1}`)}}, nil)
		must(t, err)
		_, err = s.CommitActivity(t.Context(), &warden.ActivityState{Org: "globex", Cursor: at}, nil)
		must(t, err)
		st, err = s.ActivityState(t.Context(), "acme")
		must(t, err)
		diff(t, "ActivityState", &warden.ActivityState{Org: "acme", Cursor: at.Add(time.Minute).Truncate(time.Microsecond), AuditCursor: at.Truncate(time.Microsecond),
			Users: map[string]json.RawMessage{"sync@acme.example": json.RawMessage(`{"ips":["198.51.100.0/24"]}`), "gis@acme.example": json.RawMessage(`{"n":1}`)}}, st)
	}},
	{"EventsDedupAndFilter", func(t *testing.T, s warden.Store) {
		at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		ev := func(key, user, rule string, at time.Time) *warden.ActivityEvent {
			return &warden.ActivityEvent{Key: key, Org: "acme", Username: user, Rule: rule, Severity: warden.SeverityHigh, Summary: "summary of " + key, Fix: "fix", At: at}
		}
		before := time.Now().UTC().Truncate(time.Microsecond)
		got, err := s.CommitActivity(t.Context(), &warden.ActivityState{Org: "acme", Cursor: at},
			[]*warden.ActivityEvent{ev("a", "sync@acme.example", "new_ip", at), ev("b", "gis@acme.example", "failed_logins", at.Add(time.Hour))})
		must(t, err)
		if len(got) != 2 || got[0].ID == 0 || got[1].ID == 0 || got[0].DetectedAt.Before(before) {
			t.Fatalf("CommitActivity recorded %+v, want both events with ids and detection times", got)
		}
		// A repeated key is skipped, a new one recorded.
		got, err = s.CommitActivity(t.Context(), &warden.ActivityState{Org: "acme", Cursor: at},
			[]*warden.ActivityEvent{ev("a", "sync@acme.example", "new_ip", at), ev("c", "sync@acme.example", "off_hours", at.Add(2*time.Hour))})
		must(t, err)
		if len(got) != 1 || got[0].Key != "c" {
			t.Fatalf("CommitActivity with a repeated key recorded %+v, want only c", got)
		}
		keys := func(f warden.ActivityFilter) []string {
			t.Helper()
			es, err := s.Activity(t.Context(), f)
			must(t, err)
			var out []string
			for _, e := range es {
				out = append(out, e.Key)
			}
			return out
		}
		// A nil state records events only and keeps the cursors.
		got, err = s.CommitActivity(t.Context(), nil, []*warden.ActivityEvent{ev("a", "sync@acme.example", "new_ip", at), ev("d", "sync@acme.example", "migration", at.Add(-time.Hour))})
		must(t, err)
		if len(got) != 1 || got[0].Key != "d" {
			t.Fatalf("CommitActivity without state recorded %+v, want only d", got)
		}
		st, err := s.ActivityState(t.Context(), "acme")
		must(t, err)
		if !st.Cursor.Equal(at) {
			t.Errorf("cursor after a commit without state = %v, want %v", st.Cursor, at)
		}
		diff(t, "Activity", []string{"c", "b", "a", "d"}, keys(warden.ActivityFilter{}))
		diff(t, "Activity of a user", []string{"c", "a", "d"}, keys(warden.ActivityFilter{Org: "acme", Username: "SYNC@acme.example"}))
		diff(t, "Activity since", []string{"c", "b"}, keys(warden.ActivityFilter{Since: at.Add(time.Hour)}))
		diff(t, "Activity of a rule", []string{"b"}, keys(warden.ActivityFilter{Rule: "failed_logins"}))
		diff(t, "Activity limited", []string{"c"}, keys(warden.ActivityFilter{Limit: 1}))
		diff(t, "Activity of the migration rule", []string{"d"}, keys(warden.ActivityFilter{Rule: "migration"}))
		es, err := s.Activity(t.Context(), warden.ActivityFilter{Rule: "failed_logins"})
		must(t, err)
		if e := es[0]; e.Org != "acme" || e.Username != "gis@acme.example" || e.Severity != warden.SeverityHigh || e.Summary != "summary of b" || e.Fix != "fix" || !e.At.Equal(at.Add(time.Hour)) {
			t.Errorf("Activity returned %+v, want the event as committed", e)
		}
	}},
	{"Validation", func(t *testing.T, s warden.Store) {
		at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		_, err := s.CommitActivity(t.Context(), &warden.ActivityState{}, nil)
		wantKind(t, err, warden.EINVALID, "org")
		_, err = s.CommitActivity(t.Context(), &warden.ActivityState{Org: "acme", Users: map[string]json.RawMessage{"u": json.RawMessage("{")}}, nil)
		wantKind(t, err, warden.EINVALID, "JSON")
		_, err = s.CommitActivity(t.Context(), &warden.ActivityState{Org: "acme"}, []*warden.ActivityEvent{{Key: "k", Org: "acme", Rule: "r", Severity: "urgent", Summary: "s", At: at}})
		wantKind(t, err, warden.EINVALID, "severity")
		_, err = s.Activity(t.Context(), warden.ActivityFilter{Limit: -1})
		wantKind(t, err, warden.EINVALID, "limit")
		es, err := s.Activity(t.Context(), warden.ActivityFilter{})
		must(t, err)
		if es != nil {
			t.Errorf("Activity after refused commits = %v, want nil", es)
		}
	}},
}
