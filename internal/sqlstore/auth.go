package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/wardenhq/warden"
)

// accountColumns are the columns scanAccount reads, in order.
const accountColumns = `username, role, password_hash, failed_logins, locked_until, last_login_at, created_at, updated_at`

// CreateAccount adds a local account.
func (s *Store) CreateAccount(ctx context.Context, a *warden.Account) error {
	if err := a.Validate(); err != nil {
		return s.wrap("CreateAccount", err)
	}
	now := s.now()
	_, err := s.write.ExecContext(ctx, s.q(`INSERT INTO accounts (`+accountColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		a.Username, string(a.Role), a.PasswordHash, a.FailedLogins, s.optT(a.LockedUntil), s.optT(a.LastLoginAt), s.t(now), s.t(now))
	if warden.ErrorKind(s.d.Wrap("", err)) == warden.ECONFLICT {
		return s.wrap("CreateAccount", warden.Errorf(warden.ECONFLICT, "account %q already exists", a.Username))
	}
	if err != nil {
		return s.wrap("CreateAccount", err)
	}
	a.CreatedAt, a.UpdatedAt = now, now
	a.LockedUntil, a.LastLoginAt = optNorm(a.LockedUntil), optNorm(a.LastLoginAt)
	return nil
}

// Account returns one account.
func (s *Store) Account(ctx context.Context, username string) (*warden.Account, error) {
	a, err := scanAccount(s.read.QueryRowContext(ctx, s.q(`SELECT `+accountColumns+` FROM accounts WHERE username = ?`), username))
	if errors.Is(err, sql.ErrNoRows) {
		err = notFound("account %q not found", username)
	}
	return a, s.wrap("Account", err)
}

// Accounts returns every account by username.
func (s *Store) Accounts(ctx context.Context) ([]*warden.Account, error) {
	as, err := queryAll(ctx, s, scanAccount, `SELECT `+accountColumns+` FROM accounts ORDER BY username`)
	return as, s.wrap("Accounts", err)
}

// UpdateAccount replaces an account's mutable fields.
func (s *Store) UpdateAccount(ctx context.Context, a *warden.Account) error {
	if err := a.Validate(); err != nil {
		return s.wrap("UpdateAccount", err)
	}
	now := s.now()
	var created timeCol
	err := s.write.QueryRowContext(ctx, s.q(`
		UPDATE accounts SET role = ?, password_hash = ?, failed_logins = ?, locked_until = ?, last_login_at = ?, updated_at = ?
		WHERE username = ? RETURNING created_at`),
		string(a.Role), a.PasswordHash, a.FailedLogins, s.optT(a.LockedUntil), s.optT(a.LastLoginAt), s.t(now), a.Username,
	).Scan(&created)
	if errors.Is(err, sql.ErrNoRows) {
		err = notFound("account %q not found", a.Username)
	}
	if err != nil {
		return s.wrap("UpdateAccount", err)
	}
	a.CreatedAt, a.UpdatedAt = time.Time(created), now
	a.LockedUntil, a.LastLoginAt = optNorm(a.LockedUntil), optNorm(a.LastLoginAt)
	return nil
}

// FailLogin counts a failed login and locks the account at the threshold.
func (s *Store) FailLogin(ctx context.Context, username string, lockAfter int, lockUntil time.Time) (*warden.Account, error) {
	if lockAfter < 1 {
		return nil, s.wrap("FailLogin", invalid("lockAfter %d must be positive", lockAfter))
	}
	a, err := scanAccount(s.write.QueryRowContext(ctx, s.q(`
		UPDATE accounts SET failed_logins = failed_logins + 1,
			locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END,
			updated_at = ?
		WHERE username = ? RETURNING `+accountColumns),
		lockAfter, s.t(lockUntil), s.t(s.now()), username))
	if errors.Is(err, sql.ErrNoRows) {
		err = notFound("account %q not found", username)
	}
	return a, s.wrap("FailLogin", err)
}

// DeleteAccount removes an account and its sessions.
func (s *Store) DeleteAccount(ctx context.Context, username string) error {
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM accounts WHERE username = ?`), username)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return notFound("account %q not found", username)
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE kind = 'account' AND name = ?`), username)
		return err
	})
	return s.wrap("DeleteAccount", err)
}

// scanAccount reads one account in accountColumns order.
func scanAccount(sc scanner) (*warden.Account, error) {
	var a warden.Account
	var role string
	var locked, last optTimeCol
	var created, updated timeCol
	if err := sc.Scan(&a.Username, &role, &a.PasswordHash, &a.FailedLogins, &locked, &last, &created, &updated); err != nil {
		return nil, err
	}
	a.Role = warden.Role(role)
	a.LockedUntil, a.LastLoginAt = time.Time(locked), time.Time(last)
	a.CreatedAt, a.UpdatedAt = time.Time(created), time.Time(updated)
	return &a, nil
}

