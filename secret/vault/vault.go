// Package vault stores Warden's secrets in HashiCorp Vault's KV version 2
// secrets engine, implementing [warden.SecretStore] with
// github.com/hashicorp/vault/api.
//
// # Layout
//
// A Warden key k lives at the KV path Prefix+k under Mount (by default
// secret/ and warden/, so "acme/prod/password" is
// secret/data/warden/acme/prod/password). Each Put writes a new KV
// version whose data is
//
//	{"value": "<base64 of the value>", "tags": {"owner": "billing", ...}}
//
// so binary values survive and `vault kv get` shows what each version is.
// Version ids are Vault's version numbers.
//
// # Stages
//
// Stages are pointers in the key's KV metadata, custom_metadata:
//
//	warden_current=3  warden_pending=4  warden_previous=2
//
// Other custom_metadata entries are preserved. Promote and Discard change
// only metadata; values are never rewritten.
//
// # Concurrency
//
// Every data write uses check-and-set (options.cas set to the version the
// writer last saw), so two writers racing on a key cannot both create a
// version: the loser gets ECONFLICT and may retry. Vault has no
// check-and-set for metadata, so a stage change re-reads the metadata
// just before writing it and fails with ECONFLICT if another writer moved
// a stage or added a version in the meantime; a narrow window remains
// between that check and the write. Writers within one Store are
// serialized per key.
//
// # Retention
//
// The key's max_versions is kept at Config.MaxVersions (10 by default),
// raised when needed so that Vault never prunes a version that still
// holds a stage (for example after many discarded rotations).
//
// # Testing
//
// The package is contract-tested against vault/vaulttest, an in-process
// server following Vault's documented KV v2 API, not against a live
// Vault. Setting WARDEN_TEST_VAULT_ADDR and WARDEN_TEST_VAULT_TOKEN also
// runs the conformance suite against a real Vault with a KV v2 engine
// mounted at "secret".
package vault

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/vault/api"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/secret"
)

// Defaults for Config.
const (
	DefaultMount       = "secret"
	DefaultPrefix      = "warden/"
	DefaultMaxVersions = 10
)

// custom_metadata keys holding the stage pointers.
const (
	metaCurrent  = "warden_current"
	metaPending  = "warden_pending"
	metaPrevious = "warden_previous"
)

// Config configures a Store.
type Config struct {
	// Address is Vault's URL, e.g. https://vault.example.com:8200. Empty
	// means the VAULT_ADDR environment variable (the api package default).
	Address string
	// Token authenticates to Vault. Empty means VAULT_TOKEN.
	Token string
	// Mount is the KV v2 engine's mount path. Empty means "secret".
	Mount string
	// Prefix is prepended to every key. Empty means "warden/"; a prefix
	// gets a trailing '/' if it lacks one.
	Prefix string
	// MaxVersions is how many versions of each key to keep (versions
	// holding a stage are always kept). Zero means DefaultMaxVersions.
	MaxVersions int
	// Client, if set, is used instead of a client built from Address and
	// Token (Token, if set, is still applied to it).
	Client *api.Client
}

// Store is a Vault KV v2 secret store. It is safe for concurrent use.
type Store struct {
	kv      *api.KVv2
	mount   string
	prefix  string
	max     int
	address string
	locks   secret.KeyLocks
}

var _ warden.SecretStore = (*Store)(nil)

