package sqlite

import (
	"context"
	"database/sql"
	"slices"

	"github.com/wardenhq/warden"
)

// healthColumns are the columns scanHealth reads, in order.
const healthColumns = `id, org, username, state, cause, evidence, fix, warnings, checked_at`

// AppendHealth records a result and sets its ID. A zero CheckedAt becomes
// now; CheckedAt is written back in UTC, truncated to microseconds.
func (db *DB) AppendHealth(ctx context.Context, r *warden.HealthResult) error {
	const op = "sqlite.AppendHealth"
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
	var id int64
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `
			INSERT INTO health_results (org, username, state, cause, evidence, fix, warnings, checked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING id`,
			r.Org, r.Username, string(r.State), string(r.Cause), r.Evidence, r.Fix, warnings, encodeTime(at),
		).Scan(&id)
		if err != nil {
			return err
		}
		// Point health_latest at the result unless the user already has
		// a newer one (results may arrive out of order).
		_, err = tx.ExecContext(ctx, `
			INSERT INTO health_latest (org, username, result_id, checked_at)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (org, username) DO UPDATE SET
				result_id = excluded.result_id,
				checked_at = excluded.checked_at
			WHERE (excluded.checked_at, excluded.result_id) > (health_latest.checked_at, health_latest.result_id)`,
			r.Org, r.Username, id, encodeTime(at))
		return err
	})
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
	const op = "sqlite.LatestHealth"
	limit, err := limitClause(f.Limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	var w where
	if f.Org != "" {
		w.add("l.org = ?", f.Org)
	}
	if f.Username != "" {
		w.add("l.username = ?", f.Username)
	}
	if !f.Since.IsZero() {
		w.add("l.checked_at >= ?", encodeTime(f.Since))
	}
	rows, err := db.read.QueryContext(ctx, `
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
	const op = "sqlite.HealthHistory"
	limit, err := limitClause(f.Limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	var w where
	if f.Org != "" {
		w.add("org = ?", f.Org)
	}
	if f.Username != "" {
		w.add("username = ?", f.Username)
	}
	if !f.Since.IsZero() {
		w.add("checked_at >= ?", encodeTime(f.Since))
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+healthColumns+` FROM health_results`+w.String()+`
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
	var at int64
	if err := s.Scan(&r.ID, &r.Org, &r.Username, &state, &cause, &r.Evidence, &r.Fix, &warnings, &at); err != nil {
		return nil, err
	}
	r.State, r.Cause = warden.State(state), warden.Cause(cause)
	var err error
	if r.Warnings, err = decodeList[string](warnings); err != nil {
		return nil, err
	}
	r.CheckedAt = decodeTime(at)
	return &r, nil
}
