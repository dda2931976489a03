package postgres

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
func (db *DB) UpsertUser(ctx context.Context, u *warden.IntegrationUser) error {
	const op = "postgres.UpsertUser"
	if u == nil {
		return wrap(op, invalid("user: must not be nil"))
	}
	if err := u.Validate(); err != nil {
		return wrap(op, err)
	}
	reasons, err := encodeList(u.Reasons)
	if err != nil {
		return wrap(op, err)
	}
	now := db.now()
	var created time.Time
	err = db.db.QueryRowContext(ctx, `
		INSERT INTO users (`+userColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (org, username) DO UPDATE SET
			user_id = excluded.user_id,
			credential = excluded.credential,
			owner = excluded.owner,
			description = excluded.description,
			reasons = excluded.reasons,
			updated_at = excluded.updated_at
		RETURNING created_at`,
		u.Org, u.Username, u.UserID, u.Credential, u.Owner, u.Description, reasons,
		now, now,
	).Scan(&created)
	if isForeignKey(err) {
		return wrap(op, notFound("org %q not found", u.Org))
	}
	if err != nil {
		return wrap(op, err)
	}
	u.CreatedAt, u.UpdatedAt = readTime(created), now
	return nil
}

// User returns one user, or an ENOTFOUND error.
func (db *DB) User(ctx context.Context, org, username string) (*warden.IntegrationUser, error) {
	const op = "postgres.User"
	row := db.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE org = $1 AND username = $2`, org, username)
	u, err := scanUser(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, wrap(op, notFound("user %q not found in org %q", username, org))
	}
	return u, wrap(op, err)
}

// Users returns the matching users ordered by org and username.
func (db *DB) Users(ctx context.Context, f warden.UserFilter) ([]*warden.IntegrationUser, error) {
	const op = "postgres.Users"
	var w where
	if f.Org != "" {
		w.add("org = %s", f.Org)
	}
	if f.Owner != "" {
		w.add("owner = %s", f.Owner)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users`+w.String()+` ORDER BY org, username`, w.args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	users, err := scanAll(rows, scanUser)
	return users, wrap(op, err)
}

// DeleteUser removes a user and its dependents, or returns an ENOTFOUND
// error.
func (db *DB) DeleteUser(ctx context.Context, org, username string) error {
	const op = "postgres.DeleteUser"
	res, err := db.db.ExecContext(ctx, `DELETE FROM users WHERE org = $1 AND username = $2`, org, username)
	if err != nil {
		return wrap(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap(op, err)
	} else if n == 0 {
		return wrap(op, notFound("user %q not found in org %q", username, org))
	}
	return nil
}

// scanUser reads one user in userColumns order.
func scanUser(s scanner) (*warden.IntegrationUser, error) {
	var u warden.IntegrationUser
	var reasons string
	var created, updated time.Time
	if err := s.Scan(&u.Org, &u.Username, &u.UserID, &u.Credential, &u.Owner, &u.Description, &reasons, &created, &updated); err != nil {
		return nil, err
	}
	var err error
	if u.Reasons, err = decodeList[string](reasons); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = readTime(created), readTime(updated)
	return &u, nil
}
