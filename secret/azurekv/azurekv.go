// Package azurekv stores Warden's secrets in Azure Key Vault, implementing
// [warden.SecretStore] with the Azure SDK's azsecrets client.
//
// # Names
//
// Key Vault secret names must match ^[0-9a-zA-Z-]{1,127}$ and are
// case-insensitive, while Warden keys are case-sensitive and may contain
// '/', '.', '_' and '-'. A key maps to the name Prefix + escape(key),
// where escape keeps the lower-case letters a-z and the digits 0-9 and
// writes every other byte as '-' followed by two lower-case hex digits:
//
//	acme/prod/password  ->  acme-2fprod-2fpassword
//	Billing_API.key     ->  -42illing-5f-41-50-49-2ekey
//	a-b                 ->  a-2db
//
// The mapping is deterministic and injective (no two keys share a name,
// whatever their case), and decodable. The prefix is used verbatim and
// must itself match ^[0-9a-zA-Z-]*$. A key whose name would exceed 127
// characters is rejected with EINVALID.
//
// # Versions and stages
//
// Every Put creates a new Key Vault secret version (SetSecret); version
// ids are Key Vault's 32-hex-digit version ids. The value is stored in
// base64 with the content type [ContentType], so binary values survive.
// Warden's bookkeeping lives in each version's tags next to the caller's
// tags:
//
//	warden-stage  current, pending or previous (absent: no stage)
//	warden-seq    1, 2, 3, ... in write order (Key Vault's creation
//	              times have one-second resolution)
//
// Promote and Discard retag versions with UpdateSecretProperties; values
// are never rewritten. Because a stage change may take several tag
// updates, stages are read through rules that give the right answer after
// any prefix of those updates (so a crash midway leaves a consistent
// store): current is the newest version tagged current, or, when none is,
// the newest enabled version not written by Warden (a secret created in
// the portal or with the az CLI); pending is the newest version tagged
// pending that is newer than current; previous is the newest version
// older than current tagged previous or current. Stale tags are cleaned
// up by the next write.
//
// Key Vault has no check-and-set for secrets: writers within one Store
// are serialized per key, but two Warden processes writing the same key
// at once can interleave (the last tag update wins). Key Vault keeps every
// version; this backend does not prune them.
//
// # Deletion
//
// Delete soft-deletes the secret (all versions) and then purges it,
// waiting for Key Vault's asynchronous deletion to finish. If the vault
// has purge protection, or the caller lacks the purge permission, the
// secret stays soft-deleted until its retention period ends, and a Put to
// the same key fails with ECONFLICT until it is purged or recovered.
//
// # Authentication
//
// ClientSecretCredential authenticates a service principal with a client
// secret (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and
// optionally AZURE_AUTHORITY_HOST, read by CredentialFromEnv) through the
// OAuth 2.0 client credentials grant, without the azidentity module.
//
// # Testing
//
// The package is contract-tested against azurekv/azurekvtest, an
// in-memory Key Vault behind the SDK's own fake transport
// (azsecrets/fake), not against a live vault.
package azurekv

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/secret"
)

// ContentType marks values written by this package: the secret's value is
// the standard base64 encoding of the stored bytes.
const ContentType = "application/vnd.warden.secret+base64"

// Reserved tag names.
const (
	tagStage = "warden-stage"
	tagSeq   = "warden-seq"
)

// maxNameLength is Key Vault's limit on secret names.
const maxNameLength = 127

var validPrefix = regexp.MustCompile(`^[0-9a-zA-Z-]*$`)

// Store is an Azure Key Vault secret store. It is safe for concurrent
// use.
type Store struct {
	client *azsecrets.Client
	prefix string
	locks  secret.KeyLocks
	// deleteWait bounds how long Delete waits for Key Vault to finish a
	// deletion before purging.
	deleteWait time.Duration
	pollEvery  time.Duration
}

var _ warden.SecretStore = (*Store)(nil)

