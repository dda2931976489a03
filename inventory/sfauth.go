package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/wardenhq/warden"
)

// SFAuth is an OAuth authorization the Salesforce CLI holds for an org: a
// connected app's client id (and secret, often empty), a refresh token
// and where the org lives. ClientSecret and RefreshToken are secret: String
// and GoString hide them, and parse errors never quote them.
type SFAuth struct {
	ClientID     string
	ClientSecret string
	RefreshToken string
	// InstanceURL is the org's URL ("https://acme.my.salesforce.com").
	InstanceURL string
	// LoginURL is where to refresh the token: the auth file's loginUrl, or
	// the instance URL.
	LoginURL string
	// Username and OrgID are known when the input names them.
	Username string
	OrgID    string
	// Source says what was read: "auth URL", "sf org display" or "auth
	// file".
	Source string
}

// DefaultSFClientID is the client id of the Salesforce CLI's own connected
// app, used when an auth file names none.
const DefaultSFClientID = "PlatformCLI"

// String describes the authorization without its secrets.
func (a SFAuth) String() string {
	return fmt.Sprintf("inventory.SFAuth{source=%s client=%s user=%s instance=%s}", a.Source, a.ClientID, a.Username, a.InstanceURL)
}

// GoString is String, so that %#v hides the secrets too.
func (a SFAuth) GoString() string { return a.String() }

// Secrets returns the secret values, for redaction.
func (a SFAuth) Secrets() []string {
	var out []string
	for _, s := range []string{a.ClientSecret, a.RefreshToken} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// AuthURL formats a as a force:// auth URL. The result holds the secrets.
func (a SFAuth) AuthURL() string {
	inst := a.InstanceURL
	if rest, ok := strings.CutPrefix(inst, "https://"); ok {
		inst = rest
	}
	creds := a.ClientID + ":" + a.ClientSecret + ":" + a.RefreshToken
	if a.Username != "" {
		creds += ":" + a.Username
	}
	return "force://" + creds + "@" + inst
}

// authPartRE is what the Salesforce CLI accepts in the parts of an auth
// URL (plus base64 padding).
var authPartRE = regexp.MustCompile(`^[A-Za-z0-9._-]+={0,2}$`)

// sfEncryptedRE matches values the Salesforce CLI encrypted with its
// keychain key: hex of IV and ciphertext, ':', hex of the GCM tag.
var sfEncryptedRE = regexp.MustCompile(`^[0-9a-fA-F]{13,}:[0-9a-fA-F]{32}$`)

const authURLFormat = "force://<clientId>:<clientSecret>:<refreshToken>@<instanceUrl>"

func authErr(format string, args ...any) error {
	return warden.Errorf(warden.EINVALID, format, args...)
}

// ParseAuthURL reads a Salesforce CLI auth URL,
// force://<clientId>:<clientSecret>:<refreshToken>@<instanceUrl>, as
// printed by "sf org display --verbose" (the client secret is often empty).
// It also accepts a fourth part, the username
// (force://<clientId>:<clientSecret>:<refreshToken>:<username>@<instanceUrl>),
// and an instance URL with a scheme; without one it is https. Plain http is
// accepted only for loopback hosts (an emulator). Errors name the bad part
// and never quote the secret ones.
func ParseAuthURL(s string) (*SFAuth, error) {
	return parseAuthURL(s, "auth URL")
}

func parseAuthURL(s, what string) (*SFAuth, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, "force://")
	if !ok {
		return nil, authErr("%s: must start with force:// (the format is %s)", what, authURLFormat)
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return nil, authErr("%s: no '@' before the instance URL (the format is %s)", what, authURLFormat)
	}
	creds, inst := rest[:at], rest[at+1:]
	parts := strings.Split(creds, ":")
	if len(parts) != 3 && len(parts) != 4 {
		return nil, authErr("%s: want clientId:clientSecret:refreshToken before the instance URL, found %d part(s) separated by ':'", what, len(parts))
	}
	a := &SFAuth{ClientID: parts[0], ClientSecret: parts[1], RefreshToken: parts[2], Source: "auth URL"}
	if err := checkPart(what, "the client id (first part)", a.ClientID, true); err != nil {
		return nil, err
	}
	if err := checkPart(what, "the client secret (second part)", a.ClientSecret, false); err != nil {
		return nil, err
	}
	if err := checkPart(what, "the refresh token (third part)", a.RefreshToken, true); err != nil {
		return nil, err
	}
	if len(parts) == 4 {
		if !usernameShaped(parts[3]) {
			return nil, authErr("%s: the username (fourth part) is not a Salesforce username (name@domain)", what)
		}
		a.Username = parts[3]
	}
	u, err := instanceURL(what, "the instance URL (after '@')", inst, true)
	if err != nil {
		return nil, err
	}
	a.InstanceURL, a.LoginURL = u, u
	return a, nil
}

