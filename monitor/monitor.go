// Package monitor proves continuously that each integration user can still
// work. One sweep per org reads the state of all its users in one composite
// API request through the org's monitoring session (no login per sweep);
// User change events pushed over the Streaming API trigger a sweep at once;
// each user's own credential is tried within a login budget (budget.go).
// Every failure resolves to exactly one cause (Classify); state changes are
// debounced, stored as health history and as the user's current status
// (warden.UserStatus), and announced, and so are recoveries.
//
// No lock is held across network I/O or alert delivery: one sweep of an
// org runs at a time (a single flight that owns the org's sweep state),
// readers use published snapshots and atomics, and alerts go through a
// bounded queue that Run drains.
package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// Org is one org to monitor. The monitor does not change an Org it is
// given; Reload replaces it with a new one.
type Org struct {
	Name string
	// Session is the monitoring credential's session, reused by every sweep.
	Session *salesforce.Session
	Targets []Target
	// PasswordExpiresDays is the org's password policy, which the API does
	// not expose: 0 means the Salesforce default, 90; negative means never.
	PasswordExpiresDays int
	// DailyAPIShare caps the share of the org's daily API requests the
	// monitor uses (default 0.05).
	DailyAPIShare float64
	// Liveness tries a user's own credential (by username); a user without
	// an entry is never logged in as.
	Liveness map[string]func(ctx context.Context) error
}

// Alerter delivers alerts (notify.Dispatcher satisfies it via AlertFunc).
type Alerter interface {
	Alert(ctx context.Context, a *warden.Alert)
}

// AlertFunc adapts a function to Alerter.
type AlertFunc func(ctx context.Context, a *warden.Alert)

// Alert calls f.
func (f AlertFunc) Alert(ctx context.Context, a *warden.Alert) { f(ctx, a) }

// Options configure a Monitor.
type Options struct {
	// Store receives health history; required.
	Store warden.HealthService
	// Statuses receives every user's current status once per sweep; nil
	// keeps statuses in memory only.
	Statuses warden.StatusService
	// Load returns the orgs to monitor. When set, Run calls it every
	// SweepInterval and Reload calls it at once, so that orgs, users and
	// dependents added or removed elsewhere (the CLI) are picked up
	// without a restart.
	Load func(ctx context.Context) ([]*Org, error)
	// Alerter is told about state changes; nil sends nothing.
	Alerter Alerter
	// SweepInterval between sweeps of an org (default 30s).
	SweepInterval time.Duration
	// LivenessInterval between credential checks of a healthy user
	// (default and minimum MinLivenessInterval, 15m).
	LivenessInterval time.Duration
	// Debounce is how many consecutive sweeps a degraded or unknown state
	// (or a recovery from one) must persist before it is recorded and
	// announced (default 2). Error states read from Salesforce's own
	// records are announced at once.
	Debounce int
	// NoPush disables the subscription to User change events.
	NoPush bool
	// DashboardURL prefixes links in alerts.
	DashboardURL string
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
	// Metrics, when set, is updated after every sweep.
	Metrics *Metrics
	// Activity, when set, is given the rows each successful sweep read
	// for the first time (activity.go).
	Activity Activity
}

// Monitor watches every configured org.
type Monitor struct {
	opts   Options
	alerts *alertQueue
	ready  atomic.Bool

	mu     sync.Mutex // guards orgs and running; never held across I/O
	orgs   map[string]*orgRun
	runCtx context.Context // set while Run runs
	wg     *sync.WaitGroup
}

// orgRun is one monitored org. Everything below flight is owned by the
// sweep holding flight; the atomics are what other goroutines read.
type orgRun struct {
	name    string
	cfg     atomic.Pointer[Org] // latest configuration
	flight  chan struct{}       // one sweep of the org at a time
	trigger chan struct{}
	cancel  context.CancelFunc // stops the org's loops (set while running)

	ids   atomic.Pointer[[]string]            // known user ids, for change events
	snap  atomic.Pointer[[]warden.UserStatus] // statuses after the latest sweep
	swept atomic.Bool                         // a sweep succeeded once

	// Owned by the flight holder.
	applied   *Org
	st        *orgState
	users     map[string]*userRun // lower-case username
	day       time.Time
	used      int // API requests this UTC day
	throttled bool
	paused    time.Time // credential checks pause until then (token endpoint 429)
}

type userRun struct {
	target  Target
	check   func(ctx context.Context) error
	status  warden.UserStatus // committed
	stored  warden.UserStatus // last written to the status store
	known   bool              // status has been committed once
	pending Verdict
	count   int // consecutive sweeps pending has been seen
	live    liveState
}

