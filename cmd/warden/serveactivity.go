package main

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/web"
)

// Login activity for the dashboard (docs/dashboard.md): what the user page
// charts is kept in memory from the rows the monitor's sweeps already
// read, never read from Salesforce per page view. Per user it holds a
// ring of 24 hourly counts (successes, failures by status) and the latest
// loginKeep logins and changeKeep setup changes, so its size does not grow
// with the login rate.
const (
	loginHours = 24
	loginKeep  = 200
	changeKeep = 50
)

// loginLog is the dashboard's Activity, fed by the sweeps (it is a
// monitor.Activity observer). Warden's own credential checks
// (ActivitySweep.Own) are not counted.
type loginLog struct {
	mu    sync.Mutex
	users map[string]*userLogins // org + "/" + lower-case username
}

// userLogins is one user's bounded login activity.
type userLogins struct {
	hours   [loginHours]web.LoginHour // ring, indexed by hour number modulo loginHours
	recent  []warden.Login            // oldest first, at most loginKeep
	changes []warden.SetupChange      // oldest first, at most changeKeep
}

func newLoginLog() *loginLog { return &loginLog{users: map[string]*userLogins{}} }

func loginKey(org, username string) string { return org + "/" + strings.ToLower(username) }

// Observe adds a sweep's new rows: each login to its user's hour and
// latest logins, each setup change to the users its description names.
func (g *loginLog) Observe(ctx context.Context, s *warden.ActivitySweep) {
	byID := map[string]string{}
	for _, u := range s.Users {
		if u.UserID != "" {
			byID[u.UserID] = u.Username
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	user := func(username string) *userLogins {
		k := loginKey(s.Org, username)
		u := g.users[k]
		if u == nil {
			u = &userLogins{}
			g.users[k] = u
		}
		return u
	}
	for _, l := range s.Logins {
		name, ok := byID[l.UserID]
		if !ok {
			continue
		}
		user(name).add(l)
	}
	for _, c := range s.Changes {
		display := strings.ToLower(c.Display)
		for _, u := range s.Users {
			if strings.Contains(display, strings.ToLower(u.Username)) {
				uc := user(u.Username)
				uc.changes = append(uc.changes, c)
				if len(uc.changes) > changeKeep {
					uc.changes = slices.Delete(uc.changes, 0, len(uc.changes)-changeKeep)
				}
			}
		}
	}
}

// add counts a login in its hour and keeps it among the latest. A login
// already among the latest is not counted again; one older than the
// ring's hour is dropped.
func (u *userLogins) add(l warden.Login) {
	if l.ID != "" && slices.ContainsFunc(u.recent, func(r warden.Login) bool { return r.ID == l.ID }) {
		return
	}
	start := l.Time.UTC().Truncate(time.Hour)
	h := &u.hours[(start.Unix()/3600)%loginHours]
	switch {
	case h.Start.After(start):
		return // more than a day older than what the slot holds
	case !h.Start.Equal(start):
		*h = web.LoginHour{Start: start}
	}
	if l.Succeeded() {
		h.Successes++
	} else {
		if h.Failures == nil {
			h.Failures = map[string]int{}
		}
		h.Failures[l.Status]++
	}
	i, _ := slices.BinarySearchFunc(u.recent, l.Time, func(r warden.Login, t time.Time) int { return r.Time.Compare(t) })
	u.recent = slices.Insert(u.recent, i, l)
	if len(u.recent) > loginKeep {
		u.recent = slices.Delete(u.recent, 0, len(u.recent)-loginKeep)
	}
}

// Logins returns the user's hourly counts since since (oldest first) and
// its latest logins since then (newest first).
func (g *loginLog) Logins(ctx context.Context, org, username string, since time.Time) (web.LoginActivity, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	a := web.LoginActivity{}
	u := g.users[loginKey(org, username)]
	if u == nil {
		return a, nil
	}
	from := since.UTC().Truncate(time.Hour)
	for _, h := range u.hours {
		if !h.Start.IsZero() && !h.Start.Before(from) {
			a.Hours = append(a.Hours, web.LoginHour{Start: h.Start, Successes: h.Successes, Failures: maps.Clone(h.Failures)})
		}
	}
	slices.SortFunc(a.Hours, func(x, y web.LoginHour) int { return x.Start.Compare(y.Start) })
	for _, l := range slices.Backward(u.recent) {
		if l.Time.Before(since) {
			break
		}
		a.Recent = append(a.Recent, l)
	}
	return a, nil
}

// SetupChanges returns the setup changes since since that named the
// user, newest first.
func (g *loginLog) SetupChanges(ctx context.Context, org, username string, since time.Time) ([]warden.SetupChange, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []warden.SetupChange
	if u := g.users[loginKey(org, username)]; u != nil {
		for _, c := range u.changes {
			if !c.Time.Before(since) {
				out = append(out, c)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b warden.SetupChange) int { return b.Time.Compare(a.Time) })
	return out, nil
}

// activities hands each sweep to every observer in turn.
type activities []monitor.Activity

// Observe calls every observer's Observe.
func (as activities) Observe(ctx context.Context, s *warden.ActivitySweep) {
	for _, a := range as {
		a.Observe(ctx, s)
	}
}
