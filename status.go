package warden

import (
	"context"
	"time"
)

// UserStatus is the one read model of an integration user's current health:
// what "warden status", the JSON API and the status page show. The monitor
// writes it to the store; every reader reads it from there, so that a CLI
// in another process and the server give the same answer.
type UserStatus struct {
	Org      string `json:"org"`
	Username string `json:"username"`
	State    State  `json:"state"`
	Cause    Cause  `json:"cause"`
	// Since is when the user entered State with Cause (zero when the user
	// was never checked).
	Since time.Time `json:"since,omitzero"`
	// Fix is what an admin should do, in Warden's words.
	Fix string `json:"fix"`
	// Evidence is what Salesforce said or showed (never a secret).
	Evidence string `json:"evidence"`
	// Warnings are non-failing observations.
	Warnings []string `json:"warnings"`
	// CheckedAt is when a sweep last read the user's state (zero: never).
	CheckedAt time.Time `json:"checkedAt,omitzero"`
	// CredentialCheckedAt is when Warden last tried the user's own
	// credential (a login); zero when it never did.
	CredentialCheckedAt time.Time `json:"credentialCheckedAt,omitzero"`
	// NextCredentialCheck is when the next credential check is due; zero
	// when none is planned (no credential, or the state already explains
	// the failure).
	NextCredentialCheck time.Time `json:"nextCredentialCheck,omitzero"`
}

// StatusFilter selects statuses; empty fields match everything.
type StatusFilter struct {
	Org      string
	Username string
}

// StatusService stores the read model of users' current health.
type StatusService interface {
	// PutStatuses records the outcome of one sweep of org at sweptAt: the
	// org's users all count as checked at sweptAt, and each status in
	// changed replaces the stored one of its user (only statuses that
	// differ from the stored ones need to be passed). One transaction.
	// A zero sweptAt is the store's current time. The org and the user of
	// every status must exist (ENOTFOUND), and every status must name org
	// (EINVALID). Without changed statuses it is one cheap write, as the
	// monitor calls it after every sweep.
	PutStatuses(ctx context.Context, org string, sweptAt time.Time, changed []*UserStatus) error
	// Statuses returns the status of every matching user of the
	// inventory, ordered by org and username. A user with no stored
	// status is StateUnknown with zero times; CheckedAt is the org's
	// latest sweep for users that have a status. Deleting a user (or its
	// org) deletes its status.
	Statuses(ctx context.Context, f StatusFilter) ([]*UserStatus, error)
}
