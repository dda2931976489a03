package warden

import (
	"context"
	"time"
)

// Alert is a change in an integration user's health worth telling people
// about: a new problem, a changed cause, or a recovery.
type Alert struct {
	// Key identifies the problem for deduplication and for resolving it
	// later (PagerDuty dedup_key): org/username.
	Key      string `json:"key"`
	Org      string `json:"org"`
	Username string `json:"username"`
	State    State  `json:"state"`
	// Previous is the state before this change.
	Previous State    `json:"previous"`
	Cause    Cause    `json:"cause,omitempty"`
	Severity Severity `json:"severity"`
	Evidence string   `json:"evidence,omitempty"`
	Fix      string   `json:"fix,omitempty"`
	// Resolved marks a recovery: the earlier problem with this Key cleared.
	Resolved bool `json:"resolved"`
	// Owner is the team that owns the integration user.
	Owner string `json:"owner,omitempty"`
	// Dependents are the applications affected, each with its owner.
	Dependents []AffectedApp `json:"dependents,omitempty"`
	// URL links to the user's page on the dashboard, when configured.
	URL string    `json:"url,omitempty"`
	At  time.Time `json:"at"`
}

// AffectedApp is a dependent application named in an alert.
type AffectedApp struct {
	Name    string `json:"name"`
	Owner   string `json:"owner,omitempty"`
	Contact string `json:"contact,omitempty"`
}

// Notifier delivers alerts to one channel (Slack, Teams, e-mail, webhook,
// PagerDuty). Implementations live in package notify.
type Notifier interface {
	// Name is the channel's name from the configuration.
	Name() string
	// Notify delivers one alert. It returns an EUNAVAILABLE error when the
	// channel is down, so the caller can retry.
	Notify(ctx context.Context, a *Alert) error
}

// AlertRecord is an alert as Warden recorded it when the monitor (or the
// policy audit) handed it to the notification channels, with what people
// did about it since.
type AlertRecord struct {
	ID int64 `json:"id"`
	Alert
	// Suppressed marks an alert that was recorded but not sent, because
	// an earlier alert of its Key was acknowledged or is snoozed (see
	// AlertSuppressed).
	Suppressed bool `json:"suppressed"`
	// AcknowledgedAt, AcknowledgedBy (a Principal's Name) and AckReason
	// record an acknowledgement; AcknowledgedAt is zero when there is
	// none.
	AcknowledgedAt time.Time `json:"acknowledgedAt,omitzero"`
	AcknowledgedBy string    `json:"acknowledgedBy,omitempty"`
	AckReason      string    `json:"ackReason,omitempty"`
	// SnoozedUntil, SnoozedBy and SnoozeReason record a snooze; a zero
	// SnoozedUntil means none.
	SnoozedUntil time.Time `json:"snoozedUntil,omitzero"`
	SnoozedBy    string    `json:"snoozedBy,omitempty"`
	SnoozeReason string    `json:"snoozeReason,omitempty"`
}

// AlertFilter selects alert records; empty fields match everything.
type AlertFilter struct {
	Key      string
	Org      string
	Username string
	// Open keeps only open problems: records that are the latest of
	// their key, not a recovery and not acknowledged.
	Open bool
	// Limit and Offset page through the records, newest first; Limit 0
	// means no limit.
	Limit  int
	Offset int
}

// AlertService stores the alerts Warden sent and what people did about
// them.
type AlertService interface {
	// AppendAlert records r and sets its ID. A zero At becomes the store's
	// current time; At is written back in UTC, truncated to microseconds.
	// Key and Org must not be empty (EINVALID).
	AppendAlert(ctx context.Context, r *AlertRecord) error
	// Alerts returns matching records, newest first (by At, then ID).
	Alerts(ctx context.Context, f AlertFilter) ([]*AlertRecord, error)
	// Alert returns the record id, or an ENOTFOUND error.
	Alert(ctx context.Context, id int64) (*AlertRecord, error)
	// AcknowledgeAlert records that by acknowledged the alert id at at
	// (zero: the store's current time) for reason, which must not be
	// empty (EINVALID); an unknown id is ENOTFOUND. Acknowledging again
	// replaces the earlier acknowledgement.
	AcknowledgeAlert(ctx context.Context, id int64, by, reason string, at time.Time) error
	// SnoozeAlert records that by snoozed the alert id until until, for
	// reason (which must not be empty); an unknown id is ENOTFOUND.
	SnoozeAlert(ctx context.Context, id int64, by, reason string, until time.Time) error
}

// AlertHistoryDepth is how many of a key's latest records, newest first,
// callers pass to AlertSuppressed: enough to reach back to the key's
// latest recovery in practice.
const AlertHistoryDepth = 50

// AlertSuppressed reports whether a, about to be sent at a.At, repeats a
// problem people already handled, given earlier, the latest records of
// a.Key, newest first: an alert of the key since its latest recovery was
// acknowledged (until the problem clears), or is snoozed until after
// a.At. Recoveries are never suppressed, so the people who acknowledged
// a problem learn that it cleared.
func AlertSuppressed(earlier []*AlertRecord, a *Alert) bool {
	if a.Resolved {
		return false
	}
	for _, r := range earlier {
		if r.Resolved {
			return false
		}
		if !r.AcknowledgedAt.IsZero() || r.SnoozedUntil.After(a.At) {
			return true
		}
	}
	return false
}
