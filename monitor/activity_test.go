package monitor_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/monitor"
)

// activityRecorder records what the monitor hands the activity rules.
type activityRecorder struct {
	mu     sync.Mutex
	sweeps []*warden.ActivitySweep
}

func (r *activityRecorder) Observe(_ context.Context, s *warden.ActivitySweep) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweeps = append(r.sweeps, s)
}

// TestActivityHook: each successful sweep hands the activity rules the
// rows it read for the first time (none twice), with Warden's own
// credential checks apart from the client's logins.
func TestActivityHook(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newMemDemo(t)
		rec := &activityRecorder{}
		mon := d.monitor(t, monitor.Options{Activity: rec}, "Acme Corp")
		for range 4 {
			if err := mon.SweepOrg(t.Context(), "Acme Corp"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(16 * time.Minute) // credential checks come due again
		}
		if len(rec.sweeps) != 4 {
			t.Fatalf("%d activity calls for 4 sweeps", len(rec.sweeps))
		}
		first := rec.sweeps[0]
		if first.Org != "Acme Corp" || len(first.Users) == 0 || len(first.Logins) == 0 || len(first.Changes) == 0 {
			t.Fatalf("first sweep handed %d users, %d logins, %d changes; want all three", len(first.Users), len(first.Logins), len(first.Changes))
		}
		seen := map[string]bool{}
		own := 0
		for i, s := range rec.sweeps {
			for _, l := range append(append([]warden.Login(nil), s.Logins...), s.Own...) {
				if seen[l.ID] {
					t.Errorf("sweep %d handed login %s again", i, l.ID)
				}
				seen[l.ID] = true
			}
			own += len(s.Own)
			if i > 0 && len(s.Changes) > 0 {
				t.Errorf("sweep %d handed %d setup changes again", i, len(s.Changes))
			}
		}
		if own == 0 {
			t.Error("no login was taken as Warden's own credential check")
		}
		found := false
		for _, u := range first.Users {
			if u.Username == "invoice.sync@acme.demo" {
				found = u.UserID != "" && u.Active && u.Credential == warden.CredentialRefreshToken && u.RefreshTokens["Invoice Sync"] == 1
			}
		}
		if !found {
			t.Errorf("invoice.sync@acme.demo is not handed over with its id, state, credential and refresh tokens: %+v", first.Users)
		}
	})
}
