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
