package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// authCode is an authorization code issued by the authorize page.
type authCode struct {
	code, redirect, challenge, method, scope string
	user                                     *user
	app                                      *connectedApp
	expires                                  time.Time
}

// maxRefreshPerUserApp is how many live refresh tokens a user may hold for
// one app; issuing another silently revokes the oldest.
const maxRefreshPerUserApp = 5

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Signature    string `json:"signature"`
	Scope        string `json:"scope"`
	InstanceURL  string `json:"instance_url"`
	ID           string `json:"id"`
	TokenType    string `json:"token_type"`
	IssuedAt     string `json:"issued_at"`
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// tokenFailure maps a refused login to the token endpoint's error.
func tokenFailure(w http.ResponseWriter, f failure) {
	switch f {
	case failInactive:
		oauthError(w, 400, "invalid_grant", "inactive user")
	case failIPRestricted, failHoursRestricted:
		oauthError(w, 400, "invalid_grant", "IP restricted or invalid login hours")
	case failRate:
		oauthError(w, 400, "rate_limit_exceeded", "Number of logins exceeded")
	case failNotApproved:
		oauthError(w, 400, "invalid_grant", "user hasn't approved this consumer")
	default:
		oauthError(w, 400, "invalid_grant", "authentication failure")
	}
}

func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/services/oauth2/"), "/") {
	case "token":
		s.serveToken(w, r)
	case "authorize":
		s.serveAuthorize(w, r)
	case "revoke":
		s.serveRevoke(w, r)
	case "userinfo":
		s.serveUserinfo(w, r)
	case "introspect":
		s.serveIntrospect(w, r)
	default:
		oauthError(w, 404, "not_found", "unknown OAuth endpoint")
	}
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		oauthError(w, 400, "invalid_request", "must use HTTP POST")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request", "malformed request body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "password":
		s.grantPassword(w, r)
	case "refresh_token":
		s.grantRefresh(w, r)
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		s.grantJWT(w, r)
	case "client_credentials":
		s.grantClientCredentials(w, r)
	case "authorization_code":
		s.grantCode(w, r)
	case "":
		oauthError(w, 400, "invalid_request", "grant type is missing")
	default:
		oauthError(w, 400, "unsupported_grant_type", "grant type not supported")
	}
}

// clientApp authenticates the client from the body or HTTP Basic. With
// needSecret false a missing secret is accepted (public clients).
func (s *Server) clientApp(w http.ResponseWriter, r *http.Request, needSecret bool) *connectedApp {
	id, secret := clientCredentials(r)
	a := s.appByKey[id]
	if a == nil {
		oauthError(w, 400, "invalid_client_id", "client identifier invalid")
		return nil
	}
	if (secret != "" || needSecret) && !a.secretOK(secret) {
		oauthError(w, 400, "invalid_client", "invalid client credentials")
		return nil
	}
	return a
}

// clientCredentials returns the client id and secret from HTTP Basic
// authentication or the form body.
func clientCredentials(r *http.Request) (id, secret string) {
	if id, secret, ok := r.BasicAuth(); ok {
		return id, secret
	}
	return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
}

func (s *Server) grantPassword(w http.ResponseWriter, r *http.Request) {
	a := s.clientApp(w, r, true)
	if a == nil {
		return
	}
	s.grant(w, r, attempt{username: r.PostForm.Get("username"), password: r.PostForm.Get("password"), checkPass: true,
		ip: clientIP(r), loginType: "Remote Access 2.0", app: a, loginURL: r.Host}, "api web id")
}

// grant runs the login of an app's grant and answers with a new access
// token or the token endpoint's error.
func (s *Server) grant(w http.ResponseWriter, r *http.Request, at attempt, scope string) {
	u, f := s.login(at)
	if f == loginOK && u.org != at.app.org {
		f = failUnknownUser
	}
	if f == loginOK && !at.app.approved(u) {
		f = failNotApproved
	}
	if f != loginOK {
		tokenFailure(w, f)
		return
	}
	s.writeToken(w, r, u, at.app, nil, scopeOr(r, scope))
}

