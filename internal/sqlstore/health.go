package sqlstore

import (
	"context"
	"database/sql"
	"slices"

	"github.com/wardenhq/warden"
)

// healthColumns are the columns scanHealth reads, in order.
const healthColumns = `id, org, username, state, cause, evidence, fix, warnings, checked_at`

// onNewerResult ends an INSERT INTO health_latest: it points the user's
// row at the result unless the user already has a newer one (results may
// arrive out of order).
const onNewerResult = `
	ON CONFLICT (org, username) DO UPDATE SET
		result_id = excluded.result_id,
		checked_at = excluded.checked_at
	WHERE (excluded.checked_at, excluded.result_id) > (health_latest.checked_at, health_latest.result_id)`

// AppendHealth records a result and sets its ID. A zero CheckedAt becomes
// now; CheckedAt is written back in UTC, truncated to microseconds.
func (s *Store) AppendHealth(ctx context.Context, r *warden.HealthResult) error {
	if err := validateHealth(r); err != nil {
		return s.wrap("AppendHealth", err)
	}
	warnings, err := encodeList(r.Warnings)
	if err != nil {
		return s.wrap("AppendHealth", err)
	}
	at := s.orNow(r.CheckedAt)
	var id int64
	if s.d.WritableCTE {
		// One statement, one round trip: insert the result and point
		// health_latest at it.
		err = s.write.QueryRowContext(ctx, s.q(`
			WITH h AS (
				INSERT INTO health_results (org, username, state, cause, evidence, fix, warnings, checked_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				RETURNING id, org, username, checked_at
			), l AS (
				INSERT INTO health_latest (org, username, result_id, checked_at)
				SELECT org, username, id, checked_at FROM h`+onNewerResult+`
			)
			SELECT id FROM h`),
			r.Org, r.Username, string(r.State), string(r.Cause), r.Evidence, r.Fix, warnings, s.t(at),
		).Scan(&id)
	} else {
		err = s.withTx(ctx, func(tx *sql.Tx) error {
			err := tx.QueryRowContext(ctx, s.q(`
				INSERT INTO health_results (org, username, state, cause, evidence, fix, warnings, checked_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				RETURNING id`),
				r.Org, r.Username, string(r.State), string(r.Cause), r.Evidence, r.Fix, warnings, s.t(at),
			).Scan(&id)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, s.q(`
				INSERT INTO health_latest (org, username, result_id, checked_at)
				VALUES (?, ?, ?, ?)`+onNewerResult),
				r.Org, r.Username, id, s.t(at))
			return err
		})
	}
	if err != nil {
		return s.wrap("AppendHealth", err)
	}
	r.ID, r.CheckedAt = id, at
	return nil
}

// LatestHealth returns the newest result (by CheckedAt, then ID) of every
// matching user, ordered by org and username. Since drops users whose
// newest result is older; Limit keeps the first Limit users.
func (s *Store) LatestHealth(ctx context.Context, f warden.HealthFilter) ([]*warden.HealthResult, error) {
	w, limit, err := s.healthFilter(f, latestConds)
	if err != nil {
		return nil, s.wrap("LatestHealth", err)
	}
	results, err := queryAll(ctx, s, scanHealth, `
		SELECT h.id, h.org, h.username, h.state, h.cause, h.evidence, h.fix, h.warnings, h.checked_at
		FROM health_latest l JOIN health_results h ON h.id = l.result_id`+w.String()+`
		ORDER BY l.org, l.username`+limit, w.args...)
	return results, s.wrap("LatestHealth", err)
}

// HealthHistory returns matching results, newest first (by CheckedAt, then
// ID).
func (s *Store) HealthHistory(ctx context.Context, f warden.HealthFilter) ([]*warden.HealthResult, error) {
	w, limit, err := s.healthFilter(f, historyConds)
	if err != nil {
		return nil, s.wrap("HealthHistory", err)
	}
	results, err := queryAll(ctx, s, scanHealth, `SELECT `+healthColumns+` FROM health_results`+w.String()+`
		ORDER BY checked_at DESC, id DESC`+limit, w.args...)
	return results, s.wrap("HealthHistory", err)
}

// historyConds and latestConds are the conditions on org, username and
// checked_at that apply a warden.HealthFilter to health_results and to
// health_latest (aliased l).
var (
	historyConds = [3]string{"org = ?", "username = ?", "checked_at >= ?"}
	latestConds  = [3]string{"l.org = ?", "l.username = ?", "l.checked_at >= ?"}
)

// healthFilter returns the WHERE clause that applies f with conds
// (historyConds or latestConds), and the LIMIT clause of f.
func (s *Store) healthFilter(f warden.HealthFilter, conds [3]string) (where, string, error) {
	limit, err := limitClause(f.Limit)
	if err != nil {
		return where{}, "", err
	}
	w := s.where()
	if f.Org != "" {
		w.add(conds[0], f.Org)
	}
	if f.Username != "" {
		w.add(conds[1], f.Username)
	}
	if !f.Since.IsZero() {
		w.add(conds[2], s.t(f.Since))
	}
	return w, limit, nil
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
	return validateStateCause("health result for "+r.Username, r.State, r.Cause)
}

// validateStateCause reports an unknown state or cause of what.
func validateStateCause(what string, state warden.State, cause warden.Cause) error {
	switch state {
	case warden.StateOK, warden.StateDegraded, warden.StateError, warden.StateUnknown:
	default:
		return invalid("%s: state %q is not one of ok, degraded, error, unknown", what, state)
	}
	if cause != warden.CauseNone && !slices.Contains(warden.Causes, cause) {
		return invalid("%s: cause %q is not a known cause", what, cause)
	}
	return nil
}

// scanHealth reads one result in healthColumns order.
func scanHealth(sc scanner) (*warden.HealthResult, error) {
	var r warden.HealthResult
	var state, cause, warnings string
	if err := sc.Scan(&r.ID, &r.Org, &r.Username, &state, &cause, &r.Evidence, &r.Fix, &warnings, (*timeCol)(&r.CheckedAt)); err != nil {
		return nil, err
	}
	r.State, r.Cause = warden.State(state), warden.Cause(cause)
	var err error
	if r.Warnings, err = decodeList[string](warnings); err != nil {
		return nil, err
	}
	return &r, nil
}
