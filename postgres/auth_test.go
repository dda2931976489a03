package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wardenhq/warden/auth/authtest"
	"github.com/wardenhq/warden/postgres"
)

// TestAuditTamper changes the audit log in PostgreSQL directly and
// checks that verification finds it.
func TestAuditTamper(t *testing.T) {
	authtest.CheckTamperDetection(t, func(t *testing.T) authtest.TamperDB {
		dsn := newDatabase(t)
		db, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(t.Context()) })
		return authtest.TamperDB{Log: db,
			Exec:         func(q string) error { _, err := conn.Exec(t.Context(), q); return err },
			AllowChanges: `DROP TRIGGER audit_entries_no_change ON audit_entries`}
	})
}
