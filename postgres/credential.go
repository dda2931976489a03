package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/wardenhq/warden"
)

// credentialColumns are the columns scanCredential reads, in order.
const credentialColumns = `name, org, kind, username, client_id, secret_store, secret_key, created_at, rotated_at`

// UpsertCredential creates or replaces the credential with c.Name. The org
// must exist. Only the reference to the secret material is stored. It
// keeps the CreatedAt of an existing credential and writes it back into c;
// RotatedAt is stored as given (zero for never).
func (db *DB) UpsertCredential(ctx context.Context, c *warden.Credential) error {
	const op = "postgres.UpsertCredential"
	if c == nil {
		return wrap(op, invalid("credential: must not be nil"))
	}
	if err := c.Validate(); err != nil {
		return wrap(op, err)
	}
	now := db.now()
	rotated := c.RotatedAt
	if !rotated.IsZero() {
		rotated = normTime(rotated)
	}
	var created time.Time
	err := db.db.QueryRowContext(ctx, `
		INSERT INTO credentials (`+credentialColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (name) DO UPDATE SET
			org = excluded.org,
			kind = excluded.kind,
			username = excluded.username,
			client_id = excluded.client_id,
			secret_store = excluded.secret_store,
			secret_key = excluded.secret_key,
			rotated_at = excluded.rotated_at
		RETURNING created_at`,
		c.Name, c.Org, string(c.Kind), c.Username, c.ClientID, c.Secret.Store, c.Secret.Key,
		now, optTime(rotated),
	).Scan(&created)
	if isForeignKey(err) {
		return wrap(op, notFound("org %q not found", c.Org))
	}
	if err != nil {
		return wrap(op, err)
	}
	c.CreatedAt, c.RotatedAt = readTime(created), rotated
	return nil
}

// Credential returns the named credential, or an ENOTFOUND error.
func (db *DB) Credential(ctx context.Context, name string) (*warden.Credential, error) {
	const op = "postgres.Credential"
	row := db.db.QueryRowContext(ctx, `SELECT `+credentialColumns+` FROM credentials WHERE name = $1`, name)
	c, err := scanCredential(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, wrap(op, notFound("credential %q not found", name))
	}
	return c, wrap(op, err)
}

// Credentials returns the credentials of an org ("" for all), by name.
func (db *DB) Credentials(ctx context.Context, org string) ([]*warden.Credential, error) {
	const op = "postgres.Credentials"
	var w where
	if org != "" {
		w.add("org = %s", org)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+credentialColumns+` FROM credentials`+w.String()+` ORDER BY name`, w.args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	creds, err := scanAll(rows, scanCredential)
	return creds, wrap(op, err)
}

// DeleteCredential removes the named credential, or returns an ENOTFOUND
// error. Users and orgs that name it keep the name.
func (db *DB) DeleteCredential(ctx context.Context, name string) error {
	const op = "postgres.DeleteCredential"
	res, err := db.db.ExecContext(ctx, `DELETE FROM credentials WHERE name = $1`, name)
	if err != nil {
		return wrap(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap(op, err)
	} else if n == 0 {
		return wrap(op, notFound("credential %q not found", name))
	}
	return nil
}

// scanCredential reads one credential in credentialColumns order.
func scanCredential(s scanner) (*warden.Credential, error) {
	var c warden.Credential
	var kind string
	var created time.Time
	var rotated sql.NullTime
	if err := s.Scan(&c.Name, &c.Org, &kind, &c.Username, &c.ClientID, &c.Secret.Store, &c.Secret.Key, &created, &rotated); err != nil {
		return nil, err
	}
	c.Kind = warden.CredentialKind(kind)
	c.CreatedAt, c.RotatedAt = readTime(created), readOptTime(rotated)
	return &c, nil
}
