// Package auth is the access control of Warden's dashboard and JSON API:
// local accounts with argon2id password hashes, browser sessions with
// CSRF protection, login rate limiting and lockout, optional OIDC single
// sign-on, API tokens for automation, the role checks routes use, and the
// hash-chained audit log.
//
// A Service holds it together. Its Middleware authenticates each request
// (a session cookie or an "Authorization: Bearer" API token) and puts the
// warden.Principal in the request's context; Require and RequirePage let
// a route through only for a role; Handler serves the login and logout
// routes and the OIDC redirects; Audit records what a principal did.
//
// Secrets never leave the package in the clear except once, to the person
// they belong to: a generated password or a new API token is returned to
// the caller that prints it; session ids live only in the browser's
// cookie. The store keeps hashes (argon2id for passwords, SHA-256 for
// tokens and session ids, which are random and long); CSRF tokens are
// derived from the session id and never stored. Nothing secret is logged,
// audited or put in an error message.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/wardenhq/warden"
)

// Defaults of Options.
const (
	DefaultSessionTTL  = 12 * time.Hour
	DefaultIdleTimeout = time.Hour
	DefaultLockAfter   = 5
	DefaultLockFor     = 15 * time.Minute
	// DefaultIPFailures is how many failed logins from one address within
	// LockFor make every login from it wait until the window ends.
	DefaultIPFailures = 20
)

// Options configure a Service. Zero values take the defaults.
type Options struct {
	// Secure marks cookies Secure and names the session cookie with the
	// __Host- prefix: set it when the listener serves TLS (or sits behind
	// a proxy that does).
	Secure bool
	// SessionTTL is the longest a session lasts (default 12h);
	// IdleTimeout ends a session that made no request for that long
	// (default 1h).
	SessionTTL  time.Duration
	IdleTimeout time.Duration
	// LockAfter failed logins in a row lock an account, or refuse a
	// username that has no account, for LockFor (defaults 5 and 15m).
	LockAfter int
	LockFor   time.Duration
	// IPFailures failed logins from one address within LockFor refuse
	// its logins until the window ends (default 20).
	IPFailures int
	// OIDC, when set, offers single sign-on (see NewOIDC).
	OIDC *OIDC
	// Argon2 is the cost of new password hashes (default DefaultArgon2).
	Argon2 Argon2Params
	// Logger receives what goes wrong, never a secret (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service is Warden's access control over a store. It is safe for
// concurrent use.
type Service struct {
	store   warden.AccessService
	o       Options
	limits  *limiter
	cop     *http.CrossOriginProtection
	decoy   string // a password hash that unknown usernames are checked against
	handler http.Handler
}

// New returns a Service over store configured by o.
func New(store warden.AccessService, o Options) *Service {
	if o.SessionTTL <= 0 {
		o.SessionTTL = DefaultSessionTTL
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.LockAfter <= 0 {
		o.LockAfter = DefaultLockAfter
	}
	if o.LockFor <= 0 {
		o.LockFor = DefaultLockFor
	}
	if o.IPFailures <= 0 {
		o.IPFailures = DefaultIPFailures
	}
	if o.Argon2 == (Argon2Params{}) {
		o.Argon2 = DefaultArgon2
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Service{store: store, o: o, limits: newLimiter(), cop: http.NewCrossOriginProtection()}
	s.decoy, _ = HashPassword(GeneratePassword(), o.Argon2)
	s.handler = s.routes()
	return s
}

// now returns the service's current time.
func (s *Service) now() time.Time { return s.o.Now() }

// randomID returns n random bytes in unpadded base64url.
func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret returns the hex SHA-256 of a high-entropy secret (a session
// id or an API token): what the store keeps in its place.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// csrfToken returns the synchronizer token of the session whose id is id:
// an HMAC of a fixed label keyed by the id, so it is tied to the session,
// needs no storage, and reveals nothing about the id.
func csrfToken(id string) string {
	m := hmac.New(sha256.New, []byte(id))
	m.Write([]byte("warden csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

type sourceKey struct{}

// WithSource returns ctx carrying from, where a request came from (a
// client IP address, or "local" for a command run on the server's host):
// what Audit records.
func WithSource(ctx context.Context, from string) context.Context {
	return context.WithValue(ctx, sourceKey{}, from)
}

// SourceFrom returns where the request of ctx came from, or "".
func SourceFrom(ctx context.Context) string {
	from, _ := ctx.Value(sourceKey{}).(string)
	return from
}

// clientIP returns the IP address of r's client, without the port. Warden
// does not trust forwarding headers: behind a reverse proxy, the proxy's
// address is the client.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
