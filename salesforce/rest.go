package salesforce

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// Versions lists the API versions of the session's instance (or of the
// login URL before the first login). It needs no login and makes none.
func (s *Session) Versions(ctx context.Context) ([]Version, error) {
	base := s.c.loginURL
	s.mu.Lock()
	if s.tok != nil {
		base = s.tok.InstanceURL
	}
	s.mu.Unlock()
	return s.c.versions(ctx, base)
}

// Record is one sObject row as Salesforce encodes it in JSON. Its
// accessors take a field name or a dotted relationship path
// ("Profile.Name") and return the zero value when the field is absent or
// null.
type Record map[string]json.RawMessage

// Raw returns the JSON of a field (nil when absent).
func (r Record) Raw(path string) json.RawMessage {
	cur := r
	parts := strings.Split(path, ".")
	for i, p := range parts {
		v, ok := cur[p]
		if !ok {
			for k, x := range cur { // field names are case-insensitive
				if strings.EqualFold(k, p) {
					v, ok = x, true
					break
				}
			}
		}
		if !ok {
			return nil
		}
		if i == len(parts)-1 {
			return v
		}
		var next Record
		if json.Unmarshal(v, &next) != nil || next == nil {
			return nil
		}
		cur = next
	}
	return nil
}

// IsNull reports whether a field is absent or null.
func (r Record) IsNull(path string) bool {
	v := bytes.TrimSpace(r.Raw(path))
	return len(v) == 0 || string(v) == "null"
}

