// Package web serves Warden's HTTP interface: the status page, the user
// pages, the JSON API, Prometheus metrics, and liveness and readiness
// probes.
//
// A Server holds the store and the capability slots it shows, and
// registers its routes per resource (status.go, user.go, pages.go,
// alerts.go, api.go, probe.go, metrics.go) through one helper that
// records the route table (routes.go) and enforces each route's role.
// Every failure goes through one mapping from Warden's error kinds to
// HTTP status codes and safe messages (error.go). Every route but the
// public ones answers only to Host names of this server.
package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardenhq/warden"
)

// Readiness says whether the server's data is complete enough to serve
// traffic: the monitor is ready once it has swept every org. Ready must
// answer at once (no I/O, no lock held across I/O).
type Readiness interface {
	Ready() bool
}

// Checker checks one integration user now and returns its status: the
// monitor satisfies it. The user page's "check now" and POST
// /api/v1/users/{org}/{username}/check use it.
type Checker interface {
	Check(ctx context.Context, org, username string) (warden.UserStatus, error)
}

// Rotator rotates a user's credential now; the rotation capability
// provides it. Nil hides the rotate action and answers its API with 501.
type Rotator interface {
	Rotate(ctx context.Context, org, username string) (rotationID string, err error)
}

// Reauthorizer starts a new browser authorization of a user's OAuth
// credential and returns the URL to send the person to. Nil hides the
// re-authorize action and answers its API with 501.
type Reauthorizer interface {
	Reauthorize(ctx context.Context, org, username string) (authURL string, err error)
}

// Activity is what the monitor's sweeps read about a user: its logins
// counted per hour, its latest logins and the setup changes that touched
// it, newest first. Nil hides the login chart and the setup changes.
type Activity interface {
	Logins(ctx context.Context, org, username string, since time.Time) (LoginActivity, error)
	SetupChanges(ctx context.Context, org, username string, since time.Time) ([]warden.SetupChange, error)
}

// LoginActivity is a user's logins since a time: counted per hour (every
// login, however many), and the latest ones in full (a bounded number).
type LoginActivity struct {
	// Hours are the hours that had logins, oldest first.
	Hours []LoginHour `json:"hours"`
	// Recent are the latest logins, newest first.
	Recent []warden.Login `json:"recent"`
}

// LoginHour counts a user's logins in the hour that begins at Start:
// those that succeeded, and those that failed by Salesforce's status.
type LoginHour struct {
	Start     time.Time      `json:"start"`
	Successes int            `json:"successes"`
	Failures  map[string]int `json:"failures,omitempty"`
}

// Total is how many logins the hour had.
func (h LoginHour) Total() int {
	n := h.Successes
	for _, f := range h.Failures {
		n += f
	}
	return n
}

// Schedule lists the rotations the configuration schedules (the rotation
// capability). Nil leaves them off the overview, which still lists the
// running rotations.
type Schedule interface {
	ScheduledRotations(ctx context.Context) ([]ScheduledRotation, error)
}

// ScheduledRotation is the next scheduled rotation of a credential: when
// it is due, when its owners are warned, and whether they were.
type ScheduledRotation struct {
	Credential string    `json:"credential"`
	Org        string    `json:"org"`
	Username   string    `json:"username"`
	Every      string    `json:"every"`
	Due        time.Time `json:"due"`
	WarnAt     time.Time `json:"warnAt"`
	Warned     bool      `json:"warned"`
}

// Auditor records what a principal did (access control's audit log
// satisfies it): action, target and result, with who and from where
// taken from ctx.
type Auditor interface {
	Audit(ctx context.Context, action, target string, result error) error
}

