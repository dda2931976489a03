package auth

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/wardenhq/warden"
)

// OIDCConfig configures single sign-on with an OpenID Connect provider.
type OIDCConfig struct {
	// Name is what the login button says ("Log in with NAME"; default
	// "single sign-on").
	Name string
	// Issuer is the provider's issuer URL; its discovery document is
	// read from Issuer + "/.well-known/openid-configuration".
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is Warden's callback, https://HOST/auth/oidc/callback,
	// as registered with the provider.
	RedirectURL string
	// Scopes are asked for besides openid (default: email, profile).
	Scopes []string
	// RoleClaim names the ID token claim (a string or a list of strings,
	// such as "groups") whose values RoleMapping maps to roles; the
	// highest role any value maps to wins. DefaultRole applies when no
	// value maps; without it such a person may not log in.
	RoleClaim   string
	RoleMapping map[string]warden.Role
	DefaultRole warden.Role
	// AllowedDomains, when set, admits only verified e-mail addresses in
	// these domains.
	AllowedDomains []string
	// HTTPClient talks to the provider (default http.DefaultClient).
	HTTPClient *http.Client
}

// OIDC is a configured single sign-on provider.
type OIDC struct {
	name     string
	c        OIDCConfig
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// NewOIDC reads the provider's discovery document and returns the single
// sign-on it offers.
func NewOIDC(ctx context.Context, c OIDCConfig) (*OIDC, error) {
	switch {
	case c.Issuer == "" || c.ClientID == "" || c.RedirectURL == "":
		return nil, warden.Errorf(warden.EINVALID, "OIDC needs an issuer, a client id and a redirect URL")
	case c.DefaultRole != "" && !c.DefaultRole.Valid():
		return nil, warden.Errorf(warden.EINVALID, "OIDC default role %q is not admin, operator or viewer", c.DefaultRole)
	}
	for v, r := range c.RoleMapping {
		if !r.Valid() {
			return nil, warden.Errorf(warden.EINVALID, "OIDC role mapping %q: role %q is not admin, operator or viewer", v, r)
		}
	}
	if c.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, c.HTTPClient)
	}
	p, err := oidc.NewProvider(ctx, c.Issuer)
	if err != nil {
		return nil, &warden.Error{Kind: warden.EUNAVAILABLE, Op: "auth.NewOIDC",
			Message: "cannot read the OIDC provider's discovery document from " + c.Issuer, Err: err}
	}
	scopes := c.Scopes
	if len(scopes) == 0 {
		scopes = []string{"email", "profile"}
	}
	o := &OIDC{name: c.Name, c: c, verifier: p.Verifier(&oidc.Config{ClientID: c.ClientID}),
		oauth: oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID}, scopes...)}}
	if o.name == "" {
		o.name = "single sign-on"
	}
	return o, nil
}

// oidcCookie holds one sign-on's state, nonce and PKCE verifier between
// the redirect to the provider and its callback. It is HttpOnly, scoped
// to /auth/oidc/ and lives ten minutes.
const (
	oidcCookie    = "warden_oidc"
	oidcCookieTTL = 10 * time.Minute
)

// oidcFlow is the content of the oidcCookie.
type oidcFlow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
}

func (s *Service) oidcLogin(w http.ResponseWriter, r *http.Request) {
	o := s.o.OIDC
	if o == nil {
		writeHTMLError(w, warden.Errorf(warden.ENOTFOUND, "single sign-on is not configured"))
		return
	}
	f := oidcFlow{State: randomID(24), Nonce: randomID(24), Verifier: oauth2.GenerateVerifier(), Next: nextPage(r.URL.Query().Get("next"))}
	b, _ := json.Marshal(f)
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/auth/oidc/",
		HttpOnly: true, Secure: s.o.Secure, SameSite: http.SameSiteLaxMode, MaxAge: int(oidcCookieTTL / time.Second)})
	http.Redirect(w, r, o.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusFound)
}

// errSSO is the page's answer to a sign-on that failed; the details go to
// the log and the audit log.
func (s *Service) ssoFailed(w http.ResponseWriter, r *http.Request, err error, detail string) {
	s.o.Logger.Warn("auth: single sign-on failed", "reason", detail, "err", err)
	s.audit(r.Context(), "login", "oidc", err)
	s.renderLogin(w, warden.HTTPStatus(err), loginData{Error: warden.ErrorMessage(err), Next: "/"})
}

