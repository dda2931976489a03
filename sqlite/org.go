package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/wardenhq/warden"
)

// orgColumns are the columns scanOrg reads, in order.
const orgColumns = `name, org_id, login_url, instance_url, monitoring_credential, daily_api_share, created_at, updated_at`

// UpsertOrg creates or replaces the org with o.Name. It keeps the
// CreatedAt of an existing org, sets UpdatedAt to now, and writes both
// back into o.
func (db *DB) UpsertOrg(ctx context.Context, o *warden.Org) error {
	const op = "sqlite.UpsertOrg"
	if o == nil {
		return wrap(op, invalid("org: must not be nil"))
	}
	if err := o.Validate(); err != nil {
		return wrap(op, err)
	}
	now := db.now()
	var created int64
	err := db.write.QueryRowContext(ctx, `
		INSERT INTO orgs (`+orgColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET
			org_id = excluded.org_id,
			login_url = excluded.login_url,
			instance_url = excluded.instance_url,
			monitoring_credential = excluded.monitoring_credential,
			daily_api_share = excluded.daily_api_share,
			updated_at = excluded.updated_at
		RETURNING created_at`,
		o.Name, o.OrgID, o.LoginURL, o.InstanceURL, o.MonitoringCredential, o.DailyAPIShare,
		encodeTime(now), encodeTime(now),
	).Scan(&created)
	if err != nil {
		return wrap(op, err)
	}
	o.CreatedAt, o.UpdatedAt = decodeTime(created), now
	return nil
}

// Org returns the named org, or an ENOTFOUND error.
func (db *DB) Org(ctx context.Context, name string) (*warden.Org, error) {
	const op = "sqlite.Org"
	row := db.read.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs WHERE name = ?`, name)
	o, err := scanOrg(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, wrap(op, notFound("org %q not found", name))
	}
	return o, wrap(op, err)
}

// Orgs returns every org ordered by name.
func (db *DB) Orgs(ctx context.Context) ([]*warden.Org, error) {
	const op = "sqlite.Orgs"
	rows, err := db.read.QueryContext(ctx, `SELECT `+orgColumns+` FROM orgs ORDER BY name`)
	if err != nil {
		return nil, wrap(op, err)
	}
	orgs, err := scanAll(rows, scanOrg)
	return orgs, wrap(op, err)
}

// DeleteOrg removes an org with its users, credentials and dependents, or
// returns an ENOTFOUND error.
func (db *DB) DeleteOrg(ctx context.Context, name string) error {
	const op = "sqlite.DeleteOrg"
	res, err := db.write.ExecContext(ctx, `DELETE FROM orgs WHERE name = ?`, name)
	if err != nil {
		return wrap(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap(op, err)
	} else if n == 0 {
		return wrap(op, notFound("org %q not found", name))
	}
	return nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// scanOrg reads one org in orgColumns order.
func scanOrg(s scanner) (*warden.Org, error) {
	var o warden.Org
	var created, updated int64
	if err := s.Scan(&o.Name, &o.OrgID, &o.LoginURL, &o.InstanceURL, &o.MonitoringCredential, &o.DailyAPIShare, &created, &updated); err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = decodeTime(created), decodeTime(updated)
	return &o, nil
}

// scanAll reads every row with scan and closes rows.
func scanAll[T any](rows *sql.Rows, scan func(scanner) (*T, error)) ([]*T, error) {
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
