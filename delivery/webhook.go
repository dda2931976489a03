package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/notify"
)

// EventType is the "type" of a credential webhook's body and of a
// command hook's stdin document.
const EventType = "warden.credential"

// Message is what a webhook receives (its JSON body) and what a command
// hook with input stdin reads: the new (or, for action restore, the
// previous) material with what it is for. Receivers check the body with
// notify.VerifySignature and may use Dependent, Credential, Version and
// Action to ignore a repeat.
type Message struct {
	// Type is always EventType.
	Type string `json:"type"`
	// Action is deliver, or restore for a rollback to the previous
	// material.
	Action     string    `json:"action"`
	Dependent  string    `json:"dependent"`
	Org        string    `json:"org"`
	Credential string    `json:"credential"`
	Kind       string    `json:"kind"`
	Username   string    `json:"username,omitempty"`
	ClientID   string    `json:"clientId,omitempty"`
	Version    string    `json:"version"`
	At         time.Time `json:"at"`
	// Material is the secret part; it never leaves Warden except here.
	Material warden.Material `json:"material"`
}

// HeaderIdempotencyKey carries dependent/credential/version/action, the
// same for every attempt and repeat of one delivery.
const HeaderIdempotencyKey = "Idempotency-Key"

// message is j as a Message.
func (d *Deliverer) message(j *job) Message {
	return Message{Type: EventType, Action: j.action, Dependent: j.dep.Name, Org: j.dep.Org, Credential: j.cred.Name,
		Kind: string(j.cred.Kind), Username: j.cred.LoginUsername(j.m), ClientID: j.cred.LoginClientID(j.m), Version: j.version,
		At: d.now().UTC().Truncate(time.Second), Material: j.m}
}

// webhook posts j's material, signed, to the dependent's URL, retrying
// when the receiver is down; a 2xx answer acknowledges it.
func (d *Deliverer) webhook(ctx context.Context, j *job) (string, error) {
	t := j.dep.Target.Webhook
	if t == nil {
		return "", warden.Errorf(warden.EINVALID, "delivery to %s: no webhook target declared", j.dep.Name)
	}
	shown, err := checkPushURL(j.dep.Name, t.URL)
	if err != nil {
		return "", err
	}
	signing, err := d.signingSecret(ctx, j, t.Secret)
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(d.message(j))
	if err != nil {
		return "", warden.Errorf(warden.EINTERNAL, "delivery to %s: cannot encode the message", j.dep.Name)
	}
	key := strings.Join([]string{j.dep.Name, j.cred.Name, j.version, j.action}, "/")
	err = d.retry(ctx, func(ctx context.Context) error {
		ts := d.now().Unix()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(body))
		if err != nil {
			return warden.Errorf(warden.EINVALID, "cannot build a request for %s", shown)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Warden-Delivery/1")
		req.Header.Set(notify.HeaderTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(notify.HeaderSignature, notify.Sign(signing, ts, body))
		req.Header.Set(HeaderIdempotencyKey, key)
		resp, err := d.hc.Do(req)
		if err != nil {
			return warden.Errorf(warden.EUNAVAILABLE, "POST %s failed: %s", shown, transportText(ctx, err))
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode/100 == 2 {
			return nil
		}
		return statusError("POST "+shown, resp.StatusCode, redact(strings.ReplaceAll(string(answer), signing, "[redacted]"), j.m))
	})
	if err != nil {
		return "", warden.Prefix("delivery to "+j.dep.Name, err)
	}
	return "POST " + shown, nil
}

// signingSecret reads a webhook's signing secret from its secret store.
func (d *Deliverer) signingSecret(ctx context.Context, j *job, ref warden.SecretRef) (string, error) {
	if ref.IsZero() {
		return "", warden.Errorf(warden.EINVALID, "delivery to %s: the webhook needs a signing secret (a secret-store reference)", j.dep.Name)
	}
	ss := d.cfg.Secrets[ref.Store]
	if ss == nil {
		return "", warden.Errorf(warden.EINVALID, "delivery to %s: no secret store %q for the webhook's signing secret", j.dep.Name, ref.Store)
	}
	s, err := ss.Get(ctx, ref.Key, warden.StageCurrent)
	if err != nil {
		return "", warden.Prefix(fmt.Sprintf("delivery to %s: signing secret %s/%s", j.dep.Name, ref.Store, ref.Key), err)
	}
	return string(s.Value), nil
}

// checkPushURL accepts https URLs and http ones on a loopback address,
// the only places material may be sent, and returns the URL as messages
// show it: scheme and host, with the path and query (which may hold a
// token) redacted.
func checkPushURL(dep, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", warden.Errorf(warden.EINVALID, "delivery to %s: the webhook URL must be an absolute https URL", dep)
	}
	shown := u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		shown += "/[redacted]"
	}
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		return "", warden.Errorf(warden.EINVALID, "delivery to %s: %s: material is sent only over https, or http to a loopback address", dep, shown)
	}
	return shown, nil
}

// loopbackHost reports whether host is a loopback IP address or
// "localhost".
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// statusError is a non-2xx answer: EUNAVAILABLE for 429 and 5xx (worth
// retrying), EINVALID otherwise.
func statusError(what string, code int, answer string) error {
	kind := warden.EINVALID
	if code == http.StatusTooManyRequests || code >= 500 {
		kind = warden.EUNAVAILABLE
	}
	msg := fmt.Sprintf("%s answered %d %s", what, code, http.StatusText(code))
	if a := strings.Join(strings.Fields(strings.ToValidUTF8(answer, "?")), " "); a != "" {
		if len(a) > 200 {
			a = a[:200] + "..."
		}
		msg += ": " + a
	}
	return warden.Errorf(kind, "%s", msg)
}

// transportText describes a failure to get an answer without the URL
// (net/http's errors quote it).
func transportText(ctx context.Context, err error) string {
	if ctx.Err() != nil {
		return "no answer in time"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// retry runs try up to the configured attempts while it fails with
// EUNAVAILABLE, waiting BaseDelay, then twice as long, between tries.
// Each try gets the configured timeout.
func (d *Deliverer) retry(ctx context.Context, try func(ctx context.Context) error) error {
	delay := d.cfg.Retry.BaseDelay
	var err error
	for attempt := 1; ; attempt++ {
		tctx, cancel := context.WithTimeout(ctx, d.cfg.Retry.Timeout)
		err = try(tctx)
		cancel()
		if err == nil || warden.ErrorKind(err) != warden.EUNAVAILABLE || attempt >= d.cfg.Retry.Attempts {
			if err != nil && attempt > 1 {
				err = warden.Prefix(fmt.Sprintf("after %d attempts", attempt), err)
			}
			return err
		}
		if serr := d.sleep(ctx, delay); serr != nil {
			return err
		}
		delay *= 2
	}
}
