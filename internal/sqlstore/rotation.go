package sqlstore

import (
	"context"

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
