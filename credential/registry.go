package credential

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"sync"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// Config configures a Registry.
type Config struct {
	// Orgs and Credentials are where the registry reads the inventory
	// (usually both are the store).
	Orgs        warden.OrgService
	Credentials warden.CredentialService
	// Secrets are the secret stores by the name a warden.SecretRef uses.
	Secrets map[string]warden.SecretStore
	// HTTPClient makes the requests of every org: one connection pool.
	// Default: a new http.Client.
	HTTPClient *http.Client
	// UserAgent is sent with every Salesforce request (default: the
	// salesforce package's).
	UserAgent string
	// Logger receives what onboarding does (default: discard).
	Logger *slog.Logger
}

// Registry holds one Salesforce client per org and one cached session per
// credential, shared by everything that talks to Salesforce in a process
// (the monitor's checks, commands, rotation, the broker), so that a
// credential logs in once however many callers use it. It reads the
// inventory through the root service interfaces and the secret material
// from the secret stores. It is safe for concurrent use and holds no lock
// across I/O.
type Registry struct {
	orgs    warden.OrgService
	creds   warden.CredentialService
	secrets map[string]warden.SecretStore
	hc      *http.Client
	ua      string
	logger  *slog.Logger

	mu       sync.Mutex
	clients  map[string]*salesforce.Client  // by org name
	sessions map[string]*salesforce.Session // by credential name
	// gen counts Forget calls, so that a session built from material read
	// before a Forget is not cached after it.
	gen uint64
}

