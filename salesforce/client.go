package salesforce

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/wait"

	"github.com/wardenhq/warden"
)

// Defaults of Config.
const (
	DefaultLoginURL       = "https://login.salesforce.com"
	DefaultAPIVersion     = "62.0"
	DefaultRequestTimeout = 60 * time.Second
	defaultUserAgent      = "warden-salesforce/1"
	maxResponseBytes      = 64 << 20
)

// RetryPolicy says how transient failures (warden.CauseOrgUnavailable:
// 5xx answers, timeouts, dropped connections, malformed bodies) are
// retried: up to MaxAttempts attempts in all, waiting a random time between
// zero and min(MaxDelay, BaseDelay·2^(n-1)) before retry n ("full jitter").
// Zero fields take the defaults 4, 200ms and 5s. Permanent causes and the
// API limit are never retried.
type RetryPolicy struct {
	MaxAttempts int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
}

// Config configures a Client.
type Config struct {
	// LoginURL is the authorization server: https://login.salesforce.com,
	// https://test.salesforce.com, a My Domain URL or an emulator's URL.
	// Default DefaultLoginURL.
	LoginURL string
	// HTTPClient makes the requests. Default: a new http.Client without an
	// overall timeout (RequestTimeout bounds each attempt instead, so that
	// streaming long polls work).
	HTTPClient *http.Client
	// APIVersion is the REST and SOAP API version, such as "62.0".
	// Default DefaultAPIVersion.
	APIVersion string
	// Retry is the retry policy for transient failures.
	Retry RetryPolicy
	// Now is the clock (JWT expiry, daily API limit resets). Default
	// time.Now.
	Now func() time.Time
	// UserAgent is sent with every request. Default "warden-salesforce/1".
	UserAgent string
	// RequestTimeout bounds each attempt of a request (streaming long
	// polls get the server's poll timeout on top). Default
	// DefaultRequestTimeout; negative means no bound.
	RequestTimeout time.Duration
}

// Client talks to one Salesforce login URL. It holds configuration only, is
// safe for concurrent use, and keeps no state between calls; Session adds
// the token cache.
type Client struct {
	loginURL string
	hc       *http.Client
	version  string
	retry    RetryPolicy
	now      func() time.Time
	ua       string
	timeout  time.Duration
}

// New returns a client for cfg, with defaults filled in.
func New(cfg Config) *Client {
	c := &Client{
		loginURL: strings.TrimSuffix(cfg.LoginURL, "/"),
		hc:       cfg.HTTPClient,
		version:  strings.TrimPrefix(cfg.APIVersion, "v"),
		retry:    cfg.Retry,
		now:      cfg.Now,
		ua:       cfg.UserAgent,
		timeout:  cfg.RequestTimeout,
	}
	if c.loginURL == "" {
		c.loginURL = DefaultLoginURL
	}
	if c.hc == nil {
		c.hc = &http.Client{}
	}
	if c.version == "" {
		c.version = DefaultAPIVersion
	}
	if c.retry.MaxAttempts <= 0 {
		c.retry.MaxAttempts = 4
	}
	if c.retry.BaseDelay <= 0 {
		c.retry.BaseDelay = 200 * time.Millisecond
	}
	if c.retry.MaxDelay <= 0 {
		c.retry.MaxDelay = 5 * time.Second
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.ua == "" {
		c.ua = defaultUserAgent
	}
	if c.timeout == 0 {
		c.timeout = DefaultRequestTimeout
	}
	return c
}

// LoginURL returns the login URL the client authenticates against.
func (c *Client) LoginURL() string { return c.loginURL }

// APIVersion returns the API version the client uses, such as "62.0".
func (c *Client) APIVersion() string { return c.version }

// request is one HTTP call, re-sendable for retries.
type request struct {
	op          string
	src         source
	method      string
	url         string
	header      http.Header
	body        []byte
	contentType string
	// secrets are values that must never appear in an error.
	secrets []string
	// idempotent requests are retried after any transient failure; others
	// only when the server certainly did not act (503, or no connection).
	idempotent bool
	// timeout overrides the client's per-attempt timeout when positive.
	timeout time.Duration
	// jar, when set, sends and stores cookies (CometD needs them).
	jar *cookiejar.Jar
}

// response is a successful answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// roundTrip sends rq, retrying transient failures, and returns the first
// 2xx response that decode (when not nil) accepts. observe, when not nil,
// sees the headers of every response. Failures are *Error.
func (c *Client) roundTrip(ctx context.Context, rq *request, observe func(*response), decode func(*response) error) (*response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := c.once(ctx, rq, observe, decode)
		if err == nil {
			return resp, nil
		}
		if attempt >= c.retry.MaxAttempts || !retryable(rq, err) || ctx.Err() != nil {
			return nil, err
		}
		if wait.Sleep(ctx, c.backoff(attempt, err.retryAfter)) != nil {
			return nil, err
		}
	}
}

// retryable reports whether a failed attempt may be repeated.
func retryable(rq *request, e *Error) bool {
	if e.Cause != warden.CauseOrgUnavailable || errors.Is(e.err, context.Canceled) {
		return false
	}
	return rq.idempotent || e.Status == http.StatusServiceUnavailable || e.notSent
}

