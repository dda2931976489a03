package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/wardenhq/warden/auth/authtest"
	"github.com/wardenhq/warden/sqlite"
)

// TestAuditTamper changes the audit log in the SQLite file directly and
// checks that verification finds it.
func TestAuditTamper(t *testing.T) {
	authtest.CheckTamperDetection(t, func(t *testing.T) authtest.TamperDB {
		path := filepath.Join(t.TempDir(), "warden.db")
		db, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		return authtest.TamperDB{Log: db,
			Exec:         func(q string) error { _, err := raw.Exec(q); return err },
			AllowChanges: `DROP TRIGGER audit_entries_no_update; DROP TRIGGER audit_entries_no_delete`}
	})
}
