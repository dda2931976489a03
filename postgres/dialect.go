package postgres

import (
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/internal/sqlstore"
)

// dialect describes PostgreSQL to the shared store: numbered
// placeholders, times as timestamptz, an INSERT inside WITH so that
// AppendHealth takes one round trip, prunes that commit together, and
// errors told apart by SQLSTATE.
var dialect = &sqlstore.Dialect{
	Name:           "postgres",
	NumberedParams: true,
	EncodeTime:     func(t time.Time) any { return t },
	WritableCTE:    true,
	Classify:       classify,
	IsForeignKey:   isForeignKey,
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

// classify maps a constraint violation, a serialization failure or a lost
// connection to the kind and message of a warden.Error; other errors are
// internal.
func classify(err error) (kind, message string) {
	const unavailable = "the database is unavailable; retry later"
	code := sqlState(err)
	switch {
	case code == codeUnique:
		return warden.ECONFLICT, "a record with this name already exists"
	case code == codeForeignKey:
		return warden.EINVALID, "refers to a record that does not exist"
	case strings.HasPrefix(code, "23") || strings.HasPrefix(code, "22"):
		// Integrity constraint violations and data exceptions (a NUL byte
		// in a string, say).
		return warden.EINVALID, "a value is invalid or out of range"
	case code == "40001" || code == "40P01" || strings.HasPrefix(code, "08") || strings.HasPrefix(code, "53") || strings.HasPrefix(code, "57P"):
		// Serialization failures, deadlocks, connection exceptions,
		// insufficient resources and shutdowns: retrying may succeed.
		return warden.EUNAVAILABLE, unavailable
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return warden.EUNAVAILABLE, unavailable
	}
	return "", ""
}

// sqlStore names the shared SQL store for embedding in DB without an
// exported field.
type sqlStore = sqlstore.Store