func (s *Service) oidcCallback(w http.ResponseWriter, r *http.Request) {
	o := s.o.OIDC
	if o == nil {
		writeHTMLError(w, warden.Errorf(warden.ENOTFOUND, "single sign-on is not configured"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/auth/oidc/", HttpOnly: true, Secure: s.o.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	var f oidcFlow
	c, err := r.Cookie(oidcCookie)
	if err == nil {
		var b []byte
		if b, err = base64.RawURLEncoding.DecodeString(c.Value); err == nil {
			err = json.Unmarshal(b, &f)
		}
	}
	q := r.URL.Query()
	if err != nil || f.State == "" || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		s.ssoFailed(w, r, warden.Errorf(warden.EUNAUTHORIZED, "Single sign-on did not complete (it expired or was started elsewhere); try again."), "state mismatch")
		return
	}
	if e := q.Get("error"); e != "" {
		s.ssoFailed(w, r, warden.Errorf(warden.EUNAUTHORIZED, "The sign-on provider refused the login."), "provider error "+e)
		return
	}
	ctx := r.Context()
	if o.c.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, o.c.HTTPClient)
	}
	tok, err := o.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		s.ssoFailed(w, r, warden.Errorf(warden.EUNAUTHORIZED, "The sign-on provider did not accept the login; try again."), "code exchange: "+err.Error())
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		s.ssoFailed(w, r, warden.Errorf(warden.EUNAUTHORIZED, "The sign-on provider sent no ID token."), "no id_token")
		return
	}
	idt, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		s.ssoFailed(w, r, warden.Errorf(warden.EUNAUTHORIZED, "The sign-on provider's ID token is not valid."), "verify: "+err.Error())
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		s.ssoFailed(w, r, warden.Errorf(warden.EUNAUTHORIZED, "The sign-on provider's ID token is not for this login."), "nonce mismatch")
		return
	}
	p, err := o.principal(idt)
	if err != nil {
		s.ssoFailed(w, r, err, "identity refused")
		return
	}
	if _, err := s.startSession(r.Context(), w, p); err != nil {
		s.ssoFailed(w, r, err, "session")
		return
	}
	s.audit(warden.WithPrincipal(r.Context(), p), "login", "oidc", nil)
	http.Redirect(w, r, nextPage(f.Next), http.StatusSeeOther)
}

// principal maps a verified ID token to the person's principal: named by
// e-mail (else preferred username, else subject), with the role its
// claims map to.
func (o *OIDC) principal(idt *oidc.IDToken) (warden.Principal, error) {
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return warden.Principal{}, warden.Errorf(warden.EUNAUTHORIZED, "The sign-on provider's ID token could not be read.")
	}
	email, _ := claims["email"].(string)
	verified, _ := claims["email_verified"].(bool)
	if len(o.c.AllowedDomains) > 0 {
		_, domain, _ := strings.Cut(strings.ToLower(email), "@")
		if !verified || !slices.ContainsFunc(o.c.AllowedDomains, func(d string) bool { return strings.EqualFold(d, domain) }) {
			return warden.Principal{}, warden.Errorf(warden.EFORBIDDEN, "Your sign-on account is not in a domain that may use this Warden.")
		}
	}
	name := email
	if name == "" {
		name, _ = claims["preferred_username"].(string)
	}
	if name == "" {
		name = idt.Subject
	}
	role := o.role(claims[o.c.RoleClaim])
	if o.c.RoleClaim == "" {
		role = o.c.DefaultRole
	}
	if !role.Valid() {
		return warden.Principal{}, warden.Errorf(warden.EFORBIDDEN, "Your sign-on account has no Warden role; ask an administrator for one.")
	}
	return warden.Principal{Kind: "oidc", Name: name, Role: role}, nil
}

// role returns the highest role that a claim's values map to, or the
// default role.
func (o *OIDC) role(claim any) warden.Role {
	var values []string
	switch v := claim.(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				values = append(values, s)
			}
		}
	}
	best := warden.Role("")
	for _, v := range values {
		if r, ok := o.c.RoleMapping[v]; ok && (best == "" || r.Allows(best)) {
			best = r
		}
	}
	if best == "" {
		return o.c.DefaultRole
	}
	return best
}
