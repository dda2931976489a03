// Package graph is a [warden.Mailbox] for Office 365 mailboxes through
// Microsoft Graph v1.0, and a [warden.PasswordChanger] for the mailbox
// account itself.
//
// Warden authenticates as an application (OAuth client credentials grant
// against Microsoft Entra ID) and calls:
//
//	GET    /v1.0/users/{user}/mailFolders/{folder}/messages?$filter=receivedDateTime ge …&$orderby=…&$select=…&$top=50
//	       (following @odata.nextLink)
//	GET    /v1.0/users/{user}/messages/{id}?$select=…,body
//	PATCH  /v1.0/users/{user}/messages/{id}      {"isRead": true}
//	DELETE /v1.0/users/{user}/messages/{id}
//	PATCH  /v1.0/users/{user}                    {"passwordProfile": {"password": …, "forceChangePasswordNextSignIn": false}}
//
// The application needs the Mail.ReadWrite application permission (best
// limited to the integration mailboxes with an Exchange application access
// policy) and, to change the mailbox account's password,
// User-PasswordProfile.ReadWrite.All with the User Administrator role.
//
// Why passwordProfile and not changePassword: POST /users/{id}/changePassword
// works only for the signed-in user (/me) with a delegated token; it is not
// supported with application permissions, so an unattended service cannot
// call it. Setting passwordProfile is Graph's documented way to set
// another user's password in app-only access. Warden sets
// forceChangePasswordNextSignIn to false because it, not a person, holds
// the new password.
package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/mailbox"
)

// Default endpoints of the global Microsoft cloud.
const (
	DefaultAuthorityURL = "https://login.microsoftonline.com"
	DefaultGraphURL     = "https://graph.microsoft.com"
)

// Options configure a Mailbox.
type Options struct {
	// Tenant is the directory (tenant) id or a verified domain.
	Tenant string
	// ClientID and ClientSecret are the application's credentials.
	ClientID     string
	ClientSecret string
	// User is the mailbox user's object id or userPrincipalName.
	User string
	// Folder is a folder id or well-known name (default "inbox").
	Folder string
	// AuthorityURL and GraphURL default to the global cloud's; national
	// clouds and tests set them.
	AuthorityURL string
	GraphURL     string
	// HTTPClient defaults to a client with a 30 second timeout.
	HTTPClient *http.Client
}

// String hides the client secret.
func (o Options) String() string {
	return fmt.Sprintf("graph{tenant=%s client=%s user=%s folder=%s}", o.Tenant, o.ClientID, o.User, o.Folder)
}

// GoString hides the client secret.
func (o Options) GoString() string { return o.String() }

// Mailbox is an Office 365 mailbox. It is safe for concurrent use.
type Mailbox struct {
	opts Options

	mu      sync.Mutex
	token   string
	expires time.Time
}

var (
	_ warden.Mailbox         = (*Mailbox)(nil)
	_ warden.PasswordChanger = (*Mailbox)(nil)
)

// New checks opts and returns a Mailbox. It does not connect.
func New(opts Options) (*Mailbox, error) {
	if opts.Folder == "" {
		opts.Folder = "inbox"
	}
	if opts.AuthorityURL == "" {
		opts.AuthorityURL = DefaultAuthorityURL
	}
	if opts.GraphURL == "" {
		opts.GraphURL = DefaultGraphURL
	}
	opts.AuthorityURL = strings.TrimSuffix(opts.AuthorityURL, "/")
	opts.GraphURL = strings.TrimSuffix(opts.GraphURL, "/")
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	switch {
	case opts.Tenant == "" || opts.ClientID == "" || opts.ClientSecret == "":
		return nil, warden.Errorf(warden.EINVALID, "graph: tenant, client id and client secret must not be empty")
	case opts.User == "":
		return nil, warden.Errorf(warden.EINVALID, "graph: user must not be empty")
	}
	for _, u := range []string{opts.AuthorityURL, opts.GraphURL} {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return nil, warden.Errorf(warden.EINVALID, "graph: %q is not an http(s) URL", u)
		}
	}
	return &Mailbox{opts: opts}, nil
}

