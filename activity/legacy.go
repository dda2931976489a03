package activity

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// Legacy authentication methods.
const (
	// MethodSOAPLogin is the SOAP API login() call with password and
	// security token.
	MethodSOAPLogin = "soap_login"
	// MethodOAuthPassword is the OAuth 2.0 username-password flow.
	MethodOAuthPassword = "oauth_password"
)

// LegacyUser is an integration user of the inventory with its credential,
// as the legacy-auth planner reads it.
type LegacyUser struct {
	Org, Username string
	// Credential is the user's credential (nil when it has none).
	Credential *warden.Credential
	// Dependents are the applications that use it.
	Dependents []string
	// Deliveries are the declared deliveries of the dependents recorded
	// in the inventory, by name (a dependent without one is delivered by
	// hand and checked off with warden migrate --done).
	Deliveries map[string]warden.Delivery
	// Own tells Warden's own logins as the user (its credential checks)
	// from the client's (see OwnLogins); nil takes every login for the
	// client's.
	Own func(*warden.Login) bool
}

// LegacyUse is one integration user still on legacy authentication: SOAP
// login() or the OAuth username-password flow, seen in its login history
// or implied by its credential kind.
type LegacyUse struct {
	Org      string `json:"org"`
	Username string `json:"username"`
	// Method is MethodSOAPLogin or MethodOAuthPassword.
	Method string `json:"method"`
	// Credential and Kind name the user's credential in the inventory.
	Credential string                `json:"credential,omitempty"`
	Kind       warden.CredentialKind `json:"kind,omitempty"`
	// Clients are the sources still logging in that way, by address.
	Clients []LegacyClient `json:"clients,omitempty"`
	// WardenChecks are Warden's own logins as the user (its credential
	// checks), by address: listed apart, never counted as a client.
	WardenChecks []LegacyClient `json:"wardenChecks,omitempty"`
	// LastSeen is the latest legacy login (zero when none was seen).
	LastSeen time.Time `json:"lastSeen,omitzero"`
	// APIVersion is the highest API version a client used.
	APIVersion string `json:"apiVersion,omitempty"`
	// Deadline says when this way of logging in stops working.
	Deadline   string   `json:"deadline"`
	Dependents []string `json:"dependents,omitempty"`
	// Reason says how Warden knows.
	Reason string `json:"reason"`
}

// LegacyClient is one source address logging in the legacy way.
type LegacyClient struct {
	SourceIP    string    `json:"sourceIp"`
	Application string    `json:"application,omitempty"`
	LoginType   string    `json:"loginType,omitempty"`
	APIType     string    `json:"apiType,omitempty"`
	APIVersion  string    `json:"apiVersion,omitempty"`
	Logins      int       `json:"logins"`
	LastSeen    time.Time `json:"lastSeen"`
}

// IsSOAPLogin reports whether a LoginHistory row is a SOAP API login.
func IsSOAPLogin(l *warden.Login) bool {
	return strings.HasPrefix(strings.ToUpper(l.APIType), "SOAP") || strings.EqualFold(l.LoginType, "Partner Product") ||
		strings.EqualFold(l.LoginType, "Other Apex API") && l.APIType != "" && l.APIType != "N/A"
}