// New returns a monitor of orgs.
func New(opts Options, orgs []*Org) *Monitor {
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = 30 * time.Second
	}
	if opts.LivenessInterval <= 0 {
		opts.LivenessInterval = MinLivenessInterval
	}
	if opts.Debounce <= 0 {
		opts.Debounce = 2
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Monitor{opts: opts, orgs: map[string]*orgRun{}, alerts: newAlertQueue()}
	m.apply(orgs)
	return m
}

// withDefaults returns a copy of o with its defaults filled in.
func withDefaults(o *Org) *Org {
	c := *o
	if c.PasswordExpiresDays == 0 {
		c.PasswordExpiresDays = 90
	}
	if c.DailyAPIShare <= 0 {
		c.DailyAPIShare = 0.05
	}
	return &c
}

// apply makes orgs the monitored inventory: new orgs are added (and their
// loops started when Run runs), removed ones stopped, and the others take
// their new configuration at their next sweep.
func (m *Monitor) apply(orgs []*Org) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keep := map[string]bool{}
	for _, o := range orgs {
		keep[o.Name] = true
		o = withDefaults(o)
		r := m.orgs[o.Name]
		if r == nil {
			r = &orgRun{name: o.Name, flight: make(chan struct{}, 1), trigger: make(chan struct{}, 1),
				st: newOrgState(), users: map[string]*userRun{}}
			r.cfg.Store(o)
			m.orgs[o.Name] = r
			if m.runCtx != nil {
				m.start(r)
			}
			continue
		}
		if prev := r.cfg.Swap(o); m.runCtx != nil && addsTargets(prev, o) {
			select { // a new user gets its first status soon
			case r.trigger <- struct{}{}:
			default:
			}
		}
	}
	for name, r := range m.orgs {
		if !keep[name] {
			if r.cancel != nil {
				r.cancel()
			}
			delete(m.orgs, name)
			m.opts.Metrics.forget(name)
		}
	}
	if !m.ready.Load() {
		m.updateReadyLocked()
	}
}

// addsTargets reports whether next monitors a user that prev did not.
func addsTargets(prev, next *Org) bool {
	have := map[string]bool{}
	for _, t := range prev.Targets {
		have[strings.ToLower(t.Username)] = true
	}
	for _, t := range next.Targets {
		if !have[strings.ToLower(t.Username)] {
			return true
		}
	}
	return false
}

// Reload reads the inventory again through Options.Load (a no-op without
// it): orgs, users and dependents added since are monitored from their
// next sweep, removed ones are no longer swept. The server calls it on
// SIGHUP; Run also calls it every SweepInterval.
func (m *Monitor) Reload(ctx context.Context) error {
	if m.opts.Load == nil {
		return nil
	}
	orgs, err := m.opts.Load(ctx)
	if err != nil {
		return err
	}
	m.apply(orgs)
	return nil
}

// Run sweeps every org on its interval (spread so orgs do not sweep in
// lockstep) and on pushed User changes, delivers alerts, and reloads the
// inventory every SweepInterval, until ctx ends.
func (m *Monitor) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	m.mu.Lock()
	m.runCtx, m.wg = ctx, &wg
	for _, r := range m.orgs {
		m.start(r)
	}
	m.mu.Unlock()
	if m.opts.Alerter != nil {
		wg.Go(func() { m.alerts.run(ctx, m.send) })
	}
	if m.opts.Load != nil {
		wg.Go(func() {
			t := time.NewTicker(m.opts.SweepInterval)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				if err := m.Reload(ctx); err != nil && ctx.Err() == nil {
					m.opts.Logger.Warn("reloading the inventory failed; keeping the current one", "err", warden.ErrorMessage(err))
				}
			}
		})
	}
	<-ctx.Done()
	m.mu.Lock()
	m.runCtx = nil
	m.mu.Unlock()
	wg.Wait()
	return ctx.Err()
}

// start runs the loops of r; m.mu is held.
func (m *Monitor) start(r *orgRun) {
	ctx, cancel := context.WithCancel(m.runCtx)
	r.cancel = cancel
	n := len(m.orgs)
	m.wg.Go(func() { m.loop(ctx, r, n) })
	if !m.opts.NoPush {
		m.wg.Go(func() { m.subscribe(ctx, r) })
	}
}