// New returns a Store for cfg. It does not contact Vault.
func New(cfg Config) (*Store, error) {
	const op = "vault.New"
	if cfg.Mount == "" {
		cfg.Mount = DefaultMount
	}
	cfg.Mount = strings.Trim(cfg.Mount, "/")
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	cfg.Prefix = strings.TrimLeft(cfg.Prefix, "/")
	if cfg.Prefix != "" && !strings.HasSuffix(cfg.Prefix, "/") {
		cfg.Prefix += "/"
	}
	if cfg.Mount == "" || (cfg.Prefix != "" && secret.ValidateKey(strings.TrimSuffix(cfg.Prefix, "/")) != nil) {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: fmt.Sprintf("invalid mount %q or prefix %q", cfg.Mount, cfg.Prefix)}
	}
	if cfg.MaxVersions < 0 {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "MaxVersions must not be negative"}
	}
	if cfg.MaxVersions == 0 {
		cfg.MaxVersions = DefaultMaxVersions
	}
	client := cfg.Client
	if client == nil {
		conf := api.DefaultConfig()
		if conf.Error != nil {
			return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "invalid Vault client configuration in the environment", Err: conf.Error}
		}
		if cfg.Address != "" {
			conf.Address = cfg.Address
		}
		c, err := api.NewClient(conf)
		if err != nil {
			return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "cannot configure the Vault client", Err: err}
		}
		client = c
	}
	if cfg.Token != "" {
		client.SetToken(cfg.Token)
	}
	if client.Token() == "" {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "no Vault token (set Config.Token or VAULT_TOKEN)"}
	}
	return &Store{kv: client.KVv2(cfg.Mount), mount: cfg.Mount, prefix: cfg.Prefix, max: cfg.MaxVersions, address: client.Address()}, nil
}

// stages are a key's stage pointers (0 for none).
type stages struct{ current, pending, previous int }

func stagesOf(custom map[string]any) stages {
	get := func(name string) int {
		s, _ := custom[name].(string)
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0
		}
		return n
	}
	return stages{get(metaCurrent), get(metaPending), get(metaPrevious)}
}

func (st stages) of(n int) warden.Stage {
	switch {
	case n == 0:
		return ""
	case n == st.current:
		return warden.StageCurrent
	case n == st.pending:
		return warden.StagePending
	case n == st.previous:
		return warden.StagePrevious
	}
	return ""
}

func (st stages) get(stage warden.Stage) int {
	switch stage {
	case warden.StageCurrent:
		return st.current
	case warden.StagePending:
		return st.pending
	case warden.StagePrevious:
		return st.previous
	}
	return 0
}

// oldest returns the smallest version holding a stage, or 0.
func (st stages) oldest() int {
	o := 0
	for _, n := range []int{st.current, st.pending, st.previous} {
		if n > 0 && (o == 0 || n < o) {
			o = n
		}
	}
	return o
}

// Put writes value as a new KV version with check-and-set and moves the
// stage pointers.
func (s *Store) Put(ctx context.Context, key string, value []byte, stage warden.Stage, tags map[string]string) (warden.SecretVersion, error) {
	const op = "vault.Put"
	if err := secret.ValidatePut(key, value, stage, tags); err != nil {
		return warden.SecretVersion{}, secret.WithOp(op, err)
	}
	unlock := s.locks.Lock(key)
	defer unlock()
	path := s.prefix + key
	md, err := s.metadata(ctx, path)
	if err != nil && !errors.Is(err, api.ErrSecretNotFound) {
		return warden.SecretVersion{}, s.wrap(op, key, err)
	}
	var (
		old    stages
		cv     int
		custom map[string]any
	)
	if md != nil {
		old, cv, custom = stagesOf(md.CustomMetadata), md.CurrentVersion, md.CustomMetadata
	}
	next := cv + 1
	st := old
	if stage == warden.StageCurrent {
		if old.current != 0 {
			st.previous = old.current
		}
		st.current, st.pending = next, 0
	} else {
		st.pending = next
	}
	// Make sure writing version next will not prune a staged version.
	if md != nil {
		if want := s.maxVersions(next, st); want != md.MaxVersions {
			if err := s.kv.PutMetadata(ctx, path, putInput(md, custom, want)); err != nil {
				return warden.SecretVersion{}, s.wrap(op, key, err)
			}
		}
	}
	data := map[string]any{"value": base64.StdEncoding.EncodeToString(value)}
	if len(tags) > 0 {
		data["tags"] = maps.Clone(tags)
	}
	written, err := s.kv.Put(ctx, path, data, api.WithCheckAndSet(cv))
	if err != nil {
		return warden.SecretVersion{}, s.wrap(op, key, err)
	}
	if written.VersionMetadata == nil || written.VersionMetadata.Version != next {
		return warden.SecretVersion{}, &warden.Error{Kind: warden.EINTERNAL, Op: op, Message: fmt.Sprintf("vault wrote an unexpected version of %q", key)}
	}
	if err := s.setStages(ctx, op, key, old, next, st); err != nil {
		return warden.SecretVersion{}, err
	}
	return warden.SecretVersion{
		Key:       key,
		Version:   strconv.Itoa(next),
		Stage:     stage,
		CreatedAt: written.VersionMetadata.CreatedTime,
		Tags:      secret.CloneTags(tags),
	}, nil
}

