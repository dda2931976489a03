package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/wardenhq/warden"
)

// userColumns are the columns scanUser reads, in order.
const userColumns = `org, username, user_id, credential, owner, description, reasons, created_at, updated_at`

// UpsertUser creates or replaces the user with (u.Org, u.Username). The
// org must exist. It keeps the CreatedAt of an existing user, sets
// UpdatedAt to now, and writes both back into u.
func (db *DB) UpsertUser(ctx context.Context, u *warden.IntegrationUser) error {
	const op = "sqlite.UpsertUser"
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
	var created int64
	err = db.write.QueryRowContext(ctx, `
		INSERT INTO users (`+userColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (org, username) DO UPDATE SET
			user_id = excluded.user_id,
			credential = excluded.credential,
			owner = excluded.owner,
			description = excluded.description,
			reasons = excluded.reasons,
			updated_at = excluded.updated_at
		RETURNING created_at`,
		u.Org, u.Username, u.UserID, u.Credential, u.Owner, u.Description, reasons,
		encodeTime(now), encodeTime(now),
	).Scan(&created)
	if isForeignKey(err) {
		return wrap(op, notFound("org %q not found", u.Org))
	}
	if err != nil {
		return wrap(op, err)
	}
	u.CreatedAt, u.UpdatedAt = decodeTime(created), now
	return nil
}

// User returns one user, or an ENOTFOUND error.
func (db *DB) User(ctx context.Context, org, username string) (*warden.IntegrationUser, error) {
	const op = "sqlite.User"
	row := db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE org = ? AND username = ?`, org, username)
	u, err := scanUser(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, wrap(op, notFound("user %q not found in org %q", username, org))
	}
	return u, wrap(op, err)
}

// Users returns the matching users ordered by org and username.
func (db *DB) Users(ctx context.Context, f warden.UserFilter) ([]*warden.IntegrationUser, error) {
	const op = "sqlite.Users"
	var w where
	if f.Org != "" {
		w.add("org = ?", f.Org)
	}
	if f.Owner != "" {
		w.add("owner = ?", f.Owner)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users`+w.String()+` ORDER BY org, username`, w.args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	users, err := scanAll(rows, scanUser)
	return users, wrap(op, err)
}

// DeleteUser removes a user and its dependents, or returns an ENOTFOUND
// error.
func (db *DB) DeleteUser(ctx context.Context, org, username string) error {
	const op = "sqlite.DeleteUser"
	res, err := db.write.ExecContext(ctx, `DELETE FROM users WHERE org = ? AND username = ?`, org, username)
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
	var created, updated int64
	if err := s.Scan(&u.Org, &u.Username, &u.UserID, &u.Credential, &u.Owner, &u.Description, &reasons, &created, &updated); err != nil {
		return nil, err
	}
	var err error
	if u.Reasons, err = decodeList[string](reasons); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = decodeTime(created), decodeTime(updated)
	return &u, nil
}
