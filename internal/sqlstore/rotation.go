package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/wardenhq/warden"
)

// AppendRotation records one step of a credential rotation and sets its
// ID. A zero At becomes now; At is written back in UTC, truncated to
// microseconds.
func (s *Store) AppendRotation(ctx context.Context, r *warden.RotationRecord) error {
	if err := validateRotation(r); err != nil {
		return s.wrap("AppendRotation", err)
	}
	at := s.orNow(r.At)
	var id int64
	err := s.write.QueryRowContext(ctx, s.q(`
		INSERT INTO rotations (rotation_id, credential, step, secret_version, detail, at)
		VALUES (?, ?, ?, ?, ?, ?)
		RETURNING id`),
		r.RotationID, r.Credential, r.Step, r.SecretVersion, r.Detail, s.t(at),
	).Scan(&id)
	if err != nil {
		return s.wrap("AppendRotation", err)
	}
	r.ID, r.At = id, at
	return nil
}

// Rotations returns the records of a credential ("" for all), newest
// first (by At, then ID); limit 0 returns all.
func (s *Store) Rotations(ctx context.Context, credential string, limit int) ([]*warden.RotationRecord, error) {
	lim, err := limitClause(limit)
	if err != nil {
		return nil, s.wrap("Rotations", err)
	}
	w := s.where()
	if credential != "" {
		w.add("credential = ?", credential)
	}
	records, err := queryAll(ctx, s, scanRotation, `
		SELECT id, rotation_id, credential, step, secret_version, detail, at
		FROM rotations`+w.String()+`
		ORDER BY at DESC, id DESC`+lim, w.args...)
	return records, s.wrap("Rotations", err)
}

// validateRotation reports the first problem with r, naming the field.
func validateRotation(r *warden.RotationRecord) error {
	switch {
	case r == nil:
		return invalid("rotation record: must not be nil")
	case r.RotationID == "":
		return invalid("rotation record: rotationId must not be empty")
	case r.Credential == "":
		return invalid("rotation %s: credential must not be empty", r.RotationID)
	case r.Step == "":
		return invalid("rotation %s: step must not be empty", r.RotationID)
	}
	return nil
}

// scanRotation reads one record: id, rotation_id, credential, step,
// secret_version, detail and at.
func scanRotation(sc scanner) (*warden.RotationRecord, error) {
	var r warden.RotationRecord
	if err := sc.Scan(&r.ID, &r.RotationID, &r.Credential, &r.Step, &r.SecretVersion, &r.Detail, (*timeCol)(&r.At)); err != nil {
		return nil, err
	}
	return &r, nil
}

// rotationJobColumns are the columns scanRotationJob reads, in order.
const rotationJobColumns = `id, credential, org, kind, state, step, trigger_by, path, error, attempt,
	lease_owner, lease_until, not_before, data, created_at, updated_at`

// CreateRotationJob stores a new running job and sets its CreatedAt and
// UpdatedAt. Another running job of the credential is ECONFLICT, naming
// that job.
func (s *Store) CreateRotationJob(ctx context.Context, j *warden.RotationJob) error {
	if err := validateRotationJob(j); err != nil {
		return s.wrap("CreateRotationJob", err)
	}
	now := s.now()
	data := j.Data
	if len(data) == 0 {
		data = []byte("{}")
	}
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var other string
		err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM rotation_jobs WHERE credential = ? AND state = 'running'`), j.Credential).Scan(&other)
		switch {
		case err == nil:
			return warden.Errorf(warden.ECONFLICT, "credential %s is already being rotated (rotation %s)", j.Credential, other)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`
			INSERT INTO rotation_jobs (`+rotationJobColumns+`)
			VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, 0, '', NULL, ?, ?, ?, ?)`),
			j.ID, j.Credential, j.Org, string(j.Kind), j.Step, j.Trigger, j.Path, j.Error, s.optT(j.NotBefore), string(data), s.t(now), s.t(now))
		return err
	})
	if err != nil {
		return s.wrap("CreateRotationJob", err)
	}
	j.State, j.Attempt, j.LeaseOwner, j.LeaseUntil, j.Data = warden.RotationRunning, 0, "", time.Time{}, data
	j.CreatedAt, j.UpdatedAt = now, now
	return nil
}

// RotationJob returns a job by id, or ENOTFOUND.
func (s *Store) RotationJob(ctx context.Context, id string) (*warden.RotationJob, error) {
	j, err := scanRotationJob(s.read.QueryRowContext(ctx, s.q(`SELECT `+rotationJobColumns+` FROM rotation_jobs WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		err = notFound("rotation %q not found", id)
	}
	return j, s.wrap("RotationJob", err)
}

// RotationJobs returns the matching jobs, newest first (by CreatedAt, then
// id); limit 0 returns all.
func (s *Store) RotationJobs(ctx context.Context, f warden.RotationJobFilter, limit int) ([]*warden.RotationJob, error) {
	lim, err := limitClause(limit)
	if err != nil {
		return nil, s.wrap("RotationJobs", err)
	}
	w := s.where()
	if f.Credential != "" {
		w.add("credential = ?", f.Credential)
	}
	if f.Org != "" {
		w.add("org = ?", f.Org)
	}
	if f.Active {
		w.add("state = ?", string(warden.RotationRunning))
	}
	jobs, err := queryAll(ctx, s, scanRotationJob, `SELECT `+rotationJobColumns+` FROM rotation_jobs`+w.String()+`
		ORDER BY created_at DESC, id DESC`+lim, w.args...)
	return jobs, s.wrap("RotationJobs", err)
}

