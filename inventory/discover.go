package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// DefaultWindow is how far back Discover reads login history.
const DefaultWindow = 30 * 24 * time.Hour

// IntegrationLicence is the name of the user licence Salesforce sells for
// integration users.
const IntegrationLicence = "Salesforce Integration"

// integrationLicenceKey is its LicenseDefinitionKey.
const integrationLicenceKey = "SFDC_INTEGRATION"

// Candidate is a user Discover considers an integration user.
type Candidate struct {
	Username string `json:"username"`
	UserID   string `json:"userId"`
	// Name is the user's full name.
	Name string `json:"name,omitempty"`
	// Profile is the name of the user's profile, Licence its user licence.
	Profile string `json:"profile"`
	Licence string `json:"licence,omitempty"`
	// Active is false for deactivated users, which are still listed: the
	// applications that used them are broken.
	Active bool `json:"active"`
	// Reasons say why the user was found, in the order licence, API Only,
	// logins, OAuth tokens.
	Reasons []string `json:"reasons"`
}

// DiscoverOptions tune DiscoverWith.
type DiscoverOptions struct {
	// Window is how far back login history is read (default
	// DefaultWindow).
	Window time.Duration
	// Progress, when set, is told what discovery is doing, for a progress
	// line on a terminal.
	Progress func(msg string)
}

// Discovery is the outcome of DiscoverWith.
type Discovery struct {
	// Candidates are ordered by username.
	Candidates []Candidate `json:"candidates"`
	// Warnings name the signals that could not be read (for example login
	// history, when the reading user lacks Manage Users); the candidates
	// were found without them.
	Warnings []string `json:"warnings,omitempty"`
	// Requests is the number of API requests discovery made.
	Requests int `json:"requests"`
}

// Discover finds the integration users of the org s is logged in to, as of
// now. It makes one composite API request, plus one per extra page of a
// result larger than a page (large login histories).
func Discover(ctx context.Context, s *salesforce.Session, now time.Time) ([]Candidate, error) {
	d, err := DiscoverWith(ctx, s, now, DiscoverOptions{})
	if err != nil {
		return nil, err
	}
	return d.Candidates, nil
}

// loginTypesAPI are the LoginHistory.LoginType values of API logins. Other
// values (Application, the SAML and other SSO types, Chatter communities)
// are interactive, as are values not listed here: a login Warden cannot
// classify never makes a user look like an integration.
var loginTypesAPI = map[string]bool{
	"remote access 2.0":    true, // OAuth 2.0 token grants
	"remote access 1.0":    true,
	"remote access client": true,
	"partner product":      true, // SOAP/REST clients with a client id
	"other apex api":       true, // SOAP login()
	"other api":            true,
	"apex api":             true,
}

// apiLogin reports whether a LoginHistory row is an API login.
func apiLogin(loginType, apiType string) bool {
	if loginTypesAPI[strings.ToLower(strings.TrimSpace(loginType))] {
		return true
	}
	at := strings.TrimSpace(apiType)
	return loginType == "" && at != "" && !strings.EqualFold(at, "N/A")
}

// userFacts is what discovery learns about one user.
type userFacts struct {
	c        Candidate
	licKey   string
	apiOnly  []string // sources: "profile P", "permission set S"
	apiN     int
	uiN      int
	apiTypes map[string]bool
	apps     map[string]bool
}

