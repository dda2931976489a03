package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/wardenhq/warden"
)

// proxyCall is one proxied call in flight, carried in the request context
// from serveProxy to the transport and the response hooks.
type proxyCall struct {
	b    *Broker
	key  *warden.BrokerKey
	s    *Session
	base string // the proxy's URL for the user: what instance URLs become
	// identity is set for /id/ calls, which go to the login host of the
	// token's identity URL instead of the instance.
	identity bool
	// rewrite is set for the few resources whose answers hold absolute
	// URLs of the instance (userinfo, the version list and map).
	rewrite bool
	retried bool
}

type callKey struct{}

// rewritten are the resources whose JSON answers hold the instance's (or
// the identity's) absolute URLs, which the proxy rewrites to point at
// itself: userinfo, the identity, the version list and a version's
// resource map. Query answers' nextRecordsUrl and records'
// attributes.url are relative.
var rewritten = regexp.MustCompile(`^(/services/(oauth2/userinfo|data/?|data/v\d+\.\d+/?)|/id/[^/]+/[^/]+/?)$`)

// maxRewrite bounds an answer the proxy rewrites.
const maxRewrite = 1 << 20

// newProxy returns the reverse proxy of proxied calls.
func (b *Broker) newProxy() http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			c := pr.In.Context().Value(callKey{}).(*proxyCall)
			out := pr.Out
			u, _ := url.Parse(c.s.Token.InstanceURL)
			out.URL.Scheme, out.URL.Host = u.Scheme, u.Host
			out.Host = ""
			// Warden's own credentials and cookies never go upstream.
			for _, h := range []string{"Authorization", "Cookie", "Proxy-Authorization", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded"} {
				out.Header.Del(h)
			}
			setSession(out, c.s.Token.AccessToken)
			if c.rewrite {
				out.Header.Del("Accept-Encoding") // the transport decompresses
			}
		},
		Transport:      &retryTransport{next: b.cfg.Transport},
		ModifyResponse: modifyResponse,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				w.WriteHeader(499)
				return
			}
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeSalesforceError(w, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE",
					"Warden broker: the request body is larger than "+strconv.FormatInt(mbe.Limit, 10)+" bytes")
				return
			}
			var lf *loginFailed
			if errors.As(err, &lf) {
				writeSalesforceError(w, statusOf(lf.err), "WARDEN_BROKER_LOGIN_FAILED", "Warden broker: no new session after Salesforce refused the old one: "+
					warden.ErrorMessage(lf.err)+causeSuffix(lf.err))
				return
			}
			var we *warden.Error
			if errors.As(err, &we) {
				writeSalesforceError(w, statusOf(err), "WARDEN_BROKER_ERROR", "Warden broker: "+warden.ErrorMessage(err))
				return
			}
			writeSalesforceError(w, http.StatusBadGateway, "WARDEN_BROKER_ERROR", "Warden broker: Salesforce could not be reached")
		},
	}
}

// modifyResponse drops upstream cookies and points the instance's URLs in
// the few answers that hold them at the proxy.
func modifyResponse(resp *http.Response) error {
	resp.Header.Del("Set-Cookie")
	c := resp.Request.Context().Value(callKey{}).(*proxyCall)
	if !c.rewrite || !strings.Contains(resp.Header.Get("Content-Type"), "json") {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRewrite+1))
	resp.Body.Close()
	if err != nil {
		return err
	}
	if len(body) > maxRewrite {
		return warden.Errorf(warden.EUNAVAILABLE, "the answer of %s is too large to rewrite", resp.Request.URL.Path)
	}
	body = rewriteURLs(body, c.s.Token.InstanceURL, c.base)
	if login := origin(c.s.Token.IdentityURL); login != "" {
		body = rewriteURLs(body, login+"/id/", c.base+"/id/")
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	resp.Header.Del("Content-Encoding")
	return nil
}

// upstream is the base URL the call goes to.
func (c *proxyCall) upstream() string {
	if c.identity {
		if o := origin(c.s.Token.IdentityURL); o != "" {
			return o
		}
	}
	return c.s.Token.InstanceURL
}

