package azurekv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/wardenhq/warden"
)

// The environment variables CredentialFromEnv reads: those of the Azure
// SDK's environment credential for a service principal with a client
// secret.
const (
	EnvTenantID      = "AZURE_TENANT_ID"
	EnvClientID      = "AZURE_CLIENT_ID"
	EnvClientSecret  = "AZURE_CLIENT_SECRET"
	EnvAuthorityHost = "AZURE_AUTHORITY_HOST"
)

// DefaultAuthorityHost is the Microsoft identity platform of Azure's
// public cloud.
const DefaultAuthorityHost = "https://login.microsoftonline.com/"

// ClientSecretCredential is an azcore.TokenCredential for a service
// principal (an app registration) with a client secret: it gets tokens
// with the OAuth 2.0 client credentials grant from the Microsoft identity
// platform and reuses each until shortly before it expires. It is safe
// for concurrent use; String hides the secret.
type ClientSecretCredential struct {
	tokenURL string
	clientID string
	secret   string
	http     *http.Client

	mu     sync.Mutex
	tokens map[string]azcore.AccessToken // by scopes
}

var _ azcore.TokenCredential = (*ClientSecretCredential)(nil)

// CredentialOptions adjust a ClientSecretCredential.
type CredentialOptions struct {
	// AuthorityHost is the identity platform's URL (default
	// DefaultAuthorityHost; sovereign clouds have their own). It must be
	// https, except on a loopback address (a test server).
	AuthorityHost string
	// HTTPClient sends the token requests (default: a client with a 30 s
	// timeout).
	HTTPClient *http.Client
}

// NewClientSecretCredential returns a credential for the app clientID of
// tenant tenantID with the given client secret.
func NewClientSecretCredential(tenantID, clientID, secret string, opts CredentialOptions) (*ClientSecretCredential, error) {
	const op = "azurekv.NewClientSecretCredential"
	switch {
	case tenantID == "" || strings.ContainsAny(tenantID, "/?#%") || tenantID == "." || tenantID == "..":
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "the Azure tenant id must be a tenant id or domain name"}
	case clientID == "":
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "the Azure client id is empty"}
	case secret == "":
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "the Azure client secret is empty"}
	}
	host := opts.AuthorityHost
	if host == "" {
		host = DefaultAuthorityHost
	}
	u, err := url.Parse(host)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		!(u.Scheme == "https" || u.Scheme == "http" && loopbackHost(u.Hostname())) {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: fmt.Sprintf(
			"authority host %q is not an https URL (such as %s)", host, DefaultAuthorityHost)}
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &ClientSecretCredential{
		tokenURL: strings.TrimSuffix(u.String(), "/") + "/" + url.PathEscape(tenantID) + "/oauth2/v2.0/token",
		clientID: clientID, secret: secret, http: hc, tokens: map[string]azcore.AccessToken{},
	}, nil
}

// CredentialFromEnv returns the credential that AZURE_TENANT_ID,
// AZURE_CLIENT_ID and AZURE_CLIENT_SECRET describe, at AZURE_AUTHORITY_HOST
// when set, reading them with getenv. An unset variable is an EINVALID
// error naming it.
func CredentialFromEnv(getenv func(string) string) (*ClientSecretCredential, error) {
	var missing []string
	for _, name := range []string{EnvTenantID, EnvClientID, EnvClientSecret} {
		if getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, warden.Errorf(warden.EINVALID, "Azure Key Vault needs the service principal's credentials in the environment: %s not set",
			strings.Join(missing, ", "))
	}
	return NewClientSecretCredential(getenv(EnvTenantID), getenv(EnvClientID), getenv(EnvClientSecret),
		CredentialOptions{AuthorityHost: getenv(EnvAuthorityHost)})
}

// String describes the credential without its secret.
func (c *ClientSecretCredential) String() string {
	return "azurekv.ClientSecretCredential{client=" + c.clientID + " token=" + c.tokenURL + "}"
}

// GoString is String, so that %#v hides the secret too.
func (c *ClientSecretCredential) GoString() string { return c.String() }

// refreshMargin is how long before its expiry a token is replaced.
const refreshMargin = 5 * time.Minute

// GetToken returns a token for opts.Scopes, from the cache while it is
// valid for more than five minutes.
func (c *ClientSecretCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	const op = "azurekv.GetToken"
	if len(opts.Scopes) == 0 {
		return azcore.AccessToken{}, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "a token request needs a scope"}
	}
	scope := strings.Join(opts.Scopes, " ")
	c.mu.Lock()
	defer c.mu.Unlock() // one token request at a time
	if t, ok := c.tokens[scope]; ok && time.Until(t.ExpiresOn) > refreshMargin {
		return t, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.clientID}, "client_secret": {c.secret}, "scope": {scope}}
	if opts.Claims != "" {
		form.Set("claims", opts.Claims)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return azcore.AccessToken{}, &warden.Error{Kind: warden.EINTERNAL, Op: op, Message: "cannot build the token request", Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return azcore.AccessToken{}, &warden.Error{Kind: warden.EUNAVAILABLE, Op: op, Message: "the Microsoft identity platform cannot be reached", Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return azcore.AccessToken{}, &warden.Error{Kind: warden.EUNAVAILABLE, Op: op, Message: "reading the token response failed", Err: err}
	}
	var tok struct {
		TokenType   string          `json:"token_type"`
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"` // a number, or a string of one
		Error       string          `json:"error"`
		Description string          `json:"error_description"`
	}
	jsonErr := json.Unmarshal(body, &tok)
	if resp.StatusCode != http.StatusOK || jsonErr != nil || tok.AccessToken == "" {
		kind := warden.EUNAVAILABLE
		if resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized {
			kind = warden.EUNAUTHORIZED
		}
		msg := fmt.Sprintf("the Microsoft identity platform refused a token (HTTP %d)", resp.StatusCode)
		if tok.Error != "" {
			msg += ": " + safeCode(tok.Error) // error codes only: descriptions may echo the request
		}
		return azcore.AccessToken{}, &warden.Error{Kind: kind, Op: op, Message: msg}
	}
	secs, err := expiresIn(tok.ExpiresIn)
	if err != nil {
		return azcore.AccessToken{}, &warden.Error{Kind: warden.EUNAVAILABLE, Op: op, Message: "the token response has no valid expires_in"}
	}
	t := azcore.AccessToken{Token: tok.AccessToken, ExpiresOn: time.Now().Add(time.Duration(secs) * time.Second)}
	c.tokens[scope] = t
	return t, nil
}

// expiresIn reads expires_in, a number of seconds or a string holding one.
func expiresIn(raw json.RawMessage) (int64, error) {
	var n int64
	if err := json.Unmarshal(raw, &n); err == nil && n > 0 {
		return n, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, err
	}
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || n <= 0 {
		return 0, fmt.Errorf("bad expires_in %q", s)
	}
	return n, nil
}

// safeCode keeps an OAuth error code's letters, digits and '_'.
func safeCode(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return -1
	}, s)
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// loopbackHost reports whether host is localhost or a loopback address.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
