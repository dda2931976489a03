package config

// Access control of the dashboard and JSON API (auth:) and TLS for the
// listener (tls:). docs/configuration.md, "Access control and TLS",
// documents the keys.

import (
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden/auth"

	"github.com/wardenhq/warden"
)

// Auth configures who may use the dashboard and JSON API. Local accounts
// and API tokens live in the store (warden user, warden token); this
// section sets how sessions and logins behave and, optionally, single
// sign-on.
type Auth struct {
	// Session bounds browser sessions.
	Session Session `yaml:"session,omitempty"`
	// Lockout limits failed logins.
	Lockout Lockout `yaml:"lockout,omitempty"`
	// SecureCookies marks cookies Secure without tls: for a server behind
	// a reverse proxy that terminates TLS. With tls it is always on.
	SecureCookies bool `yaml:"secureCookies,omitempty"`
	// OIDC, when set, offers single sign-on.
	OIDC *OIDC `yaml:"oidc,omitempty"`
}

// Session bounds browser sessions.
type Session struct {
	// TTL is the longest a session lasts (default 12h).
	TTL Duration `yaml:"ttl,omitempty"`
	// IdleTimeout ends a session unused for that long (default 1h).
	IdleTimeout Duration `yaml:"idleTimeout,omitempty"`
}

// Lockout limits failed logins.
type Lockout struct {
	// After this many failed logins in a row a username is locked
	// (default 5), for Duration (default 15m).
	After    int      `yaml:"after,omitempty"`
	Duration Duration `yaml:"duration,omitempty"`
	// IPFailures failed logins from one address within Duration block
	// its logins until the window ends (default 20).
	IPFailures int `yaml:"ipFailures,omitempty"`
}

// OIDC configures single sign-on with an OpenID Connect provider.
type OIDC struct {
	// Name labels the login button (default "single sign-on").
	Name   string `yaml:"name,omitempty"`
	Issuer string `yaml:"issuer,omitempty"`
	// ClientID and ClientSecret are Warden's client at the provider; the
	// secret lives in a secret store.
	ClientID     string    `yaml:"clientId,omitempty"`
	ClientSecret SecretRef `yaml:"clientSecret,omitempty"`
	// RedirectURL is https://HOST/auth/oidc/callback, as registered with
	// the provider.
	RedirectURL string `yaml:"redirectUrl,omitempty"`
	// Scopes besides openid (default email, profile).
	Scopes []string `yaml:"scopes,omitempty"`
	// RoleClaim names the ID token claim whose values RoleMapping maps to
	// roles (admin, operator, viewer); DefaultRole applies when none
	// maps, and without it such a person may not log in.
	RoleClaim   string            `yaml:"roleClaim,omitempty"`
	RoleMapping map[string]string `yaml:"roleMapping,omitempty"`
	DefaultRole string            `yaml:"defaultRole,omitempty"`
	// AllowedDomains admits only verified e-mail addresses in them.
	AllowedDomains []string `yaml:"allowedDomains,omitempty"`
}

// TLS configures HTTPS for warden serve's listener.
type TLS struct {
	// CertFile (a PEM certificate chain) and KeyFile (its PEM private
	// key) are resolved like store.path; set both or neither.
	CertFile string `yaml:"certFile,omitempty"`
	KeyFile  string `yaml:"keyFile,omitempty"`
}

// Enabled reports whether the listener serves TLS.
func (t TLS) Enabled() bool { return t.CertFile != "" && t.KeyFile != "" }

var roleNames = []string{string(warden.RoleViewer), string(warden.RoleOperator), string(warden.RoleAdmin)}

// access validates auth and tls; secret store names must be
// registered. Zero values stay zero: the auth package applies the
// defaults (the Default* constants here document them).
func (v *validator) access() {
	t := &v.c.TLS
	if (t.CertFile == "") != (t.KeyFile == "") {
		v.add("tls", "set both certFile and keyFile, or neither")
	}
	a := &v.c.Auth
	s := &a.Session
	v.atLeast("auth.session.ttl", s.TTL, time.Minute)
	v.atLeast("auth.session.idleTimeout", s.IdleTimeout, time.Minute)
	ttl, idle := s.TTL.D(), s.IdleTimeout.D()
	if ttl == 0 {
		ttl = auth.DefaultSessionTTL // the defaults are the auth package's
	}
	if idle == 0 {
		idle = auth.DefaultIdleTimeout
	}
	if idle > ttl {
		v.add("auth.session.idleTimeout", "%s is longer than the session's ttl %s", Duration(idle), Duration(ttl))
	}
	l := &a.Lockout
	v.atLeast("auth.lockout.duration", l.Duration, time.Second)
	if l.After < 0 || l.After > 100 {
		v.add("auth.lockout.after", "must be from 1 to 100, got %d", l.After)
	}
	if l.IPFailures < 0 {
		v.add("auth.lockout.ipFailures", "must be positive, got %d", l.IPFailures)
	}
	if a.OIDC != nil {
		v.oidc("auth.oidc", a.OIDC)
	}
}

// atLeast checks that a duration that is set is at least min.
func (v *validator) atLeast(path string, d Duration, min time.Duration) {
	if d != 0 && d.D() < min {
		v.add(path, "must be at least %s, got %s", Duration(min), d)
	}
}

func (v *validator) oidc(p string, o *OIDC) {
	switch {
	case o.Issuer == "":
		v.add(p+".issuer", "is required")
	case !httpURL(o.Issuer):
		v.add(p+".issuer", "%q is not an absolute http(s) URL", o.Issuer)
	}
	if o.ClientID == "" {
		v.add(p+".clientId", "is required")
	}
	switch {
	case o.ClientSecret.Store == "":
		v.add(p+".clientSecret.store", "is required (the client secret lives in a secret store)")
	case v.stores[o.ClientSecret.Store] == "":
		v.add(p+".clientSecret.store", "secret store %q not found%s", o.ClientSecret.Store, hint("secret stores", v.stores))
	}
	if o.ClientSecret.Key == "" {
		v.add(p+".clientSecret.key", "is required")
	}
	switch {
	case o.RedirectURL == "":
		v.add(p+".redirectUrl", "is required (https://HOST/auth/oidc/callback)")
	case !httpURL(o.RedirectURL) || !strings.HasSuffix(o.RedirectURL, "/auth/oidc/callback"):
		v.add(p+".redirectUrl", "%q is not an absolute http(s) URL ending in /auth/oidc/callback", o.RedirectURL)
	}
	if len(o.RoleMapping) > 0 && o.RoleClaim == "" {
		v.add(p+".roleClaim", "is required with roleMapping")
	}
	keys := make([]string, 0, len(o.RoleMapping))
	for k := range o.RoleMapping {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v.oneOf(p+".roleMapping."+k, o.RoleMapping[k], roleNames)
	}
	if o.DefaultRole != "" {
		v.oneOf(p+".defaultRole", o.DefaultRole, roleNames)
	} else if len(o.RoleMapping) == 0 {
		v.add(p, "set roleClaim and roleMapping, or defaultRole: otherwise nobody gets a role")
	}
	for i, d := range o.AllowedDomains {
		if d == "" || strings.ContainsAny(d, "@/ ") {
			v.add(p+".allowedDomains", "entry %d %q is not a domain name", i, d)
		}
	}
}
