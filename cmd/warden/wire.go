package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/notify"
	"github.com/wardenhq/warden/postgres"
	"github.com/wardenhq/warden/salesforce"
	"github.com/wardenhq/warden/secret/local"
	"github.com/wardenhq/warden/secret/vault"
	"github.com/wardenhq/warden/sqlite"
)

// sharedHTTP is the HTTP client of every org: one connection pool, with
// enough idle connections per host for many orgs on one instance.
var sharedHTTP = &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConns: 512,
	MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second, ForceAttemptHTTP2: true}}

// loadConfig reads and validates the configuration; a bad file is an
// EINVALID error listing every problem.
func (m *Main) loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path, m.Getenv)
	if err != nil {
		if warden.ErrorKind(err) == warden.EINTERNAL {
			return nil, &warden.Error{Kind: warden.EINVALID, Message: err.Error(), Err: err}
		}
		return nil, err
	}
	return cfg, nil
}

// env is the runtime built from a configuration: the store, the secret
// stores and a Salesforce client per org.
type env struct {
	cfg     *config.Config
	store   warden.Store
	secrets map[string]warden.SecretStore
	clients map[string]*salesforce.Client
	logger  *slog.Logger
	closers []func() error
}

// Close releases the environment.
func (e *env) Close() error {
	var first error
	for i := len(e.closers) - 1; i >= 0; i-- {
		if err := e.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// open builds the runtime and applies the declared inventory to the store.
func (m *Main) open(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*env, error) {
	e := &env{cfg: cfg, secrets: map[string]warden.SecretStore{}, clients: map[string]*salesforce.Client{}, logger: logger}
	ok := false
	defer func() {
		if !ok {
			e.Close()
		}
	}()
	switch cfg.Store.Driver {
	case "postgres":
		db, err := postgres.Open(ctx, cfg.Store.DSN)
		if err != nil {
			return nil, err
		}
		e.store = db
	default:
		db, err := sqlite.Open(ctx, cfg.Resolve(cfg.Store.Path))
		if err != nil {
			return nil, err
		}
		e.store = db
	}
	e.closers = append(e.closers, e.store.Close)
	for _, sc := range cfg.SecretStores {
		s, closer, err := m.openSecretStore(sc, cfg)
		if err != nil {
			return nil, fmt.Errorf("secret store %s: %w", sc.Name, err)
		}
		e.secrets[sc.Name] = s
		if closer != nil {
			e.closers = append(e.closers, closer)
		}
	}
	for _, o := range cfg.Orgs {
		e.clients[o.Name] = salesforce.New(salesforce.Config{LoginURL: o.LoginURL, HTTPClient: sharedHTTP, UserAgent: "warden/" + Version})
	}
	if err := e.applyInventory(ctx); err != nil {
		return nil, err
	}
	ok = true
	return e, nil
}

func (m *Main) openSecretStore(sc config.SecretStore, cfg *config.Config) (warden.SecretStore, func() error, error) {
	switch sc.Kind {
	case "local":
		var kek local.KeyEncryptionKey
		var err error
		if sc.KeyEnv != "" {
			kek, err = kekFromEnv(m.Getenv, sc.KeyEnv)
		} else {
			kek, err = local.KEKFromFile(cfg.Resolve(sc.KeyFile))
		}
		if err != nil {
			return nil, nil, err
		}
		s, err := local.Open(cfg.Resolve(sc.Path), kek)
		if err != nil {
			return nil, nil, err
		}
		return s, s.Close, nil
	case "vault":
		s, err := vault.New(vault.Config{Address: sc.Address, Token: sc.Token, Mount: sc.Mount, Prefix: sc.Prefix})
		return s, nil, err
	}
	return nil, nil, warden.Errorf(warden.EINVALID, "secret store %s: kind %q is not supported by this build", sc.Name, sc.Kind)
}

// kekFromEnv reads a base64 key-encryption key through getenv (so tests
// need not touch the process environment).
func kekFromEnv(getenv func(string) string, name string) (local.KeyEncryptionKey, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(getenv(name)))
	if err != nil || len(raw) == 0 {
		return local.KeyEncryptionKey{}, warden.Errorf(warden.EINVALID, "key-encryption key: environment variable %s must hold the base64 encoding of 32 bytes", name)
	}
	defer clear(raw)
	return local.NewKEK(raw)
}

// applyInventory writes the declared orgs, credentials, users, owners and
// dependents to the store.
func (e *env) applyInventory(ctx context.Context) error {
	for _, o := range e.cfg.DomainOrgs() {
		if existing, err := e.store.Org(ctx, o.Name); err == nil {
			o.OrgID, o.InstanceURL = existing.OrgID, existing.InstanceURL
		}
		if err := e.store.UpsertOrg(ctx, o); err != nil {
			return err
		}
	}
	for _, c := range e.cfg.DomainCredentials() {
		if err := e.store.UpsertCredential(ctx, c); err != nil {
			return err
		}
	}
	for _, ow := range e.cfg.DomainOwners() {
		if err := e.store.UpsertOwner(ctx, ow); err != nil {
			return err
		}
	}
	for _, u := range e.cfg.DomainUsers() {
		if existing, err := e.store.User(ctx, u.Org, u.Username); err == nil {
			u.UserID, u.Reasons = existing.UserID, existing.Reasons
		}
		if err := e.store.UpsertUser(ctx, u); err != nil {
			return err
		}
	}
	for _, d := range e.cfg.DomainDependents() {
		if err := e.store.UpsertDependent(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// material reads a credential's secret material from its secret store.
func (e *env) material(ctx context.Context, c *warden.Credential) (warden.Material, error) {
	var m warden.Material
	ss := e.secrets[c.Secret.Store]
	if ss == nil {
		return m, warden.Errorf(warden.EINVALID, "credential %s: no secret store %q", c.Name, c.Secret.Store)
	}
	s, err := ss.Get(ctx, c.Secret.Key, warden.StageCurrent)
	if err != nil {
		return m, fmt.Errorf("credential %s: %w", c.Name, err)
	}
	if err := json.Unmarshal(s.Value, &m); err != nil {
		return m, warden.Errorf(warden.EINVALID, "credential %s: secret %s/%s is not Warden credential material (JSON)", c.Name, c.Secret.Store, c.Secret.Key)
	}
	return m, m.Check(c.Kind)
}

// putMaterial writes a credential's secret material as the current version.
func (e *env) putMaterial(ctx context.Context, c *warden.Credential, m warden.Material) error {
	ss := e.secrets[c.Secret.Store]
	if ss == nil {
		return warden.Errorf(warden.EINVALID, "credential %s: no secret store %q", c.Name, c.Secret.Store)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = ss.Put(ctx, c.Secret.Key, b, warden.StageCurrent, map[string]string{"credential": c.Name, "kind": string(c.Kind)})
	return err
}

// authenticator builds the Salesforce authenticator of a credential;
// rotated refresh tokens are persisted to the secret store before use.
func (e *env) authenticator(ctx context.Context, c *warden.Credential) (salesforce.Authenticator, error) {
	m, err := e.material(ctx, c)
	if err != nil {
		return nil, err
	}
	client := e.clients[c.Org]
	if client == nil {
		return nil, warden.Errorf(warden.EINVALID, "credential %s: unknown org %q", c.Name, c.Org)
	}
	onRotate := func(ctx context.Context, token string) error {
		m.RefreshToken = token
		return e.putMaterial(ctx, c, m)
	}
	return salesforce.NewAuthenticator(client, c, m, onRotate)
}

// session returns a session for a credential.
func (e *env) session(ctx context.Context, name string) (*salesforce.Session, error) {
	c, err := e.store.Credential(ctx, name)
	if err != nil {
		return nil, err
	}
	auth, err := e.authenticator(ctx, c)
	if err != nil {
		return nil, err
	}
	return salesforce.NewSession(e.clients[c.Org], auth), nil
}

// monitor builds the monitor of every configured org.
func (e *env) monitor(ctx context.Context, alerter monitor.Alerter, metrics *monitor.Metrics) (*monitor.Monitor, error) {
	var orgs []*monitor.Org
	stored, err := e.store.Orgs(ctx) // declared in the file or added with "warden org add"
	if err != nil {
		return nil, err
	}
	for _, oc := range stored {
		if oc.MonitoringCredential == "" {
			e.logger.Warn("org has no monitoring credential; not monitored", "org", oc.Name)
			continue
		}
		if e.clients[oc.Name] == nil {
			e.clients[oc.Name] = salesforce.New(salesforce.Config{LoginURL: oc.LoginURL, HTTPClient: sharedHTTP, UserAgent: "warden/" + Version})
		}
		sess, err := e.session(ctx, oc.MonitoringCredential)
		if err != nil {
			return nil, fmt.Errorf("org %s: monitoring credential: %w", oc.Name, err)
		}
		o := &monitor.Org{Name: oc.Name, Session: sess, DailyAPIShare: oc.DailyAPIShare, Liveness: map[string]func(context.Context) error{}}
		if o.DailyAPIShare == 0 {
			o.DailyAPIShare = e.cfg.Monitor.DailyAPIShare
		}
		users, err := e.store.Users(ctx, warden.UserFilter{Org: oc.Name})
		if err != nil {
			return nil, err
		}
		deps, err := e.store.Dependents(ctx, warden.DependentFilter{Org: oc.Name})
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			t := monitor.Target{Username: u.Username, Owner: u.Owner}
			for _, d := range deps {
				if strings.EqualFold(d.Username, u.Username) {
					t.Needs = append(t.Needs, d.Objects...)
					t.Dependents = append(t.Dependents, warden.AffectedApp{Name: d.Name, Owner: d.Owner, Contact: d.Contact})
				}
			}
			if u.Credential != "" {
				c, err := e.store.Credential(ctx, u.Credential)
				if err != nil {
					return nil, fmt.Errorf("user %s: %w", u.Username, err)
				}
				t.Credential = c.Kind
				auth, err := e.authenticator(ctx, c)
				if err != nil {
					e.logger.Warn("credential cannot be checked", "user", u.Username, "credential", c.Name, "err", warden.ErrorMessage(err))
				} else {
					o.Liveness[u.Username] = monitor.LivenessCheck(e.clients[oc.Name], auth)
				}
			}
			o.Targets = append(o.Targets, t)
		}
		orgs = append(orgs, o)
	}
	mc := e.cfg.Monitor
	return monitor.New(monitor.Options{Store: e.store, Alerter: alerter, SweepInterval: mc.SweepInterval.D(),
		LivenessInterval: mc.LivenessInterval.D(), DashboardURL: e.cfg.Server.PublicURL, Logger: e.logger, Metrics: metrics}, orgs), nil
}

// dispatcher builds the alert dispatcher from the notification channels.
func (e *env) dispatcher() (*notify.Dispatcher, error) {
	var routes []notify.Route
	for _, n := range e.cfg.Notifications {
		var nt warden.Notifier
		var err error
		switch n.Kind {
		case "slack":
			nt, err = notify.NewSlack(notify.SlackConfig{Name: n.Name, WebhookURL: n.URL})
		case "teams":
			nt, err = notify.NewTeams(notify.TeamsConfig{Name: n.Name, WebhookURL: n.URL})
		case "webhook":
			nt, err = notify.NewWebhook(notify.WebhookConfig{Name: n.Name, URL: n.URL, Secret: n.Secret})
		case "pagerduty":
			nt, err = notify.NewPagerDuty(notify.PagerDutyConfig{Name: n.Name, RoutingKey: n.RoutingKey, URL: n.URL})
		case "email":
			nt, err = notify.NewEmail(notify.EmailConfig{Name: n.Name, Host: n.SMTPHost, Port: n.SMTPPort, From: n.From, To: n.To,
				Username: n.Username, Password: n.Password})
		default:
			err = warden.Errorf(warden.EINVALID, "notification %s: unknown kind %q", n.Name, n.Kind)
		}
		if err != nil {
			return nil, err
		}
		routes = append(routes, notify.Route{Notifier: nt, MinSeverity: warden.Severity(n.MinSeverity), Owners: n.Owners})
	}
	return notify.NewDispatcher(notify.DispatcherConfig{Routes: routes, Logger: e.logger}), nil
}

// alerter adapts the dispatcher to the monitor, logging failed deliveries.
func (e *env) alerter(d *notify.Dispatcher) monitor.Alerter {
	return monitor.AlertFunc(func(ctx context.Context, a *warden.Alert) {
		if err := d.Dispatch(ctx, a).Err(); err != nil {
			e.logger.Warn("alert delivery failed", "key", a.Key, "err", warden.ErrorMessage(err))
		}
	})
}

// registry is the Prometheus registry of a serve process.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return reg
}
