package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/wardenhq/warden"
)

// AppendFindings records the findings of one audit run, which may be
// empty: a clean audit is recorded too. Each finding gets its ID, AuditID
// set to auditID, and FoundAt set to at when zero. A zero at becomes now.
// Recording an audit id twice is an ECONFLICT error.
func (db *DB) AppendFindings(ctx context.Context, auditID string, at time.Time, fs []*warden.Finding) error {
	const op = "postgres.AppendFindings"
	if err := validateFindings(auditID, fs); err != nil {
		return wrap(op, err)
	}
	if at.IsZero() {
		at = db.Now()
	}
	at = normTime(at)
	ids := make([]int64, len(fs))
	found := make([]time.Time, len(fs))
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO audits (id, at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, auditID, at)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return warden.Errorf(warden.ECONFLICT, "audit %q is already recorded", auditID)
		}
		if len(fs) == 0 {
			return nil
		}
		stmt, err := tx.PrepareContext(ctx, `
			INSERT INTO findings (audit_id, org, username, rule, severity, evidence, source, fix, found_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			RETURNING id`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, f := range fs {
			found[i] = at
			if !f.FoundAt.IsZero() {
				found[i] = normTime(f.FoundAt)
			}
			err := stmt.QueryRowContext(ctx, auditID, f.Org, f.Username, f.Rule, string(f.Severity), f.Evidence, f.Source, f.Fix, found[i]).Scan(&ids[i])
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return wrap(op, err)
	}
	for i, f := range fs {
		f.ID, f.AuditID, f.FoundAt = ids[i], auditID, found[i]
	}
	return nil
}

// Findings returns matching findings, newest audit first, and within an
// audit in the order they were recorded.
func (db *DB) Findings(ctx context.Context, f warden.FindingFilter) ([]*warden.Finding, error) {
	const op = "postgres.Findings"
	limit, err := limitClause(f.Limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	var w where
	if f.AuditID != "" {
		w.add("f.audit_id = %s", f.AuditID)
	}
	if f.Org != "" {
		w.add("f.org = %s", f.Org)
	}
	if f.Username != "" {
		w.add("f.username = %s", f.Username)
	}
	rows, err := db.db.QueryContext(ctx, `
		SELECT f.id, f.audit_id, f.org, f.username, f.rule, f.severity, f.evidence, f.source, f.fix, f.found_at
		FROM findings f JOIN audits a ON a.id = f.audit_id`+w.String()+`
		ORDER BY a.at DESC, a.seq DESC, f.id`+limit, w.args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	findings, err := scanAll(rows, func(s scanner) (*warden.Finding, error) {
		var f warden.Finding
		var severity string
		var at time.Time
		if err := s.Scan(&f.ID, &f.AuditID, &f.Org, &f.Username, &f.Rule, &severity, &f.Evidence, &f.Source, &f.Fix, &at); err != nil {
			return nil, err
		}
		f.Severity, f.FoundAt = warden.Severity(severity), readTime(at)
		return &f, nil
	})
	return findings, wrap(op, err)
}

// Audits returns recent audit runs with their finding counts, newest
// first; limit 0 returns all.
func (db *DB) Audits(ctx context.Context, limit int) ([]warden.AuditRun, error) {
	const op = "postgres.Audits"
	lim, err := limitClause(limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	rows, err := db.db.QueryContext(ctx, `
		SELECT a.id, a.at, (SELECT count(*) FROM findings f WHERE f.audit_id = a.id)
		FROM audits a
		ORDER BY a.at DESC, a.seq DESC`+lim)
	if err != nil {
		return nil, wrap(op, err)
	}
	runs, err := scanAll(rows, func(s scanner) (*warden.AuditRun, error) {
		var r warden.AuditRun
		var at time.Time
		if err := s.Scan(&r.ID, &at, &r.Findings); err != nil {
			return nil, err
		}
		r.At = readTime(at)
		return &r, nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	out := make([]warden.AuditRun, len(runs))
	for i, r := range runs {
		out[i] = *r
	}
	return out, nil
}

// validateFindings reports the first problem with an audit's findings,
// naming the field.
func validateFindings(auditID string, fs []*warden.Finding) error {
	if auditID == "" {
		return invalid("audit: id must not be empty")
	}
	for i, f := range fs {
		switch {
		case f == nil:
			return invalid("audit %s: finding %d must not be nil", auditID, i)
		case f.Org == "":
			return invalid("audit %s: finding %d: org must not be empty", auditID, i)
		case f.Rule == "":
			return invalid("audit %s: finding %d: rule must not be empty", auditID, i)
		case f.Severity.Rank() < 0:
			return invalid("audit %s: finding %d (%s): severity %q is not one of info, low, medium, high, critical", auditID, i, f.Rule, f.Severity)
		}
	}
	return nil
}
