package authtest

import (
	"context"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/auth"
)

// TamperDB is a store's audit log opened for a tamper test, with a way
// around the store to its database.
type TamperDB struct {
	Log warden.AuditLogService
	// Exec runs one SQL statement on the database directly.
	Exec func(query string) error
	// AllowChanges is the SQL that drops the triggers keeping the audit
	// log append-only, as an attacker with the database's owner rights
	// would.
	AllowChanges string
}

// CheckTamperDetection fills a new audit log with entries, changes it
// behind the store's back in each way an attacker with write access to
// the database could, and asserts that auth.VerifyAuditLog finds each
// change and that the store's triggers refuse changes until they are
// dropped. open returns a new, empty database for each case.
func CheckTamperDetection(t *testing.T, open func(t *testing.T) TamperDB) {
	cases := []struct {
		name string
		// sql tampers with entries 1 to 5.
		sql []string
		// want are the problems' entries and a phrase of the first one.
		seqs []int64
		want string
	}{
		{"changed field", []string{`UPDATE audit_entries SET target = 'account:mallory' WHERE seq = 3`},
			[]int64{3}, "hash does not match its fields"},
		{"changed field with its hash recomputed", []string{`UPDATE audit_entries SET result = 'ok', hash = 'ffff' WHERE seq = 3`},
			[]int64{3, 4}, "hash does not match its fields"},
		{"deleted middle row", []string{`DELETE FROM audit_entries WHERE seq = 3`},
			[]int64{4, 4}, "entries 3 to 3 are missing"},
		{"deleted tail", []string{`DELETE FROM audit_entries WHERE seq >= 4`},
			[]int64{5}, "the tail was deleted"},
		{"renumbered after a delete", []string{`DELETE FROM audit_entries WHERE seq = 5`, `UPDATE audit_entries SET seq = 5 WHERE seq = 4`},
			[]int64{5, 5, 5}, "entries 4 to 4 are missing"},
		{"changed head", []string{`UPDATE audit_head SET hash = 'abc' WHERE id = 1`},
			[]int64{5}, "head checkpoint's hash"},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			db := open(t)
			ctx := context.Background()
			for _, a := range []string{"login", "account.create", "token.create", "user.check", "logout"} {
				e := &warden.AuditEntry{Actor: warden.Actor{Kind: "account", Name: "alice"}, Action: a, Target: "account:bob", From: "127.0.0.1", Result: "forbidden"}
				if err := db.Log.AppendAudit(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			r, err := auth.VerifyAuditLog(ctx, db.Log)
			if err != nil || !r.OK() || r.Entries != 5 {
				t.Fatalf("before tampering: %+v, %v", r, err)
			}
			if err := db.Exec(tc.sql[0]); err == nil && !strings.HasPrefix(tc.sql[0], "UPDATE audit_head") {
				t.Fatalf("%s succeeded with the append-only triggers in place", tc.sql[0])
			}
			if err := db.Exec(db.AllowChanges); err != nil {
				t.Fatal(err)
			}
			for _, q := range tc.sql {
				if err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			r, err = auth.VerifyAuditLog(ctx, db.Log)
			if err != nil {
				t.Fatal(err)
			}
			var seqs []int64
			for _, p := range r.Problems {
				seqs = append(seqs, p.Seq)
			}
			if len(r.Problems) == 0 || !strings.Contains(r.Problems[0].Problem, tc.want) || !equal(seqs, tc.seqs) {
				t.Errorf("problems = %+v, want at entries %v, the first saying %q", r.Problems, tc.seqs, tc.want)
			}
		})
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
