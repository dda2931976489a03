package salesforce

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"

	"github.com/wardenhq/warden"
)

// NewAuthenticator returns the Authenticator that logs in with a Warden
// credential and its secret material: JWT bearer, client credentials,
// refresh token (onRotate persists rotated tokens; nil ignores them) or
// the legacy password + token (OAuth when the credential has a client id,
// SOAP login() otherwise).
func NewAuthenticator(c *Client, cred *warden.Credential, m warden.Material, onRotate func(ctx context.Context, token string) error) (Authenticator, error) {
	if err := m.Check(cred.Kind); err != nil {
		return nil, err
	}
	switch cred.Kind {
	case warden.CredentialJWT:
		key, err := ParsePrivateKey([]byte(m.PrivateKey))
		if err != nil {
			return nil, err
		}
		return &JWTAuth{Client: c, Grant: JWTGrant{ClientID: cred.LoginClientID(m), Username: cred.LoginUsername(m), Key: key}}, nil
	case warden.CredentialClientCredentials:
		return &ClientCredentialsAuth{Client: c, ClientID: cred.ClientID, ClientSecret: m.ClientSecret}, nil
	case warden.CredentialRefreshToken:
		return &RefreshAuth{Client: c, ClientID: cred.ClientID, ClientSecret: m.ClientSecret, RefreshToken: m.RefreshToken, OnRotate: onRotate}, nil
	case warden.CredentialPassword:
		if cred.ClientID == "" {
			return &SOAPAuth{Client: c, Username: cred.LoginUsername(m), Password: m.Password}, nil
		}
		return &PasswordAuth{Client: c, ClientID: cred.ClientID, ClientSecret: m.ClientSecret, Username: cred.LoginUsername(m), Password: m.Password}, nil
	}
	return nil, warden.Errorf(warden.EINVALID, "credential %s: unknown kind %q", cred.Name, cred.Kind)
}

// ParsePrivateKey reads an RSA private key in PEM (PKCS #1 or PKCS #8).
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, warden.Errorf(warden.EINVALID, "private key: not PEM")
	}
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, warden.Errorf(warden.EINVALID, "private key: %v", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, warden.Errorf(warden.EINVALID, "private key: %T is not RSA", k)
	}
	return rk, nil
}
