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
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
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

	path    string
	created []string // by Open, to be removed when it fails
	write   *sql.DB  // a single connection: writes are serialized in Go
	read    *sql.DB  // read-only connections; the same pool as write in memory

	closeOnce sync.Once
	closeErr  error
}

var _ warden.Store = (*DB)(nil)

// Open opens the SQLite database at path, creating it (mode 0600) and its
// directory (mode 0700) when missing, and applies pending migrations.
// Opening an up-to-date database again changes nothing. Path MemoryPath
// opens a private in-memory database.
//
// An existing path must be a regular file, empty or an SQLite database,
// or Open returns an EINVALID error naming it and leaves it as it was;
// only a database that others may read is restricted to its owner. When
// Open fails, it removes the file and directories it created.
func Open(ctx context.Context, path string) (*DB, error) {
	const op = "sqlite.Open"
	if path == "" {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "database path must not be empty"}
	}
	db := &DB{Now: time.Now, path: path}
	if err := db.open(ctx); err != nil {
		db.Close()
		removeCreated(db.created)
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
		name, created, err := prepareFile(db.path)
		db.created = created
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

// header begins every SQLite database file.
const header = "SQLite format 3\x00"

// prepareFile makes sure path names a new file or an SQLite database and
// returns the SQLite URI that names it, with the paths it created, in
// the order it created them. A missing file is created (mode 0600) with
// its missing directories (mode 0700); an existing one must be a regular
// file that is empty or begins with the SQLite header, and is restricted
// to its owner only then. A path that is neither is an EINVALID error,
// and prepareFile leaves it untouched. SQLite gives the WAL and
// shared-memory files the permissions of the database file.
func prepareFile(path string) (uri string, created []string, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", nil, err
	}
	created, err = createFile(abs)
	switch {
	case errors.Is(err, fs.ErrExist):
		err = checkExisting(abs)
	case errors.Is(err, syscall.ENOTDIR):
		err = warden.Errorf(warden.EINVALID, "database path %s: a parent is not a directory", abs)
	}
	if err != nil {
		return "", created, err
	}
	// A file: URI, escaped, so that '?' or '#' in the path cannot be
	// mistaken for parameters.
	u := url.URL{Path: filepath.ToSlash(abs)}
	return "file:" + u.EscapedPath(), created, nil
}

// createFile creates the file abs (mode 0600) and its missing directories
// (mode 0700), and returns the paths it created, parents first, even when
// it fails. When abs exists, it changes nothing and its error is
// fs.ErrExist.
func createFile(abs string) ([]string, error) {
	var missing []string
	for dir := filepath.Dir(abs); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = append(missing, dir)
	}
	var created []string
	for i := len(missing) - 1; i >= 0; i-- {
		err := os.Mkdir(missing[i], 0o700)
		if err == nil {
			created = append(created, missing[i])
		} else if !errors.Is(err, fs.ErrExist) {
			return created, err
		}
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return created, err
	}
	created = append(created, abs)
	return created, f.Close()
}

// checkExisting returns an EINVALID error unless the existing path abs is
// a regular file, empty or an SQLite database, and restricts a database
// that others may read to its owner.
func checkExisting(abs string) error {
	fi, err := os.Stat(abs)
	switch {
	case err != nil:
		return err
	case fi.IsDir():
		return warden.Errorf(warden.EINVALID, "database path %s is a directory, not a file", abs)
	case !fi.Mode().IsRegular():
		return warden.Errorf(warden.EINVALID, "database path %s is not a regular file", abs)
	}
	if fi.Size() > 0 {
		f, err := os.Open(abs)
		if err != nil {
			return err
		}
		b := make([]byte, len(header))
		n, err := io.ReadFull(f, b)
		f.Close()
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return err
		}
		if string(b[:n]) != header {
			return warden.Errorf(warden.EINVALID, "database path %s is not an SQLite database", abs)
		}
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return os.Chmod(abs, 0o600)
	}
	return nil
}

// removeCreated removes the paths prepareFile created, last first, with
// the journal, WAL and shared-memory files SQLite derives from a
// database file, so that a failed Open leaves nothing behind.
func removeCreated(created []string) {
	for i := len(created) - 1; i >= 0; i-- {
		p := created[i]
		for _, suffix := range []string{"-journal", "-wal", "-shm"} {
			os.Remove(p + suffix)
		}
		os.Remove(p)
	}
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
