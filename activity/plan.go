package activity

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// Kinds of migration steps.
const (
	StepSalesforce = "salesforce" // Warden changes the org
	StepWarden     = "warden"     // Warden changes its inventory or secret store
	StepManual     = "manual"     // a person does it; checked off with warden migrate --done
	StepVerify     = "verify"     // Warden checks the login history
)

// MigrationStep is one step of a migration plan.
type MigrationStep struct {
	// ID names the step: connected_app, key_pair, preauthorize,
	// credential, deliver:DEPENDENT, verify:DEPENDENT, retire_password.
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	// Dependent is the application a deliver or verify step is about.
	Dependent string `json:"dependent,omitempty"`
	// Delivery is the dependent's declared delivery, by which --apply
	// delivers the new credential ("" for a dependent not in the
	// inventory: delivered by hand and checked off with --done).
	Delivery warden.Delivery `json:"delivery,omitempty"`
	// Done says the step is complete, since DoneAt.
	Done   bool      `json:"done"`
	DoneAt time.Time `json:"doneAt,omitzero"`
}

// MigrationPlan moves one integration user off legacy authentication.
type MigrationPlan struct {
	Org      string `json:"org"`
	Username string `json:"username"`
	// From is the legacy method in use (MethodSOAPLogin or
	// MethodOAuthPassword); To the credential kind it moves to.
	From string                `json:"from"`
	To   warden.CredentialKind `json:"to"`
	// OldCredential is the password credential retired at the end;
	// Credential the new one.
	OldCredential string `json:"oldCredential,omitempty"`
	Credential    string `json:"credential"`
	// SecretStore holds the new credential's material.
	SecretStore string `json:"secretStore"`
	// App is the connected app's API name and ConsumerKey its key.
	App         string          `json:"app"`
	ConsumerKey string          `json:"consumerKey"`
	Steps       []MigrationStep `json:"steps"`
}

// Step returns the step with id, or nil.
func (p *MigrationPlan) Step(id string) *MigrationStep {
	for i := range p.Steps {
		if p.Steps[i].ID == id {
			return &p.Steps[i]
		}
	}
	return nil
}

// StepKey is the key of the activity event that records a step as done.
func (p *MigrationPlan) StepKey(id string) string {
	return "migration/" + p.Org + "/" + strings.ToLower(p.Username) + "/" + string(p.To) + "/" + id
}

var nonAPIName = regexp.MustCompile(`[^A-Za-z0-9]+`)