func (m *Monitor) loop(ctx context.Context, r *orgRun, orgs int) {
	// The first sweep runs soon (spread over 3 s, or 5 ms per org when
	// there are many, up to half the interval); the second at a random point
	// of the interval, so that orgs do not sweep in lockstep.
	window := min(max(3*time.Second, time.Duration(orgs)*5*time.Millisecond), m.opts.SweepInterval/2)
	first := time.Duration(rand.Int64N(int64(window) + 1))
	t := time.NewTimer(first)
	defer t.Stop()
	next := time.Duration(rand.Int64N(int64(m.opts.SweepInterval)) + 1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.trigger:
			t.Stop()
		}
		if err := m.sweepOrg(ctx, r, ""); err != nil && ctx.Err() == nil {
			m.opts.Logger.Warn("sweep failed", "org", r.name, "err", warden.ErrorMessage(err))
		}
		t.Reset(next)
		next = m.opts.SweepInterval
	}
}

// subscribe listens for User change events and triggers a sweep of the
// org when a watched user changes.
func (m *Monitor) subscribe(ctx context.Context, r *orgRun) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := r.cfg.Load().Session.Subscribe(ctx, "/data/UserChangeEvent", salesforce.ReplayNew, func(ev salesforce.Event) error {
			if r.watches(ev) {
				select {
				case r.trigger <- struct{}{}:
				default:
				}
			}
			return nil
		})
		if ctx.Err() != nil {
			return
		}
		m.opts.Logger.Info("change-event subscription ended; polling covers the gap", "org", r.name, "err", warden.ErrorMessage(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Minute)
	}
}

// watches reports whether an event concerns a watched user.
func (r *orgRun) watches(ev salesforce.Event) bool {
	var p struct {
		Header struct {
			RecordIDs []string `json:"recordIds"`
		} `json:"ChangeEventHeader"`
	}
	if err := json.Unmarshal(ev.Payload, &p); err != nil {
		return true
	}
	ids := r.ids.Load()
	if ids == nil {
		return true
	}
	for _, id := range p.Header.RecordIDs {
		for _, known := range *ids {
			if known == id || len(id) == 15 && strings.HasPrefix(known, id) {
				return true
			}
		}
	}
	return false
}

// org returns the monitored org named name.
func (m *Monitor) org(name string) *orgRun {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.orgs[name]
}

// SweepOrg sweeps one org now (after the sweep in progress, if any).
func (m *Monitor) SweepOrg(ctx context.Context, org string) error {
	r := m.org(org)
	if r == nil {
		return warden.Errorf(warden.ENOTFOUND, "org %q is not monitored", org)
	}
	return m.sweepOrg(ctx, r, "")
}

// Check sweeps the user's org, tries the user's credential now (within the
// hourly login ceiling, and unless the sweep's records already explain the
// user's state), commits the outcome without debouncing and returns the
// user's status.
func (m *Monitor) Check(ctx context.Context, org, username string) (warden.UserStatus, error) {
	r := m.org(org)
	if r == nil {
		return warden.UserStatus{}, warden.Errorf(warden.ENOTFOUND, "org %q is not monitored", org)
	}
	if err := m.sweepOrg(ctx, r, strings.ToLower(username)); err != nil {
		return warden.UserStatus{}, err
	}
	for _, s := range r.statuses() {
		if strings.EqualFold(s.Username, username) {
			return s, nil
		}
	}
	return warden.UserStatus{}, warden.Errorf(warden.ENOTFOUND, "user %q is not monitored in org %s", username, org)
}

