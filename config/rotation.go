package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// Rotation configures credential rotation (warden rotate, and the
// schedules warden serve runs).
type Rotation struct {
	// Lease is how long a worker holds a rotation without renewing it; a
	// crashed worker's rotation resumes after it (default 2m).
	Lease Duration `yaml:"lease,omitempty"`
	// Grace is how long the old credential stays valid after the new one
	// is promoted, before it is retired (default 24h; "0s" is not
	// allowed here, use warden rotate --now).
	Grace Duration `yaml:"grace,omitempty"`
	// TokenWait bounds the wait for a security token e-mail (default 10m).
	TokenWait Duration `yaml:"tokenWait,omitempty"`
	// PollInterval is how often a mailbox is polled for the token e-mail
	// (default 5s).
	PollInterval Duration `yaml:"pollInterval,omitempty"`
	// Mailboxes say where the Salesforce e-mails of password credentials
	// arrive.
	Mailboxes []RotationMailbox `yaml:"mailboxes,omitempty"`
	// Schedules rotate credentials periodically.
	Schedules []RotationSchedule `yaml:"schedules,omitempty"`
}

// RotationMailbox is the mailbox where the Salesforce e-mails of one
// user of a password credential arrive. Kind selects the adapter; each
// kind has its own fields, and a field of another kind is an error.
// Secrets (the IMAP login password, the Graph application's client
// secret) are secret-store references, never values.
type RotationMailbox struct {
	// Credential names the password credential.
	Credential string `yaml:"credential,omitempty"`
	// Username is the Salesforce user whose mail this is (default: the
	// credential's username). A credential with a twin user (alternating
	// users) lists one mailbox per user, each with its username.
	Username string `yaml:"username,omitempty"`
	// Kind is emulator (the default: the Salesforce emulator's own
	// mailbox), imap (any IMAP4rev1 server) or graph (an Office 365
	// mailbox through Microsoft Graph).
	Kind string `yaml:"kind,omitempty"`

	// URL is the emulator's base URL (kind emulator; default: the org's
	// login URL).
	URL string `yaml:"url,omitempty"`

	// Addr is the IMAP server's host:port (kind imap; 993 for tls, 143
	// for starttls).
	Addr string `yaml:"addr,omitempty"`
	// Security is tls (the default: implicit TLS), starttls, or none
	// (clear text, allowed only to a loopback address) (kind imap).
	Security string `yaml:"security,omitempty"`
	// Login is the IMAP account's user name (kind imap; required).
	Login string `yaml:"login,omitempty"`
	// Password is where the IMAP account's password is kept (kind imap;
	// required): the secret's value is the password itself.
	Password SecretRef `yaml:"password,omitempty"`
	// CAFile is a PEM file of the certificate authorities that sign the
	// IMAP server's certificate, for a private CA (kind imap; default:
	// the system's roots). A relative path is resolved like store.path.
	CAFile string `yaml:"caFile,omitempty"`

	// Folder is the folder Salesforce's e-mails arrive in (kinds imap,
	// default INBOX, and graph, default inbox: a folder id or well-known
	// name).
	Folder string `yaml:"folder,omitempty"`

	// Tenant is the Entra ID directory (tenant) id or a verified domain
	// (kind graph; required).
	Tenant string `yaml:"tenant,omitempty"`
	// ClientID is the application (client) id Warden authenticates as
	// (kind graph; required).
	ClientID string `yaml:"clientId,omitempty"`
	// ClientSecret is where the application's client secret is kept (kind
	// graph; required): the secret's value is the client secret itself.
	ClientSecret SecretRef `yaml:"clientSecret,omitempty"`
	// User is the mailbox user's userPrincipalName or object id (kind
	// graph; required).
	User string `yaml:"user,omitempty"`
	// AuthorityURL and GraphURL override Entra ID's and Graph's endpoints
	// of the global cloud (kind graph; national clouds and tests).
	AuthorityURL string `yaml:"authorityUrl,omitempty"`
	GraphURL     string `yaml:"graphUrl,omitempty"`

	// Account is where the mailbox account's own password is kept
	// (warden rotate USER --mailbox rotates it); optional, kinds emulator
	// and graph (an IMAP server cannot change a password).
	Account SecretRef `yaml:"account,omitempty"`
}

