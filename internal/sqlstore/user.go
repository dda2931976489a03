package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/wardenhq/warden"
)

// userColumns are the columns scanUser reads, in order.
const userColumns = `org, username, user_id, credential, owner, description, reasons, created_at, updated_at`

// UpsertUser creates or replaces the user with (u.Org, u.Username). The
// org must exist. It keeps the CreatedAt of an existing user, sets
// UpdatedAt to now, and writes both back into u.
func (s *Store) UpsertUser(ctx context.Context, u *warden.IntegrationUser) error {
	if u == nil {
		return s.wrap("UpsertUser", invalid("user: must not be nil"))
	}
	if err := u.Validate(); err != nil {
		return s.wrap("UpsertUser", err)
	}
	reasons, err := encodeList(u.Reasons)
	if err != nil {
		return s.wrap("UpsertUser", err)
	}
	now := s.now()
	var created timeCol
	err = s.write.QueryRowContext(ctx, s.q(`
		INSERT INTO users (`+userColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (org, username) DO UPDATE SET
			user_id = excluded.user_id,
			credential = excluded.credential,
			owner = excluded.owner,
			description = excluded.description,
			reasons = excluded.reasons,
			updated_at = excluded.updated_at
		RETURNING created_at`),
		u.Org, u.Username, u.UserID, u.Credential, u.Owner, u.Description, reasons,
		s.t(now), s.t(now),
	).Scan(&created)
	if s.d.IsForeignKey(err) {
		return s.wrap("UpsertUser", notFound("org %q not found", u.Org))
	}
	if err != nil {
		return s.wrap("UpsertUser", err)
	}
	u.CreatedAt, u.UpdatedAt = time.Time(created), now
	return nil
}

// User returns one user, or an ENOTFOUND error.
func (s *Store) User(ctx context.Context, org, username string) (*warden.IntegrationUser, error) {
	row := s.read.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM users WHERE org = ? AND username = ?`), org, username)
	u, err := scanUser(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, s.wrap("User", notFound("user %q not found in org %q", username, org))
	}
	return u, s.wrap("User", err)
}

// Users returns the matching users ordered by org and username.
func (s *Store) Users(ctx context.Context, f warden.UserFilter) ([]*warden.IntegrationUser, error) {
	w := s.where()
	if f.Org != "" {
		w.add("org = ?", f.Org)
	}
	if f.Owner != "" {
		w.add("owner = ?", f.Owner)
	}
	users, err := queryAll(ctx, s, scanUser, `SELECT `+userColumns+` FROM users`+w.String()+` ORDER BY org, username`, w.args...)
	return users, s.wrap("Users", err)
}

// DeleteUser removes a user and its dependents, or returns an ENOTFOUND
// error.
func (s *Store) DeleteUser(ctx context.Context, org, username string) error {
	err := s.deleteRow(ctx, notFound("user %q not found in org %q", username, org),
		`DELETE FROM users WHERE org = ? AND username = ?`, org, username)
	return s.wrap("DeleteUser", err)
}

// scanUser reads one user in userColumns order.
func scanUser(sc scanner) (*warden.IntegrationUser, error) {
	var u warden.IntegrationUser
	var reasons string
	if err := sc.Scan(&u.Org, &u.Username, &u.UserID, &u.Credential, &u.Owner, &u.Description, &reasons,
		(*timeCol)(&u.CreatedAt), (*timeCol)(&u.UpdatedAt)); err != nil {
		return nil, err
	}
	var err error
	if u.Reasons, err = decodeList[string](reasons); err != nil {
		return nil, err
	}
	return &u, nil
}
