// Package graphtest is an in-process Microsoft Graph and Entra ID token
// endpoint for tests of package graph, as secret/azurekv/azurekvtest is
// for Azure Key Vault. It speaks exactly the requests the adapter sends,
// with Graph's response and error shapes:
//
//   - POST /{tenant}/oauth2/v2.0/token (client credentials): a bearer token
//     valid for expires_in 3599 seconds; a wrong secret is 401
//     invalid_client with AADSTS7000215, an unknown tenant 400
//     invalid_request with AADSTS90002, another grant 400
//     unsupported_grant_type.
//   - Every Graph call needs a live token, else 401 InvalidAuthenticationToken.
//   - GET /v1.0/users/{user}/mailFolders/inbox/messages with $select,
//     $top (default 10, at most 1000), $orderby=receivedDateTime asc|desc,
//     $filter=receivedDateTime ge|gt <ISO 8601> and $skip, paging with an
//     @odata.nextLink carrying $skip, as Outlook does. Other $filter forms
//     are 400 ErrorInvalidUrlQueryFilter.
//   - GET, PATCH ({"isRead": …}) and DELETE /v1.0/users/{user}/messages/{id}:
//     an unknown id is 404 ErrorItemNotFound, a malformed one 400
//     ErrorInvalidIdMalformed. DELETE moves the message to Deleted Items
//     under a new id, as Exchange does.
//   - PATCH /v1.0/users/{user} with passwordProfile: 204; a password that
//     fails Entra ID's complexity rule (8 to 256 characters, three of
//     upper, lower, digit, symbol) is 400 Request_BadRequest; without the
//     role (Options.DenyPasswordReset) 403 Authorization_RequestDenied.
//   - An unknown user is 404 ErrorInvalidUser (mail) or
//     Request_ResourceNotFound (directory).
//
// Errors carry Graph's body: {"error": {"code", "message", "innerError":
// {"date", "request-id", "client-request-id"}}}.
package graphtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/wardenhq/warden"
)

// Options configure a Server.
type Options struct {
	// Tenant, ClientID and ClientSecret are the one registered
	// application (defaults: "contoso.onmicrosoft.com", "warden-app",
	// "app-secret").
	Tenant, ClientID, ClientSecret string
	// DenyPasswordReset makes password changes fail with 403, as when the
	// application lacks the User Administrator role.
	DenyPasswordReset bool
}

// Server is the fake. It is safe for concurrent use.
type Server struct {
	opts Options
	// URL is the base URL of both the authority and Graph.
	URL string

	mu     sync.Mutex
	tokens map[string]time.Time
	users  map[string]*user // by lower-case UPN
	calls  map[string]int
	fault  func(op string) (status int, code string)
}

type user struct {
	upn      string
	password string
	inbox    []*message
	deleted  []*message
}

type message struct {
	id       string
	from     string
	to       []string
	subject  string
	received time.Time
	body     string
	html     bool
	isRead   bool
}

// Start runs a server until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Tenant == "" {
		opts.Tenant = "contoso.onmicrosoft.com"
	}
	if opts.ClientID == "" {
		opts.ClientID = "warden-app"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "app-secret"
	}
	s := &Server{opts: opts, tokens: map[string]time.Time{}, users: map[string]*user{}, calls: map[string]int{}}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

// Options returns the server's options with defaults filled in.
func (s *Server) Options() Options { return s.opts }

// AddUser creates a mailbox user.
func (s *Server) AddUser(upn, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[strings.ToLower(upn)] = &user{upn: upn, password: password}
}

// Password returns a user's current password.
func (s *Server) Password(upn string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[strings.ToLower(upn)]; u != nil {
		return u.password
	}
	return ""
}

// Deliver puts a message in a user's inbox and returns its id. The body
// is HTML when html is true.
func (s *Server) Deliver(upn string, m warden.MailMessage, html bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[strings.ToLower(upn)]
	if u == nil {
		panic("graphtest: no user " + upn)
	}
	msg := &message{id: newID(), from: m.From, to: slices.Clone(m.To), subject: m.Subject, received: m.Received.UTC(), body: m.TextBody, html: html}
	u.inbox = append(u.inbox, msg)
	return msg.id
}

