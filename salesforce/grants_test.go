package salesforce_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// checkToken checks the fields every successful grant fills.
func checkToken(t *testing.T, e *env, tok *salesforce.Token, username string) {
	t.Helper()
	if tok == nil {
		t.Fatal("token is nil")
	}
	if !strings.HasPrefix(tok.AccessToken, "00D") || !strings.Contains(tok.AccessToken, "!") {
		t.Errorf("AccessToken is not shaped <org id>!<opaque>")
	}
	if tok.InstanceURL != e.emu.URL {
		t.Errorf("InstanceURL = %q, want %q", tok.InstanceURL, e.emu.URL)
	}
	if want := e.userID(username); tok.UserID != want {
		t.Errorf("UserID = %q, want %q", tok.UserID, want)
	}
	if !strings.HasPrefix(tok.OrgID, "00D") || !strings.HasPrefix(tok.AccessToken, tok.OrgID) {
		t.Errorf("OrgID = %q, does not start the access token", tok.OrgID)
	}
	if want := e.emu.URL + "/id/" + tok.OrgID + "/" + tok.UserID; tok.IdentityURL != want {
		t.Errorf("IdentityURL = %q, want %q", tok.IdentityURL, want)
	}
	if d := time.Since(tok.IssuedAt); d < -time.Minute || d > time.Minute {
		t.Errorf("IssuedAt = %v, not now", tok.IssuedAt)
	}
	// The token works.
	s := salesforce.NewSession(e.c, salesforce.AuthFunc(func(context.Context) (*salesforce.Token, error) { return tok, nil }))
	info, err := s.UserInfo(testCtx(t))
	if err != nil {
		t.Fatalf("UserInfo with the new token: %+v", err)
	}
	if info.PreferredUsername != username {
		t.Errorf("token logs in as %q, want %q", info.PreferredUsername, username)
	}
}

func TestJWTBearer(t *testing.T) {
	e := newEnv(t)
	tok, err := e.c.JWTBearer(testCtx(t), e.jwtGrant(integUser))
	if err != nil {
		t.Fatalf("JWTBearer: %+v", err)
	}
	checkToken(t, e, tok, integUser)
	if tok.RefreshToken != "" {
		t.Errorf("JWT bearer returned a refresh token")
	}

	// The assertion: RS256, iss/sub/aud, exp in whole seconds about TTL ahead.
	reqs := e.rec.requests("/services/oauth2/token")
	if len(reqs) != 1 {
		t.Fatalf("%d token requests, want 1", len(reqs))
	}
	form := reqs[0].Form
	if got := form.Get("grant_type"); got != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		t.Errorf("grant_type = %q", got)
	}
	if form.Has("client_id") || form.Has("client_secret") {
		t.Errorf("JWT grant sent client credentials: %v", form)
	}
	assertion := form.Get("assertion")
	tokJWT, _, err := jwt.NewParser().ParseUnverified(assertion, jwt.MapClaims{})
	if err != nil {
		t.Fatalf("parsing the assertion: %v", err)
	}
	if tokJWT.Method.Alg() != "RS256" {
		t.Errorf("alg = %s, want RS256", tokJWT.Method.Alg())
	}
	parts := strings.Split(assertion, ".")
	payload, _ := jwt.NewParser().DecodeSegment(parts[1])
	var raw map[string]json.RawMessage
	json.Unmarshal(payload, &raw)
	var exp int64
	if err := json.Unmarshal(raw["exp"], &exp); err != nil {
		t.Fatalf("exp = %s, not an integer: %v", raw["exp"], err)
	}
	if d := time.Until(time.Unix(exp, 0)); d < 2*time.Minute || d > 3*time.Minute+5*time.Second {
		t.Errorf("exp = %d is %v from now, want about 3m (seconds, not milliseconds)", exp, d)
	}
	claims := tokJWT.Claims.(jwt.MapClaims)
	if claims["iss"] != wardenKey || claims["sub"] != integUser || claims["aud"] != e.emu.URL {
		t.Errorf("claims = %v, want iss=%s sub=%s aud=%s", claims, wardenKey, integUser, e.emu.URL)
	}

	// A custom TTL and an accepted explicit audience.
	g := e.jwtGrant(integUser)
	g.TTL, g.Audience = 10*time.Minute, "https://login.salesforce.com"
	if _, err := e.c.JWTBearer(testCtx(t), g); err != nil {
		t.Fatalf("JWTBearer with aud login.salesforce.com: %+v", err)
	}
	// No key: refused locally, no request.
	n := len(e.rec.requests("/services/oauth2/token"))
	g.Key = nil
	_, err = e.c.JWTBearer(testCtx(t), g)
	if se := sfError(t, err); warden.ErrorKind(err) != warden.EINVALID || se.Cause != warden.CauseNone {
		t.Errorf("no key: kind %q cause %q, want invalid, none", warden.ErrorKind(err), se.Cause)
	}
	if len(e.rec.requests("/services/oauth2/token")) != n {
		t.Errorf("a request was sent without a key")
	}
}

