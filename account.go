package warden

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// Account is a local account of Warden's dashboard and JSON API: a person
// who logs in with a username and password. Its password is kept only as
// a hash, which is never serialized.
type Account struct {
	Username string `json:"username"`
	Role     Role   `json:"role"`
	// PasswordHash is the password's argon2id hash in PHC string format.
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
	// FailedLogins counts the failed logins since the last successful
	// one; LockedUntil, when in the future, refuses every login.
	FailedLogins int       `json:"failedLogins"`
	LockedUntil  time.Time `json:"lockedUntil,omitzero"`
	LastLoginAt  time.Time `json:"lastLoginAt,omitzero"`
}

// Validate reports the first problem with a, naming the field.
func (a *Account) Validate() error {
	switch {
	case a == nil:
		return Errorf(EINVALID, "account: must not be nil")
	case !validUsername(a.Username):
		return Errorf(EINVALID, "account username %q: use 1 to 128 letters, digits, '.', '_', '-' and '@'", a.Username)
	case !a.Role.Valid():
		return Errorf(EINVALID, "account %s: role %q is not admin, operator or viewer", a.Username, a.Role)
	case a.PasswordHash == "":
		return Errorf(EINVALID, "account %s: password hash must not be empty", a.Username)
	}
	return nil
}

// validUsername reports whether s is a usable account or token name.
func validUsername(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@", r)) {
			return false
		}
	}
	return true
}

// AccountService stores local accounts.
type AccountService interface {
	// CreateAccount adds a, stamping CreatedAt and UpdatedAt; an existing
	// username is an ECONFLICT error.
	CreateAccount(ctx context.Context, a *Account) error
	// Account returns the account username, or an ENOTFOUND error.
	Account(ctx context.Context, username string) (*Account, error)
	// Accounts returns every account by username.
	Accounts(ctx context.Context) ([]*Account, error)
	// UpdateAccount replaces the role, password hash, failed-login count,
	// lock and last login of the existing account a.Username (ENOTFOUND
	// otherwise) and stamps UpdatedAt.
	UpdateAccount(ctx context.Context, a *Account) error
	// FailLogin counts one failed login of username in one atomic step:
	// when the count reaches lockAfter (a positive number) the account is
	// locked until lockUntil. It returns the account as updated, or an
	// ENOTFOUND error.
	FailLogin(ctx context.Context, username string, lockAfter int, lockUntil time.Time) (*Account, error)
	// DeleteAccount removes the account username and every session of
	// it, or returns an ENOTFOUND error.
	DeleteAccount(ctx context.Context, username string) error
}

// APIToken is a credential for automation: a bearer token with a role.
// The token itself is shown once, when it is created; Warden keeps only
// its SHA-256 hash.
type APIToken struct {
	// ID identifies the token publicly (in lists, logs and revocation).
	ID   string `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Hash is the hex SHA-256 of the token; it is never serialized.
	Hash      string    `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
	// ExpiresAt, when set, is when the token stops working.
	ExpiresAt  time.Time `json:"expiresAt,omitzero"`
	LastUsedAt time.Time `json:"lastUsedAt,omitzero"`
	RevokedAt  time.Time `json:"revokedAt,omitzero"`
}

// Active reports whether t may authenticate a request at now.
func (t *APIToken) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// APITokenService stores API tokens.
type APITokenService interface {
	// CreateAPIToken adds t, stamping CreatedAt; an existing ID or hash
	// is an ECONFLICT error.
	CreateAPIToken(ctx context.Context, t *APIToken) error
	// APITokenByHash returns the token whose hash is hash, revoked and
	// expired ones included, or an ENOTFOUND error.
	APITokenByHash(ctx context.Context, hash string) (*APIToken, error)
	// APITokens returns every token, revoked ones included, by creation
	// time and ID.
	APITokens(ctx context.Context) ([]*APIToken, error)
	// RevokeAPIToken marks the token id revoked at at (zero: now); a
	// missing token is ENOTFOUND, an already revoked one keeps its time.
	RevokeAPIToken(ctx context.Context, id string, at time.Time) error
	// TouchAPIToken records that the token id was used at at.
	TouchAPIToken(ctx context.Context, id string, at time.Time) error
}

