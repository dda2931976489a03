package credential

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// Onboarding is an org about to be added to the inventory with its
// monitoring credential. The messages of Connect name the flags of
// "warden org add", the command that onboards today.
type Onboarding struct {
	// Org is the org to add; Connect fills in OrgID and InstanceURL.
	Org *warden.Org
	// Credential is its monitoring credential; Connect fills in Username
	// when it is empty (client credentials and web logins learn it).
	Credential *warden.Credential
	// Material is the credential's secret; a rotated refresh token
	// replaces Material.RefreshToken during Connect.
	Material warden.Material
	// Client is the client of Org.LoginURL (Registry.NewClient).
	Client *salesforce.Client
	// Minted is true when Warden created the refresh token itself
	// (WebLogin): it is revoked if the org cannot be added.
	Minted bool
}

var userIDRE = regexp.MustCompile(`^005[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$`)

// Connect logs in with the new credential, learns the org id, instance URL
// and username, and only then writes the secret (current version), the
// org and the credential; nothing is written when anything fails, and a
// minted refresh token is then revoked. Afterwards n.Client is the org's
// client in the registry and the credential's session is built afresh.
func (r *Registry) Connect(ctx context.Context, n *Onboarding) (err error) {
	logger := r.logger
	defer func() {
		if err != nil && n.Minted && n.Material.RefreshToken != "" {
			// Best effort: a token nobody will use should not live on.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if rerr := n.Client.Revoke(rctx, n.Material.RefreshToken); rerr == nil {
				logger.Info("revoked the refresh token of the failed org add", "org", n.Org.Name)
			}
		}
	}()
	who := n.Credential.Username
	switch {
	case who != "":
	case n.Credential.Kind == warden.CredentialClientCredentials:
		who = "the app's run-as user"
	default:
		who = "the authorized user"
	}
	auth, err := salesforce.NewAuthenticator(n.Client, n.Credential, n.Material, func(_ context.Context, token string) error {
		n.Material.RefreshToken = token // the app rotates refresh tokens: keep the newest
		return nil
	})
	if err != nil {
		return err
	}
	sess := salesforce.NewSession(n.Client, auth)
	tok, err := sess.Token(ctx)
	if err != nil {
		return &warden.Error{Kind: warden.ErrorKind(err), Message: fmt.Sprintf("logging in to %s as %s with the %s credential failed: %s",
			n.Org.LoginURL, who, n.Credential.Kind, warden.ErrorMessage(err)), Err: err}
	}
	logger.Info("logged in", "org", n.Org.Name, "orgId", tok.OrgID, "instanceUrl", tok.InstanceURL, "userId", tok.UserID, "kind", n.Credential.Kind)
	if userIDRE.MatchString(tok.UserID) {
		res, err := sess.Query(ctx, "SELECT Username FROM User WHERE Id = '"+tok.UserID+"'", nil)
		if err != nil {
			return fmt.Errorf("reading the username of the logged-in user: %w", err)
		}
		if len(res.Records) == 1 {
			got := res.Records[0].String("Username")
			if n.Credential.Username != "" && !strings.EqualFold(got, n.Credential.Username) {
				return warden.Errorf(warden.ECONFLICT, "the login reached user %s, not %s", got, n.Credential.Username)
			}
			n.Credential.Username = got
		}
	}
	if n.Credential.Username == "" && n.Credential.Kind != warden.CredentialClientCredentials {
		return warden.Errorf(warden.EUNAVAILABLE, "could not learn which user the login reached (no user id in the token)")
	}
	n.Org.OrgID, n.Org.InstanceURL = tok.OrgID, tok.InstanceURL

	existing, err := r.orgs.Org(ctx, n.Org.Name)
	switch {
	case err == nil && existing.OrgID != "" && existing.OrgID != tok.OrgID:
		return warden.Errorf(warden.ECONFLICT, "org %q is already in the inventory as Salesforce org %s, but this login reached org %s; give another --name",
			n.Org.Name, existing.OrgID, tok.OrgID)
	case err != nil && warden.ErrorKind(err) != warden.ENOTFOUND:
		return err
	case err != nil:
		existing = nil
	}
	if err := n.Credential.Validate(); err != nil {
		return err
	}
	if err := n.Material.Check(n.Credential.Kind); err != nil {
		return err
	}
	// Write: the secret, then the org, then the credential (the org must
	// exist first); undo the org if the credential cannot be written.
	if _, err := r.PutMaterial(ctx, n.Credential, n.Material, warden.StageCurrent); err != nil {
		return fmt.Errorf("writing the secret to secret store %s: %w", n.Credential.Secret.Store, err)
	}
	logger.Info("secret stored", "store", n.Credential.Secret.Store, "key", n.Credential.Secret.Key)
	if err := r.orgs.UpsertOrg(ctx, n.Org); err != nil {
		return err
	}
	if err := r.creds.UpsertCredential(ctx, n.Credential); err != nil {
		if existing != nil {
			r.orgs.UpsertOrg(ctx, existing)
		} else {
			r.orgs.DeleteOrg(ctx, n.Org.Name)
		}
		return err
	}
	r.adopt(n.Org.Name, n.Client, n.Credential.Name)
	logger.Info("org added", "org", n.Org.Name, "credential", n.Credential.Name)
	return nil
}
