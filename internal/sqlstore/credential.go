package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/wardenhq/warden"
)

// credentialColumns are the columns scanCredential reads, in order.
const credentialColumns = `name, org, kind, username, client_id, twin_username, twin_client_id, secret_store, secret_key, created_at, rotated_at`

// UpsertCredential creates or replaces the credential with c.Name. The org
// must exist. Only the reference to the secret material is stored. It
// keeps the CreatedAt of an existing credential and writes it back into c;
// RotatedAt is stored as given (zero for never).
func (s *Store) UpsertCredential(ctx context.Context, c *warden.Credential) error {
	if c == nil {
		return s.wrap("UpsertCredential", invalid("credential: must not be nil"))
	}
	if err := c.Validate(); err != nil {
		return s.wrap("UpsertCredential", err)
	}
	now := s.now()
	rotated := c.RotatedAt
	if !rotated.IsZero() {
		rotated = normTime(rotated)
	}
	var created timeCol
	err := s.write.QueryRowContext(ctx, s.q(`
		INSERT INTO credentials (`+credentialColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET
			org = excluded.org,
			kind = excluded.kind,
			username = excluded.username,
			client_id = excluded.client_id,
			twin_username = excluded.twin_username,
			twin_client_id = excluded.twin_client_id,
			secret_store = excluded.secret_store,
			secret_key = excluded.secret_key,
			rotated_at = excluded.rotated_at
		RETURNING created_at`),
		c.Name, c.Org, string(c.Kind), c.Username, c.ClientID, c.TwinUsername, c.TwinClientID, c.Secret.Store, c.Secret.Key,
		s.t(now), s.optT(rotated),
	).Scan(&created)
	if s.d.IsForeignKey(err) {
		return s.wrap("UpsertCredential", notFound("org %q not found", c.Org))
	}
	if err != nil {
		return s.wrap("UpsertCredential", err)
	}
	c.CreatedAt, c.RotatedAt = time.Time(created), rotated
	return nil
}

// Credential returns the named credential, or an ENOTFOUND error.
func (s *Store) Credential(ctx context.Context, name string) (*warden.Credential, error) {
	row := s.read.QueryRowContext(ctx, s.q(`SELECT `+credentialColumns+` FROM credentials WHERE name = ?`), name)
	c, err := scanCredential(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, s.wrap("Credential", notFound("credential %q not found", name))
	}
	return c, s.wrap("Credential", err)
}

// Credentials returns the credentials of an org ("" for all), by name.
func (s *Store) Credentials(ctx context.Context, org string) ([]*warden.Credential, error) {
	w := s.where()
	if org != "" {
		w.add("org = ?", org)
	}
	creds, err := queryAll(ctx, s, scanCredential, `SELECT `+credentialColumns+` FROM credentials`+w.String()+` ORDER BY name`, w.args...)
	return creds, s.wrap("Credentials", err)
}

// DeleteCredential removes the named credential, or returns an ENOTFOUND
// error. Users and orgs that name it keep the name.
func (s *Store) DeleteCredential(ctx context.Context, name string) error {
	err := s.deleteRow(ctx, notFound("credential %q not found", name), `DELETE FROM credentials WHERE name = ?`, name)
	return s.wrap("DeleteCredential", err)
}

// scanCredential reads one credential in credentialColumns order.
func scanCredential(sc scanner) (*warden.Credential, error) {
	var c warden.Credential
	var kind string
	if err := sc.Scan(&c.Name, &c.Org, &kind, &c.Username, &c.ClientID, &c.TwinUsername, &c.TwinClientID, &c.Secret.Store, &c.Secret.Key,
		(*timeCol)(&c.CreatedAt), (*optTimeCol)(&c.RotatedAt)); err != nil {
		return nil, err
	}
	c.Kind = warden.CredentialKind(kind)
	return &c, nil
}
