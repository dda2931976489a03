package activity_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/activity"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
	"github.com/wardenhq/warden/salesforce"
)

// TestEmulatorMonth: a month of login history that the emulator generates
// with planted anomalies, read through the same Salesforce readers the
// monitor uses and handed to the rules hour by hour: each planted anomaly
// raises exactly one alert, and nothing else alerts.
func TestEmulatorMonth(t *testing.T) {
	seed, key, err := emulator.Demo(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e := emulatortest.Start(t, seed)
	var gen emulator.ActivityResult
	e.Control(t, "POST", "orgs/Globex%20Corporation/activity", emulator.ActivityRequest{Users: 20, Days: 30, Every: "1h", Anomalies: true}, &gen)
	client := salesforce.New(salesforce.Config{LoginURL: e.URL})
	s := salesforce.NewSession(client, &salesforce.JWTAuth{Client: client, Grant: salesforce.JWTGrant{ClientID: "warden-demo-globex", Username: "admin@globex.demo", Key: key}})
	users, err := salesforce.Users("WHERE Username IN "+salesforce.QuoteList(gen.Users)).Read(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	var au []warden.ActivityUser
	var ids []string
	for _, u := range users {
		au = append(au, warden.ActivityUser{Username: u.Username, UserID: u.ID, Active: u.IsActive, LastLogin: u.LastLogin, Credential: warden.CredentialJWT})
		ids = append(ids, u.ID)
	}
	now := time.Now().UTC()
	since := now.Add(-31 * 24 * time.Hour)
	logins, err := salesforce.LoginHistory("WHERE UserId IN "+salesforce.QuoteList(ids)+" AND LoginTime >= "+salesforce.DateTime(since)).Read(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := salesforce.SetupAuditTrail("WHERE CreatedDate >= "+salesforce.DateTime(since)).Read(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(logins, func(a, b warden.Login) int { return a.Time.Compare(b.Time) })
	hours := &activity.Hours{Zone: time.UTC, Allowed: map[time.Weekday][2]int{}}
	for d := time.Sunday; d <= time.Saturday; d++ {
		hours.Allowed[d] = [2]int{6 * 60, 20 * 60}
	}
	db := openStore(t, filepath.Join(t.TempDir(), "warden.db"))
	defer db.Close()
	rec := &recorder{}
	eng := activity.New(activity.Options{Store: db, Alerter: rec, Hours: func(org, username string) *activity.Hours {
		if username == gen.Anomalies["off_hours"] {
			return hours
		}
		return nil
	}})
	i := 0
	for at := since.Truncate(time.Hour).Add(time.Hour); !at.After(now.Add(time.Hour)); at = at.Add(time.Hour) {
		sw := &warden.ActivitySweep{Org: "globex", At: at, Users: au}
		for ; i < len(logins) && !logins[i].Time.After(at); i++ {
			sw.Logins = append(sw.Logins, logins[i])
		}
		for _, c := range changes {
			if c.Time.After(at.Add(-time.Hour)) && !c.Time.After(at) {
				sw.Changes = append(sw.Changes, c)
			}
		}
		if _, err := eng.Analyze(t.Context(), sw); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][]string{
		"new_network":   {"203.0.113.77"},
		"off_hours":     {"02:00"},
		"hourly_volume": {"3600"},
		"setup_change":  {"admin@globex.demo", "changed its profile"},
		"dormant":       {"30 days"},
	}
	for _, a := range rec.alerts {
		rule, _, _ := strings.Cut(strings.TrimPrefix(a.Key, "activity/"), "/")
		words, ok := want[rule]
		if !ok || a.Username != gen.Anomalies[rule] {
			t.Errorf("unexpected alert %s: %s", a.Key, a.Evidence)
			continue
		}
		delete(want, rule)
		for _, w := range words {
			if !strings.Contains(a.Evidence+" "+a.Fix, w) {
				t.Errorf("%s: %q does not say %q", a.Key, a.Evidence, w)
			}
		}
	}
	for rule := range want {
		t.Errorf("planted %s raised no alert", rule)
	}
}
