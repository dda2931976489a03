package emulator_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestPasswordGrantSuccessShape(t *testing.T) {
	e := start(t)
	r := e.token(passwordGrant(adminUser, adminPass+adminToken))
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d %s", r.status, r.body)
	}
	m := r.object(t)
	// sfdx-core's token regex and id URL parsing.
	if !regexp.MustCompile(`^(00D\w{12,15})![.\w]*$`).MatchString(m["access_token"].(string)) {
		t.Errorf("access_token %q does not look like a Salesforce session id", m["access_token"])
	}
	if !strings.HasPrefix(m["access_token"].(string), orgID+"!") {
		t.Errorf("access_token does not start with the org id")
	}
	id := m["id"].(string)
	parts := strings.Split(id, "/")
	if m["instance_url"] != e.URL || parts[len(parts)-2] != orgID || !strings.HasPrefix(parts[len(parts)-1], "005") {
		t.Errorf("instance_url %v id %v", m["instance_url"], id)
	}
	if m["token_type"] != "Bearer" || m["signature"] == "" {
		t.Errorf("token_type/signature: %v", m)
	}
	if ms, err := strconv.ParseInt(m["issued_at"].(string), 10, 64); err != nil || time.Since(time.UnixMilli(ms)) > time.Minute {
		t.Errorf("issued_at %v is not epoch milliseconds", m["issued_at"])
	}
	if _, ok := m["refresh_token"]; ok {
		t.Errorf("password flow must not return a refresh token")
	}
}

func TestTokenErrors(t *testing.T) {
	e := start(t)
	e.Control(t, "PATCH", "orgs/Acme/users/noapi@acme.test", map[string]any{"active": false}, nil)
	tests := []struct {
		name string
		form url.Values
		code string
		desc string
	}{
		{"bad password", passwordGrant(adminUser, "wrong"), "invalid_grant", "authentication failure"},
		{"unknown user", passwordGrant("nobody@acme.test", "x"), "invalid_grant", "authentication failure"},
		{"missing token from untrusted IP", passwordGrant(adminUser, adminPass), "invalid_grant", "authentication failure"},
		{"inactive user", passwordGrant("noapi@acme.test", "NoApi-Passw0rd1NOAPITOKEN"), "invalid_grant", "inactive user"},
		{"outside login IP range", passwordGrant(legacyUser, legacyPass+legacyToken), "invalid_grant", "IP restricted or invalid login hours"},
		{"unknown client", url.Values{"grant_type": {"password"}, "client_id": {"nope"}, "client_secret": {"x"}, "username": {adminUser}, "password": {"x"}}, "invalid_client_id", "client identifier invalid"},
		{"wrong secret", url.Values{"grant_type": {"password"}, "client_id": {appKey}, "client_secret": {"x"}, "username": {adminUser}, "password": {"x"}}, "invalid_client", "invalid client credentials"},
		{"revoked refresh token", url.Values{"grant_type": {"refresh_token"}, "client_id": {appKey}, "refresh_token": {"5AepNOPE"}}, "invalid_grant", "expired access/refresh token"},
		{"missing grant type", url.Values{}, "invalid_request", "grant type is missing"},
		{"unsupported grant type", url.Values{"grant_type": {"magic"}}, "unsupported_grant_type", "grant type not supported"},
		{"expired code", url.Values{"grant_type": {"authorization_code"}, "code": {"nope"}, "client_id": {appKey}}, "invalid_grant", "expired authorization code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.token(tt.form)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			m := r.object(t)
			if m["error"] != tt.code || m["error_description"] != tt.desc {
				t.Errorf("got %v / %v, want %s / %s", m["error"], m["error_description"], tt.code, tt.desc)
			}
		})
	}
}