// tokenColumns are the columns scanToken reads, in order.
const tokenColumns = `id, name, role, hash, created_at, expires_at, last_used_at, revoked_at`

// CreateAPIToken adds an API token.
func (s *Store) CreateAPIToken(ctx context.Context, t *warden.APIToken) error {
	switch {
	case t == nil:
		return s.wrap("CreateAPIToken", invalid("API token: must not be nil"))
	case t.ID == "" || t.Hash == "":
		return s.wrap("CreateAPIToken", invalid("API token: id and hash must not be empty"))
	case t.Name == "":
		return s.wrap("CreateAPIToken", invalid("API token: name must not be empty"))
	case !t.Role.Valid():
		return s.wrap("CreateAPIToken", invalid("API token %s: role %q is not admin, operator or viewer", t.Name, t.Role))
	}
	now := s.now()
	_, err := s.write.ExecContext(ctx, s.q(`INSERT INTO api_tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		t.ID, t.Name, string(t.Role), t.Hash, s.t(now), s.optT(t.ExpiresAt), s.optT(t.LastUsedAt), s.optT(t.RevokedAt))
	if err != nil {
		return s.wrap("CreateAPIToken", err)
	}
	t.CreatedAt = now
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = optNorm(t.ExpiresAt), optNorm(t.LastUsedAt), optNorm(t.RevokedAt)
	return nil
}

// APITokenByHash returns the token with the given hash.
func (s *Store) APITokenByHash(ctx context.Context, hash string) (*warden.APIToken, error) {
	t, err := scanToken(s.read.QueryRowContext(ctx, s.q(`SELECT `+tokenColumns+` FROM api_tokens WHERE hash = ?`), hash))
	if errors.Is(err, sql.ErrNoRows) {
		err = notFound("API token not found")
	}
	return t, s.wrap("APITokenByHash", err)
}

// APITokens returns every token by creation time and ID.
func (s *Store) APITokens(ctx context.Context) ([]*warden.APIToken, error) {
	ts, err := queryAll(ctx, s, scanToken, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY created_at, id`)
	return ts, s.wrap("APITokens", err)
}

// RevokeAPIToken marks a token revoked.
func (s *Store) RevokeAPIToken(ctx context.Context, id string, at time.Time) error {
	res, err := s.write.ExecContext(ctx, s.q(`UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`), s.t(s.orNow(at)), id)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = notFound("API token %q not found", id)
		}
	}
	return s.wrap("RevokeAPIToken", err)
}

// TouchAPIToken records a token's use.
func (s *Store) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	_, err := s.write.ExecContext(ctx, s.q(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`), s.t(s.orNow(at)), id)
	return s.wrap("TouchAPIToken", err)
}

// scanToken reads one token in tokenColumns order.
func scanToken(sc scanner) (*warden.APIToken, error) {
	var t warden.APIToken
	var role string
	var created timeCol
	var expires, used, revoked optTimeCol
	if err := sc.Scan(&t.ID, &t.Name, &role, &t.Hash, &created, &expires, &used, &revoked); err != nil {
		return nil, err
	}
	t.Role, t.CreatedAt = warden.Role(role), time.Time(created)
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = time.Time(expires), time.Time(used), time.Time(revoked)
	return &t, nil
}

// sessionColumns are the columns scanSession reads, in order.
const sessionColumns = `hash, kind, name, role, created_at, last_seen_at, expires_at`

// CreateSession adds a session.
func (s *Store) CreateSession(ctx context.Context, se *warden.Session) error {
	switch {
	case se == nil:
		return s.wrap("CreateSession", invalid("session: must not be nil"))
	case se.Hash == "" || se.Kind == "" || se.Name == "":
		return s.wrap("CreateSession", invalid("session: hash, kind and name must not be empty"))
	case !se.Role.Valid():
		return s.wrap("CreateSession", invalid("session: role %q is not admin, operator or viewer", se.Role))
	case se.ExpiresAt.IsZero():
		return s.wrap("CreateSession", invalid("session: expiry must be set"))
	}
	se.CreatedAt, se.ExpiresAt = s.orNow(se.CreatedAt), normTime(se.ExpiresAt)
	if se.LastSeenAt.IsZero() {
		se.LastSeenAt = se.CreatedAt
	}
	se.LastSeenAt = normTime(se.LastSeenAt)
	_, err := s.write.ExecContext(ctx, s.q(`INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		se.Hash, se.Kind, se.Name, string(se.Role), s.t(se.CreatedAt), s.t(se.LastSeenAt), s.t(se.ExpiresAt))
	return s.wrap("CreateSession", err)
}

// Session returns the session with the given hash.
func (s *Store) Session(ctx context.Context, hash string) (*warden.Session, error) {
	se, err := scanSession(s.read.QueryRowContext(ctx, s.q(`SELECT `+sessionColumns+` FROM sessions WHERE hash = ?`), hash))
	if errors.Is(err, sql.ErrNoRows) {
		err = notFound("session not found")
	}
	return se, s.wrap("Session", err)
}

