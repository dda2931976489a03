package sqlstore

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
func (s *Store) AppendFindings(ctx context.Context, auditID string, at time.Time, fs []*warden.Finding) error {
	if err := validateFindings(auditID, fs); err != nil {
		return s.wrap("AppendFindings", err)
	}
	at = s.orNow(at)
	ids := make([]int64, len(fs))
	found := make([]time.Time, len(fs))
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO audits (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`), auditID, s.t(at))
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
		stmt, err := tx.PrepareContext(ctx, s.q(`
			INSERT INTO findings (audit_id, org, username, rule, severity, evidence, source, fix, found_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING id`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, f := range fs {
			found[i] = at
			if !f.FoundAt.IsZero() {
				found[i] = normTime(f.FoundAt)
			}
			err := stmt.QueryRowContext(ctx, auditID, f.Org, f.Username, f.Rule, string(f.Severity), f.Evidence, f.Source, f.Fix, s.t(found[i])).Scan(&ids[i])
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.wrap("AppendFindings", err)
	}
	for i, f := range fs {
		f.ID, f.AuditID, f.FoundAt = ids[i], auditID, found[i]
	}
	return nil
}

// Findings returns matching findings, newest audit first, and within an
// audit in the order they were recorded.
func (s *Store) Findings(ctx context.Context, f warden.FindingFilter) ([]*warden.Finding, error) {
	limit, err := limitClause(f.Limit)
	if err != nil {
		return nil, s.wrap("Findings", err)
	}
	w := s.where()
	if f.AuditID != "" {
		w.add("f.audit_id = ?", f.AuditID)
	}
	if f.Org != "" {
		w.add("f.org = ?", f.Org)
	}
	if f.Username != "" {
		w.add("f.username = ?", f.Username)
	}
	findings, err := queryAll(ctx, s, scanFinding, `
		SELECT f.id, f.audit_id, f.org, f.username, f.rule, f.severity, f.evidence, f.source, f.fix, f.found_at
		FROM findings f JOIN audits a ON a.id = f.audit_id`+w.String()+`
		ORDER BY a.at DESC, a.seq DESC, f.id`+limit, w.args...)
	return findings, s.wrap("Findings", err)
}

// Audits returns recent audit runs with their finding counts, newest
// first; limit 0 returns all.
func (s *Store) Audits(ctx context.Context, limit int) ([]warden.AuditRun, error) {
	lim, err := limitClause(limit)
	if err != nil {
		return nil, s.wrap("Audits", err)
	}
	runs, err := queryAll(ctx, s, scanAudit, `
		SELECT a.id, a.at, (SELECT count(*) FROM findings f WHERE f.audit_id = a.id)
		FROM audits a
		ORDER BY a.at DESC, a.seq DESC`+lim)
	if err != nil {
		return nil, s.wrap("Audits", err)
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

// scanFinding reads one finding: id, audit_id, org, username, rule,
// severity, evidence, source, fix and found_at.
func scanFinding(sc scanner) (*warden.Finding, error) {
	var f warden.Finding
	var severity string
	if err := sc.Scan(&f.ID, &f.AuditID, &f.Org, &f.Username, &f.Rule, &severity, &f.Evidence, &f.Source, &f.Fix, (*timeCol)(&f.FoundAt)); err != nil {
		return nil, err
	}
	f.Severity = warden.Severity(severity)
	return &f, nil
}

// scanAudit reads one audit run: its id, time and finding count.
func scanAudit(sc scanner) (*warden.AuditRun, error) {
	var r warden.AuditRun
	if err := sc.Scan(&r.ID, (*timeCol)(&r.At), &r.Findings); err != nil {
		return nil, err
	}
	return &r, nil
}
