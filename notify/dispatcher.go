package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/wait"

	"github.com/wardenhq/warden"
)

// DefaultDedupWindow is how long the Dispatcher suppresses a repeat of the
// same alert when DispatcherConfig.DedupWindow is zero.
const DefaultDedupWindow = time.Hour

// Route sends alerts to one channel.
type Route struct {
	// Notifier is the channel.
	Notifier warden.Notifier
	// MinSeverity is the lowest severity the route takes; every severity
	// when empty. Recoveries ignore it: they go to every route that got
	// the problem.
	MinSeverity warden.Severity
	// Owners limits the route to alerts about these teams: the alert's
	// Owner or the owner of any affected application (compared without
	// regard to case). Empty means every team.
	Owners []string
	// SkipRecoveries stops the route from receiving recoveries. The zero
	// value sends them, so routes resolve what they raised by default.
	SkipRecoveries bool
}

// Retry says how a Dispatcher retries channels that are down (errors of
// kind EUNAVAILABLE). Other errors are never retried.
type Retry struct {
	// Attempts is the number of tries per channel, the first included;
	// 3 when zero, and 1 (no retry) when negative.
	Attempts int
	// BaseDelay is the wait before the first retry, doubled before each
	// further one, with up to 50% random jitter subtracted; 1s when zero.
	BaseDelay time.Duration
	// MaxDelay caps any wait, including one a channel asked for with
	// Retry-After; 30s when zero.
	MaxDelay time.Duration
}

// DispatcherConfig configures a Dispatcher.
type DispatcherConfig struct {
	// Routes are the channels, each with its filters.
	Routes []Route
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// Logger records deliveries and failures; nothing is logged when nil.
	Logger *slog.Logger
	// Retry controls retries of unavailable channels.
	Retry Retry
	// DedupWindow suppresses a repeat of an alert (same Key, State and
	// Cause) on a route that already got it this recently;
	// DefaultDedupWindow when zero, no suppression when negative.
	DedupWindow time.Duration
}

// Status is what happened to an alert on one route.
type Status string

// Statuses of an Outcome.
const (
	StatusSent       Status = "sent"       // the channel accepted the alert
	StatusFailed     Status = "failed"     // every attempt failed
	StatusSuppressed Status = "suppressed" // the route got the same alert within the dedup window
	StatusSkipped    Status = "skipped"    // the route does not take this alert (Reason says why)
)

// Outcome is the result of one alert on one route.
type Outcome struct {
	// Channel is the notifier's name.
	Channel string
	Status  Status
	// Attempts counts delivery tries (0 unless sent or failed).
	Attempts int
	// Err is the last error of a failed delivery.
	Err error
	// Reason explains a skipped or suppressed route.
	Reason string
}

// Result is the outcome of one Dispatch: one Outcome per route, in route
// order.
type Result struct {
	Key      string
	Outcomes []Outcome
}

// Err joins the errors of failed deliveries, or returns nil when none
// failed.
func (r Result) Err() error {
	var errs []error
	for _, o := range r.Outcomes {
		if o.Status == StatusFailed {
			errs = append(errs, o.Err)
		}
	}
	return errors.Join(errs...)
}

// Sent returns the names of the channels that accepted the alert.
func (r Result) Sent() []string {
	var names []string
	for _, o := range r.Outcomes {
		if o.Status == StatusSent {
			names = append(names, o.Channel)
		}
	}
	return names
}

// ChannelStats counts a channel's deliveries since the Dispatcher started,
// for metrics.
type ChannelStats struct {
	// Sent counts alerts the channel accepted.
	Sent uint64
	// Failed counts alerts given up on after every attempt.
	Failed uint64
	// Retries counts attempts after the first.
	Retries uint64
	// Suppressed counts repeats not sent because of the dedup window.
	Suppressed uint64
}

// Dispatcher routes alerts to channels. It remembers, per alert Key and
// route, what it last delivered: that suppresses repeats within the dedup
// window and sends each recovery to the routes that got the problem. The
// memory is in-process; after a restart a recovery goes only to the routes
// it matches by itself. A Dispatcher is safe for concurrent use.
type Dispatcher struct {
	routes  []route
	now     func() time.Time
	log     *slog.Logger
	retry   Retry
	window  time.Duration
	sleep   func(context.Context, time.Duration) error
	mu      sync.Mutex
	sent    map[string]map[int]delivery // key → route index → last delivery
	stats   []ChannelStats              // by route index
	gen     uint64
	pruneAt time.Time
}

// route is a Route prepared for matching.
type route struct {
	Route
	name    string
	minRank int
	owners  []string // lower case, trimmed
}

// delivery records what a route was last sent for a key.
type delivery struct {
	state    warden.State
	cause    warden.Cause
	recovery bool
	at       time.Time
	gen      uint64 // tells a rollback whether the record is still its own
}

