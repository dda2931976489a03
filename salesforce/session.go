package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden"
)

// Authenticator logs in and returns a fresh token. A Session calls it on
// first use and again only when Salesforce rejects the cached token.
type Authenticator interface {
	Authenticate(ctx context.Context) (*Token, error)
}

// LoginUser returns the username a logs in as, for the authenticators
// that name one (JWT bearer, username-password, SOAP), or "".
func LoginUser(a Authenticator) string {
	switch a := a.(type) {
	case *JWTAuth:
		return a.Grant.Username
	case *PasswordAuth:
		return a.Username
	case *SOAPAuth:
		return a.Username
	}
	return ""
}

// AuthFunc adapts a function to Authenticator.
type AuthFunc func(ctx context.Context) (*Token, error)

// Authenticate calls f.
func (f AuthFunc) Authenticate(ctx context.Context) (*Token, error) { return f(ctx) }

// JWTAuth authenticates with the JWT bearer flow.
type JWTAuth struct {
	Client *Client
	Grant  JWTGrant
}

// Authenticate signs a new assertion and logs in.
func (a *JWTAuth) Authenticate(ctx context.Context) (*Token, error) {
	return a.Client.JWTBearer(ctx, a.Grant)
}

// ClientCredentialsAuth authenticates with the client credentials flow.
type ClientCredentialsAuth struct {
	Client       *Client
	ClientID     string
	ClientSecret string
}

// Authenticate logs in as the app's run-as user.
func (a *ClientCredentialsAuth) Authenticate(ctx context.Context) (*Token, error) {
	return a.Client.ClientCredentials(ctx, a.ClientID, a.ClientSecret)
}

// RefreshAuth authenticates with the refresh token flow. When the app
// rotates refresh tokens, each refresh returns a new refresh token and kills
// the old one: RefreshAuth then calls OnRotate to persist the new token
// (in the secret store) before the new access token is used, and fails the
// login if OnRotate fails. Either way it keeps using the newest token,
// since presenting a rotated-out token makes Salesforce revoke the whole
// token family.
type RefreshAuth struct {
	Client       *Client
	ClientID     string
	ClientSecret string
	// RefreshToken is the token to start from.
	RefreshToken string
	// OnRotate persists a rotated refresh token; nil keeps it in memory
	// only.
	OnRotate func(ctx context.Context, newRefreshToken string) error

	mu      sync.Mutex
	current string
}

// Current returns the refresh token the next refresh will present.
func (a *RefreshAuth) Current() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.current == "" {
		return a.RefreshToken
	}
	return a.current
}

// Authenticate refreshes, persisting a rotated refresh token first.
func (a *RefreshAuth) Authenticate(ctx context.Context) (*Token, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	rt := a.current
	if rt == "" {
		rt = a.RefreshToken
	}
	tok, err := a.Client.Refresh(ctx, RefreshGrant{ClientID: a.ClientID, ClientSecret: a.ClientSecret, RefreshToken: rt})
	if err != nil {
		return nil, err
	}
	if tok.RefreshToken == "" || tok.RefreshToken == rt {
		return tok, nil
	}
	a.current = tok.RefreshToken
	if a.OnRotate != nil {
		if err := a.OnRotate(ctx, tok.RefreshToken); err != nil {
			kind := warden.ErrorKind(err) // EINTERNAL unless the callback says otherwise
			return nil, &Error{Op: "salesforce.RefreshAuth", Code: "ROTATION_NOT_PERSISTED",
				Message: redact("the rotated refresh token could not be persisted, so its access token is not used: "+
					warden.ErrorMessage(err), []string{tok.RefreshToken, rt, tok.AccessToken}), kind: kind, err: err}
		}
	}
	return tok, nil
}

// PasswordAuth authenticates with the OAuth username-password flow.
//
// Deprecated: the flow is being retired (see Client.PasswordGrant); use
// JWTAuth or ClientCredentialsAuth.
type PasswordAuth struct {
	Client       *Client
	ClientID     string
	ClientSecret string
	Username     string
	// Password is the password followed by the security token.
	Password string
}

// Authenticate logs in with the username-password flow.
func (a *PasswordAuth) Authenticate(ctx context.Context) (*Token, error) {
	return a.Client.PasswordGrant(ctx, a.ClientID, a.ClientSecret, a.Username, a.Password)
}

// SOAPAuth authenticates with SOAP login(). A login whose password has
// expired fails with warden.CausePasswordExpired.
//
// Deprecated: SOAP login() is being retired (see Client.SOAPLogin); use
// JWTAuth or ClientCredentialsAuth.
type SOAPAuth struct {
	Client   *Client
	Username string
	// Password is the password followed by the security token.
	Password string
}

