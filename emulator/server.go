// Package emulator is a local Salesforce: OAuth 2.0 and SOAP login, the REST
// data API with a SOQL subset, the objects that describe integration users
// (User, UserLogin, Profile, PermissionSet, LoginHistory, SetupAuditTrail,
// ...), org security policies, fault injection and a control API. It is an
// http.Handler, so tests start it in-process with httptest:
//
//	seed, _ := emulator.LoadSeedFile("seed.yaml")
//	srv, _ := emulator.New(seed, emulator.Options{})
//	ts := httptest.NewServer(srv)
//
// The base URL a client used is both the login URL and the instance URL.
// Access tokens look like real ones (<org id>!<opaque>) and route each REST
// call to its org. docs/emulator.md lists what is emulated and what is not.
package emulator

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden/emulator/soql"
)

// Options configure a Server.
type Options struct {
	// Now is the source of wall-clock time; the control API's clock offset is
	// added to it. Default time.Now.
	Now func() time.Time
	// DisableControl turns the /_emulator/ control API off.
	DisableControl bool
	// Logger receives one line per request at debug level and unexpected
	// failures at error level. Default: discard.
	Logger *slog.Logger
	// MaxBodyBytes bounds request bodies; default 8 MiB.
	MaxBodyBytes int64
}

// Server is an emulated Salesforce serving every org of a seed on one
// listener. It is safe for concurrent use.
type Server struct {
	opts Options
	log  *slog.Logger

	mu         sync.Mutex
	offset     time.Duration // control API clock offset
	seq        uint64
	orgs       []*org
	orgByID    map[string]*org // 15- and 18-char ids
	userByName map[string]*user
	appByKey   map[string]*connectedApp
	sessions   map[string]*session
	issued     uint64 // sessions issued, to prune now and then
	refresh    map[string]*refreshToken
	codes      map[string]*authCode
	cursors    map[string]*cursor
	mail       map[string][]Mail
	faults     []*Fault
	nfaults    atomic.Int32 // len(faults), read without the lock
	events     *eventLog
	queryCache map[string]*soql.Query
	pageCache  map[string][]byte // single-page query answers, see query
	txn        *txn              // the all-or-none request in progress, see beginTxn

	// mailPasswords are the mailbox accounts' passwords (rotation.go).
	mailPasswords map[string]string
}

// session is an access token.
type session struct {
	token    string
	user     *user
	app      *connectedApp // nil for SOAP sessions
	refresh  *refreshToken // the refresh token it came from, if any
	issued   time.Time
	lastUsed time.Time
	scope    string
	// expiredPassword marks a SOAP session of a user whose password expired:
	// it may only call setPassword.
	expiredPassword bool
}

// Mail is a message the emulator delivered to a user's mailbox.
type Mail struct {
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	Sent    time.Time `json:"sent"`
	// Password and SecurityToken carry the new credentials the message
	// announces, when it announces any, so tests need not parse Body.
	Password      string `json:"password,omitempty"`
	SecurityToken string `json:"securityToken,omitempty"`
}

