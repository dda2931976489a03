package salesforce_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/salesforce"
)

// TestSecretsNeverInErrors provokes failures of every kind while secrets
// are in play and checks that no password, security token, client secret,
// access or refresh token or JWT assertion shows in any rendering of the
// errors.
func TestSecretsNeverInErrors(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	secrets := append([]string{wrongPassword}, allSecrets...)
	var errs []error
	add := func(err error) {
		t.Helper()
		if err == nil {
			t.Fatal("expected an error")
		}
		errs = append(errs, err)
	}

	// Logins refused.
	_, err := e.c.PasswordGrant(ctx, wardenKey, wardenSecret, legacyUser, wrongPassword)
	add(err)
	_, err = e.c.PasswordGrant(ctx, wardenKey, "x"+wardenSecret, legacyUser, legacyPass+legacyToken)
	add(err)
	_, err = e.c.ClientCredentials(ctx, wardenKey, wardenSecret+"x")
	add(err)
	_, err = e.c.Refresh(ctx, salesforce.RefreshGrant{ClientID: wardenKey, ClientSecret: wardenSecret, RefreshToken: seedRefreshTok + "x"})
	add(err)
	secrets = append(secrets, seedRefreshTok+"x")
	g := e.jwtGrant(integUser)
	_, g.Key, _ = keys(t)
	_, err = e.c.JWTBearer(ctx, g)
	add(err)
	_, _, err = e.c.SOAPLogin(ctx, legacyUser, wrongPassword)
	add(err)
	_, _, err = e.c.SOAPLogin(ctx, legacyUser, legacyPass)
	add(err)
	_, _, err = e.c.SOAPLogin(ctx, legacyUser, "<"+legacyPass+"&>")
	add(err)
	_, err = e.c.ExchangeCode(ctx, wardenKey, wardenSecret, callbackURL, "aPrxNoSuchCode0123456789", "verifier0123456789verifier0123456789abcdefgh")
	add(err)
	secrets = append(secrets, "aPrxNoSuchCode0123456789", "verifier0123456789verifier0123456789abcdefgh")

	// Sessions with live tokens failing in various ways.
	s := e.jwtSession(integUser)
	tok, err := s.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, tok.AccessToken)
	_, err = s.Query(ctx, "SELECT Id FROM "+invoiceObject, nil)
	add(err)
	_, err = s.UserPassword(ctx, e.userID(adminUser))
	add(err)
	_, err = e.c.Introspect(ctx, wardenKey, wardenSecret+"x", tok.AccessToken)
	add(err)
	add(e.c.Revoke(ctx, tok.AccessToken+"x"))
	admin := e.admin()
	add(admin.SetUserPassword(ctx, e.userID(legacyUser), "weakpw"))
	secrets = append(secrets, "weakpw")
	e.fault(emulator.Fault{Path: "/services/data/", Kind: "drop", Count: 100})
	_, err = s.Query(ctx, "SELECT Id FROM Account WHERE Name = '"+tok.AccessToken+"'", nil) // a token in the URL, too
	add(err)
	e.control(http.MethodDelete, "faults", nil)
	e.fault(emulator.Fault{Path: "/services/oauth2/token", Kind: "drop", Count: 100})
	_, err = e.c.PasswordGrant(ctx, wardenKey, wardenSecret, legacyUser, legacyPass+legacyToken)
	add(err)
	e.control(http.MethodDelete, "faults", nil)
	dead := &salesforce.Token{AccessToken: tok.OrgID + "!AQdeadSessionSecretValue", InstanceURL: e.emu.URL, UserID: tok.UserID}
	secrets = append(secrets, dead.AccessToken)
	_, err = salesforce.NewSession(e.c, salesforce.AuthFunc(func(context.Context) (*salesforce.Token, error) { return dead, nil })).
		Query(ctx, "SELECT Id FROM User", nil)
	add(err)
	add(e.c.SOAPSetPassword(ctx, dead, dead.UserID, "N3w-Passw0rd!"))
	secrets = append(secrets, "N3w-Passw0rd!")

	// A rotation whose persisting fails with an error naming the token.
	var rotated string
	ra := &salesforce.RefreshAuth{Client: e.c, ClientID: rotatingKey, ClientSecret: rotatingSecret, RefreshToken: rotRefreshToken,
		OnRotate: func(_ context.Context, rt string) error {
			rotated = rt
			return fmt.Errorf("vault refused to store %s", rt)
		}}
	_, err = salesforce.NewSession(e.c, ra).Query(ctx, "SELECT Id FROM Account", nil)
	add(err)
	secrets = append(secrets, rotated)

	// Diagnosed errors.
	_, err = e.c.PasswordGrant(ctx, wardenKey, wardenSecret, legacyUser, legacyPass)
	add(salesforce.Diagnose(ctx, admin, legacyUser, err))

	// Every assertion and token the client sent.
	for _, r := range e.rec.requests("/") {
		for _, k := range []string{"assertion", "password", "client_secret", "refresh_token", "code_verifier", "token"} {
			if v := r.Form.Get(k); v != "" {
				secrets = append(secrets, v)
			}
		}
		if tok, ok := strings.CutPrefix(r.Auth, "Bearer "); ok {
			secrets = append(secrets, tok)
		}
	}

	for i, err := range errs {
		var wd *warden.Error
		errors.As(err, &wd)
		renderings := []string{fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%s", err), fmt.Sprintf("%q", err),
			fmt.Sprintf("%#v", err), err.Error(), warden.ErrorMessage(err), wd.Error()}
		for _, r := range renderings {
			for _, sec := range secrets {
				if sec != "" && strings.Contains(r, sec) {
					t.Errorf("error %d (%v) shows a secret %q...", i, sfError(t, err).Code, sec[:min(6, len(sec))])
				}
			}
		}
		if wd == nil || wd.Kind == "" {
			t.Errorf("error %d does not unwrap to a *warden.Error", i)
		}
	}
	t.Logf("%d errors checked against %d secrets", len(errs), len(secrets))
}

// TestTokenStringHidesSecrets: a Token may be logged.
func TestTokenStringHidesSecrets(t *testing.T) {
	tok := salesforce.Token{AccessToken: "00D000000000001AAA!AQsecret", RefreshToken: "5Aep861secret", OrgID: "00D000000000001AAA"}
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v", &tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok)} {
		if strings.Contains(s, "secret") {
			t.Errorf("token rendering shows a secret: %s", s)
		}
	}
}