// checkPart validates one part of an auth URL without quoting it.
func checkPart(what, name, v string, required bool) error {
	switch {
	case v == "" && required:
		return authErr("%s: %s is empty", what, name)
	case v == "":
		return nil
	case sfEncryptedRE.MatchString(v):
		return authErr("%s: %s is encrypted by the Salesforce CLI (its key is in your keychain)", what, name)
	case !authPartRE.MatchString(v):
		return authErr("%s: %s has characters other than letters, digits, '.', '_', '-' (and '=' padding)", what, name)
	}
	return nil
}

// instanceURL validates a Salesforce URL with warden.CheckLoginURL and
// returns it as scheme://host[:port]. bare allows a URL without scheme
// (https).
func instanceURL(what, name, s string, bare bool) (string, error) {
	if s == "" {
		return "", authErr("%s: %s is empty", what, name)
	}
	raw := s
	if bare && !strings.Contains(s, "://") && !strings.ContainsAny(s, " \t\r\n") {
		raw = "https://" + s
	}
	u, err := warden.CheckLoginURL(raw)
	if err != nil {
		return "", authErr("%s: %s %s", what, name, warden.ErrorMessage(err))
	}
	return u, nil
}

// clip shortens untrusted text quoted in an error.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}

// usernameShaped reports whether s looks like name@domain.tld, as
// Salesforce usernames must.
func usernameShaped(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || len(s) > 254 || strings.Contains(domain, "@") ||
		strings.ContainsAny(s, " \t\r\n<>()[],;:\"\\") || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" {
			return false
		}
	}
	return true
}

// maxAuthFile bounds what ParseSFAuth reads.
const maxAuthFile = 1 << 20

// ParseSFAuth reads what the Salesforce CLI gives out about an org: an
// auth URL (a file holding one), the JSON of "sf org display --verbose
// --json" (its result.sfdxAuthUrl, with result.username and result.id), or
// an auth file of ~/.sfdx (<username>.json: accessToken, instanceUrl,
// loginUrl, refreshToken, clientId, clientSecret). Auth files whose
// refresh token the CLI encrypted (with a key in the OS keychain) are
// refused with a message saying how to export an auth URL instead. Errors
// name the bad field and never quote secrets.
func ParseSFAuth(data []byte) (*SFAuth, error) {
	if len(data) > maxAuthFile {
		return nil, authErr("auth file: larger than %d bytes", maxAuthFile)
	}
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("force://")) {
		return ParseAuthURL(string(trimmed))
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, authErr("auth file: neither a force:// auth URL nor JSON (from sf org display --verbose --json, or ~/.sfdx/USERNAME.json)")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &top); err != nil {
		msg := "not valid JSON"
		var se *json.SyntaxError
		if errors.As(err, &se) {
			msg = fmt.Sprintf("not valid JSON (at byte %d)", se.Offset)
		}
		return nil, authErr("auth file: %s", msg)
	}
	if res, ok := top["result"]; ok {
		return parseDisplay(top, res)
	}
	return parseAuthFile(top)
}

// parseDisplay reads the JSON of sf org display --verbose --json.
func parseDisplay(top map[string]json.RawMessage, res json.RawMessage) (*SFAuth, error) {
	var status float64
	if raw, ok := top["status"]; ok {
		if json.Unmarshal(raw, &status) != nil {
			return nil, authErr("auth file: status is not a number")
		}
	}
	if status != 0 {
		name, _ := str(top, "name")
		return nil, authErr("auth file: the Salesforce CLI reported an error (status %v%s); nothing to import", status, ifSet(", ", clip(safeText(name))))
	}
	var r map[string]json.RawMessage
	if json.Unmarshal(res, &r) != nil || r == nil {
		return nil, authErr("auth file: result is not an object")
	}
	authURL, err := str(r, "sfdxAuthUrl")
	if err != nil {
		return nil, err
	}
	if authURL == "" {
		return nil, authErr("auth file: result.sfdxAuthUrl is missing (sf prints it with --verbose, and only for orgs authorized with a refresh token: web login or an auth URL, not JWT or an access token)")
	}
	a, err := parseAuthURL(authURL, "auth file: result.sfdxAuthUrl")
	if err != nil {
		return nil, err
	}
	a.Source = "sf org display"
	username, err := str(r, "username")
	if err != nil {
		return nil, err
	}
	if username != "" {
		if !usernameShaped(username) {
			return nil, authErr("auth file: result.username is not a Salesforce username (name@domain)")
		}
		if a.Username != "" && !strings.EqualFold(a.Username, username) {
			return nil, authErr("auth file: result.username and the username in result.sfdxAuthUrl differ")
		}
		a.Username = username
	}
	if a.OrgID, err = orgID(r, "id"); err != nil {
		return nil, err
	}
	if inst, err := str(r, "instanceUrl"); err != nil {
		return nil, err
	} else if inst != "" {
		u, err := instanceURL("auth file", "result.instanceUrl", inst, false)
		if err != nil {
			return nil, err
		}
		if u != a.InstanceURL {
			return nil, authErr("auth file: result.instanceUrl %q and the instance in result.sfdxAuthUrl %q differ", u, a.InstanceURL)
		}
	}
	return a, nil
}

