package salesforce

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/wardenhq/warden"
)

// Token is the result of a login: an access token and where to use it.
// Its String method hides the secrets, so a Token may be logged.
type Token struct {
	// AccessToken is the session id, "<org id>!<opaque>". Secret.
	AccessToken string
	// RefreshToken is set by the authorization code flow (with the
	// refresh_token scope) and by refreshes of apps that rotate refresh
	// tokens; empty otherwise. Secret.
	RefreshToken string
	// InstanceURL is the base URL for API calls.
	InstanceURL string
	// IdentityURL is https://<login host>/id/<org id>/<user id>.
	IdentityURL string
	// OrgID and UserID are the last two segments of IdentityURL.
	OrgID  string
	UserID string
	// Scope lists the granted scopes, space-separated.
	Scope string
	// IssuedAt is when Salesforce issued the token.
	IssuedAt time.Time
}

// String describes the token without its secrets.
func (t Token) String() string {
	return fmt.Sprintf("salesforce.Token{org=%s user=%s instance=%s scope=%q issued=%s}", t.OrgID, t.UserID, t.InstanceURL,
		t.Scope, t.IssuedAt.UTC().Format(time.RFC3339))
}

// GoString is String, so that %#v hides the secrets too.
func (t Token) GoString() string { return t.String() }

// tokenJSON is the token endpoint's success body (reference §1.3).
type tokenJSON struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	InstanceURL  string `json:"instance_url"`
	ID           string `json:"id"`
	TokenType    string `json:"token_type"`
	IssuedAt     string `json:"issued_at"`
	Scope        string `json:"scope"`
}

// token posts a grant to the token endpoint.
func (c *Client) token(ctx context.Context, op string, form url.Values, secrets []string, idempotent bool) (*Token, error) {
	rq := formRequest(op, srcToken, c.loginURL+"/services/oauth2/token", form, secrets, idempotent)
	var tj tokenJSON
	_, err := c.roundTrip(ctx, rq, nil, func(r *response) error {
		if err := json.Unmarshal(r.body, &tj); err != nil {
			return err
		}
		if tj.AccessToken == "" || tj.InstanceURL == "" {
			return fmt.Errorf("token response without access_token or instance_url")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	t := &Token{AccessToken: tj.AccessToken, RefreshToken: tj.RefreshToken, InstanceURL: strings.TrimSuffix(tj.InstanceURL, "/"),
		IdentityURL: tj.ID, Scope: tj.Scope, IssuedAt: c.now()}
	if ms, err := strconv.ParseInt(tj.IssuedAt, 10, 64); err == nil {
		t.IssuedAt = time.UnixMilli(ms)
	}
	t.OrgID, t.UserID = parseIDURL(tj.ID)
	if t.OrgID == "" {
		t.OrgID, _, _ = strings.Cut(t.AccessToken, "!")
	}
	return t, nil
}

// parseIDURL returns the org and user ids of an identity URL: its last two
// path segments, as jsforce and the Salesforce CLI read them.
func parseIDURL(id string) (org, user string) {
	u, err := url.Parse(id)
	if err != nil {
		return "", ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 {
		return "", ""
	}
	return parts[len(parts)-2], parts[len(parts)-1]
}

// JWTGrant is the input of the OAuth 2.0 JWT bearer flow.
type JWTGrant struct {
	// ClientID is the connected app's consumer key (the iss claim).
	ClientID string
	// Username is the Salesforce user to log in as (the sub claim).
	Username string
	// Audience is the aud claim; default the client's login URL.
	Audience string
	// Key signs the assertion (RS256); the app holds its certificate.
	Key *rsa.PrivateKey
	// TTL is how long the assertion is valid; default 3 minutes.
	TTL time.Duration
}

// JWTBearer logs in with the JWT bearer flow: a signed assertion, no
// password, no refresh token. It is the recommended flow for integration
// users, with client credentials.
func (c *Client) JWTBearer(ctx context.Context, g JWTGrant) (*Token, error) {
	const op = "salesforce.JWTBearer"
	assertion, err := c.assertion(g)
	if err != nil {
		return nil, &Error{Op: op, Message: "cannot sign the assertion: " + err.Error(), kind: warden.EINVALID, err: err}
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}
	return c.token(ctx, op, form, []string{assertion}, true)
}

// assertion signs the JWT of a grant. exp is in seconds since the epoch.
func (c *Client) assertion(g JWTGrant) (string, error) {
	if g.Key == nil {
		return "", fmt.Errorf("no private key")
	}
	aud := g.Audience
	if aud == "" {
		aud = c.loginURL
	}
	ttl := g.TTL
	if ttl <= 0 {
		ttl = 3 * time.Minute
	}
	claims := jwt.MapClaims{"iss": g.ClientID, "sub": g.Username, "aud": aud, "exp": c.now().Add(ttl).Unix()}
	return jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(g.Key)
}

// ClientCredentials logs in with the client credentials flow, as the
// connected app's "Run As" user. Salesforce accepts it only on the org's My
// Domain URL.
func (c *Client) ClientCredentials(ctx context.Context, clientID, clientSecret string) (*Token, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}}
	return c.token(ctx, "salesforce.ClientCredentials", form, []string{clientSecret}, true)
}

// RefreshGrant is the input of the refresh token flow.
type RefreshGrant struct {
	ClientID     string
	ClientSecret string // optional for apps that do not require it
	RefreshToken string
}

// Refresh exchanges a refresh token for an access token. When the app
// rotates refresh tokens, the returned Token carries the new refresh token
// and the old one is dead; otherwise Token.RefreshToken is empty.
func (c *Client) Refresh(ctx context.Context, g RefreshGrant) (*Token, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {g.ClientID}, "refresh_token": {g.RefreshToken}}
	if g.ClientSecret != "" {
		form.Set("client_secret", g.ClientSecret)
	}
	// Not idempotent: with rotation, a refresh the server processed but
	// whose answer was lost must not be replayed with the old token.
	return c.token(ctx, "salesforce.Refresh", form, []string{g.RefreshToken, g.ClientSecret}, false)
}

// AuthCodeURL returns the URL of the authorization page for the web-server
// flow with PKCE (S256), and the code verifier to give ExchangeCode. scope
// may be empty (the app's default scopes); include "refresh_token" to get a
// refresh token.
func (c *Client) AuthCodeURL(clientID, redirectURI, state, scope string) (authURL, verifier string) {
	b := make([]byte, 64)
	rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	if state != "" {
		q.Set("state", state)
	}
	if scope != "" {
		q.Set("scope", scope)
	}
	return c.loginURL + "/services/oauth2/authorize?" + q.Encode(), verifier
}

// ExchangeCode completes the web-server flow: it trades the code the
// authorization page sent to redirectURI (and the PKCE verifier from
// AuthCodeURL) for tokens. clientSecret may be empty for PKCE-only apps.
func (c *Client) ExchangeCode(ctx context.Context, clientID, clientSecret, redirectURI, code, verifier string) (*Token, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {clientID}, "redirect_uri": {redirectURI}}
	if clientSecret != "" {
		form.Set("client_secret", clientSecret)
	}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return c.token(ctx, "salesforce.ExchangeCode", form, []string{clientSecret, code, verifier}, false)
}

