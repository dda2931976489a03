// Package sqlstore implements warden.Store over database/sql for the
// sqlite and postgres packages. The two share their queries and their
// handling of times, lists, validation and errors; a Dialect holds what
// differs: how placeholders are written, how times are stored, which
// driver errors mean what, and the few statements one database can do
// better than the other.
//
// The packages keep what is theirs: opening and closing the database
// and their migrations (whose schemas agree on table and column names).
// Their DB types embed a Store, whose methods follow the contracts the
// warden service interfaces document; the method docs here add what the
// SQL implementation decides.
//
// Queries are written with ? placeholders. For a dialect that numbers its
// placeholders, a constant query is rewritten once and the result reused,
// and a query built at run time numbers its placeholders as it is built;
// no query may hold a ? that is not a placeholder. Times are compared and
// kept in UTC at microsecond precision; lists are JSON arrays, nil and
// empty both stored as [].
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden"
)

// Dialect describes one SQL database to a Store.
type Dialect struct {
	// Name begins the operation name of every error the Store returns:
	// "sqlite" gives "sqlite.Org".
	Name string

	// NumberedParams reports whether the driver wants numbered
	// placeholders ($1, $2, …, as PostgreSQL does) instead of ?.
	NumberedParams bool

	// EncodeTime returns t, a time in UTC truncated to microseconds, as
	// the driver should store it in a time column. Times are read back
	// from what the driver returns for the column: an int64 is
	// microseconds since the Unix epoch, a time.Time is used as it is.
	EncodeTime func(t time.Time) any

	// WritableCTE reports whether an INSERT may stand in a WITH clause,
	// as in PostgreSQL. AppendHealth then records a result and moves the
	// user's latest-result pointer in one statement instead of a
	// transaction of two.
	WritableCTE bool

	// BatchedPrune reports whether Prune deletes in batches of bounded
	// size, each committed on its own, so that a large prune does not
	// hold a database-wide write lock for long (SQLite). Otherwise all
	// of Prune's deletions commit together, in one transaction.
	BatchedPrune bool

	// Classify returns the kind and user-facing message of the
	// warden.Error that a driver error stands for (a constraint
	// violation, a busy or unreachable database), or kind "" for an
	// error that is internal.
	Classify func(err error) (kind, message string)

	// IsForeignKey reports whether err is a foreign key violation.
	IsForeignKey func(err error) bool
}

// Wrap names the operation op in err. A *warden.Error keeps its kind and
// message; a driver error that d classifies becomes a warden.Error of
// that kind; anything else is an internal error whose details are for
// logs only.
func (d *Dialect) Wrap(op string, err error) error {
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
	if kind, message := d.Classify(err); kind != "" {
		return &warden.Error{Kind: kind, Op: op, Message: message, Err: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Config configures a Store.
type Config struct {
	// Dialect describes the database; it is required.
	Dialect *Dialect
	// Write is the pool that writes go through; it is required.
	Write *sql.DB
	// Read is the pool that reads go through; nil means Write.
	Read *sql.DB
	// Now returns the current time; nil means time.Now. The Store calls
	// it whenever it stamps a record, so it may read a field that its
	// owner lets users replace.
	Now func() time.Time
}

// Store implements every method of warden.Store except Close over
// database/sql. It is safe for concurrent use; it does not own its pools,
// and closing them is the caller's job.
type Store struct {
	d     *Dialect
	write *sql.DB
	read  *sql.DB
	clock func() time.Time

	// numbered maps a constant query to the query with numbered
	// placeholders, when the dialect wants those.
	numbered sync.Map
}

// New returns a Store configured by c.
func New(c Config) *Store {
	s := &Store{d: c.Dialect, write: c.Write, read: c.Read, clock: c.Now}
	if s.read == nil {
		s.read = s.write
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	return s
}

// now returns the current time as the store records it.
func (s *Store) now() time.Time { return normTime(s.clock()) }

// orNow returns t as the store records it, or now when t is zero.
func (s *Store) orNow(t time.Time) time.Time {
	if t.IsZero() {
		return s.now()
	}
	return normTime(t)
}

// wrap names the Store method in err, as Dialect.Wrap does.
func (s *Store) wrap(method string, err error) error {
	if err == nil {
		return nil
	}
	return s.d.Wrap(s.d.Name+"."+method, err)
}

// q returns query, a constant, with its placeholders as the dialect
// writes them. A query built at run time numbers its placeholders with
// where instead, so that the cache of rewritten queries stays small.
func (s *Store) q(query string) string {
	if !s.d.NumberedParams {
		return query
	}
	if v, ok := s.numbered.Load(query); ok {
		return v.(string)
	}
	v, _ := s.numbered.LoadOrStore(query, numberParams(query))
	return v.(string)
}

// numberParams replaces the ? placeholders in query with $1, $2, ….
func numberParams(query string) string {
	n := strings.Count(query, "?")
	if n == 0 {
		return query
	}
	b := make([]byte, 0, len(query)+2*n)
	for i := 1; ; i++ {
		j := strings.IndexByte(query, '?')
		if j < 0 {
			break
		}
		b = append(b, query[:j]...)
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(i), 10)
		query = query[j+1:]
	}
	return string(append(b, query...))
}

// t returns t as the dialect stores it. Times are compared at the
// precision they are stored with: a bound with sub-microsecond digits is
// truncated like the times it is compared with.
func (s *Store) t(t time.Time) any { return s.d.EncodeTime(normTime(t)) }

// optT returns t as the dialect stores it, or NULL when t is zero.
func (s *Store) optT(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.t(t)
}

// withTx runs fn in a write transaction and commits it when fn succeeds.
func (s *Store) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// deleteRow runs a DELETE of one row and returns missing when it deletes
// none.
func (s *Store) deleteRow(ctx context.Context, missing error, query string, args ...any) error {
	res, err := s.write.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return missing
	}
	return nil
}

// normTime returns t in UTC, truncated to the microseconds the store keeps.
func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// timeCol scans a time column: microseconds since the Unix epoch stored
// as an integer, or a time the driver returns as a time.Time. It yields
// the time in UTC.
type timeCol time.Time

// Scan implements sql.Scanner.
func (t *timeCol) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*t = timeCol(time.UnixMicro(v).UTC())
	case time.Time:
		*t = timeCol(v.UTC())
	default:
		return fmt.Errorf("cannot read a time from %T", src)
	}
	return nil
}

// optTimeCol scans a nullable time column as timeCol does, NULL giving
// the zero time.
type optTimeCol time.Time

// Scan implements sql.Scanner.
func (t *optTimeCol) Scan(src any) error {
	if src == nil {
		*t = optTimeCol{}
		return nil
	}
	return (*timeCol)(t).Scan(src)
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
	numbered bool // write placeholders as $1, $2, …
	conds    []string
	args     []any
}

// where returns an empty WHERE clause for the dialect's placeholders.
func (s *Store) where() where { return where{numbered: s.d.NumberedParams} }

// add appends a condition with one ? placeholder for arg.
func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	if w.numbered {
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
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

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// scanAll reads every row with scan and closes rows.
func scanAll[T any](rows *sql.Rows, scan func(scanner) (*T, error)) ([]*T, error) {
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// queryAll runs a read query, whose placeholders are as the dialect
// writes them, and reads every row with scan.
func queryAll[T any](ctx context.Context, s *Store, scan func(scanner) (*T, error), query string, args ...any) ([]*T, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scan)
}
