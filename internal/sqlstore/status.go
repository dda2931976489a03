package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/wardenhq/warden"
)

// PutStatuses records a sweep of org at sweptAt and replaces the stored
// status of each user in changed. A zero sweptAt becomes now. The org
// must exist (ENOTFOUND otherwise), and so must the user of each status;
// every status must name org. Without changed statuses it runs one
// statement, which moves the org's sweep time; otherwise one transaction
// also replaces the changed rows.
func (s *Store) PutStatuses(ctx context.Context, org string, sweptAt time.Time, changed []*warden.UserStatus) error {
	if err := validateStatuses(org, changed); err != nil {
		return s.wrap("PutStatuses", err)
	}
	swept := s.t(s.orNow(sweptAt))
	const putSweep = `
		INSERT INTO org_sweeps (org, swept_at) VALUES (?, ?)
		ON CONFLICT (org) DO UPDATE SET swept_at = excluded.swept_at`
	var err error
	if len(changed) == 0 {
		_, err = s.write.ExecContext(ctx, s.q(putSweep), org, swept)
	} else {
		err = s.withTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, s.q(putSweep), org, swept); err != nil {
				return err
			}
			stmt, err := tx.PrepareContext(ctx, s.q(`
				INSERT INTO user_statuses (org, username, state, cause, since, fix, evidence, warnings,
					credential_checked_at, next_credential_check)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (org, username) DO UPDATE SET
					state = excluded.state,
					cause = excluded.cause,
					since = excluded.since,
					fix = excluded.fix,
					evidence = excluded.evidence,
					warnings = excluded.warnings,
					credential_checked_at = excluded.credential_checked_at,
					next_credential_check = excluded.next_credential_check`))
			if err != nil {
				return err
			}
			defer stmt.Close()
			for _, u := range changed {
				warnings, err := encodeList(u.Warnings)
				if err != nil {
					return err
				}
				_, err = stmt.ExecContext(ctx, u.Org, u.Username, string(u.State), string(u.Cause), s.optT(u.Since),
					u.Fix, u.Evidence, warnings, s.optT(u.CredentialCheckedAt), s.optT(u.NextCredentialCheck))
				if s.d.IsForeignKey(err) {
					return notFound("user %q not found in org %q", u.Username, org)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	// The user statuses are written after the sweep, so a foreign key
	// violation that reaches here is the org's.
	if s.d.IsForeignKey(err) {
		err = notFound("org %q not found", org)
	}
	return s.wrap("PutStatuses", err)
}

// Statuses returns the status of every matching user of the inventory,
// ordered by org and username. A user without a stored status is
// StateUnknown with zero times; CheckedAt is the org's latest sweep for
// users with a status.
func (s *Store) Statuses(ctx context.Context, f warden.StatusFilter) ([]*warden.UserStatus, error) {
	w := s.where()
	if f.Org != "" {
		w.add("u.org = ?", f.Org)
	}
	if f.Username != "" {
		w.add("u.username = ?", f.Username)
	}
	statuses, err := queryAll(ctx, s, scanStatus, `
		SELECT u.org, u.username, COALESCE(st.state, 'unknown'), COALESCE(st.cause, ''), st.since,
			COALESCE(st.fix, ''), COALESCE(st.evidence, ''), COALESCE(st.warnings, '[]'),
			CASE WHEN st.org IS NULL THEN NULL ELSE sw.swept_at END,
			st.credential_checked_at, st.next_credential_check
		FROM users u
		LEFT JOIN user_statuses st ON st.org = u.org AND st.username = u.username
		LEFT JOIN org_sweeps sw ON sw.org = u.org`+w.String()+`
		ORDER BY u.org, u.username`, w.args...)
	return statuses, s.wrap("Statuses", err)
}

// validateStatuses reports the first problem with a sweep of org that
// changed the statuses given.
func validateStatuses(org string, changed []*warden.UserStatus) error {
	if org == "" {
		return invalid("statuses: org must not be empty")
	}
	for i, u := range changed {
		switch {
		case u == nil:
			return invalid("status %d of org %s: must not be nil", i, org)
		case u.Org != org:
			return invalid("status of %s: org %q is not the swept org %q", u.Username, u.Org, org)
		case u.Username == "":
			return invalid("status %d of org %s: username must not be empty", i, org)
		}
		if err := validateStateCause("status of "+u.Username, u.State, u.Cause); err != nil {
			return err
		}
	}
	return nil
}

// scanStatus reads one row of the query in Statuses.
func scanStatus(sc scanner) (*warden.UserStatus, error) {
	var u warden.UserStatus
	var state, cause, warnings string
	if err := sc.Scan(&u.Org, &u.Username, &state, &cause, (*optTimeCol)(&u.Since), &u.Fix, &u.Evidence, &warnings,
		(*optTimeCol)(&u.CheckedAt), (*optTimeCol)(&u.CredentialCheckedAt), (*optTimeCol)(&u.NextCredentialCheck)); err != nil {
		return nil, err
	}
	u.State, u.Cause = warden.State(state), warden.Cause(cause)
	var err error
	if u.Warnings, err = decodeList[string](warnings); err != nil {
		return nil, err
	}
	return &u, nil
}
