package postgres

import (
	"context"
	"time"

	"github.com/wardenhq/warden"
)

// AppendRotation records one step of a credential rotation and sets its
// ID. A zero At becomes now; At is written back in UTC, truncated to
// microseconds.
func (db *DB) AppendRotation(ctx context.Context, r *warden.RotationRecord) error {
	const op = "postgres.AppendRotation"
	if err := validateRotation(r); err != nil {
		return wrap(op, err)
	}
	at := r.At
	if at.IsZero() {
		at = db.Now()
	}
	at = normTime(at)
	var id int64
	err := db.db.QueryRowContext(ctx, `
		INSERT INTO rotations (rotation_id, credential, step, secret_version, detail, at)
		VALUES ($1, $2, $3, $4, $5, $6)
		RETURNING id`,
		r.RotationID, r.Credential, r.Step, r.SecretVersion, r.Detail, at,
	).Scan(&id)
	if err != nil {
		return wrap(op, err)
	}
	r.ID, r.At = id, at
	return nil
}

// Rotations returns the records of a credential ("" for all), newest
// first (by At, then ID); limit 0 returns all.
func (db *DB) Rotations(ctx context.Context, credential string, limit int) ([]*warden.RotationRecord, error) {
	const op = "postgres.Rotations"
	lim, err := limitClause(limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	var w where
	if credential != "" {
		w.add("credential = %s", credential)
	}
	rows, err := db.db.QueryContext(ctx, `
		SELECT id, rotation_id, credential, step, secret_version, detail, at
		FROM rotations`+w.String()+`
		ORDER BY at DESC, id DESC`+lim, w.args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	records, err := scanAll(rows, func(s scanner) (*warden.RotationRecord, error) {
		var r warden.RotationRecord
		var at time.Time
		if err := s.Scan(&r.ID, &r.RotationID, &r.Credential, &r.Step, &r.SecretVersion, &r.Detail, &at); err != nil {
			return nil, err
		}
		r.At = readTime(at)
		return &r, nil
	})
	return records, wrap(op, err)
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