// origin returns scheme://host of u, or "".
func origin(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return ""
	}
	return p.Scheme + "://" + p.Host
}

// rewriteURLs replaces the instance's URL in body, also as JSON escapes
// it, with the proxy's.
func rewriteURLs(body []byte, instance, proxy string) []byte {
	instance = strings.TrimSuffix(instance, "/")
	body = bytes.ReplaceAll(body, []byte(instance), []byte(proxy))
	esc := func(s string) []byte { b, _ := json.Marshal(s); return b[1 : len(b)-1] }
	return bytes.ReplaceAll(body, esc(instance), esc(proxy))
}

// retryTransport replays a call once, with a new token, when Salesforce
// answers 401 INVALID_SESSION_ID and the body can be replayed.
type retryTransport struct{ next http.RoundTripper }

// maxErrorPeek bounds how much of a 401 answer is read to find its code.
const maxErrorPeek = 64 << 10

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	c, _ := req.Context().Value(callKey{}).(*proxyCall)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || c == nil || c.retried || (req.Body != nil && req.GetBody == nil) {
		return resp, err
	}
	peek, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorPeek))
	if rerr != nil || !bytes.Contains(peek, []byte("INVALID_SESSION_ID")) {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(peek), resp.Body), resp.Body}
		return resp, nil
	}
	resp.Body.Close()
	c.retried = true
	s, err := c.b.invalidate(req.Context(), c.s.User.Username, c.s.Token.AccessToken, true)
	if err != nil {
		return nil, &loginFailed{err}
	}
	c.s = s
	c.b.metrics.retries.WithLabelValues(c.key.Dependent).Inc()
	again := req.Clone(req.Context())
	setSession(again, s.Token.AccessToken)
	if req.GetBody != nil {
		if again.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	return t.next.RoundTrip(again)
}

// setSession puts the session where the client put the key: the
// Authorization header always, X-SFDC-Session (Bulk API 1.0) and the
// oauth_token parameter (identity URLs, as jsforce calls them) when the
// client used them.
func setSession(r *http.Request, accessToken string) {
	r.Header.Set("Authorization", "Bearer "+accessToken)
	if r.Header.Get("X-SFDC-Session") != "" {
		r.Header.Set("X-SFDC-Session", accessToken)
	}
	if q := r.URL.Query(); q.Has("oauth_token") {
		q.Set("oauth_token", accessToken)
		r.URL.RawQuery = q.Encode()
	}
}

// loginFailed is a re-mint that failed during a replay.
type loginFailed struct{ err error }

func (e *loginFailed) Error() string { return e.err.Error() }
func (e *loginFailed) Unwrap() error { return e.err }

// causeSuffix names the health cause of a failed login, if any.
func causeSuffix(err error) string {
	if c := causeOf(err); c != "" {
		return " (" + c + ")"
	}
	return ""
}

