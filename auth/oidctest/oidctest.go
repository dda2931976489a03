// Package oidctest is an in-process OpenID Connect provider for tests:
// discovery document, JWKS, an authorization endpoint that approves at
// once as the provider's current user, and a token endpoint that checks
// the client, the redirect URI and the PKCE verifier and signs ID tokens
// with a generated RSA key.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Provider is an OIDC provider on a loopback test server.
type Provider struct {
	// Issuer is the provider's URL, its issuer identifier.
	Issuer string
	// ClientID and ClientSecret are the one client it knows.
	ClientID, ClientSecret string
	// Client is an HTTP client that trusts the provider's server.
	Client *http.Client

	key *rsa.PrivateKey
	kid string

	mu     sync.Mutex
	claims map[string]any
	mutate func(map[string]any)
	codes  map[string]grant
}

// grant is an issued authorization code's context.
type grant struct {
	clientID, redirectURI, challenge, nonce string
	claims                                  map[string]any
	expires                                 time.Time
}

// New starts a provider for client id "warden-test" with a random secret,
// closed when t ends. Its user is subject "u-1", alice@example.com,
// verified.
func New(t testing.TB) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{ClientID: "warden-test", ClientSecret: rand.Text(), key: key, kid: "k1", codes: map[string]grant{},
		claims: map[string]any{"sub": "u-1", "email": "alice@example.com", "email_verified": true, "name": "Alice"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p.Issuer, p.Client = srv.URL, srv.Client()
	return p
}

// SetUser replaces the claims of the user the next logins are for (sub,
// email, email_verified, groups, ...).
func (p *Provider) SetUser(claims map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.claims = claims
}

// Mutate sets a function that changes every ID token's claims just before
// it is signed (to test a wrong nonce, audience or expiry); nil stops it.
func (p *Provider) Mutate(f func(claims map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mutate = f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.Issuer,
		"authorization_endpoint":                p.Issuer + "/authorize",
		"token_endpoint":                        p.Issuer + "/token",
		"jwks_uri":                              p.Issuer + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	b64 := base64.RawURLEncoding
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": p.kid,
		"n": b64.EncodeToString(p.key.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(p.key.E)).Bytes()),
	}}})
}

// authorize approves the request at once as the current user and
// redirects back with a code, or with an OAuth error.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme == "" || q.Get("client_id") != p.ClientID {
		http.Error(w, "unknown client or redirect_uri", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	switch {
	case q.Get("response_type") != "code":
		back.Set("error", "unsupported_response_type")
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		back.Set("error", "invalid_request")
	default:
		code := rand.Text()
		p.mu.Lock()
		claims := map[string]any{}
		for k, v := range p.claims {
			claims[k] = v
		}
		p.codes[code] = grant{clientID: p.ClientID, redirectURI: redirect.String(), challenge: q.Get("code_challenge"),
			nonce: q.Get("nonce"), claims: claims, expires: time.Now().Add(time.Minute)}
		p.mu.Unlock()
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// token exchanges a code for an access token and a signed ID token.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	tokenError := func(code string) { writeJSON(w, http.StatusBadRequest, map[string]string{"error": code}) }
	if err := r.ParseForm(); err != nil {
		tokenError("invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID || secret != p.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		tokenError("unsupported_grant_type")
		return
	}
	code := r.PostForm.Get("code")
	p.mu.Lock()
	g, found := p.codes[code]
	delete(p.codes, code) // a code works once
	mutate := p.mutate
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case !found || time.Now().After(g.expires) || g.redirectURI != r.PostForm.Get("redirect_uri"):
		tokenError("invalid_grant")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		tokenError("invalid_grant")
		return
	}
	now := time.Now()
	claims := jwt.MapClaims{"iss": p.Issuer, "aud": p.ClientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	for k, v := range g.claims {
		claims[k] = v
	}
	if mutate != nil {
		mutate(claims)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = p.kid
	signed, err := tok.SignedString(p.key)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 300, "id_token": signed})
}