// graphError is Graph's (and Entra ID's) error body.
type graphError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// tokenError is the OAuth token endpoint's error body.
type tokenError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// accessToken returns a cached token, fetching a new one when it is
// missing or expires within a minute. The lock is not held during the
// request: concurrent callers may each fetch one, and the last is kept.
func (m *Mailbox) accessToken(ctx context.Context) (string, error) {
	m.mu.Lock()
	cached, exp := m.token, m.expires
	m.mu.Unlock()
	if cached != "" && time.Now().Before(exp.Add(-time.Minute)) {
		return cached, nil
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {m.opts.ClientID},
		"client_secret": {m.opts.ClientSecret},
		"scope":         {m.opts.GraphURL + "/.default"},
	}
	endpoint := m.opts.AuthorityURL + "/" + url.PathEscape(m.opts.Tenant) + "/oauth2/v2.0/token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := m.opts.HTTPClient.Do(req)
	if err != nil {
		return "", &warden.Error{Kind: warden.EUNAVAILABLE, Op: "graph token", Message: "cannot reach the token endpoint", Err: err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var te tokenError
		_ = json.Unmarshal(body, &te)
		kind := warden.EUNAVAILABLE
		switch {
		case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized:
			kind = warden.EUNAUTHORIZED
		case resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests:
			kind = warden.EFORBIDDEN
		}
		return "", &warden.Error{Kind: kind, Op: "graph token", Message: fmt.Sprintf("token request refused (%d %s): %s", resp.StatusCode, te.Error, firstLine(te.Description))}
	}
	var tok struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return "", warden.Errorf(warden.EUNAVAILABLE, "graph token: malformed token response")
	}
	secs, _ := strconv.Atoi(strings.Trim(string(tok.ExpiresIn), `"`)) // Entra ID has sent it as a number and as a string
	if secs <= 0 {
		secs = 300
	}
	m.mu.Lock()
	m.token, m.expires = tok.AccessToken, time.Now().Add(time.Duration(secs)*time.Second)
	m.mu.Unlock()
	return tok.AccessToken, nil
}

// firstLine keeps the first line of an Entra ID error description (the
// rest is trace and correlation ids).
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\r\n")
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func (m *Mailbox) dropToken(tok string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.token == tok {
		m.token = ""
	}
}

// do sends one Graph request (retrying once with a fresh token after a
// 401) and decodes a JSON answer into out when out is not nil.
func (m *Mailbox) do(ctx context.Context, op, method, rawURL string, in, out any) error {
	if !strings.HasPrefix(rawURL, m.opts.GraphURL+"/") {
		// Never send the token anywhere but Graph (an @odata.nextLink could
		// point elsewhere).
		return warden.Errorf(warden.EINTERNAL, "graph %s: refusing to call %s", op, rawURL)
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		tok, err := m.accessToken(ctx)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, method, rawURL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := m.opts.HTTPClient.Do(req)
		if err != nil {
			return &warden.Error{Kind: warden.EUNAVAILABLE, Op: "graph " + op, Message: "cannot reach Microsoft Graph", Err: err}
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, mailbox.MaxMessageBytes+1<<20))
		resp.Body.Close()
		if err != nil {
			return &warden.Error{Kind: warden.EUNAVAILABLE, Op: "graph " + op, Message: "reading the answer failed", Err: err}
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			m.dropToken(tok)
			continue
		}
		if resp.StatusCode/100 != 2 {
			return statusError(op, resp, data)
		}
		if out != nil && len(data) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return &warden.Error{Kind: warden.EUNAVAILABLE, Op: "graph " + op, Message: "malformed answer", Err: err}
			}
		}
		return nil
	}
}

// statusError maps a Graph error answer to an error kind. The message is
// Graph's own, which never echoes request bodies (and so no password).
func statusError(op string, resp *http.Response, data []byte) error {
	var ge graphError
	_ = json.Unmarshal(data, &ge)
	code := ge.Error.Code
	kind := warden.EUNAVAILABLE
	switch {
	case resp.StatusCode == http.StatusNotFound || code == "ErrorItemNotFound" || code == "ErrorInvalidIdMalformed":
		kind = warden.ENOTFOUND
	case resp.StatusCode == http.StatusUnauthorized:
		kind = warden.EUNAUTHORIZED
	case resp.StatusCode == http.StatusForbidden:
		kind = warden.EFORBIDDEN
	case resp.StatusCode == http.StatusBadRequest:
		kind = warden.EINVALID
	}
	msg := fmt.Sprintf("Microsoft Graph answered %d %s: %s", resp.StatusCode, code, firstLine(ge.Error.Message))
	if ra := resp.Header.Get("Retry-After"); ra != "" && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		msg += " (retry after " + ra + "s)"
	}
	return &warden.Error{Kind: kind, Op: "graph " + op, Message: msg}
}

// message is a Graph message resource (the properties Warden selects).
type message struct {
	ID               string      `json:"id"`
	ReceivedDateTime time.Time   `json:"receivedDateTime"`
	Subject          string      `json:"subject"`
	From             *recipient  `json:"from"`
	ToRecipients     []recipient `json:"toRecipients"`
	IsRead           bool        `json:"isRead"`
	Body             *itemBody   `json:"body,omitempty"`
}

type recipient struct {
	EmailAddress struct {
		Name    string `json:"name,omitempty"`
		Address string `json:"address"`
	} `json:"emailAddress"`
}

type itemBody struct {
	ContentType string `json:"contentType"` // "text" or "html"
	Content     string `json:"content"`
}

