// Package rotationtest builds emulated orgs with one credential of every
// rotatable kind, the inventory that names them and a Deliverer that
// proves each dependent's credential by logging in: the fixtures of the
// rotation engine's tests, the kill test and the benchmark.
package rotationtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/rotation"
	"github.com/wardenhq/warden/salesforce"
)

// Kinds are the credential kinds the fixtures rotate.
var Kinds = []warden.CredentialKind{warden.CredentialPassword, warden.CredentialJWT, warden.CredentialClientCredentials}

// Cred is one credential of a fixture org, with its initial material.
type Cred struct {
	Credential *warden.Credential
	User       *warden.IntegrationUser
	Material   warden.Material
}

// Org is a fixture org: its seed and the credentials in it.
type Org struct {
	Name  string
	Seed  emulator.SeedOrg
	Admin Cred // the monitoring credential (JWT, System Administrator)
	Creds []Cred
}

// adminPermissions are what the monitoring user needs to break glass and
// manage connected apps.
var adminPermissions = []string{"ApiEnabled", "CustomizeApplication", "ManageUsers", "ModifyAllData", "ResetPasswords", "ViewSetup", "ViewAllData"}

// NewOrg returns an org named name with n credentials of each kind in
// Kinds, stored in secret store store under keys name/<credential>.
// Password users have an initial password and token; JWT and client
// credentials users have their own connected apps.
func NewOrg(name, store string, n int) (*Org, error) { return NewMixedOrg(name, store, n, n, n) }

// NewMixedOrg is NewOrg with pw password, jwt JWT and cc client
// credentials credentials.
func NewMixedOrg(name, store string, pw, jwt, cc int) (*Org, error) {
	o := &Org{Name: name}
	o.Seed = emulator.SeedOrg{Name: name, Profiles: []emulator.SeedProfile{
		{Name: "System Administrator", Permissions: adminPermissions},
		{Name: "Integration", Permissions: []string{"ApiEnabled", "ApiUserOnly"}, PasswordNeverExpires: true},
	}}
	adminKey, err := rotation.NewKey()
	if err != nil {
		return nil, err
	}
	adminUser := "admin@" + name + ".test"
	adminCert, err := rotation.Certificate(adminKey, adminUser)
	if err != nil {
		return nil, err
	}
	o.Seed.Users = append(o.Seed.Users, emulator.SeedUser{Username: adminUser, Profile: "System Administrator", Password: "Admin1234pass"})
	o.Seed.ConnectedApps = append(o.Seed.ConnectedApps, emulator.SeedConnectedApp{Name: "Warden", ConsumerKey: "warden-" + name, Certificate: adminCert})
	o.Admin = cred(name, store, "monitor", warden.CredentialJWT, adminUser, "warden-"+name, warden.Material{PrivateKey: adminKey})
	for i := range max(pw, jwt, cc) {
		if i < pw {
			username := fmt.Sprintf("pw%02d@%s.test", i, name)
			password, token := fmt.Sprintf("Start%04dpass", i), fmt.Sprintf("TOKEN%04dX", i)
			o.Seed.Users = append(o.Seed.Users, emulator.SeedUser{Username: username, Profile: "Integration", Password: password, SecurityToken: token})
			o.Creds = append(o.Creds, cred(name, store, fmt.Sprintf("pw%02d", i), warden.CredentialPassword, username, "", warden.Material{Password: password + token}))
		}
		if i < jwt {
			if err := o.addJWT(name, store, i); err != nil {
				return nil, err
			}
		}
		if i < cc {
			ccUser := fmt.Sprintf("cc%02d@%s.test", i, name)
			ccKey, ccSecret := fmt.Sprintf("cc%02d-%s", i, name), fmt.Sprintf("Secret%04d%s", i, strings.ToUpper(name))
			o.Seed.Users = append(o.Seed.Users, emulator.SeedUser{Username: ccUser, Profile: "Integration", Password: "Unused1234pass"})
			o.Seed.ConnectedApps = append(o.Seed.ConnectedApps, emulator.SeedConnectedApp{Name: fmt.Sprintf("CC_App_%02d", i), ConsumerKey: ccKey, ConsumerSecret: ccSecret, ClientCredentialsUser: ccUser})
			o.Creds = append(o.Creds, cred(name, store, fmt.Sprintf("cc%02d", i), warden.CredentialClientCredentials, ccUser, ccKey, warden.Material{ClientSecret: ccSecret}))
		}
	}
	return o, nil
}

