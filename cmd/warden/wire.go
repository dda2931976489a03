package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/postgres"
	"github.com/wardenhq/warden/secret/azurekv"
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
	return config.Load(path, m.Getenv)
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
	// activity, when set, analyses every sweep's new rows (serve).
	activity monitor.Activity
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

// open builds the runtime of cfg for a command that uses the inventory.
// It never writes the inventory: when the store lacks items that the
// configuration declares, it fails and says to run warden inventory sync
// (without creating a database that does not exist yet); other
// differences from the configuration are noted on stderr.
func (m *Main) open(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*env, error) {
	if cfg.Store.Driver != "postgres" && cfg.Store.Path != sqlite.MemoryPath && declaresInventory(cfg) {
		path := cfg.Resolve(cfg.Store.Path)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, notSynced(cfg, fmt.Sprintf("there is no inventory database (%s) yet", path))
		}
	}
	e, err := m.openUnsynced(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	if err := m.checkSynced(ctx, e); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// openUnsynced builds the runtime of cfg with the inventory as the store
// holds it, whatever the configuration declares: for the commands that
// sync the inventory (inventory sync, serve) or add to it (org add).
func (m *Main) openUnsynced(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*env, error) {
	e := &env{cfg: cfg, secrets: map[string]warden.SecretStore{}, logger: logger}
	ok := false
	defer func() {
		if !ok {
			e.Close()
		}
	}()
	// Secret stores are checked first (their keys read, their clients
	// built), so that a missing or bad key leaves nothing behind.
	openers := make([]func() (warden.SecretStore, func() error, error), len(cfg.SecretStores))
	for i, sc := range cfg.SecretStores {
		o, err := m.secretStoreOpener(sc, cfg)
		if err != nil {
			return nil, warden.Prefix("secret store "+sc.Name, err)
		}
		openers[i] = o
	}
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
	for i, sc := range cfg.SecretStores {
		s, closer, err := openers[i]()
		if err != nil {
			return nil, warden.Prefix("secret store "+sc.Name, err)
		}
		e.secrets[sc.Name] = s
		if closer != nil {
			e.closers = append(e.closers, closer)
		}
	}
	e.creds = e.newRegistry()
	ok = true
	return e, nil
}

// openSecretStore opens one secret store of the configuration.
func (m *Main) openSecretStore(sc config.SecretStore, cfg *config.Config) (warden.SecretStore, func() error, error) {
	open, err := m.secretStoreOpener(sc, cfg)
	if err != nil {
		return nil, nil, err
	}
	return open()
}

// azureTransport, when set, carries the Azure Key Vault client's requests
// (tests point it at the in-process fake vault).
var azureTransport policy.Transporter

// secretStoreOpener checks what a secret store needs without touching it
// (a local store's key, a remote store's client) and returns the function
// that opens it.
func (m *Main) secretStoreOpener(sc config.SecretStore, cfg *config.Config) (func() (warden.SecretStore, func() error, error), error) {
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
			return nil, err
		}
		path := cfg.Resolve(sc.Path)
		if sc.KeyFile != "" && sameDir(path, cfg.Resolve(sc.KeyFile)) {
			fmt.Fprintf(m.Stderr, "warden: warning: secret store %s: its key-encryption key (%s) is in the directory of the secrets it protects (%s), "+
				"so a backup of that directory holds both; keep the key elsewhere, or give it in keyEnv\n", sc.Name, sc.KeyFile, sc.Path)
		}
		return func() (warden.SecretStore, func() error, error) {
			s, err := local.Open(path, kek)
			if err != nil {
				return nil, nil, err
			}
			return s, s.Close, nil
		}, nil
	case "vault":
		s, err := vault.New(vault.Config{Address: sc.Address, Token: sc.Token, Mount: sc.Mount, Prefix: sc.Prefix})
		if err != nil {
			return nil, err
		}
		return func() (warden.SecretStore, func() error, error) { return s, nil, nil }, nil
	case "azurekv":
		cred, err := azurekv.CredentialFromEnv(m.Getenv)
		if err != nil {
			return nil, err
		}
		var opts *azsecrets.ClientOptions
		if azureTransport != nil {
			opts = &azsecrets.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: azureTransport}}
		}
		s, err := azurekv.NewFromURL(sc.VaultURL, cred, sc.Prefix, opts)
		if err != nil {
			return nil, err
		}
		return func() (warden.SecretStore, func() error, error) { return s, nil, nil }, nil
	}
	return nil, warden.Errorf(warden.EINVALID, "secret store %s: kind %q is not supported by this build", sc.Name, sc.Kind)
}

// sameDir reports whether two files are in the same directory.
func sameDir(a, b string) bool {
	da, err1 := filepath.Abs(filepath.Dir(a))
	db, err2 := filepath.Abs(filepath.Dir(b))
	return err1 == nil && err2 == nil && da == db
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