func TestTrustedIPNeedsNoToken(t *testing.T) {
	e := start(t)
	// 127.0.0.1 is not trusted in the test seed: the token is required.
	if r := e.token(passwordGrant(adminUser, adminPass)); r.status != 400 {
		t.Fatalf("untrusted IP without token: %d", r.status)
	}
	e.Control(t, "PATCH", "orgs/Acme/users/"+adminUser, map[string]any{"passwordLocked": false}, nil)
	var hist map[string]any
	hist = e.query(e.admin(), "SELECT Status FROM LoginHistory WHERE Status = 'Failed: API security token required'")
	if hist["totalSize"].(float64) != 1 {
		t.Errorf("want one 'Failed: API security token required' row, got %v", hist["totalSize"])
	}
}

func TestLockoutAfterFailedPasswords(t *testing.T) {
	e := start(t)
	for i := 0; i < 3; i++ {
		e.token(passwordGrant(intUser, "wrong"))
	}
	// Locked: even the right password fails now.
	if r := e.token(passwordGrant(intUser, intPass+intToken)); r.status != 400 {
		t.Fatalf("locked user logged in: %s", r.body)
	}
	admin := e.admin()
	rows := records(e.query(admin, "SELECT IsPasswordLocked FROM UserLogin WHERE UserId IN (SELECT Id FROM User WHERE Username = '"+intUser+"')"))
	if len(rows) != 1 || rows[0]["IsPasswordLocked"] != true {
		t.Fatalf("UserLogin: %v", rows)
	}
	statuses := records(e.query(admin, "SELECT Status FROM LoginHistory WHERE UserId IN (SELECT Id FROM User WHERE Username = '"+intUser+"') ORDER BY LoginTime DESC"))
	// Newest first: the refused right password, the lockout, two bad ones.
	if len(statuses) != 4 || statuses[0]["Status"] != "Password Lockout" || statuses[1]["Status"] != "Password Lockout" || statuses[2]["Status"] != "Invalid Password" {
		t.Errorf("LoginHistory statuses: %v", statuses)
	}
	// The lockout interval ends it.
	e.Advance(16 * time.Minute)
	if r := e.token(passwordGrant(intUser, intPass+intToken)); r.status != 200 {
		t.Fatalf("after lockout interval: %d %s", r.status, r.body)
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := start(t)
	e.Control(t, "POST", "orgs/Acme/users/"+intUser+"/logins", map[string]any{"count": 3600}, nil)
	r := e.token(passwordGrant(intUser, intPass+intToken))
	if m := r.object(t); r.status != 400 || m["error"] != "rate_limit_exceeded" {
		t.Fatalf("3601st login: %d %s", r.status, r.body)
	}
	rows := records(e.query(e.admin(), "SELECT Status FROM LoginHistory WHERE Status = 'Login Rate Exceeded'"))
	if len(rows) != 1 {
		t.Errorf("want one 'Login Rate Exceeded' row, got %d", len(rows))
	}
	e.Advance(61 * time.Minute)
	if r := e.token(passwordGrant(intUser, intPass+intToken)); r.status != 200 {
		t.Fatalf("an hour later: %d %s", r.status, r.body)
	}
}

func TestLoginHoursAndFlowSettings(t *testing.T) {
	e := start(t)
	e.Control(t, "PATCH", "orgs/Acme/settings", map[string]any{"usernamePasswordFlowAllowed": false}, nil)
	if m := e.token(passwordGrant(intUser, intPass+intToken)).object(t); m["error_description"] != "authentication failure" {
		t.Fatalf("flow disabled: %v", m)
	}
	e.Control(t, "PATCH", "orgs/Acme/settings", map[string]any{"usernamePasswordFlowAllowed": true}, nil)
	rows := records(e.query(e.admin(), "SELECT Status FROM LoginHistory WHERE Status = 'Username-Password Flow Disabled'"))
	if len(rows) != 1 {
		t.Errorf("want a 'Username-Password Flow Disabled' row, got %v", rows)
	}
}

func signJWT(t testing.TB, claims jwt.MapClaims) string {
	key, _ := jwtKey(t)
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJWTBearer(t *testing.T) {
	e := start(t)
	now := time.Now()
	grant := func(c jwt.MapClaims) response {
		return e.token(url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {signJWT(t, c)}})
	}
	base := func(exp any, aud string) jwt.MapClaims {
		return jwt.MapClaims{"iss": appKey, "sub": intUser, "aud": aud, "exp": exp}
	}
	ok := []struct {
		name   string
		claims jwt.MapClaims
	}{
		{"exp seconds number", base(now.Add(3*time.Minute).Unix(), e.URL)},
		{"exp seconds string", base(strconv.FormatInt(now.Add(3*time.Minute).Unix(), 10), e.URL)},
		{"exp milliseconds (sfdx-core)", base(now.Add(3*time.Minute).UnixMilli(), e.URL)},
		{"audience with trailing slash", base(now.Add(time.Minute).Unix(), e.URL+"/")},
		{"audience login.salesforce.com", base(now.Add(time.Minute).Unix(), "https://login.salesforce.com")},
		{"audience test.salesforce.com", base(now.Add(time.Minute).Unix(), "https://test.salesforce.com")},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			r := grant(tt.claims)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if _, has := r.object(t)["refresh_token"]; has {
				t.Error("JWT flow must not return a refresh token")
			}
		})
	}
	bad := []struct {
		name   string
		claims jwt.MapClaims
		code   string
		desc   string
	}{
		{"wrong audience", base(now.Add(time.Minute).Unix(), "https://evil.example"), "invalid_grant", "Audience validation failed"},
		{"expired", base(now.Add(-time.Minute).Unix(), e.URL), "invalid_grant", "expired assertion"},
		{"unknown issuer", jwt.MapClaims{"iss": "nope", "sub": intUser, "aud": e.URL, "exp": now.Add(time.Minute).Unix()}, "invalid_client_id", "client identifier invalid"},
		{"not pre-authorized", jwt.MapClaims{"iss": approvedKey, "sub": intUser, "aud": e.URL, "exp": now.Add(time.Minute).Unix()}, "invalid_grant", "user hasn't approved this consumer"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			m := grant(tt.claims).object(t)
			if m["error"] != tt.code || m["error_description"] != tt.desc {
				t.Errorf("got %v / %v", m["error"], m["error_description"])
			}
		})
	}
	t.Run("bad signature", func(t *testing.T) {
		a := signJWT(t, base(now.Add(time.Minute).Unix(), e.URL))
		a = a[:len(a)-4] + "AAAA"
		m := e.token(url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {a}}).object(t)
		if m["error_description"] != "invalid assertion" {
			t.Errorf("got %v", m)
		}
	})
	t.Run("pre-authorized admin", func(t *testing.T) {
		r := grant(jwt.MapClaims{"iss": approvedKey, "sub": adminUser, "aud": e.URL, "exp": now.Add(time.Minute).Unix()})
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

func TestClientCredentials(t *testing.T) {
	e := start(t)
	form := url.Values{"grant_type": {"client_credentials"}}
	req, _ := http.NewRequest("POST", e.URL+"/services/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(appKey, appSecret)
	resp, err := e.HTTP.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("basic auth: %v %v", err, resp.StatusCode)
	}
	resp.Body.Close()
	r := e.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {appKey}, "client_secret": {appSecret}})
	m := r.object(t)
	if r.status != 200 || !strings.Contains(m["id"].(string), "/005") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// The run-as user's identity.
	ui := e.do("GET", "/services/oauth2/userinfo", m["access_token"].(string), nil).object(t)
	if ui["preferred_username"] != intUser || ui["is_salesforce_integration_user"] != true {
		t.Errorf("userinfo: %v", ui)
	}
	m = e.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {rotateKey}, "client_secret": {"rotate-secret"}}).object(t)
	if m["error_description"] != "no client credentials user enabled" {
		t.Errorf("app without run-as user: %v", m)
	}
}

