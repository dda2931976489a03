package activity_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/activity"
)

var (
	t0   = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	user = warden.ActivityUser{Username: "sync@acme.example", UserID: "005000000000001AAA", Active: true, Credential: warden.CredentialPassword,
		LastLogin: t0}
)

// fail is a failed login of user.
func fail(n int, at time.Time, status, ip string) warden.Login {
	return warden.Login{ID: fmt.Sprintf("0Ya%015d", n), UserID: user.UserID, Time: at, Status: status, LoginType: "Remote Access 2.0",
		Application: "Sync", SourceIP: ip}
}

// sweep is one sweep's rows, at the time of its last row plus a minute.
func sweep(logins ...warden.Login) *warden.ActivitySweep {
	s := &warden.ActivitySweep{Org: "acme", Users: []warden.ActivityUser{user}, Logins: logins, At: t0}
	for _, l := range logins {
		if l.Time.After(s.At) {
			s.At = l.Time
		}
	}
	s.At = s.At.Add(time.Minute)
	return s
}

func TestRules(t *testing.T) {
	tests := []struct {
		name   string
		sweeps [][]warden.Login
		want   []string // per alert: rule, then words of its explanation
	}{
		{
			name: "failed burst names statuses, addresses and application",
			sweeps: [][]warden.Login{
				{fail(1, t0, "Invalid Password", "198.51.100.7"), fail(2, t0.Add(time.Minute), "Invalid Password", "198.51.100.7")},
				{fail(3, t0.Add(2*time.Minute), "Invalid Password", "198.51.100.8"), fail(4, t0.Add(3*time.Minute), "Failed: API security token required", "198.51.100.7"),
					fail(5, t0.Add(4*time.Minute), "Password Lockout", "198.51.100.7"),
					fail(6, t0.Add(5*time.Minute), "Password Lockout", "198.51.100.7")}, // the same burst: no second alert
			},
			want: []string{"failed_logins 5 failed logins|3 × Invalid Password|1 × Password Lockout|4 × 198.51.100.7|1 × 198.51.100.8|Sync|locked out"},
		},
		{
			name: "a burst after a quiet window alerts again",
			sweeps: [][]warden.Login{
				{fail(1, t0, "User is Frozen", "198.51.100.7"), fail(2, t0.Add(time.Second), "User is Frozen", "198.51.100.7"), fail(3, t0.Add(2*time.Second), "User is Frozen", "198.51.100.7"),
					fail(4, t0.Add(3*time.Second), "User is Frozen", "198.51.100.7"), fail(5, t0.Add(4*time.Second), "User is Frozen", "198.51.100.7")},
				{fail(6, t0.Add(time.Hour), "Restricted IP", "203.0.113.9"), fail(7, t0.Add(time.Hour+time.Second), "Restricted IP", "203.0.113.9"),
					fail(8, t0.Add(time.Hour+2*time.Second), "Restricted IP", "203.0.113.9"), fail(9, t0.Add(time.Hour+3*time.Second), "Restricted IP", "203.0.113.9"),
					fail(10, t0.Add(time.Hour+4*time.Second), "Restricted IP", "203.0.113.9")},
			},
			want: []string{"failed_logins 5 × User is Frozen|frozen or inactive", "failed_logins 5 × Restricted IP|203.0.113.9|Login IP Ranges"},
		},
		{
			name:   "four failures are not a burst",
			sweeps: [][]warden.Login{{fail(1, t0, "Invalid Password", "198.51.100.7"), fail(2, t0.Add(time.Minute), "Invalid Password", "198.51.100.7"), fail(3, t0.Add(2*time.Minute), "Invalid Password", "198.51.100.7"), fail(4, t0.Add(3*time.Minute), "Invalid Password", "198.51.100.7")}},
		},
		{
			name: "a browser login to an integration user",
			sweeps: [][]warden.Login{{{ID: "0Ya1", UserID: user.UserID, Time: t0, Status: "Success", LoginType: "Application", Browser: "Chrome 130", Platform: "Mac OSX", SourceIP: "203.0.113.50"},
				{ID: "0Ya2", UserID: user.UserID, Time: t0.Add(time.Hour), Status: "Success", LoginType: "Application", SourceIP: "203.0.113.50"}}}, // same day: one alert
			want: []string{"interactive_login through the browser|Chrome 130|203.0.113.50|API Only"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openStore(t, filepath.Join(t.TempDir(), "warden.db"))
			defer db.Close()
			rec := &recorder{}
			e := activity.New(activity.Options{Store: db, Alerter: rec})
			for _, rows := range tt.sweeps {
				if _, err := e.Analyze(t.Context(), sweep(rows...)); err != nil {
					t.Fatal(err)
				}
			}
			checkAlerts(t, rec.alerts, tt.want)
		})
	}
}

