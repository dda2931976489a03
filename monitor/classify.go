package monitor

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// LoginHourlyLimit is Salesforce's per-user login rate limit.
const LoginHourlyLimit = 3600

// Observation is what Warden knows about one integration user after a
// sweep of its org (and, when one ran, a liveness check of its credential).
type Observation struct {
	Org, Username string
	// Found is false when no user with this username exists in the org.
	Found                  bool
	UserID                 string
	Active, Frozen, Locked bool
	ProfileName            string
	LastPasswordChange     time.Time
	// LastLogin is User.LastLoginDate (for the activity rules).
	LastLogin time.Time
	// PasswordNeverExpires is granted by the profile or a permission set.
	PasswordNeverExpires bool
	// PasswordExpiresDays is the org policy (0 = never).
	PasswordExpiresDays int
	// APIEnabled is granted by the profile or a permission set.
	APIEnabled bool
	// Grants lists every permission source, for evidence and fixes.
	Grants []Grant
	// Objects is the user's effective object access (object -> access set).
	Objects map[string]map[string]bool
	// Needs is the access the user's dependents declare.
	Needs []warden.ObjectAccess
	// Logins are the user's login attempts seen recently, newest first.
	Logins []warden.Login
	// LoginsLastHour counts attempts in the hour before Now.
	LoginsLastHour int
	// Credential is the kind of credential the user's applications use.
	Credential warden.CredentialKind
	// Liveness is the outcome of the latest credential check, if any: nil
	// error for success. LivenessAt is zero when none ran yet.
	Liveness   error
	LivenessAt time.Time
	// RefreshTokenExpires is when the user's refresh token stops working
	// under its app's policy (zero when unknown or unlimited).
	RefreshTokenExpires time.Time
	// RefreshTokens counts the user's refresh tokens by connected app
	// (read for refresh-token users only).
	RefreshTokens map[string]int
	// Changes are recent setup audit trail rows about the user.
	Changes []warden.SetupChange
	Now     time.Time
}

// Grant is one permission source of a user.
type Grant struct {
	// Source is "profile X" or "permission set Y".
	Source      string
	Permissions []string
}

// Verdict is the classification of an observation.
type Verdict struct {
	State    warden.State
	Cause    warden.Cause
	Evidence string
	Fix      string
	Warnings []string
}

// expiryWarning is how early an expiring password is reported.
var expiryWarning = 14 * 24 * time.Hour

// Classify resolves an observation to one state and at most one cause,
// checking causes from the most fundamental (the user is gone) to the
// most specific (one object permission), so that the fix it suggests is
// the one that unblocks the user.
func Classify(o *Observation) Verdict {
	v := classify(o)
	v.Warnings = warnings(o, v)
	if v.State == warden.StateOK && len(v.Warnings) > 0 {
		v.State = warden.StateDegraded
	}
	return v
}

func fail(c warden.Cause, evidence, fix string) Verdict {
	state := warden.StateError
	if c.Transient() {
		state = warden.StateDegraded
	}
	return Verdict{State: state, Cause: c, Evidence: evidence, Fix: fix}
}

func classify(o *Observation) Verdict {
	if !o.Found {
		return fail(warden.CauseCredentialRejected, fmt.Sprintf("no user %s in org %s", o.Username, o.Org),
			"Check the username in Warden's configuration; the user may have been renamed or never created in this org.")
	}
	by := o.changeBy
	if !o.Active {
		return fail(warden.CauseUserDeactivated, "User.IsActive = false"+by("deactivateduser"),
			fmt.Sprintf("Reactivate the user (Setup > Users > %s > Edit > Active) and, if it was deactivated as unused, mark it as an integration user so clean-ups skip it.", o.Username))
	}
	if o.Frozen {
		return fail(warden.CauseUserFrozen, "UserLogin.IsFrozen = true"+by("frozeuser"),
			fmt.Sprintf("Unfreeze the user (Setup > Users > %s > Unfreeze). If it was frozen automatically, check its recent logins for a client logging in too often.", o.Username))
	}
	if o.Locked {
		return fail(warden.CausePasswordLocked, "UserLogin.IsPasswordLocked = true"+lastStatus(o, "Password Lockout", "Invalid Password"),
			fmt.Sprintf("Find the application still sending an old password (see recent 'Invalid Password' logins), update it, then unlock the user (Setup > Users > %s > Unlock) or wait for the lockout interval.", o.Username))
	}
	if o.Credential == warden.CredentialPassword && o.passwordExpired() {
		return fail(warden.CausePasswordExpired, "password last changed "+o.LastPasswordChange.Format("2006-01-02")+fmt.Sprintf(" under a %d-day expiry policy", o.PasswordExpiresDays),
			loginFixes[warden.CausePasswordExpired]+" Give the profile 'Password Never Expires' only if a rotation schedule replaces expiry.")
	}
	if !o.APIEnabled {
		return fail(warden.CauseAPIPermissionMissing, "no permission source grants API Enabled ("+o.sources()+")"+by("PermSetUnassign", "changedprofileforuser", "PermSetDisableUserPerm", "profileSystemPermChange"),
			"Grant API Enabled through the user's integration permission set (or reassign the permission set that was removed).")
	}
	if missing := o.missingObjects(); len(missing) > 0 {
		return fail(warden.CauseObjectPermissionMissing, "missing object access: "+strings.Join(missing, ", ")+by("PermSetUnassign", "PermSetObjectPermChange", "changedprofileforuser"),
			"Add the missing object permissions to the user's integration permission set: "+strings.Join(missing, ", ")+".")
	}
	if v, ok := o.fromLogins(); ok {
		return o.confirmLogins(v)
	}
	if o.Liveness != nil {
		return fromLiveness(o)
	}
	return Verdict{State: warden.StateOK}
}

