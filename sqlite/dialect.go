package sqlite

import (
	"errors"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/internal/sqlstore"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect describes SQLite to the shared store: ? placeholders, times as
// integer microseconds since the Unix epoch, prunes in batches so that
// the single writer is not held up, and errors told apart by extended
// result code.
var dialect = &sqlstore.Dialect{
	Name:         "sqlite",
	EncodeTime:   func(t time.Time) any { return t.UnixMicro() },
	BatchedPrune: true,
	Classify:     classify,
	IsForeignKey: isForeignKey,
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

// classify maps a constraint violation or a lock timeout to the kind and
// message of a warden.Error; other errors are internal.
func classify(err error) (kind, message string) {
	code := sqliteCode(err)
	switch {
	case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return warden.ECONFLICT, "a record with this name already exists"
	case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return warden.EINVALID, "refers to a record that does not exist"
	case code&0xff == sqlite3.SQLITE_CONSTRAINT:
		return warden.EINVALID, "a value is invalid or out of range"
	case code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED:
		return warden.EUNAVAILABLE, "the database is busy; retry later"
	}
	return "", ""
}

// sqlStore names the shared SQL store for embedding in DB without an
// exported field.
type sqlStore = sqlstore.Store