// New returns a server holding the state described by seed. The seed is
// validated first; a nil seed yields an empty emulator.
func New(seed *Seed, opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 8 << 20
	}
	s := &Server{
		opts: opts, log: opts.Logger,
		orgByID: map[string]*org{}, userByName: map[string]*user{}, appByKey: map[string]*connectedApp{},
		sessions: map[string]*session{}, refresh: map[string]*refreshToken{}, codes: map[string]*authCode{},
		cursors: map[string]*cursor{}, mail: map[string][]Mail{}, queryCache: map[string]*soql.Query{}, pageCache: map[string][]byte{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.events = newEventLog()
	if seed != nil {
		if err := seed.Validate(); err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if err := s.apply(seed); err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
	}
	return s, nil
}

// now returns the emulator's clock. Callers may hold s.mu or not.
func (s *Server) now() time.Time { return s.opts.Now().UTC().Add(s.offset) }

// newID allocates an id in org o. Callers hold s.mu.
func (s *Server) newID(o *org, prefix string) string {
	s.seq++
	return makeID(prefix, o.tag, s.seq)
}

// randToken returns n random bytes encoded for use in tokens ([A-Za-z0-9_.]).
func randToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.NewReplacer("-", ".", "=", "").Replace(base64.RawURLEncoding.EncodeToString(b))
}

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if strings.HasPrefix(p, "//") {
		// Clients that keep a trailing slash on the instance URL (the
		// Salesforce CLI after "org login access-token") send //services/...,
		// which Salesforce serves like /services/....
		p = "/" + strings.TrimLeft(p, "/")
		r.URL.Path = p
	}
	if strings.HasPrefix(p, "/_emulator/") || p == "/_emulator" {
		if s.opts.DisableControl {
			restError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
			return
		}
		if !controlContentType(w, r) {
			return
		}
		if err := readBody(w, r, maxControlBody); err != nil {
			controlError(w, http.StatusRequestEntityTooLarge, "request body: %v", err)
			return
		}
		s.serveControl(w, r)
		return
	}
	if s.applyFaults(w, r) {
		return
	}
	// The body is read in full before any handler takes s.mu, so a client
	// that sends its body slowly holds up nobody but itself.
	if err := readBody(w, r, s.opts.MaxBodyBytes); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case !errors.As(err, &mbe):
			// The client went away or sent a broken body: nothing to answer.
		case strings.HasPrefix(p, "/services/oauth2/"):
			oauthError(w, http.StatusBadRequest, "invalid_request", "malformed request body")
		case strings.HasPrefix(p, "/services/Soap/"):
			soapFault(w, &soapCall{partner: strings.HasPrefix(p, "/services/Soap/u/")}, "soapenv:Client", "", "", "Request body too large or unreadable")
		default:
			restError(w, http.StatusRequestEntityTooLarge, "REQUEST_ENTITY_TOO_LARGE", "Request body exceeds the maximum size")
		}
		return
	}
	switch {
	case strings.HasPrefix(p, "/services/oauth2/"):
		s.serveOAuth(w, r)
	case strings.HasPrefix(p, "/services/Soap/u/") || strings.HasPrefix(p, "/services/Soap/c/"):
		s.serveSOAP(w, r)
	case strings.HasPrefix(p, "/services/Soap/m/"): // migrate.go
		s.serveMetadata(w, r)
	case strings.HasPrefix(p, "/services/data"):
		s.serveData(w, r)
	case strings.HasPrefix(p, "/id/"):
		s.serveIdentity(w, r)
	case strings.HasPrefix(p, "/cometd/"):
		s.serveCometD(w, r)
	case p == "/" || p == "":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "Warden Salesforce emulator. Login URL and instance URL: %s\nControl API: %s/_emulator/orgs\n", baseURL(r), baseURL(r))
	default:
		restError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
}

// maxControlBody bounds control API request bodies.
const maxControlBody = 1 << 20

// readBody reads the request body in full (at most limit bytes) and
// replaces it with the bytes read. An empty body costs nothing.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= limit {
		buf.Grow(int(r.ContentLength))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	r.Body.Close()
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(buf.Bytes()))
	return nil
}

// controlContentType refuses a state-changing control request unless it
// says its body is JSON. A web page can make a browser send a cross-site
// POST with text/plain or a form type without asking first, but not one
// with application/json, so this keeps pages away from the control API.
func controlContentType(w http.ResponseWriter, r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	case http.MethodDelete:
		if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
			return true
		}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && mt == "application/json" {
		return true
	}
	controlError(w, http.StatusUnsupportedMediaType,
		"control API: %s needs Content-Type: application/json (got %q); other content types are refused so that a web page cannot change the emulator",
		r.Method, r.Header.Get("Content-Type"))
	return false
}

// baseURL is the scheme and host the client used to reach the emulator.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if fp := r.Header.Get("X-Forwarded-Proto"); fp == "https" || fp == "http" {
		scheme = fp
	}
	return scheme + "://" + r.Host
}

// clientIP returns the source address of a request.
func clientIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap()
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}

// restError writes Salesforce's REST error shape: a JSON array of one
// {message, errorCode} object.
func restError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, []apiError{{Message: msg, ErrorCode: code}})
}

type apiError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`[{"message":"internal error","errorCode":"UNKNOWN_EXCEPTION"}]`)
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(b)
}