// New returns a Store that keeps its secrets in client's vault, under
// names beginning with prefix (used verbatim; it must match
// ^[0-9a-zA-Z-]*$, or every call fails with EINVALID).
func New(client *azsecrets.Client, prefix string) *Store {
	return &Store{client: client, prefix: prefix, deleteWait: 2 * time.Minute, pollEvery: 250 * time.Millisecond}
}

// NewFromURL returns a Store for the vault at vaultURL (such as
// https://myvault.vault.azure.net), authenticating with cred: a
// ClientSecretCredential (CredentialFromEnv reads one from the
// environment, as warden does), or any other azcore.TokenCredential.
// opts may be nil.
func NewFromURL(vaultURL string, cred azcore.TokenCredential, prefix string, opts *azsecrets.ClientOptions) (*Store, error) {
	const op = "azurekv.NewFromURL"
	if !validPrefix.MatchString(prefix) {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: fmt.Sprintf("prefix %q may hold only letters, digits and '-'", prefix)}
	}
	c, err := azsecrets.NewClient(vaultURL, cred, opts)
	if err != nil {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "cannot create the Key Vault client", Err: err}
	}
	return New(c, prefix), nil
}

// Name returns the Key Vault secret name that key maps to, or an EINVALID
// error.
func (s *Store) Name(key string) (string, error) {
	if err := secret.ValidateKey(key); err != nil {
		return "", err
	}
	if !validPrefix.MatchString(s.prefix) {
		return "", warden.Errorf(warden.EINVALID, "prefix %q may hold only letters, digits and '-'", s.prefix)
	}
	name := s.prefix + escape(key)
	if len(name) > maxNameLength {
		return "", warden.Errorf(warden.EINVALID, "secret key %q maps to a Key Vault name of %d characters; the limit is %d", key, len(name), maxNameLength)
	}
	return name, nil
}

// escape maps a key onto Key Vault's name alphabet, injectively and
// independently of case.
func escape(key string) string {
	const hexdigits = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('-')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	return b.String()
}

// Unescape reverses the key mapping for a name without the prefix. It
// reports false if name is not the escape of any key.
func Unescape(name string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '-' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(name) {
			return "", false
		}
		n, err := strconv.ParseUint(name[i+1:i+3], 16, 8)
		if err != nil || name[i+1:i+3] != strings.ToLower(name[i+1:i+3]) {
			return "", false
		}
		b.WriteByte(byte(n))
		i += 2
	}
	key := b.String()
	if escape(key) != name || secret.ValidateKey(key) != nil {
		return "", false
	}
	return key, true
}

// kvVersion is one Key Vault version as Warden sees it.
type kvVersion struct {
	id      string
	seq     int // 0: not written by Warden
	stage   warden.Stage
	created time.Time
	enabled bool
	tags    map[string]string // all tags, reserved ones included
}

// history is a key's versions, newest first, with resolved stages.
type history struct {
	versions []*kvVersion
	current  int // indexes into versions, -1 for none
	pending  int
	previous int
}

func (h *history) stageOf(i int) warden.Stage {
	switch i {
	case -1:
		return ""
	case h.current:
		return warden.StageCurrent
	case h.pending:
		return warden.StagePending
	case h.previous:
		return warden.StagePrevious
	}
	return ""
}

func (h *history) index(id string) int {
	for i, v := range h.versions {
		if v.id == id {
			return i
		}
	}
	return -1
}

func (h *history) maxSeq() int {
	m := 0
	for _, v := range h.versions {
		m = max(m, v.seq)
	}
	return m
}

// resolve applies the stage rules in the package documentation. latest,
// if known, is the id of the version Key Vault considers newest: it breaks
// ties between versions created in the same second.
func resolve(vs []*kvVersion, latest string) *history {
	slices.SortFunc(vs, func(a, b *kvVersion) int {
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		if (a.id == latest) != (b.id == latest) {
			if a.id == latest {
				return -1
			}
			return 1
		}
		if a.seq != b.seq {
			return b.seq - a.seq
		}
		return strings.Compare(b.id, a.id)
	})
	h := &history{versions: vs, current: -1, pending: -1, previous: -1}
	for i, v := range vs {
		if v.stage == warden.StageCurrent {
			h.current = i
			break
		}
	}
	if h.current < 0 {
		for i, v := range vs {
			if v.seq == 0 && v.enabled {
				h.current = i
				break
			}
		}
	}
	for i, v := range vs {
		if h.current >= 0 && i >= h.current {
			break
		}
		if v.stage == warden.StagePending {
			h.pending = i
			break
		}
	}
	if h.current >= 0 {
		for i := h.current + 1; i < len(vs); i++ {
			if st := vs[i].stage; st == warden.StagePrevious || st == warden.StageCurrent {
				h.previous = i
				break
			}
		}
	}
	return h
}