// IsRead reports whether an inbox message is marked read.
func (s *Server) IsRead(upn, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[strings.ToLower(upn)]; u != nil {
		if m, _ := u.find(id); m != nil {
			return m.isRead
		}
	}
	return false
}

// DeletedCount returns how many messages are in a user's Deleted Items.
func (s *Server) DeletedCount(upn string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[strings.ToLower(upn)]; u != nil {
		return len(u.deleted)
	}
	return 0
}

// ExpireTokens makes every issued token invalid, as after an hour.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// Calls returns how many requests op got: "token", "list", "get",
// "patch-message", "delete", "patch-user".
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// SetFault makes requests for which f returns a status fail with it and
// the error code (e.g. 429 "ApplicationThrottled", 503
// "ServiceUnavailable"). Nil clears it.
func (s *Server) SetFault(f func(op string) (status int, code string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

func newID() string {
	b := make([]byte, 48)
	rand.Read(b)
	return "AAMkAG" + base64.URLEncoding.EncodeToString(b)
}

// validID is the shape of Exchange item ids: URL-safe base64.
func validID(id string) bool {
	if len(id) < 8 || len(id) > 512 {
		return false
	}
	for _, r := range id {
		if !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_=+/", r))) {
			return false
		}
	}
	return true
}

func (u *user) find(id string) (*message, int) {
	for i, m := range u.inbox {
		if m.id == id {
			return m, i
		}
	}
	return nil, -1
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// graphError writes Graph's error body.
func graphError(w http.ResponseWriter, status int, code, message string) {
	rid := newUUID()
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": code, "message": message,
		"innerError": map[string]string{"date": time.Now().UTC().Format("2006-01-02T15:04:05"), "request-id": rid, "client-request-id": rid},
	}})
}

func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	if len(parts) == 4 && parts[1] == "oauth2" && parts[2] == "v2.0" && parts[3] == "token" && r.Method == http.MethodPost {
		s.calls["token"]++
		if s.injected(w, r, "token") {
			return
		}
		s.token(w, r, parts[0])
		return
	}
	if len(parts) < 3 || parts[0] != "v1.0" || parts[1] != "users" {
		graphError(w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+strings.Join(parts, "/")+"'.")
		return
	}
	op := s.op(r.Method, parts)
	s.calls[op]++
	if !s.authorized(r) {
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
		return
	}
	if s.injected(w, r, op) {
		return
	}
	u := s.users[strings.ToLower(parts[2])]
	switch op {
	case "patch-user":
		if u == nil {
			graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", parts[2]))
			return
		}
		s.patchUser(w, r, u)
		return
	case "unknown":
		graphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Unsupported request %s %s.", r.Method, r.URL.Path))
		return
	}
	if u == nil {
		graphError(w, http.StatusNotFound, "ErrorInvalidUser", fmt.Sprintf("The requested user '%s' is invalid.", parts[2]))
		return
	}
	switch op {
	case "list":
		if !strings.EqualFold(parts[4], "inbox") {
			graphError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
			return
		}
		s.list(w, r, u, parts[2])
	case "get", "patch-message", "delete":
		id := parts[4]
		if !validID(id) {
			graphError(w, http.StatusBadRequest, "ErrorInvalidIdMalformed", "Id is malformed.")
			return
		}
		m, i := u.find(id)
		if m == nil {
			graphError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
			return
		}
		switch op {
		case "get":
			writeJSON(w, http.StatusOK, s.resource(m, true))
		case "patch-message":
			var in map[string]json.RawMessage
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				graphError(w, http.StatusBadRequest, "RequestBodyRead", "Invalid JSON.")
				return
			}
			for k, v := range in {
				if k != "isRead" {
					graphError(w, http.StatusBadRequest, "ErrorInvalidPropertyRequest", "The property '"+k+"' cannot be updated here.")
					return
				}
				if err := json.Unmarshal(v, &m.isRead); err != nil {
					graphError(w, http.StatusBadRequest, "RequestBodyRead", "Cannot convert the literal to the expected type 'Edm.Boolean'.")
					return
				}
			}
			writeJSON(w, http.StatusOK, s.resource(m, false))
		case "delete":
			u.inbox = append(u.inbox[:i], u.inbox[i+1:]...)
			m.id = newID() // moved to Deleted Items under a new id
			u.deleted = append(u.deleted, m)
			w.WriteHeader(http.StatusNoContent)
		}
	}
}

