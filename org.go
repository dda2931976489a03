package warden

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Org is a Salesforce org Warden watches.
type Org struct {
	// Name is Warden's name for the org, unique in the inventory ("acme-prod").
	Name string `json:"name"`
	// OrgID is Salesforce's 18-character organization id (00D...), learnt
	// when Warden first connects.
	OrgID string `json:"orgId,omitempty"`
	// LoginURL is where Warden authenticates: https://login.salesforce.com,
	// https://test.salesforce.com, a My Domain, or an emulator.
	LoginURL string `json:"loginUrl"`
	// InstanceURL is the org's API base URL, learnt at login.
	InstanceURL string `json:"instanceUrl,omitempty"`
	// MonitoringCredential names the credential Warden itself uses to read
	// the org's state. It is checked first, before the users it watches.
	MonitoringCredential string `json:"monitoringCredential,omitempty"`
	// DailyAPIShare is the largest fraction of the org's daily API requests
	// Warden may use (0 means the default, 0.05).
	DailyAPIShare float64 `json:"dailyApiShare,omitempty"`
	// PasswordExpiresDays is the org's password policy ("User passwords
	// expire in", which the API does not expose): the days a password
	// lasts, 0 for Salesforce's default (DefaultPasswordExpiresDays), or
	// PasswordsNeverExpire.
	PasswordExpiresDays int       `json:"passwordExpiresDays,omitempty"`
	CreatedAt           time.Time `json:"createdAt"`
	UpdatedAt           time.Time `json:"updatedAt"`
}

// Password policies of an org.
const (
	// DefaultPasswordExpiresDays is Salesforce's default password
	// lifetime, which an Org's zero PasswordExpiresDays stands for.
	DefaultPasswordExpiresDays = 90
	// PasswordsNeverExpire is the PasswordExpiresDays of an org whose
	// passwords never expire.
	PasswordsNeverExpire = -1
)

// PasswordLifetime returns the days the org's passwords last, resolving
// the default, or 0 when they never expire.
func (o *Org) PasswordLifetime() int {
	switch {
	case o.PasswordExpiresDays == 0:
		return DefaultPasswordExpiresDays
	case o.PasswordExpiresDays < 0:
		return 0
	}
	return o.PasswordExpiresDays
}

// Validate reports the first problem with o, naming the field.
func (o *Org) Validate() error {
	switch {
	case o.Name == "":
		return Errorf(EINVALID, "org name: must not be empty")
	case !validName(o.Name):
		return Errorf(EINVALID, "org name %q: use letters, digits, '.', '_' and '-'", o.Name)
	case o.LoginURL == "":
		return Errorf(EINVALID, "org %s: loginUrl must not be empty", o.Name)
	case o.DailyAPIShare < 0 || o.DailyAPIShare > 1:
		return Errorf(EINVALID, "org %s: dailyApiShare %v must be between 0 and 1", o.Name, o.DailyAPIShare)
	case o.PasswordExpiresDays < PasswordsNeverExpire:
		return Errorf(EINVALID, "org %s: passwordExpiresDays %d must be a number of days, 0 (the default, 90) or -1 (never)", o.Name, o.PasswordExpiresDays)
	}
	return nil
}

// CheckLoginURL is the one rule for the URLs Warden authenticates at and
// reads from (an org's login URL, an instance URL): an absolute https URL,
// or plain http on a loopback address (an emulator), without user info,
// path, query or fragment. It returns the URL as scheme://host[:port],
// lower-cased. Its EINVALID error describes the problem without naming
// the field, for the caller to prefix: `"http://x.example" uses plain
// http; ...`. The URL is quoted (shortened) only in messages about its
// host or scheme, never with user info.
func CheckLoginURL(s string) (string, error) {
	if s == "" {
		return "", Errorf(EINVALID, "is empty")
	}
	if strings.ContainsAny(s, " \t\r\n\\\"'<>`{}|^") || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", Errorf(EINVALID, "has characters a URL cannot have")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", Errorf(EINVALID, "%q is not an absolute URL (want https://HOST, such as https://login.salesforce.com or https://acme.my.salesforce.com)", clip(s))
	}
	if u.User != nil {
		return "", Errorf(EINVALID, "must not hold a user name or password")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#") {
		return "", Errorf(EINVALID, "%q must be a bare host, without a path, query or fragment", clip(u.Scheme+"://"+u.Host))
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 || strconv.Itoa(n) != port {
			return "", Errorf(EINVALID, "%q has a bad port", clip(u.Host))
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return "", Errorf(EINVALID, "%q has a bad port", clip(u.Host))
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !LoopbackHost(u.Hostname()) {
			return "", Errorf(EINVALID, "%q uses plain http; only https is accepted (http only on loopback addresses)", clip(u.Scheme+"://"+u.Host))
		}
	default:
		return "", Errorf(EINVALID, "has scheme %q; want https", clip(u.Scheme))
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}

// LoopbackHost reports whether host (a name or an IP address, without a
// port) is localhost or a loopback address.
func LoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clip shortens untrusted text quoted in an error.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}

// validName reports whether s is a usable inventory name.
func validName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == '@') {
			return false
		}
	}
	return true
}

// OrgService stores orgs.
type OrgService interface {
	// UpsertOrg creates or replaces the org with o.Name. It keeps the
	// CreatedAt of an existing org, sets UpdatedAt to the store's current
	// time, and writes both back into o. An invalid org is an EINVALID
	// error.
	UpsertOrg(ctx context.Context, o *Org) error
	// Org returns the named org, or an ENOTFOUND error.
	Org(ctx context.Context, name string) (*Org, error)
	// Orgs returns every org ordered by name.
	Orgs(ctx context.Context) ([]*Org, error)
	// DeleteOrg removes an org with its users (and their statuses),
	// credentials and dependents, or returns an ENOTFOUND error. History
	// is kept until pruned.
	DeleteOrg(ctx context.Context, name string) error
}