// load lists name's versions and resolves their stages. A key with no
// versions is ENOTFOUND.
func (s *Store) load(ctx context.Context, op, key, name string) (*history, error) {
	var vs []*kvVersion
	pager := s.client.NewListSecretPropertiesVersionsPager(name, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap(op, key, err)
		}
		for _, p := range page.Value {
			if p == nil || p.ID == nil {
				continue
			}
			v := &kvVersion{id: p.ID.Version(), tags: fromPtrMap(p.Tags), enabled: true}
			if a := p.Attributes; a != nil {
				if a.Created != nil {
					v.created = a.Created.UTC()
				}
				if a.Enabled != nil {
					v.enabled = *a.Enabled
				}
			}
			v.seq, _ = strconv.Atoi(v.tags[tagSeq])
			v.seq = max(v.seq, 0)
			switch st := warden.Stage(v.tags[tagStage]); st {
			case warden.StageCurrent, warden.StagePending, warden.StagePrevious:
				v.stage = st
			}
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return nil, secret.NotFound(op, key)
	}
	// With no version tagged current, current falls back to the newest
	// version not written by Warden. Creation times have one-second
	// resolution, so ask Key Vault which version is newest.
	latest := ""
	if !slices.ContainsFunc(vs, func(v *kvVersion) bool { return v.stage == warden.StageCurrent }) &&
		slices.ContainsFunc(vs, func(v *kvVersion) bool { return v.seq == 0 }) {
		resp, err := s.client.GetSecret(ctx, name, "", nil)
		var re *azcore.ResponseError
		switch {
		case err == nil && resp.ID != nil:
			latest = resp.ID.Version()
		case err != nil && !(errors.As(err, &re) && re.StatusCode == 403): // 403: latest is disabled
			return nil, wrap(op, key, err)
		}
	}
	return resolve(vs, latest), nil
}

// Put creates a new Key Vault version of key and retags the others.
func (s *Store) Put(ctx context.Context, key string, value []byte, stage warden.Stage, tags map[string]string) (warden.SecretVersion, error) {
	const op = "azurekv.Put"
	if err := secret.ValidatePut(key, value, stage, tags); err != nil {
		return warden.SecretVersion{}, secret.WithOp(op, err)
	}
	name, err := s.Name(key)
	if err != nil {
		return warden.SecretVersion{}, secret.WithOp(op, err)
	}
	if err := ctx.Err(); err != nil {
		return warden.SecretVersion{}, secret.ContextError(op, err)
	}
	unlock := s.locks.Lock(name)
	defer unlock()
	h, err := s.load(ctx, op, key, name)
	if err != nil && warden.ErrorKind(err) != warden.ENOTFOUND {
		return warden.SecretVersion{}, err
	}
	if h == nil {
		h = resolve(nil, "")
	}
	all := map[string]*string{}
	for k, v := range tags {
		all[k] = to.Ptr(v)
	}
	all[tagStage] = to.Ptr(string(stage))
	all[tagSeq] = to.Ptr(strconv.Itoa(h.maxSeq() + 1))
	resp, err := s.client.SetSecret(ctx, name, azsecrets.SetSecretParameters{
		Value:       to.Ptr(base64.StdEncoding.EncodeToString(value)),
		ContentType: to.Ptr(ContentType),
		Tags:        all,
	}, nil)
	if err != nil {
		var re *azcore.ResponseError
		if errors.As(err, &re) && re.StatusCode == 409 {
			return warden.SecretVersion{}, &warden.Error{Kind: warden.ECONFLICT, Op: op, Message: fmt.Sprintf(
				"Key Vault secret %s (key %q) is deleted but recoverable; purge or recover it before writing the key again", name, key), Err: err}
		}
		return warden.SecretVersion{}, wrap(op, key, err)
	}
	if resp.ID == nil {
		return warden.SecretVersion{}, &warden.Error{Kind: warden.EINTERNAL, Op: op, Message: "Key Vault returned no version id"}
	}
	id := resp.ID.Version()

	// Desired stages of the older versions.
	want := map[string]warden.Stage{}
	if stage == warden.StageCurrent {
		if h.current >= 0 {
			want[h.versions[h.current].id] = warden.StagePrevious
		}
	} else {
		if h.current >= 0 {
			want[h.versions[h.current].id] = warden.StageCurrent
		}
		if h.previous >= 0 {
			want[h.versions[h.previous].id] = warden.StagePrevious
		}
	}
	if err := s.retag(ctx, op, key, name, h, want, ""); err != nil {
		return warden.SecretVersion{}, err
	}
	created := time.Time{}
	if resp.Attributes != nil && resp.Attributes.Created != nil {
		created = resp.Attributes.Created.UTC()
	}
	return warden.SecretVersion{Key: key, Version: id, Stage: stage, CreatedAt: created, Tags: secret.CloneTags(tags)}, nil
}