func (s *Server) op(method string, parts []string) string {
	switch {
	case len(parts) == 3 && method == http.MethodPatch:
		return "patch-user"
	case len(parts) == 6 && parts[3] == "mailFolders" && parts[5] == "messages" && method == http.MethodGet:
		return "list"
	case len(parts) == 5 && parts[3] == "messages":
		switch method {
		case http.MethodGet:
			return "get"
		case http.MethodPatch:
			return "patch-message"
		case http.MethodDelete:
			return "delete"
		}
	}
	return "unknown"
}

func (s *Server) injected(w http.ResponseWriter, r *http.Request, op string) bool {
	if s.fault == nil {
		return false
	}
	status, code := s.fault(op)
	if status == 0 {
		return false
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "2")
	}
	graphError(w, status, code, "Injected fault.")
	return true
}

func (s *Server) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	exp, found := s.tokens[tok]
	return ok && found && time.Now().Before(exp)
}

// token is the client credentials grant of the Microsoft identity
// platform.
func (s *Server) token(w http.ResponseWriter, r *http.Request, tenant string) {
	tokenErr := func(status int, code, desc string, aadsts int) {
		writeJSON(w, status, map[string]any{
			"error": code, "error_description": desc + "\r\nTrace ID: " + newUUID() + "\r\nCorrelation ID: " + newUUID() + "\r\nTimestamp: " + time.Now().UTC().Format("2006-01-02 15:04:05Z"),
			"error_codes": []int{aadsts}, "timestamp": time.Now().UTC().Format("2006-01-02 15:04:05Z"),
			"trace_id": newUUID(), "correlation_id": newUUID(),
		})
	}
	if err := r.ParseForm(); err != nil {
		tokenErr(http.StatusBadRequest, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'grant_type'.", 900144)
		return
	}
	switch {
	case !strings.EqualFold(tenant, s.opts.Tenant):
		tokenErr(http.StatusBadRequest, "invalid_request", fmt.Sprintf("AADSTS90002: Tenant '%s' not found.", tenant), 90002)
	case r.PostForm.Get("grant_type") != "client_credentials":
		tokenErr(http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.", 70003)
	case r.PostForm.Get("client_id") != s.opts.ClientID:
		tokenErr(http.StatusBadRequest, "unauthorized_client", fmt.Sprintf("AADSTS700016: Application with identifier '%s' was not found in the directory.", r.PostForm.Get("client_id")), 700016)
	case r.PostForm.Get("client_secret") != s.opts.ClientSecret:
		tokenErr(http.StatusUnauthorized, "invalid_client", fmt.Sprintf("AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", s.opts.ClientID), 7000215)
	case !strings.HasSuffix(r.PostForm.Get("scope"), "/.default"):
		tokenErr(http.StatusBadRequest, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", 1002012)
	default:
		b := make([]byte, 32)
		rand.Read(b)
		tok := "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(b)
		s.tokens[tok] = time.Now().Add(3599 * time.Second)
		writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": tok})
	}
}

// resource renders a message as Graph does for the properties Warden
// selects.
func (s *Server) resource(m *message, body bool) map[string]any {
	addr := func(a string) map[string]any {
		return map[string]any{"emailAddress": map[string]string{"name": a, "address": a}}
	}
	to := []any{}
	for _, a := range m.to {
		to = append(to, addr(a))
	}
	out := map[string]any{
		"@odata.etag": `W/"CQAAABYAAAD` + m.id[6:14] + `"`,
		"id":          m.id, "receivedDateTime": m.received.Format("2006-01-02T15:04:05Z"),
		"subject": m.subject, "isRead": m.isRead, "toRecipients": to,
	}
	if m.from != "" {
		out["from"] = addr(m.from)
	}
	if body {
		ct, content := "text", m.body
		if m.html {
			ct = "html"
		}
		out["body"] = map[string]string{"contentType": ct, "content": content}
	}
	return out
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, u *user, userSeg string) {
	q := r.URL.Query()
	top, skip := 10, 0
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			graphError(w, http.StatusBadRequest, "ErrorInvalidUrlQuery", "The value of $top is invalid.")
			return
		}
		top = n
	}
	if v := q.Get("$skip"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			graphError(w, http.StatusBadRequest, "ErrorInvalidUrlQuery", "The value of $skip is invalid.")
			return
		}
		skip = n
	}
	msgs := slices.Clone(u.inbox)
	if f := q.Get("$filter"); f != "" {
		field, rest, _ := strings.Cut(f, " ")
		opr, value, _ := strings.Cut(rest, " ")
		t, err := time.Parse(time.RFC3339, value)
		if field != "receivedDateTime" || (opr != "ge" && opr != "gt") || err != nil {
			graphError(w, http.StatusBadRequest, "ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes.")
			return
		}
		msgs = slices.DeleteFunc(msgs, func(m *message) bool {
			return m.received.Before(t) || (opr == "gt" && m.received.Equal(t))
		})
	}
	desc := true // Outlook's default order is newest first
	switch o := q.Get("$orderby"); o {
	case "":
	case "receivedDateTime asc", "receivedDateTime":
		desc = false
	case "receivedDateTime desc":
	default:
		graphError(w, http.StatusBadRequest, "ErrorInvalidUrlQuery", "The $orderby value is not supported.")
		return
	}
	slices.SortStableFunc(msgs, func(a, b *message) int {
		if desc {
			return b.received.Compare(a.received)
		}
		return a.received.Compare(b.received)
	})
	end := min(skip+top, len(msgs))
	page := []any{}
	if skip < len(msgs) {
		for _, m := range msgs[skip:end] {
			page = append(page, s.resource(m, false))
		}
	}
	out := map[string]any{
		"@odata.context": s.URL + "/v1.0/$metadata#users('" + userSeg + "')/mailFolders('inbox')/messages(" + q.Get("$select") + ")",
		"value":          page,
	}
	if end < len(msgs) {
		next := *r.URL
		nq := next.Query()
		nq.Set("$skip", strconv.Itoa(end))
		next.RawQuery = nq.Encode()
		out["@odata.nextLink"] = s.URL + next.Path + "?" + next.RawQuery
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request, u *user) {
	var in struct {
		PasswordProfile *struct {
			Password                      *string `json:"password"`
			ForceChangePasswordNextSignIn *bool   `json:"forceChangePasswordNextSignIn"`
		} `json:"passwordProfile"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.PasswordProfile == nil || in.PasswordProfile.Password == nil {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'passwordProfile' of resource 'User'.")
		return
	}
	if s.opts.DenyPasswordReset {
		graphError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	if !meetsComplexity(*in.PasswordProfile.Password) {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "The specified password does not comply with password complexity requirements. Please provide a different password.")
		return
	}
	u.password = *in.PasswordProfile.Password
	w.WriteHeader(http.StatusNoContent)
}

// meetsComplexity is Entra ID's rule for cloud-only users: 8 to 256 characters
// and three of the four character classes.
func meetsComplexity(pw string) bool {
	n := len([]rune(pw))
	if n < 8 || n > 256 {
		return false
	}
	var upper, lower, digit, symbol int
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			symbol = 1
		}
	}
	return upper+lower+digit+symbol >= 3
}