// String returns a text field; other JSON values are returned as their
// JSON text.
func (r Record) String(path string) string {
	v := r.Raw(path)
	if r.IsNull(path) {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// Bool returns a checkbox field.
func (r Record) Bool(path string) bool {
	var b bool
	json.Unmarshal(r.Raw(path), &b)
	return b
}

// Int returns a number field as an integer.
func (r Record) Int(path string) int64 {
	return int64(r.Float(path))
}

// Float returns a number field.
func (r Record) Float(path string) float64 {
	var f float64
	if json.Unmarshal(r.Raw(path), &f) != nil {
		f, _ = strconv.ParseFloat(r.String(path), 64)
	}
	return f
}

// Time returns a date or datetime field ("2026-01-02T15:04:05.000+0000" or
// "2026-01-02"); the zero time when absent or unreadable.
func (r Record) Time(path string) time.Time {
	t, _ := ParseTime(r.String(path))
	return t
}

// ParseTime reads the date and datetime formats Salesforce sends.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("salesforce: %q is not a Salesforce date or datetime", s)
}

// Type returns the sObject type from the record's attributes.
func (r Record) Type() string { return r.String("attributes.type") }

// ID returns the record's Id.
func (r Record) ID() string { return r.String("Id") }

// Records returns the rows of a sub-query field (its first page).
func (r Record) Records(path string) []Record {
	var sub struct {
		Records []Record `json:"records"`
	}
	json.Unmarshal(r.Raw(path), &sub)
	return sub.Records
}

// Decode unmarshals the record into v (a struct with json tags or a map).
func (r Record) Decode(v any) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// QueryOptions tune a query.
type QueryOptions struct {
	// BatchSize asks for pages of this many records (Salesforce accepts
	// 200 to 2000; it may send fewer). 0 leaves it to Salesforce.
	BatchSize int
}

// QueryResult is a query's records, every page fetched.
type QueryResult struct {
	TotalSize int
	Records   []Record
}

// Query runs SOQL and returns every matching record, following
// nextRecordsUrl through all pages. opts may be nil.
func (s *Session) Query(ctx context.Context, soql string, opts *QueryOptions) (*QueryResult, error) {
	return s.collect(ctx, "salesforce.Query", "query", soql, opts)
}

// QueryAll is Query including deleted and archived records.
func (s *Session) QueryAll(ctx context.Context, soql string, opts *QueryOptions) (*QueryResult, error) {
	return s.collect(ctx, "salesforce.QueryAll", "queryAll", soql, opts)
}

func (s *Session) collect(ctx context.Context, op, resource, soql string, opts *QueryOptions) (*QueryResult, error) {
	res := &QueryResult{Records: []Record{}}
	total, err := s.pages(ctx, op, resource, soql, opts, func(raw json.RawMessage) error {
		var r Record
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		res.Records = append(res.Records, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.TotalSize = total
	return res, nil
}

// QueryEach runs SOQL and calls fn with each record, page by page, so that
// large results need not be held in memory. An error from fn stops the
// query and is returned as it is.
func (s *Session) QueryEach(ctx context.Context, soql string, opts *QueryOptions, fn func(Record) error) error {
	var fnErr error
	_, err := s.pages(ctx, "salesforce.QueryEach", "query", soql, opts, func(raw json.RawMessage) error {
		var r Record
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			fnErr = err
			return errStop
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}

// QueryInto runs SOQL on s and decodes every record into a T (a struct
// with json tags named after the fields, or a map).
func QueryInto[T any](ctx context.Context, s *Session, soql string, opts *QueryOptions) ([]T, error) {
	out := []T{}
	_, err := s.pages(ctx, "salesforce.QueryInto", "query", soql, opts, func(raw json.RawMessage) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// errStop ends paging early without an error of its own.
var errStop = fmt.Errorf("stop")

// page is one page of a query result.
type page struct {
	TotalSize      int               `json:"totalSize"`
	Done           bool              `json:"done"`
	NextRecordsURL string            `json:"nextRecordsUrl"`
	Records        []json.RawMessage `json:"records"`
}

// pages runs a query and feeds each record to fn, following
// nextRecordsUrl.
func (s *Session) pages(ctx context.Context, op, resource, soql string, opts *QueryOptions, fn func(json.RawMessage) error) (int, error) {
	var header http.Header
	if opts != nil && opts.BatchSize > 0 {
		header = http.Header{"Sforce-Query-Options": {"batchSize=" + strconv.Itoa(opts.BatchSize)}}
	}
	total, _, err := s.follow(ctx, op, header, nil, resource+"?q="+url.QueryEscape(soql), nil, fn)
	return total, err
}

// follow is the one paging loop of the package, behind every query and
// every query result of a composite call. It starts from first, a page
// already read (a composite subresult), or else reads path; it feeds each
// record to fn and follows nextRecordsUrl while the result is not done.
// A page without records ends the loop even when it names a next page,
// so a server answering empty pages cannot keep it going. before, when
// not nil, is called before each request for a further page with the rows
// read so far and the result's total size. follow returns the total size
// and the number of requests it made.
func (s *Session) follow(ctx context.Context, op string, header http.Header, first *page, path string, before func(read, total int), fn func(json.RawMessage) error) (total, requests int, err error) {
	total, read := -1, 0
	for first != nil || path != "" {
		p := first
		first = nil
		if p == nil {
			if before != nil && total >= 0 {
				before(read, total)
			}
			p = &page{}
			requests++
			if err := s.do(ctx, op, http.MethodGet, path, header, nil, p); err != nil {
				return 0, requests, err
			}
		}
		if total < 0 {
			total = p.TotalSize
		}
		for _, raw := range p.Records {
			if err := fn(raw); err != nil {
				if err == errStop {
					return total, requests, nil
				}
				return 0, requests, &Error{Op: op, Code: "MALFORMED_RESPONSE", Message: "unreadable record: " + err.Error(), Cause: warden.CauseOrgUnavailable, err: err}
			}
		}
		read += len(p.Records)
		path = ""
		if !p.Done && p.NextRecordsURL != "" && len(p.Records) > 0 {
			path = p.NextRecordsURL
		}
	}
	return max(total, 0), requests, nil
}

// MaxSubrequests is the most subrequests one Composite call may carry.
const MaxSubrequests = 25

// Subrequest is one request of a composite call.
type Subrequest struct {
	// Method is GET, POST, PATCH or DELETE.
	Method string
	// URL is the resource, relative to /services/data/vXX.X/ unless it
	// starts with /services/. It may refer to earlier results as
	// @{referenceId.path}, such as @{user.records[0].Id}.
	URL string
	// ReferenceID names the subrequest, unique within the call.
	ReferenceID string
	// Body is encoded as JSON when not nil.
	Body any
	// Headers are extra request headers.
	Headers map[string]string
}

// refPattern matches composite references such as @{user.records[0].Id}.
var refPattern = regexp.MustCompile(`@\{[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+|\[[0-9]+\])*\}`)

// QueryRequest returns a GET subrequest that runs soql. References such as
// @{ref.records[0].Id} in soql are kept as they are (not escaped), so the
// composite API can resolve them.
func QueryRequest(referenceID, soql string) Subrequest {
	esc := url.QueryEscape(soql)
	for _, ref := range refPattern.FindAllString(soql, -1) {
		esc = strings.ReplaceAll(esc, url.QueryEscape(ref), ref)
	}
	return Subrequest{Method: http.MethodGet, URL: "query?q=" + esc, ReferenceID: referenceID}
}

// SubResponse is the answer to one subrequest.
type SubResponse struct {
	ReferenceID string
	Status      int
	Body        json.RawMessage
	Headers     map[string]string

	op      string
	missing bool // the composite answer had no answer for this subrequest
}

// Err returns nil for a 2xx answer and the subrequest's *Error otherwise.
func (r *SubResponse) Err() error {
	if r.missing {
		return &Error{Op: r.op + "[" + r.ReferenceID + "]", Code: "MALFORMED_RESPONSE", Message: "the composite answer lacks this subrequest",
			Cause: warden.CauseOrgUnavailable}
	}
	if r.Status >= 200 && r.Status <= 299 {
		return nil
	}
	rq := &request{op: r.op + "[" + r.ReferenceID + "]", src: srcREST}
	return responseError(rq, &response{status: r.Status, header: http.Header{}, body: r.Body})
}

// Decode unmarshals the body of a 2xx answer into v; other answers return
// Err.
func (r *SubResponse) Decode(v any) error {
	if err := r.Err(); err != nil {
		return err
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return &Error{Op: r.op + "[" + r.ReferenceID + "]", Status: r.Status, Code: "MALFORMED_RESPONSE",
			Message: "unreadable subrequest body: " + err.Error(), Cause: warden.CauseOrgUnavailable, err: err}
	}
	return nil
}

// Composite sends up to MaxSubrequests subrequests in one API call; later
// ones may refer to earlier results. With allOrNone, a failure rolls back
// the others. It fails only when the call as a whole fails; each
// subrequest's outcome is in its SubResponse.
func (s *Session) Composite(ctx context.Context, allOrNone bool, reqs []Subrequest) ([]SubResponse, error) {
	const op = "salesforce.Composite"
	if len(reqs) == 0 || len(reqs) > MaxSubrequests {
		return nil, &Error{Op: op, Message: fmt.Sprintf("a composite call carries 1 to %d subrequests, not %d", MaxSubrequests, len(reqs)), kind: warden.EINVALID}
	}
	type sub struct {
		Method      string            `json:"method"`
		URL         string            `json:"url"`
		ReferenceID string            `json:"referenceId"`
		Body        any               `json:"body,omitempty"`
		HTTPHeaders map[string]string `json:"httpHeaders,omitempty"`
	}
	in := struct {
		AllOrNone        bool  `json:"allOrNone"`
		CompositeRequest []sub `json:"compositeRequest"`
	}{AllOrNone: allOrNone}
	readOnly := true
	for _, r := range reqs {
		u := r.URL
		if !strings.HasPrefix(u, "/services/") {
			u = "/services/data/v" + s.c.version + "/" + strings.TrimPrefix(u, "/")
		}
		m := strings.ToUpper(r.Method)
		readOnly = readOnly && m == http.MethodGet
		in.CompositeRequest = append(in.CompositeRequest, sub{Method: m, URL: u, ReferenceID: r.ReferenceID, Body: r.Body, HTTPHeaders: r.Headers})
	}
	data, err := json.Marshal(in)
	if err != nil {
		return nil, &Error{Op: op, Message: "cannot encode the request body: " + err.Error(), kind: warden.EINVALID, err: err}
	}
	var out struct {
		CompositeResponse []struct {
			Body           json.RawMessage   `json:"body"`
			HTTPHeaders    map[string]string `json:"httpHeaders"`
			HTTPStatusCode int               `json:"httpStatusCode"`
			ReferenceID    string            `json:"referenceId"`
		} `json:"compositeResponse"`
	}
	_, err = s.call(ctx, op, true, func(tok *Token) *request {
		return &request{src: srcREST, method: http.MethodPost, url: s.dataURL(tok, "composite"), body: data,
			contentType: "application/json", idempotent: readOnly}
	}, jsonDecoder(&out))
	if err != nil {
		return nil, err
	}
	res := make([]SubResponse, 0, len(out.CompositeResponse))
	for _, r := range out.CompositeResponse {
		res = append(res, SubResponse{ReferenceID: r.ReferenceID, Status: r.HTTPStatusCode, Body: r.Body, Headers: r.HTTPHeaders, op: op})
	}
	return res, nil
}

func sobjectPath(sobject string, id ...string) string {
	p := "sobjects/" + url.PathEscape(sobject)
	for _, x := range id {
		p += "/" + url.PathEscape(x)
	}
	return p
}

// GetSObject reads one record; with fields, only those fields.
func (s *Session) GetSObject(ctx context.Context, sobject, id string, fields ...string) (Record, error) {
	p := sobjectPath(sobject, id)
	if len(fields) > 0 {
		p += "?fields=" + url.QueryEscape(strings.Join(fields, ","))
	}
	var r Record
	if err := s.do(ctx, "salesforce.GetSObject", http.MethodGet, p, nil, nil, &r); err != nil {
		return nil, err
	}
	return r, nil
}

// CreateSObject creates a record from fields (a map or a struct with json
// tags) and returns its id.
func (s *Session) CreateSObject(ctx context.Context, sobject string, fields any) (string, error) {
	const op = "salesforce.CreateSObject"
	var out struct {
		ID      string `json:"id"`
		Success bool   `json:"success"`
		Errors  []struct {
			Message   string `json:"message"`
			ErrorCode string `json:"errorCode"`
		} `json:"errors"`
	}
	if err := s.do(ctx, op, http.MethodPost, sobjectPath(sobject), nil, fields, &out); err != nil {
		return "", err
	}
	if !out.Success && len(out.Errors) > 0 {
		e := out.Errors[0]
		return "", &Error{Op: op, Status: http.StatusCreated, Code: e.ErrorCode, Message: e.Message, Cause: causeOf(srcREST, 400, e.ErrorCode, e.Message)}
	}
	return out.ID, nil
}

// UpdateSObject changes the given fields of a record.
func (s *Session) UpdateSObject(ctx context.Context, sobject, id string, fields any) error {
	return s.do(ctx, "salesforce.UpdateSObject", http.MethodPatch, sobjectPath(sobject, id), nil, fields, nil)
}

// DeleteSObject deletes a record.
func (s *Session) DeleteSObject(ctx context.Context, sobject, id string) error {
	return s.do(ctx, "salesforce.DeleteSObject", http.MethodDelete, sobjectPath(sobject, id), nil, nil, nil)
}

// PasswordStatus is the state of a user's password.
type PasswordStatus struct {
	IsExpired bool `json:"isExpired"`
}

// UserPassword reads whether a user's password has expired (the REST
// sObject User Password resource). Other users need Manage Users or Reset
// Passwords.
func (s *Session) UserPassword(ctx context.Context, userID string) (PasswordStatus, error) {
	var ps PasswordStatus
	err := s.do(ctx, "salesforce.UserPassword", http.MethodGet, sobjectPath("User", userID, "password"), nil, nil, &ps)
	return ps, err
}

// SetUserPassword sets a user's password; it must satisfy the org's
// password policy (else INVALID_NEW_PASSWORD). Salesforce then issues the
// user a new security token by e-mail.
func (s *Session) SetUserPassword(ctx context.Context, userID, newPassword string) error {
	const op = "salesforce.SetUserPassword"
	data, _ := json.Marshal(map[string]string{"NewPassword": newPassword})
	_, err := s.call(ctx, op, true, func(tok *Token) *request {
		return &request{src: srcREST, method: http.MethodPost, url: s.dataURL(tok, sobjectPath("User", userID, "password")),
			body: data, contentType: "application/json", secrets: []string{newPassword}}
	}, nil)
	return err
}

// ResetUserPassword resets a user's password and returns the generated
// temporary password (the user is e-mailed a reset link too).
func (s *Session) ResetUserPassword(ctx context.Context, userID string) (string, error) {
	var out struct {
		NewPassword string `json:"NewPassword"`
	}
	_, err := s.call(ctx, "salesforce.ResetUserPassword", true, func(tok *Token) *request {
		return &request{src: srcREST, method: http.MethodDelete, url: s.dataURL(tok, sobjectPath("User", userID, "password"))}
	}, jsonDecoder(&out))
	if err != nil {
		return "", err
	}
	return out.NewPassword, nil
}

// Limit is one org limit.
type Limit struct {
	Max       int `json:"Max"`
	Remaining int `json:"Remaining"`
}

// Used returns Max - Remaining.
func (l Limit) Used() int { return l.Max - l.Remaining }

// Limits are the org's limits by name ("DailyApiRequests", ...).
type Limits map[string]Limit

// DailyAPIRequests returns the daily API request limit.
func (l Limits) DailyAPIRequests() Limit { return l["DailyApiRequests"] }

// Limits reads the org's limits. It is sent even while the session holds
// back calls because the daily API limit was reached, and a result with
// room lifts that hold.
func (s *Session) Limits(ctx context.Context) (Limits, error) {
	var out Limits
	_, err := s.call(ctx, "salesforce.Limits", false, func(tok *Token) *request {
		return &request{src: srcREST, method: http.MethodGet, url: s.dataURL(tok, "limits"), idempotent: true}
	}, jsonDecoder(&out))
	if err != nil {
		return nil, err
	}
	if d, ok := out["DailyApiRequests"]; ok {
		s.setUsage(d)
	}
	return out, nil
}

// UserInfo is the OpenID Connect userinfo of the session's user.
type UserInfo struct {
	Sub                         string            `json:"sub"`
	UserID                      string            `json:"user_id"`
	OrganizationID              string            `json:"organization_id"`
	PreferredUsername           string            `json:"preferred_username"`
	Nickname                    string            `json:"nickname"`
	Name                        string            `json:"name"`
	Email                       string            `json:"email"`
	EmailVerified               bool              `json:"email_verified"`
	GivenName                   string            `json:"given_name"`
	FamilyName                  string            `json:"family_name"`
	Zoneinfo                    string            `json:"zoneinfo"`
	Active                      bool              `json:"active"`
	UserType                    string            `json:"user_type"`
	Language                    string            `json:"language"`
	Locale                      string            `json:"locale"`
	IsSalesforceIntegrationUser bool              `json:"is_salesforce_integration_user"`
	URLs                        map[string]string `json:"urls"`
	UpdatedAt                   string            `json:"updated_at"`
}

// UserInfo reads /services/oauth2/userinfo for the session's user.
func (s *Session) UserInfo(ctx context.Context) (*UserInfo, error) {
	var out UserInfo
	_, err := s.call(ctx, "salesforce.UserInfo", false, func(tok *Token) *request {
		return &request{src: srcOAuth, method: http.MethodGet, url: tok.InstanceURL + "/services/oauth2/userinfo", idempotent: true}
	}, jsonDecoder(&out))
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Identity is the answer of the identity URL.
type Identity struct {
	ID               string            `json:"id"`
	AssertedUser     bool              `json:"asserted_user"`
	UserID           string            `json:"user_id"`
	OrganizationID   string            `json:"organization_id"`
	Username         string            `json:"username"`
	NickName         string            `json:"nick_name"`
	DisplayName      string            `json:"display_name"`
	Email            string            `json:"email"`
	FirstName        string            `json:"first_name"`
	LastName         string            `json:"last_name"`
	Timezone         string            `json:"timezone"`
	Active           bool              `json:"active"`
	UserType         string            `json:"user_type"`
	Language         string            `json:"language"`
	Locale           string            `json:"locale"`
	URLs             map[string]string `json:"urls"`
	LastModifiedDate string            `json:"last_modified_date"`
}

// Identity reads the token's identity URL, with {version} in its urls
// filled in with the client's API version.
func (s *Session) Identity(ctx context.Context) (*Identity, error) {
	var out Identity
	_, err := s.call(ctx, "salesforce.Identity", false, func(tok *Token) *request {
		return &request{src: srcOAuth, method: http.MethodGet, url: tok.IdentityURL + "?format=json&version=" + url.QueryEscape(s.c.version), idempotent: true}
	}, jsonDecoder(&out))
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Revoke revokes an access or refresh token at the session's instance (or
// the login URL before the first login). Revoking the session's own access
// token makes its next call log in again.
func (s *Session) Revoke(ctx context.Context, token string) error {
	base := s.c.loginURL
	s.mu.Lock()
	if s.tok != nil {
		base = s.tok.InstanceURL
	}
	s.mu.Unlock()
	return s.c.revoke(ctx, base, token)
}

// Introspect asks whether a token is active, authenticating as the
// connected app; see Client.Introspect.
func (s *Session) Introspect(ctx context.Context, clientID, clientSecret, token string) (*Introspection, error) {
	return s.c.Introspect(ctx, clientID, clientSecret, token)
}
