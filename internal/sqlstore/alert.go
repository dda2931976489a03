package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/wardenhq/warden"
)

// alertColumns are the columns scanAlert reads, in order.
const alertColumns = `id, key, org, username, state, previous, cause, severity, evidence, fix, resolved, owner, dependents, url, at,
	suppressed, acked_at, acked_by, ack_reason, snoozed_until, snoozed_by, snooze_reason`

// AppendAlert records r and sets its ID. A zero At becomes now; At is
// written back in UTC, truncated to microseconds.
func (s *Store) AppendAlert(ctx context.Context, r *warden.AlertRecord) error {
	switch {
	case r == nil:
		return s.wrap("AppendAlert", invalid("alert: must not be nil"))
	case r.Key == "":
		return s.wrap("AppendAlert", invalid("alert: key must not be empty"))
	case r.Org == "":
		return s.wrap("AppendAlert", invalid("alert %s: org must not be empty", r.Key))
	}
	deps, err := encodeList(r.Dependents)
	if err != nil {
		return s.wrap("AppendAlert", err)
	}
	at := s.orNow(r.At)
	var id int64
	err = s.write.QueryRowContext(ctx, s.q(`
		INSERT INTO alerts (key, org, username, state, previous, cause, severity, evidence, fix, resolved, owner, dependents, url, at,
			suppressed, acked_at, acked_by, ack_reason, snoozed_until, snoozed_by, snooze_reason)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`),
		r.Key, r.Org, r.Username, string(r.State), string(r.Previous), string(r.Cause), string(r.Severity), r.Evidence, r.Fix,
		boolInt(r.Resolved), r.Owner, deps, r.URL, s.t(at),
		boolInt(r.Suppressed), s.optT(r.AcknowledgedAt), r.AcknowledgedBy, r.AckReason, s.optT(r.SnoozedUntil), r.SnoozedBy, r.SnoozeReason,
	).Scan(&id)
	if err != nil {
		return s.wrap("AppendAlert", err)
	}
	r.ID, r.At = id, at
	if !r.AcknowledgedAt.IsZero() {
		r.AcknowledgedAt = normTime(r.AcknowledgedAt)
	}
	if !r.SnoozedUntil.IsZero() {
		r.SnoozedUntil = normTime(r.SnoozedUntil)
	}
	return nil
}

// Alerts returns matching records, newest first (by At, then ID). Offset
// applies only with a Limit.
func (s *Store) Alerts(ctx context.Context, f warden.AlertFilter) ([]*warden.AlertRecord, error) {
	lim, err := limitClause(f.Limit)
	if err != nil {
		return nil, s.wrap("Alerts", err)
	}
	if f.Offset < 0 {
		return nil, s.wrap("Alerts", invalid("offset %d is negative", f.Offset))
	}
	if f.Offset > 0 && f.Limit > 0 {
		lim += " OFFSET " + strconv.Itoa(f.Offset)
	}
	w := s.where()
	if f.Key != "" {
		w.add("key = ?", f.Key)
	}
	if f.Org != "" {
		w.add("org = ?", f.Org)
	}
	if f.Username != "" {
		w.add("username = ?", f.Username)
	}
	if f.Open {
		// The latest record of its key is a problem nobody acknowledged.
		w.add("resolved = ?", 0)
		w.conds = append(w.conds, "acked_at IS NULL", "id IN (SELECT max(id) FROM alerts GROUP BY key)")
	}
	records, err := queryAll(ctx, s, scanAlert, `SELECT `+alertColumns+` FROM alerts`+w.String()+`
		ORDER BY at DESC, id DESC`+lim, w.args...)
	return records, s.wrap("Alerts", err)
}

// Alert returns the record id, or an ENOTFOUND error.
func (s *Store) Alert(ctx context.Context, id int64) (*warden.AlertRecord, error) {
	r, err := scanAlert(s.read.QueryRowContext(ctx, s.q(`SELECT `+alertColumns+` FROM alerts WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		err = notFound("alert %d not found", id)
	}
	if err != nil {
		return nil, s.wrap("Alert", err)
	}
	return r, nil
}

// AcknowledgeAlert records an acknowledgement of the alert id.
func (s *Store) AcknowledgeAlert(ctx context.Context, id int64, by, reason string, at time.Time) error {
	if reason == "" {
		return s.wrap("AcknowledgeAlert", invalid("alert %d: an acknowledgement needs a reason", id))
	}
	return s.wrap("AcknowledgeAlert", s.updateAlert(ctx, id,
		`UPDATE alerts SET acked_at = ?, acked_by = ?, ack_reason = ? WHERE id = ?`, s.t(s.orNow(at)), by, reason, id))
}

// SnoozeAlert records a snooze of the alert id until until.
func (s *Store) SnoozeAlert(ctx context.Context, id int64, by, reason string, until time.Time) error {
	switch {
	case reason == "":
		return s.wrap("SnoozeAlert", invalid("alert %d: a snooze needs a reason", id))
	case until.IsZero():
		return s.wrap("SnoozeAlert", invalid("alert %d: a snooze needs an end", id))
	}
	return s.wrap("SnoozeAlert", s.updateAlert(ctx, id,
		`UPDATE alerts SET snoozed_until = ?, snoozed_by = ?, snooze_reason = ? WHERE id = ?`, s.t(until), by, reason, id))
}

// updateAlert runs an UPDATE of one alert and returns ENOTFOUND when it
// changes none.
func (s *Store) updateAlert(ctx context.Context, id int64, query string, args ...any) error {
	res, err := s.write.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return notFound("alert %d not found", id)
	}
	return nil
}

// boolInt returns b as the 0 or 1 an integer flag column holds.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// scanAlert reads one record in alertColumns order.
func scanAlert(sc scanner) (*warden.AlertRecord, error) {
	var r warden.AlertRecord
	var state, previous, cause, severity, deps string
	var resolved, suppressed int
	if err := sc.Scan(&r.ID, &r.Key, &r.Org, &r.Username, &state, &previous, &cause, &severity, &r.Evidence, &r.Fix, &resolved,
		&r.Owner, &deps, &r.URL, (*timeCol)(&r.At), &suppressed, (*optTimeCol)(&r.AcknowledgedAt), &r.AcknowledgedBy, &r.AckReason,
		(*optTimeCol)(&r.SnoozedUntil), &r.SnoozedBy, &r.SnoozeReason); err != nil {
		return nil, err
	}
	r.State, r.Previous, r.Cause, r.Severity = warden.State(state), warden.State(previous), warden.Cause(cause), warden.Severity(severity)
	r.Resolved, r.Suppressed = resolved == 1, suppressed == 1
	var err error
	if r.Dependents, err = decodeList[warden.AffectedApp](deps); err != nil {
		return nil, err
	}
	return &r, nil
}