func (s *Server) grantRefresh(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	t := s.refresh[r.PostForm.Get("refresh_token")]
	id, secret := clientCredentials(r)
	if s.appByKey[id] == nil {
		oauthError(w, 400, "invalid_client_id", "client identifier invalid")
		return
	}
	if t == nil || t.app.key != id {
		oauthError(w, 400, "invalid_grant", "expired access/refresh token")
		return
	}
	if secret != "" && !t.app.secretOK(secret) {
		oauthError(w, 400, "invalid_client", "invalid client credentials")
		return
	}
	if t.rotated && !t.revoked {
		// Reuse of a rotated-out token: revoke its whole family.
		s.revokeFamily(t.family)
	}
	if !t.live(now) {
		oauthError(w, 400, "invalid_grant", "expired access/refresh token")
		return
	}
	u := t.user
	switch {
	case !u.active:
		tokenFailure(w, failInactive)
		return
	case u.frozen:
		tokenFailure(w, failFrozen)
		return
	case !t.app.approved(u):
		tokenFailure(w, failNotApproved)
		return
	}
	t.lastUsed, t.useCount = now, t.useCount+1
	u.org.usage.logins++
	u.org.usage.loginsByUser[u.username]++
	s.recordLogin(u, attempt{ip: clientIP(r), loginType: "Remote Access 2.0", app: t.app, loginURL: r.Host}, loginOK, now)
	var next *refreshToken
	if t.app.rotate {
		next = s.issueRefresh(u, t.app, now, t.family)
		t.rotated = true
	}
	s.writeToken(w, r, u, t.app, t, scopeOr(r, "api id refresh_token"), next)
}

// jwtAudiences are the audiences accepted besides the emulator's own URL.
var jwtAudiences = []string{"https://login.salesforce.com", "https://test.salesforce.com"}

func (s *Server) grantJWT(w http.ResponseWriter, r *http.Request) {
	var app *connectedApp
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(r.PostForm.Get("assertion"), claims, func(t *jwt.Token) (any, error) {
		iss, _ := claims["iss"].(string)
		app = s.appByKey[iss]
		if app == nil || app.pub == nil {
			return nil, fmt.Errorf("no certificate")
		}
		return app.pub, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	if app == nil && claims["iss"] != nil {
		if iss, _ := claims["iss"].(string); s.appByKey[iss] == nil {
			oauthError(w, 400, "invalid_client_id", "client identifier invalid")
			return
		}
	}
	if err != nil {
		oauthError(w, 400, "invalid_grant", "invalid assertion")
		return
	}
	if !audienceOK(claims["aud"], baseURL(r)) {
		oauthError(w, 400, "invalid_grant", "Audience validation failed")
		return
	}
	exp, ok := numericClaim(claims["exp"])
	if !ok {
		oauthError(w, 400, "invalid_grant", "invalid assertion")
		return
	}
	if exp > 1e11 { // milliseconds, as the Salesforce CLI sends
		exp /= 1000
	}
	if s.now().Unix() > int64(exp) {
		oauthError(w, 400, "invalid_grant", "expired assertion")
		return
	}
	sub, _ := claims["sub"].(string)
	s.grant(w, r, attempt{username: sub, ip: clientIP(r), loginType: "Remote Access 2.0", app: app, loginURL: r.Host}, "api id web")
}

func audienceOK(aud any, self string) bool {
	var list []string
	switch v := aud.(type) {
	case string:
		list = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				list = append(list, s)
			}
		}
	}
	for _, a := range list {
		a = strings.TrimSuffix(a, "/")
		if strings.EqualFold(a, self) {
			return true
		}
		for _, ok := range jwtAudiences {
			if strings.EqualFold(a, ok) {
				return true
			}
		}
	}
	return false
}

