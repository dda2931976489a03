package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// maxResponseBody is how much of a channel's answer is read and kept for
// error messages.
const maxResponseBody = 4 << 10

// StatusError is the underlying error (warden.Error.Err) of an HTTP
// delivery that got a non-2xx answer. It carries the status and, for
// throttled answers, how long the channel asked the caller to wait.
type StatusError struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// RetryAfter is the delay from the answer's Retry-After header, or 0.
	RetryAfter time.Duration
}

// Error returns the status.
func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
}

// httpSender posts request bodies to one endpoint on behalf of a channel,
// turning every failure into a redacted *warden.Error.
type httpSender struct {
	op      string // "notify.slack"
	name    string // channel name
	url     string // the real URL; never shown
	shown   string // the URL as errors show it: scheme and host only
	client  *http.Client
	timeout time.Duration
	secrets []string // strings scrubbed from anything shown
}

// newHTTPSender checks rawURL and prepares a sender. secrets are further
// strings (routing keys, signing secrets) that must never be shown.
func newHTTPSender(op, name, what, rawURL string, client *http.Client, timeout time.Duration, secrets ...string) (*httpSender, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// The URL itself is secret: do not echo it, nor the parse error
		// that quotes it.
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: fmt.Sprintf("channel %s: %s must be an absolute http or https URL", name, what)}
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := &http.Client{}
	if client != nil {
		c2 := *client
		c = &c2
	}
	// A redirected POST could carry the alert (and a signature) to
	// another host; channels answer directly or not at all.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s := &httpSender{op: op, name: name, url: rawURL, client: c, timeout: timeout}
	s.shown = u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		s.shown += "/[redacted]"
	}
	s.secrets = append(s.secrets, rawURL, u.Path, u.EscapedPath(), u.RawQuery)
	if u.User != nil {
		s.secrets = append(s.secrets, u.User.String())
	}
	for _, seg := range strings.Split(u.Path, "/") {
		s.secrets = append(s.secrets, seg)
	}
	for _, vs := range u.Query() {
		s.secrets = append(s.secrets, vs...)
	}
	s.secrets = append(s.secrets, secrets...)
	return s, nil
}

// scrub replaces every secret in text with [redacted]. Secrets shorter
// than 6 characters are left alone: they cannot be tokens, and scrubbing
// them would mangle ordinary words.
func (s *httpSender) scrub(text string) string {
	for _, sec := range s.secrets {
		if len(sec) >= 6 {
			text = strings.ReplaceAll(text, sec, "[redacted]")
		}
	}
	return text
}

// post sends body with the given headers. It returns the first bytes of
// the answer, and a *warden.Error for transport failures and non-2xx
// answers.
func (s *httpSender) post(ctx context.Context, body []byte, header http.Header) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: s.op, Message: fmt.Sprintf("channel %s: cannot build a request for %s", s.name, s.shown)}
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, s.transportError(ctx, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return answer, nil
	}
	return answer, s.statusError(resp.StatusCode, resp.Header.Get("Retry-After"), answer)
}

// statusError turns a non-2xx answer into an error: EUNAVAILABLE for 429
// and 5xx (retry later), EINVALID for everything else.
func (s *httpSender) statusError(code int, retryAfter string, answer []byte) error {
	kind := warden.EINVALID
	if code == http.StatusTooManyRequests || code >= 500 {
		kind = warden.EUNAVAILABLE
	}
	msg := fmt.Sprintf("channel %s: POST %s answered %d %s", s.name, s.shown, code, http.StatusText(code))
	if code >= 300 && code < 400 {
		msg += " (redirects are not followed)"
	}
	if detail := s.answerText(answer); detail != "" {
		msg += ": " + detail
	}
	return &warden.Error{Kind: kind, Op: s.op, Message: msg, Err: &StatusError{StatusCode: code, RetryAfter: parseRetryAfter(retryAfter, time.Now())}}
}

// answerText is the scrubbed, shortened, single-line text of an answer.
func (s *httpSender) answerText(answer []byte) string {
	text := strings.TrimSpace(strings.ToValidUTF8(string(answer), "?"))
	return truncate(singleLine(s.scrub(text)), 300)
}

// transportError describes a failure to get any answer. The *url.Error of
// net/http quotes the whole URL, so it is rebuilt with the redacted one.
func (s *httpSender) transportError(ctx context.Context, err error) error {
	var cause error = err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err
		err = &url.Error{Op: ue.Op, URL: s.shown, Err: ue.Err}
	}
	what := s.scrub(cause.Error())
	if errors.Is(cause, context.DeadlineExceeded) && ctx.Err() != nil {
		what = "no answer within " + s.timeout.String()
	} else if errors.Is(cause, context.Canceled) {
		what = "canceled"
	}
	return &warden.Error{Kind: warden.EUNAVAILABLE, Op: s.op, Message: fmt.Sprintf("channel %s: POST %s failed: %s", s.name, s.shown, what), Err: err}
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date. It returns 0 when the header is absent or unusable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, 24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), 24*time.Hour)
	}
	return 0
}

// retryAfter reports the delay a throttled channel asked for, if any.
func retryAfter(err error) time.Duration {
	var se *StatusError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}

// nilAlertError is returned by every channel asked to send no alert.
func nilAlertError(op, name string) error {
	return &warden.Error{Kind: warden.EINVALID, Op: op, Message: fmt.Sprintf("channel %s: no alert to send", name)}
}
