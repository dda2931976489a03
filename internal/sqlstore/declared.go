package sqlstore

import (
	"context"
	"database/sql"

	"github.com/wardenhq/warden"
)

// Declared returns the inventory items the configuration declared when it
// was last synced, ordered by kind, org and name.
func (s *Store) Declared(ctx context.Context) ([]warden.ItemKey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT kind, org, name FROM declared_items ORDER BY kind, org, name`)
	if err != nil {
		return nil, s.wrap("Declared", err)
	}
	defer rows.Close()
	var out []warden.ItemKey
	for rows.Next() {
		var k warden.ItemKey
		if err := rows.Scan(&k.Kind, &k.Org, &k.Name); err != nil {
			return nil, s.wrap("Declared", err)
		}
		out = append(out, k)
	}
	return out, s.wrap("Declared", rows.Err())
}

// SetDeclared replaces the recorded items with keys in one transaction.
// Duplicate keys are recorded once.
func (s *Store) SetDeclared(ctx context.Context, keys []warden.ItemKey) error {
	for _, k := range keys {
		switch {
		case !k.Kind.Valid():
			return s.wrap("SetDeclared", invalid("declared item %q: unknown kind %q", k.Name, k.Kind))
		case k.Name == "":
			return s.wrap("SetDeclared", invalid("declared %s: name must not be empty", k.Kind))
		}
	}
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM declared_items`); err != nil {
			return err
		}
		insert := s.q(`INSERT INTO declared_items (kind, org, name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, insert, string(k.Kind), k.Org, k.Name); err != nil {
				return err
			}
		}
		return nil
	})
	return s.wrap("SetDeclared", err)
}
