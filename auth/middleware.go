package auth

import (
	"crypto/subtle"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/wardenhq/warden"
)

// Middleware authenticates each request and passes it to next with the
// warden.Principal in its context (warden.PrincipalFrom reads it) and the
// client's address for Audit:
//
//   - "Authorization: Bearer wat_…" with an active API token acts for the
//     token; a wat_ token that is unknown, expired or revoked is answered
//     401 at once. Other Authorization headers (a broker key, Basic) are
//     left to the route: the request goes on without a principal.
//   - A live session cookie acts for the session's account or OIDC
//     identity. A request other than GET, HEAD or OPTIONS must then carry
//     the session's CSRF token (form field "csrf" or header X-CSRF-Token)
//     and must not come from another origin (Sec-Fetch-Site, Origin):
//     otherwise it is answered 403. An unknown or ended session is
//     cleared and the request goes on anonymous.
//   - Anything else goes on anonymous, without a principal: the route
//     decides (Require answers 401, RequirePage redirects to /login).
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := WithSource(r.Context(), clientIP(r))
		r = r.WithContext(ctx)
		if token, ok := bearer(r.Header.Get("Authorization")); ok && strings.HasPrefix(token, TokenPrefix) {
			p, err := s.tokenPrincipal(ctx, token)
			if err != nil {
				if warden.ErrorKind(err) == warden.EUNAUTHORIZED {
					w.Header().Set("WWW-Authenticate", `Bearer realm="warden", error="invalid_token"`)
				} else {
					s.o.Logger.Error("auth: checking an API token failed", "err", err)
				}
				writeError(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(warden.WithPrincipal(ctx, p)))
			return
		}
		if c, err := r.Cookie(s.sessionCookie()); err == nil {
			p, ok := s.session(ctx, c.Value)
			if !ok {
				s.clearSession(w)
				next.ServeHTTP(w, r)
				return
			}
			if err := s.checkCSRF(r, p); err != nil {
				// Refused requests of a live session are audited: they are
				// either a bug in a page or an attack on its user.
				s.audit(warden.WithPrincipal(ctx, p), "request.refused", r.Method+" "+r.URL.Path, err)
				writeError(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(warden.WithPrincipal(ctx, p)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// safeMethod reports whether a request of method changes nothing.
func safeMethod(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// errCSRF is the answer to a state-changing request of a cookie session
// without its CSRF token.
var errCSRF = warden.Errorf(warden.EFORBIDDEN, "the request lacks this session's CSRF token "+
	"(form field csrf or header X-CSRF-Token); reload the page and try again")

// checkCSRF lets a state-changing request of p's session through only
// with the session's CSRF token and from this site.
func (s *Service) checkCSRF(r *http.Request, p warden.Principal) error {
	if safeMethod(r.Method) {
		return nil
	}
	if err := s.cop.Check(r); err != nil {
		return warden.Errorf(warden.EFORBIDDEN, "cross-origin requests may not change anything")
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(p.CSRF)) != 1 {
		return errCSRF
	}
	return nil
}

// Require lets h serve only requests whose principal's role allows role,
// answering others in JSON: 401 without a principal, 403 with a role too
// low. It is for the JSON API.
func Require(role warden.Role, h http.Handler) http.Handler {
	return RequireWith(role, h, func(w http.ResponseWriter, r *http.Request, err error) {
		if warden.ErrorKind(err) == warden.EUNAUTHORIZED {
			w.Header().Set("WWW-Authenticate", `Bearer realm="warden"`)
		}
		writeJSONError(w, r, err)
	})
}

// RequirePage lets h serve only requests whose principal's role allows
// role: a request without a principal is redirected (303) to /login,
// which returns to the page after logging in; a role too low is answered
// 403 with a short HTML page. It is for pages.
func RequirePage(role warden.Role, h http.Handler) http.Handler {
	return RequireWith(role, h, func(w http.ResponseWriter, r *http.Request, err error) {
		if warden.ErrorKind(err) == warden.EUNAUTHORIZED {
			http.Redirect(w, r, LoginURL(r), http.StatusSeeOther)
			return
		}
		writeHTMLError(w, err)
	})
}

// RequireWith lets h serve only requests whose principal's role allows
// role and answers others with deny, which gets an EUNAUTHORIZED error
// when there is no principal and an EFORBIDDEN one when its role is too
// low: for a caller with its own error pages.
func RequireWith(role warden.Role, h http.Handler, deny func(w http.ResponseWriter, r *http.Request, err error)) http.Handler {
	if !role.Valid() {
		panic("auth.Require: invalid role " + string(role))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := Check(r, role); err != nil {
			deny(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Check returns nil when r's principal may act as role, an EUNAUTHORIZED
// error when r has no principal, and an EFORBIDDEN one when its role is
// too low.
func Check(r *http.Request, role warden.Role) error {
	p, ok := warden.PrincipalFrom(r.Context())
	switch {
	case !ok:
		return warden.Errorf(warden.EUNAUTHORIZED, "log in, or send an API token (\"Authorization: Bearer TOKEN\")")
	case !p.Role.Allows(role):
		return warden.Errorf(warden.EFORBIDDEN, "this needs the %s role; %s has %s", role, p.Name, p.Role)
	}
	return nil
}

// LoginURL returns the login page's URL that returns to r's page.
func LoginURL(r *http.Request) string {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet || next == "/" || !safeNext(next) {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}

// safeNext reports whether next is a path on this site to return to
// after logging in (not "//host", not a scheme, not /login itself).
func safeNext(next string) bool {
	return strings.HasPrefix(next, "/") && !strings.HasPrefix(next, "//") && !strings.HasPrefix(next, "/\\") &&
		!strings.HasPrefix(next, "/login") && !strings.ContainsAny(next, "\r\n")
}

// wantsJSON reports whether r's failures should be answered in JSON: an
// API route, an API client (a bearer token) or a client that asks for it.
func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || r.Header.Get("Authorization") != "" ||
		strings.Contains(r.Header.Get("Accept"), "application/json")
}

// writeError answers r with err, in JSON or HTML as r wants.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	if wantsJSON(r) {
		writeJSONError(w, r, err)
		return
	}
	writeHTMLError(w, err)
}

// writeJSONError writes err in the web package's one JSON error shape:
// {"error": {"code": KIND, "message": SAFE MESSAGE}}.
func writeJSONError(w http.ResponseWriter, _ *http.Request, err error) {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Message = warden.ErrorKind(err), warden.ErrorMessage(err)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(warden.HTTPStatus(err))
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(body)
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Warden</title></head>
<body><main><h1>{{.Title}}</h1><p>{{.Message}}</p><p><a href="/">Back to the dashboard</a></p></main></body></html>
`))

// writeHTMLError writes err as a short HTML page.
func writeHTMLError(w http.ResponseWriter, err error) {
	status := warden.HTTPStatus(err)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	errorPage.Execute(w, struct{ Title, Message string }{http.StatusText(status), warden.ErrorMessage(err)})
}
