// Package activity analyses the login history and setup audit trail of
// integration users and raises alerts on what needs a person's attention:
// bursts of failed logins, logins from new networks or outside declared
// hours, jumps in login volume and volume near Salesforce's hourly login
// limit, browser logins to integration users, refresh tokens near the
// per-app limit, setup changes that touch integration users, and dormant
// users. It also finds the integrations still on legacy authentication and
// plans their migration (legacy.go, plan.go).
//
// The rules never query Salesforce: the monitor hands the Engine the rows
// each sweep read for the first time (monitor.Activity). The Engine runs
// every rule incrementally over the rows after its stored cursor, keeps
// each user's rule state (learned networks, counters) in the store so
// that a restart neither re-alerts old rows nor misses new ones, records
// each finding once (by a stable key per rule, user and window) and
// alerts through the notification channels.
package activity

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/monitor"
)

// overlap is how far before its cursor the Engine still accepts a row it
// has not processed (LoginHistory rows can appear late); rows older than
// that are taken as processed before.
const overlap = 5 * time.Minute

// Options configure an Engine.
type Options struct {
	// Store keeps events and rule state; required.
	Store warden.ActivityService
	// Alerter is told about every new finding; nil sends nothing.
	Alerter monitor.Alerter
	// Rules are the thresholds (zero fields take their defaults).
	Rules Rules
	// Hours returns the hours a user declares, or nil when it declares
	// none (the off-hours rule then skips the user).
	Hours func(org, username string) *Hours
	// DashboardURL prefixes links in alerts.
	DashboardURL string
	Logger       *slog.Logger
}

// Engine runs the activity rules; it implements monitor.Activity.
type Engine struct {
	opts    Options
	rules   Rules
	alerts  chan *warden.Alert
	running atomic.Bool // Run delivers the queued alerts

	mu   sync.Mutex // guards orgs; never held across I/O
	orgs map[string]*orgRun
}

// orgRun is the rule state of one org, owned by whoever holds flight.
type orgRun struct {
	flight chan struct{}
	loaded bool
	state  warden.ActivityState
	// logins and audit map the ids of the rows processed near the
	// cursors to their times.
	logins, audit map[string]time.Time
	users         map[string]*userState
}

// New returns an Engine.
func New(opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Engine{opts: opts, rules: opts.Rules.Defaults(), orgs: map[string]*orgRun{}, alerts: make(chan *warden.Alert, 1024)}
}

// Run delivers queued alerts until ctx ends. Without Run, Observe delivers
// each alert itself.
func (e *Engine) Run(ctx context.Context) error {
	e.running.Store(true)
	defer e.running.Store(false)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case a := <-e.alerts:
			e.opts.Alerter.Alert(ctx, a)
		}
	}
}

func (e *Engine) org(name string) *orgRun {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.orgs[name]
	if r == nil {
		r = &orgRun{flight: make(chan struct{}, 1)}
		e.orgs[name] = r
	}
	return r
}

// Observe runs the rules over the rows of one sweep. It records the new
// findings and the rule state, then alerts. Errors are logged: the next
// sweep's rows are analysed whatever happened to this one's.
func (e *Engine) Observe(ctx context.Context, s *warden.ActivitySweep) {
	if _, err := e.Analyze(ctx, s); err != nil && ctx.Err() == nil {
		e.opts.Logger.Error("activity analysis failed", "org", s.Org, "err", warden.ErrorMessage(err))
	}
}

// Analyze is Observe that returns the findings it recorded (and alerted)
// and its error.
func (e *Engine) Analyze(ctx context.Context, s *warden.ActivitySweep) ([]*warden.ActivityEvent, error) {
	r := e.org(s.Org)
	select {
	case r.flight <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-r.flight }()
	if !r.loaded {
		st, err := e.opts.Store.ActivityState(ctx, s.Org)
		if err != nil {
			return nil, err
		}
		r.load(st)
	}
	a := &analysis{e: e, r: r, s: s, dirty: map[string]bool{}, keys: map[string]bool{}}
	a.run()
	commit := r.state
	commit.Recent = r.recentIDs()
	commit.Users = map[string]json.RawMessage{}
	for name := range a.dirty {
		b, err := json.Marshal(r.users[name])
		if err != nil {
			return nil, warden.Errorf(warden.EINTERNAL, "activity state of %s: %v", name, err)
		}
		commit.Users[name] = b
	}
	recorded, err := e.opts.Store.CommitActivity(ctx, &commit, a.events)
	if err != nil {
		// The store still has the previous state: read it again next time
		// so that these rows are analysed again, not lost.
		r.loaded = false
		return nil, err
	}
	for _, ev := range recorded {
		e.alert(ctx, a.alertOf(ev))
	}
	return recorded, nil
}