// ClaimRotationJob leases a running job to owner until now + lease when it
// is unleased, its lease has expired or owner holds it, and counts the
// attempt.
func (s *Store) ClaimRotationJob(ctx context.Context, id, owner string, lease time.Duration) (*warden.RotationJob, error) {
	if owner == "" || lease <= 0 {
		return nil, s.wrap("ClaimRotationJob", invalid("rotation %s: a claim needs an owner and a positive lease", id))
	}
	now := s.now()
	var j *warden.RotationJob
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		j, err = scanRotationJob(tx.QueryRowContext(ctx, s.q(`SELECT `+rotationJobColumns+` FROM rotation_jobs WHERE id = ?`), id))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return notFound("rotation %q not found", id)
		case err != nil:
			return err
		case j.State.Done():
			return invalid("rotation %s is %s", id, j.State)
		case j.LeaseOwner != "" && j.LeaseOwner != owner && j.LeaseUntil.After(now):
			return warden.Errorf(warden.ECONFLICT, "rotation %s is being run by %s until %s", id, j.LeaseOwner, j.LeaseUntil.Format(time.RFC3339))
		}
		j.LeaseOwner, j.LeaseUntil, j.UpdatedAt = owner, normTime(now.Add(lease)), now
		j.Attempt++
		_, err = tx.ExecContext(ctx, s.q(`UPDATE rotation_jobs SET lease_owner = ?, lease_until = ?, attempt = ?, updated_at = ? WHERE id = ?`),
			owner, s.t(j.LeaseUntil), j.Attempt, s.t(now), id)
		return err
	})
	if err != nil {
		return nil, s.wrap("ClaimRotationJob", err)
	}
	return j, nil
}

// SaveRotationJob writes j's progress and extends its lease, or fails with
// ECONFLICT when j.LeaseOwner no longer holds the lease. A final state
// releases the lease.
func (s *Store) SaveRotationJob(ctx context.Context, j *warden.RotationJob, lease time.Duration) error {
	if j == nil || j.ID == "" || j.LeaseOwner == "" {
		return s.wrap("SaveRotationJob", invalid("rotation job: id and leaseOwner must not be empty"))
	}
	switch j.State {
	case warden.RotationRunning, warden.RotationCompleted, warden.RotationRolledBack, warden.RotationFailed:
	default:
		return s.wrap("SaveRotationJob", invalid("rotation %s: state %q is not one of running, completed, rolled_back, failed", j.ID, j.State))
	}
	now := s.now()
	until := normTime(now.Add(lease))
	owner := j.LeaseOwner
	if j.State.Done() {
		owner, until = "", time.Time{}
	}
	data := j.Data
	if len(data) == 0 {
		data = []byte("{}")
	}
	res, err := s.write.ExecContext(ctx, s.q(`
		UPDATE rotation_jobs SET step = ?, state = ?, path = ?, error = ?, not_before = ?, data = ?,
			lease_owner = ?, lease_until = ?, updated_at = ?
		WHERE id = ? AND lease_owner = ? AND state = 'running' AND lease_until >= ?`),
		j.Step, string(j.State), j.Path, j.Error, s.optT(j.NotBefore), string(data), owner, s.optT(until), s.t(now),
		j.ID, j.LeaseOwner, s.t(now))
	if err != nil {
		return s.wrap("SaveRotationJob", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.wrap("SaveRotationJob", err)
	} else if n == 0 {
		return s.wrap("SaveRotationJob", warden.Errorf(warden.ECONFLICT, "rotation %s: the lease of %s was lost", j.ID, j.LeaseOwner))
	}
	j.LeaseUntil, j.UpdatedAt, j.Data = until, now, data
	if j.State.Done() {
		j.LeaseOwner = ""
	}
	return nil
}

// validateRotationJob reports the first problem with a new job.
func validateRotationJob(j *warden.RotationJob) error {
	switch {
	case j == nil:
		return invalid("rotation job: must not be nil")
	case j.ID == "":
		return invalid("rotation job: id must not be empty")
	case j.Credential == "" || j.Org == "":
		return invalid("rotation %s: credential and org must not be empty", j.ID)
	case !j.Kind.Valid():
		return invalid("rotation %s: kind %q is not a credential kind", j.ID, j.Kind)
	case j.Step == "":
		return invalid("rotation %s: step must not be empty", j.ID)
	}
	return nil
}

// scanRotationJob reads the rotationJobColumns.
func scanRotationJob(sc scanner) (*warden.RotationJob, error) {
	var j warden.RotationJob
	var kind, state, data string
	if err := sc.Scan(&j.ID, &j.Credential, &j.Org, &kind, &state, &j.Step, &j.Trigger, &j.Path, &j.Error, &j.Attempt,
		&j.LeaseOwner, (*optTimeCol)(&j.LeaseUntil), (*optTimeCol)(&j.NotBefore), &data, (*timeCol)(&j.CreatedAt), (*timeCol)(&j.UpdatedAt)); err != nil {
		return nil, err
	}
	j.Kind, j.State, j.Data = warden.CredentialKind(kind), warden.RotationState(state), []byte(data)
	return &j, nil
}
