package activity_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/activity"
	"github.com/wardenhq/warden/activity/activitytest"
	"github.com/wardenhq/warden/sqlite"
)

// recorder collects alerts.
type recorder struct {
	mu     sync.Mutex
	alerts []*warden.Alert
}

func (r *recorder) Alert(_ context.Context, a *warden.Alert) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.alerts = append(r.alerts, a)
}

func openStore(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestPlantedMonth runs a generated month of login history through the
// rules, sweep by sweep, restarting the engine half-way (a new Engine on
// the same store, fed the last day again as a restarted monitor's first
// sweep is): every planted anomaly raises exactly one alert with its
// explanation, and nothing else alerts.
func TestPlantedMonth(t *testing.T) {
	end := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	m := activitytest.Generate(activitytest.Options{Users: 30, End: end, Every: 30 * time.Minute, Plant: true})
	path := filepath.Join(t.TempDir(), "warden.db")
	db := openStore(t, path)
	rec := &recorder{}
	newEngine := func(db warden.ActivityService) *activity.Engine {
		return activity.New(activity.Options{Store: db, Alerter: rec, Hours: m.HoursOf})
	}
	e := newEngine(db)
	// Restart in the middle of the off-hours burst, after its alert: the
	// day fed again holds rows already alerted, and the new network comes
	// after the restart.
	restart := end.Add(-72 * time.Hour).Truncate(24 * time.Hour).Add(2*time.Hour + 10*time.Minute)
	restarted := false
	var redo []*warden.ActivitySweep
	m.Sweeps(m.Start, 10*time.Minute, func(s *warden.ActivitySweep) bool {
		if !restarted && s.At.After(restart) {
			restarted = true
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = openStore(t, path)
			e = newEngine(db)
			// The restarted monitor's first sweep reads the last day again.
			day := &warden.ActivitySweep{Org: s.Org, At: s.At, Users: s.Users}
			for _, r := range redo {
				day.Logins = append(day.Logins, r.Logins...)
				day.Changes = append(day.Changes, r.Changes...)
			}
			day.Logins = append(day.Logins, s.Logins...)
			day.Changes = append(day.Changes, s.Changes...)
			s = day
		}
		redo = append(redo, s)
		if len(redo) > 144 {
			redo = redo[1:]
		}
		if _, err := e.Analyze(t.Context(), s); err != nil {
			t.Fatalf("Analyze at %s: %v", s.At, err)
		}
		return true
	})
	t.Cleanup(func() { db.Close() })
	if !restarted {
		t.Fatal("the engine was never restarted")
	}
	type got struct{ rule, user string }
	var alerted []got
	for _, a := range rec.alerts {
		ev, _, _ := strings.Cut(strings.TrimPrefix(a.Key, "activity/"), "/")
		alerted = append(alerted, got{ev, a.Username})
	}
	for _, p := range m.Planted {
		n := 0
		for _, a := range rec.alerts {
			if strings.HasPrefix(a.Key, "activity/"+p.Rule+"/") && a.Username == p.Username {
				n++
				for _, w := range p.Words {
					if !strings.Contains(a.Evidence+" "+a.Fix, w) {
						t.Errorf("%s alert of %s: %q does not say %q", p.Rule, p.Username, a.Evidence, w)
					}
				}
				if a.Fix == "" || a.Severity == "" {
					t.Errorf("%s alert of %s has no fix or severity: %+v", p.Rule, p.Username, a)
				}
			}
		}
		if n != 1 {
			t.Errorf("planted %s of %s raised %d alerts, want 1", p.Rule, p.Username, n)
		}
	}
	if len(rec.alerts) != len(m.Planted) {
		for _, a := range rec.alerts {
			t.Logf("alert %s: %s", a.Key, a.Evidence)
		}
		t.Errorf("%d alerts for %d planted anomalies", len(rec.alerts), len(m.Planted))
	}
	// The timeline holds the same findings.
	events, err := db.Activity(t.Context(), warden.ActivityFilter{Org: m.Org})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(m.Planted) {
		t.Errorf("timeline has %d events, want %d", len(events), len(m.Planted))
	}
	if !slices.IsSortedFunc(events, func(a, b *warden.ActivityEvent) int { return b.At.Compare(a.At) }) {
		t.Error("timeline is not newest first")
	}
}
