package main

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// TestLoginLog: the dashboard's login activity counts each sweep's new
// logins per user and hour (failures by status), leaves out Warden's own,
// counts a row seen again once, keeps at most loginKeep rows in full and
// forgets hours more than a day old; setup changes go to the users they
// name.
func TestLoginLog(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 30, 0, 0, time.UTC)
	users := []warden.ActivityUser{{Username: "etl@acme.test", UserID: "005A"}, {Username: "gis@acme.test", UserID: "005B"}}
	login := func(id, user, status string, at time.Time) warden.Login {
		return warden.Login{ID: id, UserID: user, Status: status, Time: at}
	}
	many := func(n int, at time.Time) []warden.Login {
		var ls []warden.Login
		for i := range n {
			ls = append(ls, login("m"+strconv.Itoa(i), "005A", warden.LoginSuccess, at.Add(time.Duration(i)*time.Millisecond)))
		}
		return ls
	}
	for _, tt := range []struct {
		name    string
		sweeps  []*warden.ActivitySweep
		user    string
		hours   map[time.Time]string // hour start: "successes failures"
		recent  int
		changes int
	}{
		{name: "counts per hour and status", user: "etl@acme.test",
			sweeps: []*warden.ActivitySweep{{Org: "acme", Users: users, Logins: []warden.Login{
				login("1", "005A", warden.LoginSuccess, now.Add(-time.Hour)),
				login("2", "005A", "Invalid Password", now),
				login("3", "005A", "Invalid Password", now),
				login("4", "005B", warden.LoginSuccess, now), // another user's
				login("5", "005C", warden.LoginSuccess, now), // not an integration user of the sweep
			}, Own: []warden.Login{login("6", "005A", warden.LoginSuccess, now)}}},
			hours: map[time.Time]string{now.Truncate(time.Hour).Add(-time.Hour): "1 map[]", now.Truncate(time.Hour): "0 map[Invalid Password:2]"}, recent: 3},
		{name: "a row seen again counts once", user: "etl@acme.test",
			sweeps: []*warden.ActivitySweep{
				{Org: "acme", Users: users, Logins: []warden.Login{login("1", "005A", warden.LoginSuccess, now)}},
				{Org: "acme", Users: users, Logins: []warden.Login{login("1", "005A", warden.LoginSuccess, now)}},
			},
			hours: map[time.Time]string{now.Truncate(time.Hour): "1 map[]"}, recent: 1},
		{name: "a day later the hour's slot starts again", user: "etl@acme.test",
			sweeps: []*warden.ActivitySweep{
				{Org: "acme", Users: users, Logins: []warden.Login{login("1", "005A", warden.LoginSuccess, now.Truncate(time.Hour).Add(-24*time.Hour))}},
				{Org: "acme", Users: users, Logins: []warden.Login{login("2", "005A", "User is Frozen", now), login("0", "005A", warden.LoginSuccess, now.Add(-48*time.Hour))}},
			},
			hours: map[time.Time]string{now.Truncate(time.Hour): "0 map[User is Frozen:1]"}, recent: 1},
		{name: "the latest rows are bounded, the counts are not", user: "etl@acme.test",
			sweeps: []*warden.ActivitySweep{{Org: "acme", Users: users, Logins: many(3300, now.Truncate(time.Hour))}},
			hours:  map[time.Time]string{now.Truncate(time.Hour): "3300 map[]"}, recent: loginKeep},
		{name: "setup changes of the user", user: "gis@acme.test",
			sweeps: []*warden.ActivitySweep{{Org: "acme", Users: users, Changes: []warden.SetupChange{
				{Time: now, Action: "frozeuser", Display: "Froze user GIS@acme.test"},
				{Time: now, Action: "frozeuser", Display: "Froze user other@acme.test"},
			}}},
			hours: map[time.Time]string{}, changes: 1},
		{name: "another org's user of the same name", user: "etl@acme.test",
			sweeps: []*warden.ActivitySweep{{Org: "globex", Users: users, Logins: []warden.Login{login("1", "005A", warden.LoginSuccess, now)}}},
			hours:  map[time.Time]string{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := newLoginLog()
			for _, s := range tt.sweeps {
				g.Observe(t.Context(), s)
			}
			ctx := context.Background()
			since := now.Add(-24 * time.Hour)
			a, err := g.Logins(ctx, "acme", tt.user, since)
			if err != nil {
				t.Fatal(err)
			}
			got := map[time.Time]string{}
			for _, h := range a.Hours {
				got[h.Start] = strconv.Itoa(h.Successes) + " " + fmtCounts(h.Failures)
			}
			if len(got) != len(tt.hours) {
				t.Errorf("hours %v, want %v", got, tt.hours)
			}
			for k, v := range tt.hours {
				if got[k] != v {
					t.Errorf("hour %v: %q, want %q", k, got[k], v)
				}
			}
			if len(a.Recent) != tt.recent {
				t.Errorf("%d recent logins, want %d", len(a.Recent), tt.recent)
			}
			for i := 1; i < len(a.Recent); i++ {
				if a.Recent[i].Time.After(a.Recent[i-1].Time) {
					t.Fatalf("recent logins not newest first")
				}
			}
			cs, err := g.SetupChanges(ctx, "acme", tt.user, since)
			if err != nil || len(cs) != tt.changes {
				t.Errorf("setup changes %v %v, want %d", cs, err, tt.changes)
			}
		})
	}
}