// Legacy finds the users still on legacy authentication from their
// successful logins (of any age; the caller bounds the window) and their
// credentials:
//
//   - a source address whose latest login is a SOAP login() is on SOAP;
//   - for a password credential, a source whose latest login is an OAuth
//     login is on the username-password flow, and a password credential
//     without any login seen is listed by its kind (SOAP when it has no
//     connected app, the username-password flow otherwise);
//   - for a user that moved to another credential kind, a SOAP login after
//     the credential was created or rotated means a dependent still uses
//     the old password; earlier ones are history and not listed.
//
// Warden's own logins (those u.Own tells) are never a client's: they are
// listed in WardenChecks of the user's entries.
//
// logins must hold each user's rows with UserID set to its id; ids maps
// lower-case org/username to the user id.
func Legacy(users []LegacyUser, ids map[string]string, logins []warden.Login) []LegacyUse {
	byUser := map[string][]warden.Login{}
	for _, l := range logins {
		if l.Succeeded() {
			byUser[l.UserID] = append(byUser[l.UserID], l)
		}
	}
	var out []LegacyUse
	for _, u := range users {
		c := u.Credential
		password := c != nil && c.Kind == warden.CredentialPassword
		since := time.Time{}
		if c != nil && !password {
			since = c.CreatedAt
			if c.RotatedAt.After(since) {
				since = c.RotatedAt
			}
		}
		latest := map[string]*warden.Login{} // source -> latest login
		counts := map[string]int{}
		var checks []LegacyClient
		checkAt := map[string]int{} // OwnSource -> index in checks
		rows := byUser[ids[strings.ToLower(u.Org+"/"+u.Username)]]
		for i := range rows {
			l := &rows[i]
			if u.Own != nil && u.Own(l) {
				k, ok := checkAt[OwnSource(l)]
				if !ok {
					k = len(checks)
					checkAt[OwnSource(l)] = k
					checks = append(checks, LegacyClient{SourceIP: l.SourceIP, Application: appName(l), LoginType: l.LoginType,
						APIType: strings.TrimPrefix(l.APIType, "N/A"), APIVersion: strings.TrimPrefix(l.APIVersion, "N/A")})
				}
				checks[k].Logins++
				if l.Time.After(checks[k].LastSeen) {
					checks[k].LastSeen = l.Time
				}
				continue
			}
			counts[l.SourceIP]++
			if p := latest[l.SourceIP]; p == nil || l.Time.After(p.Time) {
				latest[l.SourceIP] = l
			}
		}
		uses := map[string]*LegacyUse{}
		use := func(method string) *LegacyUse {
			if uses[method] == nil {
				uses[method] = &LegacyUse{Org: u.Org, Username: u.Username, Method: method, Dependents: u.Dependents}
				if c != nil {
					uses[method].Credential, uses[method].Kind = c.Name, c.Kind
				}
			}
			return uses[method]
		}
		for ip, l := range latest {
			method := ""
			switch {
			case IsSOAPLogin(l) && (password || l.Time.After(since)):
				method = MethodSOAPLogin
			case password && strings.HasPrefix(l.LoginType, "Remote Access"):
				method = MethodOAuthPassword
			default:
				continue
			}
			if l.APIVersion == "N/A" {
				l.APIVersion = ""
			}
			if l.APIType == "N/A" {
				l.APIType = ""
			}
			lu := use(method)
			lu.Clients = append(lu.Clients, LegacyClient{SourceIP: ip, Application: appName(l), LoginType: l.LoginType, APIType: l.APIType,
				APIVersion: l.APIVersion, Logins: counts[ip], LastSeen: l.Time})
			if l.Time.After(lu.LastSeen) {
				lu.LastSeen = l.Time
			}
			if newerVersion(l.APIVersion, lu.APIVersion) {
				lu.APIVersion = l.APIVersion
			}
		}
		if password && len(uses) == 0 {
			method := MethodOAuthPassword
			if c.ClientID == "" {
				method = MethodSOAPLogin
			}
			use(method)
		}
		slices.SortFunc(checks, func(a, b LegacyClient) int { return b.LastSeen.Compare(a.LastSeen) })
		for _, lu := range uses {
			lu.WardenChecks = checks
			slices.SortFunc(lu.Clients, func(a, b LegacyClient) int { return b.LastSeen.Compare(a.LastSeen) })
			lu.Deadline = deadline(lu.Method, lu.APIVersion)
			switch {
			case len(lu.Clients) == 0 && len(checks) > 0:
				lu.Reason = fmt.Sprintf("credential %s is a password credential; no login by a client was seen in the period, only Warden's own checks", lu.Credential)
			case len(lu.Clients) == 0:
				lu.Reason = fmt.Sprintf("credential %s is a password credential; no login was seen in the period", lu.Credential)
			case !password:
				lu.Reason = fmt.Sprintf("SOAP logins continue after credential %s (%s) replaced the password: a dependent still uses the old one", lu.Credential, lu.Kind)
			case lu.Method == MethodSOAPLogin:
				lu.Reason = "LoginHistory shows SOAP API logins (password + security token)"
			default:
				lu.Reason = fmt.Sprintf("credential %s is a password credential and LoginHistory shows OAuth logins: the username-password flow", lu.Credential)
			}
			out = append(out, *lu)
		}
	}
	slices.SortFunc(out, func(a, b LegacyUse) int {
		return strings.Compare(a.Org+"\x00"+a.Username+"\x00"+a.Method, b.Org+"\x00"+b.Username+"\x00"+b.Method)
	})
	return out
}

// deadline says when a legacy method stops working (DESIGN.md; the SOAP
// API end-of-life notice).
func deadline(method, version string) string {
	if method == MethodOAuthPassword {
		return "the username-password flow is blocked by default in orgs created from Summer '23 and can be turned off for the org at any time (Allow OAuth Username-Password Flows); External Client Apps do not support it: move to JWT bearer or client credentials"
	}
	v, err := strconv.ParseFloat(version, 64)
	switch {
	case err != nil:
		return "SOAP login() is not available from API 65.0 and retires for all older versions in Summer '27"
	case v >= 65:
		return fmt.Sprintf("SOAP login() is not available in API %s: this client is failing or about to; move now", version)
	case v <= 30:
		return fmt.Sprintf("API %s was retired in Summer '25 and login() retires in Summer '27: move now", version)
	case v <= 40:
		return fmt.Sprintf("SOAP login() retires in Summer '27, and API %s itself is retired in Summer '28", version)
	}
	return fmt.Sprintf("SOAP login() (API %s) retires in Summer '27; it is not available from API 65.0", version)
}

// newerVersion reports whether API version a is above b ("" is lowest).
func newerVersion(a, b string) bool {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	switch {
	case errA != nil:
		return false
	case errB != nil:
		return true
	}
	return x > y
}