// checkAlerts compares alerts with wants of the form "rule word|word|...".
func checkAlerts(t *testing.T, alerts []*warden.Alert, want []string) {
	t.Helper()
	if len(alerts) != len(want) {
		for _, a := range alerts {
			t.Logf("alert %s: %s", a.Key, a.Evidence)
		}
		t.Fatalf("%d alerts, want %d", len(alerts), len(want))
	}
	for i, w := range want {
		rule, words, _ := strings.Cut(w, " ")
		a := alerts[i]
		if !strings.HasPrefix(a.Key, "activity/"+rule+"/") {
			t.Errorf("alert %d is %s, want rule %s", i, a.Key, rule)
		}
		for _, word := range strings.Split(words, "|") {
			if !strings.Contains(a.Evidence+" "+a.Fix, word) {
				t.Errorf("alert %s: %q (fix %q) does not say %q", a.Key, a.Evidence, a.Fix, word)
			}
		}
	}
}

// TestRestart: after a restart, rows fed again (the monitor's first sweep
// reads the last day) are neither counted nor alerted again, and a new row
// after them is.
func TestRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.db")
	db := openStore(t, path)
	rec := &recorder{}
	old := []warden.Login{fail(1, t0, "Invalid Password", "198.51.100.7"), fail(2, t0.Add(time.Minute), "Invalid Password", "198.51.100.7"),
		fail(3, t0.Add(2*time.Minute), "Invalid Password", "198.51.100.7"), fail(4, t0.Add(3*time.Minute), "Invalid Password", "198.51.100.7")}
	if _, err := activity.New(activity.Options{Store: db, Alerter: rec}).Analyze(t.Context(), sweep(old...)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openStore(t, path)
	defer db.Close()
	e := activity.New(activity.Options{Store: db, Alerter: rec})
	if _, err := e.Analyze(t.Context(), sweep(old...)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 0 {
		t.Fatalf("rows fed again after a restart alerted: %s", rec.alerts[0].Evidence)
	}
	if _, err := e.Analyze(t.Context(), sweep(append(old, fail(5, t0.Add(4*time.Minute), "Invalid Password", "198.51.100.7"))...)); err != nil {
		t.Fatal(err)
	}
	checkAlerts(t, rec.alerts, []string{"failed_logins 5 failed logins|5 × Invalid Password"})
}

func TestRefreshTokensAndSetupChanges(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "warden.db"))
	defer db.Close()
	rec := &recorder{}
	e := activity.New(activity.Options{Store: db, Alerter: rec})
	u := user
	u.Profile = "Integration Base"
	u.RefreshTokens = map[string]int{"Invoice Sync": 4, "Other": 1}
	s := &warden.ActivitySweep{Org: "acme", At: t0, Users: []warden.ActivityUser{u}, Changes: []warden.SetupChange{
		{ID: "0Ym1", Time: t0.Add(-time.Hour), Action: "resetpassword", Display: "Reset password for user sync@acme.example", By: "admin@acme.example"},
		{ID: "0Ym2", Time: t0.Add(-time.Hour), Action: "loginiprange", Display: "Changed login IP ranges of profile Integration Base", By: "admin@acme.example", DelegateUser: "helpdesk@acme.example"},
		{ID: "0Ym3", Time: t0.Add(-time.Hour), Action: "createdcustomfield", Display: "Created custom field sync@acme.example__c", By: "admin@acme.example"},
		{ID: "0Ym4", Time: t0.Add(-time.Hour), Action: "frozeuser", Display: "Froze user other@acme.example", By: "admin@acme.example"},
	}}
	for range 2 { // the same sweep twice: nothing new the second time
		if _, err := e.Analyze(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	checkAlerts(t, rec.alerts, []string{
		"setup_change admin@acme.example reset its password|resetpassword",
		"setup_change changed the login IP ranges of its profile|logged in as helpdesk@acme.example",
		"refresh_tokens 4 refresh tokens|Invoice Sync|revokes the oldest",
	})
	if rec.alerts[0].Severity != warden.SeverityHigh || rec.alerts[1].Severity != warden.SeverityMedium {
		t.Errorf("severities %s, %s; want high for a password reset, medium for an IP range change", rec.alerts[0].Severity, rec.alerts[1].Severity)
	}
}