func refreshGrant(key, token string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "client_id": {key}, "refresh_token": {token}}
}

func TestRefreshTokenPolicies(t *testing.T) {
	e := start(t)
	t.Run("valid until revoked", func(t *testing.T) {
		r := e.token(refreshGrant(appKey, seedRefresh))
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if _, has := r.object(t)["refresh_token"]; has {
			t.Error("non-rotating app returned a refresh token")
		}
	})
	t.Run("rotation and reuse detection", func(t *testing.T) {
		m := e.token(refreshGrant(rotateKey, shortLivedRT)).object(t)
		next, ok := m["refresh_token"].(string)
		if !ok || next == shortLivedRT {
			t.Fatalf("rotation did not return a new token: %v", m)
		}
		// Reusing the old token fails and revokes the family, new one included.
		if m := e.token(refreshGrant(rotateKey, shortLivedRT)).object(t); m["error_description"] != "expired access/refresh token" {
			t.Fatalf("reuse: %v", m)
		}
		if m := e.token(refreshGrant(rotateKey, next)).object(t); m["error_description"] != "expired access/refresh token" {
			t.Fatalf("family not revoked: %v", m)
		}
	})
	t.Run("expire after hours", func(t *testing.T) {
		var out map[string]string
		e.Control(t, "POST", "orgs/Acme/refresh-tokens", map[string]string{"username": intUser, "app": "Rotating"}, &out)
		e.Advance(2*time.Hour + time.Second)
		if m := e.token(refreshGrant(rotateKey, out["refresh_token"])).object(t); m["error_description"] != "expired access/refresh token" {
			t.Fatalf("expired token accepted: %v", m)
		}
	})
	t.Run("sixth token revokes the oldest", func(t *testing.T) {
		var toks []string
		for i := 0; i < 6; i++ {
			var out map[string]string
			e.Control(t, "POST", "orgs/Acme/refresh-tokens", map[string]string{"username": adminUser, "app": "Warden"}, &out)
			toks = append(toks, out["refresh_token"])
		}
		// seedRefresh was the oldest live one when the 5th arrived, then toks[0].
		for _, tok := range []string{seedRefresh, toks[0]} {
			if r := e.token(refreshGrant(appKey, tok)); r.status != 400 {
				t.Errorf("oldest token still works")
			}
		}
		if r := e.token(refreshGrant(appKey, toks[5])); r.status != 200 {
			t.Errorf("newest token: %d %s", r.status, r.body)
		}
	})
}

