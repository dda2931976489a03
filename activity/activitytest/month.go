// Package activitytest generates login history and setup audit trail
// rows for testing and benchmarking the activity rules: a month of
// ordinary integration traffic for many users, with anomalies planted at
// known places.
package activitytest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/activity"
)

// Options describe a generated month.
type Options struct {
	// Users is the number of integration users (at least 6 with Plant).
	Users int
	// End is the end of the month (the last login is before it).
	End time.Time
	// Every is the interval between a user's logins (default 20m).
	Every time.Duration
	// Plant adds one of each planted anomaly.
	Plant bool
}

// Planted is an anomaly the generator put in, with words its alert's
// explanation must contain.
type Planted struct {
	Rule, Username string
	Words          []string
}

// Month is a generated month of activity of one org.
type Month struct {
	Org   string
	Start time.Time
	End   time.Time
	Users []warden.ActivityUser
	// Logins are in time order.
	Logins  []warden.Login
	Changes []warden.SetupChange
	Planted []Planted
	// Hours are the declared hours, by lower-case username.
	Hours map[string]*activity.Hours
}

// Username is the name of generated user i.
func Username(i int) string { return fmt.Sprintf("int%05d@gen.example", i) }

// The planted users, by index.
const (
	plantNewNetwork = 1
	plantOffHours   = 2
	plantStorm      = 3
	plantChange     = 4
	plantDormant    = 5
)

// Generate returns a month of activity. Every user logs in successfully
// every Options.Every from its own address (10.x.y.5) through its own
// application; every third user declares the hours 06:00-20:00 UTC and
// logs in only then. With Plant:
//
//   - user 1 logs in once from 203.0.113.77 two days before End;
//   - user 2 (which declares hours) logs in 20 times around 02:00 UTC three
//     days before End;
//   - user 3 logs in 3,000 times between 10:05 and 10:55 UTC five days
//     before End;
//   - admin@gen.example changes user 4's profile four days before End;
//   - user 5 never logs in; its last login was 45 days before End.
func Generate(o Options) *Month {
	if o.Every <= 0 {
		o.Every = 20 * time.Minute
	}
	end := o.End.UTC().Truncate(time.Minute)
	start := end.Add(-30 * 24 * time.Hour)
	m := &Month{Org: "gen", Start: start, End: end, Hours: map[string]*activity.Hours{}}
	id := 0
	newID := func(prefix string) string {
		id++
		return fmt.Sprintf("%s%015d", prefix, id)
	}
	business := &activity.Hours{Zone: time.UTC, Allowed: map[time.Weekday][2]int{}}
	for d := time.Sunday; d <= time.Saturday; d++ {
		business.Allowed[d] = [2]int{6 * 60, 20 * 60}
	}
	for i := range o.Users {
		name := Username(i)
		u := warden.ActivityUser{Username: name, UserID: fmt.Sprintf("005%015d", i), Credential: warden.CredentialJWT,
			Profile: "Integration Profile", Owner: "team", Active: true,
			Dependents: []warden.AffectedApp{{Name: fmt.Sprintf("App-%d", i)}}}
		declared := i%3 == 2
		if declared {
			m.Hours[strings.ToLower(name)] = business
		}
		ip := fmt.Sprintf("10.%d.%d.5", i/250, i%250)
		row := func(at time.Time, ip string) warden.Login {
			return warden.Login{ID: newID("0Ya"), UserID: u.UserID, Time: at, Status: warden.LoginSuccess, LoginType: "Remote Access 2.0",
				APIType: "N/A", Application: fmt.Sprintf("App-%d", i), SourceIP: ip, CountryISO: "US"}
		}
		if o.Plant && i == plantDormant {
			u.LastLogin = end.Add(-45 * 24 * time.Hour)
			m.Users = append(m.Users, u)
			m.Planted = append(m.Planted, Planted{activity.RuleDormant, name, []string{"30 days", "jwt credential", "App-5"}})
			continue
		}
		// Spread users over the interval so that sweeps see a steady flow.
		offset := time.Duration(i) * o.Every / time.Duration(max(o.Users, 1))
		for at := start.Add(offset); at.Before(end); at = at.Add(o.Every) {
			if declared && !business.Contains(at) {
				continue
			}
			m.Logins = append(m.Logins, row(at, ip))
		}
		if !o.Plant {
			m.Users = append(m.Users, u)
			continue
		}
		switch i {
		case plantNewNetwork:
			at := end.Add(-48*time.Hour + 7*time.Minute)
			l := row(at, "203.0.113.77")
			l.CountryISO = "RO"
			m.Logins = append(m.Logins, l)
			m.Planted = append(m.Planted, Planted{activity.RuleNewNetwork, name, []string{"203.0.113.77", "203.0.113.0/24", ip[:strings.LastIndexByte(ip, '.')] + ".0/24"}})
		case plantOffHours:
			night := end.Add(-72 * time.Hour).Truncate(24 * time.Hour).Add(2 * time.Hour)
			for k := range 20 {
				m.Logins = append(m.Logins, row(night.Add(time.Duration(k)*time.Minute), ip))
			}
			m.Planted = append(m.Planted, Planted{activity.RuleOffHours, name, []string{"02:00", "outside its declared hours", ip}})
		case plantStorm:
			h := end.Add(-120 * time.Hour).Truncate(24 * time.Hour).Add(10*time.Hour + 5*time.Minute)
			for k := range 3000 {
				m.Logins = append(m.Logins, row(h.Add(time.Duration(k)*time.Second), ip))
			}
			m.Planted = append(m.Planted, Planted{activity.RuleHourlyVolume, name, []string{"App-3", "3600", "reuse its session"}})
		case plantChange:
			at := end.Add(-96 * time.Hour)
			m.Changes = append(m.Changes, warden.SetupChange{ID: newID("0Ym"), Time: at, Action: "changedprofileforuser", Section: "Manage Users",
				Display: "Changed profile for user " + name + " from Integration Profile to System Administrator", By: "admin@gen.example"})
			m.Planted = append(m.Planted, Planted{activity.RuleSetupChange, name, []string{"admin@gen.example", "changed its profile", "System Administrator"}})
		}
		m.Users = append(m.Users, u)
	}
	// An unrelated setup change (to a user Warden does not manage).
	m.Changes = append(m.Changes, warden.SetupChange{ID: newID("0Ym"), Time: end.Add(-50 * time.Hour), Action: "frozeuser",
		Display: "Froze user someone.else@gen.example", By: "admin@gen.example"})
	slices.SortStableFunc(m.Logins, func(a, b warden.Login) int { return a.Time.Compare(b.Time) })
	return m
}

