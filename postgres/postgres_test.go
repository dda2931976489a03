package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/postgres"
	"github.com/wardenhq/warden/storetest"
)

// defaultDSN is the server CI provides.
const defaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// adminDSN returns the connection string of the server the tests use:
// WARDEN_POSTGRES_DSN, or defaultDSN when CI=true. Without either the test
// is skipped; with either, an unreachable server fails it.
func adminDSN(tb testing.TB) string {
	tb.Helper()
	if dsn := os.Getenv("WARDEN_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	if os.Getenv("CI") == "true" {
		return defaultDSN
	}
	tb.Skip("set WARDEN_POSTGRES_DSN (or CI=true to use " + defaultDSN + ") to run the PostgreSQL tests")
	return ""
}

// newDatabase creates an empty database for tb on the test server, drops
// it when tb ends, and returns its connection string.
func newDatabase(tb testing.TB) string {
	tb.Helper()
	admin := adminDSN(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("PostgreSQL test server unreachable: %v", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 8)
	rand.Read(b)
	name := "warden_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	return withDatabase(tb, admin, name)
}

// withDatabase returns dsn changed to name the database db.
func withDatabase(tb testing.TB, dsn, db string) string {
	tb.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			tb.Fatal(err)
		}
		u.Path = "/" + db
		u.RawPath = ""
		return u.String()
	}
	return dsn + " dbname=" + db // a later key overrides an earlier one
}

// open opens a store on a new database.
func open(tb testing.TB) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), newDatabase(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// storeSlots bounds how many stores the suite keeps open at once, so that
// parallel subtests on a many-core machine stay within the server's
// max_connections (each store may open postgres.MaxConns connections).
var storeSlots = make(chan struct{}, 6)

// schemaStores opens stores in one test database, each in a schema of
// its own: creating a schema is much cheaper than creating a database.
type schemaStores struct {
	dsn   string
	admin *sql.DB
	n     atomic.Int64
}

// newSchemaStores creates the test database the stores share; it is
// dropped when tb ends.
func newSchemaStores(tb testing.TB) *schemaStores {
	tb.Helper()
	dsn := newDatabase(tb)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { admin.Close() })
	return &schemaStores{dsn: dsn, admin: admin}
}

// open returns a store in a new, empty schema.
func (s *schemaStores) open(t *testing.T) warden.Store {
	t.Helper()
	storeSlots <- struct{}{}
	t.Cleanup(func() { <-storeSlots })
	schema := fmt.Sprintf("store_%d", s.n.Add(1))
	if _, err := s.admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(t.Context(), withParam(t, s.dsn, "search_path", schema))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// withParam returns dsn with the connection parameter key set to value.
func withParam(tb testing.TB, dsn, key, value string) string {
	tb.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			tb.Fatal(err)
		}
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " " + key + "=" + value
}

func TestStore(t *testing.T) {
	stores := newSchemaStores(t)
	storetest.Run(t, stores.open)
}

func TestReopen(t *testing.T) {
	dsn := newDatabase(t)
	db, err := postgres.Open(t.Context(), dsn)
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
	db, err = postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	orgs, err := db.Orgs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) != 1 || orgs[0].Name != "acme" {
		t.Errorf("Orgs after reopen = %v, want acme", orgs)
	}
}

func TestConcurrentOpen(t *testing.T) {
	// Instances starting together migrate one at a time under the
	// advisory lock.
	dsn := newDatabase(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			db, err := postgres.Open(t.Context(), dsn)
			if err != nil {
				t.Error(err)
				return
			}
			db.Close()
		})
	}
	wg.Wait()
}

func TestOpenErrors(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://u@host:notaport/db")
	if warden.ErrorKind(err) != warden.EINVALID {
		t.Errorf("Open with a bad DSN: error %v, want kind invalid", err)
	}
	// Port 1 on loopback: nothing listens there.
	_, err = postgres.Open(t.Context(), "postgres://postgres:s3cret@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5")
	if warden.ErrorKind(err) != warden.EUNAVAILABLE {
		t.Errorf("Open of an unreachable server: error %v, want kind unavailable", err)
	}
	if strings.Contains(warden.ErrorMessage(err), "s3cret") {
		t.Errorf("error message %q shows the password", warden.ErrorMessage(err))
	}
}

func TestNow(t *testing.T) {
	db := open(t)
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
	got, err := db.Org(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(want) {
		t.Errorf("stored CreatedAt = %v, want %v", got.CreatedAt, want)
	}
}

// openBench opens a store on a new database for a benchmark.
func openBench(b *testing.B) *postgres.DB {
	db := open(b)
	b.Cleanup(func() { db.Close() })
	return db
}

func BenchmarkAppendHealth(b *testing.B) {
	storetest.BenchmarkAppendHealth(b, openBench(b))
}

func BenchmarkLatestHealth(b *testing.B) {
	storetest.BenchmarkLatestHealth(b, openBench(b))
}
