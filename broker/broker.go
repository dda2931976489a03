// Package broker is Warden's token broker: applications authenticate with
// broker keys and either ask for a session of an integration user (POST
// /broker/v1/token) or send their REST calls through Warden
// (/broker/v1/proxy/{user}/services/...), so that they never hold a
// Salesforce secret and every user logs in once per session however many
// applications and processes use it.
//
// The broker builds on the credential registry: one cached
// *salesforce.Session per credential, whose logins are single-flight and
// whose rotated refresh tokens are persisted before use. The broker adds
// session lifetimes (a token is re-minted ahead of expiry, once), coalesced
// invalidations, keys and their scopes, per-key rate limits, attribution
// and a pause after a failed grant, so that a revoked refresh token is not
// presented again on every request.
package broker

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// Sessions gives the broker the cached session of a credential;
// *credential.Registry implements it.
type Sessions interface {
	// Session returns the shared session of the named credential.
	Session(ctx context.Context, credential string) (*salesforce.Session, error)
	// Forget drops the cached session, so that the next Session reads the
	// credential and its material again.
	Forget(credential string)
}

// Config configures a Broker. Keys, Users and Sessions are required.
type Config struct {
	Keys     warden.BrokerKeyService
	Users    warden.UserService
	Sessions Sessions
	// SessionLifetime is how long a session stays valid after it is
	// issued: the org's session timeout (default 2h, Salesforce's
	// default). The broker re-mints a token RefreshBefore its end
	// (default 5m, at most half the lifetime).
	SessionLifetime time.Duration
	RefreshBefore   time.Duration
	// Rate and Burst limit the proxied calls of each key (default 100/s,
	// burst 200; a negative Rate means no limit).
	Rate  rate.Limit
	Burst int
	// MaxBody bounds a request body (default 32 MiB); bodies up to
	// ReplayBody (default 1 MiB) are buffered, so that a call can be
	// replayed once after a re-mint.
	MaxBody, ReplayBody int64
	// FailurePause is how long a credential whose login failed is not
	// tried again (default 30s; 5s for a transient failure): every request
	// meanwhile gets the same error without an upstream call. After it the
	// credential is read again, so a re-authorization is picked up.
	FailurePause time.Duration
	// Transport carries the proxied calls (default: a clone of
	// http.DefaultTransport).
	Transport http.RoundTripper
	// Registerer receives the broker's metrics (nil: not registered).
	Registerer prometheus.Registerer
	// OnEvent, when set, is called after every grant and proxied call
	// (the audit log's hook). It must not block.
	OnEvent func(Event)
	// Logger receives failures (default: discard). Keys are never logged.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Event describes one request to the broker, for attribution.
type Event struct {
	Time time.Time
	// KeyID and Dependent identify the caller; empty when the key was not
	// recognized.
	KeyID, Dependent string
	// Op is token, invalidate or proxy.
	Op string
	// User is the integration user asked for.
	User string
	// Method and Path are the proxied call's (empty for token requests).
	Method, Path string
	// Status is the HTTP status answered.
	Status int
	// Outcome is ok, denied (key or scope), limited (rate), error (the
	// broker or Salesforce failed) or upstream (Salesforce answered an
	// error status, passed on).
	Outcome string
}

// Broker serves the broker API. It is safe for concurrent use.
type Broker struct {
	cfg     Config
	now     func() time.Time
	logger  *slog.Logger
	metrics *metrics
	proxy   http.Handler

	keys    sync.Map     // id -> *keyEntry
	misses  atomic.Int64 // unknown ids in keys
	users   atomic.Pointer[userIndex]
	usersMu sync.Mutex // one reload at a time

	mu       sync.Mutex
	failures map[string]failure           // by credential
	minted   map[string]*salesforce.Token // newest token seen, by credential

	healthOnce sync.Once
	health     *healthMetrics
}

// keyEntry caches a key record and the state kept for it in memory.
type keyEntry struct {
	key     *warden.BrokerKey // nil: no such key
	fetched time.Time
	limiter *rate.Limiter
	touched atomic.Int64 // unix seconds of the last TouchBrokerKey
}

// userIndex maps lower-case usernames to users.
type userIndex struct {
	byName  map[string]*warden.IntegrationUser
	fetched time.Time
}

// failure is a login failure remembered for FailurePause.
type failure struct {
	err   error
	until time.Time
}

// maxMisses bounds the unknown key ids remembered.
const maxMisses = 10000

// cacheTTL is how long key records and the user index are reused: a
// revoked key stops working within it.
const cacheTTL = 10 * time.Second

// New returns a broker for cfg.
func New(cfg Config) *Broker {
	if cfg.SessionLifetime <= 0 {
		cfg.SessionLifetime = 2 * time.Hour
	}
	if cfg.RefreshBefore <= 0 {
		cfg.RefreshBefore = 5 * time.Minute
	}
	cfg.RefreshBefore = min(cfg.RefreshBefore, cfg.SessionLifetime/2)
	if cfg.Rate == 0 {
		cfg.Rate, cfg.Burst = 100, 200
	}
	if cfg.Burst <= 0 {
		cfg.Burst = max(1, int(cfg.Rate))
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 32 << 20
	}
	if cfg.ReplayBody <= 0 {
		cfg.ReplayBody = 1 << 20
	}
	if cfg.FailurePause <= 0 {
		cfg.FailurePause = 30 * time.Second
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	b := &Broker{cfg: cfg, now: cfg.Now, logger: cfg.Logger, failures: map[string]failure{}, minted: map[string]*salesforce.Token{}}
	if b.now == nil {
		b.now = time.Now
	}
	if b.logger == nil {
		b.logger = slog.New(slog.DiscardHandler)
	}
	b.metrics = newMetrics(cfg.Registerer)
	b.proxy = b.newProxy()
	return b
}

// authenticate returns the key presented in an Authorization header, or an
// EUNAUTHORIZED error that says nothing about which part was wrong.
func (b *Broker) authenticate(ctx context.Context, header string) (*warden.BrokerKey, *keyEntry, error) {
	denied := warden.Errorf(warden.EUNAUTHORIZED, "a valid broker key is required as the Bearer token")
	scheme, presented, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "OAuth") {
		return nil, nil, denied
	}
	id, secret, ok := parseKey(strings.TrimSpace(presented))
	if !ok {
		return nil, nil, denied
	}
	e, err := b.keyEntry(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if e.key == nil || !matches(e.key, secret) {
		return nil, nil, denied
	}
	now := b.now()
	if !e.key.Active(now) {
		return nil, nil, warden.Errorf(warden.EUNAUTHORIZED, "broker key %s is revoked or expired", e.key.ID)
	}
	if last := e.touched.Load(); now.Unix()-last >= 60 && e.touched.CompareAndSwap(last, now.Unix()) {
		go func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := b.cfg.Keys.TouchBrokerKey(ctx, id, now); err != nil {
				b.logger.Warn("recording a broker key's use failed", "key", id, "err", warden.ErrorMessage(err))
			}
		}()
	}
	return e.key, e, nil
}

// keyEntry returns the cached record of key id, reading it when the cache
// is older than cacheTTL. The limiter and last use survive a re-read.
func (b *Broker) keyEntry(ctx context.Context, id string) (*keyEntry, error) {
	now := b.now()
	v, ok := b.keys.Load(id)
	if ok && now.Sub(v.(*keyEntry).fetched) < cacheTTL {
		return v.(*keyEntry), nil
	}
	k, err := b.cfg.Keys.BrokerKey(ctx, id)
	if err != nil && warden.ErrorKind(err) != warden.ENOTFOUND {
		return nil, err
	}
	e := &keyEntry{key: k, fetched: now}
	if k == nil {
		// Unknown ids are remembered too (so that a client repeating a
		// bad key does not query the store each time), but in a bounded
		// set, since anyone can make them up.
		if b.misses.Add(1) > maxMisses {
			b.keys.Range(func(id, v any) bool {
				if v.(*keyEntry).key == nil {
					b.keys.Delete(id)
				}
				return true
			})
			b.misses.Store(0)
		}
		b.keys.Store(id, e)
		return e, nil
	}
	if ok {
		old := v.(*keyEntry)
		e.limiter = old.limiter
		e.touched.Store(old.touched.Load())
	}
	if e.limiter == nil {
		limit := b.cfg.Rate
		if limit < 0 {
			limit = rate.Inf
		}
		e.limiter = rate.NewLimiter(limit, b.cfg.Burst)
	}
	b.keys.Store(id, e)
	return e, nil
}

// user returns the integration user with the given username.
func (b *Broker) user(ctx context.Context, username string) (*warden.IntegrationUser, error) {
	name := strings.ToLower(username)
	if idx := b.users.Load(); idx != nil && b.now().Sub(idx.fetched) < cacheTTL {
		if u := idx.byName[name]; u != nil {
			return u, nil
		}
	}
	b.usersMu.Lock()
	defer b.usersMu.Unlock()
	idx := b.users.Load()
	if idx == nil || b.now().Sub(idx.fetched) >= cacheTTL || idx.byName[name] == nil {
		users, err := b.cfg.Users.Users(ctx, warden.UserFilter{})
		if err != nil {
			return nil, err
		}
		idx = &userIndex{byName: make(map[string]*warden.IntegrationUser, len(users)), fetched: b.now()}
		for _, u := range users {
			idx.byName[strings.ToLower(u.Username)] = u
		}
		b.users.Store(idx)
	}
	if u := idx.byName[name]; u != nil {
		return u, nil
	}
	return nil, warden.Errorf(warden.ENOTFOUND, "no integration user %q in the inventory", username)
}

// Session is a user's cached session and its current token, as the broker
// hands it out.
type Session struct {
	User       *warden.IntegrationUser
	Credential string
	Session    *salesforce.Session
	Token      *salesforce.Token
	// ExpiresAt is when the broker considers the token expired.
	ExpiresAt time.Time
}

// Token returns the current session of username: the cached token while
// it is younger than SessionLifetime minus RefreshBefore, else a new one,
// minted once however many callers ask at once. It does not check any
// key's scope.
func (b *Broker) Token(ctx context.Context, username string) (*Session, error) {
	u, err := b.user(ctx, username)
	if err != nil {
		return nil, err
	}
	if u.Credential == "" {
		return nil, warden.Errorf(warden.EINVALID, "user %s has no credential in the inventory to log in with", u.Username)
	}
	if err := b.paused(u.Credential); err != nil {
		return nil, err
	}
	sess, err := b.cfg.Sessions.Session(ctx, u.Credential)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		tok, err := sess.Token(ctx)
		if err != nil {
			b.failed(ctx, u.Credential, err)
			return nil, err
		}
		b.observe(u.Credential, tok)
		exp := b.expires(tok)
		if attempt == 0 && !b.now().Before(exp.Add(-b.cfg.RefreshBefore)) {
			sess.Invalidate(tok) // a no-op when another caller already did
			continue
		}
		return &Session{User: u, Credential: u.Credential, Session: sess, Token: tok, ExpiresAt: exp}, nil
	}
}

