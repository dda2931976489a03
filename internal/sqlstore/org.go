package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/wardenhq/warden"
)

// orgColumns are the columns scanOrg reads, in order.
const orgColumns = `name, org_id, login_url, instance_url, monitoring_credential, daily_api_share, password_expires_days, created_at, updated_at`

// UpsertOrg creates or replaces the org with o.Name. It keeps the
// CreatedAt of an existing org, sets UpdatedAt to now, and writes both
// back into o.
func (s *Store) UpsertOrg(ctx context.Context, o *warden.Org) error {
	if o == nil {
		return s.wrap("UpsertOrg", invalid("org: must not be nil"))
	}
	if err := o.Validate(); err != nil {
		return s.wrap("UpsertOrg", err)
	}
	now := s.now()
	var created timeCol
	err := s.write.QueryRowContext(ctx, s.q(`
		INSERT INTO orgs (`+orgColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET
			org_id = excluded.org_id,
			login_url = excluded.login_url,
			instance_url = excluded.instance_url,
			monitoring_credential = excluded.monitoring_credential,
			daily_api_share = excluded.daily_api_share,
			password_expires_days = excluded.password_expires_days,
			updated_at = excluded.updated_at
		RETURNING created_at`),
		o.Name, o.OrgID, o.LoginURL, o.InstanceURL, o.MonitoringCredential, o.DailyAPIShare, o.PasswordExpiresDays,
		s.t(now), s.t(now),
	).Scan(&created)
	if err != nil {
		return s.wrap("UpsertOrg", err)
	}
	o.CreatedAt, o.UpdatedAt = time.Time(created), now
	return nil
}

// Org returns the named org, or an ENOTFOUND error.
func (s *Store) Org(ctx context.Context, name string) (*warden.Org, error) {
	row := s.read.QueryRowContext(ctx, s.q(`SELECT `+orgColumns+` FROM orgs WHERE name = ?`), name)
	o, err := scanOrg(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, s.wrap("Org", notFound("org %q not found", name))
	}
	return o, s.wrap("Org", err)
}

// Orgs returns every org ordered by name.
func (s *Store) Orgs(ctx context.Context) ([]*warden.Org, error) {
	orgs, err := queryAll(ctx, s, scanOrg, `SELECT `+orgColumns+` FROM orgs ORDER BY name`)
	return orgs, s.wrap("Orgs", err)
}

// DeleteOrg removes an org with its users, credentials and dependents, or
// returns an ENOTFOUND error.
func (s *Store) DeleteOrg(ctx context.Context, name string) error {
	err := s.deleteRow(ctx, notFound("org %q not found", name), `DELETE FROM orgs WHERE name = ?`, name)
	return s.wrap("DeleteOrg", err)
}

// scanOrg reads one org in orgColumns order.
func scanOrg(sc scanner) (*warden.Org, error) {
	var o warden.Org
	if err := sc.Scan(&o.Name, &o.OrgID, &o.LoginURL, &o.InstanceURL, &o.MonitoringCredential, &o.DailyAPIShare, &o.PasswordExpiresDays,
		(*timeCol)(&o.CreatedAt), (*timeCol)(&o.UpdatedAt)); err != nil {
		return nil, err
	}
	return &o, nil
}