// changeBy returns " (deactivateduser by admin@x at 2026-...)" for the most
// recent audit row with one of the actions, or "".
func (o *Observation) changeBy(actions ...string) string {
	for _, c := range o.Changes {
		for _, a := range actions {
			if strings.EqualFold(c.Action, a) {
				return fmt.Sprintf("; setup audit trail: %q by %s at %s", c.Display, c.By, c.Time.UTC().Format(time.RFC3339))
			}
		}
	}
	return ""
}

func lastStatus(o *Observation, statuses ...string) string {
	for _, l := range o.Logins {
		for _, s := range statuses {
			if strings.EqualFold(l.Status, s) {
				return fmt.Sprintf("; last login attempt %s from %s: %s", l.Time.UTC().Format(time.RFC3339), l.SourceIP, l.Status)
			}
		}
	}
	return ""
}

func (o *Observation) passwordExpired() bool {
	if o.PasswordNeverExpires || o.PasswordExpiresDays <= 0 || o.LastPasswordChange.IsZero() {
		return false
	}
	return !o.Now.Before(o.passwordExpiry())
}

func (o *Observation) passwordExpiry() time.Time {
	return o.LastPasswordChange.Add(time.Duration(o.PasswordExpiresDays) * 24 * time.Hour)
}

func (o *Observation) sources() string {
	var s []string
	for _, g := range o.Grants {
		s = append(s, g.Source)
	}
	if len(s) == 0 {
		return "no permission sources"
	}
	return strings.Join(s, ", ")
}

// missingObjects lists "Object: Access" pairs the dependents need but the
// user lacks.
func (o *Observation) missingObjects() []string {
	var out []string
	for _, need := range o.Needs {
		have := o.Objects[strings.ToLower(need.Object)]
		for _, a := range need.Access {
			if !have[strings.ToLower(a)] {
				out = append(out, need.Object+": "+a)
			}
		}
	}
	sort.Strings(out)
	return out
}

// fromLogins classifies the failures among login attempts made since the
// last successful one.
func (o *Observation) fromLogins() (Verdict, bool) {
	if o.LoginsLastHour >= LoginHourlyLimit || (len(o.Logins) > 0 && salesforce.LoginStatusCause(o.Logins[0].Status) == warden.CauseLoginRateExceeded) {
		return fail(warden.CauseLoginRateExceeded, fmt.Sprintf("%d login attempts in the past hour (limit %d)", o.LoginsLastHour, LoginHourlyLimit)+lastStatus(o, "Login Rate Exceeded"),
			loginFixes[warden.CauseLoginRateExceeded]), true
	}
	if len(o.Logins) == 0 || o.Logins[0].Succeeded() {
		return Verdict{}, false
	}
	l := o.Logins[0]
	c := salesforce.LoginStatusCause(l.Status)
	if c == warden.CauseNone {
		return Verdict{}, false
	}
	ev := fmt.Sprintf("last login attempt %s from %s via %s: %s", l.Time.UTC().Format(time.RFC3339), l.SourceIP, loginVia(l), l.Status)
	return fail(c, ev, fixFor(loginFixes, c)), true
}

// loginFixes are the fixes for a cause a failed login proves.
var loginFixes = map[warden.Cause]string{
	warden.CauseUserDeactivated: "Reactivate the user.",
	warden.CauseUserFrozen:      "Unfreeze the user.",
	warden.CausePasswordLocked:  "Unlock the user after fixing the application sending the wrong password.",
	warden.CausePasswordExpired: "Set a new password for the user in Salesforce (Setup > Users > Reset Password), store it with the new security token " +
		"in the credential's secret, and update the dependents that hold their own copy (warden impact ORG/USERNAME lists them).",
	warden.CauseLoginRateExceeded: "A client is logging in per request. Make it reuse its session (or use Warden's broker); logins resume as the hour window slides.",
	warden.CauseCredentialRejected: "An application is sending a wrong username or an old password: find it by source IP and application, " +
		"and update it before the user locks out.",
	warden.CauseSecurityTokenRequired: "The client sends the password without the security token from an untrusted IP: add its egress IPs to the profile's " +
		"Login IP Ranges, or store password + current token; better, move it to JWT bearer or client credentials.",
	warden.CauseAppNotApproved: "Pre-authorize the user for the connected app: add its profile or permission set under the app's Manage > " +
		"Profiles/Permission Sets, or set Permitted Users to 'All users may self-authorize'.",
	warden.CauseIPOrHoursRestricted: "The client logged in from outside the profile's Login IP Ranges or Login Hours: add its egress IPs to the profile, " +
		"or widen the hours to cover its schedule.",
	warden.CauseAPIPermissionMissing: "Grant API Enabled through the user's integration permission set.",
	warden.CauseLegacyAuthDisabled: "The org blocks the OAuth username-password flow: migrate this integration to JWT bearer or client credentials " +
		"(a connected app with a certificate, or with a client secret and a run-as user), store the new credential, and move its dependents to it.",
}