// NewDispatcher returns a Dispatcher over cfg.Routes. Routes without a
// notifier are dropped, and an unknown MinSeverity is treated as info
// (every alert), both with a logged error: an alerting path must not go
// quiet because of a typo.
func NewDispatcher(cfg DispatcherConfig) *Dispatcher {
	d := &Dispatcher{
		now:    cfg.Now,
		log:    cfg.Logger,
		retry:  cfg.Retry,
		window: cfg.DedupWindow,
		sleep:  wait.Sleep,
		sent:   map[string]map[int]delivery{},
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case d.retry.Attempts == 0:
		d.retry.Attempts = 3
	case d.retry.Attempts < 0:
		d.retry.Attempts = 1
	}
	if d.retry.BaseDelay <= 0 {
		d.retry.BaseDelay = time.Second
	}
	if d.retry.MaxDelay <= 0 {
		d.retry.MaxDelay = 30 * time.Second
	}
	if d.window == 0 {
		d.window = DefaultDedupWindow
	}
	for i, r := range cfg.Routes {
		if r.Notifier == nil {
			d.log.Error("notify: route has no notifier; dropped", "route", i)
			continue
		}
		rt := route{Route: r, name: r.Notifier.Name(), minRank: r.MinSeverity.Rank()}
		if r.MinSeverity != "" && rt.minRank < 0 {
			d.log.Error("notify: unknown minimum severity; the route takes every alert", "channel", rt.name, "minSeverity", string(r.MinSeverity))
		}
		for _, o := range r.Owners {
			if o = strings.ToLower(strings.TrimSpace(o)); o != "" {
				rt.owners = append(rt.owners, o)
			}
		}
		d.routes = append(d.routes, rt)
	}
	d.stats = make([]ChannelStats, len(d.routes))
	return d
}

// matchesOwner reports whether the route takes alerts about a's teams.
func (r *route) matchesOwner(a *warden.Alert) bool {
	if len(r.owners) == 0 {
		return true
	}
	teams := []string{a.Owner}
	for _, dep := range a.Dependents {
		teams = append(teams, dep.Owner)
	}
	for _, t := range teams {
		t = strings.ToLower(strings.TrimSpace(t))
		for _, o := range r.owners {
			if t != "" && t == o {
				return true
			}
		}
	}
	return false
}

// plan is one route's part in a Dispatch.
type plan struct {
	idx  int
	out  Outcome
	send bool
	prev delivery
	had  bool
	gen  uint64
}

// Dispatch sends a to every route that takes it, concurrently, retrying
// unavailable channels, and returns what happened on each route. A
// problem goes to routes whose MinSeverity it reaches and whose Owners
// include its owner or an affected application's owner. A recovery goes to
// every route that got a problem with the same Key, and to routes it
// matches by itself, unless the route skips recoveries. A route that got
// the same Key with the same State and Cause within the dedup window is
// suppressed. Dispatch returns when every delivery has ended; canceling
// ctx ends deliveries and retry waits early.
func (d *Dispatcher) Dispatch(ctx context.Context, a *warden.Alert) Result {
	if a == nil {
		return Result{}
	}
	key := alertKey(a)
	res := Result{Key: key, Outcomes: make([]Outcome, len(d.routes))}
	plans := d.plan(a, key)
	var wg sync.WaitGroup
	for i := range plans {
		p := &plans[i]
		if !p.send {
			continue
		}
		wg.Go(func() { p.out = d.deliver(ctx, &d.routes[p.idx], key, a) })
	}
	wg.Wait()
	d.settle(key, plans)
	for i, p := range plans {
		res.Outcomes[i] = p.out
	}
	return res
}

// plan decides, under the lock, what each route does with a, and records
// the deliveries it is about to make so that a concurrent Dispatch of the
// same alert is suppressed.
func (d *Dispatcher) plan(a *warden.Alert, key string) []plan {
	now := d.now()
	recovery := isRecovery(a)
	rank := effectiveSeverity(a).Rank()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.prune(now)
	sent := d.sent[key]
	plans := make([]plan, len(d.routes))
	for i := range d.routes {
		r := &d.routes[i]
		p := &plans[i]
		p.idx = i
		p.out = Outcome{Channel: r.name, Status: StatusSkipped}
		p.prev, p.had = sent[i]
		matches := true
		switch {
		case !r.matchesOwner(a):
			matches, p.out.Reason = false, "no owner of this alert is in the route's owners"
		case rank < r.minRank:
			matches, p.out.Reason = false, fmt.Sprintf("severity %s is below the route's minimum %s", effectiveSeverity(a), r.MinSeverity)
		}
		dup := p.had && p.prev.recovery == recovery && p.prev.state == a.State && p.prev.cause == a.Cause &&
			d.window > 0 && now.Sub(p.prev.at) < d.window
		if recovery {
			gotProblem := p.had && !p.prev.recovery
			switch {
			case r.SkipRecoveries:
				p.out.Reason = "the route skips recoveries"
				continue
			case !gotProblem && !matches && !dup:
				continue
			}
		} else if !matches {
			continue
		}
		if dup {
			p.out.Status = StatusSuppressed
			p.out.Reason = fmt.Sprintf("sent %s ago, within the %s dedup window", now.Sub(p.prev.at).Round(time.Second), d.window)
			d.stats[i].Suppressed++
			continue
		}
		p.send = true
		p.out.Reason = ""
		d.gen++
		p.gen = d.gen
		if sent == nil {
			sent = map[int]delivery{}
			d.sent[key] = sent
		}
		sent[i] = delivery{state: a.State, cause: a.Cause, recovery: recovery, at: now, gen: p.gen}
	}
	return plans
}

