// Package monitor proves continuously that each integration user can still
// work. One sweep per org reads the state of all its users in one composite
// API request through the org's monitoring session (no login per sweep);
// User change events pushed over the Streaming API trigger a sweep at once;
// each user's own credential is tried on a slower schedule and whenever a
// sweep sees a signal. Every failure resolves to exactly one cause
// (Classify); state changes are debounced, stored as health history and
// announced, and so are recoveries.
package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// Org is one org to monitor.
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
	// Liveness tries a user's own credential; nil when Warden has none.
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
	// Alerter is told about state changes; nil sends nothing.
	Alerter Alerter
	// SweepInterval between sweeps of an org (default 30s).
	SweepInterval time.Duration
	// LivenessInterval between credential checks of a user (default 15m).
	LivenessInterval time.Duration
	// Debounce is how many consecutive sweeps a degraded or unknown state
	// (or a recovery from one) must persist before it is recorded and
	// announced (default 2). Error states read from Salesforce's own
	// records are announced at once.
	Debounce int
	// Push subscribes to User change events (default true when the
	// session supports it; set NoPush to disable).
	NoPush bool
	// DashboardURL prefixes links in alerts.
	DashboardURL string
	Now          func() time.Time
	Logger       *slog.Logger
	// Metrics, when set, is updated after every sweep.
	Metrics *Metrics
}

// Status is a user's current health, for status pages and CLIs.
type Status struct {
	Org       string       `json:"org"`
	Username  string       `json:"username"`
	State     warden.State `json:"state"`
	Cause     warden.Cause `json:"cause"`
	Since     time.Time    `json:"since"`
	Fix       string       `json:"fix"`
	Evidence  string       `json:"evidence,omitempty"`
	Warnings  []string     `json:"warnings,omitempty"`
	CheckedAt time.Time    `json:"checkedAt"`
}

// Monitor watches every configured org.
type Monitor struct {
	opts Options
	mu   sync.Mutex
	orgs map[string]*orgRun
}

type orgRun struct {
	org       *Org
	st        *orgState
	users     map[string]*userRun // lower-case username
	trigger   chan struct{}
	sweepMu   sync.Mutex // one sweep of an org at a time
	day       time.Time
	used      int // API requests this UTC day
	throttled bool
	probed    time.Time // last /limits probe while the org's API limit held
}

type userRun struct {
	target  Target
	status  Status // committed
	known   bool   // status has been committed once
	pending Verdict
	count   int // consecutive sweeps pending has been seen
	// liveness
	liveAt  time.Time
	liveErr error
}

// New returns a monitor of orgs.
func New(opts Options, orgs []*Org) *Monitor {
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = 30 * time.Second
	}
	if opts.LivenessInterval <= 0 {
		opts.LivenessInterval = 15 * time.Minute
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
	m := &Monitor{opts: opts, orgs: map[string]*orgRun{}}
	for _, o := range orgs {
		if o.PasswordExpiresDays == 0 {
			o.PasswordExpiresDays = 90
		}
		if o.DailyAPIShare <= 0 {
			o.DailyAPIShare = 0.05
		}
		r := &orgRun{org: o, st: newOrgState(), users: map[string]*userRun{}, trigger: make(chan struct{}, 1)}
		for _, t := range o.Targets {
			r.users[strings.ToLower(t.Username)] = &userRun{target: t,
				status: Status{Org: o.Name, Username: t.Username, State: warden.StateUnknown}}
		}
		m.orgs[o.Name] = r
	}
	return m
}

// Run sweeps every org on its interval (spread so orgs do not sweep in
// lockstep) and on pushed User changes, until ctx ends.
func (m *Monitor) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, r := range m.orgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.loop(ctx, r)
		}()
		if !m.opts.NoPush {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.subscribe(ctx, r)
			}()
		}
	}
	wg.Wait()
	return ctx.Err()
}

