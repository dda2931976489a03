package monitor

import (
	"context"
	"errors"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// The login budget. A credential check is one login as the user, which
// Salesforce counts against the user's 3,600 logins an hour, writes into
// the org's LoginHistory and, when it fails with a wrong password, counts
// towards the user's lockout. So the monitor logs in as a user rarely:
//
//   - never more than MaxCredentialChecksPerHour times in any hour, whatever
//     the sweep and liveness intervals;
//   - a healthy user every LivenessInterval (at least MinLivenessInterval);
//   - a user whose last check failed on a backoff that doubles from
//     LivenessInterval up to MaxCheckBackoff;
//   - a credential that Salesforce rejected (a wrong password, a revoked
//     grant) not again for RejectedHold, or until the credential changes:
//     one failure is enough evidence, and a retry can only lock the user;
//   - not at all while the sweep's records already explain the user's state
//     (deactivated, frozen, locked, expired password, API or object
//     permission missing, a failing login status, or within a quarter of the
//     hourly login limit);
//   - once, at the next sweep, when the records show a change (a user
//     unfrozen, a client's first failed login): one check, not one per sweep.
const (
	// MaxCredentialChecksPerHour is the ceiling of Warden's own logins as
	// one user in any hour.
	MaxCredentialChecksPerHour = 4
	// MinLivenessInterval is the shortest interval between scheduled checks
	// of a healthy user; shorter LivenessIntervals are raised to it.
	MinLivenessInterval = time.Hour / MaxCredentialChecksPerHour
	// MaxCheckBackoff is the longest wait between checks of a user whose
	// checks keep failing.
	MaxCheckBackoff = 6 * time.Hour
	// RejectedHold is how long a credential that Salesforce rejected is not
	// tried again (unless it changes).
	RejectedHold = 24 * time.Hour
	// throttlePause is how long an org's checks pause after its token
	// endpoint answered 429.
	throttlePause = 15 * time.Minute
	// ownLoginSkew is how far a LoginHistory row's time may be from
	// Warden's own login for the row to be taken as Warden's.
	ownLoginSkew = 2 * time.Minute
)

// liveState is what the monitor remembers of a user's credential checks.
type liveState struct {
	// resultAt and err are the latest conclusive check (err nil: success);
	// resultAt is zero before the first.
	resultAt time.Time
	err      error
	// triedAt is the latest attempt, conclusive or not.
	triedAt time.Time
	// tries are the attempts of the past hour, oldest first.
	tries []time.Time
	// failures counts consecutive failed conclusive checks.
	failures int
	// next is when the next check is due (zero: none planned).
	next time.Time
	// recheck asks for one check at the next sweep (a change was seen).
	recheck bool
	// version is the credential version the result belongs to.
	version string
	// own are Warden's logins as the user, to tell them from the client's.
	own []ownLogin
	// explained is whether the previous sweep's records explained the
	// state; lastFailed whether the client's latest login had failed.
	explained, lastFailed bool
	seen                  bool // a sweep has set explained and lastFailed
}

// ownLogin is one login Warden made as a user.
type ownLogin struct {
	start, end time.Time
	ok         bool
	matched    bool
	row        warden.Login // the LoginHistory row taken as this login
}

// rejected reports whether err is a refusal of the credential itself,
// which a retry cannot fix and might turn into a lockout.
func rejected(err error) bool {
	switch causeOf(err) {
	case warden.CauseCredentialRejected, warden.CauseSecurityTokenRequired, warden.CausePasswordLocked,
		warden.CausePasswordExpired, warden.CauseRefreshTokenRevoked:
		return true
	}
	return false
}

// throttled reports whether a check failed because the token endpoint
// throttled requests (HTTP 429), which says nothing about the user.
func throttled(err error) bool {
	var se *salesforce.Error
	return errors.As(err, &se) && se.Status == 429 && se.Code != "rate_limit_exceeded"
}

// inconclusive reports whether a failed check says nothing about the
// credential: Salesforce did not answer, or refused for the org's limits.
func inconclusive(err error) bool {
	if throttled(err) {
		return true
	}
	switch causeOf(err) {
	case warden.CauseOrgUnavailable, warden.CauseAPILimitExhausted:
		return true
	}
	return false
}

// explained reports whether the sweep's records alone explain the user's
// state, so that a login as the user would add nothing (and could harm).
func explained(o *Observation, records Verdict) bool {
	return !o.Found || !o.Active || o.Frozen || o.Locked || records.Cause != warden.CauseNone ||
		o.LoginsLastHour >= LoginHourlyLimit*3/4
}

// interval is the scheduled interval between checks of a healthy user.
func (m *Monitor) interval() time.Duration {
	return max(m.opts.LivenessInterval, MinLivenessInterval)
}

// plan decides whether the user's credential is checked in this sweep and
// sets o.Liveness to what the classifier should use. force asks for a check
// now (an explicit Check), within the hourly ceiling.
func (m *Monitor) plan(u *userRun, o *Observation, now time.Time, force bool, paused bool) bool {
	ls := &u.live
	records := classifyRecords(o)
	expl := explained(o, records)
	failed := len(o.Logins) > 0 && o.Logins[0].Status != warden.LoginSuccess
	if ls.seen && (expl != ls.explained || failed && !ls.lastFailed) {
		ls.recheck = true // the records changed: one check, at this sweep
	}
	ls.seen, ls.explained, ls.lastFailed = true, expl, failed
	if v := u.target.CredentialVersion; v != ls.version {
		// A changed credential starts afresh: the old result is not its.
		ls.version, ls.err, ls.resultAt, ls.failures, ls.next = v, nil, time.Time{}, 0, time.Time{}
	}
	if u.check == nil {
		ls.next = time.Time{}
		o.Liveness, o.LivenessAt = nil, time.Time{}
		return false
	}
	o.Liveness, o.LivenessAt = ls.err, ls.resultAt
	if expl {
		// The records explain the state; the old result must not blame
		// the credential for it, and no check is planned.
		o.Liveness, ls.next, ls.recheck = nil, time.Time{}, false
		return false
	}
	cut := now.Add(-time.Hour)
	for len(ls.tries) > 0 && !ls.tries[0].After(cut) {
		ls.tries = ls.tries[1:]
	}
	due := force || ls.resultAt.IsZero() && ls.next.IsZero() || ls.recheck || !ls.next.IsZero() && !now.Before(ls.next)
	if ls.err != nil && rejected(ls.err) && !force && now.Sub(ls.resultAt) < RejectedHold {
		due = false // never retry a rejected credential early
		ls.recheck = false
		ls.next = ls.resultAt.Add(RejectedHold)
	}
	if paused && !force {
		due = false
	}
	if len(ls.tries) >= MaxCredentialChecksPerHour {
		due = false
		if earliest := ls.tries[0].Add(time.Hour); ls.next.Before(earliest) {
			ls.next = earliest
		}
	}
	if !due && ls.next.IsZero() {
		ls.next = now
	}
	return due
}

// runCheck tries the user's credential and records the outcome; it
// reports whether the token endpoint throttled the check.
func (m *Monitor) runCheck(ctx context.Context, u *userRun) (throttle bool) {
	ls := &u.live
	start := m.opts.Now()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := u.check(cctx)
	cancel()
	end := m.opts.Now()
	ls.recheck = false
	ls.triedAt = start
	ls.tries = append(ls.tries, start)
	ls.own = append(ls.own, ownLogin{start: start, end: end, ok: err == nil})
	switch {
	case ctx.Err() != nil:
		ls.next = start
		return false
	case err == nil:
		ls.err, ls.resultAt, ls.failures = nil, start, 0
		ls.next = start.Add(m.interval())
	case throttled(err):
		ls.next = start.Add(throttlePause)
		return true
	case inconclusive(err):
		// Salesforce did not answer: keep the previous result and try
		// again on the next scheduled slot.
		ls.next = start.Add(m.interval())
	default:
		ls.err, ls.resultAt = err, start
		ls.failures++
		if rejected(err) {
			ls.next = start.Add(RejectedHold)
		} else {
			backoff := m.interval() << min(ls.failures-1, 10)
			ls.next = start.Add(min(backoff, MaxCheckBackoff))
		}
	}
	return false
}

// classifyRecords classifies o from the sweep's records alone, without
// any credential check.
func classifyRecords(o *Observation) Verdict {
	live, at := o.Liveness, o.LivenessAt
	o.Liveness, o.LivenessAt = nil, time.Time{}
	v := Classify(o)
	o.Liveness, o.LivenessAt = live, at
	return v
}

// dropOwnLogins removes Warden's own logins as the user from o.Logins and
// from o.LoginsLastHour, so that they are never taken as the client's.
// Warden knows when it logged in and whether it succeeded: each of its
// logins claims at most one LoginHistory row, the closest in time with a
// matching outcome.
func (ls *liveState) dropOwnLogins(o *Observation) {
	cut := o.Now.Add(-2 * time.Hour)
	kept := ls.own[:0]
	for _, w := range ls.own {
		if w.end.After(cut) {
			kept = append(kept, w)
		}
	}
	ls.own = kept
	if len(ls.own) == 0 || len(o.Logins) == 0 {
		return
	}
	drop := make([]bool, len(o.Logins))
	for i := range ls.own {
		w := &ls.own[i]
		best := -1
		for j, l := range o.Logins {
			if drop[j] {
				continue
			}
			if w.matched {
				if l.ID != "" && l.ID == w.row.ID || l.ID == "" && l == w.row {
					best = j
					break
				}
				continue
			}
			if (l.Status == warden.LoginSuccess) != w.ok || l.Time.Before(w.start.Add(-ownLoginSkew)) || l.Time.After(w.end.Add(ownLoginSkew)) {
				continue
			}
			if best < 0 || distance(l.Time, w.start, w.end) < distance(o.Logins[best].Time, w.start, w.end) {
				best = j
			}
		}
		if best >= 0 {
			drop[best] = true
			w.matched, w.row = true, o.Logins[best]
		}
	}
	logins := make([]warden.Login, 0, len(o.Logins))
	n := 0
	for j, l := range o.Logins {
		if drop[j] {
			continue
		}
		logins = append(logins, l)
		if o.Now.Sub(l.Time) <= time.Hour {
			n++
		}
	}
	o.Logins, o.LoginsLastHour = logins, n
}

// distance is how far t lies from the interval [start, end].
func distance(t, start, end time.Time) time.Duration {
	switch {
	case t.Before(start):
		return start.Sub(t)
	case t.After(end):
		return t.Sub(end)
	}
	return 0
}

// confirmLogins turns an error read from the client's latest failed login
// into degraded when nothing else confirms it: one failed login is
// evidence, not yet an error. Two failures in a row, or Warden's own check
// failing with the same cause, confirm it.
func (o *Observation) confirmLogins(v Verdict) Verdict {
	if v.State != warden.StateError {
		return v
	}
	streak := 0
	for _, l := range o.Logins {
		if l.Status == warden.LoginSuccess {
			break
		}
		streak++
	}
	if streak >= 2 || o.Liveness != nil && causeOf(o.Liveness) == v.Cause {
		return v
	}
	v.State = warden.StateDegraded
	v.Evidence += " (a single failed login: evidence, not yet an error)"
	return v
}
