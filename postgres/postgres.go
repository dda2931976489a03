// Package postgres implements warden.Store on PostgreSQL, through pgx and
// database/sql, for deployments that run more than one Warden instance or
// already operate PostgreSQL.
//
// The schema lives in migrations/ and is applied with goose on Open, under
// a PostgreSQL advisory lock so that instances starting together do not
// race. Times are timestamptz (microseconds, returned in UTC), lists are
// jsonb arrays, and names sort bytewise (COLLATE "C") as in the sqlite
// store. The store stamps CreatedAt and UpdatedAt itself (see DB.Now): an
// upsert keeps the CreatedAt of an existing row and sets UpdatedAt, and
// writes both back into the value it was given.
//
// Deleting an org deletes its users, credentials and dependents; deleting a
// user deletes its dependents and its status. History (health results, audits and their
// findings, rotation records) is append-only, is not tied to inventory rows,
// and leaves only through Prune.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/internal/sqlstore"
)

// MaxConns is the most connections a DB opens to the server.
const MaxConns = 10

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a warden.Store backed by a PostgreSQL database. It is safe for
// concurrent use.
//
// Its methods but Close are the shared SQL store's (internal/sqlstore),
// set up for PostgreSQL; warden.Store and the services it embeds document
// them. Prune's deletions commit together, in one transaction.
type DB struct {
	// Now returns the current time. The store stamps CreatedAt and
	// UpdatedAt with it, and uses it for history records whose time is
	// zero. Open sets it to time.Now; replace it before first use, for
	// example with a fixed clock in tests. Times are stored in UTC and
	// truncated to microseconds.
	Now func() time.Time

	*sqlStore // the methods of warden.Store but Close

	db *sql.DB

	closeOnce sync.Once
	closeErr  error
}

var _ warden.Store = (*DB)(nil)

// Open connects to the PostgreSQL database named by dsn (a URL such as
// postgres://user@host:5432/db?sslmode=disable, or key=value pairs) and
// applies pending migrations to the first schema on the search path
// (public by default; a search_path parameter in dsn picks another). Opening an up-to-date database again changes
// nothing. An unreachable server is an EUNAVAILABLE error.
func Open(ctx context.Context, dsn string) (*DB, error) {
	const op = "postgres.Open"
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "invalid PostgreSQL connection string", Err: err}
	}
	db := &DB{Now: time.Now, db: stdlib.OpenDB(*cfg)}
	db.db.SetMaxOpenConns(MaxConns)
	db.db.SetMaxIdleConns(MaxConns)
	db.db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.db.PingContext(ctx); err != nil {
		db.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		return nil, &warden.Error{Kind: warden.EUNAVAILABLE, Op: op, Message: "cannot connect to PostgreSQL at " + cfg.Host + ":" + strconv.Itoa(int(cfg.Port)), Err: err}
	}
	if err := migrate(ctx, db.db); err != nil {
		db.Close()
		return nil, dialect.Wrap(op, err)
	}
	db.sqlStore = sqlstore.New(sqlstore.Config{
		Dialect: dialect,
		Write:   db.db,
		Now:     func() time.Time { return db.Now() },
	})
	return db, nil
}

// migrate applies the embedded migrations that db lacks, in the current
// schema, holding a session advisory lock for that schema meanwhile so
// that instances starting together take turns.
func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if !schema.Valid {
		return warden.Errorf(warden.EINVALID, "no schema on the search_path exists")
	}
	h := fnv.New64a()
	h.Write([]byte("warden.migrate:" + schema.String))
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(int64(h.Sum64())),
		lock.WithLockTimeout(1, 300), // poll every second for up to 5 minutes
	)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithDisableGlobalRegistry(true),
		goose.WithSessionLocker(locker))
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Close closes the connections. It is safe to call more than once.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { db.closeErr = db.db.Close() })
	return db.closeErr
}