func (g *message) mail() *warden.MailMessage {
	out := &warden.MailMessage{ID: g.ID, Subject: g.Subject, Received: g.ReceivedDateTime.UTC()}
	if g.From != nil {
		out.From = g.From.EmailAddress.Address
	}
	for _, r := range g.ToRecipients {
		out.To = append(out.To, r.EmailAddress.Address)
	}
	return out
}

func (m *Mailbox) userURL() string {
	return m.opts.GraphURL + "/v1.0/users/" + url.PathEscape(m.opts.User)
}

func (m *Mailbox) messageURL(id string) string {
	return m.userURL() + "/messages/" + url.PathEscape(id)
}

const listSelect = "id,receivedDateTime,subject,from,toRecipients,isRead"

// maxPages bounds one listing (50 messages a page).
const maxPages = 200

// Messages implements [warden.Mailbox]. Graph filters by receipt time;
// recipient and subject are matched here (Graph's $filter on
// toRecipients is not reliably supported).
func (m *Mailbox) Messages(ctx context.Context, q warden.MailQuery) ([]warden.MailMessage, error) {
	v := url.Values{"$select": {listSelect}, "$top": {"50"}, "$orderby": {"receivedDateTime asc"}}
	if !q.Since.IsZero() {
		v.Set("$filter", "receivedDateTime ge "+q.Since.UTC().Format("2006-01-02T15:04:05Z"))
	}
	next := m.userURL() + "/mailFolders/" + url.PathEscape(m.opts.Folder) + "/messages?" + v.Encode()
	var out []warden.MailMessage
	for page := 0; next != ""; page++ {
		if page == maxPages {
			return nil, warden.Errorf(warden.EUNAVAILABLE, "graph list: more than %d pages of messages", maxPages)
		}
		var resp struct {
			Value    []message `json:"value"`
			NextLink string    `json:"@odata.nextLink"`
		}
		if err := m.do(ctx, "list", http.MethodGet, next, nil, &resp); err != nil {
			return nil, err
		}
		for i := range resp.Value {
			if msg := resp.Value[i].mail(); mailbox.Match(q, msg) {
				out = append(out, *msg)
			}
		}
		next = resp.NextLink
	}
	return out, nil
}

// Message implements [warden.Mailbox]. An HTML body is turned into text
// with [mailbox.HTMLText], so links keep their URLs.
func (m *Mailbox) Message(ctx context.Context, id string) (*warden.MailMessage, error) {
	if id == "" {
		return nil, mailbox.NotFound(id)
	}
	var g message
	if err := m.do(ctx, "get", http.MethodGet, m.messageURL(id)+"?$select="+listSelect+",body", nil, &g); err != nil {
		return nil, notFound(err, id)
	}
	out := g.mail()
	if g.Body != nil {
		text := g.Body.Content
		if strings.EqualFold(g.Body.ContentType, "html") {
			text = mailbox.HTMLText(text)
		}
		out.TextBody = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	}
	return out, nil
}

// notFound names the message in an ENOTFOUND error.
func notFound(err error, id string) error {
	if warden.ErrorKind(err) == warden.ENOTFOUND {
		return mailbox.NotFound(id)
	}
	return err
}

// MarkSeen implements [warden.Mailbox] by setting isRead.
func (m *Mailbox) MarkSeen(ctx context.Context, id string) error {
	if id == "" {
		return mailbox.NotFound(id)
	}
	return notFound(m.do(ctx, "mark read", http.MethodPatch, m.messageURL(id), map[string]bool{"isRead": true}, nil), id)
}

// Delete implements [warden.Mailbox]. Exchange moves the message to the
// Deleted Items folder under a new id; retention policies decide when it
// is gone for good.
func (m *Mailbox) Delete(ctx context.Context, id string) error {
	if id == "" {
		return mailbox.NotFound(id)
	}
	return notFound(m.do(ctx, "delete", http.MethodDelete, m.messageURL(id), nil, nil), id)
}

// ChangePassword implements [warden.PasswordChanger] by setting the
// mailbox user's passwordProfile (see the package documentation for why).
// Entra ID's password policy applies: a refused password is EINVALID.
func (m *Mailbox) ChangePassword(ctx context.Context, password string) error {
	if password == "" {
		return warden.Errorf(warden.EINVALID, "graph change password: the password must not be empty")
	}
	in := map[string]any{"passwordProfile": map[string]any{"password": password, "forceChangePasswordNextSignIn": false}}
	err := m.do(ctx, "change password", http.MethodPatch, m.userURL(), in, nil)
	var we *warden.Error
	if errors.As(err, &we) && strings.Contains(we.Message, password) {
		// Defence in depth: Graph does not echo the password, but an
		// error must never carry it.
		we.Message = strings.ReplaceAll(we.Message, password, "[password]")
	}
	return err
}