// Rotation mailbox kinds.
const (
	MailboxEmulator = "emulator"
	MailboxIMAP     = "imap"
	MailboxGraph    = "graph"
)

var mailboxKinds = []string{MailboxEmulator, MailboxIMAP, MailboxGraph}

// IMAP securities (rotation.mailboxes[].security).
var imapSecurities = []string{"tls", "starttls", "none"}

// RotationSchedule rotates one credential every Every; owners are warned
// WarnBefore ahead (default 72h).
type RotationSchedule struct {
	Credential string   `yaml:"credential,omitempty"`
	Every      Duration `yaml:"every,omitempty"`
	WarnBefore Duration `yaml:"warnBefore,omitempty"`
}

// Rotation defaults.
const (
	DefaultRotationLease      = 2 * time.Minute
	DefaultRotationGrace      = 24 * time.Hour
	DefaultRotationTokenWait  = 10 * time.Minute
	DefaultRotationPoll       = 5 * time.Second
	DefaultRotationWarnBefore = 72 * time.Hour
)

// rotation fills the rotation defaults and checks the section.
func (v *validator) rotation() {
	r := &v.c.Rotation
	// Defaults are applied where the values are used (OrDefault), so a
	// configuration without a rotation section reads back unchanged.
	for _, d := range []struct {
		path string
		d    Duration
	}{{"rotation.lease", r.Lease}, {"rotation.grace", r.Grace}, {"rotation.tokenWait", r.TokenWait}} {
		if d.d != 0 && d.d.D() < time.Second {
			v.add(d.path, "must be at least 1s, got %s", d.d)
		}
	}
	seen := map[string]string{}
	for i := range r.Mailboxes {
		v.rotationMailbox(fmt.Sprintf("rotation.mailboxes[%d]", i), &r.Mailboxes[i], seen)
	}
	scheduled := map[string]string{}
	for i := range r.Schedules {
		p := fmt.Sprintf("rotation.schedules[%d]", i)
		s := &r.Schedules[i]
		v.register(scheduled, p+".credential", "scheduled credential", s.Credential, false)
		switch {
		case s.Every == 0:
			v.add(p+".every", "is required")
		case s.Every.D() < time.Hour:
			v.add(p+".every", "must be at least 1h, got %s", s.Every)
		}
	}
}