// addJWT adds the i-th JWT user with its own connected app and key.
func (o *Org) addJWT(name, store string, i int) error {
	jwtUser := fmt.Sprintf("jwt%02d@%s.test", i, name)
	key, err := rotation.NewKey()
	if err != nil {
		return err
	}
	cert, err := rotation.Certificate(key, jwtUser)
	if err != nil {
		return err
	}
	jwtKey := fmt.Sprintf("jwt%02d-%s", i, name)
	o.Seed.Users = append(o.Seed.Users, emulator.SeedUser{Username: jwtUser, Profile: "Integration", Password: "Unused1234pass"})
	o.Seed.ConnectedApps = append(o.Seed.ConnectedApps, emulator.SeedConnectedApp{Name: fmt.Sprintf("JWT_App_%02d", i), ConsumerKey: jwtKey, Certificate: cert})
	o.Creds = append(o.Creds, cred(name, store, fmt.Sprintf("jwt%02d", i), warden.CredentialJWT, jwtUser, jwtKey, warden.Material{PrivateKey: key}))
	return nil
}

// AddTwins gives every password credential of o a twin user and every
// JWT credential a twin connected app, both idle (a password and a key
// nobody holds), so that they rotate with no downtime. Call it before the
// seed is used.
func (o *Org) AddTwins() error {
	for i, c := range o.Creds {
		switch c.Credential.Kind {
		case warden.CredentialPassword:
			at := strings.Index(c.Credential.Username, "@")
			twin := c.Credential.Username[:at] + "-twin" + c.Credential.Username[at:]
			o.Seed.Users = append(o.Seed.Users, emulator.SeedUser{Username: twin, Profile: "Integration", Password: rotation.NewPassword()})
			c.Credential.TwinUsername = twin
		case warden.CredentialJWT:
			key, err := rotation.NewKey()
			if err != nil {
				return err
			}
			cert, err := rotation.Certificate(key, c.Credential.Username)
			if err != nil {
				return err
			}
			twin := c.Credential.ClientID + "-twin"
			o.Seed.ConnectedApps = append(o.Seed.ConnectedApps, emulator.SeedConnectedApp{Name: fmt.Sprintf("Twin_App_%02d", i), ConsumerKey: twin, Certificate: cert})
			c.Credential.TwinClientID = twin
		}
	}
	return nil
}

// cred builds one fixture credential named <org>-<short>.
func cred(org, store, short string, kind warden.CredentialKind, username, clientID string, m warden.Material) Cred {
	name := org + "-" + short
	c := &warden.Credential{Name: name, Org: org, Kind: kind, Username: username, ClientID: clientID, Secret: warden.SecretRef{Store: store, Key: org + "/" + short}}
	return Cred{Credential: c, Material: m, User: &warden.IntegrationUser{Org: org, Username: username, Credential: name, Owner: "team-" + org}}
}

// DependentsFunc returns the dependents of a fixture credential.
type DependentsFunc func(c Cred) []*warden.Dependent

// Webhooks returns n webhook dependents per credential, named
// <credential>-app<i>, without a target: for the in-memory Deliverer.
func Webhooks(n int) DependentsFunc {
	return func(c Cred) []*warden.Dependent {
		var out []*warden.Dependent
		for i := range n {
			out = append(out, &warden.Dependent{Name: fmt.Sprintf("%s-app%d", c.Credential.Name, i), Org: c.Credential.Org,
				Username: c.User.Username, Owner: c.User.Owner, Delivery: warden.DeliveryWebhook})
		}
		return out
	}
}

