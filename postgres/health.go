package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/wardenhq/warden"
)

// healthColumns are the columns scanHealth reads, in order.
const healthColumns = `id, org, username, state, cause, evidence, fix, warnings, checked_at`

// AppendHealth records a result and sets its ID. A zero CheckedAt becomes
// now; CheckedAt is written back in UTC, truncated to microseconds.
func (db *DB) AppendHealth(ctx context.Context, r *warden.HealthResult) error {
	const op = "postgres.AppendHealth"
	if err := validateHealth(r); err != nil {
		return wrap(op, err)
	}
	warnings, err := encodeList(r.Warnings)
	if err != nil {
		return wrap(op, err)
	}
	at := r.CheckedAt
	if at.IsZero() {
		at = db.Now()
	}
	at = normTime(at)
	// One statement, one round trip: insert the result and point
	// health_latest at it unless the user already has a newer one
	// (results may arrive out of order).
	var id int64
	err = db.db.QueryRowContext(ctx, `
		WITH h AS (
			INSERT INTO health_results (org, username, state, cause, evidence, fix, warnings, checked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			RETURNING id, org, username, checked_at
		), l AS (
			INSERT INTO health_latest (org, username, result_id, checked_at)
			SELECT org, username, id, checked_at FROM h
			ON CONFLICT (org, username) DO UPDATE SET
				result_id = excluded.result_id,
				checked_at = excluded.checked_at
			WHERE (excluded.checked_at, excluded.result_id) > (health_latest.checked_at, health_latest.result_id)
		)
		SELECT id FROM h`,
		r.Org, r.Username, string(r.State), string(r.Cause), r.Evidence, r.Fix, warnings, at,
	).Scan(&id)
	if err != nil {
		return wrap(op, err)
	}
	r.ID, r.CheckedAt = id, at
	return nil
}

// LatestHealth returns the newest result (by CheckedAt, then ID) of every
// matching user, ordered by org and username. Since drops users whose
// newest result is older; Limit keeps the first Limit users.
func (db *DB) LatestHealth(ctx context.Context, f warden.HealthFilter) ([]*warden.HealthResult, error) {
	const op = "postgres.LatestHealth"
	limit, err := limitClause(f.Limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	var w where
	if f.Org != "" {
		w.add("l.org = %s", f.Org)
	}
	if f.Username != "" {
		w.add("l.username = %s", f.Username)
	}
	if !f.Since.IsZero() {
		w.add("l.checked_at >= %s", normTime(f.Since))
	}
	rows, err := db.db.QueryContext(ctx, `
		SELECT h.id, h.org, h.username, h.state, h.cause, h.evidence, h.fix, h.warnings, h.checked_at
		FROM health_latest l JOIN health_results h ON h.id = l.result_id`+w.String()+`
		ORDER BY l.org, l.username`+limit, w.args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	results, err := scanAll(rows, scanHealth)
	return results, wrap(op, err)
}

// HealthHistory returns matching results, newest first (by CheckedAt, then
// ID).
func (db *DB) HealthHistory(ctx context.Context, f warden.HealthFilter) ([]*warden.HealthResult, error) {
	const op = "postgres.HealthHistory"
	limit, err := limitClause(f.Limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	var w where
	if f.Org != "" {
		w.add("org = %s", f.Org)
	}
	if f.Username != "" {
		w.add("username = %s", f.Username)
	}
	if !f.Since.IsZero() {
		w.add("checked_at >= %s", normTime(f.Since))
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+healthColumns+` FROM health_results`+w.String()+`
		ORDER BY checked_at DESC, id DESC`+limit, w.args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	results, err := scanAll(rows, scanHealth)
	return results, wrap(op, err)
}

// validateHealth reports the first problem with r, naming the field.
func validateHealth(r *warden.HealthResult) error {
	switch {
	case r == nil:
		return invalid("health result: must not be nil")
	case r.Org == "":
		return invalid("health result: org must not be empty")
	case r.Username == "":
		return invalid("health result in org %s: username must not be empty", r.Org)
	}
	switch r.State {
	case warden.StateOK, warden.StateDegraded, warden.StateError, warden.StateUnknown:
	default:
		return invalid("health result for %s: state %q is not one of ok, degraded, error, unknown", r.Username, r.State)
	}
	if r.Cause != warden.CauseNone && !slices.Contains(warden.Causes, r.Cause) {
		return invalid("health result for %s: cause %q is not a known cause", r.Username, r.Cause)
	}
	return nil
}

// scanHealth reads one result in healthColumns order.
func scanHealth(s scanner) (*warden.HealthResult, error) {
	var r warden.HealthResult
	var state, cause, warnings string
	var at time.Time
	if err := s.Scan(&r.ID, &r.Org, &r.Username, &state, &cause, &r.Evidence, &r.Fix, &warnings, &at); err != nil {
		return nil, err
	}
	r.State, r.Cause = warden.State(state), warden.Cause(cause)
	var err error
	if r.Warnings, err = decodeList[string](warnings); err != nil {
		return nil, err
	}
	r.CheckedAt = readTime(at)
	return &r, nil
}