// Get reads the version of key in stage.
func (s *Store) Get(ctx context.Context, key string, stage warden.Stage) (*warden.Secret, error) {
	const op = "vault.Get"
	if err := secret.ValidateKey(key); err != nil {
		return nil, secret.WithOp(op, err)
	}
	if err := secret.ValidateStage(stage); err != nil {
		return nil, secret.WithOp(op, err)
	}
	md, err := s.metadata(ctx, s.prefix+key)
	if err != nil {
		return nil, s.wrap(op, key, err)
	}
	n := stagesOf(md.CustomMetadata).get(stage)
	if n == 0 {
		return nil, &warden.Error{Kind: warden.ENOTFOUND, Op: op, Message: fmt.Sprintf("secret %q has no %s version", key, stage)}
	}
	return s.read(ctx, op, key, n)
}

// GetVersion reads version (a Vault version number) of key.
func (s *Store) GetVersion(ctx context.Context, key, version string) (*warden.Secret, error) {
	const op = "vault.GetVersion"
	if err := secret.ValidateKey(key); err != nil {
		return nil, secret.WithOp(op, err)
	}
	if version == "" {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "empty version"}
	}
	n, err := strconv.Atoi(version)
	if err != nil || n <= 0 || strconv.Itoa(n) != version {
		// Vault reads version 0 as "latest"; only canonical numbers name a version.
		return nil, &warden.Error{Kind: warden.ENOTFOUND, Op: op, Message: fmt.Sprintf("secret %q has no version %q", key, version)}
	}
	return s.read(ctx, op, key, n)
}

// read returns version n of key with its stage, which the data response
// carries in its custom_metadata.
func (s *Store) read(ctx context.Context, op, key string, n int) (*warden.Secret, error) {
	kvs, err := s.kv.GetVersion(ctx, s.prefix+key, n)
	if err != nil {
		return nil, s.wrap(op, key, err)
	}
	if kvs.Data == nil || kvs.VersionMetadata == nil {
		return nil, &warden.Error{Kind: warden.ENOTFOUND, Op: op, Message: fmt.Sprintf("version %d of secret %q was deleted", n, key)}
	}
	value, tags, err := decodeData(kvs.Data)
	if err != nil {
		return nil, &warden.Error{Kind: warden.EINTERNAL, Op: op, Message: fmt.Sprintf("version %d of secret %q was not written by Warden: %v", n, key, err)}
	}
	return &warden.Secret{
		SecretVersion: warden.SecretVersion{
			Key:       key,
			Version:   strconv.Itoa(n),
			Stage:     stagesOf(kvs.CustomMetadata).of(n),
			CreatedAt: kvs.VersionMetadata.CreatedTime,
			Tags:      tags,
		},
		Value: value,
	}, nil
}