// acquire takes the org's single flight.
func (r *orgRun) acquire(ctx context.Context) error {
	select {
	case r.flight <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *orgRun) release() { <-r.flight }

// reconcile brings the flight's users in line with the latest
// configuration and returns it.
func (r *orgRun) reconcile() *Org {
	o := r.cfg.Load()
	if o == r.applied {
		return o
	}
	r.applied = o
	keep := map[string]bool{}
	for _, t := range o.Targets {
		key := strings.ToLower(t.Username)
		keep[key] = true
		u := r.users[key]
		if u == nil {
			u = &userRun{status: warden.UserStatus{Org: o.Name, Username: t.Username, State: warden.StateUnknown}}
			r.users[key] = u
		}
		u.target, u.check = t, o.Liveness[t.Username]
		if u.check == nil {
			u.check = o.Liveness[key]
		}
	}
	for key := range r.users {
		if !keep[key] {
			delete(r.users, key)
		}
	}
	return o
}

// sweepOrg runs one sweep. force names a user (lower case) whose
// credential is checked now and whose verdict commits without debouncing
// (an explicit check).
func (m *Monitor) sweepOrg(ctx context.Context, r *orgRun, force string) error {
	if err := r.acquire(ctx); err != nil {
		return err
	}
	var fresh *warden.ActivitySweep
	defer func() { // runs after release: the activity hook holds nothing
		if fresh != nil && m.opts.Activity != nil {
			m.opts.Activity.Observe(ctx, fresh)
		}
	}()
	defer r.release()
	org := r.reconcile()
	if force != "" && r.users[force] == nil {
		return warden.Errorf(warden.ENOTFOUND, "user %q is not monitored in org %s", force, org.Name)
	}
	immediate := force != ""
	now := m.opts.Now()
	if day := now.UTC().Truncate(24 * time.Hour); !day.Equal(r.day) {
		r.day, r.used, r.throttled = day, 0, false
	}
	if _, max, ok := org.Session.APIUsage(); ok && max > 0 {
		budget := int(org.DailyAPIShare * float64(max))
		if r.used >= budget {
			if !r.throttled {
				m.opts.Logger.Warn("API budget reached: sweeps paused until tomorrow (UTC)", "org", org.Name,
					"used", r.used, "budget", budget, "dailyMax", max, "share", org.DailyAPIShare)
				r.throttled = true
			}
			m.opts.Metrics.throttle(org.Name)
			return warden.Errorf(warden.EUNAVAILABLE, "org %s: Warden's API budget for today (%d of %d requests) is used up", org.Name, budget, max)
		}
	}
	targets := make([]Target, 0, len(r.users))
	for _, u := range r.users {
		targets = append(targets, u.target)
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].Username < targets[j].Username })
	obs, err := m.read(ctx, r, org, targets, now)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		m.sweepFailed(ctx, r, err, now, immediate)
		m.commit(ctx, r, now, false)
		return err
	}
	// Decide the credential checks, run them without any lock, then
	// classify.
	paused := now.Before(r.paused)
	var due []*userRun
	for key, u := range r.users {
		if o := obs[key]; o != nil {
			u.live.dropOwnLogins(o)
			if m.plan(u, o, now, key == force, paused) {
				due = append(due, u)
			}
		}
	}
	m.opts.Metrics.checked(org.Name, len(due))
	if m.runChecks(ctx, due) {
		r.paused = m.opts.Now().Add(throttlePause)
		m.opts.Logger.Warn("the token endpoint throttles logins (HTTP 429): credential checks paused", "org", org.Name, "for", throttlePause)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, u := range due {
		o := obs[strings.ToLower(u.target.Username)]
		o.Liveness, o.LivenessAt = u.live.err, u.live.resultAt
	}
	for key, u := range r.users {
		if o := obs[key]; o != nil {
			m.observe(ctx, r, u, Classify(o), now, immediate)
		}
	}
	r.swept.Store(true)
	m.commit(ctx, r, now, true)
	if m.opts.Activity != nil {
		fresh = r.activitySweep(obs)
	}
	return nil
}

// read runs the sweep's requests. While the session holds back calls
// because the org's daily API limit was reached, each sweep sends one
// /limits probe in place of its request (the same cost, within Warden's
// API budget) and sweeps at once when the org has room again, so that the
// monitor is blind for at most one sweep interval after the limit clears.
func (m *Monitor) read(ctx context.Context, r *orgRun, org *Org, targets []Target, now time.Time) (map[string]*Observation, error) {
	start := time.Now()
	obs, used, err := sweep(ctx, org.Session, org.Name, targets, r.st, now, org.PasswordExpiresDays)
	r.used += used
	m.opts.Metrics.sweep(org.Name, time.Since(start), used, err)
	var se *salesforce.Error
	if err == nil || !errors.As(err, &se) || se.Cause != warden.CauseAPILimitExhausted || se.Status != 0 {
		return obs, err
	}
	// The session refused locally: no request was sent.
	r.used++
	if _, perr := org.Session.Limits(ctx); perr != nil {
		return nil, err
	}
	if u, max, ok := org.Session.APIUsage(); ok && u >= max {
		return nil, err
	}
	start = time.Now()
	obs, used, err = sweep(ctx, org.Session, org.Name, targets, r.st, now, org.PasswordExpiresDays)
	r.used += used
	m.opts.Metrics.sweep(org.Name, time.Since(start), used, err)
	return obs, err
}