// Session is a logged-in browser session. Its id lives only in the
// browser's cookie; Warden keeps the id's SHA-256 hash.
type Session struct {
	// Hash is the hex SHA-256 of the session id.
	Hash string `json:"-"`
	// Kind ("account" or "oidc"), Name and Role are the principal the
	// session acts for.
	Kind string `json:"kind"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	// CreatedAt is the login; LastSeenAt the latest request; ExpiresAt
	// the absolute end of the session.
	CreatedAt  time.Time `json:"createdAt"`
	LastSeenAt time.Time `json:"lastSeenAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
}

// SessionService stores browser sessions.
type SessionService interface {
	// CreateSession adds s; CreatedAt and LastSeenAt zero become now.
	CreateSession(ctx context.Context, s *Session) error
	// Session returns the session whose hash is hash, or an ENOTFOUND
	// error.
	Session(ctx context.Context, hash string) (*Session, error)
	// TouchSession sets the session's LastSeenAt to at.
	TouchSession(ctx context.Context, hash string, at time.Time) error
	// DeleteSession removes one session; a missing one is not an error.
	DeleteSession(ctx context.Context, hash string) error
	// DeleteSessions removes every session of the principal (kind, name)
	// and reports how many it removed.
	DeleteSessions(ctx context.Context, kind, name string) (int, error)
	// PruneSessions removes the sessions that expired before now or were
	// last seen before idleBefore, and reports how many.
	PruneSessions(ctx context.Context, now, idleBefore time.Time) (int, error)
}

// Actor is who did an audited action: a principal's kind and name, or
// kind "cli" (a command run on the server's host, named after the OS
// user), "system" or "anonymous".
type Actor struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// AuditEntry is one record of the audit log: who did what to which
// target, when, from where, and with what result. Entries form a hash
// chain: Hash is the SHA-256 of the entry's fields and PrevHash, the Hash
// of the entry before it (AuditGenesis for the first).
type AuditEntry struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Actor  Actor     `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target,omitempty"`
	// From is the client's IP address, or "local" for the CLI.
	From string `json:"from,omitempty"`
	// Result is "ok" or the error kind of the failure; Detail is the
	// failure's safe message.
	Result   string `json:"result"`
	Detail   string `json:"detail,omitempty"`
	PrevHash string `json:"prevHash"`
	Hash     string `json:"hash"`
}

// AuditGenesis is the PrevHash of the first audit entry.
const AuditGenesis = "0000000000000000000000000000000000000000000000000000000000000000"

// ComputeHash returns the hex SHA-256 over e's canonical fields (Seq, At
// in UTC at microsecond precision, Actor, Action, Target, From, Result,
// Detail) and PrevHash: the value Hash must have.
func (e *AuditEntry) ComputeHash() string {
	fields := []any{e.Seq, e.At.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z"),
		e.Actor.Kind, e.Actor.Name, e.Action, e.Target, e.From, e.Result, e.Detail, e.PrevHash}
	b, _ := json.Marshal(fields) // strings and integers only: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// AuditHead is the newest entry of the audit log as the store records it
// apart from the entries: a checkpoint that reveals a truncated tail.
type AuditHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// AuditLogService is the append-only audit log.
type AuditLogService interface {
	// AppendAudit adds e at the end of the log in one atomic step: it
	// sets e.Seq to the next number, e.PrevHash to the newest entry's
	// hash (AuditGenesis for the first), e.At (zero: now) to the store's
	// precision, e.Hash to e.ComputeHash(), and moves the head.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// AuditEntries returns up to limit entries (0: all) with Seq greater
	// than after, oldest first, as stored (Hash is not recomputed).
	AuditEntries(ctx context.Context, after int64, limit int) ([]*AuditEntry, error)
	// AuditHead returns the head checkpoint; an empty log has Seq 0 and
	// Hash AuditGenesis.
	AuditHead(ctx context.Context) (AuditHead, error)
}

// AccessService is everything access control persists: accounts, API
// tokens, sessions and the audit log.
type AccessService interface {
	AccountService
	APITokenService
	SessionService
	AuditLogService
}