// Install writes the org, its credentials, users and the dependents deps
// returns into the store and the credentials' material into the secret
// store.
func (o *Org) Install(ctx context.Context, s warden.Store, ss warden.SecretStore, loginURL string, deps DependentsFunc) error {
	if err := s.UpsertOrg(ctx, &warden.Org{Name: o.Name, LoginURL: loginURL, MonitoringCredential: o.Admin.Credential.Name}); err != nil {
		return err
	}
	for _, c := range append([]Cred{o.Admin}, o.Creds...) {
		if err := s.UpsertCredential(ctx, c.Credential); err != nil {
			return err
		}
		if _, err := credential.Write(ctx, ss, c.Credential.Secret.Key, c.Material, warden.StageCurrent, nil); err != nil {
			return err
		}
		if err := s.UpsertUser(ctx, c.User); err != nil {
			return err
		}
		if c.Credential == o.Admin.Credential {
			continue
		}
		for _, d := range deps(c) {
			if err := s.UpsertDependent(ctx, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// Login logs in once as c with m against the org's client from creds.
func Login(ctx context.Context, creds *credential.Registry, c *warden.Credential, m warden.Material) error {
	client, err := creds.Client(ctx, c.Org)
	if err != nil {
		return err
	}
	auth, err := salesforce.NewAuthenticator(client, c, m, nil)
	if err != nil {
		return err
	}
	_, err = auth.Authenticate(ctx)
	return err
}

// Deliverer is an in-memory warden.Deliverer: each dependent "holds" the
// material last delivered (or restored) to it, and Verify logs in with it
// against Salesforce. Fail makes a dependent's verification fail.
type Deliverer struct {
	Creds *credential.Registry

	mu    sync.Mutex
	held  map[string]warden.Material // by org/dependent
	fail  map[string]bool
	calls []string
}

// NewDeliverer returns a Deliverer whose dependents start on nothing
// (Hold sets their initial material).
func NewDeliverer(creds *credential.Registry) *Deliverer {
	return &Deliverer{Creds: creds, held: map[string]warden.Material{}, fail: map[string]bool{}}
}

func key(d *warden.Dependent) string { return d.Org + "/" + d.Name }

// Hold gives dependent d material m, as its configuration had before.
func (f *Deliverer) Hold(d *warden.Dependent, m warden.Material) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held[key(d)] = m
}

// Held returns what d holds.
func (f *Deliverer) Held(d *warden.Dependent) (warden.Material, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.held[key(d)]
	return m, ok
}

// Fail makes the verification of the named dependent of org fail.
func (f *Deliverer) Fail(org, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[org+"/"+name] = true
}

// Calls returns the calls made, as "method dependent".
func (f *Deliverer) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Deliver records m as what d holds.
func (f *Deliverer) Deliver(ctx context.Context, d *warden.Dependent, c *warden.Credential, m warden.Material, version string) (*warden.DeliveryReceipt, error) {
	f.mu.Lock()
	f.held[key(d)] = m
	f.calls = append(f.calls, "deliver "+d.Name)
	f.mu.Unlock()
	return &warden.DeliveryReceipt{Dependent: d.Name, Delivery: d.Delivery, Version: version, Detail: "in memory"}, nil
}

// Verify logs in with what d holds.
func (f *Deliverer) Verify(ctx context.Context, d *warden.Dependent, c *warden.Credential, m warden.Material, version string) error {
	f.mu.Lock()
	held, failing := f.held[key(d)], f.fail[key(d)]
	f.calls = append(f.calls, "verify "+d.Name)
	f.mu.Unlock()
	if failing {
		return warden.Errorf(warden.EUNAUTHORIZED, "dependent %s: health check failed", d.Name)
	}
	if err := Login(ctx, f.Creds, c, held); err != nil {
		return warden.Prefix("dependent "+d.Name+" cannot log in", err)
	}
	return nil
}

// Restore puts previous back as what d holds.
func (f *Deliverer) Restore(ctx context.Context, d *warden.Dependent, c *warden.Credential, previous warden.Material, version string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held[key(d)] = previous
	f.calls = append(f.calls, "restore "+d.Name)
	return nil
}