// Invalidate reports that accessToken, a token the broker handed out for
// username, was refused (INVALID_SESSION_ID), and returns the session to
// use instead. Only the first report of a token re-mints it: the others
// get the token that replaced it. A token issued less than minReissue ago
// is not re-minted, so that a caller cannot make the broker log in on
// every request.
func (b *Broker) Invalidate(ctx context.Context, username, accessToken string) (*Session, error) {
	return b.invalidate(ctx, username, accessToken, false)
}

// invalidate is Invalidate; seen is set when the broker saw Salesforce
// refuse the token itself (the proxy), which re-mints even a young token.
func (b *Broker) invalidate(ctx context.Context, username, accessToken string, seen bool) (*Session, error) {
	s, err := b.Token(ctx, username)
	if err != nil {
		return nil, err
	}
	if s.Token.AccessToken != accessToken || !seen && b.now().Sub(b.issued(s.Token)) < minReissue {
		return s, nil
	}
	s.Session.Invalidate(s.Token)
	b.metrics.invalidations.WithLabelValues(s.Credential).Inc()
	return b.Token(ctx, username)
}

// minReissue is the youngest token an invalidation re-mints.
const minReissue = 2 * time.Second

// issued returns when tok was issued.
func (b *Broker) issued(tok *salesforce.Token) time.Time {
	if tok.IssuedAt.IsZero() {
		return b.now()
	}
	return tok.IssuedAt
}