// Versions lists key's live versions, newest first. It reads each
// version's data for its tags.
func (s *Store) Versions(ctx context.Context, key string) ([]warden.SecretVersion, error) {
	const op = "vault.Versions"
	if err := secret.ValidateKey(key); err != nil {
		return nil, secret.WithOp(op, err)
	}
	path := s.prefix + key
	md, err := s.metadata(ctx, path)
	if err != nil {
		return nil, s.wrap(op, key, err)
	}
	st := stagesOf(md.CustomMetadata)
	var nums []int
	for _, v := range md.Versions {
		if v.DeletionTime.IsZero() && !v.Destroyed && v.Version >= md.OldestVersion {
			nums = append(nums, v.Version)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(nums)))
	out := make([]warden.SecretVersion, 0, len(nums))
	for _, n := range nums {
		kvs, err := s.kv.GetVersion(ctx, path, n)
		if err != nil {
			if warden.ErrorKind(s.wrap(op, key, err)) == warden.ENOTFOUND {
				continue // pruned or deleted since the metadata read
			}
			return nil, s.wrap(op, key, err)
		}
		if kvs.Data == nil || kvs.VersionMetadata == nil {
			continue
		}
		_, tags, err := decodeData(kvs.Data)
		if err != nil {
			tags = nil // not a Warden version; list it without tags
		}
		out = append(out, warden.SecretVersion{Key: key, Version: strconv.Itoa(n), Stage: st.of(n), CreatedAt: kvs.VersionMetadata.CreatedTime, Tags: tags})
	}
	if len(out) == 0 {
		return nil, secret.NotFound(op, key)
	}
	return out, nil
}

// Promote moves the pending pointer to current and current to previous.
func (s *Store) Promote(ctx context.Context, key string) error {
	return s.restage(ctx, "vault.Promote", key, func(st stages) (stages, error) {
		if st.pending == 0 {
			return st, fmt.Errorf("secret %q has no pending version to promote", key)
		}
		if st.current != 0 {
			st.previous = st.current
		}
		st.current, st.pending = st.pending, 0
		return st, nil
	})
}

// Discard clears the pending pointer; the version stays in Vault's
// history with no stage.
func (s *Store) Discard(ctx context.Context, key string) error {
	return s.restage(ctx, "vault.Discard", key, func(st stages) (stages, error) {
		if st.pending == 0 {
			return st, fmt.Errorf("secret %q has no pending version to discard", key)
		}
		st.pending = 0
		return st, nil
	})
}

// Delete removes the key's metadata and every version.
func (s *Store) Delete(ctx context.Context, key string) error {
	const op = "vault.Delete"
	if err := secret.ValidateKey(key); err != nil {
		return secret.WithOp(op, err)
	}
	unlock := s.locks.Lock(key)
	defer unlock()
	path := s.prefix + key
	if _, err := s.metadata(ctx, path); err != nil { // Vault's delete succeeds on missing keys
		return s.wrap(op, key, err)
	}
	if err := s.kv.DeleteMetadata(ctx, path); err != nil {
		return s.wrap(op, key, err)
	}
	return nil
}

// restage applies change to key's stage pointers. An error from change
// means there is nothing to do (ENOTFOUND).
func (s *Store) restage(ctx context.Context, op, key string, change func(stages) (stages, error)) error {
	if err := secret.ValidateKey(key); err != nil {
		return secret.WithOp(op, err)
	}
	unlock := s.locks.Lock(key)
	defer unlock()
	md, err := s.metadata(ctx, s.prefix+key)
	if err != nil {
		return s.wrap(op, key, err)
	}
	old := stagesOf(md.CustomMetadata)
	st, err := change(old)
	if err != nil {
		return &warden.Error{Kind: warden.ENOTFOUND, Op: op, Message: err.Error()}
	}
	return s.setStages(ctx, op, key, old, md.CurrentVersion, st)
}

// setStages writes st as key's stage pointers, provided the metadata
// still shows the stages old and latest version cv; otherwise another
// writer got there first and it returns ECONFLICT.
func (s *Store) setStages(ctx context.Context, op, key string, old stages, cv int, st stages) error {
	path := s.prefix + key
	md, err := s.metadata(ctx, path)
	if err != nil {
		return s.wrap(op, key, err)
	}
	if md.CurrentVersion != cv || stagesOf(md.CustomMetadata) != old {
		return &warden.Error{Kind: warden.ECONFLICT, Op: op, Message: fmt.Sprintf("secret %q was changed concurrently; retry", key)}
	}
	custom := maps.Clone(md.CustomMetadata)
	if custom == nil {
		custom = map[string]any{}
	}
	for name, n := range map[string]int{metaCurrent: st.current, metaPending: st.pending, metaPrevious: st.previous} {
		if n == 0 {
			delete(custom, name)
		} else {
			custom[name] = strconv.Itoa(n)
		}
	}
	if err := s.kv.PutMetadata(ctx, path, putInput(md, custom, s.maxVersions(cv, st))); err != nil {
		return s.wrap(op, key, err)
	}
	return nil
}