func (e *Engine) alert(ctx context.Context, a *warden.Alert) {
	if e.opts.Alerter == nil {
		return
	}
	if !e.running.Load() {
		e.opts.Alerter.Alert(ctx, a)
		return
	}
	select {
	case e.alerts <- a:
	default:
		e.opts.Logger.Warn("activity alert queue full; delivering in the sweep", "key", a.Key)
		e.opts.Alerter.Alert(ctx, a)
	}
}

// load takes the stored state of the org.
func (r *orgRun) load(st *warden.ActivityState) {
	r.state = warden.ActivityState{Org: st.Org, Cursor: st.Cursor, AuditCursor: st.AuditCursor}
	r.logins, r.audit = map[string]time.Time{}, map[string]time.Time{}
	for _, id := range st.Recent {
		if rest, ok := strings.CutPrefix(id, "a:"); ok {
			r.audit[rest] = st.AuditCursor
		} else {
			r.logins[strings.TrimPrefix(id, "l:")] = st.Cursor
		}
	}
	r.users = map[string]*userState{}
	for name, raw := range st.Users {
		u := &userState{}
		if err := json.Unmarshal(raw, u); err == nil {
			r.users[name] = u
		}
	}
	r.loaded = true
}

// recentIDs returns the processed row ids still within the overlap of
// their cursor ("l:" and "a:" before login and audit row ids), and
// forgets the others.
func (r *orgRun) recentIDs() []string {
	var out []string
	for _, set := range []struct {
		prefix string
		ids    map[string]time.Time
		cursor time.Time
	}{{"l:", r.logins, r.state.Cursor}, {"a:", r.audit, r.state.AuditCursor}} {
		for id, at := range set.ids {
			if at.Before(set.cursor.Add(-overlap)) {
				delete(set.ids, id)
				continue
			}
			out = append(out, set.prefix+id)
		}
	}
	slices.Sort(out)
	return out
}

// analysis is one run of the rules over one sweep's rows.
type analysis struct {
	e      *Engine
	r      *orgRun
	s      *warden.ActivitySweep
	byID   map[string]*warden.ActivityUser
	dirty  map[string]bool // users whose state changed (lower-case username)
	keys   map[string]bool
	events []*warden.ActivityEvent
}

// user returns the state of an integration user, marking it changed.
func (a *analysis) user(u *warden.ActivityUser, at time.Time) *userState {
	name := strings.ToLower(u.Username)
	st := a.r.users[name]
	if st == nil {
		st = &userState{FirstSeen: at}
		a.r.users[name] = st
	}
	if at.Before(st.FirstSeen) {
		st.FirstSeen = at
	}
	a.dirty[name] = true
	return st
}

// emit adds a finding unless this run already has one with its key.
func (a *analysis) emit(rule string, sev warden.Severity, u *warden.ActivityUser, window string, at time.Time, summary, fix string) {
	key := rule + "/" + a.s.Org + "/"
	name := ""
	if u != nil {
		name = u.Username
		key += strings.ToLower(u.Username) + "/"
	}
	key += window
	if a.keys[key] {
		return
	}
	a.keys[key] = true
	a.events = append(a.events, &warden.ActivityEvent{Org: a.s.Org, Username: name, Rule: rule, Severity: sev, Key: key,
		Summary: summary, Fix: fix, At: at})
}

// alertOf is the alert of a recorded finding.
func (a *analysis) alertOf(ev *warden.ActivityEvent) *warden.Alert {
	al := &warden.Alert{Key: "activity/" + ev.Key, Org: ev.Org, Username: ev.Username, Severity: ev.Severity,
		Evidence: ev.Summary, Fix: ev.Fix, At: ev.DetectedAt}
	if u := a.userByName(ev.Username); u != nil {
		al.Owner, al.Dependents = u.Owner, u.Dependents
	}
	if a.e.opts.DashboardURL != "" && ev.Username != "" {
		al.URL = strings.TrimSuffix(a.e.opts.DashboardURL, "/") + "/users/" + url.PathEscape(ev.Org) + "/" + url.PathEscape(ev.Username)
	}
	return al
}

func (a *analysis) userByName(name string) *warden.ActivityUser {
	for i := range a.s.Users {
		if strings.EqualFold(a.s.Users[i].Username, name) {
			return &a.s.Users[i]
		}
	}
	return nil
}

