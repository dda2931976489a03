package config

import (
	"bytes"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Redaction is the text that replaces secret values in Redacted.
const Redaction = "REDACTED"

// Redacted returns a deep copy of c with every secret value replaced by
// Redaction: secret store tokens, the password in the store's DSN,
// notification secrets, routing keys and SMTP passwords, and the path and
// query of webhook URLs (whose host is kept). Use it whenever a
// configuration is shown or logged.
func (c *Config) Redacted() *Config {
	r := *c
	r.Store.DSN = redactDSN(c.Store.DSN)
	r.SecretStores = slices.Clone(c.SecretStores)
	for i := range r.SecretStores {
		r.SecretStores[i].Token = redact(r.SecretStores[i].Token)
	}
	r.Orgs = slices.Clone(c.Orgs)
	r.Credentials = slices.Clone(c.Credentials)
	r.Users = slices.Clone(c.Users)
	r.Owners = slices.Clone(c.Owners)
	for i := range r.Owners {
		r.Owners[i].Contacts = slices.Clone(r.Owners[i].Contacts)
	}
	r.Dependents = slices.Clone(c.Dependents)
	for i := range r.Dependents {
		d := &r.Dependents[i]
		d.Objects = slices.Clone(d.Objects)
		for k := range d.Objects {
			d.Objects[k].Access = slices.Clone(d.Objects[k].Access)
		}
		d.Target, d.Verify = d.Target.redacted(), d.Verify.clone()
	}
	r.Notifications = slices.Clone(c.Notifications)
	for i := range r.Notifications {
		n := &r.Notifications[i]
		n.URL = redactURL(n.URL)
		n.Secret = redact(n.Secret)
		n.RoutingKey = redact(n.RoutingKey)
		n.Password = redact(n.Password)
		n.To = slices.Clone(n.To)
		n.Owners = slices.Clone(n.Owners)
	}
	return &r
}

// String returns the configuration as YAML, redacted (see Redacted), with
// every $ written as $$ so that the text parses back to the same values.
func (c *Config) String() string {
	var n yaml.Node
	if err := n.Encode(c.Redacted()); err != nil {
		return "# cannot encode the configuration: " + err.Error() + "\n"
	}
	escapeDollars(&n)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return "# cannot encode the configuration: " + err.Error() + "\n"
	}
	enc.Close()
	return b.String()
}

func escapeDollars(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		n.Value = strings.ReplaceAll(n.Value, "$", "$$")
	}
	for _, c := range n.Content {
		escapeDollars(c)
	}
}

func redact(s string) string {
	if s == "" {
		return ""
	}
	return Redaction
}

// redactURL keeps a URL's scheme and host and hides the rest, which for
// Slack, Teams and webhook URLs holds the secret.
func redactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return Redaction
	}
	return u.Scheme + "://" + u.Host + "/" + Redaction
}

var dsnPasswordRE = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)`)

// redactDSN hides the password of a PostgreSQL connection string, in URL
// form (postgres://user:secret@host/db, ?password=secret) or key=value
// form (password=secret).
func redactDSN(s string) string {
	if s == "" {
		return ""
	}
	if u, err := url.Parse(s); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), Redaction)
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", Redaction)
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	if strings.Contains(s, "://") {
		return Redaction // a URL we cannot parse: hide all of it
	}
	return dsnPasswordRE.ReplaceAllString(s, "${1}"+Redaction)
}