// NewRegistry returns a registry for cfg. It makes no call until used.
func NewRegistry(cfg Config) *Registry {
	r := &Registry{orgs: cfg.Orgs, creds: cfg.Credentials, secrets: maps.Clone(cfg.Secrets), hc: cfg.HTTPClient, ua: cfg.UserAgent,
		logger: cfg.Logger, clients: map[string]*salesforce.Client{}, sessions: map[string]*salesforce.Session{}}
	if r.secrets == nil {
		r.secrets = map[string]warden.SecretStore{}
	}
	if r.hc == nil {
		r.hc = &http.Client{}
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	return r
}

// NewClient returns a client for loginURL on the registry's connection
// pool, not tied to any org (onboarding logs in before the org exists).
func (r *Registry) NewClient(loginURL string) *salesforce.Client {
	return salesforce.New(salesforce.Config{LoginURL: loginURL, HTTPClient: r.hc, UserAgent: r.ua})
}

// Client returns the client of the named org, built from the org's login
// URL on first use. An org not in the inventory is ENOTFOUND.
func (r *Registry) Client(ctx context.Context, org string) (*salesforce.Client, error) {
	r.mu.Lock()
	c := r.clients[org]
	r.mu.Unlock()
	if c != nil {
		return c, nil
	}
	o, err := r.orgs.Org(ctx, org)
	if err != nil {
		return nil, err
	}
	c = r.NewClient(o.LoginURL)
	r.mu.Lock()
	defer r.mu.Unlock()
	if existing := r.clients[org]; existing != nil {
		return existing, nil
	}
	r.clients[org] = c
	return c, nil
}

// SecretStore returns the named secret store, or an EINVALID error naming
// the credential that refers to it.
func (r *Registry) SecretStore(c *warden.Credential) (warden.SecretStore, error) {
	ss := r.secrets[c.Secret.Store]
	if ss == nil {
		return nil, warden.Errorf(warden.EINVALID, "credential %s: no secret store %q", c.Name, c.Secret.Store)
	}
	return ss, nil
}

// Material reads the current secret material of c and checks that it has
// what c's kind needs.
func (r *Registry) Material(ctx context.Context, c *warden.Credential) (warden.Material, error) {
	ss, err := r.SecretStore(c)
	if err != nil {
		return warden.Material{}, err
	}
	m, err := Read(ctx, ss, c.Secret, warden.StageCurrent)
	if err != nil {
		return m, prefixed("credential "+c.Name+": ", err)
	}
	return m, m.Check(c.Kind)
}

// PutMaterial writes m as a new version of c's secret in the given stage
// (warden.StageCurrent now; a rotation writes warden.StagePending and
// promotes it once verified), tagged with the credential's name and kind.
func (r *Registry) PutMaterial(ctx context.Context, c *warden.Credential, m warden.Material, stage warden.Stage) (warden.SecretVersion, error) {
	ss, err := r.SecretStore(c)
	if err != nil {
		return warden.SecretVersion{}, err
	}
	return Write(ctx, ss, c.Secret.Key, m, stage, map[string]string{"credential": c.Name, "kind": string(c.Kind)})
}

// Authenticator returns a new authenticator for c, on its org's client:
// JWT bearer, client credentials, refresh token or the legacy password
// login, by c.Kind. A refresh token the app rotates is written to the
// secret store as the current version before its access token is used.
// Each call reads the material again and shares nothing with Session:
// liveness checks use it to log in afresh.
func (r *Registry) Authenticator(ctx context.Context, c *warden.Credential) (salesforce.Authenticator, error) {
	auth, _, err := r.authenticator(ctx, c)
	return auth, err
}

func (r *Registry) authenticator(ctx context.Context, c *warden.Credential) (salesforce.Authenticator, *salesforce.Client, error) {
	m, err := r.Material(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	client, err := r.Client(ctx, c.Org)
	if err != nil {
		if warden.ErrorKind(err) == warden.ENOTFOUND {
			return nil, nil, warden.Errorf(warden.EINVALID, "credential %s: unknown org %q", c.Name, c.Org)
		}
		return nil, nil, fmt.Errorf("credential %s: %w", c.Name, err)
	}
	onRotate := func(ctx context.Context, token string) error {
		m.RefreshToken = token // RefreshAuth serializes its calls
		_, err := r.PutMaterial(ctx, c, m, warden.StageCurrent)
		return err
	}
	auth, err := salesforce.NewAuthenticator(client, c, m, onRotate)
	return auth, client, err
}

// Session returns the session of the named credential: the same one to
// every caller until Forget, so the credential logs in once and its token
// is shared. Building it reads the credential and its material but makes
// no Salesforce call; the session logs in on first use.
func (r *Registry) Session(ctx context.Context, credential string) (*salesforce.Session, error) {
	for {
		r.mu.Lock()
		if s := r.sessions[credential]; s != nil {
			r.mu.Unlock()
			return s, nil
		}
		gen := r.gen
		r.mu.Unlock()

		c, err := r.creds.Credential(ctx, credential)
		if err != nil {
			return nil, err
		}
		auth, client, err := r.authenticator(ctx, c)
		if err != nil {
			return nil, err
		}
		s := salesforce.NewSession(client, auth)

		r.mu.Lock()
		if existing := r.sessions[credential]; existing != nil {
			r.mu.Unlock()
			return existing, nil // built concurrently; ours was never used
		}
		if r.gen == gen {
			r.sessions[credential] = s
			r.mu.Unlock()
			return s, nil
		}
		r.mu.Unlock() // forgotten meanwhile: the material may be stale
	}
}

// Forget drops the cached session of the named credential (after its
// material or record changed, as a rotation does): the next Session reads
// the credential again and logs in anew. Callers holding the old session
// keep a working object until its token is rejected.
func (r *Registry) Forget(credential string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.sessions, credential)
	r.gen++
}

// prefixed puts prefix before the message of err, keeping its kind; an
// error without a kind keeps its own text for the logs.
func prefixed(prefix string, err error) error {
	var we *warden.Error
	if !errors.As(err, &we) {
		return fmt.Errorf("%s%w", prefix, err)
	}
	return &warden.Error{Kind: we.Kind, Message: prefix + warden.ErrorMessage(err), Err: err}
}

// adopt makes c the client of org and drops the cached session of
// credential, after onboarding (re)wrote both.
func (r *Registry) adopt(org string, c *salesforce.Client, credential string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clients[org] = c
	delete(r.sessions, credential)
	r.gen++
}