// rotationMailbox checks one mailbox. seen maps credential and
// lower-case username to the path of the mailbox that has them: a
// credential has at most one mailbox per user.
func (v *validator) rotationMailbox(p string, m *RotationMailbox, seen map[string]string) {
	if strings.TrimSpace(m.Credential) == "" {
		v.add(p+".credential", "is required")
	}
	if m.Username != "" && !usernameShaped(m.Username) {
		v.add(p+".username", "%q is not a Salesforce username (want name@domain.tld)", m.Username)
	}
	if m.Credential != "" {
		// The default user is the credential's, when the file declares it.
		user := m.Username
		if i, ok := v.creds[m.Credential]; ok && user == "" {
			user = v.c.Credentials[i].Username
		}
		key := m.Credential + "\x00" + strings.ToLower(user)
		path := p + ".credential"
		if m.Username != "" {
			path = p + ".username"
		}
		if other, dup := seen[key]; dup {
			of := ""
			if user != "" {
				of = fmt.Sprintf(" for user %q", user)
			}
			v.add(path, "duplicate mailbox of credential %q%s (also %s): a credential has one mailbox per user", m.Credential, of, v.ref(other))
		} else {
			seen[key] = path
		}
	}
	if m.Kind == "" {
		m.Kind = MailboxEmulator
	}
	if !v.oneOf(p+".kind", m.Kind, mailboxKinds) {
		return
	}
	v.unused(p, m.Kind, []kindField{
		{"url", m.URL != "", []string{MailboxEmulator}},
		{"addr", m.Addr != "", []string{MailboxIMAP}},
		{"security", m.Security != "", []string{MailboxIMAP}},
		{"login", m.Login != "", []string{MailboxIMAP}},
		{"password", m.Password != (SecretRef{}), []string{MailboxIMAP}},
		{"caFile", m.CAFile != "", []string{MailboxIMAP}},
		{"folder", m.Folder != "", []string{MailboxIMAP, MailboxGraph}},
		{"tenant", m.Tenant != "", []string{MailboxGraph}},
		{"clientId", m.ClientID != "", []string{MailboxGraph}},
		{"clientSecret", m.ClientSecret != (SecretRef{}), []string{MailboxGraph}},
		{"user", m.User != "", []string{MailboxGraph}},
		{"authorityUrl", m.AuthorityURL != "", []string{MailboxGraph}},
		{"graphUrl", m.GraphURL != "", []string{MailboxGraph}},
		{"account", m.Account != (SecretRef{}), []string{MailboxEmulator, MailboxGraph}},
	})
	switch m.Kind {
	case MailboxEmulator:
		if m.URL != "" && !httpURL(m.URL) {
			v.add(p+".url", "%q is not an absolute http(s) URL", m.URL)
		}
	case MailboxIMAP:
		host := ""
		if m.Addr == "" {
			v.add(p+".addr", "is required for kind imap (host:port, e.g. imap.example.com:993)")
		} else if h, port, err := net.SplitHostPort(m.Addr); err != nil || h == "" || !validPort(port, false) {
			v.add(p+".addr", "%q is not host:port (e.g. imap.example.com:993)", m.Addr)
		} else {
			host = h
		}
		if m.Security != "" && v.oneOf(p+".security", m.Security, imapSecurities) && m.Security == "none" {
			if host != "" && !warden.LoopbackHost(host) {
				v.add(p+".security", "none sends the password in clear text: it is allowed only to a loopback address (127.0.0.1, ::1 or localhost), not %q; use tls or starttls", host)
			}
			if m.CAFile != "" {
				v.add(p+".caFile", "is not used with security none")
			}
		}
		if strings.TrimSpace(m.Login) == "" {
			v.add(p+".login", "is required for kind imap (the IMAP account's user name)")
		}
		v.mailboxSecret(p+".password", m.Password, "kind imap (the IMAP account's password)")
	case MailboxGraph:
		if strings.TrimSpace(m.Tenant) == "" {
			v.add(p+".tenant", "is required for kind graph (the directory (tenant) id or a verified domain, e.g. contoso.onmicrosoft.com)")
		}
		if strings.TrimSpace(m.ClientID) == "" {
			v.add(p+".clientId", "is required for kind graph (the application (client) id)")
		}
		v.mailboxSecret(p+".clientSecret", m.ClientSecret, "kind graph (the application's client secret)")
		if strings.TrimSpace(m.User) == "" {
			v.add(p+".user", "is required for kind graph (the mailbox user's userPrincipalName or object id)")
		}
		for _, f := range []struct{ key, url string }{{"authorityUrl", m.AuthorityURL}, {"graphUrl", m.GraphURL}} {
			if f.url == "" {
				continue
			}
			u, err := url.Parse(f.url)
			switch {
			case err != nil || !httpURL(f.url):
				v.add(p+"."+f.key, "%q is not an absolute http(s) URL", f.url)
			case u.Scheme == "http" && !warden.LoopbackHost(u.Hostname()):
				v.add(p+"."+f.key, "must be https (http only to a loopback address): the client secret and access tokens are sent to it")
			}
		}
	}
	if m.Account != (SecretRef{}) && m.Kind != MailboxIMAP { // imap: reported above
		v.mailboxSecret(p+".account", m.Account, "")
	}
}

// mailboxSecret checks a secret reference of a mailbox: required (unless
// what is empty, for an optional one that is set), both store and key,
// and a declared store.
func (v *validator) mailboxSecret(path string, ref SecretRef, what string) {
	if ref == (SecretRef{}) {
		if what != "" {
			v.add(path, "is required for %s: a secret reference {store: NAME, key: KEY}", what)
		}
		return
	}
	if ref.Store == "" {
		v.add(path+".store", "is required (a reference names a secret store and a key)")
	} else {
		v.storeRef(path+".store", ref.Store)
	}
	if ref.Key == "" {
		v.add(path+".key", "is required (a reference names a secret store and a key)")
	}
}

// OrDefault returns d, or def when d is zero.
func (d Duration) OrDefault(def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d.D()
}