// Sweeps cuts the month into the sweeps a monitor sweeping every interval
// would hand the activity rules: each sweep holds the rows of its
// interval and, as the monitor's overlapping reads do, those of the
// minute before. It calls fn for each sweep in order and stops when fn
// returns false.
func (m *Month) Sweeps(from time.Time, interval time.Duration, fn func(s *warden.ActivitySweep) bool) {
	li, ci := 0, 0
	for at := from.Add(interval); !at.After(m.End.Add(interval)); at = at.Add(interval) {
		lo := at.Add(-interval - time.Minute)
		s := &warden.ActivitySweep{Org: m.Org, At: at, Users: m.Users}
		for li < len(m.Logins) && m.Logins[li].Time.Before(lo) {
			li++
		}
		for j := li; j < len(m.Logins) && !m.Logins[j].Time.After(at); j++ {
			s.Logins = append(s.Logins, m.Logins[j])
		}
		for ci = 0; ci < len(m.Changes); ci++ {
			if c := m.Changes[ci]; !c.Time.Before(lo) && !c.Time.After(at) {
				s.Changes = append(s.Changes, c)
			}
		}
		if !fn(s) {
			return
		}
	}
}

// HoursOf returns the declared hours of the month's users, for
// activity.Options.Hours.
func (m *Month) HoursOf(org, username string) *activity.Hours {
	return m.Hours[strings.ToLower(username)]
}

// Traffic generates the ordinary logins of many users window by window,
// without holding a month in memory (for benchmarks): user i logs in
// successfully every Options.Every from its own address, starting at an
// offset that spreads the users over the interval.
type Traffic struct {
	every time.Duration
	start time.Time
	users []warden.ActivityUser
}

// NewTraffic returns the traffic of o.Users users from start.
func NewTraffic(o Options, start time.Time) *Traffic {
	if o.Every <= 0 {
		o.Every = 20 * time.Minute
	}
	t := &Traffic{every: o.Every, start: start.UTC()}
	for i := range o.Users {
		t.users = append(t.users, warden.ActivityUser{Username: Username(i), UserID: fmt.Sprintf("005%015d", i), Credential: warden.CredentialJWT,
			Profile: "Integration Profile", Owner: "team", Active: true, Dependents: []warden.AffectedApp{{Name: fmt.Sprintf("App-%d", i)}}})
	}
	return t
}

// Sweep returns the sweep at to holding the logins in (from, to].
func (t *Traffic) Sweep(org string, from, to time.Time) *warden.ActivitySweep {
	s := &warden.ActivitySweep{Org: org, At: to, Users: t.users}
	n := len(t.users)
	for i := range t.users {
		offset := time.Duration(i) * t.every / time.Duration(n)
		first := t.start.Add(offset)
		k := int64(0)
		if from.After(first) {
			k = int64(from.Sub(first)/t.every) + 1
			if first.Add(time.Duration(k-1) * t.every).After(from) {
				k--
			}
		}
		for at := first.Add(time.Duration(k) * t.every); !at.After(to); at, k = at.Add(t.every), k+1 {
			if !at.After(from) {
				continue
			}
			s.Logins = append(s.Logins, warden.Login{ID: fmt.Sprintf("0Ya%06d%09d", i, k), UserID: t.users[i].UserID, Time: at,
				Status: warden.LoginSuccess, LoginType: "Remote Access 2.0", Application: fmt.Sprintf("App-%d", i),
				SourceIP: fmt.Sprintf("10.%d.%d.5", i/250, i%250), CountryISO: "US"})
		}
	}
	return s
}
