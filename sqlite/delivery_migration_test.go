package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
)

// TestDeliveryMigrationKeepsDependents checks that migration 00008, which
// rebuilds the dependents table to relax its delivery CHECK, keeps every
// row, and that its Down keeps them too (file and command become manual).
func TestDeliveryMigrationKeepsDependents(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "warden.db")
	raw, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	p, err := goose.NewProvider(goose.DialectSQLite3, raw, os.DirFS("migrations"), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO orgs (name, login_url, created_at, updated_at) VALUES ('acme', 'https://login.salesforce.com', 1, 1)`,
		`INSERT INTO users (org, username, created_at, updated_at) VALUES ('acme', 'sync@acme', 1, 1)`,
		`INSERT INTO dependents (org, name, username, owner, delivery, objects, created_at, updated_at)
			VALUES ('acme', 'Billing', 'sync@acme', 'finance', 'webhook', '[{"object":"Account","access":["Read"]}]', 1000000, 2000000)`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrating to 00008: %v", err)
	}

	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	deps, err := db.Dependents(ctx, warden.DependentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(deps) != 1 || deps[0].Name != "Billing" || deps[0].Owner != "finance" || deps[0].Delivery != warden.DeliveryWebhook ||
		len(deps[0].Objects) != 1 || deps[0].CreatedAt.UnixMicro() != 1000000 || !deps[0].Target.IsZero() {
		t.Fatalf("dependents after the migration = %+v", deps)
	}
	file := &warden.Dependent{Name: "Portal", Org: "acme", Username: "sync@acme", Delivery: warden.DeliveryFile,
		Target: warden.DeliveryTarget{File: &warden.FileTarget{Path: "/etc/portal.env", Format: "env", Template: "P={{password}}"}}}
	if err := db.UpsertDependent(ctx, file); err != nil {
		t.Fatal(err)
	}
	// The rebuilt table keeps its foreign key: deleting a user deletes its
	// dependents.
	tmp := &warden.IntegrationUser{Org: "acme", Username: "tmp@acme"}
	if err := db.UpsertUser(ctx, tmp); err != nil {
		t.Fatal(err)
	}
	if err := db.UpsertDependent(ctx, &warden.Dependent{Name: "Tmp", Org: "acme", Username: "tmp@acme"}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteUser(ctx, "acme", "tmp@acme"); err != nil {
		t.Fatal(err)
	}
	if deps, _ := db.Dependents(ctx, warden.DependentFilter{Username: "tmp@acme"}); len(deps) != 0 {
		t.Errorf("deleting the user kept its dependents %v", deps)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	if _, err := p.DownTo(ctx, 7); err != nil {
		t.Fatalf("migrating down: %v", err)
	}
	var n int
	var delivery string
	if err := raw.QueryRowContext(ctx, `SELECT count(*), max(CASE WHEN name = 'Portal' THEN delivery END) FROM dependents`).Scan(&n, &delivery); err != nil {
		t.Fatal(err)
	}
	if n != 2 || delivery != "manual" {
		t.Errorf("after Down: %d dependents, Portal's delivery %q; want 2 and manual", n, delivery)
	}
	if _, err := raw.ExecContext(ctx, `DELETE FROM users`); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM dependents`).Scan(&n); err != nil || n != 0 {
		t.Errorf("deleting the user left %d dependents (%v): the foreign key was lost", n, err)
	}
}
