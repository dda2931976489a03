package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// TokenPrefix begins every API token, so that secret scanners can find
// one that leaked.
const TokenPrefix = "wat_"

// CreateToken creates an API token with a name and a role, valid for ttl
// (0: until revoked), and returns the token, which is shown once and
// never stored, with its record. The action is audited.
func (s *Service) CreateToken(ctx context.Context, name string, role warden.Role, ttl time.Duration) (string, *warden.APIToken, error) {
	token, t, err := s.createToken(ctx, name, role, ttl)
	s.audit(ctx, "token.create", "token:"+name, err)
	return token, t, err
}

func (s *Service) createToken(ctx context.Context, name string, role warden.Role, ttl time.Duration) (string, *warden.APIToken, error) {
	switch {
	case strings.TrimSpace(name) == "" || len(name) > 128:
		return "", nil, warden.Errorf(warden.EINVALID, "the token needs a name of 1 to 128 characters")
	case !role.Valid():
		return "", nil, warden.Errorf(warden.EINVALID, "role %q is not admin, operator or viewer", role)
	case ttl < 0:
		return "", nil, warden.Errorf(warden.EINVALID, "the token's lifetime must not be negative")
	}
	id := make([]byte, 8)
	rand.Read(id)
	token := TokenPrefix + randomID(32)
	t := &warden.APIToken{ID: hex.EncodeToString(id), Name: name, Role: role, Hash: hashSecret(token)}
	if ttl > 0 {
		t.ExpiresAt = s.now().Add(ttl)
	}
	if err := s.store.CreateAPIToken(ctx, t); err != nil {
		return "", nil, err
	}
	return token, t, nil
}

// Tokens returns every API token, revoked ones included.
func (s *Service) Tokens(ctx context.Context) ([]*warden.APIToken, error) {
	return s.store.APITokens(ctx)
}

// RevokeToken revokes the API token id at once. The action is audited.
func (s *Service) RevokeToken(ctx context.Context, id string) error {
	err := s.store.RevokeAPIToken(ctx, id, s.now())
	s.audit(ctx, "token.revoke", "token:"+id, err)
	return err
}

// errBadToken is the one answer to a bearer token that does not work,
// whatever the reason.
var errBadToken = warden.Errorf(warden.EUNAUTHORIZED, "the API token is invalid, expired or revoked")

// tokenPrincipal returns the principal of an active API token.
func (s *Service) tokenPrincipal(ctx context.Context, token string) (warden.Principal, error) {
	if len(token) > 128 {
		return warden.Principal{}, errBadToken
	}
	t, err := s.store.APITokenByHash(ctx, hashSecret(token))
	if warden.ErrorKind(err) == warden.ENOTFOUND {
		return warden.Principal{}, errBadToken
	}
	if err != nil {
		return warden.Principal{}, err
	}
	now := s.now()
	if !t.Active(now) {
		return warden.Principal{}, errBadToken
	}
	if now.Sub(t.LastUsedAt) >= touchEvery {
		if err := s.store.TouchAPIToken(ctx, t.ID, now); err != nil {
			s.o.Logger.Warn("auth: recording a token's use failed", "token", t.ID, "err", err)
		}
	}
	return warden.Principal{Kind: "token", Name: t.Name, Role: t.Role}, nil
}

// bearer returns the token of an "Authorization: Bearer TOKEN" header.
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
