// Package sqlite implements warden.Store on SQLite, using the pure-Go
// modernc.org/sqlite driver, so that Warden stays a single static binary.
//
// The database runs in WAL mode with foreign keys enforced. Writes go
// through a pool of one connection that begins transactions with BEGIN
// IMMEDIATE, so writers within the process queue in Go instead of failing
// with SQLITE_BUSY, and writers in other processes wait up to the busy
// timeout. Reads use a separate pool of read-only connections, which WAL
// lets run alongside the writer. With synchronous=NORMAL a commit survives
// a crash of the process; a power loss may roll back the last few. The
// database file (and the WAL and shared-memory files SQLite derives from
// it) is readable by its owner only.
//
// The schema lives in migrations/ and is applied with goose on Open.
// Times are stored as UTC microseconds since the Unix epoch, lists as JSON
// arrays. The store stamps CreatedAt and UpdatedAt itself (see DB.Now):
// an upsert keeps the CreatedAt of an existing row and sets UpdatedAt, and
// writes both back into the value it was given.
//
// Deleting an org deletes its users, credentials and dependents; deleting a
// user deletes its dependents. History (health results, audits and their
// findings, rotation records) is append-only, is not tied to inventory rows,
// and leaves only through Prune.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/wardenhq/warden"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// MemoryPath is the path that opens a private in-memory database, for
// tests. It lives as long as the DB and is served by a single connection.
const MemoryPath = ":memory:"

// BusyTimeout is how long a connection waits for another process's lock
// before failing with SQLITE_BUSY.
const BusyTimeout = 5 * time.Second

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a warden.Store backed by one SQLite database. It is safe for
// concurrent use.
type DB struct {
	// Now returns the current time. The store stamps CreatedAt and
	// UpdatedAt with it, and uses it for history records whose time is
	// zero. Open sets it to time.Now; replace it before first use, for
	// example with a fixed clock in tests. Times are stored in UTC and
	// truncated to microseconds.
	Now func() time.Time

	path  string
	write *sql.DB // a single connection: writes are serialized in Go
	read  *sql.DB // read-only connections; the same pool as write in memory

	closeOnce sync.Once
	closeErr  error
}

var _ warden.Store = (*DB)(nil)

// Open opens the SQLite database at path, creating it (mode 0600) and its
// directory (mode 0700) when missing, and applies pending migrations.
// Opening an up-to-date database again changes nothing. Path MemoryPath
// opens a private in-memory database.
func Open(ctx context.Context, path string) (*DB, error) {
	const op = "sqlite.Open"
	if path == "" {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "database path must not be empty"}
	}
	db := &DB{Now: time.Now, path: path}
	if err := db.open(ctx); err != nil {
		db.Close()
		return nil, wrap(op, err)
	}
	return db, nil
}

// open creates the connection pools and migrates the schema.
func (db *DB) open(ctx context.Context) error {
	const writerParams = "_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	const readerParams = "_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=query_only(1)"
	busy := BusyTimeout.Milliseconds()

	if db.path == MemoryPath {
		// Every connection to ":memory:" is a separate database, so one
		// connection serves reads and writes, and is never closed while
		// the DB is open.
		w, err := sql.Open("sqlite", MemoryPath+"?_pragma=foreign_keys(1)&_txlock=immediate")
		if err != nil {
			return err
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		w.SetConnMaxIdleTime(0)
		db.write, db.read = w, w
	} else {
		name, err := prepareFile(db.path)
		if err != nil {
			return err
		}
		w, err := sql.Open("sqlite", name+"?"+fmt.Sprintf(writerParams, busy))
		if err != nil {
			return err
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxIdleTime(0)
		db.write = w
		// The writer connects first so that WAL mode is set before any
		// reader opens the file.
		if err := w.PingContext(ctx); err != nil {
			return err
		}
		r, err := sql.Open("sqlite", name+"?"+fmt.Sprintf(readerParams, busy))
		if err != nil {
			return err
		}
		n := max(4, runtime.NumCPU())
		r.SetMaxOpenConns(n)
		r.SetMaxIdleConns(n)
		db.read = r
	}
	if err := db.write.PingContext(ctx); err != nil {
		return err
	}
	return migrate(ctx, db.write)
}

// prepareFile creates the database file and its directory when missing,
// restricts the file to its owner, and returns the SQLite URI that names
// it. SQLite gives the WAL and shared-memory files the same permissions.
func prepareFile(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return "", err
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", err
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode().Perm()&0o077 != 0 {
		err = f.Chmod(0o600)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	// A file: URI, escaped, so that '?' or '#' in the path cannot be
	// mistaken for parameters.
	u := url.URL{Path: filepath.ToSlash(abs)}
	return "file:" + u.EscapedPath(), nil
}

// migrate applies the embedded migrations that db lacks.
func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return err
	}
	// Two processes opening a new file at once both see no schema, and
	// the one that commits second fails on "already exists": running the
	// migrations again then finds them applied.
	var upErr error
	for attempt := 0; attempt < 3; attempt++ {
		if _, upErr = p.Up(ctx); upErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 50 * time.Millisecond):
		}
	}
	return fmt.Errorf("migrate: %w", upErr)
}

