package broker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/salesforce"
)

// ReauthOptions configure Reauthorize.
type ReauthOptions struct {
	// Registry reads and writes the credential and its material.
	Registry *credential.Registry
	// Users and Credentials find the user's credential; Orgs its org,
	// whose monitoring credential counts the user's approvals first.
	Users       warden.UserService
	Credentials warden.CredentialService
	Orgs        warden.OrgService
	// Org and Username name the user ("" Org: the user of that username in
	// any org).
	Org, Username string
	// Callback is the connected app's callback URL on this machine (see
	// credential.CallbackURL); Scope, Timeout, Out, OnAuthorize and Logger
	// are passed to credential.WebLogin.
	Callback    string
	Scope       string
	Timeout     time.Duration
	Out         io.Writer
	OnAuthorize func(authURL string)
	Logger      *slog.Logger
}

// Reauthorize replaces the refresh token of a user whose token was revoked
// or expired: it runs the web-server flow with PKCE for the credential's
// connected app (credential.WebLogin prints the link and waits for the
// callback), checks that the browser logged in as the same user, stores
// the new refresh token as the credential's current secret version
// (keeping the consumer secret), marks the credential rotated (so that the
// monitor checks the new version at once), and makes the registry forget
// the old session. It returns the credential's name.
func Reauthorize(ctx context.Context, o ReauthOptions) (string, error) {
	t, err := reauthTarget(ctx, o.Registry, o.Users, o.Credentials, o.Org, o.Username)
	if err != nil {
		return "", err
	}
	if warn := approvalsBefore(ctx, o, t.user, t.cred); warn != "" && o.Out != nil {
		fmt.Fprintf(o.Out, "Warning: %s.\n\n", warn)
	}
	scope := o.Scope
	if scope == "" {
		scope = "api refresh_token"
	}
	tok, err := credential.WebLogin(ctx, credential.WebLoginOptions{Client: t.client, ClientID: t.cred.ClientID, ClientSecret: t.material.ClientSecret,
		Callback: o.Callback, Scope: scope, Timeout: o.Timeout, Out: o.Out, OnAuthorize: o.OnAuthorize, Logger: o.Logger})
	if err != nil {
		return "", err
	}
	if err := t.store(ctx, o.Registry, o.Credentials, tok); err != nil {
		return "", err
	}
	return t.cred.Name, nil
}

// reauth is the user and refresh-token credential a re-authorization
// replaces the token of, with the credential's material and org client.
type reauth struct {
	user     *warden.IntegrationUser
	cred     *warden.Credential
	material warden.Material
	client   *salesforce.Client
}

// reauthTarget finds the user's refresh-token credential, its material
// (which may lack the refresh token) and its org's client.
func reauthTarget(ctx context.Context, reg *credential.Registry, users warden.UserService, creds warden.CredentialService, org, username string) (*reauth, error) {
	u, err := findUser(ctx, users, org, username)
	if err != nil {
		return nil, err
	}
	if u.Credential == "" {
		return nil, warden.Errorf(warden.EINVALID, "user %s has no credential to re-authorize", u.Username)
	}
	c, err := creds.Credential(ctx, u.Credential)
	if err != nil {
		return nil, err
	}
	if c.Kind != warden.CredentialRefreshToken {
		return nil, warden.Errorf(warden.EINVALID, "credential %s of %s is a %s credential: only refresh-token credentials are re-authorized in a browser", c.Name, u.Username, c.Kind)
	}
	m, err := reg.Material(ctx, c)
	if err != nil && warden.ErrorKind(err) != warden.EINVALID {
		return nil, err // a material lacking the refresh token is what we fix
	}
	client, err := reg.Client(ctx, c.Org)
	if err != nil {
		return nil, err
	}
	return &reauth{user: u, cred: c, material: m, client: client}, nil
}

// store checks that tok is the user's, stores its refresh token as the
// credential's current secret version (keeping the consumer secret),
// marks the credential rotated and makes the registry forget the old
// session. A token of another user is revoked.
func (t *reauth) store(ctx context.Context, reg *credential.Registry, creds warden.CredentialService, tok *salesforce.Token) error {
	u, c, m := t.user, t.cred, t.material
	if u.UserID != "" && tok.UserID != "" && !sameID(u.UserID, tok.UserID) {
		t.client.Revoke(ctx, tok.RefreshToken)
		return warden.Errorf(warden.EINVALID, "the browser logged in as user %s, not %s (%s): the new token was revoked; log in as %s", tok.UserID, u.Username, u.UserID, u.Username)
	}
	m.RefreshToken = tok.RefreshToken
	if _, err := reg.PutMaterial(ctx, c, m, warden.StageCurrent); err != nil {
		return err
	}
	// A new version of the credential: the monitor checks it again at
	// once instead of holding the rejection of the old one.
	c.RotatedAt = time.Now()
	if err := creds.UpsertCredential(ctx, c); err != nil {
		return err
	}
	reg.Forget(c.Name)
	return nil
}

// sameID compares Salesforce ids, 15 or 18 characters.
func sameID(a, b string) bool {
	n := min(len(a), len(b), 15)
	return a[:n] == b[:n]
}

// findUser returns the user of org and username, or of username alone.
func findUser(ctx context.Context, users warden.UserService, org, username string) (*warden.IntegrationUser, error) {
	if org != "" {
		return users.User(ctx, org, username)
	}
	all, err := users.Users(ctx, warden.UserFilter{})
	if err != nil {
		return nil, err
	}
	var found *warden.IntegrationUser
	for _, u := range all {
		if strings.EqualFold(u.Username, username) {
			if found != nil {
				return nil, warden.Errorf(warden.EINVALID, "user %s is in orgs %s and %s: name the org", username, found.Org, u.Org)
			}
			found = u
		}
	}
	if found == nil {
		return nil, warden.Errorf(warden.ENOTFOUND, "no integration user %q in the inventory", username)
	}
	return found, nil
}

// approvalsBefore warns when the user already holds MaxApprovals refresh
// tokens of an app, so that the approval about to be made revokes the
// oldest one (perhaps another installation's). It reads OauthToken through
// the org's monitoring credential and says nothing when it cannot.
func approvalsBefore(ctx context.Context, o ReauthOptions, u *warden.IntegrationUser, c *warden.Credential) string {
	org, err := o.Orgs.Org(ctx, c.Org)
	if err != nil || org.MonitoringCredential == "" {
		return ""
	}
	mon, err := o.Registry.Session(ctx, org.MonitoringCredential)
	if err != nil {
		return ""
	}
	id := u.UserID
	if id == "" {
		users, err := salesforce.Users("WHERE Username = "+salesforce.Quote(u.Username)).Read(ctx, mon)
		if err != nil || len(users) != 1 {
			return ""
		}
		id = users[0].ID
	}
	hs, err := readTokenHealth(ctx, mon, id)
	if err != nil {
		return ""
	}
	var full []string
	for _, h := range hs {
		if h.Approvals >= MaxApprovals {
			full = append(full, fmt.Sprintf("%s already holds %d refresh tokens of %s, the most Salesforce keeps: approving %s again silently revokes the oldest one", u.Username, h.Approvals, h.App, h.App))
		}
	}
	return strings.Join(full, "; ")
}
