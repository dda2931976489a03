package storetest

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// accessTests are the tests of AccessService: accounts, API tokens,
// sessions and the audit log. They pin these choices:
//
//   - Creating an existing account, token id or token hash is ECONFLICT;
//     a bad role, an empty hash or a malformed username is EINVALID.
//   - Neither an account's password hash nor a token's hash is in JSON.
//   - FailLogin counts atomically and locks at the threshold; deleting an
//     account deletes its sessions.
//   - Revoking keeps the first revocation time; deleting a missing
//     session is not an error; PruneSessions removes expired and idle
//     sessions.
//   - AppendAudit numbers entries from 1 without gaps, links each to the
//     one before (AuditGenesis for the first) and moves the head, also
//     under concurrent appends.
var accessTests = []test{
	{"Accounts", func(t *testing.T, s warden.Store) {
		ctx := t.Context()
		w := startWindow()
		b := &warden.Account{Username: "bob", Role: warden.RoleViewer, PasswordHash: "$argon2id$b"}
		must(t, s.CreateAccount(ctx, b))
		w.check(t, "CreatedAt", b.CreatedAt)
		if b.UpdatedAt != b.CreatedAt {
			t.Errorf("UpdatedAt %v != CreatedAt %v", b.UpdatedAt, b.CreatedAt)
		}
		must(t, s.CreateAccount(ctx, &warden.Account{Username: "alice", Role: warden.RoleAdmin, PasswordHash: "$argon2id$a"}))
		wantKind(t, s.CreateAccount(ctx, &warden.Account{Username: "bob", Role: warden.RoleAdmin, PasswordHash: "x"}), warden.ECONFLICT, "bob")
		wantKind(t, s.CreateAccount(ctx, &warden.Account{Username: "carol", Role: "root", PasswordHash: "x"}), warden.EINVALID, "role")
		wantKind(t, s.CreateAccount(ctx, &warden.Account{Username: "carol", Role: warden.RoleViewer}), warden.EINVALID, "hash")
		wantKind(t, s.CreateAccount(ctx, &warden.Account{Username: "a b", Role: warden.RoleViewer, PasswordHash: "x"}), warden.EINVALID, "username")

		got, err := s.Account(ctx, "bob")
		must(t, err)
		diff(t, "Account", b, got)
		_, err = s.Account(ctx, "carol")
		wantKind(t, err, warden.ENOTFOUND, "carol")
		all, err := s.Accounts(ctx)
		must(t, err)
		if len(all) != 2 || all[0].Username != "alice" || all[1].Username != "bob" {
			t.Errorf("Accounts = %v, want alice, bob", all)
		}

		b.Role, b.PasswordHash, b.FailedLogins = warden.RoleOperator, "$argon2id$b2", 2
		b.LockedUntil, b.LastLoginAt = at(time.Hour), at(-time.Hour)
		must(t, s.UpdateAccount(ctx, b))
		if b.LockedUntil != stored(at(time.Hour)) {
			t.Errorf("LockedUntil = %v, want it as stored", b.LockedUntil)
		}
		got, err = s.Account(ctx, "bob")
		must(t, err)
		diff(t, "Account after update", b, got)
		wantKind(t, s.UpdateAccount(ctx, &warden.Account{Username: "carol", Role: warden.RoleViewer, PasswordHash: "x"}), warden.ENOTFOUND, "carol")

		raw, err := json.Marshal(got)
		must(t, err)
		if strings.Contains(string(raw), "argon2id") {
			t.Errorf("an account's JSON shows its password hash: %s", raw)
		}

		must(t, s.CreateSession(ctx, &warden.Session{Hash: "h1", Kind: "account", Name: "bob", Role: warden.RoleOperator, ExpiresAt: time.Now().Add(time.Hour)}))
		must(t, s.DeleteAccount(ctx, "bob"))
		_, err = s.Session(ctx, "h1")
		wantKind(t, err, warden.ENOTFOUND)
		wantKind(t, s.DeleteAccount(ctx, "bob"), warden.ENOTFOUND, "bob")
	}},
	{"FailLogin", func(t *testing.T, s warden.Store) {
		ctx := t.Context()
		must(t, s.CreateAccount(ctx, &warden.Account{Username: "bob", Role: warden.RoleViewer, PasswordHash: "x"}))
		until := at(15 * time.Minute)
		for i := 1; i <= 3; i++ {
			a, err := s.FailLogin(ctx, "bob", 3, until)
			must(t, err)
			if a.FailedLogins != i {
				t.Errorf("after %d failures FailedLogins = %d", i, a.FailedLogins)
			}
			if locked := !a.LockedUntil.IsZero(); locked != (i == 3) {
				t.Errorf("after %d failures LockedUntil = %v", i, a.LockedUntil)
			}
			if i == 3 && a.LockedUntil != stored(until) {
				t.Errorf("LockedUntil = %v, want %v", a.LockedUntil, stored(until))
			}
		}
		_, err := s.FailLogin(ctx, "carol", 3, until)
		wantKind(t, err, warden.ENOTFOUND, "carol")
		_, err = s.FailLogin(ctx, "bob", 0, until)
		wantKind(t, err, warden.EINVALID)
	}},
	{"APITokens", func(t *testing.T, s warden.Store) {
		ctx := t.Context()
		w := startWindow()
		a := &warden.APIToken{ID: "id1", Name: "ci", Role: warden.RoleOperator, Hash: "hash1", ExpiresAt: at(24 * time.Hour)}
		must(t, s.CreateAPIToken(ctx, a))
		w.check(t, "CreatedAt", a.CreatedAt)
		must(t, s.CreateAPIToken(ctx, &warden.APIToken{ID: "id2", Name: "scraper", Role: warden.RoleViewer, Hash: "hash2"}))
		wantKind(t, s.CreateAPIToken(ctx, &warden.APIToken{ID: "id3", Name: "x", Role: warden.RoleViewer, Hash: "hash1"}), warden.ECONFLICT)
		wantKind(t, s.CreateAPIToken(ctx, &warden.APIToken{ID: "id1", Name: "x", Role: warden.RoleViewer, Hash: "hash3"}), warden.ECONFLICT)
		wantKind(t, s.CreateAPIToken(ctx, &warden.APIToken{ID: "id4", Name: "x", Role: "root", Hash: "hash4"}), warden.EINVALID, "role")

		got, err := s.APITokenByHash(ctx, "hash1")
		must(t, err)
		diff(t, "APITokenByHash", a, got)
		_, err = s.APITokenByHash(ctx, "nope")
		wantKind(t, err, warden.ENOTFOUND)

		must(t, s.TouchAPIToken(ctx, "id1", at(time.Minute)))
		must(t, s.RevokeAPIToken(ctx, "id1", at(time.Hour)))
		must(t, s.RevokeAPIToken(ctx, "id1", at(2*time.Hour))) // keeps the first revocation
		wantKind(t, s.RevokeAPIToken(ctx, "nope", time.Time{}), warden.ENOTFOUND)
		all, err := s.APITokens(ctx)
		must(t, err)
		if len(all) != 2 || all[0].ID != "id1" || all[1].ID != "id2" {
			t.Fatalf("APITokens = %v, want id1, id2", all)
		}
		if all[0].LastUsedAt != stored(at(time.Minute)) || all[0].RevokedAt != stored(at(time.Hour)) {
			t.Errorf("id1 LastUsedAt %v RevokedAt %v", all[0].LastUsedAt, all[0].RevokedAt)
		}
		if all[0].Active(at(0)) || !all[1].Active(at(0)) {
			t.Errorf("Active: revoked %v, live %v", all[0].Active(at(0)), all[1].Active(at(0)))
		}
		raw, err := json.Marshal(all)
		must(t, err)
		if strings.Contains(string(raw), "hash1") {
			t.Errorf("a token's JSON shows its hash: %s", raw)
		}
	}},
	{"Sessions", func(t *testing.T, s warden.Store) {
		ctx := t.Context()
		add := func(hash, name string, created, expires time.Time) *warden.Session {
			se := &warden.Session{Hash: hash, Kind: "account", Name: name, Role: warden.RoleViewer, CreatedAt: created, ExpiresAt: expires}
			must(t, s.CreateSession(ctx, se))
			return se
		}
		a := add("a", "bob", at(0), at(12*time.Hour))
		if a.LastSeenAt != stored(at(0)) || a.CreatedAt.Location() != time.UTC {
			t.Errorf("session times %v %v", a.CreatedAt, a.LastSeenAt)
		}
		add("b", "bob", at(0), at(12*time.Hour))
		add("c", "alice", at(0), at(time.Hour))
		add("d", "carol", at(0), at(12*time.Hour))
		wantKind(t, s.CreateSession(ctx, &warden.Session{Hash: "a", Kind: "account", Name: "x", Role: warden.RoleViewer, ExpiresAt: at(1)}), warden.ECONFLICT)
		wantKind(t, s.CreateSession(ctx, &warden.Session{Hash: "e", Kind: "account", Name: "x", Role: warden.RoleViewer}), warden.EINVALID)

		got, err := s.Session(ctx, "a")
		must(t, err)
		diff(t, "Session", a, got)
		must(t, s.TouchSession(ctx, "a", at(30*time.Minute)))
		must(t, s.TouchSession(ctx, "d", at(30*time.Minute)))
		got, err = s.Session(ctx, "a")
		must(t, err)
		if got.LastSeenAt != stored(at(30*time.Minute)) {
			t.Errorf("LastSeenAt after touch = %v", got.LastSeenAt)
		}
		must(t, s.DeleteSession(ctx, "zzz")) // missing: not an error

		n, err := s.DeleteSessions(ctx, "account", "bob")
		must(t, err)
		if n != 2 {
			t.Errorf("DeleteSessions removed %d, want 2", n)
		}
		// c expired at 1h; d was last seen at 30m, which is not idle.
		n, err = s.PruneSessions(ctx, at(2*time.Hour), at(10*time.Minute))
		must(t, err)
		if n != 1 {
			t.Errorf("PruneSessions removed %d, want 1", n)
		}
		if _, err := s.Session(ctx, "d"); err != nil {
			t.Errorf("Session d after prune: %v", err)
		}
		n, err = s.PruneSessions(ctx, at(2*time.Hour), at(40*time.Minute))
		must(t, err)
		if n != 1 {
			t.Errorf("PruneSessions of the idle session removed %d, want 1", n)
		}
	}},
	{"AuditChain", func(t *testing.T, s warden.Store) {
		ctx := t.Context()
		head, err := s.AuditHead(ctx)
		must(t, err)
		diff(t, "empty head", warden.AuditHead{Seq: 0, Hash: warden.AuditGenesis}, head)
		w := startWindow()
		first := &warden.AuditEntry{Actor: warden.Actor{Kind: "account", Name: "bob"}, Action: "login", From: "127.0.0.1", Result: "ok"}
		must(t, s.AppendAudit(ctx, first))
		w.check(t, "At", first.At)
		if first.Seq != 1 || first.PrevHash != warden.AuditGenesis || first.Hash != first.ComputeHash() {
			t.Errorf("first entry = %+v", first)
		}
		second := &warden.AuditEntry{At: at(0), Actor: warden.Actor{Kind: "token", Name: "ci"}, Action: "user.check",
			Target: "acme/sync@acme.example", Result: "forbidden", Detail: "needs operator"}
		must(t, s.AppendAudit(ctx, second))
		if second.Seq != 2 || second.PrevHash != first.Hash || second.At != stored(at(0)) || second.Hash != second.ComputeHash() {
			t.Errorf("second entry = %+v", second)
		}
		wantKind(t, s.AppendAudit(ctx, &warden.AuditEntry{Result: "ok"}), warden.EINVALID)

		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if err := s.AppendAudit(ctx, &warden.AuditEntry{Actor: warden.Actor{Kind: "system"}, Action: "sweep", Result: "ok"}); err != nil {
					t.Errorf("concurrent AppendAudit: %v", err)
				}
			})
		}
		wg.Wait()
		all, err := s.AuditEntries(ctx, 0, 0)
		must(t, err)
		if len(all) != 10 {
			t.Fatalf("AuditEntries = %d entries, want 10", len(all))
		}
		diff(t, "first two entries", []*warden.AuditEntry{first, second}, all[:2])
		prev := warden.AuditGenesis
		for i, e := range all {
			if e.Seq != int64(i+1) || e.PrevHash != prev || e.Hash != e.ComputeHash() {
				t.Errorf("entry %d breaks the chain: %+v", i+1, e)
			}
			prev = e.Hash
		}
		head, err = s.AuditHead(ctx)
		must(t, err)
		diff(t, "head", warden.AuditHead{Seq: 10, Hash: prev}, head)
		page, err := s.AuditEntries(ctx, 2, 3)
		must(t, err)
		if len(page) != 3 || page[0].Seq != 3 || page[2].Seq != 5 {
			t.Errorf("AuditEntries(2, 3) = %v", page)
		}
		_, err = s.AuditEntries(ctx, 0, -1)
		wantKind(t, err, warden.EINVALID)
	}},
}
