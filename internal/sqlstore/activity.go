package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/wardenhq/warden"
)

// ActivityState returns the org's activity cursors and every user's rule
// state; an org never committed has zero cursors and no users.
func (s *Store) ActivityState(ctx context.Context, org string) (*warden.ActivityState, error) {
	if org == "" {
		return nil, s.wrap("ActivityState", invalid("activity state: org must not be empty"))
	}
	st := &warden.ActivityState{Org: org}
	var recent string
	err := s.read.QueryRowContext(ctx, s.q(`SELECT login_cursor, audit_cursor, recent FROM activity_cursors WHERE org = ?`), org).
		Scan((*timeCol)(&st.Cursor), (*timeCol)(&st.AuditCursor), &recent)
	switch {
	case errors.Is(err, sql.ErrNoRows): // never committed: zero cursors
	case err != nil:
		return nil, s.wrap("ActivityState", err)
	default:
		if st.Recent, err = decodeList[string](recent); err != nil {
			return nil, s.wrap("ActivityState", err)
		}
	}
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT username, state FROM activity_users WHERE org = ? ORDER BY username`), org)
	if err != nil {
		return nil, s.wrap("ActivityState", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, state string
		if err := rows.Scan(&name, &state); err != nil {
			return nil, s.wrap("ActivityState", err)
		}
		if st.Users == nil {
			st.Users = map[string]json.RawMessage{}
		}
		st.Users[name] = json.RawMessage(state)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("ActivityState", err)
	}
	return st, nil
}

// CommitActivity saves the org's cursors, the user states given and the
// events whose keys are new, in one transaction.
func (s *Store) CommitActivity(ctx context.Context, st *warden.ActivityState, events []*warden.ActivityEvent) ([]*warden.ActivityEvent, error) {
	if err := validateActivity(st, events); err != nil {
		return nil, s.wrap("CommitActivity", err)
	}
	recent := "[]"
	if st != nil {
		var err error
		if recent, err = encodeList(st.Recent); err != nil {
			return nil, s.wrap("CommitActivity", err)
		}
	}
	now := s.now()
	var recorded []*warden.ActivityEvent
	ids := map[*warden.ActivityEvent]int64{}
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		recorded = nil // a retried transaction starts again
		clear(ids)
		if st != nil {
			if _, err := tx.ExecContext(ctx, s.q(`
				INSERT INTO activity_cursors (org, login_cursor, audit_cursor, recent) VALUES (?, ?, ?, ?)
				ON CONFLICT (org) DO UPDATE SET login_cursor = excluded.login_cursor, audit_cursor = excluded.audit_cursor, recent = excluded.recent`),
				st.Org, s.t(st.Cursor), s.t(st.AuditCursor), recent); err != nil {
				return err
			}
		}
		if st != nil && len(st.Users) > 0 {
			stmt, err := tx.PrepareContext(ctx, s.q(`
				INSERT INTO activity_users (org, username, state) VALUES (?, ?, ?)
				ON CONFLICT (org, username) DO UPDATE SET state = excluded.state`))
			if err != nil {
				return err
			}
			defer stmt.Close()
			for name, state := range st.Users {
				if _, err := stmt.ExecContext(ctx, st.Org, strings.ToLower(name), string(state)); err != nil {
					return err
				}
			}
		}
		if len(events) == 0 {
			return nil
		}
		stmt, err := tx.PrepareContext(ctx, s.q(`
			INSERT INTO activity_events (dedup_key, org, username, rule, severity, summary, fix, at, detected_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (dedup_key) DO NOTHING
			RETURNING id`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, e := range events {
			var id int64
			err := stmt.QueryRowContext(ctx, e.Key, e.Org, e.Username, e.Rule, string(e.Severity), e.Summary, e.Fix, s.t(e.At), s.t(now)).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				continue // already recorded
			}
			if err != nil {
				return err
			}
			ids[e] = id
			recorded = append(recorded, e)
		}
		return nil
	})
	if err != nil {
		return nil, s.wrap("CommitActivity", err)
	}
	for _, e := range recorded {
		e.ID, e.DetectedAt, e.At = ids[e], now, normTime(e.At)
	}
	return recorded, nil
}

// Activity returns matching events, newest first (by At, then ID).
func (s *Store) Activity(ctx context.Context, f warden.ActivityFilter) ([]*warden.ActivityEvent, error) {
	limit, err := limitClause(f.Limit)
	if err != nil {
		return nil, s.wrap("Activity", err)
	}
	w := s.where()
	if f.Org != "" {
		w.add("org = ?", f.Org)
	}
	if f.Username != "" {
		w.add("lower(username) = ?", strings.ToLower(f.Username))
	}
	if f.Rule != "" {
		w.add("rule = ?", f.Rule)
	}
	if !f.Since.IsZero() {
		w.add("at >= ?", s.t(f.Since))
	}
	events, err := queryAll(ctx, s, scanActivity, `
		SELECT id, dedup_key, org, username, rule, severity, summary, fix, at, detected_at
		FROM activity_events`+w.String()+`
		ORDER BY at DESC, id DESC`+limit, w.args...)
	return events, s.wrap("Activity", err)
}

// scanActivity reads one event: id, dedup_key, org, username, rule,
// severity, summary, fix, at and detected_at.
func scanActivity(sc scanner) (*warden.ActivityEvent, error) {
	var e warden.ActivityEvent
	var severity string
	if err := sc.Scan(&e.ID, &e.Key, &e.Org, &e.Username, &e.Rule, &severity, &e.Summary, &e.Fix, (*timeCol)(&e.At), (*timeCol)(&e.DetectedAt)); err != nil {
		return nil, err
	}
	e.Severity = warden.Severity(severity)
	return &e, nil
}

// users returns the user states of st (nil for a nil st).
func users(st *warden.ActivityState) map[string]json.RawMessage {
	if st == nil {
		return nil
	}
	return st.Users
}

// validateActivity reports the first problem with a commit, naming the
// field.
func validateActivity(st *warden.ActivityState, events []*warden.ActivityEvent) error {
	if st != nil && st.Org == "" {
		return invalid("activity state: org must not be empty")
	}
	for name, state := range users(st) {
		if name == "" {
			return invalid("activity state of org %s: a user state has no username", st.Org)
		}
		if !json.Valid(state) {
			return invalid("activity state of %s/%s is not JSON", st.Org, name)
		}
	}
	for i, e := range events {
		switch {
		case e == nil:
			return invalid("activity event %d must not be nil", i)
		case e.Key == "":
			return invalid("activity event %d: key must not be empty", i)
		case e.Org == "":
			return invalid("activity event %s: org must not be empty", e.Key)
		case e.Rule == "":
			return invalid("activity event %s: rule must not be empty", e.Key)
		case e.Severity.Rank() < 0:
			return invalid("activity event %s: severity %q is not info, low, medium, high or critical", e.Key, e.Severity)
		case e.Summary == "":
			return invalid("activity event %s: summary must not be empty", e.Key)
		case e.At.IsZero():
			return invalid("activity event %s: at must not be zero", e.Key)
		}
	}
	return nil
}
