package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/web"
)

// fakeActivity answers every user with the same logins and setup
// changes, and remembers the since it was asked for.
type fakeActivity struct {
	logins  web.LoginActivity
	changes []warden.SetupChange
	err     error
	since   *time.Time
}

func (f fakeActivity) Logins(ctx context.Context, org, username string, since time.Time) (web.LoginActivity, error) {
	*f.since = since
	return f.logins, f.err
}

func (f fakeActivity) SetupChanges(ctx context.Context, org, username string, since time.Time) ([]warden.SetupChange, error) {
	return f.changes, f.err
}

// fakeSchedule lists fixed scheduled rotations.
type fakeSchedule []web.ScheduledRotation

func (f fakeSchedule) ScheduledRotations(ctx context.Context) ([]web.ScheduledRotation, error) {
	return f, nil
}

// TestUserLoginActivity: the user page charts what the Activity counts
// per hour (successes and failures by status, against the hourly limit)
// and lists the latest logins and setup changes; the activity API returns
// the same; without an Activity both are absent.
func TestUserLoginActivity(t *testing.T) {
	hours := web.LoginActivity{
		Hours: []web.LoginHour{
			{Start: at.Add(-30 * time.Hour), Successes: 1000}, // older than the chart: not drawn
			{Start: at.Add(-2 * time.Hour), Successes: 3300, Failures: map[string]int{"Invalid Password": 7}},
			{Start: at, Successes: 40, Failures: map[string]int{"User is Frozen": 2, "Invalid Password": 1}},
		},
		Recent: []warden.Login{{ID: "0Ya1", Time: at, Status: "User is Frozen", LoginType: "Remote Access 2.0", SourceIP: "203.0.113.9"}},
	}
	changes := []warden.SetupChange{{Time: at.Add(-time.Hour), Action: "frozeuser", Display: "Froze user gis@acme.test", By: "admin@acme.test"}}
	for _, tt := range []struct {
		name     string
		activity *fakeActivity
		code     int
		page     []string // the user page has these
		not      []string // and not these
		api      func(t *testing.T, a web.UserActivity)
	}{
		{name: "no activity", code: 200, not: []string{"Logins per hour", "Latest logins", "Setup changes"},
			api: func(t *testing.T, a web.UserActivity) {
				if a.LoginsRead || a.LoginHours == nil || a.Logins == nil {
					t.Errorf("without an Activity: %+v", a)
				}
			}},
		{name: "counts per hour", activity: &fakeActivity{logins: hours, changes: changes}, code: 200,
			page: []string{"Logins per hour", "3,600 / hour", "3350 logins in the last 24 hours", "Invalid Password: 8.", "User is Frozen: 2.",
				`<table id="logins">`, "203.0.113.9", `<table id="setup">`, "Froze user gis@acme.test", "06h Invalid Password: 1", "04h successes: 3300"},
			api: func(t *testing.T, a web.UserActivity) {
				if !a.LoginsRead || len(a.LoginHours) != 3 || a.LoginHours[2].Failures["User is Frozen"] != 2 || len(a.Logins) != 1 || len(a.SetupChanges) != 1 {
					t.Errorf("activity API: %+v", a)
				}
			}},
		{name: "no logins yet", activity: &fakeActivity{}, code: 200, not: []string{"Logins per hour", "Latest logins"},
			api: func(t *testing.T, a web.UserActivity) {
				if !a.LoginsRead || a.LoginHours == nil || len(a.LoginHours) != 0 {
					t.Errorf("activity API: %+v", a)
				}
			}},
		{name: "activity fails", activity: &fakeActivity{err: errors.New("boom")}, code: 500},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := emptyStore()
			seed(t, store)
			s := web.NewServer()
			s.Store, s.Readiness, s.Authenticate, s.Now = store, readiness(true), operator, func() time.Time { return at.Add(30 * time.Minute) }
			var since time.Time
			if tt.activity != nil {
				tt.activity.since = &since
				s.Activity = *tt.activity
			}
			resp := do(t, s, request{path: "/users/acme/gis@acme.test"})
			b := body(t, resp)
			if resp.StatusCode != tt.code {
				t.Fatalf("user page: %d, want %d: %s", resp.StatusCode, tt.code, b)
			}
			for _, want := range tt.page {
				if !strings.Contains(b, want) {
					t.Errorf("user page lacks %q", want)
				}
			}
			for _, bad := range tt.not {
				if strings.Contains(b, bad) {
					t.Errorf("user page has %q", bad)
				}
			}
			if tt.activity != nil && !since.Equal(at.Add(30*time.Minute-24*time.Hour)) {
				t.Errorf("Activity asked since %v, want the last 24 hours", since)
			}
			resp = do(t, s, request{path: "/api/v1/users/acme/gis@acme.test/activity"})
			b = body(t, resp)
			if resp.StatusCode != tt.code {
				t.Fatalf("activity API: %d, want %d: %s", resp.StatusCode, tt.code, b)
			}
			if tt.api != nil {
				var a web.UserActivity
				if err := json.Unmarshal([]byte(b), &a); err != nil {
					t.Fatal(err)
				}
				tt.api(t, a)
			}
		})
	}
}

// TestOverviewRotations: the overview lists the scheduled rotations the
// Schedule gives, with due date and whether owners were warned, and the
// running rotations of the store; with neither it has no such section.
func TestOverviewRotations(t *testing.T) {
	sched := fakeSchedule{
		{Credential: "gis-jwt", Org: "acme", Username: "gis@acme.test", Every: "720h0m0s", Due: at.Add(48 * time.Hour), WarnAt: at.Add(-24 * time.Hour), Warned: true},
		{Credential: "erp-pw", Org: "acme", Username: "erp@acme.test", Every: "2160h0m0s", Due: at.Add(30 * 24 * time.Hour), WarnAt: at.Add(27 * 24 * time.Hour)},
	}
	for _, tt := range []struct {
		name     string
		schedule web.Schedule
		running  bool
		page     []string
		not      []string
	}{
		{name: "nothing scheduled", not: []string{"Upcoming and running rotations"}},
		{name: "scheduled", schedule: sched, page: []string{"Upcoming and running rotations", `data-credential="gis-jwt"`, `data-credential="erp-pw"`,
			"720h0m0s", "yes", "no, at 2026-12-20"}, not: []string{`<table id="running"`}},
		{name: "running", running: true, page: []string{"Upcoming and running rotations", `<table id="running"`, "rot-1", "test trigger"},
			not: []string{`<table id="scheduled"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := emptyStore()
			seed(t, store)
			if tt.running {
				if err := store.CreateRotationJob(t.Context(), &warden.RotationJob{ID: "rot-1", Credential: "gis-jwt", Org: "acme", Kind: warden.CredentialJWT,
					State: warden.RotationRunning, Step: "mint", Trigger: "test trigger", CreatedAt: at}); err != nil {
					t.Fatal(err)
				}
			}
			s := web.NewServer()
			s.Store, s.Readiness, s.Authenticate, s.Now = store, readiness(true), operator, func() time.Time { return at }
			s.Schedule = tt.schedule
			resp := do(t, s, request{path: "/"})
			b := body(t, resp)
			if resp.StatusCode != 200 {
				t.Fatalf("overview: %d: %s", resp.StatusCode, b)
			}
			for _, want := range tt.page {
				if !strings.Contains(b, want) {
					t.Errorf("overview lacks %q", want)
				}
			}
			for _, bad := range tt.not {
				if strings.Contains(b, bad) {
					t.Errorf("overview has %q", bad)
				}
			}
		})
	}
}