// NewPlan plans the move of u to credential kind to (jwt or
// client_credentials), following "one integration at a time, lowest risk
// first": the new credential is created next to the old one, each
// dependent moves and is verified on its own, and the password is retired
// only when every dependent has moved. use is what warden legacy found for
// the user (nil when nothing was found); store is the secret store that
// receives the new material.
//
// declared says the user is declared in the configuration file, which
// must then be updated by hand (a manual step), or the next inventory
// sync would point the user back at the password.
func NewPlan(u LegacyUser, use *LegacyUse, to warden.CredentialKind, store string, declared bool) (*MigrationPlan, error) {
	if to != warden.CredentialJWT && to != warden.CredentialClientCredentials {
		return nil, warden.Errorf(warden.EINVALID, "--to must be jwt or client_credentials, got %q", to)
	}
	local, _, _ := strings.Cut(u.Username, "@")
	api := "Warden_" + strings.Trim(nonAPIName.ReplaceAllString(local, "_"), "_")
	sum := sha256.Sum256([]byte(u.Org + "\x00" + strings.ToLower(u.Username) + "\x00" + string(to)))
	p := &MigrationPlan{Org: u.Org, Username: u.Username, To: to, SecretStore: store, App: api,
		ConsumerKey: "3MVG9Warden" + hex.EncodeToString(sum[:12]), Credential: local + "-" + strings.ReplaceAll(string(to), "_", "-")}
	if u.Credential != nil {
		p.OldCredential = u.Credential.Name
	}
	p.From = MethodOAuthPassword
	if use != nil {
		p.From = use.Method
	} else if u.Credential != nil && u.Credential.ClientID == "" {
		p.From = MethodSOAPLogin
	}
	add := func(id, kind, title, detail, dep string) {
		p.Steps = append(p.Steps, MigrationStep{ID: id, Kind: kind, Title: title, Detail: detail, Dependent: dep})
	}
	if to == warden.CredentialJWT {
		add("key_pair", StepWarden, "Generate the key pair",
			fmt.Sprintf("Generate a 2048-bit RSA key and a self-signed certificate; store the private key as secret %s in secret store %s (it never leaves the store).", p.Credential, store), "")
		add("connected_app", StepSalesforce, "Create or reuse the connected app",
			fmt.Sprintf("Upsert connected app %s (Metadata API upsertMetadata ConnectedApp): consumer key %s, the certificate, scope api, admin-approved users only. New connected apps need Salesforce Support from Spring '26; an existing app can be reused by its API name.", api, p.ConsumerKey), "")
		add("preauthorize", StepSalesforce, "Pre-authorize the user",
			fmt.Sprintf("Create permission set %s, give it access to connected app %s (SetupEntityAccess) and assign it to %s, so that the JWT bearer flow needs no interactive approval.", api, api, u.Username), "")
	} else {
		add("connected_app", StepSalesforce, "Create or reuse the connected app",
			fmt.Sprintf("Generate a consumer secret into secret store %s as %s, and upsert connected app %s (Metadata API upsertMetadata ConnectedApp): consumer key %s, the consumer secret, the client credentials flow enabled (isClientCredentialEnabled) with %s as its run-as user (oauthClientCredentialUser), scope api, admin-approved users only.", store, p.Credential, api, p.ConsumerKey, u.Username), "")
		add("preauthorize", StepSalesforce, "Pre-authorize the user",
			fmt.Sprintf("Create permission set %s, give it access to connected app %s (SetupEntityAccess) and assign it to the run-as user %s: an admin-approved app issues tokens only to pre-authorized users.", api, api, u.Username), "")
	}
	add("credential", StepWarden, "Record the new credential and prove it",
		fmt.Sprintf("Record credential %s (%s, consumer key %s) in the inventory, point %s at it so that Warden's own checks use it, and prove it with one login. The old credential %s keeps working meanwhile.", p.Credential, to, p.ConsumerKey, u.Username, orUnknown(p.OldCredential)), "")
	deps := u.Dependents
	if len(deps) == 0 {
		deps = []string{"(unrecorded dependent)"}
	}
	if declared {
		add("config", StepManual, "Update the configuration file",
			fmt.Sprintf("Declare credential %s (kind %s, username %s, clientId %s, secret {store: %s, key: %s}) in warden.yaml, set the user's credential to it, and give each dependent delivered by a file template or command environment the new credential's fields (%s) instead of the password; then run warden inventory sync. Otherwise the next sync points the user back at %s. The deliveries wait for it. Check it off with: warden migrate %s --to %s --done config",
				p.Credential, to, u.Username, p.ConsumerKey, store, p.Credential, newFields(to), orUnknown(p.OldCredential), u.Username, to), "")
	}
	for _, d := range deps {
		kind, recorded := u.Deliveries[d]
		if kind == "" {
			kind = warden.DeliveryManual
		}
		switch {
		case !recorded:
			add("deliver:"+d, StepManual, "Deliver the new credential to "+d,
				fmt.Sprintf("Give %s the username %s, the consumer key %s and the %s (secret %s in %s), and switch it to the %s grant. Move one dependent at a time, the least critical first; check it off with: warden migrate %s --to %s --done deliver:%s", d, u.Username, p.ConsumerKey, secretName(to), p.Credential, store, grantName(to), u.Username, to, d), d)
		case kind == warden.DeliveryManual:
			add("deliver:"+d, StepManual, "Deliver the new credential to "+d+" (manual)",
				fmt.Sprintf("warden migrate --apply records a runbook for the owner of %s (warden delivery list --pending): give it the username %s, the consumer key %s and the %s (secret %s in %s) and switch it to the %s grant. The owner confirms with: warden delivery confirm --org %s '%s'; the next --apply then verifies it.", d, u.Username, p.ConsumerKey, secretName(to), p.Credential, store, grantName(to), u.Org, d), d)
		default:
			add("deliver:"+d, StepWarden, "Deliver the new credential to "+d+" ("+string(kind)+")",
				fmt.Sprintf("warden migrate --apply delivers the new credential %s to %s by its declared %s delivery, as a rotation does. Move one dependent at a time, the least critical first.", p.Credential, d, kind), d)
		}
		if recorded {
			p.Steps[len(p.Steps)-1].Delivery = kind
		}
		add("verify:"+d, StepVerify, "Verify "+d+" has moved",
			fmt.Sprintf("Warden verifies %s by its declared verification (health, a test login or its own logins) and checks LoginHistory: after the delivery, %s's logins switch from %s to %s through connected app %s, and none by SOAP login() is left (Warden's own checks aside).", d, u.Username, methodText(p.From), grantName(to), api), d)
	}
	add("retire_password", StepSalesforce, "Retire the password",
		fmt.Sprintf("Once every dependent has moved: set a random password on %s that nobody holds, so that the old password and security token (credential %s, kept as history) no longer log in.", u.Username, orUnknown(p.OldCredential)), "")
	return p, nil
}

// newFields names the delivery template fields of a credential kind.
func newFields(k warden.CredentialKind) string {
	if k == warden.CredentialClientCredentials {
		return "{{clientId}}, {{clientSecret}}"
	}
	return "{{username}}, {{clientId}}, {{privateKey}} or {{privateKeyPath}} with a keyPath"
}

// secretName names the secret of a credential kind.
func secretName(k warden.CredentialKind) string {
	if k == warden.CredentialClientCredentials {
		return "consumer secret"
	}
	return "private key"
}

func grantName(k warden.CredentialKind) string {
	if k == warden.CredentialClientCredentials {
		return "client credentials"
	}
	return "JWT bearer"
}

func methodText(m string) string {
	if m == MethodSOAPLogin {
		return "SOAP login()"
	}
	return "the username-password flow"
}