// fixFor returns the fix for a cause from fixes, or a pointer to the
// cause's documentation.
func fixFor(fixes map[warden.Cause]string, c warden.Cause) string {
	if fix, ok := fixes[c]; ok {
		return fix
	}
	return "See docs/causes.md#" + string(c) + "."
}

func loginVia(l warden.Login) string {
	via := l.LoginType
	if l.APIType != "" && l.APIType != "N/A" {
		via += " (" + l.APIType + ")"
	}
	if l.Application != "" && l.Application != "N/A" {
		via += ", app " + l.Application
	}
	return via
}

// fromLiveness classifies a failed credential check.
func fromLiveness(o *Observation) Verdict {
	c := causeOf(o.Liveness)
	ev := "credential check " + o.LivenessAt.UTC().Format(time.RFC3339) + ": " + warden.ErrorMessage(o.Liveness)
	return fail(c, ev, fixFor(livenessFixes, c))
}

// livenessFixes are the fixes for a cause a failed credential check
// proves.
var livenessFixes = map[warden.Cause]string{
	warden.CauseRefreshTokenRevoked: "The refresh token was revoked or expired: have the user authorize the connected app again in a browser, " +
		"store the new refresh token in the credential's secret, and update dependents that hold the old one. For an org's monitoring " +
		"credential, warden org add --kind web with the org's --name does the browser login and stores the token.",
	warden.CauseAppNotApproved:        loginFixes[warden.CauseAppNotApproved],
	warden.CauseCredentialRejected:    "Salesforce rejected the credential: check the consumer key, certificate or secret, and rotate the credential if it was changed elsewhere.",
	warden.CauseIPOrHoursRestricted:   "Warden's check ran outside the user's Login IP Ranges or Login Hours: allow Warden's address or schedule checks inside the window.",
	warden.CauseLegacyAuthDisabled:    "The org no longer accepts this legacy login: migrate to JWT bearer or client credentials.",
	warden.CauseSecurityTokenRequired: "Store the password with the current security token, or add the caller's IPs to the profile's Login IP Ranges.",
	warden.CauseLoginRateExceeded:     "The user hit the hourly login limit: a client is logging in per request.",
	warden.CauseOrgUnavailable:        "Salesforce did not answer; Warden retries.",
	warden.CauseAPILimitExhausted:     "The org's daily API requests are used up; Warden retries after the limit resets.",
}

// causeOf returns the cause a Salesforce error carries, or
// credential_rejected for an unexplained failure.
func causeOf(err error) warden.Cause {
	var se *salesforce.Error
	if errors.As(err, &se) && se.Cause != warden.CauseNone {
		return se.Cause
	}
	switch warden.ErrorKind(err) {
	case warden.EUNAVAILABLE:
		return warden.CauseOrgUnavailable
	}
	return warden.CauseCredentialRejected
}

// warnings are non-failing observations.
func warnings(o *Observation, v Verdict) []string {
	if !o.Found || v.State == warden.StateError {
		return nil
	}
	var out []string
	if !o.PasswordNeverExpires && o.PasswordExpiresDays > 0 && !o.LastPasswordChange.IsZero() && o.Credential == warden.CredentialPassword {
		if left := o.passwordExpiry().Sub(o.Now); left > 0 && left <= expiryWarning {
			out = append(out, fmt.Sprintf("password expires in %d days (%s)", int(math.Ceil(left.Hours()/24)), o.passwordExpiry().Format("2006-01-02")))
		}
	}
	if !o.RefreshTokenExpires.IsZero() {
		if left := o.RefreshTokenExpires.Sub(o.Now); left > 0 && left <= 7*24*time.Hour {
			out = append(out, fmt.Sprintf("refresh token expires in %s (%s): re-authorize before then", roundDuration(left), o.RefreshTokenExpires.UTC().Format(time.RFC3339)))
		}
	}
	if v.Cause != warden.CauseLoginRateExceeded && o.LoginsLastHour >= LoginHourlyLimit*3/4 {
		out = append(out, fmt.Sprintf("%d logins in the past hour, %d%% of the hourly limit: a client is logging in per request and should reuse its session", o.LoginsLastHour, o.LoginsLastHour*100/LoginHourlyLimit))
	}
	for _, l := range o.Logins {
		if strings.HasPrefix(strings.ToUpper(l.APIType), "SOAP") && l.Succeeded() {
			out = append(out, "still logs in with SOAP login() ("+l.APIType+"), which Salesforce retires in Summer '27: migrate to JWT bearer or client credentials")
			break
		}
	}
	return out
}

func roundDuration(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	return d.Round(time.Minute).String()
}