// retag makes every version in h carry the stage tag want gives it (none
// when absent), updating first (if set) before the others.
func (s *Store) retag(ctx context.Context, op, key, name string, h *history, want map[string]warden.Stage, first string) error {
	order := make([]*kvVersion, 0, len(h.versions))
	if i := h.index(first); i >= 0 {
		order = append(order, h.versions[i])
	}
	for _, v := range h.versions {
		if v.id != first {
			order = append(order, v)
		}
	}
	for _, v := range order {
		st := want[v.id]
		if v.tags[tagStage] == string(st) {
			continue
		}
		tags := toPtrMap(v.tags)
		if st == "" {
			delete(tags, tagStage)
		} else {
			tags[tagStage] = to.Ptr(string(st))
		}
		if _, err := s.client.UpdateSecretProperties(ctx, name, v.id, azsecrets.UpdateSecretPropertiesParameters{Tags: tags}, nil); err != nil {
			return wrap(op, key, err)
		}
	}
	return nil
}

// Get reads the version of key in stage.
func (s *Store) Get(ctx context.Context, key string, stage warden.Stage) (*warden.Secret, error) {
	const op = "azurekv.Get"
	name, err := s.Name(key)
	if err != nil {
		return nil, secret.WithOp(op, err)
	}
	if err := secret.ValidateStage(stage); err != nil {
		return nil, secret.WithOp(op, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, secret.ContextError(op, err)
	}
	h, err := s.load(ctx, op, key, name)
	if err != nil {
		return nil, err
	}
	i := map[warden.Stage]int{warden.StageCurrent: h.current, warden.StagePending: h.pending, warden.StagePrevious: h.previous}[stage]
	if i < 0 {
		return nil, &warden.Error{Kind: warden.ENOTFOUND, Op: op, Message: fmt.Sprintf("secret %q has no %s version", key, stage)}
	}
	return s.read(ctx, op, key, name, h, i)
}

var versionID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// GetVersion reads the Key Vault version id of key.
func (s *Store) GetVersion(ctx context.Context, key, version string) (*warden.Secret, error) {
	const op = "azurekv.GetVersion"
	name, err := s.Name(key)
	if err != nil {
		return nil, secret.WithOp(op, err)
	}
	if version == "" {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "empty version"}
	}
	if err := ctx.Err(); err != nil {
		return nil, secret.ContextError(op, err)
	}
	h, err := s.load(ctx, op, key, name)
	if err != nil {
		return nil, err
	}
	i := -1
	if versionID.MatchString(version) {
		i = h.index(version)
	}
	if i < 0 {
		return nil, &warden.Error{Kind: warden.ENOTFOUND, Op: op, Message: fmt.Sprintf("secret %q has no version %q", key, version)}
	}
	return s.read(ctx, op, key, name, h, i)
}

