package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/wardenhq/warden"
)

// orgColumns are the columns scanOrg reads, in order.
const orgColumns = `name, org_id, login_url, instance_url, monitoring_credential, daily_api_share, created_at, updated_at`

// UpsertOrg creates or replaces the org with o.Name. It keeps the
// CreatedAt of an existing org, sets UpdatedAt to now, and writes both
// back into o.
func (db *DB) UpsertOrg(ctx context.Context, o *warden.Org) error {
	const op = "postgres.UpsertOrg"
	if o == nil {
		return wrap(op, invalid("org: must not be nil"))
	}
	if err := o.Validate(); err != nil {
		return wrap(op, err)
	}
	now := db.now()
	var created time.Time
	err := db.db.QueryRowContext(ctx, `
		INSERT INTO orgs (`+orgColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (name) DO UPDATE SET
			org_id = excluded.org_id,
			login_url = excluded.login_url,
			instance_url = excluded.instance_url,
			monitoring_credential = excluded.monitoring_credential,
			daily_api_share = excluded.daily_api_share,
			updated_at = excluded.updated_at
		RETURNING created_at`,
		o.Name, o.OrgID, o.LoginURL, o.InstanceURL, o.MonitoringCredential, o.DailyAPIShare,
		now, now,
	).Scan(&created)
	if err != nil {
		return wrap(op, err)
	}
	o.CreatedAt, o.UpdatedAt = readTime(created), now
	return nil
}

// Org returns the named org, or an ENOTFOUND error.
func (db *DB) Org(ctx context.Context, name string) (*warden.Org, error) {
	const op = "postgres.Org"
	row := db.db.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs WHERE name = $1`, name)
	o, err := scanOrg(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, wrap(op, notFound("org %q not found", name))
	}
	return o, wrap(op, err)
}

// Orgs returns every org ordered by name.
func (db *DB) Orgs(ctx context.Context) ([]*warden.Org, error) {
	const op = "postgres.Orgs"
	rows, err := db.db.QueryContext(ctx, `SELECT `+orgColumns+` FROM orgs ORDER BY name`)
	if err != nil {
		return nil, wrap(op, err)
	}
	orgs, err := scanAll(rows, scanOrg)
	return orgs, wrap(op, err)
}

// DeleteOrg removes an org with its users, credentials and dependents, or
// returns an ENOTFOUND error.
func (db *DB) DeleteOrg(ctx context.Context, name string) error {
	const op = "postgres.DeleteOrg"
	res, err := db.db.ExecContext(ctx, `DELETE FROM orgs WHERE name = $1`, name)
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
	var created, updated time.Time
	if err := s.Scan(&o.Name, &o.OrgID, &o.LoginURL, &o.InstanceURL, &o.MonitoringCredential, &o.DailyAPIShare, &created, &updated); err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = readTime(created), readTime(updated)
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