func TestClientCredentials(t *testing.T) {
	e := newEnv(t)
	tok, err := e.c.ClientCredentials(testCtx(t), wardenKey, wardenSecret)
	if err != nil {
		t.Fatalf("ClientCredentials: %+v", err)
	}
	checkToken(t, e, tok, integUser) // the app's run-as user
	_, err = e.c.ClientCredentials(testCtx(t), wardenKey, "wrong-secret")
	wantCause(t, err, warden.CauseCredentialRejected)
}

func TestRefresh(t *testing.T) {
	e := newEnv(t)
	tok, err := e.c.Refresh(testCtx(t), salesforce.RefreshGrant{ClientID: wardenKey, ClientSecret: wardenSecret, RefreshToken: seedRefreshTok})
	if err != nil {
		t.Fatalf("Refresh: %+v", err)
	}
	checkToken(t, e, tok, adminUser)
	if tok.RefreshToken != "" {
		t.Errorf("non-rotating app returned a new refresh token")
	}
	// Without the optional secret.
	if _, err := e.c.Refresh(testCtx(t), salesforce.RefreshGrant{ClientID: wardenKey, RefreshToken: seedRefreshTok}); err != nil {
		t.Fatalf("Refresh without secret: %+v", err)
	}
	_, err = e.c.Refresh(testCtx(t), salesforce.RefreshGrant{ClientID: wardenKey, RefreshToken: "5Aep861NoSuchToken"})
	wantCause(t, err, warden.CauseRefreshTokenRevoked)
	_, err = e.c.Refresh(testCtx(t), salesforce.RefreshGrant{ClientID: wardenKey, ClientSecret: "wrong", RefreshToken: seedRefreshTok})
	wantCause(t, err, warden.CauseCredentialRejected)
}

// authorize completes the authorization page without a browser: it posts
// the username and password to the URL AuthCodeURL returned and reads the
// code from the redirect.
func authorize(t *testing.T, e *env, authURL, username, password string) url.Values {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	form := u.Query()
	form.Set("username", username)
	form.Set("password", password)
	resp, err := e.emu.HTTP.PostForm(u.Scheme+"://"+u.Host+u.Path, form) // does not follow redirects
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: status %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(loc.String(), callbackURL) {
		t.Fatalf("redirected to %s, want the callback", loc)
	}
	return loc.Query()
}

