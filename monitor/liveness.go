package monitor

import (
	"context"

	"github.com/wardenhq/warden/salesforce"
)

// LivenessCheck returns a check that proves a credential can still mint a
// session: it logs in with auth and revokes the new access token at once,
// so checks leave no sessions behind. Each check is one login of the user,
// which is why checks run on a slow schedule.
func LivenessCheck(c *salesforce.Client, auth salesforce.Authenticator) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		tok, err := auth.Authenticate(ctx)
		if err != nil {
			return err
		}
		c.Revoke(context.WithoutCancel(ctx), tok.AccessToken) // best effort
		return nil
	}
}
