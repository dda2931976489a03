package postgres

import (
	"context"
	"time"

	"github.com/wardenhq/warden"
)

// dependentColumns are the columns scanDependent reads, in order.
const dependentColumns = `org, name, username, owner, contact, delivery, objects, created_at, updated_at`

// UpsertDependent creates or replaces the dependent (d.Org, d.Name). Its
// integration user must exist. It keeps the CreatedAt of an existing
// dependent, sets UpdatedAt to now, and writes both back into d.
func (db *DB) UpsertDependent(ctx context.Context, d *warden.Dependent) error {
	const op = "postgres.UpsertDependent"
	if d == nil {
		return wrap(op, invalid("dependent: must not be nil"))
	}
	if err := d.Validate(); err != nil {
		return wrap(op, err)
	}
	objects, err := encodeList(d.Objects)
	if err != nil {
		return wrap(op, err)
	}
	now := db.now()
	var created time.Time
	err = db.db.QueryRowContext(ctx, `
		INSERT INTO dependents (`+dependentColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (org, name) DO UPDATE SET
			username = excluded.username,
			owner = excluded.owner,
			contact = excluded.contact,
			delivery = excluded.delivery,
			objects = excluded.objects,
			updated_at = excluded.updated_at
		RETURNING created_at`,
		d.Org, d.Name, d.Username, d.Owner, d.Contact, string(d.Delivery), objects,
		now, now,
	).Scan(&created)
	if isForeignKey(err) {
		return wrap(op, notFound("user %q not found in org %q", d.Username, d.Org))
	}
	if err != nil {
		return wrap(op, err)
	}
	d.CreatedAt, d.UpdatedAt = readTime(created), now
	return nil
}

// Dependents returns the matching dependents by org and name.
func (db *DB) Dependents(ctx context.Context, f warden.DependentFilter) ([]*warden.Dependent, error) {
	const op = "postgres.Dependents"
	var w where
	if f.Org != "" {
		w.add("org = %s", f.Org)
	}
	if f.Username != "" {
		w.add("username = %s", f.Username)
	}
	if f.Owner != "" {
		w.add("owner = %s", f.Owner)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+dependentColumns+` FROM dependents`+w.String()+` ORDER BY org, name`, w.args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	deps, err := scanAll(rows, scanDependent)
	return deps, wrap(op, err)
}

// DeleteDependent removes the dependent (org, name), or returns an
// ENOTFOUND error.
func (db *DB) DeleteDependent(ctx context.Context, org, name string) error {
	const op = "postgres.DeleteDependent"
	res, err := db.db.ExecContext(ctx, `DELETE FROM dependents WHERE org = $1 AND name = $2`, org, name)
	if err != nil {
		return wrap(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap(op, err)
	} else if n == 0 {
		return wrap(op, notFound("dependent %q not found in org %q", name, org))
	}
	return nil
}

// UpsertOwner creates or replaces the owner team o.Team.
func (db *DB) UpsertOwner(ctx context.Context, o *warden.Owner) error {
	const op = "postgres.UpsertOwner"
	if err := validateOwner(o); err != nil {
		return wrap(op, err)
	}
	contacts, err := encodeList(o.Contacts)
	if err != nil {
		return wrap(op, err)
	}
	_, err = db.db.ExecContext(ctx, `
		INSERT INTO owners (team, contacts) VALUES ($1, $2)
		ON CONFLICT (team) DO UPDATE SET contacts = excluded.contacts`,
		o.Team, contacts)
	return wrap(op, err)
}

// Owners returns every owner team by name.
func (db *DB) Owners(ctx context.Context) ([]*warden.Owner, error) {
	const op = "postgres.Owners"
	rows, err := db.db.QueryContext(ctx, `SELECT team, contacts FROM owners ORDER BY team`)
	if err != nil {
		return nil, wrap(op, err)
	}
	owners, err := scanAll(rows, func(s scanner) (*warden.Owner, error) {
		var o warden.Owner
		var contacts string
		if err := s.Scan(&o.Team, &contacts); err != nil {
			return nil, err
		}
		var err error
		o.Contacts, err = decodeList[string](contacts)
		return &o, err
	})
	return owners, wrap(op, err)
}

// validateOwner reports the first problem with o, naming the field.
func validateOwner(o *warden.Owner) error {
	switch {
	case o == nil:
		return invalid("owner: must not be nil")
	case o.Team == "":
		return invalid("owner: team must not be empty")
	}
	return nil
}

// scanDependent reads one dependent in dependentColumns order.
func scanDependent(s scanner) (*warden.Dependent, error) {
	var d warden.Dependent
	var delivery, objects string
	var created, updated time.Time
	if err := s.Scan(&d.Org, &d.Name, &d.Username, &d.Owner, &d.Contact, &delivery, &objects, &created, &updated); err != nil {
		return nil, err
	}
	d.Delivery = warden.Delivery(delivery)
	var err error
	if d.Objects, err = decodeList[warden.ObjectAccess](objects); err != nil {
		return nil, err
	}
	d.CreatedAt, d.UpdatedAt = readTime(created), readTime(updated)
	return &d, nil
}
