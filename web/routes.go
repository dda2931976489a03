package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/wardenhq/warden"
)

// Route is one entry of the route table: what a request must send, what
// it gets, and the least role it needs. Every route but the catch-alls is
// registered through Server.handle, so the table is complete; the access
// control test (auth/authtest) and the OpenAPI document both walk it.
type Route struct {
	Method string `json:"method"`
	// Pattern is the net/http pattern's path, such as
	// /api/v1/users/{org}/{username}.
	Pattern string `json:"pattern"`
	// Role is the least role the route needs; "" marks a public route
	// (the probes and the login page), which answers anonymous requests.
	Role warden.Role `json:"role,omitempty"`
	// API marks a JSON route (under /api/); the others are HTML pages,
	// forms and /metrics.
	API bool `json:"api"`
	// Summary says in a sentence what the route does; the OpenAPI
	// document uses it.
	Summary string `json:"summary"`

	// Query are the query parameters an API route reads, Body the schema
	// of its JSON request body and Schema the schema of its answer
	// (names in openapi.go); they feed the OpenAPI document.
	Query  []string `json:"-"`
	Body   string   `json:"-"`
	Schema string   `json:"-"`
	// Status is the success status of an API route (default 200).
	Status int `json:"-"`
}

// Routes returns the route table, in the order the routes were
// registered.
func (s *Server) Routes() []Route { return slices.Clone(s.routes) }

// handle registers h for rt through the checks every route passes: the
// Host check, authentication, the loopback guard and rt.Role. Public
// routes (Role "") skip them all.
func (s *Server) handle(rt Route, h http.HandlerFunc) {
	s.routes = append(s.routes, rt)
	s.methods[rt.Pattern] = append(s.methods[rt.Pattern], rt.Method)
	if rt.Role == "" {
		s.router.Handle(rt.Method+" "+rt.Pattern, h)
		return
	}
	render := s.writePageError
	if rt.API {
		render = s.writeJSONError
	}
	s.router.Handle(rt.Method+" "+rt.Pattern, s.guard(rt.Role, h, render))
}

// guard wraps h in the checks of a route that needs role; render shows
// their failures.
//
// A request is authenticated when the Authenticate middleware put a
// warden.Principal in its context. An anonymous request acts as the
// built-in local viewer, which reads everything and changes nothing, when
// RemoteReads is set (the operator's explicit choice), or when the server
// has no Authenticate middleware and the client is on loopback; without
// a middleware any other client is refused (403). With authentication,
// any other anonymous request is sent to /login (pages) or answered 401
// (the API and /metrics), wherever it comes from. An authenticated principal whose role is below role gets
// 403, wherever it connects from.
func (s *Server) guard(role warden.Role, h http.Handler, render errorRenderer) http.Handler {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := warden.PrincipalFrom(r.Context())
		if !ok && (s.RemoteReads || s.Authenticate == nil && loopbackClient(r)) {
			p, ok = LocalViewer, true
			r = r.WithContext(warden.WithPrincipal(r.Context(), p))
		}
		switch {
		case !ok && s.Authenticate == nil:
			err := warden.Errorf(warden.EFORBIDDEN, "this Warden server shows orgs and users only to clients on its own host "+
				"unless they log in; \"warden serve --allow-remote-reads\" shows them to every client that can reach it")
			render(w, r, errorStatus(err), err)
			return
		case !ok && isPage(r):
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		case !ok:
			w.Header().Set("WWW-Authenticate", `Bearer realm="warden"`)
			err := warden.Errorf(warden.EUNAUTHORIZED, "log in, or send an API token: Authorization: Bearer TOKEN")
			render(w, r, errorStatus(err), err)
			return
		case !p.Role.Allows(role):
			err := warden.Errorf(warden.EFORBIDDEN, "%s %s needs the %s role; %s %q has the %s role", r.Method, r.URL.Path, role, p.Kind, p.Name, p.Role)
			if p == LocalViewer {
				err = warden.Errorf(warden.EFORBIDDEN, "%s %s needs the %s role, and this server has no accounts: "+
					"without authentication it only shows what it knows", r.Method, r.URL.Path, role)
			}
			render(w, r, errorStatus(err), err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.checkHost(r); err != nil {
			status := http.StatusMisdirectedRequest
			if r.Host == "" {
				status = http.StatusBadRequest
			}
			render(w, r, status, err)
			return
		}
		next := http.Handler(inner)
		if s.Authenticate != nil {
			next = s.Authenticate(next)
		}
		next.ServeHTTP(w, r)
	})
}

// LocalViewer is the principal of a request a server without
// authentication accepts (see Server.guard): it reads, and changes
// nothing.
var LocalViewer = warden.Principal{Kind: "local", Name: "local viewer", Role: warden.RoleViewer}

// isPage reports whether r asks for an HTML page (a GET outside /api/ and
// /metrics), which an anonymous client is redirected to log in for.
func isPage(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && !strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/metrics"
}

// notRouted answers a request no route takes with render: 405 naming the
// allowed methods when another method of the path is routed, 404
// otherwise.
func (s *Server) notRouted(render errorRenderer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := s.paths.Handler(r); pattern != "" {
			allowed := s.methods[pattern]
			if slices.Contains(allowed, http.MethodGet) {
				allowed = append(slices.Clone(allowed), http.MethodHead)
			}
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			render(w, r, http.StatusMethodNotAllowed, warden.Errorf(warden.EINVALID, "%s %s: use %s", r.Method, r.URL.Path, strings.Join(allowed, " or ")))
			return
		}
		err := warden.Errorf(warden.ENOTFOUND, "there is nothing at %s", r.URL.Path)
		render(w, r, errorStatus(err), err)
	}
}

// indexPaths fills s.paths, which matches a request's path against every
// routed pattern whatever the method, for notRouted's 405.
func (s *Server) indexPaths() {
	s.paths = http.NewServeMux()
	for pattern := range s.methods {
		s.paths.Handle(pattern, http.NotFoundHandler())
	}
}
