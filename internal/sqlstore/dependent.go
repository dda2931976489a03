package sqlstore

import (
	"context"
	"time"

	"github.com/wardenhq/warden"
)

// dependentColumns are the columns scanDependent reads, in order.
const dependentColumns = `org, name, username, owner, contact, delivery, objects, target, verify, created_at, updated_at`

// UpsertDependent creates or replaces the dependent (d.Org, d.Name). Its
// integration user must exist. It keeps the CreatedAt of an existing
// dependent, sets UpdatedAt to now, and writes both back into d.
func (s *Store) UpsertDependent(ctx context.Context, d *warden.Dependent) error {
	if d == nil {
		return s.wrap("UpsertDependent", invalid("dependent: must not be nil"))
	}
	if err := d.Validate(); err != nil {
		return s.wrap("UpsertDependent", err)
	}
	objects, err := encodeList(d.Objects)
	if err != nil {
		return s.wrap("UpsertDependent", err)
	}
	target, verify, err := encodeTarget(d)
	if err != nil {
		return s.wrap("UpsertDependent", err)
	}
	now := s.now()
	var created timeCol
	err = s.write.QueryRowContext(ctx, s.q(`
		INSERT INTO dependents (`+dependentColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (org, name) DO UPDATE SET
			username = excluded.username,
			owner = excluded.owner,
			contact = excluded.contact,
			delivery = excluded.delivery,
			objects = excluded.objects,
			target = excluded.target,
			verify = excluded.verify,
			updated_at = excluded.updated_at
		RETURNING created_at`),
		d.Org, d.Name, d.Username, d.Owner, d.Contact, string(d.Delivery), objects, target, verify,
		s.t(now), s.t(now),
	).Scan(&created)
	if s.d.IsForeignKey(err) {
		return s.wrap("UpsertDependent", notFound("user %q not found in org %q", d.Username, d.Org))
	}
	if err != nil {
		return s.wrap("UpsertDependent", err)
	}
	d.CreatedAt, d.UpdatedAt = time.Time(created), now
	return nil
}

// Dependents returns the matching dependents by org and name.
func (s *Store) Dependents(ctx context.Context, f warden.DependentFilter) ([]*warden.Dependent, error) {
	w := s.where()
	if f.Org != "" {
		w.add("org = ?", f.Org)
	}
	if f.Username != "" {
		w.add("username = ?", f.Username)
	}
	if f.Owner != "" {
		w.add("owner = ?", f.Owner)
	}
	deps, err := queryAll(ctx, s, scanDependent, `SELECT `+dependentColumns+` FROM dependents`+w.String()+` ORDER BY org, name`, w.args...)
	return deps, s.wrap("Dependents", err)
}

// DeleteDependent removes the dependent (org, name), or returns an
// ENOTFOUND error.
func (s *Store) DeleteDependent(ctx context.Context, org, name string) error {
	err := s.deleteRow(ctx, notFound("dependent %q not found in org %q", name, org),
		`DELETE FROM dependents WHERE org = ? AND name = ?`, org, name)
	return s.wrap("DeleteDependent", err)
}

// UpsertOwner creates or replaces the owner team o.Team.
func (s *Store) UpsertOwner(ctx context.Context, o *warden.Owner) error {
	if err := validateOwner(o); err != nil {
		return s.wrap("UpsertOwner", err)
	}
	contacts, err := encodeList(o.Contacts)
	if err != nil {
		return s.wrap("UpsertOwner", err)
	}
	_, err = s.write.ExecContext(ctx, s.q(`
		INSERT INTO owners (team, contacts) VALUES (?, ?)
		ON CONFLICT (team) DO UPDATE SET contacts = excluded.contacts`),
		o.Team, contacts)
	return s.wrap("UpsertOwner", err)
}

// Owners returns every owner team by name.
func (s *Store) Owners(ctx context.Context) ([]*warden.Owner, error) {
	owners, err := queryAll(ctx, s, scanOwner, `SELECT team, contacts FROM owners ORDER BY team`)
	return owners, s.wrap("Owners", err)
}

// DeleteOwner removes an owner team, or returns an ENOTFOUND error. Users
// and dependents that name the team keep its name.
func (s *Store) DeleteOwner(ctx context.Context, team string) error {
	err := s.deleteRow(ctx, notFound("owner team %q not found", team), `DELETE FROM owners WHERE team = ?`, team)
	return s.wrap("DeleteOwner", err)
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
func scanDependent(sc scanner) (*warden.Dependent, error) {
	var d warden.Dependent
	var delivery, objects, target, verify string
	if err := sc.Scan(&d.Org, &d.Name, &d.Username, &d.Owner, &d.Contact, &delivery, &objects, &target, &verify,
		(*timeCol)(&d.CreatedAt), (*timeCol)(&d.UpdatedAt)); err != nil {
		return nil, err
	}
	if err := decodeTarget(&d, target, verify); err != nil {
		return nil, err
	}
	d.Delivery = warden.Delivery(delivery)
	var err error
	if d.Objects, err = decodeList[warden.ObjectAccess](objects); err != nil {
		return nil, err
	}
	return &d, nil
}

// scanOwner reads one owner: its team and contacts.
func scanOwner(sc scanner) (*warden.Owner, error) {
	var o warden.Owner
	var contacts string
	if err := sc.Scan(&o.Team, &contacts); err != nil {
		return nil, err
	}
	var err error
	o.Contacts, err = decodeList[string](contacts)
	return &o, err
}