// runChecks runs the due credential checks, a few at a time, and reports
// whether the token endpoint throttled any.
func (m *Monitor) runChecks(ctx context.Context, due []*userRun) bool {
	var wg sync.WaitGroup
	var throttle atomic.Bool
	sem := make(chan struct{}, 4)
	for _, u := range due {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if m.runCheck(ctx, u) {
				throttle.Store(true)
			}
		})
	}
	wg.Wait()
	return throttle.Load()
}

// sweepFailed records a failed sweep. A user whose state is already known
// to be wrong (error or degraded) keeps it: an org fault says nothing new
// about it, and demoting it to unknown would page it again when the fault
// clears. The others become unknown (degraded for an exhausted daily API
// limit) once the failure persists.
func (m *Monitor) sweepFailed(ctx context.Context, r *orgRun, err error, now time.Time, immediate bool) {
	cause, state := warden.CauseOrgUnavailable, warden.StateUnknown
	evidence := "sweep failed: " + warden.ErrorMessage(err)
	fix := "Warden could not read the org; it keeps retrying. Check Salesforce's status and the monitoring credential."
	var se *salesforce.Error
	switch {
	case errors.As(err, &se) && se.Status == 429:
		// Concurrency limits answer 429: the org is busy, its daily
		// limit is not exhausted.
		evidence = "sweep refused by Salesforce's concurrent request limit (HTTP 429): " + warden.ErrorMessage(err)
		fix = "Salesforce is busy with too many concurrent requests for the org; Warden retries at the next sweep."
	case se != nil && se.Cause == warden.CauseAPILimitExhausted:
		cause, state = warden.CauseAPILimitExhausted, warden.StateDegraded
		fix = "The org's daily API requests are used up; Warden probes the org's limits and resumes as soon as it has room."
	}
	v := Verdict{State: state, Cause: cause, Evidence: evidence, Fix: fix}
	for _, u := range r.users {
		if u.known && (u.status.State == warden.StateError || u.status.State == warden.StateDegraded) {
			continue
		}
		m.observe(ctx, r, u, v, now, immediate)
	}
}

// observe records a verdict, committing and announcing it when it is a
// change that survived debouncing.
func (m *Monitor) observe(ctx context.Context, r *orgRun, u *userRun, v Verdict, now time.Time, immediate bool) {
	u.status.CheckedAt = now
	same := u.known && v.State == u.status.State && v.Cause == u.status.Cause
	if same {
		u.count = 0
		u.status.Evidence, u.status.Fix, u.status.Warnings = v.Evidence, v.Fix, v.Warnings
		return
	}
	if v.State == u.pending.State && v.Cause == u.pending.Cause {
		u.count++
	} else {
		u.pending, u.count = v, 1
	}
	// Authoritative errors and the first verdict of a user commit at once,
	// and so does a recovery from the daily API limit (a sweep that
	// succeeds proves the limit cleared); degraded, unknown and recoveries
	// from them wait for confirmation.
	sure := immediate || !u.known || v.State == warden.StateError ||
		v.State == warden.StateOK && (u.status.State == warden.StateError || u.status.Cause == warden.CauseAPILimitExhausted)
	if !sure && u.count < m.opts.Debounce {
		return
	}
	prev := u.status
	u.status = warden.UserStatus{Org: r.name, Username: u.target.Username, State: v.State, Cause: v.Cause, Since: now,
		Fix: v.Fix, Evidence: v.Evidence, Warnings: v.Warnings, CheckedAt: now}
	first := !u.known
	u.known, u.count = true, 0
	res := &warden.HealthResult{Org: r.name, Username: u.target.Username, State: v.State, Cause: v.Cause,
		Evidence: v.Evidence, Fix: v.Fix, Warnings: v.Warnings, CheckedAt: now}
	if err := m.opts.Store.AppendHealth(ctx, res); err != nil {
		m.opts.Logger.Error("storing health result", "org", r.name, "user", u.target.Username, "err", warden.ErrorMessage(err))
	}
	m.opts.Logger.Info("health changed", "org", r.name, "user", u.target.Username, "state", v.State, "cause", v.Cause, "previous", prev.State)
	if first && v.State == warden.StateOK {
		return // nothing to announce
	}
	m.announce(u, prev, now)
}