// numericClaim reads a claim sent as a JSON number or a numeric string.
func numericClaim(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

func (s *Server) grantClientCredentials(w http.ResponseWriter, r *http.Request) {
	a := s.clientApp(w, r, true)
	if a == nil {
		return
	}
	if a.ccUser == nil {
		oauthError(w, 400, "invalid_grant", "no client credentials user enabled")
		return
	}
	s.grant(w, r, attempt{user: a.ccUser, ip: clientIP(r), loginType: "Remote Access 2.0", app: a, loginURL: r.Host}, "api")
}

func (s *Server) grantCode(w http.ResponseWriter, r *http.Request) {
	c := s.codes[r.PostForm.Get("code")]
	if c != nil {
		delete(s.codes, c.code) // single use
	}
	if c == nil || s.now().After(c.expires) {
		oauthError(w, 400, "invalid_grant", "expired authorization code")
		return
	}
	a := s.clientApp(w, r, c.challenge == "")
	if a == nil {
		return
	}
	if a != c.app {
		oauthError(w, 400, "invalid_grant", "expired authorization code")
		return
	}
	if ru := r.PostForm.Get("redirect_uri"); ru != "" && ru != c.redirect {
		oauthError(w, 400, "redirect_uri_mismatch", "redirect_uri must match configuration")
		return
	}
	if c.challenge != "" {
		v := r.PostForm.Get("code_verifier")
		want := v
		if c.method != "plain" {
			sum := sha256.Sum256([]byte(v))
			want = base64.RawURLEncoding.EncodeToString(sum[:])
		}
		if v == "" || !secretEqual(want, c.challenge) {
			oauthError(w, 400, "invalid_grant", "invalid code verifier")
			return
		}
	}
	var rt *refreshToken
	if scopeWantsRefresh(c.scope) {
		rt = s.issueRefresh(c.user, a, s.now(), "")
	}
	s.writeToken(w, r, c.user, a, nil, c.scope, rt)
}

func scopeOr(r *http.Request, def string) string {
	if sc := strings.TrimSpace(r.PostForm.Get("scope")); sc != "" {
		return sc
	}
	return def
}

func scopeWantsRefresh(scope string) bool {
	for _, f := range strings.Fields(scope) {
		if f == "refresh_token" || f == "offline_access" || f == "full" {
			return true
		}
	}
	return false
}

// writeToken creates a session and writes the success response. newRefresh,
// when given, is returned to the client as refresh_token.
func (s *Server) writeToken(w http.ResponseWriter, r *http.Request, u *user, a *connectedApp, from *refreshToken, scope string, newRefresh ...*refreshToken) {
	sess := s.newSession(u, a, scope)
	sess.refresh = from
	if len(newRefresh) > 0 && newRefresh[0] != nil {
		sess.refresh = newRefresh[0]
	}
	base := baseURL(r)
	issued := strconv.FormatInt(sess.issued.UnixMilli(), 10)
	id := base + "/id/" + u.org.id + "/" + u.id
	mac := hmac.New(sha256.New, []byte(a.secret))
	mac.Write([]byte(id + issued))
	resp := tokenResponse{AccessToken: sess.token, Signature: base64.StdEncoding.EncodeToString(mac.Sum(nil)), Scope: scope,
		InstanceURL: base, ID: id, TokenType: "Bearer", IssuedAt: issued}
	if len(newRefresh) > 0 && newRefresh[0] != nil {
		resp.RefreshToken = newRefresh[0].token
	}
	writeJSON(w, http.StatusOK, resp)
}

// newSession issues an access token. Callers hold s.mu.
func (s *Server) newSession(u *user, a *connectedApp, scope string) *session {
	now := s.now()
	sess := &session{token: u.org.id + "!AQ" + randToken(48), user: u, app: a, issued: now, lastUsed: now, scope: scope}
	s.sessions[sess.token] = sess
	if s.issued++; s.issued%4096 == 0 {
		s.pruneSessions(now)
	}
	return sess
}

// pruneSessions forgets access tokens idle beyond their org's timeout
// (they would be refused anyway), so the table does not grow without end.
func (s *Server) pruneSessions(now time.Time) {
	for k, sess := range s.sessions {
		if now.Sub(sess.lastUsed) >= sess.user.org.settings.sessionTimeout {
			delete(s.sessions, k)
		}
	}
}

// issueRefresh issues a refresh token for u and a, revoking the oldest live
// one beyond the per-user, per-app cap. Callers hold s.mu.
func (s *Server) issueRefresh(u *user, a *connectedApp, now time.Time, family string) *refreshToken {
	o := u.org
	t := &refreshToken{id: s.newID(o, prefixOauthToken), token: "5Aep861" + randToken(60), user: u, app: a, issued: now, lastUsed: now, family: family}
	if t.family == "" {
		t.family = t.id
	}
	var live []*refreshToken
	for _, x := range o.oauth {
		if x.user == u && x.app == a && !x.revoked && !x.rotated {
			live = append(live, x)
		}
	}
	if len(live) >= maxRefreshPerUserApp {
		s.revokeRefresh(live[0])
	}
	o.oauth = append(o.oauth, t)
	s.refresh[t.token] = t
	o.touch()
	return t
}

// live reports whether a refresh token can still be used at now.
func (t *refreshToken) live(now time.Time) bool {
	if t.revoked || t.rotated {
		return false
	}
	if t.app.expireAfter > 0 && !now.Before(t.issued.Add(t.app.expireAfter)) {
		return false
	}
	if t.app.idle > 0 && !now.Before(t.lastUsed.Add(t.app.idle)) {
		return false
	}
	return true
}

// revokeRefresh revokes a refresh token and every session minted from it.
func (s *Server) revokeRefresh(t *refreshToken) {
	t.revoked = true
	for k, sess := range s.sessions {
		if sess.refresh == t {
			delete(s.sessions, k)
		}
	}
	t.user.org.touch()
}

func (s *Server) revokeFamily(family string) {
	for _, t := range s.refresh {
		if t.family == family {
			s.revokeRefresh(t)
		}
	}
}

// revokeUser revokes every token of a user.
func (s *Server) revokeUser(u *user) {
	for k, sess := range s.sessions {
		if sess.user == u {
			delete(s.sessions, k)
		}
	}
	for _, t := range u.org.oauth {
		if t.user == u && !t.revoked {
			s.revokeRefresh(t)
		}
	}
}

// authenticate resolves the session of a request (Bearer or OAuth header,
// or oauth_token parameter when allowParam). Callers hold s.mu.
func (s *Server) authenticate(r *http.Request, allowParam bool) *session {
	h := r.Header.Get("Authorization")
	tok := ""
	if v, ok := cutPrefixFold(h, "Bearer "); ok {
		tok = v
	} else if v, ok := cutPrefixFold(h, "OAuth "); ok {
		tok = v
	} else if allowParam {
		tok = r.URL.Query().Get("oauth_token")
	}
	sess := s.sessions[strings.TrimSpace(tok)]
	if sess == nil {
		return nil
	}
	now := s.now()
	u := sess.user
	expired := now.Sub(sess.lastUsed) >= u.org.settings.sessionTimeout
	if expired || !u.active || u.frozen || (sess.refresh != nil && sess.refresh.revoked) {
		delete(s.sessions, sess.token)
		return nil
	}
	sess.lastUsed = now
	return sess
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return "", false
}

var authorizePage = template.Must(template.New("authorize").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Login | Salesforce emulator</title></head>
<body><h1>Log in to {{.Org}}</h1><p>Application <b>{{.App}}</b> wants access.</p>
{{if .Error}}<p id="error" style="color:#b00">{{.Error}}</p>{{end}}
<form method="post" action="/services/oauth2/authorize">
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<label>Username <input name="username" id="username" value="{{.Username}}"></label>
<label>Password <input name="password" id="password" type="password"></label>
<button type="submit" id="Login">Log In and Allow</button>
</form></body></html>`))

// serveAuthorize is the web-server flow's login page. A GET renders the
// form; a POST with username and password logs in and redirects to the
// callback with a code, so tests can complete it without a browser.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request", "malformed request")
		return
	}
	q := r.Form
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.appByKey[q.Get("client_id")]
	if a == nil {
		oauthError(w, 400, "invalid_client_id", "client identifier invalid")
		return
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" {
		redirect = a.callback
	}
	if redirect != a.callback {
		oauthError(w, 400, "redirect_uri_mismatch", "redirect_uri must match configuration")
		return
	}
	if rt := q.Get("response_type"); rt != "code" {
		redirectError(w, r, redirect, q.Get("state"), "unsupported_response_type", "response type not supported")
		return
	}
	params := map[string]string{}
	for _, k := range []string{"response_type", "client_id", "redirect_uri", "state", "scope", "code_challenge", "code_challenge_method"} {
		if v := q.Get(k); v != "" {
			params[k] = v
		}
	}
	page := struct {
		Org, App, Error, Username string
		Params                    map[string]string
	}{Org: a.org.name, App: a.name, Params: params, Username: q.Get("username")}
	if r.Method == http.MethodPost && q.Get("username") != "" {
		u, f := s.login(attempt{username: q.Get("username"), password: q.Get("password"), checkPass: true, ui: true,
			ip: clientIP(r), loginType: "Application", app: a, loginURL: r.Host})
		if f == loginOK && u.org != a.org {
			f = failUnknownUser
		}
		if f == loginOK && !a.approved(u) {
			redirectError(w, r, redirect, q.Get("state"), "access_denied", "user hasn't approved this consumer")
			return
		}
		if f == loginOK {
			c := &authCode{code: "aPrx" + randToken(40), redirect: redirect, challenge: q.Get("code_challenge"),
				method: q.Get("code_challenge_method"), scope: q.Get("scope"), user: u, app: a, expires: s.now().Add(15 * time.Minute)}
			if c.scope == "" {
				c.scope = "api id refresh_token"
			}
			s.codes[c.code] = c
			target, _ := url.Parse(redirect)
			v := target.Query()
			v.Set("code", c.code)
			if st := q.Get("state"); st != "" {
				v.Set("state", st)
			}
			target.RawQuery = v.Encode()
			http.Redirect(w, r, target.String(), http.StatusFound)
			return
		}
		page.Error = "Please check your username and password. If you still can't log in, contact your Salesforce administrator."
		if f == failAPIOnly {
			page.Error = "API-only users cannot log in through the user interface."
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		authorizePage.Execute(w, page)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	authorizePage.Execute(w, page)
}

func redirectError(w http.ResponseWriter, r *http.Request, redirect, state, code, desc string) {
	target, err := url.Parse(redirect)
	if err != nil {
		oauthError(w, 400, code, desc)
		return
	}
	v := target.Query()
	v.Set("error", code)
	v.Set("error_description", desc)
	if state != "" {
		v.Set("state", state)
	}
	target.RawQuery = v.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}

func (s *Server) serveRevoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request", "malformed request")
		return
	}
	tok := r.Form.Get("token")
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.refresh[tok]; t != nil && !t.revoked {
		s.revokeRefresh(t)
		w.WriteHeader(http.StatusOK)
		return
	}
	if _, ok := s.sessions[tok]; ok {
		delete(s.sessions, tok)
		w.WriteHeader(http.StatusOK)
		return
	}
	oauthError(w, 400, "invalid_token", "invalid token")
}

func (s *Server) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.authenticate(r, true)
	if sess == nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte("Bad_OAuth_Token"))
		return
	}
	u := sess.user
	base := baseURL(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"sub": base + "/id/" + u.org.id + "/" + u.id, "user_id": u.id, "organization_id": u.org.id,
		"preferred_username": u.username, "nickname": u.alias, "name": u.name(), "email": u.email, "email_verified": true,
		"given_name": u.first, "family_name": u.last, "zoneinfo": "GMT", "photos": photos(base, u),
		"profile": base + "/" + u.id, "picture": base + "/profilephoto/005/F", "address": map[string]any{},
		"is_salesforce_integration_user": u.profile.license.key == "SFDC_INTEGRATION",
		"urls":                           identityURLs(base, u, "{version}"), "active": u.active, "user_type": "STANDARD", "language": "en_US",
		"locale": "en_US", "utcOffset": 0, "updated_at": u.modified.Format(time.RFC3339), "is_app_installed": true,
	})
}

func photos(base string, u *user) map[string]string {
	return map[string]string{"picture": base + "/profilephoto/005/F", "thumbnail": base + "/profilephoto/005/T"}
}

func identityURLs(base string, u *user, version string) map[string]string {
	o := u.org.id
	return map[string]string{
		"enterprise": base + "/services/Soap/c/" + version + "/" + o[:15], "metadata": base + "/services/Soap/m/" + version + "/" + o[:15],
		"partner": base + "/services/Soap/u/" + version + "/" + o[:15], "rest": base + "/services/data/v" + version + "/",
		"sobjects": base + "/services/data/v" + version + "/sobjects/", "search": base + "/services/data/v" + version + "/search/",
		"query": base + "/services/data/v" + version + "/query/", "recent": base + "/services/data/v" + version + "/recent/",
		"tooling_soap": base + "/services/Soap/T/" + version + "/" + o[:15], "tooling_rest": base + "/services/data/v" + version + "/tooling/",
		"profile": base + "/" + u.id, "users": base + "/services/data/v" + version + "/chatter/users",
		"custom_domain": base,
	}
}

func (s *Server) serveIntrospect(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request", "malformed request")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clientApp(w, r, true) == nil {
		return
	}
	tok := r.PostForm.Get("token")
	now := s.now()
	base := baseURL(r)
	if sess := s.sessions[tok]; sess != nil && sess.user.active && !sess.user.frozen && now.Sub(sess.lastUsed) < sess.user.org.settings.sessionTimeout {
		u := sess.user
		resp := map[string]any{"active": true, "scope": sess.scope, "username": u.username,
			"sub": base + "/id/" + u.org.id + "/" + u.id, "token_type": "access_token",
			"exp": sess.lastUsed.Add(u.org.settings.sessionTimeout).Unix(), "iat": sess.issued.Unix(), "nbf": sess.issued.Unix()}
		if sess.app != nil {
			resp["client_id"] = sess.app.key
		}
		writeJSON(w, http.StatusOK, resp)
		return
	}
	if t := s.refresh[tok]; t != nil && t.live(now) {
		writeJSON(w, http.StatusOK, map[string]any{"active": true, "scope": "api id refresh_token", "client_id": t.app.key,
			"username": t.user.username, "sub": base + "/id/" + t.user.org.id + "/" + t.user.id, "token_type": "refresh_token",
			"iat": t.issued.Unix(), "nbf": t.issued.Unix()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"active": false})
}

// serveIdentity answers the identity URL /id/{orgId}/{userId}.
func (s *Server) serveIdentity(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/id/"), "/"), "/")
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.authenticate(r, true)
	if sess == nil {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte("Bad_OAuth_Token"))
		return
	}
	if len(parts) != 2 || s.orgByID[parts[0]] != sess.user.org {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte("Bad_Id"))
		return
	}
	u := sess.user.org.userByID(parts[1])
	if u == nil {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("Bad_Id"))
		return
	}
	version := r.URL.Query().Get("version")
	if version == "" {
		version = "{version}"
	}
	base := baseURL(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"id": base + "/id/" + u.org.id + "/" + u.id, "asserted_user": u == sess.user, "user_id": u.id,
		"organization_id": u.org.id, "username": u.username, "nick_name": u.alias, "display_name": u.name(),
		"email": u.email, "email_verified": true, "first_name": u.first, "last_name": u.last, "timezone": "GMT",
		"photos": photos(base, u), "addr_street": nil, "addr_city": nil, "addr_state": nil, "addr_country": nil, "addr_zip": nil,
		"mobile_phone": nil, "mobile_phone_verified": false, "is_lightning_login_user": false,
		"status": map[string]any{"created_date": nil, "body": nil}, "urls": identityURLs(base, u, version),
		"active": u.active, "user_type": "STANDARD", "language": "en_US", "locale": "en_US", "utcOffset": 0,
		"last_modified_date": u.modified.Format("2006-01-02T15:04:05.000+0000"), "is_app_installed": true,
	})
}