// expires returns when the broker considers tok expired.
func (b *Broker) expires(tok *salesforce.Token) time.Time {
	return b.issued(tok).Add(b.cfg.SessionLifetime)
}

// observe counts a token not seen before as a session minted.
func (b *Broker) observe(credential string, tok *salesforce.Token) {
	b.mu.Lock()
	prev := b.minted[credential]
	b.minted[credential] = tok
	b.mu.Unlock()
	if prev != tok {
		b.metrics.sessions.WithLabelValues(credential).Inc()
	}
}

// paused returns the remembered login failure of a credential while its
// pause lasts; when the pause is over the credential is forgotten, so that
// the next session reads it (and a new refresh token) again.
func (b *Broker) paused(credential string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, ok := b.failures[credential]
	if !ok {
		return nil
	}
	if b.now().Before(f.until) {
		return f.err
	}
	delete(b.failures, credential)
	b.cfg.Sessions.Forget(credential)
	return nil
}

// failed remembers a login failure of a credential (not a canceled
// request) for the pause.
func (b *Broker) failed(ctx context.Context, credential string, err error) {
	if ctx.Err() != nil {
		return
	}
	pause := b.cfg.FailurePause
	var se *salesforce.Error
	if errors.As(err, &se) && se.Cause.Transient() || warden.ErrorKind(err) == warden.EUNAVAILABLE {
		pause = min(pause, 5*time.Second)
	}
	b.mu.Lock()
	b.failures[credential] = failure{err: err, until: b.now().Add(pause)}
	b.mu.Unlock()
	b.metrics.loginFailures.WithLabelValues(credential, causeOf(err)).Inc()
	b.logger.Warn("broker: login failed; requests for the credential get this error until the pause ends",
		"credential", credential, "pause", pause, "err", warden.ErrorMessage(err))
}

// Forget drops what the broker holds for a credential (after a
// re-authorization stored new material): its paused failure and its
// cached session.
func (b *Broker) Forget(credential string) {
	b.mu.Lock()
	delete(b.failures, credential)
	b.mu.Unlock()
	b.cfg.Sessions.Forget(credential)
}

// causeOf returns the health cause an error proves, or "".
func causeOf(err error) string {
	var se *salesforce.Error
	if errors.As(err, &se) {
		return string(se.Cause)
	}
	return ""
}

// emit counts a request and hands it to the hook.
func (b *Broker) emit(e Event) {
	e.Time = b.now()
	b.metrics.requests.WithLabelValues(e.Op, e.Dependent, e.KeyID, e.Outcome).Inc()
	if b.cfg.OnEvent != nil {
		b.cfg.OnEvent(e)
	}
}
