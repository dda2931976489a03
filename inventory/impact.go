package inventory

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/wardenhq/warden"
)

// Store is the part of warden.Store that Impact reads.
type Store interface {
	warden.OrgService
	warden.UserService
	warden.CredentialService
	warden.DependentService
}

// Outcomes of a password change for one dependent.
const (
	// PasswordBreaks: the dependent holds the credential itself (manual or
	// secret_store delivery) and stops working until someone gives it the
	// new one.
	PasswordBreaks = "breaks"
	// PasswordViaWarden: the dependent gets credentials from Warden
	// (broker or webhook delivery); it needs no change itself and works
	// again once Warden's stored credential is updated.
	PasswordViaWarden = "recovers_with_warden"
	// PasswordUnaffected: the credential does not use the password (JWT
	// bearer, client credentials).
	PasswordUnaffected = "unaffected"
)

// CredentialInfo describes a credential without its secret: its kind and
// where the secret lives.
type CredentialInfo struct {
	Name     string                `json:"name"`
	Kind     warden.CredentialKind `json:"kind"`
	Username string                `json:"username,omitempty"`
	ClientID string                `json:"clientId,omitempty"`
	// SecretStore and SecretKey locate the secret material.
	SecretStore string `json:"secretStore"`
	SecretKey   string `json:"secretKey"`
	// Legacy is true for password + security token credentials, which
	// Salesforce is retiring.
	Legacy bool `json:"legacy"`
}

// AffectedDependent is one dependent application in an impact report.
type AffectedDependent struct {
	Name string `json:"name"`
	// Owner is the owning team, OwnerContacts the team's contacts and
	// Contact the application's own contact.
	Owner         string          `json:"owner,omitempty"`
	OwnerContacts []string        `json:"ownerContacts"`
	Contact       string          `json:"contact,omitempty"`
	Delivery      warden.Delivery `json:"delivery"`
	// HowItGetsCredentials says in words how the credentials reach it.
	HowItGetsCredentials string                `json:"howItGetsCredentials"`
	Objects              []warden.ObjectAccess `json:"objects,omitempty"`
	// BreaksOnFreeze is always true: a frozen user cannot log in at all.
	BreaksOnFreeze bool `json:"breaksOnFreeze"`
	// PasswordChange is PasswordBreaks, PasswordViaWarden or
	// PasswordUnaffected; BreaksOnPasswordChange is PasswordChange ==
	// PasswordBreaks.
	PasswordChange         string `json:"passwordChange"`
	BreaksOnPasswordChange bool   `json:"breaksOnPasswordChange"`
	// Why explains PasswordChange.
	Why string `json:"why"`
}

// ImpactReport answers "what breaks if this user is frozen or its
// password changes".
type ImpactReport struct {
	Org      string `json:"org"`
	Username string `json:"username"`
	UserID   string `json:"userId,omitempty"`
	// Owner is the team owning the user, with its contacts.
	Owner       *warden.Owner `json:"owner,omitempty"`
	Description string        `json:"description,omitempty"`
	Reasons     []string      `json:"reasons,omitempty"`
	// Credential is the user's credential; nil when the inventory names
	// none (then password changes are assumed to break it).
	Credential *CredentialInfo      `json:"credential"`
	Dependents []*AffectedDependent `json:"dependents"`
	// Monitoring names the orgs Warden reads as this user (their
	// monitoring credential logs in as it).
	Monitoring []string `json:"monitoring,omitempty"`
	// OnFreeze names every dependent (all of them); OnPasswordChange the
	// ones that break and must be updated by their owners;
	// AfterWardenUpdate the ones that recover once Warden's stored
	// credential is updated.
	OnFreeze          []string `json:"onFreeze"`
	OnPasswordChange  []string `json:"onPasswordChange"`
	AfterWardenUpdate []string `json:"afterWardenUpdate"`
	// Rules explain the answer.
	Rules []string `json:"rules"`
}