// Authenticate logs in with SOAP login().
func (a *SOAPAuth) Authenticate(ctx context.Context) (*Token, error) {
	tok, expired, err := a.Client.SOAPLogin(ctx, a.Username, a.Password)
	if err != nil {
		return nil, err
	}
	if expired {
		return nil, expiredPasswordError("salesforce.SOAPLogin", tok.IssuedAt)
	}
	return tok, nil
}

// Session is a logged-in conversation with one org as one user. It logs in
// on first use, shares the token among goroutines, and logs in again only
// when Salesforce rejects the token (then once per rejection, however many
// goroutines saw it). It is safe for concurrent use.
type Session struct {
	c    *Client
	auth Authenticator

	mu     sync.Mutex
	tok    *Token
	flight *flight
	// API usage from Sforce-Limit-Info.
	used, max int
	usageOK   bool
	// exhausted is when the daily API limit was seen reached; zero when
	// it was not.
	exhausted time.Time
}

// flight is one authentication in progress, shared by every caller that
// needs a token meanwhile.
type flight struct {
	done     chan struct{}
	tok      *Token
	err      error
	canceled bool // the leader's context ended; followers try again
}

// NewSession returns a session that logs in with auth. It makes no call
// until it is used.
func NewSession(c *Client, auth Authenticator) *Session {
	return &Session{c: c, auth: auth}
}

// Client returns the session's client.
func (s *Session) Client() *Client { return s.c }

// Token returns the session's token, logging in if it has none. The token
// is shared: do not change it.
func (s *Session) Token(ctx context.Context) (*Token, error) {
	for {
		s.mu.Lock()
		if s.tok != nil {
			t := s.tok
			s.mu.Unlock()
			return t, nil
		}
		if f := s.flight; f != nil {
			s.mu.Unlock()
			select {
			case <-f.done:
				if f.canceled && ctx.Err() == nil {
					continue
				}
				return f.tok, f.err
			case <-ctx.Done():
				return nil, ctxError("salesforce.Session", ctx)
			}
		}
		f := &flight{done: make(chan struct{})}
		s.flight = f
		s.mu.Unlock()
		return s.lead(ctx, f)
	}
}

// lead runs the authentication of flight f and hands its outcome to every
// caller waiting on it, even if the Authenticator panics.
func (s *Session) lead(ctx context.Context, f *flight) (tok *Token, err error) {
	finished := false
	finish := func() {
		finished = true
		s.mu.Lock()
		s.flight = nil
		if err == nil {
			s.tok = tok
		}
		s.mu.Unlock()
		f.tok, f.err, f.canceled = tok, err, err != nil && ctx.Err() != nil
		close(f.done)
	}
	defer func() {
		if !finished { // the Authenticator panicked
			tok, err = nil, &Error{Op: "salesforce.Session", Message: "login aborted", kind: warden.EINTERNAL}
			finish()
		}
	}()
	tok, err = s.auth.Authenticate(ctx)
	if err == nil && tok == nil {
		err = &Error{Op: "salesforce.Session", Message: "authenticator returned no token", kind: warden.EINTERNAL}
	}
	if err != nil {
		var se *Error
		if !errors.As(err, &se) {
			err = &Error{Op: "salesforce.Session", Message: "login failed: " + warden.ErrorMessage(err), kind: warden.ErrorKind(err), err: err}
		}
		tok = nil
	}
	finish()
	return tok, err
}

// Invalidate drops the cached token if it is still tok (nil drops any), so
// that the next call logs in again.
func (s *Session) Invalidate(tok *Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok == nil || s.tok == tok {
		s.tok = nil
	}
}

// ctxError is the *Error of a call whose context ended.
func ctxError(op string, ctx context.Context) *Error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Op: op, Message: "no answer before the deadline", Cause: warden.CauseOrgUnavailable, err: ctx.Err()}
	}
	return &Error{Op: op, Message: "canceled", kind: warden.EUNAVAILABLE, err: ctx.Err()}
}

// APIUsage returns the org's daily API usage as of the last response that
// carried Sforce-Limit-Info (or the last Limits call); ok is false before
// any.
func (s *Session) APIUsage() (used, max int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used, s.max, s.usageOK
}

var usagePattern = regexp.MustCompile(`api-usage=(\d+)/(\d+)`)