// settle counts the deliveries and withdraws the records of failed ones,
// so the next Dispatch tries those routes again.
func (d *Dispatcher) settle(key string, plans []plan) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, p := range plans {
		if !p.send {
			continue
		}
		st := &d.stats[p.idx]
		st.Retries += uint64(max(p.out.Attempts-1, 0))
		if p.out.Status == StatusSent {
			st.Sent++
			continue
		}
		st.Failed++
		sent := d.sent[key]
		if cur, ok := sent[p.idx]; !ok || cur.gen != p.gen {
			continue // a later Dispatch owns the record now
		}
		if p.had {
			sent[p.idx] = p.prev
		} else {
			delete(sent, p.idx)
			if len(sent) == 0 {
				delete(d.sent, key)
			}
		}
	}
}

// prune forgets recoveries older than the dedup window, at most once per
// window. Problems are kept until they recover: their routes must get the
// recovery however long it takes.
func (d *Dispatcher) prune(now time.Time) {
	if d.window <= 0 || now.Before(d.pruneAt) {
		return
	}
	d.pruneAt = now.Add(d.window)
	for key, sent := range d.sent {
		for i, rec := range sent {
			if rec.recovery && now.Sub(rec.at) >= d.window {
				delete(sent, i)
			}
		}
		if len(sent) == 0 {
			delete(d.sent, key)
		}
	}
}

// deliver sends a to one route, retrying EUNAVAILABLE failures with
// exponential backoff.
func (d *Dispatcher) deliver(ctx context.Context, r *route, key string, a *warden.Alert) Outcome {
	out := Outcome{Channel: r.name}
	for {
		out.Attempts++
		err := notifySafely(ctx, r.Notifier, a)
		if err == nil {
			out.Status = StatusSent
			d.log.Info("notify: alert sent", "channel", r.name, "key", key, "state", string(a.State), "cause", string(a.Cause), "attempts", out.Attempts)
			return out
		}
		out.Err = err
		retryable := warden.ErrorKind(err) == warden.EUNAVAILABLE && ctx.Err() == nil
		if !retryable || out.Attempts >= d.retry.Attempts {
			out.Status = StatusFailed
			d.log.Error("notify: delivery failed", "channel", r.name, "key", key, "attempts", out.Attempts, "kind", warden.ErrorKind(err), "err", err.Error())
			return out
		}
		delay := d.backoff(out.Attempts, retryAfter(err))
		d.log.Warn("notify: channel unavailable; retrying", "channel", r.name, "key", key, "attempt", out.Attempts, "delay", delay, "err", err.Error())
		if err := d.sleep(ctx, delay); err != nil {
			out.Status = StatusFailed
			d.log.Error("notify: delivery abandoned", "channel", r.name, "key", key, "attempts", out.Attempts, "err", out.Err.Error())
			return out
		}
	}
}

// backoff is the wait before retry n (n ≥ 1): BaseDelay·2^(n-1) minus up
// to half of it at random, at least what the channel asked for, at most
// MaxDelay.
func (d *Dispatcher) backoff(n int, asked time.Duration) time.Duration {
	delay := d.retry.BaseDelay
	for i := 1; i < n && delay < d.retry.MaxDelay; i++ {
		delay *= 2
	}
	delay = min(delay, d.retry.MaxDelay)
	if half := int64(delay / 2); half > 0 {
		delay -= time.Duration(rand.Int64N(half + 1))
	}
	return min(max(delay, asked), d.retry.MaxDelay)
}

// notifySafely calls n.Notify, turning a panic into an EINTERNAL error so
// one broken channel cannot take the dispatcher down.
func notifySafely(ctx context.Context, n warden.Notifier, a *warden.Alert) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &warden.Error{Kind: warden.EINTERNAL, Op: "notify.Dispatch", Message: "channel " + n.Name() + " panicked", Err: fmt.Errorf("panic: %v", p)}
		}
	}()
	return n.Notify(ctx, a)
}

// Stats returns each channel's counters, by channel name. Routes sharing a
// name share counters.
func (d *Dispatcher) Stats() map[string]ChannelStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := make(map[string]ChannelStats, len(d.routes))
	for i, r := range d.routes {
		s := m[r.name]
		s.Sent += d.stats[i].Sent
		s.Failed += d.stats[i].Failed
		s.Retries += d.stats[i].Retries
		s.Suppressed += d.stats[i].Suppressed
		m[r.name] = s
	}
	return m
}