// Rule texts of an impact report.
const (
	RuleFreeze = "Freezing (or deactivating) the user blocks every login and every session it holds, whatever the credential: " +
		"every dependent breaks, including those served by Warden's broker."
	rulePasswordLegacy = "The credential is a password + security token: changing or resetting the password (which also issues a new " +
		"security token) invalidates it. Dependents that hold it themselves (delivery manual or secret_store) break until their owners " +
		"put in the new one; broker and webhook dependents get credentials from Warden and recover once Warden's stored credential is updated."
	rulePasswordRefresh = "The credential is an OAuth refresh token: Salesforce revokes a user's refresh tokens when its password is reset, " +
		"and a new one needs someone to authorize the app again in a browser. Dependents that hold the token themselves (manual or " +
		"secret_store) break; broker and webhook dependents recover once Warden's credential is re-authorized."
	rulePasswordNone    = "The credential (%s) does not use the password: a password change breaks no dependent."
	rulePasswordUnknown = "The inventory names no credential for this user, so Warden assumes the worst: a password + security token. " +
		"Dependents that hold it themselves (manual or secret_store) break on a password change; record the credential to sharpen this."
	ruleDelivery = "Delivery says how each dependent receives credentials: broker (short-lived tokens from Warden's broker), webhook " +
		"(Warden pushes new credentials), secret_store (it reads the secret store itself), manual (a person copies them into its configuration)."
)

// Impact reports what breaks if the user (org, username) is frozen or its
// password changes: the user, its credential (kind and where the secret
// lives, never the secret), every dependent with its owner, contacts and
// delivery, and the rules behind the answer. An unknown org or user is an
// ENOTFOUND error naming it. Usernames match case-insensitively.
func Impact(ctx context.Context, store Store, org, username string) (*ImpactReport, error) {
	o, err := store.Org(ctx, org)
	if err != nil {
		if warden.ErrorKind(err) == warden.ENOTFOUND {
			return nil, warden.Errorf(warden.ENOTFOUND, "org %q is not in the inventory (see warden org list)", org)
		}
		return nil, err
	}
	u, err := store.User(ctx, org, username)
	if warden.ErrorKind(err) == warden.ENOTFOUND {
		users, lerr := store.Users(ctx, warden.UserFilter{Org: org})
		if lerr != nil {
			return nil, lerr
		}
		for _, x := range users {
			if strings.EqualFold(x.Username, username) {
				u, err = x, nil
				break
			}
		}
		if u == nil {
			return nil, warden.Errorf(warden.ENOTFOUND, "user %q is not an integration user of org %q in the inventory (see warden users --org %s)", username, org, org)
		}
	}
	if err != nil {
		return nil, err
	}
	r := &ImpactReport{Org: u.Org, Username: u.Username, UserID: u.UserID, Description: u.Description, Reasons: u.Reasons,
		Dependents: []*AffectedDependent{}, OnFreeze: []string{}, OnPasswordChange: []string{}, AfterWardenUpdate: []string{}}

	owners, err := store.Owners(ctx)
	if err != nil {
		return nil, err
	}
	contacts := map[string][]string{}
	for _, o := range owners {
		contacts[o.Team] = o.Contacts
	}
	if u.Owner != "" {
		r.Owner = &warden.Owner{Team: u.Owner, Contacts: nonNil(contacts[u.Owner])}
	}

	if u.Credential != "" {
		c, err := store.Credential(ctx, u.Credential)
		switch {
		case warden.ErrorKind(err) == warden.ENOTFOUND:
			// A dangling reference: report as unknown.
		case err != nil:
			return nil, err
		default:
			r.Credential = &CredentialInfo{Name: c.Name, Kind: c.Kind, Username: c.Username, ClientID: c.ClientID,
				SecretStore: c.Secret.Store, SecretKey: c.Secret.Key, Legacy: c.Kind.Legacy()}
		}
	}

	// Warden's own reading of the org, when it logs in as this user.
	if o.MonitoringCredential != "" {
		if mc, err := store.Credential(ctx, o.MonitoringCredential); err == nil && strings.EqualFold(mc.Username, u.Username) {
			r.Monitoring = append(r.Monitoring, o.Name)
		}
	}

	deps, err := store.Dependents(ctx, warden.DependentFilter{Org: u.Org})
	if err != nil {
		return nil, err
	}
	for _, d := range deps {
		if !strings.EqualFold(d.Username, u.Username) {
			continue
		}
		a := &AffectedDependent{Name: d.Name, Owner: d.Owner, OwnerContacts: nonNil(contacts[d.Owner]), Contact: d.Contact,
			Delivery: d.Delivery, Objects: d.Objects, BreaksOnFreeze: true}
		if a.Delivery == "" {
			a.Delivery = warden.DeliveryManual
		}
		a.HowItGetsCredentials = how(a.Delivery, r.Credential)
		a.PasswordChange, a.Why = passwordOutcome(a.Delivery, r.Credential)
		a.BreaksOnPasswordChange = a.PasswordChange == PasswordBreaks
		r.Dependents = append(r.Dependents, a)
	}
	sort.SliceStable(r.Dependents, func(i, j int) bool { return r.Dependents[i].Name < r.Dependents[j].Name })
	for _, a := range r.Dependents {
		r.OnFreeze = append(r.OnFreeze, a.Name)
		switch a.PasswordChange {
		case PasswordBreaks:
			r.OnPasswordChange = append(r.OnPasswordChange, a.Name)
		case PasswordViaWarden:
			r.AfterWardenUpdate = append(r.AfterWardenUpdate, a.Name)
		}
	}

	r.Rules = append(r.Rules, RuleFreeze)
	switch {
	case r.Credential == nil:
		r.Rules = append(r.Rules, rulePasswordUnknown)
	case r.Credential.Kind == warden.CredentialPassword:
		r.Rules = append(r.Rules, rulePasswordLegacy)
	case r.Credential.Kind == warden.CredentialRefreshToken:
		r.Rules = append(r.Rules, rulePasswordRefresh)
	default:
		r.Rules = append(r.Rules, fmt.Sprintf(rulePasswordNone, credentialWords(r.Credential.Kind)))
	}
	r.Rules = append(r.Rules, ruleDelivery)
	if len(r.Monitoring) > 0 {
		r.Rules = append(r.Rules, fmt.Sprintf("Warden itself reads org %s as this user: freezing it stops Warden's health checks of the org too.",
			strings.Join(r.Monitoring, ", ")))
	}
	return r, nil
}