func TestAuthorizationCodePKCE(t *testing.T) {
	e := newEnv(t)
	authURL, verifier := e.c.AuthCodeURL(wardenKey, callbackURL, "state-123", "api id refresh_token")
	u, _ := url.Parse(authURL)
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("response_type") != "code" {
		t.Fatalf("authorize URL lacks PKCE S256: %s", authURL)
	}
	if len(verifier) < 43 || len(verifier) > 128 {
		t.Errorf("verifier length %d outside RFC 7636's 43..128", len(verifier))
	}
	// The emulator asks for the security token on the login page too (from
	// an untrusted address), so the page gets password + token.
	back := authorize(t, e, authURL, adminUser, adminPass+adminToken)
	if back.Get("state") != "state-123" {
		t.Errorf("state = %q", back.Get("state"))
	}
	code := back.Get("code")

	// A wrong verifier is refused (and burns the code).
	_, err := e.c.ExchangeCode(testCtx(t), wardenKey, wardenSecret, callbackURL, code, verifier+"x")
	se := wantCause(t, err, warden.CauseCredentialRejected)
	if se.Code != "invalid_grant" || se.Message != "invalid code verifier" {
		t.Errorf("wrong verifier: %q %q", se.Code, se.Message)
	}

	authURL, verifier = e.c.AuthCodeURL(wardenKey, callbackURL, "s2", "api id refresh_token")
	code = authorize(t, e, authURL, adminUser, adminPass+adminToken).Get("code")
	tok, err := e.c.ExchangeCode(testCtx(t), wardenKey, "", callbackURL, code, verifier) // PKCE: no secret needed
	if err != nil {
		t.Fatalf("ExchangeCode: %+v", err)
	}
	checkToken(t, e, tok, adminUser)
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token for scope refresh_token")
	}
	// The refresh token works; the code is single-use.
	if _, err := e.c.Refresh(testCtx(t), salesforce.RefreshGrant{ClientID: wardenKey, RefreshToken: tok.RefreshToken}); err != nil {
		t.Fatalf("Refresh with the new refresh token: %+v", err)
	}
	_, err = e.c.ExchangeCode(testCtx(t), wardenKey, wardenSecret, callbackURL, code, verifier)
	se = wantCause(t, err, warden.CauseCredentialRejected)
	if se.Message != "expired authorization code" {
		t.Errorf("reused code: %q", se.Message)
	}
}

func TestPasswordGrant(t *testing.T) {
	e := newEnv(t)
	//lint:ignore SA1019 the legacy flow is under test
	tok, err := e.c.PasswordGrant(testCtx(t), wardenKey, wardenSecret, legacyUser, legacyPass+legacyToken)
	if err != nil {
		t.Fatalf("PasswordGrant: %+v", err)
	}
	checkToken(t, e, tok, legacyUser)
	//lint:ignore SA1019 the legacy flow is under test
	_, err = e.c.PasswordGrant(testCtx(t), wardenKey, wardenSecret, legacyUser, wrongPassword)
	se := wantCause(t, err, warden.CauseCredentialRejected)
	if se.Code != "invalid_grant" || se.Message != "authentication failure" {
		t.Errorf("wrong password: %q %q", se.Code, se.Message)
	}
}