// observe tracks Sforce-Limit-Info and the daily limit.
func (s *Session) observe(r *response) {
	m := usagePattern.FindStringSubmatch(r.header.Get("Sforce-Limit-Info"))
	limitHit := r.status == http.StatusForbidden && strings.Contains(string(r.body), "REQUEST_LIMIT_EXCEEDED")
	if m == nil && !limitHit {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m != nil {
		s.used, _ = strconv.Atoi(m[1])
		s.max, _ = strconv.Atoi(m[2])
		s.usageOK = true
		s.exhausted = time.Time{}
		if s.used >= s.max {
			s.exhausted = s.c.now()
		}
	}
	if limitHit {
		s.exhausted = s.c.now()
		if s.usageOK {
			s.used = max(s.used, s.max)
		}
	}
}

// setUsage records usage read from the limits resource.
func (s *Session) setUsage(l Limit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.used, s.max, s.usageOK = l.Max-l.Remaining, l.Max, true
	s.exhausted = time.Time{}
	if l.Remaining <= 0 {
		s.exhausted = s.c.now()
	}
}

// limitError refuses a call locally while the daily API limit is reached
// (until the next UTC day, or until Limits shows room).
func (s *Session) limitError(op string) *Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exhausted.IsZero() {
		return nil
	}
	now := s.c.now().UTC()
	y1, m1, d1 := s.exhausted.UTC().Date()
	y2, m2, d2 := now.Date()
	if y1 != y2 || m1 != m2 || d1 != d2 {
		s.exhausted = time.Time{}
		return nil
	}
	msg := "the org's daily API request limit is reached; no request sent until it resets or Limits shows room"
	if s.usageOK {
		msg = fmt.Sprintf("the org's daily API request limit is reached (%d of %d used); no request sent until it resets or Limits shows room", s.used, s.max)
	}
	return &Error{Op: op, Code: "REQUEST_LIMIT_EXCEEDED", Message: msg, Cause: warden.CauseAPILimitExhausted}
}

// invalidSession reports whether Salesforce rejected the token itself.
func invalidSession(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Status == http.StatusUnauthorized || e.Code == "INVALID_SESSION_ID" || isBadOAuthToken(e.Status, e.Message)
}

// call makes an authenticated request built by build for the current
// token; on INVALID_SESSION_ID it logs in again once and repeats it.
func (s *Session) call(ctx context.Context, op string, checkLimit bool, build func(*Token) *request, decode func(*response) error) (*response, error) {
	for attempt := 0; ; attempt++ {
		if checkLimit {
			if err := s.limitError(op); err != nil {
				return nil, err
			}
		}
		tok, err := s.Token(ctx)
		if err != nil {
			return nil, err
		}
		rq := build(tok)
		rq.op = op
		rq.secrets = append(rq.secrets, tok.AccessToken, tok.RefreshToken)
		if rq.header == nil {
			rq.header = http.Header{}
		}
		rq.header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := s.c.roundTrip(ctx, rq, s.observe, decode)
		if err != nil && attempt == 0 && invalidSession(err) {
			s.Invalidate(tok)
			continue
		}
		return resp, err
	}
}

// dataURL is the URL of a REST resource: paths starting with /services/
// are taken as they are, others are relative to /services/data/vXX.X/.
func (s *Session) dataURL(tok *Token, path string) string {
	if strings.HasPrefix(path, "/services/") {
		return tok.InstanceURL + path
	}
	return tok.InstanceURL + "/services/data/v" + s.c.version + "/" + strings.TrimPrefix(path, "/")
}

// Do makes an authenticated REST call: method on path (relative to
// /services/data/vXX.X/ unless it starts with /services/), with body
// encoded as JSON when not nil, decoding a JSON answer into out when not
// nil. It is the building block of the typed calls and serves resources
// they do not cover.
func (s *Session) Do(ctx context.Context, method, path string, body, out any) error {
	return s.do(ctx, "salesforce.Do", method, path, nil, body, out)
}

func (s *Session) do(ctx context.Context, op, method, path string, header http.Header, body, out any) error {
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return &Error{Op: op, Message: "cannot encode the request body: " + err.Error(), kind: warden.EINVALID, err: err}
		}
	}
	var decode func(*response) error
	if out != nil {
		decode = func(r *response) error {
			if len(r.body) == 0 {
				return nil
			}
			return json.Unmarshal(r.body, out)
		}
	}
	idempotent := method == http.MethodGet || method == http.MethodHead || method == http.MethodPut
	_, err := s.call(ctx, op, true, func(tok *Token) *request {
		rq := &request{src: srcREST, method: method, url: s.dataURL(tok, path), body: data, idempotent: idempotent, header: header.Clone()}
		if data != nil {
			rq.contentType = "application/json"
		}
		return rq
	}, decode)
	return err
}