// maxVersions is the max_versions that keeps the newest s.max versions
// and every staged version when latest is the newest version.
func (s *Store) maxVersions(latest int, st stages) int {
	want := s.max
	if o := st.oldest(); o > 0 && latest-o+1 > want {
		want = latest - o + 1
	}
	return want
}

// putInput is a metadata write that changes custom_metadata and
// max_versions and keeps the key's other settings.
func putInput(md *api.KVMetadata, custom map[string]any, maxVersions int) api.KVMetadataPutInput {
	return api.KVMetadataPutInput{
		CASRequired:        md.CASRequired,
		DeleteVersionAfter: md.DeleteVersionAfter,
		CustomMetadata:     custom,
		MaxVersions:        maxVersions,
	}
}

// metadata reads a key's KV metadata; a missing key is ENOTFOUND.
func (s *Store) metadata(ctx context.Context, path string) (*api.KVMetadata, error) {
	md, err := s.kv.GetMetadata(ctx, path)
	if err != nil {
		return nil, err
	}
	if md == nil {
		return nil, api.ErrSecretNotFound
	}
	return md, nil
}

// decodeData extracts the value and tags from a version's data.
func decodeData(data map[string]any) ([]byte, map[string]string, error) {
	enc, ok := data["value"].(string)
	if !ok {
		return nil, nil, errors.New(`no string "value" field`)
	}
	value, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, nil, errors.New(`"value" is not base64`)
	}
	var tags map[string]string
	if raw, ok := data["tags"].(map[string]any); ok && len(raw) > 0 {
		tags = make(map[string]string, len(raw))
		for k, v := range raw {
			if s, ok := v.(string); ok {
				tags[k] = s
			}
		}
	}
	return value, tags, nil
}

// wrap turns an error from the Vault client into a *warden.Error of the
// right kind. Vault's messages never contain secret values.
func (s *Store) wrap(op, key string, err error) error {
	var we *warden.Error
	if errors.As(err, &we) {
		return secret.WithOp(op, err)
	}
	if cerr := secret.ContextError(op, err); cerr != nil {
		return cerr
	}
	if errors.Is(err, api.ErrSecretNotFound) {
		return secret.NotFound(op, key)
	}
	var re *api.ResponseError
	if !errors.As(err, &re) {
		return &warden.Error{Kind: warden.EUNAVAILABLE, Op: op, Message: fmt.Sprintf("cannot reach Vault at %s", s.address), Err: err}
	}
	detail := strings.Join(re.Errors, "; ")
	switch {
	case re.StatusCode == 400 && strings.Contains(detail, "check-and-set"):
		return &warden.Error{Kind: warden.ECONFLICT, Op: op, Message: fmt.Sprintf("secret %q was changed concurrently (check-and-set failed); retry", key), Err: err}
	case re.StatusCode == 400:
		return &warden.Error{Kind: warden.EINVALID, Op: op, Message: "Vault rejected the request: " + detail, Err: err}
	case re.StatusCode == 401:
		return &warden.Error{Kind: warden.EUNAUTHORIZED, Op: op, Message: "Vault rejected the token", Err: err}
	case re.StatusCode == 403:
		return &warden.Error{Kind: warden.EFORBIDDEN, Op: op, Message: fmt.Sprintf("Vault denied access to %s/%s%s (check the token and its policy)", s.mount, s.prefix, key), Err: err}
	case re.StatusCode == 404:
		return secret.NotFound(op, key)
	case re.StatusCode == 429 || re.StatusCode >= 500:
		return &warden.Error{Kind: warden.EUNAVAILABLE, Op: op, Message: fmt.Sprintf("Vault is unavailable (HTTP %d: %s)", re.StatusCode, detail), Err: err}
	}
	return &warden.Error{Kind: warden.EINTERNAL, Op: op, Message: fmt.Sprintf("unexpected Vault response (HTTP %d)", re.StatusCode), Err: err}
}
