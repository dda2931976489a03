package warden

import (
	"context"
	"strings"
	"time"
)

// CredentialKind is how a credential authenticates to Salesforce.
type CredentialKind string

// Credential kinds. Password is the legacy password + security token path
// (OAuth username-password flow or SOAP login), which Salesforce is
// retiring.
const (
	CredentialJWT               CredentialKind = "jwt"
	CredentialClientCredentials CredentialKind = "client_credentials"
	CredentialRefreshToken      CredentialKind = "refresh_token"
	CredentialPassword          CredentialKind = "password"
)

// Valid reports whether k is a known kind.
func (k CredentialKind) Valid() bool {
	switch k {
	case CredentialJWT, CredentialClientCredentials, CredentialRefreshToken, CredentialPassword:
		return true
	}
	return false
}

// Legacy reports whether k uses the retiring password + token login.
func (k CredentialKind) Legacy() bool { return k == CredentialPassword }

// SecretRef says where a secret lives: a configured secret store and the
// key within it.
type SecretRef struct {
	Store string `json:"store"`
	Key   string `json:"key"`
}

// IsZero reports whether the reference is empty.
func (r SecretRef) IsZero() bool { return r.Store == "" && r.Key == "" }

// Credential is a way to log in as a Salesforce user. Its secret material
// (private key, client secret, refresh token or password + security token)
// lives in a secret store; the credential holds only the reference.
type Credential struct {
	// Name is unique in the inventory.
	Name string `json:"name"`
	// Org is the Name of the org.
	Org  string         `json:"org"`
	Kind CredentialKind `json:"kind"`
	// Username is the user the credential logs in as (for client
	// credentials, the connected app's run-as user).
	Username string `json:"username,omitempty"`
	// ClientID is the connected app's consumer key (not secret).
	ClientID string `json:"clientId,omitempty"`
	// TwinUsername (password credentials) is a second integration user
	// with the same access as Username. Rotations then alternate
	// between the two: the idle user gets the new password, the
	// dependents move to it, and only then is the other user's password
	// retired, so no dependent ever holds a password Salesforce refuses.
	TwinUsername string `json:"twinUsername,omitempty"`
	// TwinClientID (JWT credentials) is the consumer key of a second
	// connected app that trusts the same user: rotations install the new
	// certificate on the idle app, move the dependents to it, and only
	// then replace the other app's certificate.
	TwinClientID string `json:"twinClientId,omitempty"`
	// Secret locates the secret material.
	Secret    SecretRef `json:"secret"`
	CreatedAt time.Time `json:"createdAt"`
	RotatedAt time.Time `json:"rotatedAt,omitempty"`
}

// Validate reports the first problem with c, naming the field.
func (c *Credential) Validate() error {
	switch {
	case c.Name == "":
		return Errorf(EINVALID, "credential: name must not be empty")
	case c.Org == "":
		return Errorf(EINVALID, "credential %s: org must not be empty", c.Name)
	case !c.Kind.Valid():
		return Errorf(EINVALID, "credential %s: kind %q is not one of jwt, client_credentials, refresh_token, password", c.Name, c.Kind)
	case c.Kind != CredentialClientCredentials && c.Username == "":
		return Errorf(EINVALID, "credential %s: username must not be empty for kind %s", c.Name, c.Kind)
	case c.Kind != CredentialPassword && c.ClientID == "":
		return Errorf(EINVALID, "credential %s: clientId must not be empty for kind %s", c.Name, c.Kind)
	case c.TwinUsername != "" && c.Kind != CredentialPassword:
		return Errorf(EINVALID, "credential %s: twinUsername is for password credentials, not %s (a jwt credential alternates connected apps: twinClientId)", c.Name, c.Kind)
	case c.TwinUsername != "" && strings.EqualFold(c.TwinUsername, c.Username):
		return Errorf(EINVALID, "credential %s: twinUsername must be another user than username %s", c.Name, c.Username)
	case c.TwinClientID != "" && c.Kind != CredentialJWT:
		return Errorf(EINVALID, "credential %s: twinClientId is for jwt credentials, not %s", c.Name, c.Kind)
	case c.TwinClientID != "" && c.TwinClientID == c.ClientID:
		return Errorf(EINVALID, "credential %s: twinClientId must be another connected app than clientId", c.Name)
	}
	return nil
}

