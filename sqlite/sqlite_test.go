package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
}

// refuse checks that Open(path) fails with an EINVALID error whose
// message names path and contains want, and that it left the path's mode
// and content as they were and created no file beside it.
func refuse(t *testing.T, path, want string) {
	t.Helper()
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var content []byte
	if before.Mode().IsRegular() {
		if content, err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sqlite.Open(t.Context(), path)
	if err == nil {
		db.Close()
		t.Fatalf("Open(%s) succeeded", path)
	}
	if warden.ErrorKind(err) != warden.EINVALID {
		t.Errorf("Open(%s) error = %v, want kind invalid", path, err)
	}
	for _, part := range []string{path, want} {
		if msg := warden.ErrorMessage(err); !strings.Contains(msg, part) {
			t.Errorf("Open(%s) error message %q does not contain %q", path, msg, part)
		}
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if after.Mode() != before.Mode() {
		t.Errorf("mode after Open = %v, want %v as before", after.Mode(), before.Mode())
	}
	if before.Mode().IsRegular() {
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, content) {
			t.Errorf("content after Open = %q, %v; want %q as before", got, err, content)
		}
	}
	for _, suffix := range []string{"-journal", "-wal", "-shm"} {
		if _, err := os.Lstat(path + suffix); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s after a failed Open: %v, want it missing", path+suffix, err)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(t *testing.T, path string) // creates path
		want string
	}{
		{"text file", func(t *testing.T, path string) {
			writeFile(t, path, "this is not an SQLite database, just some text long enough", 0o644)
		}, "not an SQLite database"},
		{"short file", func(t *testing.T, path string) { writeFile(t, path, "SQL", 0o640) }, "not an SQLite database"},
		{"directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}, "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "warden.db")
			tc.make(t, path)
			refuse(t, path, tc.want)
		})
	}
	t.Run("parent is a file", func(t *testing.T) {
		parent := filepath.Join(t.TempDir(), "file")
		writeFile(t, parent, "x", 0o644)
		_, err := sqlite.Open(t.Context(), filepath.Join(parent, "warden.db"))
		if warden.ErrorKind(err) != warden.EINVALID || !strings.Contains(warden.ErrorMessage(err), "not a directory") {
			t.Errorf("Open under a file: error = %v, want kind invalid naming the parent", err)
		}
	})
}

// writeFile writes content to path with the given mode, despite the umask.
func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestFailedOpenLeavesNothing(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a", "b")
	path := filepath.Join(dir, "warden.db")
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // fails Open after it created the file
	if db, err := sqlite.Open(ctx, path); err == nil {
		db.Close()
		t.Fatal("Open with a canceled context succeeded")
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("after a failed Open the directory holds %v, want nothing", names(entries))
	}
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open of the fresh path afterwards: %v", err)
	}
	db.Close()
}

// names returns the names of directory entries.
func names(entries []fs.DirEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Name()
	}
	return out
}

func TestOpenTightensExistingDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.db")
	db := openAt(t, path)
	db.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	defer db.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("mode = %v, want 0600", got)
	}
}

// openAt opens the store at path, failing the test on error.
func openAt(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	return db
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