func TestRevokeAndDeactivationKillSessions(t *testing.T) {
	e := start(t)
	m := e.token(refreshGrant(appKey, seedRefresh)).object(t)
	access := m["access_token"].(string)
	if r := e.do("GET", "/services/data/v62.0/limits", access, nil); r.status != 200 {
		t.Fatalf("%d", r.status)
	}
	if r := e.do("POST", "/services/oauth2/revoke", "", url.Values{"token": {seedRefresh}}); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	r := e.do("GET", "/services/data/v62.0/limits", access, nil)
	if code, msg := restErr(t, r); r.status != 401 || code != "INVALID_SESSION_ID" || msg != "Session expired or invalid" {
		t.Fatalf("after revoke: %d %s", r.status, r.body)
	}
	tok := e.login(intUser, intPass+intToken)
	e.Control(t, "PATCH", "orgs/Acme/users/"+intUser, map[string]any{"frozen": true}, nil)
	if r := e.do("GET", "/services/data/v62.0/limits", tok, nil); r.status != 401 {
		t.Fatalf("frozen user's session still works: %d", r.status)
	}
	if r := e.do("POST", "/services/oauth2/revoke", "", url.Values{"token": {"nope"}}); r.status != 400 {
		t.Fatalf("revoking an unknown token: %d", r.status)
	}
}

func TestSessionTimeout(t *testing.T) {
	e := start(t)
	tok := e.admin()
	e.Advance(119 * time.Minute)
	if r := e.do("GET", "/services/data/v62.0/limits", tok, nil); r.status != 200 {
		t.Fatalf("before timeout: %d", r.status)
	}
	e.Advance(121 * time.Minute) // idle longer than 120 minutes
	if r := e.do("GET", "/services/data/v62.0/limits", tok, nil); r.status != 401 {
		t.Fatalf("after idle timeout: %d", r.status)
	}
}

