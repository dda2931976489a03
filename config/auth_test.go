package config

import (
	"strings"
	"testing"
	"time"
)

const authBase = `secretStores:
  - {name: local, kind: local, keyFile: warden.key}
`

func TestAuthConfig(t *testing.T) {
	c, err := Parse([]byte(authBase+`auth:
  session: {ttl: 8h, idleTimeout: 30m}
  lockout: {after: 3, duration: 10m, ipFailures: 50}
  secureCookies: true
  oidc:
    name: Okta
    issuer: https://example.okta.com
    clientId: warden
    clientSecret: {store: local, key: oidc-client-secret}
    redirectUrl: https://warden.example.com/auth/oidc/callback
    roleClaim: groups
    roleMapping: {warden-admins: admin, warden-ops: operator}
    defaultRole: viewer
    allowedDomains: [example.com]
tls:
  certFile: tls/cert.pem
  keyFile: tls/key.pem
`), "warden.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Auth
	if a.Session.TTL.D() != 8*time.Hour || a.Session.IdleTimeout.D() != 30*time.Minute || a.Lockout.After != 3 ||
		a.Lockout.Duration.D() != 10*time.Minute || a.Lockout.IPFailures != 50 || !a.SecureCookies {
		t.Errorf("auth = %+v", a)
	}
	if o := a.OIDC; o == nil || o.RoleMapping["warden-ops"] != "operator" || o.ClientSecret.Key != "oidc-client-secret" || o.AllowedDomains[0] != "example.com" {
		t.Errorf("oidc = %+v", a.OIDC)
	}
	if !c.TLS.Enabled() || c.TLS.CertFile != "tls/cert.pem" {
		t.Errorf("tls = %+v", c.TLS)
	}
	// An empty section is valid and stays zero: the auth package fills
	// the defaults.
	c, err = Parse([]byte(authBase), "warden.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Auth.Session.TTL != 0 || c.Auth.OIDC != nil || c.TLS.Enabled() {
		t.Errorf("empty auth = %+v, tls %+v", c.Auth, c.TLS)
	}
}

func TestAuthConfigErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"tls half", "tls: {certFile: c.pem}\n", []string{"tls: set both certFile and keyFile"}},
		{"short session", "auth: {session: {ttl: 10s, idleTimeout: 2h}}\n", []string{
			"auth.session.ttl: must be at least 1m", "auth.session.idleTimeout: 2h is longer than the session's ttl"}},
		{"idle beyond default ttl", "auth: {session: {idleTimeout: 13h}}\n", []string{"longer than the session's ttl 12h"}},
		{"lockout", "auth: {lockout: {after: 1000, duration: 1ms, ipFailures: -1}}\n", []string{
			"auth.lockout.after: must be from 1 to 100", "auth.lockout.duration: must be at least 1s", "auth.lockout.ipFailures: must be positive"}},
		{"oidc empty", "auth: {oidc: {name: x}}\n", []string{"auth.oidc.issuer: is required", "auth.oidc.clientId: is required",
			"auth.oidc.clientSecret.store: is required", "auth.oidc.clientSecret.key: is required", "auth.oidc.redirectUrl: is required",
			"nobody gets a role"}},
		{"oidc bad", `auth:
  oidc:
    issuer: not a url
    clientId: w
    clientSecret: {store: vault, key: k}
    redirectUrl: https://w.example.com/callback
    roleMapping: {admins: root}
    defaultRole: boss
    allowedDomains: ["a@b"]
`, []string{"auth.oidc.issuer: \"not a url\" is not an absolute", `secret store "vault" not found`, "ending in /auth/oidc/callback",
			"auth.oidc.roleClaim: is required with roleMapping", `auth.oidc.roleMapping.admins: "root" is not`, `auth.oidc.defaultRole: "boss" is not`,
			"auth.oidc.allowedDomains"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(authBase+tt.yaml), "warden.yaml", nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\nlacks %q", err, w)
				}
			}
		})
	}
}