// DiscoverWith is Discover with options; it also reports warnings and the
// number of requests made.
func DiscoverWith(ctx context.Context, s *salesforce.Session, now time.Time, opts DiscoverOptions) (*Discovery, error) {
	window := opts.Window
	if window <= 0 {
		window = DefaultWindow
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(string) {}
	}
	b := &salesforce.Batch{Progress: func(ref string, read, total int) {
		progress(fmt.Sprintf("reading %s: %d of %d rows", describe(ref), read, total))
	}}
	users := salesforce.Users("ORDER BY Username").AddTo(b, "users")
	apiOnly := salesforce.PermissionSetAssignments(nil, "WHERE PermissionSet.PermissionsApiUserOnly = true").AddTo(b, "apiOnly")
	logins := salesforce.LoginHistory("WHERE LoginTime >= "+salesforce.DateTime(now.Add(-window))).AddTo(b, "logins")
	tokens := salesforce.OAuthTokens("").AddTo(b, "tokens")
	d := &Discovery{Candidates: []Candidate{}}
	progress("reading users, permissions, login history and OAuth tokens")
	err := b.Send(ctx, s)
	d.Requests = b.Requests()
	if err != nil {
		return nil, fmt.Errorf("inventory.Discover: %w", err)
	}
	for _, err := range []error{users.Err, apiOnly.Err} {
		if err != nil {
			return nil, fmt.Errorf("inventory.Discover: %w", err)
		}
	}
	if logins.Err != nil {
		d.Warnings = append(d.Warnings, "login history could not be read (the reading user needs Manage Users or "+
			"Monitor Login History): logins were not used as a reason"+answered(logins.Err))
	}
	if tokens.Err != nil {
		d.Warnings = append(d.Warnings, "OAuth tokens could not be read (the reading user needs Manage Users): "+
			"tokens were not used as a reason"+answered(tokens.Err))
	}
	progress("classifying users")

	byID := map[string]*userFacts{}
	var order []*userFacts
	for _, u := range users.Records {
		f := &userFacts{c: Candidate{Username: u.Username, UserID: u.ID, Name: u.Name,
			Profile: u.ProfileName, Licence: u.UserLicense, Active: u.IsActive},
			licKey: u.UserLicenseKey, apiTypes: map[string]bool{}, apps: map[string]bool{}}
		byID[idKey(f.c.UserID)] = f
		order = append(order, f)
	}
	for _, a := range apiOnly.Records {
		f := byID[idKey(a.AssigneeID)]
		if f == nil {
			continue
		}
		src := "permission set " + a.PermissionSet.Name
		if a.PermissionSet.IsOwnedByProfile {
			name := a.PermissionSet.ProfileName
			if name == "" {
				name = f.c.Profile
			}
			src = "profile " + name
		}
		if !slices.Contains(f.apiOnly, src) {
			f.apiOnly = append(f.apiOnly, src)
		}
	}
	for _, l := range logins.Records {
		f := byID[idKey(l.UserID)]
		if f == nil {
			continue
		}
		lt := l.LoginType
		if apiLogin(lt, l.APIType) {
			f.apiN++
			if lt == "" {
				lt = "API " + l.APIType
			}
			f.apiTypes[lt] = true
		} else {
			f.uiN++
		}
	}
	for _, t := range tokens.Records {
		if f := byID[idKey(t.UserID)]; f != nil && t.AppName != "" {
			f.apps[t.AppName] = true
		}
	}
	days := int(window / (24 * time.Hour))
	for _, f := range order {
		strong := false
		if strings.EqualFold(f.c.Licence, IntegrationLicence) || strings.EqualFold(f.licKey, integrationLicenceKey) {
			lic := f.c.Licence
			if lic == "" {
				lic = IntegrationLicence
			}
			f.c.Reasons = append(f.c.Reasons, "licence "+lic)
			strong = true
		}
		if len(f.apiOnly) > 0 {
			sort.SliceStable(f.apiOnly, func(i, j int) bool { // profile first
				return strings.HasPrefix(f.apiOnly[i], "profile ") && !strings.HasPrefix(f.apiOnly[j], "profile ")
			})
			f.c.Reasons = append(f.c.Reasons, "API Only User via "+strings.Join(f.apiOnly, ", "))
			strong = true
		}
		if f.apiN > 0 && f.uiN == 0 {
			f.c.Reasons = append(f.c.Reasons, loginReason(f.apiN, days, window, sortedKeys(f.apiTypes)))
			strong = true
		}
		if len(f.apps) > 0 {
			f.c.Reasons = append(f.c.Reasons, "holds OAuth tokens for connected apps: "+strings.Join(sortedKeys(f.apps), ", "))
		}
		if strong || (len(f.apps) > 0 && f.uiN == 0) {
			d.Candidates = append(d.Candidates, f.c)
		}
	}
	sort.SliceStable(d.Candidates, func(i, j int) bool {
		return strings.ToLower(d.Candidates[i].Username) < strings.ToLower(d.Candidates[j].Username)
	})
	return d, nil
}

// answered names Salesforce's error code, briefly.
func answered(err error) string {
	var se *salesforce.Error
	if errors.As(err, &se) && se.Code != "" {
		return " (Salesforce answered " + se.Code + ")"
	}
	return " (" + warden.ErrorMessage(err) + ")"
}

// loginReason words the login-history reason.
func loginReason(n, days int, window time.Duration, types []string) string {
	span := fmt.Sprintf("the last %d days", days)
	if days < 1 || window%(24*time.Hour) != 0 {
		span = "the last " + window.String()
	} else if days == 1 {
		span = "the last day"
	}
	if n == 1 {
		return fmt.Sprintf("the only login in %s was an API login (LoginType %s)", span, strings.Join(types, ", "))
	}
	return fmt.Sprintf("all %d logins in %s were API logins (LoginType %s)", n, span, strings.Join(types, ", "))
}

func describe(ref string) string {
	switch ref {
	case "users":
		return "users"
	case "apiOnly":
		return "API Only permission assignments"
	case "logins":
		return "login history"
	}
	return "OAuth tokens"
}

// idKey is the 15-character form of a Salesforce id, so that 15- and
// 18-character ids of one record match.
func idKey(id string) string {
	if len(id) == 18 {
		return id[:15]
	}
	return id
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// MarshalJSON writes Reasons as [] rather than null.
func (c Candidate) MarshalJSON() ([]byte, error) {
	type plain Candidate
	p := plain(c)
	if p.Reasons == nil {
		p.Reasons = []string{}
	}
	return json.Marshal(p)
}