// backoff returns the wait before retry n (n >= 1): full jitter over an
// exponentially growing cap, or the server's Retry-After when it is
// shorter than MaxDelay.
func (c *Client) backoff(n int, retryAfter string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(retryAfter)); err == nil && s >= 0 {
		if d := time.Duration(s) * time.Second; d <= c.retry.MaxDelay {
			return d
		}
	}
	ceil := c.retry.BaseDelay << min(n-1, 30)
	if ceil <= 0 || ceil > c.retry.MaxDelay {
		ceil = c.retry.MaxDelay
	}
	return time.Duration(rand.Int64N(int64(ceil) + 1))
}

// once makes one attempt.
func (c *Client) once(ctx context.Context, rq *request, observe func(*response), decode func(*response) error) (*response, *Error) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	timeout := c.timeout
	if rq.timeout > 0 {
		timeout = rq.timeout
	}
	if timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()
	var body io.Reader
	if rq.body != nil {
		body = bytes.NewReader(rq.body)
	}
	req, err := http.NewRequestWithContext(actx, rq.method, rq.url, body)
	if err != nil {
		return nil, &Error{Op: rq.op, Message: "invalid request URL", kind: warden.EINVALID, err: err}
	}
	for k, v := range rq.header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", c.ua)
	if rq.contentType != "" {
		req.Header.Set("Content-Type", rq.contentType)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if rq.jar != nil {
		for _, ck := range rq.jar.Cookies(req.URL) {
			req.AddCookie(ck)
		}
	}
	hr, err := c.hc.Do(req)
	if err != nil {
		return nil, transportError(ctx, actx, rq, err, timeout)
	}
	defer hr.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hr.Body, maxResponseBytes+1))
	if err != nil {
		return nil, transportError(ctx, actx, rq, err, timeout)
	}
	if rq.jar != nil {
		rq.jar.SetCookies(req.URL, hr.Cookies())
	}
	resp := &response{status: hr.StatusCode, header: hr.Header, body: data}
	if observe != nil {
		observe(resp)
	}
	if hr.StatusCode < 200 || hr.StatusCode > 299 {
		return nil, responseError(rq, resp)
	}
	if len(data) > maxResponseBytes {
		return nil, &Error{Op: rq.op, Status: hr.StatusCode, Code: "MALFORMED_RESPONSE",
			Message: fmt.Sprintf("response larger than %d bytes", maxResponseBytes), Cause: warden.CauseOrgUnavailable}
	}
	if decode != nil {
		if err := decode(resp); err != nil {
			var se *Error
			if errors.As(err, &se) {
				return nil, se
			}
			return nil, &Error{Op: rq.op, Status: hr.StatusCode, Code: "MALFORMED_RESPONSE",
				Message: redact("unreadable response body: "+err.Error(), rq.secrets), Cause: warden.CauseOrgUnavailable}
		}
	}
	return resp, nil
}

// responseError builds the *Error of a non-2xx response.
func responseError(rq *request, resp *response) *Error {
	eb := decodeError(resp.status, resp.body)
	e := &Error{Op: rq.op, Status: resp.status, Code: redact(eb.code, rq.secrets), Message: redact(eb.message, rq.secrets),
		retryAfter: resp.header.Get("Retry-After")}
	e.Cause = causeOf(rq.src, resp.status, eb.code, eb.message)
	if e.Cause == warden.CauseNone && (rq.src == srcSOAP || rq.src == srcSOAPLogin) && !strings.HasPrefix(eb.code, "ERROR_HTTP_") {
		// SOAP faults always come as HTTP 500; a fault without a cause
		// is about the request (INVALID_NEW_PASSWORD, INVALID_ID_FIELD).
		e.kind = warden.EINVALID
	}
	return e
}

// transportError describes a request that got no (complete) response.
func transportError(ctx, actx context.Context, rq *request, err error, timeout time.Duration) *Error {
	var ue *url.Error
	inner := err
	if errors.As(err, &ue) {
		inner = ue.Err // the URL may carry parameters; keep it out
	}
	e := &Error{Op: rq.op, Cause: warden.CauseOrgUnavailable, err: inner}
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		e.Cause, e.Message, e.kind, e.err = warden.CauseNone, "canceled", warden.EUNAVAILABLE, ctx.Err()
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		e.Message, e.err = "no answer before the deadline", ctx.Err()
	case actx.Err() != nil || errors.As(err, &ne) && ne.Timeout():
		e.Message = fmt.Sprintf("no answer within %s", timeout)
	default:
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" {
			e.notSent = true
			e.Message = "cannot connect: " + oe.Err.Error()
		} else {
			e.Message = "connection failed: " + inner.Error()
		}
	}
	e.Message = redact(e.Message, rq.secrets)
	return e
}

// formRequest is a POST of a form body.
func formRequest(op string, src source, u string, form url.Values, secrets []string, idempotent bool) *request {
	return &request{op: op, src: src, method: http.MethodPost, url: u, body: []byte(form.Encode()),
		contentType: "application/x-www-form-urlencoded", secrets: secrets, idempotent: idempotent}
}
