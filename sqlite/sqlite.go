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
// user deletes its dependents and its status. History (health results, audits and their
// findings, rotation records) is append-only, is not tied to inventory rows,
// and leaves only through Prune.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/internal/sqlstore"
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
//
// Its methods but Close are the shared SQL store's (internal/sqlstore),
// set up for SQLite; warden.Store and the services it embeds document
// them. Prune deletes in batches, each committed on its own, so that the
// single writer is not held up; after an error it reports the rows it
// had removed.
type DB struct {
	// Now returns the current time. The store stamps CreatedAt and
	// UpdatedAt with it, and uses it for history records whose time is
	// zero. Open sets it to time.Now; replace it before first use, for
	// example with a fixed clock in tests. Times are stored in UTC and
	// truncated to microseconds.
	Now func() time.Time

	*sqlStore // the methods of warden.Store but Close

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
		return nil, dialect.Wrap(op, err)
	}
	db.sqlStore = sqlstore.New(sqlstore.Config{
		Dialect: dialect,
		Write:   db.write,
		Read:    db.read,
		Now:     func() time.Time { return db.Now() },
	})
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