// HasTwin reports whether c rotates by alternating between two users
// (password) or two connected apps (JWT), with no downtime.
func (c *Credential) HasTwin() bool { return c.TwinUsername != "" || c.TwinClientID != "" }

// LoginUsername is the user material m logs in as: m.Username when the
// material names one (the twin of a twin credential), else c.Username.
func (c *Credential) LoginUsername(m Material) string {
	if m.Username != "" {
		return m.Username
	}
	return c.Username
}

// LoginClientID is the consumer key material m logs in through:
// m.ClientID when the material names one (the twin app of a JWT
// credential), else c.ClientID.
func (c *Credential) LoginClientID(m Material) string {
	if m.ClientID != "" {
		return m.ClientID
	}
	return c.ClientID
}

// Twin returns the identity of m's pair that m does not log in as: the
// other username and consumer key. For a credential without a twin it
// returns m's own.
func (c *Credential) Twin(m Material) (username, clientID string) {
	username, clientID = c.LoginUsername(m), c.LoginClientID(m)
	if c.TwinUsername != "" {
		username = c.TwinUsername
		if strings.EqualFold(c.LoginUsername(m), c.TwinUsername) {
			username = c.Username
		}
	}
	if c.TwinClientID != "" {
		clientID = c.TwinClientID
		if c.LoginClientID(m) == c.TwinClientID {
			clientID = c.ClientID
		}
	}
	return username, clientID
}

// CredentialService stores credentials (references only, never secrets).
type CredentialService interface {
	// UpsertCredential creates or replaces the credential with c.Name.
	// The org must exist (ENOTFOUND otherwise). Only the reference to the
	// secret material is stored. It keeps the CreatedAt of an existing
	// credential and writes it back into c; RotatedAt is stored as given
	// (zero for never).
	UpsertCredential(ctx context.Context, c *Credential) error
	// Credential returns the named credential, or an ENOTFOUND error.
	Credential(ctx context.Context, name string) (*Credential, error)
	// Credentials returns the credentials of an org ("" for all), by name.
	Credentials(ctx context.Context, org string) ([]*Credential, error)
	// DeleteCredential removes the named credential, or returns an
	// ENOTFOUND error. Users and orgs that name it keep the name.
	DeleteCredential(ctx context.Context, name string) error
}

// Material is the secret part of a credential. It is stored in a secret
// store as JSON and must never be printed or logged: String and GoString
// hide it.
type Material struct {
	// PrivateKey is the PEM RSA key that signs JWT bearer assertions.
	PrivateKey string `json:"privateKey,omitempty"`
	// ClientSecret is the connected app's consumer secret.
	ClientSecret string `json:"clientSecret,omitempty"`
	// RefreshToken is an OAuth refresh token.
	RefreshToken string `json:"refreshToken,omitempty"`
	// Password is the password with the security token appended.
	Password string `json:"password,omitempty"`
	// Username and ClientID, not secret, say which user (password) or
	// connected app (JWT) of a twin credential the material is for; empty
	// means the credential's own Username and ClientID.
	Username string `json:"username,omitempty"`
	ClientID string `json:"clientId,omitempty"`
}

// String hides the material.
func (Material) String() string { return "[secret material]" }

// GoString hides the material.
func (Material) GoString() string { return "[secret material]" }

// Secrets returns the non-empty secret values, for redaction and for
// scanning output in tests.
func (m Material) Secrets() []string {
	var out []string
	for _, s := range []string{m.PrivateKey, m.ClientSecret, m.RefreshToken, m.Password} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Check reports whether the material has what the credential kind needs.
func (m Material) Check(kind CredentialKind) error {
	missing := ""
	switch kind {
	case CredentialJWT:
		if m.PrivateKey == "" {
			missing = "privateKey"
		}
	case CredentialClientCredentials:
		if m.ClientSecret == "" {
			missing = "clientSecret"
		}
	case CredentialRefreshToken:
		if m.RefreshToken == "" {
			missing = "refreshToken"
		}
	case CredentialPassword:
		if m.Password == "" {
			missing = "password"
		}
	}
	if missing != "" {
		return Errorf(EINVALID, "secret material for a %s credential lacks %s", kind, missing)
	}
	return nil
}
