package warden

import (
	"context"
	"time"
)

// Cause is the precise reason an integration user cannot work. Every failed
// check resolves to exactly one cause; docs/causes.md gives each one's
// signal and fix.
type Cause string

// The causes (DESIGN.md §6).
const (
	CauseNone                    Cause = ""
	CauseUserDeactivated         Cause = "user_deactivated"
	CauseUserFrozen              Cause = "user_frozen"
	CausePasswordLocked          Cause = "password_locked"
	CausePasswordExpired         Cause = "password_expired"
	CauseLoginRateExceeded       Cause = "login_rate_exceeded"
	CauseCredentialRejected      Cause = "credential_rejected"
	CauseSecurityTokenRequired   Cause = "security_token_required"
	CauseRefreshTokenRevoked     Cause = "refresh_token_revoked"
	CauseAppNotApproved          Cause = "app_not_approved"
	CauseIPOrHoursRestricted     Cause = "ip_or_hours_restricted"
	CauseAPIPermissionMissing    Cause = "api_permission_missing"
	CauseObjectPermissionMissing Cause = "object_permission_missing"
	CauseLegacyAuthDisabled      Cause = "legacy_auth_disabled"
	CauseOrgUnavailable          Cause = "org_unavailable"
	CauseAPILimitExhausted       Cause = "api_limit_exhausted"
)

// Causes lists every cause, in the order of DESIGN.md §6.
var Causes = []Cause{
	CauseUserDeactivated, CauseUserFrozen, CausePasswordLocked, CausePasswordExpired, CauseLoginRateExceeded,
	CauseCredentialRejected, CauseSecurityTokenRequired, CauseRefreshTokenRevoked, CauseAppNotApproved,
	CauseIPOrHoursRestricted, CauseAPIPermissionMissing, CauseObjectPermissionMissing, CauseLegacyAuthDisabled,
	CauseOrgUnavailable, CauseAPILimitExhausted,
}

// Transient reports whether the cause clears by itself, so the failing
// operation should be retried with backoff. Permanent causes need a fix.
func (c Cause) Transient() bool {
	switch c {
	case CauseLoginRateExceeded, CauseOrgUnavailable, CauseAPILimitExhausted:
		return true
	}
	return false
}

// Permanent reports whether the cause needs an admin's fix.
func (c Cause) Permanent() bool { return c != CauseNone && !c.Transient() }

// State is an integration user's health.
type State string

// Health states.
const (
	StateOK       State = "ok"       // everything checked works
	StateDegraded State = "degraded" // a transient cause or a warning
	StateError    State = "error"    // a permanent cause
	StateUnknown  State = "unknown"  // could not check
)

// Severity is how urgent a change into state s is: error is high, degraded
// medium, unknown low, and ok (a recovery) info. Alerts about a user's
// health carry it.
func (s State) Severity() Severity {
	switch s {
	case StateOK:
		return SeverityInfo
	case StateError:
		return SeverityHigh
	case StateDegraded:
		return SeverityMedium
	}
	return SeverityLow
}

// HealthResult is the outcome of one check of one integration user. Results
// are appended, never overwritten: they are the user's health history.
type HealthResult struct {
	ID       int64  `json:"id"`
	Org      string `json:"org"`
	Username string `json:"username"`
	State    State  `json:"state"`
	Cause    Cause  `json:"cause,omitempty"`
	// Evidence is what Salesforce said or showed (never a secret).
	Evidence string `json:"evidence,omitempty"`
	// Fix is what an admin should do, in Warden's words.
	Fix string `json:"fix,omitempty"`
	// Warnings are non-failing observations (password expires in 7 days).
	Warnings  []string  `json:"warnings,omitempty"`
	CheckedAt time.Time `json:"checkedAt"`
}

// HealthFilter selects health results; empty fields match everything.
type HealthFilter struct {
	Org      string
	Username string
	Since    time.Time // only results checked at or after Since
	Limit    int       // at most this many, newest first; 0 = no limit
}

// HealthService stores health history.
type HealthService interface {
	// AppendHealth records a result and sets its ID. A zero CheckedAt
	// becomes the store's current time; CheckedAt is written back in UTC,
	// truncated to microseconds.
	AppendHealth(ctx context.Context, r *HealthResult) error
	// LatestHealth returns the newest result (by CheckedAt, then ID) of
	// every matching user, ordered by org and username. Since drops users
	// whose newest result is older; Limit keeps the first Limit users.
	LatestHealth(ctx context.Context, f HealthFilter) ([]*HealthResult, error)
	// HealthHistory returns matching results, newest first (by
	// CheckedAt, then ID).
	HealthHistory(ctx context.Context, f HealthFilter) ([]*HealthResult, error)
}