func (m *Monitor) loop(ctx context.Context, r *orgRun) {
	// The first sweep runs soon (spread over 3 s, or 5 ms per org when
	// there are many, up to half the interval); the second at a random point
	// of the interval, so that orgs do not sweep in lockstep.
	window := min(max(3*time.Second, time.Duration(len(m.orgs))*5*time.Millisecond), m.opts.SweepInterval/2)
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
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
		}
		if err := m.sweepOrg(ctx, r); err != nil && ctx.Err() == nil {
			m.opts.Logger.Warn("sweep failed", "org", r.org.Name, "err", warden.ErrorMessage(err))
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
		err := r.org.Session.Subscribe(ctx, "/data/UserChangeEvent", salesforce.ReplayNew, func(ev salesforce.Event) error {
			if m.watches(r, ev) {
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
		m.opts.Logger.Info("change-event subscription ended; polling covers the gap", "org", r.org.Name, "err", warden.ErrorMessage(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Minute)
	}
}

// watches reports whether an event concerns a watched user.
func (m *Monitor) watches(r *orgRun, ev salesforce.Event) bool {
	var p struct {
		Header struct {
			RecordIDs []string `json:"recordIds"`
		} `json:"ChangeEventHeader"`
	}
	if err := json.Unmarshal(ev.Payload, &p); err != nil {
		return true
	}
	r.sweepMu.Lock()
	defer r.sweepMu.Unlock()
	for _, id := range p.Header.RecordIDs {
		for _, known := range r.st.ids {
			if known == id || len(id) == 15 && strings.HasPrefix(known, id) {
				return true
			}
		}
	}
	return false
}

// SweepOrg sweeps one org now.
func (m *Monitor) SweepOrg(ctx context.Context, org string) error {
	r := m.orgs[org]
	if r == nil {
		return warden.Errorf(warden.ENOTFOUND, "org %q is not monitored", org)
	}
	return m.sweepOrg(ctx, r)
}

// Check sweeps the user's org and tries the user's credential now.
func (m *Monitor) Check(ctx context.Context, org, username string) (Status, error) {
	r := m.orgs[org]
	if r == nil {
		return Status{}, warden.Errorf(warden.ENOTFOUND, "org %q is not monitored", org)
	}
	u := r.users[strings.ToLower(username)]
	if u == nil {
		return Status{}, warden.Errorf(warden.ENOTFOUND, "user %q is not monitored in org %s", username, org)
	}
	r.sweepMu.Lock()
	u.liveAt = time.Time{} // force a credential check
	r.sweepMu.Unlock()
	if err := m.sweepOrgWith(ctx, r, true); err != nil {
		return Status{}, err
	}
	r.sweepMu.Lock()
	defer r.sweepMu.Unlock()
	return u.status, nil
}

func (m *Monitor) sweepOrg(ctx context.Context, r *orgRun) error {
	return m.sweepOrgWith(ctx, r, false)
}

// sweepOrgWith runs one sweep; immediate commits every verdict without
// debouncing (an explicit check).
func (m *Monitor) sweepOrgWith(ctx context.Context, r *orgRun, immediate bool) error {
	r.sweepMu.Lock()
	defer r.sweepMu.Unlock()
	now := m.opts.Now()
	if day := now.UTC().Truncate(24 * time.Hour); !day.Equal(r.day) {
		r.day, r.used, r.throttled = day, 0, false
	}
	if _, max, ok := r.org.Session.APIUsage(); ok && max > 0 {
		budget := int(r.org.DailyAPIShare * float64(max))
		if r.used >= budget {
			if !r.throttled {
				m.opts.Logger.Warn("API budget reached: sweeps paused until tomorrow (UTC)", "org", r.org.Name,
					"used", r.used, "budget", budget, "dailyMax", max, "share", r.org.DailyAPIShare)
				r.throttled = true
			}
			m.opts.Metrics.throttle(r.org.Name)
			return warden.Errorf(warden.EUNAVAILABLE, "org %s: Warden's API budget for today (%d of %d requests) is used up", r.org.Name, budget, max)
		}
	}
	targets := make([]Target, 0, len(r.users))
	for _, u := range r.users {
		targets = append(targets, u.target)
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].Username < targets[j].Username })
	start := time.Now()
	obs, used, err := sweep(ctx, r.org.Session, r.org.Name, targets, r.st, now, r.org.PasswordExpiresDays)
	r.used += used
	m.opts.Metrics.sweep(r.org.Name, time.Since(start), used, err)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		m.sweepFailed(ctx, r, err, now, immediate)
		return err
	}
	for key, u := range r.users {
		o := obs[key]
		if o == nil {
			continue
		}
		m.liveness(ctx, r, u, o, now)
		v := Classify(o)
		m.observe(ctx, r, u, v, now, immediate)
	}
	m.opts.Metrics.states(r.org.Name, r.users)
	return nil
}

// sweepFailed marks every user of the org as unknown (or degraded for an
// exhausted API limit) with the sweep's cause.
func (m *Monitor) sweepFailed(ctx context.Context, r *orgRun, err error, now time.Time, immediate bool) {
	cause := warden.CauseOrgUnavailable
	var se *salesforce.Error
	if errors.As(err, &se) && se.Cause == warden.CauseAPILimitExhausted {
		cause = warden.CauseAPILimitExhausted
		// The session refuses calls locally once the limit is reached; a
		// /limits read (one request, at most every 5 minutes) lifts the
		// hold as soon as the org has room again.
		if now.Sub(r.probed) >= 5*time.Minute {
			r.probed = now
			r.used++
			r.org.Session.Limits(ctx)
		}
	}
	state := warden.StateUnknown
	if cause == warden.CauseAPILimitExhausted {
		state = warden.StateDegraded
	}
	v := Verdict{State: state, Cause: cause, Evidence: "sweep failed: " + warden.ErrorMessage(err),
		Fix: "Warden could not read the org; it keeps retrying. Check Salesforce's status and the monitoring credential."}
	for _, u := range r.users {
		m.observe(ctx, r, u, v, now, immediate)
	}
}