// Server is Warden's HTTP interface. Set its fields before serving and
// leave them alone afterwards; Store and Readiness must be set, the
// capability slots (Checker, Rotator, Reauthorizer, Activity, Schedule,
// Login) may stay nil, which hides what they offer.
type Server struct {
	// Store holds everything the pages and the API show: the inventory,
	// the health read model and history, findings, rotations and alerts.
	Store warden.Store
	// Readiness answers /readyz.
	Readiness Readiness
	// Gatherer serves /metrics (default: the default registry); the
	// overview charts the API requests it counts per org.
	Gatherer prometheus.Gatherer

	// Checker, Rotator and Reauthorizer act on a user; Activity reads
	// logins and setup changes; Schedule lists scheduled rotations.
	// (Broker keys and running rotations come from Store.)
	Checker      Checker
	Rotator      Rotator
	Reauthorizer Reauthorizer
	Activity     Activity
	Schedule     Schedule

	// Authenticate wraps every route but the public ones and puts the
	// request's warden.Principal in its context when it has one. Nil
	// means the server has no accounts (see guard).
	Authenticate func(http.Handler) http.Handler
	// Login serves /login, /logout and the OIDC redirects (access
	// control's handler); nil answers them 404.
	Login http.Handler
	// Auditor records every action (check now, acknowledge, snooze); nil
	// records none.
	Auditor Auditor
	// RemoteReads lets every client read every route without
	// authentication, as the local viewer (it changes nothing). Without
	// it, anonymous clients get only the public routes.
	RemoteReads bool
	// Hosts are the host names (or IP addresses) that requests may name
	// in their Host header besides loopback ones: the public URL's host,
	// and the listen address's host. Any other name is refused with 421,
	// so that a web page cannot reach the server through a rebound DNS
	// name. Probes answer whatever the Host.
	Hosts []string

	// Logger receives the details of internal errors (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time

	router  *http.ServeMux
	paths   *http.ServeMux
	routes  []Route
	methods map[string][]string
}

// NewServer returns a Server with its routes registered and defaults set;
// set its services before serving.
func NewServer() *Server {
	s := &Server{
		Gatherer: prometheus.DefaultGatherer,
		Logger:   slog.New(slog.DiscardHandler),
		Now:      time.Now,
		router:   http.NewServeMux(),
		methods:  map[string][]string{},
	}
	s.registerProbeRoutes()
	s.registerLoginRoutes()
	s.registerStatusRoutes()
	s.registerUserRoutes()
	s.registerPageRoutes()
	s.registerAlertRoutes()
	s.registerAPIRoutes()
	s.registerMetricsRoutes()
	s.indexPaths()
	// Anything else is not found (or not allowed), in the shape of its
	// part of the site, after the same checks as a viewer's route.
	s.router.Handle("/api/", s.guard(warden.RoleViewer, s.notRouted(s.writeJSONError), s.writeJSONError))
	s.router.Handle("/", s.guard(warden.RoleViewer, s.notRouted(s.writePageError), s.writePageError))
	return s
}

// ServeHTTP sets the security headers and routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	s.router.ServeHTTP(w, r)
}

// registerLoginRoutes mounts access control's login handler at /login and
// /logout: public, since they are how a principal is made.
func (s *Server) registerLoginRoutes() {
	login := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Login == nil {
			err := warden.Errorf(warden.ENOTFOUND, "this server has no accounts to log in to: it runs without authentication")
			s.writePageError(w, r, errorStatus(err), err)
			return
		}
		s.Login.ServeHTTP(w, r)
	})
	s.handle(Route{Method: "GET", Pattern: "/login", Summary: "The login page."}, login)
	s.handle(Route{Method: "POST", Pattern: "/login", Summary: "Log in with a username and password."}, login)
	s.handle(Route{Method: "POST", Pattern: "/logout", Summary: "Log out: end the session."}, login)
	s.handle(Route{Method: "GET", Pattern: "/auth/oidc/login", Summary: "Start single sign-on (404 without OIDC)."}, login)
	s.handle(Route{Method: "GET", Pattern: "/auth/oidc/callback", Summary: "Finish single sign-on."}, login)
}

// audit records an action of r's principal on target with its result.
func (s *Server) audit(r *http.Request, action, target string, result error) {
	if s.Auditor != nil {
		s.Auditor.Audit(r.Context(), action, target, result)
	}
}

// checkHost accepts a Host header that names loopback (localhost, a
// *.localhost name, a loopback address) or one of s.Hosts.
func (s *Server) checkHost(r *http.Request) error {
	if r.Host == "" {
		return warden.Errorf(warden.EINVALID, "the request has no Host header")
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	for _, h := range s.Hosts {
		if strings.EqualFold(strings.Trim(h, "[]"), host) {
			return nil
		}
	}
	return warden.Errorf(warden.EINVALID, "this Warden server does not answer to the host name %q; "+
		"set server.publicUrl to the URL people use to reach it", r.Host)
}

// loopbackClient reports whether r comes from this host.
func loopbackClient(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	encodeJSON(w, v)
}

// encodeJSON writes v as indented JSON: the one encoding of every JSON
// document Warden serves or prints.
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
