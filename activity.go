package warden

import (
	"context"
	"encoding/json"
	"time"
)

// ActivityUser is one integration user as the activity rules see it after
// a sweep of its org.
type ActivityUser struct {
	Username string
	// UserID is the user's Salesforce id ("" when the user was not found).
	UserID     string
	Credential CredentialKind
	// Profile is the name of the user's profile.
	Profile string
	// Owner and Dependents are named in alerts.
	Owner      string
	Dependents []AffectedApp
	// Active and Frozen are the user's state as of the sweep.
	Active, Frozen bool
	// LastLogin is User.LastLoginDate (zero when the user never logged in).
	LastLogin time.Time
	// RefreshTokens counts the user's OAuth refresh tokens by connected
	// app name; nil when the sweep did not read them (the monitor reads
	// them for refresh-token users).
	RefreshTokens map[string]int
}

// ActivitySweep is what one successful sweep of an org read that the
// activity rules had not been shown before: the LoginHistory rows of its
// integration users new since the previous sweep (without the logins
// Warden made itself to check credentials, which are in Own) and the new
// SetupAuditTrail rows.
type ActivitySweep struct {
	Org string
	// At is when the sweep read the org.
	At      time.Time
	Users   []ActivityUser
	Logins  []Login
	Changes []SetupChange
	// Own are the LoginHistory rows of Warden's own credential checks.
	Own []Login
}

// ActivityEvent is one finding of an activity rule: a burst of failed
// logins, a login from a new network, a setup change that touched an
// integration user, and so on. The events of a user form its timeline.
type ActivityEvent struct {
	ID  int64  `json:"id"`
	Org string `json:"org"`
	// Username is the integration user concerned ("" for an org-wide event).
	Username string `json:"username,omitempty"`
	// Rule names the rule that found it, such as "failed_logins".
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	// Key identifies the finding for deduplication: rule, org, user and
	// the window or row it is about. An event whose Key is already
	// recorded is not recorded (nor alerted) again.
	Key string `json:"key"`
	// Summary is the explanation, Fix the advice.
	Summary string `json:"summary"`
	Fix     string `json:"fix,omitempty"`
	// At is when the activity happened (the first row of the window);
	// DetectedAt when Warden found it.
	At         time.Time `json:"at"`
	DetectedAt time.Time `json:"detectedAt"`
}

// ActivityState is the activity rules' memory of one org, which survives
// restarts: the cursors (the newest LoginHistory and SetupAuditTrail times processed and the ids of the
// rows at or near it, to tell a late row from one already seen) and each
// user's rule state (learned networks, counters), opaque to the store.
type ActivityState struct {
	Org         string    `json:"org"`
	Cursor      time.Time `json:"cursor"`
	AuditCursor time.Time `json:"auditCursor"`
	// Recent are ids of rows processed near the cursors.
	Recent []string `json:"recent,omitempty"`
	// Users holds each user's rule state by lower-case username.
	Users map[string]json.RawMessage `json:"users,omitempty"`
}

// ActivityFilter selects activity events; zero fields match everything.
type ActivityFilter struct {
	Org, Username string
	// Since keeps events that happened at or after it.
	Since time.Time
	Rule  string
	// Limit caps the number of events (newest first); 0 means no cap.
	Limit int
}

// ActivityService stores activity events and the rule state.
type ActivityService interface {
	// ActivityState returns the org's rule state; an org never committed
	// has an empty state (not an error).
	ActivityState(ctx context.Context, org string) (*ActivityState, error)
	// CommitActivity saves the org's cursors and Recent ids, upserts the
	// user states in s.Users (others are kept) and records events, all in
	// one transaction. Events whose Key is already recorded are skipped;
	// it returns those it recorded, with ID and DetectedAt set. A nil s
	// records the events only.
	CommitActivity(ctx context.Context, s *ActivityState, events []*ActivityEvent) ([]*ActivityEvent, error)
	// Activity returns matching events, newest first.
	Activity(ctx context.Context, f ActivityFilter) ([]*ActivityEvent, error)
}
