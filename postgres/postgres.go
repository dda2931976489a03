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
// user deletes its dependents. History (health results, audits and their
// findings, rotation records) is append-only, is not tied to inventory rows,
// and leaves only through Prune.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/wardenhq/warden"
)

// MaxConns is the most connections a DB opens to the server.
const MaxConns = 10

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a warden.Store backed by a PostgreSQL database. It is safe for
// concurrent use.
type DB struct {
	// Now returns the current time. The store stamps CreatedAt and
	// UpdatedAt with it, and uses it for history records whose time is
	// zero. Open sets it to time.Now; replace it before first use, for
	// example with a fixed clock in tests. Times are stored in UTC and
	// truncated to microseconds.
	Now func() time.Time

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
		return nil, wrap(op, err)
	}
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

// now returns the current time as the store records it.
func (db *DB) now() time.Time { return normTime(db.Now()) }

// withTx runs fn in a transaction and commits it when fn succeeds.
func (db *DB) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
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
// Times are compared at this precision: a bound with sub-microsecond digits
// is truncated like the times it is compared with.
func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// optTime returns t for a nullable column: NULL when t is zero.
func optTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// readTime returns a time read from the database, in UTC.
func readTime(t time.Time) time.Time { return t.UTC() }

// readOptTime returns a nullable time read from the database, zero for
// NULL.
func readOptTime(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
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

// add appends a condition; each %s in cond becomes the placeholder of arg.
func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.ReplaceAll(cond, "%s", "$"+strconv.Itoa(len(w.args))))
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

// SQLSTATE codes the store tells apart.
const (
	codeForeignKey = "23503"
	codeUnique     = "23505"
)

// sqlState returns the SQLSTATE of a server error in err's chain, or "".
func sqlState(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// isForeignKey reports whether err is a foreign key violation.
func isForeignKey(err error) bool { return sqlState(err) == codeForeignKey }

// wrap names the operation op in err. A *warden.Error keeps its kind and
// message; a constraint violation, a serialization failure or a lost
// connection becomes an error of the matching kind; anything else is an
// internal error whose details are for logs only.
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
	code := sqlState(err)
	switch {
	case code == codeUnique:
		return &warden.Error{Kind: warden.ECONFLICT, Op: op, Message: "a record with this name already exists", Err: err}
	case code == codeForeignKey:
		return &warden.Error{Kind: warden.EINVALID, Op: op, Message: "refers to a record that does not exist", Err: err}
	case strings.HasPrefix(code, "23") || strings.HasPrefix(code, "22"):
		// Integrity constraint violations and data exceptions (a NUL byte
		// in a string, say).
		return &warden.Error{Kind: warden.EINVALID, Op: op, Message: "a value is invalid or out of range", Err: err}
	case code == "40001" || code == "40P01" || strings.HasPrefix(code, "08") || strings.HasPrefix(code, "53") || strings.HasPrefix(code, "57P"):
		// Serialization failures, deadlocks, connection exceptions,
		// insufficient resources and shutdowns: retrying may succeed.
		return &warden.Error{Kind: warden.EUNAVAILABLE, Op: op, Message: "the database is unavailable; retry later", Err: err}
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return &warden.Error{Kind: warden.EUNAVAILABLE, Op: op, Message: "the database is unavailable; retry later", Err: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}