// parseAuthFile reads an auth file of the Salesforce CLI's ~/.sfdx.
func parseAuthFile(top map[string]json.RawMessage) (*SFAuth, error) {
	a := &SFAuth{Source: "auth file"}
	fields := []struct {
		key string
		dst *string
	}{{"clientId", &a.ClientID}, {"clientSecret", &a.ClientSecret}, {"refreshToken", &a.RefreshToken}, {"username", &a.Username}}
	for _, f := range fields {
		v, err := str(top, f.key)
		if err != nil {
			return nil, err
		}
		*f.dst = v
	}
	if a.RefreshToken == "" {
		if pk, _ := str(top, "privateKey"); pk != "" {
			return nil, authErr("auth file: the org was authorized with JWT (privateKey), which has no refresh token; use warden org add --kind jwt with that key")
		}
		if _, ok := top["accessToken"]; ok {
			return nil, authErr("auth file: refreshToken is missing (the org was authorized with an access token only, which expires); authorize it with sf org login web, or use warden org add")
		}
		return nil, authErr("auth file: neither an sf org display result nor a ~/.sfdx auth file (no result, no refreshToken)")
	}
	encrypted := "auth file: %s is encrypted by the Salesforce CLI (with a key in your OS keychain), so Warden cannot read it; " +
		"export an auth URL instead: sf org display --target-org ALIAS --verbose --json > auth.json, then --file auth.json (or use --from-sf-alias ALIAS)"
	if sfEncryptedRE.MatchString(a.RefreshToken) {
		return nil, authErr(encrypted, "refreshToken")
	}
	if sfEncryptedRE.MatchString(a.ClientSecret) {
		return nil, authErr(encrypted, "clientSecret")
	}
	if a.ClientID == "" {
		a.ClientID = DefaultSFClientID
	}
	if err := checkPart("auth file", "clientId", a.ClientID, true); err != nil {
		return nil, err
	}
	if err := checkPart("auth file", "clientSecret", a.ClientSecret, false); err != nil {
		return nil, err
	}
	if err := checkPart("auth file", "refreshToken", a.RefreshToken, true); err != nil {
		return nil, err
	}
	if a.Username != "" && !usernameShaped(a.Username) {
		return nil, authErr("auth file: username is not a Salesforce username (name@domain)")
	}
	inst, err := str(top, "instanceUrl")
	if err != nil {
		return nil, err
	}
	if inst == "" {
		return nil, authErr("auth file: instanceUrl is missing")
	}
	if a.InstanceURL, err = instanceURL("auth file", "instanceUrl", inst, false); err != nil {
		return nil, err
	}
	a.LoginURL = a.InstanceURL
	if login, err := str(top, "loginUrl"); err != nil {
		return nil, err
	} else if login != "" {
		if a.LoginURL, err = instanceURL("auth file", "loginUrl", login, false); err != nil {
			return nil, err
		}
	}
	if a.OrgID, err = orgID(top, "orgId"); err != nil {
		return nil, err
	}
	return a, nil
}

// str returns a string field ("" when absent or null).
func str(m map[string]json.RawMessage, key string) (string, error) {
	raw, ok := m[key]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", authErr("auth file: %s is not a string", key)
	}
	return s, nil
}

var orgIDRE = regexp.MustCompile(`^00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$`)

func orgID(m map[string]json.RawMessage, key string) (string, error) {
	id, err := str(m, key)
	if err != nil || id == "" {
		return "", err
	}
	if !orgIDRE.MatchString(id) {
		return "", authErr("auth file: %s is not a Salesforce org id (00D followed by 12 or 15 letters and digits)", key)
	}
	return id, nil
}

// safeText keeps printable ASCII only.
func safeText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
}

func ifSet(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// CheckLoginURL validates a Salesforce login URL given as what (a flag
// name, say) and returns it as scheme://host[:port]: https, or http on a
// loopback address (an emulator), without path, query or user info.
func CheckLoginURL(what, s string) (string, error) {
	return instanceURL(what, "login URL", s, false)
}
