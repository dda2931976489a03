package notify

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// Webhook headers.
const (
	// HeaderTimestamp carries the delivery time in Unix seconds.
	HeaderTimestamp = "X-Warden-Timestamp"
	// HeaderSignature carries "sha256=" and the hex HMAC-SHA256 of
	// timestamp + "." + body under the shared secret.
	HeaderSignature = "X-Warden-Signature"
)

// WebhookEventType is the "type" of every webhook body.
const WebhookEventType = "warden.alert"

// DefaultTolerance is how far a webhook timestamp may be from the
// receiver's clock when VerifySignature is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// WebhookConfig configures a generic webhook channel.
type WebhookConfig struct {
	// Name is the channel's name in the configuration; "webhook" when
	// empty.
	Name string
	// URL receives the POST. Its path and query never appear in errors.
	URL string
	// Secret signs every delivery (HMAC-SHA256); required.
	Secret string
	// Headers are added to every request (an Authorization header for the
	// receiver, say). They cannot replace Content-Type, User-Agent or the
	// X-Warden-* headers. Their values never appear in errors.
	Headers map[string]string
	// Timeout bounds one delivery; DefaultTimeout when zero.
	Timeout time.Duration
	// HTTPClient sends the requests; a fresh client when nil. Redirects are
	// never followed.
	HTTPClient *http.Client
	// Now returns the current time for the timestamp; time.Now when nil.
	Now func() time.Time
}

// Webhook posts alerts as signed JSON, {"type":"warden.alert","alert":
// {...}}, with the headers X-Warden-Timestamp and X-Warden-Signature.
// Receivers check deliveries with VerifySignature.
type Webhook struct {
	name   string
	secret []byte
	header http.Header
	sender *httpSender
	now    func() time.Time
}

// WebhookBody is the JSON body of a webhook delivery.
type WebhookBody struct {
	// Type is always WebhookEventType.
	Type  string        `json:"type"`
	Alert *warden.Alert `json:"alert"`
}

// reservedHeaders cannot be set through WebhookConfig.Headers.
var reservedHeaders = map[string]bool{
	"Content-Type": true, "Content-Length": true, "User-Agent": true, "Host": true,
	HeaderTimestamp: true, HeaderSignature: true,
}

// NewWebhook returns a webhook channel, or an EINVALID error when the URL
// is not an absolute http(s) URL, the secret is empty or a header is
// unusable.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	name := cmp.Or(cfg.Name, "webhook")
	const op = "notify.webhook"
	if cfg.Secret == "" {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "channel " + name + ": a signing secret is required"}
	}
	header := http.Header{}
	var values []string
	for k, v := range cfg.Headers {
		ck := http.CanonicalHeaderKey(strings.TrimSpace(k))
		switch {
		case !validHeaderName(ck):
			return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: fmt.Sprintf("channel %s: header name %q is not valid", name, singleLine(k))}
		case reservedHeaders[ck]:
			return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: fmt.Sprintf("channel %s: header %s is set by Warden", name, ck)}
		case strings.ContainsAny(v, "\r\n\x00"):
			return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: fmt.Sprintf("channel %s: header %s has a line break in its value", name, ck)}
		}
		header.Set(ck, v)
		values = append(values, v)
		if _, token, ok := strings.Cut(v, " "); ok { // "Bearer <token>"
			values = append(values, token)
		}
	}
	s, err := newHTTPSender(op, name, "URL", cfg.URL, cfg.HTTPClient, cfg.Timeout, append(values, cfg.Secret)...)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Webhook{name: name, secret: []byte(cfg.Secret), header: header, sender: s, now: now}, nil
}

// validHeaderName reports whether k is an HTTP token.
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if r >= 0x7f || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// Name returns the channel's name.
func (w *Webhook) Name() string { return w.name }

// Notify posts one signed alert. 429 and 5xx answers are EUNAVAILABLE
// errors, other non-2xx answers EINVALID.
func (w *Webhook) Notify(ctx context.Context, a *warden.Alert) error {
	if a == nil {
		return nilAlertError(w.sender.op, w.name)
	}
	body, err := json.Marshal(WebhookBody{Type: WebhookEventType, Alert: a})
	if err != nil {
		return &warden.Error{Kind: warden.EINTERNAL, Op: w.sender.op, Message: "channel " + w.name + ": cannot encode the alert", Err: err}
	}
	ts := w.now().Unix()
	header := w.header.Clone()
	header.Set("Content-Type", "application/json")
	header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	header.Set(HeaderSignature, Sign(string(w.secret), ts, body))
	_, err = w.sender.post(ctx, body, header)
	return err
}

// Sign returns the X-Warden-Signature value for body sent at timestamp:
// "sha256=" followed by the hex HMAC-SHA256 of timestamp + "." + body.
func Sign(secret string, timestamp int64, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, strconv.FormatInt(timestamp, 10), body))
}

func mac(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifySignature checks a webhook delivery for receivers: timestamp and
// signature are the X-Warden-Timestamp and X-Warden-Signature headers,
// body the raw request body. It rejects timestamps more than tolerance
// away from now, in either direction (DefaultTolerance when tolerance is
// not positive), so a captured delivery cannot be replayed later, and
// compares signatures in constant time. Every failure is an EUNAUTHORIZED
// *warden.Error that reveals nothing about the expected signature.
func VerifySignature(secret, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	const op = "notify.VerifySignature"
	deny := func(msg string) error {
		return &warden.Error{Kind: warden.EUNAUTHORIZED, Op: op, Message: msg}
	}
	if secret == "" {
		return deny("no secret to verify with")
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return deny("timestamp is missing or not Unix seconds")
	}
	sent := time.Unix(ts, 0)
	if d := now.Sub(sent); d > tolerance || d < -tolerance {
		return deny(fmt.Sprintf("timestamp is outside the %s tolerance", tolerance))
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(signature), "sha256=")
	if !ok {
		return deny(`signature must start with "sha256="`)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return deny("signature is not a hex SHA-256 HMAC")
	}
	if !hmac.Equal(got, mac(secret, timestamp, body)) {
		return deny("signature does not match")
	}
	return nil
}