// PasswordGrant logs in with the OAuth username-password flow.
//
// Deprecated: Salesforce blocks this flow by default in orgs created since
// Summer '23 and is retiring it together with SOAP login(); it needs the
// user's password plus security token in configuration. Migrate to
// JWTBearer or ClientCredentials. It keeps working while the org allows it.
func (c *Client) PasswordGrant(ctx context.Context, clientID, clientSecret, username, passwordPlusToken string) (*Token, error) {
	form := url.Values{"grant_type": {"password"}, "client_id": {clientID}, "client_secret": {clientSecret},
		"username": {username}, "password": {passwordPlusToken}}
	return c.token(ctx, "salesforce.PasswordGrant", form, []string{clientSecret, passwordPlusToken}, true)
}

// Revoke revokes an access or refresh token at the login URL. Revoking a
// refresh token also ends the sessions minted from it.
func (c *Client) Revoke(ctx context.Context, token string) error {
	return c.revoke(ctx, c.loginURL, token)
}

func (c *Client) revoke(ctx context.Context, base, token string) error {
	rq := formRequest("salesforce.Revoke", srcOAuth, base+"/services/oauth2/revoke", url.Values{"token": {token}}, []string{token}, true)
	_, err := c.roundTrip(ctx, rq, nil, nil)
	return err
}

// Introspection is the answer of the token introspection endpoint.
type Introspection struct {
	Active    bool
	Scope     string
	ClientID  string
	Username  string
	Subject   string // identity URL
	TokenType string // "access_token" or "refresh_token"
	ExpiresAt time.Time
	IssuedAt  time.Time
	NotBefore time.Time
}

// Introspect asks whether a token is active, authenticating as the
// connected app (clientID and clientSecret).
func (c *Client) Introspect(ctx context.Context, clientID, clientSecret, token string) (*Introspection, error) {
	form := url.Values{"token": {token}, "client_id": {clientID}, "client_secret": {clientSecret}}
	rq := formRequest("salesforce.Introspect", srcOAuth, c.loginURL+"/services/oauth2/introspect", form, []string{token, clientSecret}, true)
	var in struct {
		Active    bool   `json:"active"`
		Scope     string `json:"scope"`
		ClientID  string `json:"client_id"`
		Username  string `json:"username"`
		Sub       string `json:"sub"`
		TokenType string `json:"token_type"`
		Exp       int64  `json:"exp"`
		Iat       int64  `json:"iat"`
		Nbf       int64  `json:"nbf"`
	}
	if _, err := c.roundTrip(ctx, rq, nil, jsonDecoder(&in)); err != nil {
		return nil, err
	}
	unix := func(s int64) time.Time {
		if s == 0 {
			return time.Time{}
		}
		return time.Unix(s, 0)
	}
	return &Introspection{Active: in.Active, Scope: in.Scope, ClientID: in.ClientID, Username: in.Username, Subject: in.Sub,
		TokenType: in.TokenType, ExpiresAt: unix(in.Exp), IssuedAt: unix(in.Iat), NotBefore: unix(in.Nbf)}, nil
}

// Versions lists the API versions the login URL serves (no login needed).
func (c *Client) Versions(ctx context.Context) ([]Version, error) {
	return c.versions(ctx, c.loginURL)
}

// Version is one API version a Salesforce instance serves.
type Version struct {
	Label   string `json:"label"`   // "Winter '25"
	URL     string `json:"url"`     // "/services/data/v62.0"
	Version string `json:"version"` // "62.0"
}

func (c *Client) versions(ctx context.Context, base string) ([]Version, error) {
	rq := &request{op: "salesforce.Versions", src: srcREST, method: http.MethodGet, url: base + "/services/data/", idempotent: true}
	var out []Version
	if _, err := c.roundTrip(ctx, rq, nil, jsonDecoder(&out)); err != nil {
		return nil, err
	}
	return out, nil
}

// jsonDecoder returns a decode function that unmarshals the body into v.
func jsonDecoder(v any) func(*response) error {
	return func(r *response) error { return json.Unmarshal(r.body, v) }
}
