package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/postgres"
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
// stores and the credential registry (a Salesforce client per org, a
// session per credential).
type env struct {
	cfg     *config.Config
	store   warden.Store
	secrets map[string]warden.SecretStore
	creds   *credential.Registry
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
	e := &env{cfg: cfg, secrets: map[string]warden.SecretStore{}, logger: logger}
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
	e.creds = e.newRegistry()
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