// liveness tries the user's own credential when it is due: never tried,
// older than the interval, or a sweep signal (a new failed login, or a
// state that changed).
func (m *Monitor) liveness(ctx context.Context, r *orgRun, u *userRun, o *Observation, now time.Time) {
	check := r.org.Liveness[strings.ToLower(u.target.Username)]
	if check == nil || !o.Found || !o.Active || o.Frozen || o.Locked {
		o.Liveness, o.LivenessAt = u.liveErr, u.liveAt
		if u.liveErr != nil && (!o.Found || !o.Active || o.Frozen || o.Locked) {
			o.Liveness = nil // the state explains it
		}
		return
	}
	signal := len(o.Logins) > 0 && o.Logins[0].Status != "Success" && o.Logins[0].Time.After(u.liveAt)
	signal = signal || u.known && u.status.State != warden.StateOK
	due := u.liveAt.IsZero() || now.Sub(u.liveAt) >= m.opts.LivenessInterval || signal && now.Sub(u.liveAt) >= m.opts.SweepInterval
	if due {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		u.liveErr = check(cctx)
		cancel()
		u.liveAt = now
	}
	o.Liveness, o.LivenessAt = u.liveErr, u.liveAt
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
	// Authoritative errors and the first verdict of a user commit at once;
	// degraded, unknown and recoveries from them wait for confirmation.
	sure := immediate || !u.known || v.State == warden.StateError ||
		v.State == warden.StateOK && u.status.State == warden.StateError
	if !sure && u.count < m.opts.Debounce {
		return
	}
	prev := u.status
	u.status = Status{Org: r.org.Name, Username: u.target.Username, State: v.State, Cause: v.Cause, Since: now,
		Fix: v.Fix, Evidence: v.Evidence, Warnings: v.Warnings, CheckedAt: now}
	first := !u.known
	u.known, u.count = true, 0
	res := &warden.HealthResult{Org: r.org.Name, Username: u.target.Username, State: v.State, Cause: v.Cause,
		Evidence: v.Evidence, Fix: v.Fix, Warnings: v.Warnings, CheckedAt: now}
	if err := m.opts.Store.AppendHealth(ctx, res); err != nil {
		m.opts.Logger.Error("storing health result", "org", r.org.Name, "user", u.target.Username, "err", err)
	}
	m.opts.Logger.Info("health changed", "org", r.org.Name, "user", u.target.Username, "state", v.State, "cause", v.Cause, "previous", prev.State)
	if first && v.State == warden.StateOK {
		return // nothing to announce
	}
	m.announce(ctx, u, prev, now)
}

func (m *Monitor) announce(ctx context.Context, u *userRun, prev Status, now time.Time) {
	if m.opts.Alerter == nil {
		return
	}
	s := u.status
	a := &warden.Alert{Key: s.Org + "/" + s.Username, Org: s.Org, Username: s.Username, State: s.State, Previous: prev.State,
		Cause: s.Cause, Evidence: s.Evidence, Fix: s.Fix, Owner: u.target.Owner, Dependents: u.target.Dependents, At: now}
	switch s.State {
	case warden.StateError:
		a.Severity = warden.SeverityHigh
	case warden.StateDegraded:
		a.Severity = warden.SeverityMedium
	case warden.StateUnknown:
		a.Severity = warden.SeverityLow
	case warden.StateOK:
		a.Severity, a.Resolved = warden.SeverityInfo, true
		a.Cause, a.Evidence, a.Fix = prev.Cause, "recovered from "+string(prev.State)+" ("+string(prev.Cause)+")", ""
	}
	if m.opts.DashboardURL != "" {
		a.URL = strings.TrimSuffix(m.opts.DashboardURL, "/") + "/users/" + s.Org + "/" + s.Username
	}
	m.opts.Alerter.Alert(ctx, a)
	m.opts.Metrics.alert(s.State)
}

// Statuses returns every user's current status, by org and username.
func (m *Monitor) Statuses() []Status {
	var out []Status
	for _, r := range m.orgs {
		r.sweepMu.Lock()
		for _, u := range r.users {
			out = append(out, u.status)
		}
		r.sweepMu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Org != out[j].Org {
			return out[i].Org < out[j].Org
		}
		return out[i].Username < out[j].Username
	})
	return out
}

// Ready reports whether every org has been swept at least once.
func (m *Monitor) Ready() bool {
	for _, r := range m.orgs {
		r.sweepMu.Lock()
		swept := !r.st.lastSweep.IsZero()
		r.sweepMu.Unlock()
		if !swept {
			return false
		}
	}
	return true
}

func (s Status) String() string {
	return fmt.Sprintf("%s %s %s %s", s.Org, s.Username, s.State, s.Cause)
}