// run applies every rule to the sweep's new rows.
func (a *analysis) run() {
	a.byID = map[string]*warden.ActivityUser{}
	for i := range a.s.Users {
		if u := &a.s.Users[i]; u.UserID != "" {
			a.byID[u.UserID] = u
		}
	}
	st := &a.r.state
	// Logins after the cursor (or within its overlap and not seen), in
	// time order.
	logins := make([]warden.Login, 0, len(a.s.Logins))
	for _, l := range a.s.Logins {
		if a.byID[l.UserID] == nil || a.seen(a.r.logins, l.ID, l.Time, st.Cursor) {
			continue
		}
		logins = append(logins, l)
	}
	slices.SortStableFunc(logins, func(x, y warden.Login) int {
		if c := x.Time.Compare(y.Time); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	for i := range logins {
		l := &logins[i]
		u := a.byID[l.UserID]
		a.login(u, a.user(u, l.Time), l)
		if l.ID != "" {
			a.r.logins[l.ID] = l.Time
		}
		if l.Time.After(st.Cursor) {
			st.Cursor = l.Time
		}
	}
	a.own()
	changes := make([]warden.SetupChange, 0, len(a.s.Changes))
	for _, c := range a.s.Changes {
		if !a.seen(a.r.audit, c.ID, c.Time, st.AuditCursor) {
			changes = append(changes, c)
		}
	}
	slices.SortStableFunc(changes, func(x, y warden.SetupChange) int { return x.Time.Compare(y.Time) })
	for i := range changes {
		c := &changes[i]
		a.setupChange(c)
		if c.ID != "" {
			a.r.audit[c.ID] = c.Time
		}
		if c.Time.After(st.AuditCursor) {
			st.AuditCursor = c.Time
		}
	}
	// Rules of the user's state as of the sweep.
	for i := range a.s.Users {
		u := &a.s.Users[i]
		if u.UserID == "" {
			continue
		}
		name := strings.ToLower(u.Username)
		us := a.r.users[name]
		if us == nil {
			us = a.user(u, a.s.At)
		}
		before := us.fingerprint()
		a.closeHours(u, us, a.s.At)
		a.dormant(u, us)
		a.refreshTokens(u)
		if us.fingerprint() != before {
			a.dirty[name] = true
		}
	}
}

// seen reports whether a row was processed before: older than the
// cursor's overlap, or within it and recorded.
func (a *analysis) seen(ids map[string]time.Time, id string, at, cursor time.Time) bool {
	if cursor.IsZero() {
		return false
	}
	if at.Before(cursor.Add(-overlap)) {
		return true
	}
	_, ok := ids[id]
	return ok && id != ""
}

// ownKept is how long the source of one of Warden's own logins is
// remembered after its last use.
const ownKept = 90 * 24 * time.Hour

// own records the sources of the sweep's own logins (Warden's credential
// checks) in their users' state, and forgets those unused for ownKept.
func (a *analysis) own() {
	for i := range a.s.Own {
		l := &a.s.Own[i]
		u := a.byID[l.UserID]
		if u == nil {
			continue
		}
		st := a.user(u, l.Time)
		if st.Own == nil {
			st.Own = map[string]time.Time{}
		}
		key := OwnSource(l)
		if l.Time.After(st.Own[key]) {
			st.Own[key] = l.Time
		}
		for k, at := range st.Own {
			if at.Before(l.Time.Add(-ownKept)) {
				delete(st.Own, k)
			}
		}
	}
}

// OwnSource identifies where a login came from and how: its source
// address, login type, API type and application. Warden's own logins
// as a user share one; a client's logins with the same are taken for
// Warden's.
func OwnSource(l *warden.Login) string {
	return l.SourceIP + "|" + l.LoginType + "|" + l.APIType + "|" + l.Application
}

// OwnLogins returns the test that tells Warden's own logins as username
// from the client's, from the org's stored rule state st: a login is
// Warden's when its OwnSource is one the monitor matched to Warden's
// credential checks. It returns nil when none is known.
func OwnLogins(st *warden.ActivityState, username string) func(*warden.Login) bool {
	if st == nil {
		return nil
	}
	raw, ok := st.Users[strings.ToLower(username)]
	if !ok {
		return nil
	}
	var u userState
	if json.Unmarshal(raw, &u) != nil || len(u.Own) == 0 {
		return nil
	}
	return func(l *warden.Login) bool {
		_, own := u.Own[OwnSource(l)]
		return own
	}
}
