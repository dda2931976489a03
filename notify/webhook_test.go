package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardenhq/warden"
)

const webhookSecret = "whsec-4f1c2b7a9d"

// receiver is a webhook receiver that checks deliveries with
// VerifySignature, the way a user's service would.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	accepted []WebhookBody
	raw      []request
	rejected []string
}

func newReceiver(t *testing.T, secret string) *receiver {
	t.Helper()
	rv := &receiver{}
	rv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read", http.StatusBadRequest)
			return
		}
		rv.mu.Lock()
		defer rv.mu.Unlock()
		rv.raw = append(rv.raw, request{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
		if err := VerifySignature(secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body, time.Now(), time.Minute); err != nil {
			rv.rejected = append(rv.rejected, err.Error())
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var wb WebhookBody
		if err := json.Unmarshal(body, &wb); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		rv.accepted = append(rv.accepted, wb)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rv.Close)
	return rv
}

func TestWebhookDelivery(t *testing.T) {
	rv := newReceiver(t, webhookSecret)
	wh, err := NewWebhook(WebhookConfig{
		Name:    "siem",
		URL:     rv.URL + "/hooks/warden?token=QueryToken123",
		Secret:  webhookSecret,
		Headers: map[string]string{"Authorization": "Bearer rcv-bearer-token", "x-tenant": "acme"},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := problemAlert()
	if err := wh.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if len(rv.accepted) != 1 || len(rv.rejected) != 0 {
		t.Fatalf("accepted %d, rejected %v", len(rv.accepted), rv.rejected)
	}
	if diff := cmp.Diff(WebhookBody{Type: "warden.alert", Alert: a}, rv.accepted[0]); diff != "" {
		t.Errorf("delivered alert (-want +got):\n%s", diff)
	}
	req := rv.raw[0]
	for k, want := range map[string]string{
		"Content-Type":  "application/json",
		"Authorization": "Bearer rcv-bearer-token",
		"X-Tenant":      "acme",
		"User-Agent":    userAgent,
	} {
		if got := req.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	ts, err := strconv.ParseInt(req.Header.Get(HeaderTimestamp), 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > time.Minute {
		t.Errorf("timestamp %q is not now", req.Header.Get(HeaderTimestamp))
	}
	if got, want := req.Header.Get(HeaderSignature), Sign(webhookSecret, ts, req.Body); got != want {
		t.Errorf("signature = %q, want %q", got, want)
	}
	// The exact shape: the alert's own JSON under "alert".
	assertJSON(t, req.Body, `{
	  "type": "warden.alert",
	  "alert": {
	    "key": "acme/gis@acme.example",
	    "org": "Acme",
	    "username": "gis@acme.example",
	    "state": "error",
	    "previous": "ok",
	    "cause": "user_frozen",
	    "severity": "high",
	    "evidence": "UserLogin.IsFrozen = true; LoginHistory: User is frozen",
	    "fix": "Unfreeze the user in Setup > Users, then find who froze it in the setup audit trail.",
	    "resolved": false,
	    "owner": "Integration",
	    "dependents": [
	      {"name": "Invoice Sync", "owner": "Billing", "contact": "billing@acme.example"},
	      {"name": "Map Sync", "owner": "GIS"},
	      {"name": "AR Export", "owner": "Billing"}
	    ],
	    "url": "https://warden.acme.example/users/acme/gis@acme.example",
	    "at": "2026-03-04T05:06:07Z"
	  }
	}`)

	// Replaying the delivery with a changed body must fail.
	tampered := bytes.Replace(req.Body, []byte(`"state":"error"`), []byte(`"state":"ok"`), 1)
	if bytes.Equal(tampered, req.Body) {
		t.Fatal("tampering changed nothing")
	}
	err = VerifySignature(webhookSecret, req.Header.Get(HeaderTimestamp), req.Header.Get(HeaderSignature), tampered, time.Now(), time.Minute)
	assertKind(t, err, warden.EUNAUTHORIZED)
	// Replaying it much later must fail too.
	err = VerifySignature(webhookSecret, req.Header.Get(HeaderTimestamp), req.Header.Get(HeaderSignature), req.Body, time.Now().Add(10*time.Minute), time.Minute)
	assertKind(t, err, warden.EUNAUTHORIZED)
}

// TestWebhookReceiverRejects runs deliveries the receiver must refuse end
// to end: Warden gets the receiver's 401 as an EINVALID error.
func TestWebhookReceiverRejects(t *testing.T) {
	tests := []struct {
		name   string
		secret string        // Warden's secret
		skew   time.Duration // Warden's clock minus the receiver's
		want   string
	}{
		{"wrong secret", "another-secret", 0, "signature does not match"},
		{"old timestamp", webhookSecret, -10 * time.Minute, "outside the 1m0s tolerance"},
		{"future timestamp", webhookSecret, 10 * time.Minute, "outside the 1m0s tolerance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rv := newReceiver(t, webhookSecret)
			wh, err := NewWebhook(WebhookConfig{URL: rv.URL, Secret: tt.secret, Now: func() time.Time { return time.Now().Add(tt.skew) }})
			if err != nil {
				t.Fatal(err)
			}
			err = wh.Notify(context.Background(), problemAlert())
			assertKind(t, err, warden.EINVALID)
			if !strings.Contains(err.Error(), "401 Unauthorized") {
				t.Errorf("error = %v", err)
			}
			if len(rv.accepted) != 0 || len(rv.rejected) != 1 || !strings.Contains(rv.rejected[0], tt.want) {
				t.Errorf("accepted %d, rejected %q; want a rejection with %q", len(rv.accepted), rv.rejected, tt.want)
			}
			assertNoSecrets(t, formatted(err), tt.secret)
		})
	}
}

func TestVerifySignature(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"type":"warden.alert","alert":{}}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	good := Sign("s3cret", now.Unix(), body)
	tests := []struct {
		name          string
		secret, ts, s string
		body          []byte
		tolerance     time.Duration
		ok            bool
	}{
		{"valid", "s3cret", ts, good, body, time.Minute, true},
		{"valid at the edge", "s3cret", strconv.FormatInt(now.Unix()-60, 10), Sign("s3cret", now.Unix()-60, body), body, time.Minute, true},
		{"default tolerance", "s3cret", strconv.FormatInt(now.Unix()-240, 10), Sign("s3cret", now.Unix()-240, body), body, 0, true},
		{"beyond default tolerance", "s3cret", strconv.FormatInt(now.Unix()-301, 10), Sign("s3cret", now.Unix()-301, body), body, 0, false},
		{"old", "s3cret", strconv.FormatInt(now.Unix()-61, 10), Sign("s3cret", now.Unix()-61, body), body, time.Minute, false},
		{"tampered body", "s3cret", ts, good, []byte(`{"type":"warden.alert","alert":{"x":1}}`), time.Minute, false},
		{"timestamp swapped", "s3cret", strconv.FormatInt(now.Unix()-1, 10), good, body, time.Minute, false},
		{"wrong secret", "other", ts, good, body, time.Minute, false},
		{"empty secret", "", ts, Sign("", now.Unix(), body), body, time.Minute, false},
		{"no prefix", "s3cret", ts, strings.TrimPrefix(good, "sha256="), body, time.Minute, false},
		{"not hex", "s3cret", ts, "sha256=zz", body, time.Minute, false},
		{"short", "s3cret", ts, good[:20], body, time.Minute, false},
		{"upper-case hex", "s3cret", ts, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), body, time.Minute, true},
		{"missing timestamp", "s3cret", "", good, body, time.Minute, false},
		{"bad timestamp", "s3cret", "yesterday", good, body, time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.secret, tt.ts, tt.s, tt.body, now, tt.tolerance)
			if tt.ok {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			assertKind(t, err, warden.EUNAUTHORIZED)
			assertNoSecrets(t, formatted(err), "s3cret", strings.TrimPrefix(Sign("s3cret", now.Unix(), tt.body), "sha256="))
		})
	}
}

func TestWebhookConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  WebhookConfig
	}{
		{"no secret", WebhookConfig{URL: "https://rcv.example/hook"}},
		{"bad url", WebhookConfig{URL: "rcv.example/hook", Secret: "x"}},
		{"reserved header", WebhookConfig{URL: "https://rcv.example/hook", Secret: "x", Headers: map[string]string{"x-warden-signature": "forged"}}},
		{"content type", WebhookConfig{URL: "https://rcv.example/hook", Secret: "x", Headers: map[string]string{"Content-Type": "text/plain"}}},
		{"bad name", WebhookConfig{URL: "https://rcv.example/hook", Secret: "x", Headers: map[string]string{"Bad Header": "v"}}},
		{"injection", WebhookConfig{URL: "https://rcv.example/hook", Secret: "x", Headers: map[string]string{"X-A": "v\r\nX-B: w"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewWebhook(tt.cfg)
			assertKind(t, err, warden.EINVALID)
		})
	}
}

// TestWebhookErrorsRedacted checks that neither the URL's token, the
// signing secret nor a header value leaks, even when the receiver echoes
// them.
func TestWebhookErrorsRedacted(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "failed for "+r.URL.RequestURI()+" auth="+r.Header.Get("Authorization"))
	}))
	defer echo.Close()
	wh, err := NewWebhook(WebhookConfig{
		URL:     echo.URL + "/in/TokenInPath987?key=QueryKey654",
		Secret:  webhookSecret,
		Headers: map[string]string{"Authorization": "Bearer HeaderToken321"},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = wh.Notify(context.Background(), problemAlert())
	assertKind(t, err, warden.EUNAVAILABLE)
	if !strings.Contains(err.Error(), "failed for [redacted]") {
		t.Errorf("error = %v", err)
	}
	assertNoSecrets(t, formatted(err), "TokenInPath987", "QueryKey654", "HeaderToken321", webhookSecret)
}