func (s *Store) read(ctx context.Context, op, key, name string, h *history, i int) (*warden.Secret, error) {
	v := h.versions[i]
	resp, err := s.client.GetSecret(ctx, name, v.id, nil)
	if err != nil {
		return nil, wrap(op, key, err)
	}
	if resp.Value == nil {
		return nil, &warden.Error{Kind: warden.EINTERNAL, Op: op, Message: fmt.Sprintf("Key Vault returned no value for version %s of %q", v.id, key)}
	}
	value := []byte(*resp.Value)
	if resp.ContentType != nil && *resp.ContentType == ContentType {
		value, err = base64.StdEncoding.DecodeString(*resp.Value)
		if err != nil {
			return nil, &warden.Error{Kind: warden.EINTERNAL, Op: op, Message: fmt.Sprintf("version %s of %q is marked base64 but is not", v.id, key)}
		}
	}
	sv := s.describe(key, h, i)
	sv.Tags = userTags(fromPtrMap(resp.Tags))
	return &warden.Secret{SecretVersion: sv, Value: value}, nil
}

func (s *Store) describe(key string, h *history, i int) warden.SecretVersion {
	v := h.versions[i]
	return warden.SecretVersion{Key: key, Version: v.id, Stage: h.stageOf(i), CreatedAt: v.created, Tags: userTags(v.tags)}
}

