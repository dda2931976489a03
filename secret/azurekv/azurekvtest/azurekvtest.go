// Package azurekvtest is an in-memory Azure Key Vault (secrets) for tests.
// It implements the handler functions of the Azure SDK's own fake server
// (github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets/fake),
// so a real *azsecrets.Client talks to it through fake.NewServerTransport
// with the SDK's real request building, serialization and error handling.
//
// It behaves like Key Vault where Warden depends on it:
//
//   - Secret names must match ^[0-9a-zA-Z-]{1,127}$ (else 400
//     BadParameter) and are case-insensitive.
//   - Every SetSecret creates a version with a random 32-hex-digit id;
//     versions carry tags (at most 15; names up to 512 characters, values
//     up to 256), a content type and attributes (enabled, created,
//     updated; times travel as Unix seconds, as on the wire).
//   - GetSecret with no version returns the newest; an unknown secret or
//     version is 404 SecretNotFound (an *azcore.ResponseError); a disabled
//     version is 403 Forbidden.
//   - UpdateSecretProperties replaces tags and content type and sets
//     attributes; it never changes the value.
//   - Listing versions returns properties without values, in no
//     particular order (here: by version id), 25 to a page; listing an
//     unknown secret returns an empty list.
//   - DeleteSecret soft-deletes: the name stays reserved (SetSecret is 409
//     Conflict) until PurgeDeletedSecret or RecoverDeletedSecret. With
//     Options.DeleteLatency, deletion completes only after that many
//     GetDeletedSecret/PurgeDeletedSecret calls (404 and 409 until then),
//     as Key Vault completes deletions asynchronously.
//
// It is a contract test double, not Key Vault: no access policies, RBAC,
// backups, certificates or real authentication.
package azurekvtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"iter"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets/fake"
)

// VaultURL is the vault address the fake serves.
const VaultURL = "https://warden-test.vault.azure.net"

// Key Vault limits.
const (
	maxNameLength    = 127
	maxValueLength   = 25 * 1024
	maxTags          = 15
	maxTagNameLength = 512
	maxTagValLength  = 256
	pageSize         = 25
)

var validName = regexp.MustCompile(`^[0-9a-zA-Z-]+$`)

// Options configure a Server.
type Options struct {
	// DeleteLatency is how many GetDeletedSecret or PurgeDeletedSecret
	// calls for a deleted secret answer as if its deletion were still in
	// progress.
	DeleteLatency int
	// PurgeProtection makes PurgeDeletedSecret fail with 403, as on a
	// vault with purge protection enabled.
	PurgeProtection bool
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Server is the in-memory vault. It is safe for concurrent use.
type Server struct {
	opts Options

	mu      sync.Mutex
	secrets map[string]*secret // by lower-case name
	deleted map[string]*deletedSecret
	fault   func(op, name string) (status int, code string)
	calls   map[string]int
}

type secret struct {
	name     string
	versions []*version // in creation order
}

type version struct {
	id          string
	value       string
	contentType *string
	tags        map[string]string
	enabled     bool
	created     time.Time
	updated     time.Time
	expires     *time.Time
	notBefore   *time.Time
}

type deletedSecret struct {
	secret      *secret
	deletedAt   time.Time
	pendingPoll int // calls left before the deletion completes
}

// New returns an empty vault.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Server{opts: opts, secrets: map[string]*secret{}, deleted: map[string]*deletedSecret{}, calls: map[string]int{}}
}

// NewClient returns an azsecrets client wired to s through the SDK's fake
// transport.
func (s *Server) NewClient() (*azsecrets.Client, error) {
	return azsecrets.NewClient(VaultURL, &azfake.TokenCredential{}, &azsecrets.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: fake.NewServerTransport(s.Fake())},
	})
}