func TestAuthorizationCodeWithPKCE(t *testing.T) {
	e := start(t)
	verifier := "a-very-long-random-code-verifier-string-with-enough-entropy-0123456789"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	q := url.Values{"response_type": {"code"}, "client_id": {appKey}, "redirect_uri": {callbackURL}, "state": {"xyz"},
		"code_challenge": {challenge}, "scope": {"api refresh_token"}}
	page := e.do("GET", "/services/oauth2/authorize?"+q.Encode(), "", nil)
	if page.status != 200 || !strings.Contains(string(page.body), `name="username"`) {
		t.Fatalf("authorize page: %d %s", page.status, page.body)
	}
	// API Only users cannot log in through the UI.
	q.Set("username", intUser)
	q.Set("password", intPass+intToken)
	if r := e.do("POST", "/services/oauth2/authorize", "", q); r.status != 200 || !strings.Contains(string(r.body), "API-only") {
		t.Fatalf("API only user: %d %s", r.status, r.body)
	}
	q.Set("username", adminUser)
	q.Set("password", adminPass+adminToken)
	r := e.do("POST", "/services/oauth2/authorize", "", q)
	loc, _ := url.Parse(r.header.Get("Location"))
	if r.status != http.StatusFound || loc.Query().Get("state") != "xyz" || loc.Query().Get("code") == "" {
		t.Fatalf("redirect: %d %v", r.status, r.header)
	}
	code := loc.Query().Get("code")
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {appKey}, "redirect_uri": {callbackURL}, "code_verifier": {"wrong"}}
	if m := e.token(exchange).object(t); m["error"] != "invalid_grant" {
		t.Fatalf("wrong verifier: %v", m)
	}
	// A failed exchange burns the code, as codes are single use.
	r = e.do("POST", "/services/oauth2/authorize", "", q)
	loc, _ = url.Parse(r.header.Get("Location"))
	exchange.Set("code", loc.Query().Get("code"))
	exchange.Set("code_verifier", verifier)
	m := e.token(exchange).object(t)
	if m["refresh_token"] == nil || m["access_token"] == nil {
		t.Fatalf("exchange: %v", m)
	}
	if m := e.token(exchange).object(t); m["error_description"] != "expired authorization code" {
		t.Fatalf("code reuse: %v", m)
	}
}

func TestUserinfoIdentityIntrospect(t *testing.T) {
	e := start(t)
	m := e.token(passwordGrant(adminUser, adminPass+adminToken)).object(t)
	tok, id := m["access_token"].(string), m["id"].(string)
	ui := e.do("GET", "/services/oauth2/userinfo", tok, nil).object(t)
	if ui["preferred_username"] != adminUser || ui["organization_id"] != orgID || ui["is_salesforce_integration_user"] != false {
		t.Errorf("userinfo: %v", ui)
	}
	idPath := strings.TrimPrefix(id, e.URL)
	ident := e.do("GET", idPath+"?format=json&oauth_token="+url.QueryEscape(tok)+"&version=62.0", "", nil).object(t)
	urls := ident["urls"].(map[string]any)
	if ident["username"] != adminUser || urls["rest"] != e.URL+"/services/data/v62.0/" {
		t.Errorf("identity: %v", ident)
	}
	if r := e.do("GET", idPath, "bogus", nil); r.status != 403 {
		t.Errorf("identity with a bad token: %d", r.status)
	}
	in := e.do("POST", "/services/oauth2/introspect", "", url.Values{"token": {tok}, "client_id": {appKey}, "client_secret": {appSecret}}).object(t)
	if in["active"] != true || in["username"] != adminUser || in["client_id"] != appKey {
		t.Errorf("introspect: %v", in)
	}
	in = e.do("POST", "/services/oauth2/introspect", "", url.Values{"token": {"nope"}, "client_id": {appKey}, "client_secret": {appSecret}}).object(t)
	if in["active"] != false {
		t.Errorf("introspect unknown: %v", in)
	}
}