// fmtCounts writes a count map as fmt would ("map[a:1 b:2]"), sorted.
func fmtCounts(m map[string]int) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+":"+strconv.Itoa(v))
	}
	slices.Sort(parts)
	return "map[" + strings.Join(parts, " ") + "]"
}

// TestDashboardLoginActivityAndRotations runs warden serve on the demo
// with a rotation schedule: after the first sweeps, the page of the demo
// user whose password locked charts its real logins (successes and the
// failures by status the emulator recorded), and the overview lists the
// scheduled rotations, with the owners of the one inside its warning
// period warned.
func TestDashboardLoginActivityAndRotations(t *testing.T) {
	cfg, _ := demoConfigFor(t)
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	y := strings.Replace(string(b), `sweepInterval: "1m0s"`, `sweepInterval: "2s"`, 1)
	y += "  schedules:\n    - {credential: \"erp.sync-globex\", every: 720h}\n    - {credential: \"jwt.analytics-acme\", every: 80h, warnBefore: 90h}\n"
	if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	tok := viewerToken(t, func(string) string { return "" }, cfg)
	base := startServe(t, "serve", "--config", cfg)
	count := regexp.MustCompile(`(\d+) logins in the last 24 hours`)
	var page string
	waitFor(t, "the login chart of etl.loader", 60*time.Second, func() bool {
		_, page = getAs(t, base+"/users/acme/etl.loader@acme.demo", tok)
		return count.MatchString(page) && strings.Contains(page, "Password Lockout: 3.") // the status evidence names it too
	})
	m := count.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the user page has no login chart:\n%s", page)
	}
	// The demo seeds 9 "Invalid Password" and 3 "Password Lockout" rows in
	// the last quarter hour, after hourly successes.
	for _, want := range []string{"Logins per hour", "3,600 / hour", "Invalid Password: 9.", "Password Lockout: 3.", `<table id="logins">`, "ETL Loader"} {
		if !strings.Contains(page, want) {
			t.Errorf("etl.loader's page lacks %q", want)
		}
	}
	t.Logf("etl.loader: %s", m[0])
	if n, _ := strconv.Atoi(m[1]); n < 12 {
		t.Errorf("%d logins in the last 24 hours, want the 12 failures and the successes", n)
	}
	// 3,300 logins in the last hour: counted, not capped at the rows kept.
	waitFor(t, "the login chart of order.webhook", 30*time.Second, func() bool {
		_, page = getAs(t, base+"/users/acme/order.webhook@acme.demo", tok)
		m := count.FindStringSubmatch(page)
		n := 0
		if m != nil {
			n, _ = strconv.Atoi(m[1])
		}
		return n >= 3300
	})
	var overview string
	waitFor(t, "the scheduled rotations on the overview", 30*time.Second, func() bool {
		_, overview = getAs(t, base+"/", tok)
		return strings.Contains(overview, `data-credential="jwt.analytics-acme"`) && strings.Contains(overview, "<td data-label=\"Owners warned\">yes</td>")
	})
	for _, want := range []string{"Upcoming and running rotations", `data-credential="erp.sync-globex"`, "erp.sync@globex.demo", "720h0m0s", "no, at "} {
		if !strings.Contains(overview, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
}