// passwordOutcome decides what a password change does to a dependent.
func passwordOutcome(d warden.Delivery, c *CredentialInfo) (string, string) {
	kind := warden.CredentialPassword
	assumed := ""
	if c == nil {
		assumed = " (assumed: the inventory names no credential)"
	} else {
		kind = c.Kind
	}
	switch kind {
	case warden.CredentialJWT, warden.CredentialClientCredentials:
		return PasswordUnaffected, credentialWords(kind) + " does not use the password"
	}
	what := "password + security token" + assumed
	if kind == warden.CredentialRefreshToken {
		what = "refresh token, revoked on a password reset"
	}
	switch d {
	case warden.DeliveryBroker, warden.DeliveryWebhook, warden.DeliveryFile, warden.DeliveryCommand:
		return PasswordViaWarden, fmt.Sprintf("%s; it gets credentials from Warden (%s), so it recovers once Warden's stored credential is updated", what, d)
	}
	return PasswordBreaks, fmt.Sprintf("%s; it holds the credential itself (%s), so its owner must put in the new one", what, d)
}

// how says how a dependent receives credentials.
func how(d warden.Delivery, c *CredentialInfo) string {
	switch d {
	case warden.DeliveryBroker:
		return "asks Warden's broker for short-lived access tokens; holds no Salesforce secret"
	case warden.DeliveryWebhook:
		return "Warden pushes new credentials to its webhook"
	case warden.DeliveryFile:
		return "Warden writes new credentials into its configuration file"
	case warden.DeliveryCommand:
		return "Warden runs its reload command with new credentials"
	case warden.DeliverySecretStore:
		if c != nil && c.SecretStore != "" {
			return fmt.Sprintf("reads the secret store itself (store %s, key %s)", c.SecretStore, c.SecretKey)
		}
		return "reads the secret store itself"
	}
	return "a person copies the credentials into its configuration"
}

func credentialWords(k warden.CredentialKind) string {
	switch k {
	case warden.CredentialJWT:
		return "a JWT bearer certificate"
	case warden.CredentialClientCredentials:
		return "the client credentials flow"
	case warden.CredentialRefreshToken:
		return "an OAuth refresh token"
	}
	return "a password + security token"
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