// Close closes the database. It is safe to call more than once.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		if db.read != nil && db.read != db.write {
			db.closeErr = db.read.Close()
		}
		if db.write != nil {
			// Let SQLite refresh its query planner statistics, as
			// recommended before closing a connection.
			_, _ = db.write.Exec("PRAGMA optimize")
			db.closeErr = errors.Join(db.closeErr, db.write.Close())
		}
	})
	return db.closeErr
}

// now returns the current time as the store records it.
func (db *DB) now() time.Time { return normTime(db.Now()) }

// withTx runs fn in a write transaction and commits it when fn succeeds.
func (db *DB) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// normTime returns t in UTC, truncated to the microseconds the store keeps.
func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// encodeTime returns t as stored: microseconds since the Unix epoch,
// truncated. Times are compared at this precision: a bound with
// sub-microsecond digits is truncated like the times it is compared with.
func encodeTime(t time.Time) int64 { return t.UnixMicro() }

// decodeTime returns the time stored as v.
func decodeTime(v int64) time.Time { return time.UnixMicro(v).UTC() }

// encodeOptTime returns t as stored, or NULL when t is zero.
func encodeOptTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// decodeOptTime returns the time stored as v, or the zero time for NULL.
func decodeOptTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return decodeTime(v.Int64)
}

// encodeList returns v as a JSON array; nil and empty slices both become [].
func encodeList[T any](v []T) (string, error) {
	if len(v) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// decodeList parses a JSON array; an empty array yields nil.
func decodeList[T any](s string) ([]T, error) {
	if s == "[]" {
		return nil, nil
	}
	var v []T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

// where collects the conditions of a WHERE clause and their arguments.
type where struct {
	conds []string
	args  []any
}

// add appends a condition with one ? placeholder for arg.
func (w *where) add(cond string, arg any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, arg)
}

// String returns the clause, or "" when there are no conditions.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// limitClause returns a LIMIT clause for n, or "" when n is zero, and
// rejects a negative n.
func limitClause(n int) (string, error) {
	switch {
	case n < 0:
		return "", warden.Errorf(warden.EINVALID, "limit %d must not be negative", n)
	case n == 0:
		return "", nil
	}
	return fmt.Sprintf(" LIMIT %d", n), nil
}

// invalid returns an EINVALID error.
func invalid(format string, args ...any) error {
	return warden.Errorf(warden.EINVALID, format, args...)
}

// notFound returns an ENOTFOUND error.
func notFound(format string, args ...any) error {
	return warden.Errorf(warden.ENOTFOUND, format, args...)
}

// sqliteCode returns the extended SQLite result code in err's chain, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// isForeignKey reports whether err is a foreign key violation.
func isForeignKey(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// wrap names the operation op in err. A *warden.Error keeps its kind and
// message; a constraint violation or lock timeout becomes an error of the
// matching kind; anything else is an internal error whose details are for
// logs only.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *warden.Error
	if errors.As(err, &e) {
		if e.Op == "" {
			e.Op = op
		}
		return err
	}
	code := sqliteCode(err)
	switch {
	case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return &warden.Error{Kind: warden.ECONFLICT, Op: op, Message: "a record with this name already exists", Err: err}
	case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return &warden.Error{Kind: warden.EINVALID, Op: op, Message: "refers to a record that does not exist", Err: err}
	case code&0xff == sqlite3.SQLITE_CONSTRAINT:
		return &warden.Error{Kind: warden.EINVALID, Op: op, Message: "a value is invalid or out of range", Err: err}
	case code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED:
		return &warden.Error{Kind: warden.EUNAVAILABLE, Op: op, Message: "the database is busy; retry later", Err: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}