// announce queues the alert of a committed change.
func (m *Monitor) announce(u *userRun, prev warden.UserStatus, now time.Time) {
	s := u.status
	a := &warden.Alert{Key: s.Org + "/" + s.Username, Org: s.Org, Username: s.Username, State: s.State, Previous: prev.State,
		Cause: s.Cause, Severity: s.State.Severity(), Evidence: s.Evidence, Fix: s.Fix, Owner: u.target.Owner,
		Dependents: u.target.Dependents, At: now}
	if s.State == warden.StateOK {
		a.Resolved = true
		a.Cause, a.Evidence, a.Fix = prev.Cause, "recovered from "+string(prev.State)+" ("+string(prev.Cause)+")", ""
	}
	if m.opts.DashboardURL != "" {
		a.URL = strings.TrimSuffix(m.opts.DashboardURL, "/") + "/users/" + url.PathEscape(s.Org) + "/" + url.PathEscape(s.Username)
	}
	m.enqueue(a)
}

// current is the user's status with its credential-check times.
func (u *userRun) current() warden.UserStatus {
	s := u.status
	s.Warnings = slices.Clone(s.Warnings)
	if u.check != nil {
		s.CredentialCheckedAt, s.NextCredentialCheck = u.live.triedAt, u.live.next
	}
	return s
}

// sameStatus reports whether a and b differ only in CheckedAt.
func sameStatus(a, b warden.UserStatus) bool {
	a.CheckedAt, b.CheckedAt = time.Time{}, time.Time{}
	return a.Org == b.Org && a.Username == b.Username && a.State == b.State && a.Cause == b.Cause &&
		a.Since.Equal(b.Since) && a.Fix == b.Fix && a.Evidence == b.Evidence && slices.Equal(a.Warnings, b.Warnings) &&
		a.CredentialCheckedAt.Equal(b.CredentialCheckedAt) && a.NextCredentialCheck.Equal(b.NextCredentialCheck)
}

// commit writes the statuses that changed in this sweep to the status
// store (once per sweep), publishes them for readers and updates metrics
// and readiness. swept says the sweep read the org.
func (m *Monitor) commit(ctx context.Context, r *orgRun, now time.Time, swept bool) {
	all := make([]warden.UserStatus, 0, len(r.users))
	var changed []*warden.UserStatus
	for _, u := range r.users {
		s := u.current()
		all = append(all, s)
		if !u.known {
			continue
		}
		if !sameStatus(s, u.stored) {
			c := s
			changed = append(changed, &c)
			u.stored = s
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Username < all[j].Username })
	sort.Slice(changed, func(i, j int) bool { return changed[i].Username < changed[j].Username })
	if m.opts.Statuses != nil && (swept || len(changed) > 0) {
		if err := m.opts.Statuses.PutStatuses(ctx, r.name, now, changed); err != nil {
			m.opts.Logger.Error("storing statuses", "org", r.name, "err", warden.ErrorMessage(err))
			for _, c := range changed { // write them again next time
				r.users[strings.ToLower(c.Username)].stored = warden.UserStatus{}
			}
		}
	}
	r.snap.Store(&all)
	ids := make([]string, 0, len(r.st.ids))
	for _, id := range r.st.ids {
		if id != "" {
			ids = append(ids, id)
		}
	}
	r.ids.Store(&ids)
	m.opts.Metrics.states(r.name, all)
	m.updateReady()
}

// statuses returns the org's statuses as of its latest sweep.
func (r *orgRun) statuses() []warden.UserStatus {
	if p := r.snap.Load(); p != nil {
		return *p
	}
	return nil
}

// updateReady sets the monitor ready once every org has been swept; it
// stays ready when orgs are added later.
func (m *Monitor) updateReady() {
	if m.ready.Load() {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.updateReadyLocked()
}

func (m *Monitor) updateReadyLocked() {
	for _, r := range m.orgs {
		if !r.swept.Load() {
			return
		}
	}
	m.ready.Store(true)
}

// Ready reports whether every org has been swept at least once. It reads
// one atomic flag and answers at once, whatever the sweeps and alert
// deliveries are doing.
func (m *Monitor) Ready() bool { return m.ready.Load() }

// Statuses returns every user's status as of its org's latest sweep, by
// org and username, from memory and without waiting for sweeps in
// progress. It serves programs that run a monitor without a status store
// (the benchmarks); the read model every process shares is
// Options.Statuses (warden.StatusService).
func (m *Monitor) Statuses() []warden.UserStatus {
	m.mu.Lock()
	runs := make([]*orgRun, 0, len(m.orgs))
	for _, r := range m.orgs {
		runs = append(runs, r)
	}
	m.mu.Unlock()
	var out []warden.UserStatus
	for _, r := range runs {
		out = append(out, r.statuses()...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Org != out[j].Org {
			return out[i].Org < out[j].Org
		}
		return out[i].Username < out[j].Username
	})
	return out
}