func TestSOAPLogin(t *testing.T) {
	e := newEnv(t)
	//lint:ignore SA1019 the legacy flow is under test
	tok, expired, err := e.c.SOAPLogin(testCtx(t), legacyUser, legacyPass+legacyToken)
	if err != nil {
		t.Fatalf("SOAPLogin: %+v", err)
	}
	if expired {
		t.Error("passwordExpired = true for a fresh password")
	}
	checkToken(t, e, tok, legacyUser)

	// XML-special characters in credentials are escaped, not injected.
	_, _, err = e.c.SOAPLogin(testCtx(t), legacyUser+"</username><password>x", "<&>'\"")
	wantCause(t, err, warden.CauseCredentialRejected)

	// An expired password logs in with passwordExpired=true; the restricted
	// session can set the password, after which logins are normal.
	e.patchUser(legacyUser, map[string]any{"passwordExpired": true})
	tok, expired, err = e.c.SOAPLogin(testCtx(t), legacyUser, legacyPass+legacyToken)
	if err != nil || !expired {
		t.Fatalf("SOAPLogin with expired password: expired=%t err=%+v", expired, err)
	}
	const newPass = "N3w-Passw0rd!"
	if err := e.c.SOAPSetPassword(testCtx(t), tok, tok.UserID, newPass); err != nil {
		t.Fatalf("SOAPSetPassword: %+v", err)
	}
	var mail []struct{ SecurityToken string }
	e.emu.Control(t, http.MethodGet, "mailbox/"+legacyUser, nil, &mail)
	if len(mail) == 0 || mail[len(mail)-1].SecurityToken == "" {
		t.Fatal("no new security token mailed after setPassword")
	}
	newToken := mail[len(mail)-1].SecurityToken
	if _, expired, err = e.c.SOAPLogin(testCtx(t), legacyUser, newPass+newToken); err != nil || expired {
		t.Fatalf("SOAPLogin after setPassword: expired=%t err=%+v", expired, err)
	}

	// An admin resets another user's password over SOAP.
	admin, _, err := e.c.SOAPLogin(testCtx(t), adminUser, adminPass+adminToken)
	if err != nil {
		t.Fatal(err)
	}
	tmp, err := e.c.SOAPResetPassword(testCtx(t), admin, e.userID(integUser))
	if err != nil || tmp == "" {
		t.Fatalf("SOAPResetPassword: %q %+v", tmp, err)
	}
	// A password the policy refuses is a plain invalid request.
	err = e.c.SOAPSetPassword(testCtx(t), admin, e.userID(integUser), "short")
	if se := sfError(t, err); se.Code != "INVALID_NEW_PASSWORD" || se.Cause != warden.CauseNone || warden.ErrorKind(err) != warden.EINVALID {
		t.Errorf("weak SOAP password: %+v", err)
	}
	// A bad session is refused.
	bad := *admin
	bad.AccessToken = tok.OrgID + "!AQnotasession"
	_, err = e.c.SOAPResetPassword(testCtx(t), &bad, e.userID(integUser))
	se := wantCause(t, err, warden.CauseCredentialRejected)
	if se.Code != "INVALID_SESSION_ID" {
		t.Errorf("bad session: code %q", se.Code)
	}
}

func TestRevokeAndIntrospect(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	s := e.jwtSession(integUser)
	tok, err := s.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.Introspect(ctx, wardenKey, wardenSecret, tok.AccessToken)
	if err != nil {
		t.Fatalf("Introspect: %+v", err)
	}
	if !in.Active || in.Username != integUser || in.ClientID != wardenKey || in.TokenType != "access_token" || in.ExpiresAt.Before(time.Now()) {
		t.Errorf("Introspect(active token) = %+v", in)
	}
	in, err = e.c.Introspect(ctx, wardenKey, wardenSecret, seedRefreshTok)
	if err != nil || !in.Active || in.TokenType != "refresh_token" {
		t.Errorf("Introspect(refresh token) = %+v, %v", in, err)
	}
	_, err = e.c.Introspect(ctx, wardenKey, "wrong", tok.AccessToken)
	wantCause(t, err, warden.CauseCredentialRejected)

	if err := s.Revoke(ctx, tok.AccessToken); err != nil {
		t.Fatalf("Revoke: %+v", err)
	}
	if in, err = e.c.Introspect(ctx, wardenKey, wardenSecret, tok.AccessToken); err != nil || in.Active {
		t.Errorf("Introspect(revoked) = %+v, %v; want inactive", in, err)
	}
	if err := e.c.Revoke(ctx, seedRefreshTok); err != nil {
		t.Fatalf("Revoke(refresh token): %+v", err)
	}
	_, err = e.c.Refresh(ctx, salesforce.RefreshGrant{ClientID: wardenKey, RefreshToken: seedRefreshTok})
	wantCause(t, err, warden.CauseRefreshTokenRevoked)
	err = e.c.Revoke(ctx, "no-such-token")
	if se := sfError(t, err); se.Code != "invalid_token" || se.Status != 400 {
		t.Errorf("Revoke(unknown) = %+v", err)
	}
}