// Versions lists key's versions, newest first.
func (s *Store) Versions(ctx context.Context, key string) ([]warden.SecretVersion, error) {
	const op = "azurekv.Versions"
	name, err := s.Name(key)
	if err != nil {
		return nil, secret.WithOp(op, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, secret.ContextError(op, err)
	}
	h, err := s.load(ctx, op, key, name)
	if err != nil {
		return nil, err
	}
	out := make([]warden.SecretVersion, len(h.versions))
	for i := range h.versions {
		out[i] = s.describe(key, h, i)
	}
	return out, nil
}

// Promote tags the pending version current, the current one previous,
// and clears the old previous, in an order that is safe to interrupt.
func (s *Store) Promote(ctx context.Context, key string) error {
	return s.restage(ctx, "azurekv.Promote", key, func(h *history) (map[string]warden.Stage, string, error) {
		if h.pending < 0 {
			return nil, "", fmt.Errorf("secret %q has no pending version to promote", key)
		}
		want := map[string]warden.Stage{h.versions[h.pending].id: warden.StageCurrent}
		if h.current >= 0 {
			want[h.versions[h.current].id] = warden.StagePrevious
		} else if h.previous >= 0 {
			want[h.versions[h.previous].id] = warden.StagePrevious
		}
		return want, h.versions[h.pending].id, nil
	})
}

// Discard removes the pending tag; the version stays in Key Vault with no
// stage.
func (s *Store) Discard(ctx context.Context, key string) error {
	return s.restage(ctx, "azurekv.Discard", key, func(h *history) (map[string]warden.Stage, string, error) {
		if h.pending < 0 {
			return nil, "", fmt.Errorf("secret %q has no pending version to discard", key)
		}
		want := map[string]warden.Stage{}
		if h.current >= 0 && h.versions[h.current].stage == warden.StageCurrent {
			want[h.versions[h.current].id] = warden.StageCurrent
		}
		if h.previous >= 0 {
			want[h.versions[h.previous].id] = warden.StagePrevious
		}
		return want, h.versions[h.pending].id, nil
	})
}

func (s *Store) restage(ctx context.Context, op, key string, plan func(*history) (map[string]warden.Stage, string, error)) error {
	name, err := s.Name(key)
	if err != nil {
		return secret.WithOp(op, err)
	}
	if err := ctx.Err(); err != nil {
		return secret.ContextError(op, err)
	}
	unlock := s.locks.Lock(name)
	defer unlock()
	h, err := s.load(ctx, op, key, name)
	if err != nil {
		return err
	}
	want, first, err := plan(h)
	if err != nil {
		return &warden.Error{Kind: warden.ENOTFOUND, Op: op, Message: err.Error()}
	}
	return s.retag(ctx, op, key, name, h, want, first)
}

// Delete deletes and then purges the secret; see the package
// documentation for vaults with purge protection.
func (s *Store) Delete(ctx context.Context, key string) error {
	const op = "azurekv.Delete"
	name, err := s.Name(key)
	if err != nil {
		return secret.WithOp(op, err)
	}
	if err := ctx.Err(); err != nil {
		return secret.ContextError(op, err)
	}
	unlock := s.locks.Lock(name)
	defer unlock()
	if _, err := s.client.DeleteSecret(ctx, name, nil); err != nil {
		return wrap(op, key, err)
	}
	// Deletion completes asynchronously; purging fails with 404 or 409
	// until it has.
	deadline := time.Now().Add(s.deleteWait)
	wait := s.pollEvery / 4
	for {
		_, err := s.client.PurgeDeletedSecret(ctx, name, nil)
		if err == nil {
			return nil
		}
		var re *azcore.ResponseError
		if !errors.As(err, &re) {
			return wrap(op, key, err)
		}
		switch {
		case re.StatusCode == 403:
			return nil // purge protection or no purge permission: stays soft-deleted
		case re.StatusCode != 404 && re.StatusCode != 409:
			return wrap(op, key, err)
		case time.Now().After(deadline):
			return &warden.Error{Kind: warden.EUNAVAILABLE, Op: op, Message: fmt.Sprintf("Key Vault is still deleting %s; it will be purged later or can be purged by hand", name), Err: err}
		}
		select {
		case <-ctx.Done():
			return secret.ContextError(op, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(wait*2, s.pollEvery)
	}
}

// userTags returns the caller's tags: tags without the reserved prefix.
func userTags(all map[string]string) map[string]string {
	var out map[string]string
	for k, v := range all {
		if len(k) >= len(secret.ReservedTagPrefix) && strings.EqualFold(k[:len(secret.ReservedTagPrefix)], secret.ReservedTagPrefix) {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}

func fromPtrMap(m map[string]*string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = *v
		} else {
			out[k] = ""
		}
	}
	return out
}

func toPtrMap(m map[string]string) map[string]*string {
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = to.Ptr(v)
	}
	return out
}

// wrap turns an Azure SDK error into a *warden.Error of the right kind.
// Key Vault error bodies never contain secret values.
func wrap(op, key string, err error) error {
	if cerr := secret.ContextError(op, err); cerr != nil {
		return cerr
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return &warden.Error{Kind: warden.EUNAVAILABLE, Op: op, Message: "cannot reach Azure Key Vault", Err: err}
	}
	code := re.ErrorCode
	switch {
	case re.StatusCode == 404:
		return secret.NotFound(op, key)
	case re.StatusCode == 400:
		return &warden.Error{Kind: warden.EINVALID, Op: op, Message: fmt.Sprintf("Key Vault rejected the request for %q (%s)", key, code), Err: err}
	case re.StatusCode == 401:
		return &warden.Error{Kind: warden.EUNAUTHORIZED, Op: op, Message: "Key Vault rejected the credential", Err: err}
	case re.StatusCode == 403:
		return &warden.Error{Kind: warden.EFORBIDDEN, Op: op, Message: fmt.Sprintf("Key Vault denied access to %q (%s): check the access policy or role, and whether the version is disabled", key, code), Err: err}
	case re.StatusCode == 409:
		return &warden.Error{Kind: warden.ECONFLICT, Op: op, Message: fmt.Sprintf("Key Vault reports a conflict for %q (%s)", key, code), Err: err}
	case re.StatusCode == 429 || re.StatusCode >= 500:
		return &warden.Error{Kind: warden.EUNAVAILABLE, Op: op, Message: fmt.Sprintf("Key Vault is unavailable (HTTP %d %s)", re.StatusCode, code), Err: err}
	}
	return &warden.Error{Kind: warden.EINTERNAL, Op: op, Message: fmt.Sprintf("unexpected Key Vault response (HTTP %d %s)", re.StatusCode, code), Err: err}
}