// TouchSession records a session's latest request.
func (s *Store) TouchSession(ctx context.Context, hash string, at time.Time) error {
	_, err := s.write.ExecContext(ctx, s.q(`UPDATE sessions SET last_seen_at = ? WHERE hash = ?`), s.t(s.orNow(at)), hash)
	return s.wrap("TouchSession", err)
}

// DeleteSession removes one session.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.write.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE hash = ?`), hash)
	return s.wrap("DeleteSession", err)
}

// DeleteSessions removes every session of a principal.
func (s *Store) DeleteSessions(ctx context.Context, kind, name string) (int, error) {
	n, err := s.execCount(ctx, `DELETE FROM sessions WHERE kind = ? AND name = ?`, kind, name)
	return n, s.wrap("DeleteSessions", err)
}

// PruneSessions removes expired and idle sessions.
func (s *Store) PruneSessions(ctx context.Context, now, idleBefore time.Time) (int, error) {
	n, err := s.execCount(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?`, s.t(s.orNow(now)), s.t(idleBefore))
	return n, s.wrap("PruneSessions", err)
}

// execCount runs a write statement and returns the rows it affected.
func (s *Store) execCount(ctx context.Context, query string, args ...any) (int, error) {
	res, err := s.write.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// scanSession reads one session in sessionColumns order.
func scanSession(sc scanner) (*warden.Session, error) {
	var se warden.Session
	var role string
	var created, seen, expires timeCol
	if err := sc.Scan(&se.Hash, &se.Kind, &se.Name, &role, &created, &seen, &expires); err != nil {
		return nil, err
	}
	se.Role = warden.Role(role)
	se.CreatedAt, se.LastSeenAt, se.ExpiresAt = time.Time(created), time.Time(seen), time.Time(expires)
	return &se, nil
}

// auditEntryColumns are the columns scanAuditEntry reads, in order.
const auditEntryColumns = `seq, at, actor_kind, actor_name, action, target, source, result, detail, prev_hash, hash`

// AppendAudit adds an entry at the end of the hash chain. Moving the head
// first takes its row lock (PostgreSQL) or the write lock (SQLite), so
// concurrent appends queue and each links to the one before it.
func (s *Store) AppendAudit(ctx context.Context, e *warden.AuditEntry) error {
	switch {
	case e == nil:
		return s.wrap("AppendAudit", invalid("audit entry: must not be nil"))
	case e.Action == "" || e.Result == "":
		return s.wrap("AppendAudit", invalid("audit entry: action and result must not be empty"))
	}
	at := s.orNow(e.At)
	var seq int64
	var prev, hash string
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.q(`UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash`)).Scan(&seq, &prev); err != nil {
			return err
		}
		ne := *e
		ne.Seq, ne.At, ne.PrevHash = seq, at, prev
		hash = ne.ComputeHash()
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit_entries (`+auditEntryColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			seq, s.t(at), e.Actor.Kind, e.Actor.Name, e.Action, e.Target, e.From, e.Result, e.Detail, prev, hash); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE audit_head SET hash = ? WHERE id = 1`), hash)
		return err
	})
	if err != nil {
		return s.wrap("AppendAudit", err)
	}
	e.Seq, e.At, e.PrevHash, e.Hash = seq, at, prev, hash
	return nil
}

// AuditEntries returns entries after a sequence number, oldest first.
func (s *Store) AuditEntries(ctx context.Context, after int64, limit int) ([]*warden.AuditEntry, error) {
	lim, err := limitClause(limit)
	if err != nil {
		return nil, s.wrap("AuditEntries", err)
	}
	es, err := queryAll(ctx, s, scanAuditEntry, s.q(`SELECT `+auditEntryColumns+` FROM audit_entries WHERE seq > ? ORDER BY seq`)+lim, after)
	return es, s.wrap("AuditEntries", err)
}

// AuditHead returns the head checkpoint of the audit log.
func (s *Store) AuditHead(ctx context.Context) (warden.AuditHead, error) {
	var h warden.AuditHead
	err := s.read.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&h.Seq, &h.Hash)
	return h, s.wrap("AuditHead", err)
}

// scanAuditEntry reads one entry in auditEntryColumns order.
func scanAuditEntry(sc scanner) (*warden.AuditEntry, error) {
	var e warden.AuditEntry
	var at timeCol
	if err := sc.Scan(&e.Seq, &at, &e.Actor.Kind, &e.Actor.Name, &e.Action, &e.Target, &e.From, &e.Result, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
		return nil, err
	}
	e.At = time.Time(at)
	return &e, nil
}

// optNorm returns t as the store records it, the zero time staying zero.
func optNorm(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return normTime(t)
}