// writeSalesforceError answers as Salesforce's REST API does, so that
// clients report the message.
func writeSalesforceError(w http.ResponseWriter, status int, code, message string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="warden-broker"`)
	}
	writeJSON(w, status, []map[string]string{{"errorCode": code, "message": message}})
}

// serveProxy forwards /broker/v1/proxy/{user}/services/... to the user's
// instance with the user's session.
func (b *Broker) serveProxy(w http.ResponseWriter, r *http.Request) {
	ev := Event{Op: "proxy", Method: r.Method}
	rw := &statusWriter{ResponseWriter: w}
	outcome := b.proxyCall(rw, r, &ev)
	ev.Status = rw.status
	if outcome == "ok" && rw.status >= 400 {
		outcome = "upstream"
	}
	ev.Outcome = outcome
	b.emit(ev)
}

func (b *Broker) proxyCall(w http.ResponseWriter, r *http.Request, ev *Event) string {
	rest := strings.TrimPrefix(r.URL.EscapedPath(), Prefix+"proxy/")
	escUser, resource, _ := strings.Cut(rest, "/")
	username, err := url.PathUnescape(escUser)
	// Some clients join the instance URL and a path with a slash too many.
	resource = "/" + strings.TrimLeft(resource, "/")
	ev.User, ev.Path = username, resource
	auth := r.Header.Get("Authorization")
	if auth == "" && r.URL.Query().Has("oauth_token") {
		auth = "Bearer " + r.URL.Query().Get("oauth_token")
	}
	key, entry, kerr := b.authenticate(r.Context(), auth)
	if kerr != nil {
		writeSalesforceError(w, statusOf(kerr), "INVALID_SESSION_ID", "Warden broker: "+warden.ErrorMessage(kerr))
		return "denied"
	}
	ev.KeyID, ev.Dependent = key.ID, key.Dependent
	plain, perr := url.PathUnescape(resource)
	if err != nil || perr != nil || username == "" || !(strings.HasPrefix(plain, "/services/") || strings.HasPrefix(plain, "/id/")) || !cleanPath(plain) {
		writeSalesforceError(w, http.StatusNotFound, "NOT_FOUND", "Warden broker: only /broker/v1/proxy/{user}/services/... (and the identity URL, /id/...) is proxied")
		return "denied"
	}
	if strings.HasPrefix(strings.ToLower(plain), "/services/soap/") {
		// A SOAP call carries the session id in its body, where the client
		// put the broker key: the proxy would send the key upstream.
		writeSalesforceError(w, http.StatusNotFound, "NOT_FOUND", "Warden broker: the SOAP API is not proxied; use the REST API, or ask for a token (POST /broker/v1/token)")
		return "denied"
	}
	if !key.Allows(warden.BrokerProxy, username, b.now()) {
		writeSalesforceError(w, http.StatusForbidden, "INSUFFICIENT_ACCESS", "Warden broker: key "+key.ID+" may not call the API as "+username)
		return "denied"
	}
	if !entry.limiter.Allow() {
		w.Header().Set("Retry-After", "1")
		writeSalesforceError(w, http.StatusTooManyRequests, "REQUEST_LIMIT_EXCEEDED", "Warden broker: key "+key.ID+" is over its rate limit")
		return "limited"
	}
	s, err := b.Token(r.Context(), username)
	if err != nil {
		writeSalesforceError(w, statusOf(err), "WARDEN_BROKER_LOGIN_FAILED", "Warden broker: no session for "+username+": "+warden.ErrorMessage(err)+causeSuffix(err))
		return "error"
	}
	if err := b.bufferBody(w, r); err != nil {
		writeSalesforceError(w, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE", "Warden broker: "+warden.ErrorMessage(err))
		return "error"
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	c := &proxyCall{b: b, key: key, s: s, base: scheme + "://" + r.Host + Prefix + "proxy/" + escUser, rewrite: rewritten.MatchString(plain), identity: strings.HasPrefix(plain, "/id/")}
	out := r.WithContext(context.WithValue(r.Context(), callKey{}, c))
	out.URL = &url.URL{Path: plain, RawPath: resource, RawQuery: r.URL.RawQuery}
	b.proxy.ServeHTTP(w, out)
	return "ok"
}

// cleanPath reports whether p has no empty, "." or ".." segments (a
// trailing slash is allowed).
func cleanPath(p string) bool {
	c := path.Clean(p)
	return c == p || c+"/" == p
}

// bufferBody limits the request body to MaxBody and reads a body of up to
// ReplayBody bytes into memory, so that the call can be replayed; a larger
// one is streamed (and not replayed).
func (b *Broker) bufferBody(w http.ResponseWriter, r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	if r.ContentLength > b.cfg.MaxBody {
		return warden.Errorf(warden.EINVALID, "the request body is larger than %d bytes", b.cfg.MaxBody)
	}
	body := http.MaxBytesReader(w, r.Body, b.cfg.MaxBody)
	buf, err := io.ReadAll(io.LimitReader(body, b.cfg.ReplayBody+1))
	if err != nil {
		return warden.Errorf(warden.EINVALID, "the request body is larger than %d bytes", b.cfg.MaxBody)
	}
	if int64(len(buf)) <= b.cfg.ReplayBody {
		r.Body = io.NopCloser(bytes.NewReader(buf))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
		r.ContentLength = int64(len(buf))
		return nil
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(buf), body), body}
	r.GetBody = nil
	return nil
}

// statusWriter records the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (flushes).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
