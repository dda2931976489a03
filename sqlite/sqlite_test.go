package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
	"github.com/wardenhq/warden/storetest"
)

// openFile opens a store in a new temporary file.
func openFile(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "warden.db"))
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

func TestStore(t *testing.T) {
	t.Run("File", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) warden.Store { return openFile(t) })
	})
	t.Run("Memory", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) warden.Store {
			db, err := sqlite.Open(t.Context(), sqlite.MemoryPath)
			if err != nil {
				t.Fatal(err)
			}
			return db
		})
	})
}

func TestFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "warden.db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.UpsertOrg(t.Context(), &warden.Org{Name: "acme", LoginURL: "https://login.salesforce.com"}); err != nil {
		t.Fatal(err)
	}

	t.Run("WAL", func(t *testing.T) {
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		var mode string
		if err := raw.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" {
			t.Errorf("journal_mode = %q, want wal", mode)
		}
	})

	t.Run("Permissions", func(t *testing.T) {
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Error(err)
				continue
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Errorf("%s mode = %v, want 0600", filepath.Base(p), got)
			}
		}
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o700 {
			t.Errorf("created directory mode = %v, want 0700", got)
		}
	})
}

func TestOpenTightensPermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("mode = %v, want 0600", got)
	}
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden?#1.db") // characters that need escaping in a URI
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.UpsertOrg(t.Context(), &warden.Org{Name: "acme", LoginURL: "https://login.salesforce.com"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	for range 2 {
		db, err = sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		orgs, err := db.Orgs(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(orgs) != 1 || orgs[0].Name != "acme" {
			t.Errorf("Orgs after reopen = %v, want acme", orgs)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	_, err := sqlite.Open(t.Context(), "")
	if warden.ErrorKind(err) != warden.EINVALID {
		t.Errorf("Open(\"\") error = %v, want kind invalid", err)
	}
	notDB := filepath.Join(t.TempDir(), "not.db")
	if err := os.WriteFile(notDB, []byte("this is not an SQLite database, just some text long enough"), 0o600); err != nil {
		t.Fatal(err)
	}
	if db, err := sqlite.Open(t.Context(), notDB); err == nil {
		db.Close()
		t.Error("Open of a text file succeeded")
	}
}

func TestNow(t *testing.T) {
	db, err := sqlite.Open(t.Context(), sqlite.MemoryPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fixed := time.Date(2030, 1, 2, 3, 4, 5, 6007, time.UTC)
	db.Now = func() time.Time { return fixed }
	o := &warden.Org{Name: "acme", LoginURL: "https://login.salesforce.com"}
	if err := db.UpsertOrg(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	want := fixed.Truncate(time.Microsecond)
	if !o.CreatedAt.Equal(want) || !o.UpdatedAt.Equal(want) {
		t.Errorf("CreatedAt, UpdatedAt = %v, %v; want %v from DB.Now", o.CreatedAt, o.UpdatedAt, want)
	}
}

// openBench opens a file store for a benchmark.
func openBench(b *testing.B) *sqlite.DB {
	db := openFile(b)
	b.Cleanup(func() { db.Close() })
	return db
}

func BenchmarkAppendHealth(b *testing.B) {
	storetest.BenchmarkAppendHealth(b, openBench(b))
}

func BenchmarkLatestHealth(b *testing.B) {
	storetest.BenchmarkLatestHealth(b, openBench(b))
}