// SetFault makes every call for which f returns a non-zero status fail
// with that status and error code (e.g. 503 "ServiceUnavailable"). op is
// the fake.Server field name, such as "GetSecret". Nil clears it.
func (s *Server) SetFault(f func(op, name string) (status int, code string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// Calls returns how many times op was called.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// Tags returns a copy of the tags of a version (the newest if version is
// empty), or nil.
func (s *Server) Tags(name, version string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, _ := s.find(name, version)
	if v == nil {
		return nil
	}
	return clone(v.tags)
}

// RawValue returns the stored string value of a version (the newest if
// version is empty).
func (s *Server) RawValue(name, version string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, _ := s.find(name, version)
	if v == nil {
		return "", false
	}
	return v.value, true
}

// Names returns the names of the live (not deleted) secrets, sorted.
func (s *Server) Names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for _, sec := range s.secrets {
		names = append(names, sec.name)
	}
	slices.Sort(names)
	return names
}

// IsDeleted reports whether name is soft-deleted (deleted, not purged).
func (s *Server) IsDeleted(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleted[strings.ToLower(name)] != nil
}

func (s *Server) find(name, ver string) (*version, *secret) {
	sec := s.secrets[strings.ToLower(name)]
	if sec == nil || len(sec.versions) == 0 {
		return nil, nil
	}
	if ver == "" {
		return sec.versions[len(sec.versions)-1], sec
	}
	for _, v := range sec.versions {
		if strings.EqualFold(v.id, ver) {
			return v, sec
		}
	}
	return nil, sec
}

// begin records a call and applies any fault.
func (s *Server) begin(op, name string, errResp *azfake.ErrorResponder) bool {
	s.calls[op]++
	if s.fault != nil {
		if status, code := s.fault(op, name); status != 0 {
			errResp.SetResponseError(status, code)
			return false
		}
	}
	return true
}

// Fake returns the SDK fake-server handlers backed by s.
func (s *Server) Fake() *fake.Server {
	return &fake.Server{
		SetSecret:                            s.setSecret,
		GetSecret:                            s.getSecret,
		UpdateSecretProperties:               s.updateSecretProperties,
		DeleteSecret:                         s.deleteSecret,
		GetDeletedSecret:                     s.getDeletedSecret,
		PurgeDeletedSecret:                   s.purgeDeletedSecret,
		RecoverDeletedSecret:                 s.recoverDeletedSecret,
		NewListSecretPropertiesVersionsPager: s.listVersions,
		NewListSecretPropertiesPager:         s.listSecrets,
	}
}

func (s *Server) setSecret(_ context.Context, name string, p azsecrets.SetSecretParameters, _ *azsecrets.SetSecretOptions) (resp azfake.Responder[azsecrets.SetSecretResponse], errResp azfake.ErrorResponder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.begin("SetSecret", name, &errResp) {
		return
	}
	if !validName.MatchString(name) || len(name) > maxNameLength {
		errResp.SetResponseError(http.StatusBadRequest, "BadParameter")
		return
	}
	if p.Value == nil || len(*p.Value) > maxValueLength || !validTags(p.Tags) {
		errResp.SetResponseError(http.StatusBadRequest, "BadParameter")
		return
	}
	lower := strings.ToLower(name)
	if s.deleted[lower] != nil {
		// "Secret x is currently in a deleted but recoverable state, and
		// its name cannot be reused; in this state, the secret can only be
		// recovered or purged."
		errResp.SetResponseError(http.StatusConflict, "Conflict")
		return
	}
	now := s.opts.Now().UTC()
	v := &version{id: newVersionID(), value: *p.Value, contentType: clonePtr(p.ContentType), tags: fromPtrMap(p.Tags), enabled: true, created: now, updated: now}
	if a := p.SecretAttributes; a != nil {
		if a.Enabled != nil {
			v.enabled = *a.Enabled
		}
		v.expires, v.notBefore = clonePtr(a.Expires), clonePtr(a.NotBefore)
	}
	sec := s.secrets[lower]
	if sec == nil {
		sec = &secret{name: name}
		s.secrets[lower] = sec
	}
	sec.versions = append(sec.versions, v)
	resp.SetResponse(http.StatusOK, azsecrets.SetSecretResponse{Secret: s.secretOf(sec, v, true)}, nil)
	return
}

func (s *Server) getSecret(_ context.Context, name, ver string, _ *azsecrets.GetSecretOptions) (resp azfake.Responder[azsecrets.GetSecretResponse], errResp azfake.ErrorResponder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.begin("GetSecret", name, &errResp) {
		return
	}
	v, sec := s.find(name, ver)
	if v == nil {
		errResp.SetResponseError(http.StatusNotFound, "SecretNotFound")
		return
	}
	if !v.enabled {
		// "Operation get is not allowed on a disabled secret."
		errResp.SetResponseError(http.StatusForbidden, "Forbidden")
		return
	}
	resp.SetResponse(http.StatusOK, azsecrets.GetSecretResponse{Secret: s.secretOf(sec, v, true)}, nil)
	return
}

func (s *Server) updateSecretProperties(_ context.Context, name, ver string, p azsecrets.UpdateSecretPropertiesParameters, _ *azsecrets.UpdateSecretPropertiesOptions) (resp azfake.Responder[azsecrets.UpdateSecretPropertiesResponse], errResp azfake.ErrorResponder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.begin("UpdateSecretProperties", name, &errResp) {
		return
	}
	v, sec := s.find(name, ver)
	if v == nil {
		errResp.SetResponseError(http.StatusNotFound, "SecretNotFound")
		return
	}
	if p.Tags != nil && !validTags(p.Tags) {
		errResp.SetResponseError(http.StatusBadRequest, "BadParameter")
		return
	}
	if p.Tags != nil {
		v.tags = fromPtrMap(p.Tags)
	}
	if p.ContentType != nil {
		v.contentType = clonePtr(p.ContentType)
	}
	if a := p.SecretAttributes; a != nil {
		if a.Enabled != nil {
			v.enabled = *a.Enabled
		}
		if a.Expires != nil {
			v.expires = clonePtr(a.Expires)
		}
		if a.NotBefore != nil {
			v.notBefore = clonePtr(a.NotBefore)
		}
	}
	v.updated = s.opts.Now().UTC()
	resp.SetResponse(http.StatusOK, azsecrets.UpdateSecretPropertiesResponse{Secret: s.secretOf(sec, v, false)}, nil)
	return
}

func (s *Server) deleteSecret(_ context.Context, name string, _ *azsecrets.DeleteSecretOptions) (resp azfake.Responder[azsecrets.DeleteSecretResponse], errResp azfake.ErrorResponder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.begin("DeleteSecret", name, &errResp) {
		return
	}
	lower := strings.ToLower(name)
	sec := s.secrets[lower]
	if sec == nil {
		errResp.SetResponseError(http.StatusNotFound, "SecretNotFound")
		return
	}
	delete(s.secrets, lower)
	d := &deletedSecret{secret: sec, deletedAt: s.opts.Now().UTC(), pendingPoll: s.opts.DeleteLatency}
	s.deleted[lower] = d
	resp.SetResponse(http.StatusOK, azsecrets.DeleteSecretResponse{DeletedSecret: s.deletedOf(d)}, nil)
	return
}

func (s *Server) getDeletedSecret(_ context.Context, name string, _ *azsecrets.GetDeletedSecretOptions) (resp azfake.Responder[azsecrets.GetDeletedSecretResponse], errResp azfake.ErrorResponder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.begin("GetDeletedSecret", name, &errResp) {
		return
	}
	d := s.deleted[strings.ToLower(name)]
	if d == nil {
		errResp.SetResponseError(http.StatusNotFound, "SecretNotFound")
		return
	}
	if d.pendingPoll > 0 {
		d.pendingPoll--
		errResp.SetResponseError(http.StatusNotFound, "SecretNotFound")
		return
	}
	resp.SetResponse(http.StatusOK, azsecrets.GetDeletedSecretResponse{DeletedSecret: s.deletedOf(d)}, nil)
	return
}

func (s *Server) purgeDeletedSecret(_ context.Context, name string, _ *azsecrets.PurgeDeletedSecretOptions) (resp azfake.Responder[azsecrets.PurgeDeletedSecretResponse], errResp azfake.ErrorResponder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.begin("PurgeDeletedSecret", name, &errResp) {
		return
	}
	lower := strings.ToLower(name)
	d := s.deleted[lower]
	switch {
	case d == nil:
		errResp.SetResponseError(http.StatusNotFound, "SecretNotFound")
	case d.pendingPoll > 0:
		d.pendingPoll--
		// "Secret is currently being deleted."
		errResp.SetResponseError(http.StatusConflict, "Conflict")
	case s.opts.PurgeProtection:
		errResp.SetResponseError(http.StatusForbidden, "Forbidden")
	default:
		delete(s.deleted, lower)
		resp.SetResponse(http.StatusNoContent, azsecrets.PurgeDeletedSecretResponse{}, nil)
	}
	return
}

func (s *Server) recoverDeletedSecret(_ context.Context, name string, _ *azsecrets.RecoverDeletedSecretOptions) (resp azfake.Responder[azsecrets.RecoverDeletedSecretResponse], errResp azfake.ErrorResponder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.begin("RecoverDeletedSecret", name, &errResp) {
		return
	}
	lower := strings.ToLower(name)
	d := s.deleted[lower]
	if d == nil || d.pendingPoll > 0 {
		errResp.SetResponseError(http.StatusNotFound, "SecretNotFound")
		return
	}
	delete(s.deleted, lower)
	s.secrets[lower] = d.secret
	latest := d.secret.versions[len(d.secret.versions)-1]
	resp.SetResponse(http.StatusOK, azsecrets.RecoverDeletedSecretResponse{Secret: s.secretOf(d.secret, latest, false)}, nil)
	return
}

func (s *Server) listVersions(name string, _ *azsecrets.ListSecretPropertiesVersionsOptions) (resp azfake.PagerResponder[azsecrets.ListSecretPropertiesVersionsResponse]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["NewListSecretPropertiesVersionsPager"]++
	if s.fault != nil {
		if status, code := s.fault("NewListSecretPropertiesVersionsPager", name); status != 0 {
			resp.AddResponseError(status, code)
			return
		}
	}
	var props []*azsecrets.SecretProperties
	if sec := s.secrets[strings.ToLower(name)]; sec != nil {
		vs := slices.Clone(sec.versions)
		slices.SortFunc(vs, func(a, b *version) int { return strings.Compare(a.id, b.id) })
		for _, v := range vs {
			props = append(props, s.propertiesOf(sec, v, true))
		}
	}
	for page := range pages(props) {
		resp.AddPage(http.StatusOK, azsecrets.ListSecretPropertiesVersionsResponse{SecretPropertiesListResult: azsecrets.SecretPropertiesListResult{Value: page}}, nil)
	}
	return
}

func (s *Server) listSecrets(_ *azsecrets.ListSecretPropertiesOptions) (resp azfake.PagerResponder[azsecrets.ListSecretPropertiesResponse]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["NewListSecretPropertiesPager"]++
	var props []*azsecrets.SecretProperties
	for _, sec := range s.secrets {
		props = append(props, s.propertiesOf(sec, sec.versions[len(sec.versions)-1], false))
	}
	slices.SortFunc(props, func(a, b *azsecrets.SecretProperties) int { return strings.Compare(string(*a.ID), string(*b.ID)) })
	for page := range pages(props) {
		resp.AddPage(http.StatusOK, azsecrets.ListSecretPropertiesResponse{SecretPropertiesListResult: azsecrets.SecretPropertiesListResult{Value: page}}, nil)
	}
	return
}

// pages splits props into pages of pageSize; there is always at least one
// (possibly empty) page.
func pages(props []*azsecrets.SecretProperties) iter.Seq[[]*azsecrets.SecretProperties] {
	return func(yield func([]*azsecrets.SecretProperties) bool) {
		if len(props) == 0 {
			yield([]*azsecrets.SecretProperties{})
			return
		}
		for chunk := range slices.Chunk(props, pageSize) {
			if !yield(chunk) {
				return
			}
		}
	}
}

func (s *Server) id(sec *secret, v *version) *azsecrets.ID {
	if v == nil {
		return to.Ptr(azsecrets.ID(fmt.Sprintf("%s/secrets/%s", VaultURL, sec.name)))
	}
	return to.Ptr(azsecrets.ID(fmt.Sprintf("%s/secrets/%s/%s", VaultURL, sec.name, v.id)))
}

func (s *Server) attributes(v *version) *azsecrets.SecretAttributes {
	return &azsecrets.SecretAttributes{
		Enabled:         to.Ptr(v.enabled),
		Created:         to.Ptr(v.created),
		Updated:         to.Ptr(v.updated),
		Expires:         clonePtr(v.expires),
		NotBefore:       clonePtr(v.notBefore),
		RecoverableDays: to.Ptr[int32](90),
		RecoveryLevel:   to.Ptr("Recoverable+Purgeable"),
	}
}

func (s *Server) secretOf(sec *secret, v *version, withValue bool) azsecrets.Secret {
	out := azsecrets.Secret{ID: s.id(sec, v), Attributes: s.attributes(v), ContentType: clonePtr(v.contentType), Tags: toPtrMap(v.tags)}
	if withValue {
		out.Value = to.Ptr(v.value)
	}
	return out
}

func (s *Server) propertiesOf(sec *secret, v *version, versioned bool) *azsecrets.SecretProperties {
	id := s.id(sec, nil)
	if versioned {
		id = s.id(sec, v)
	}
	return &azsecrets.SecretProperties{ID: id, Attributes: s.attributes(v), ContentType: clonePtr(v.contentType), Tags: toPtrMap(v.tags)}
}

func (s *Server) deletedOf(d *deletedSecret) azsecrets.DeletedSecret {
	latest := d.secret.versions[len(d.secret.versions)-1]
	return azsecrets.DeletedSecret{
		ID:                 s.id(d.secret, latest),
		Attributes:         s.attributes(latest),
		ContentType:        clonePtr(latest.contentType),
		Tags:               toPtrMap(latest.tags),
		RecoveryID:         to.Ptr(fmt.Sprintf("%s/deletedsecrets/%s", VaultURL, d.secret.name)),
		DeletedDate:        to.Ptr(d.deletedAt),
		ScheduledPurgeDate: to.Ptr(d.deletedAt.Add(90 * 24 * time.Hour)),
	}
}

func validTags(tags map[string]*string) bool {
	if len(tags) > maxTags {
		return false
	}
	for k, v := range tags {
		if k == "" || len(k) > maxTagNameLength || v != nil && len(*v) > maxTagValLength {
			return false
		}
	}
	return true
}

func newVersionID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func fromPtrMap(m map[string]*string) map[string]string {
	if m == nil {
		return nil
	}
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
	if m == nil {
		return nil
	}
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = to.Ptr(v)
	}
	return out
}

func clone(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
