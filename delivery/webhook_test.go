package delivery

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/notify"
)

const signingSecret = "whsec-test-signing-secret-0123456789"

// receiver is a loopback webhook receiver that checks signatures and
// remembers what it acknowledged.
type receiver struct {
	mu       sync.Mutex
	fail     []int // statuses to answer first, in order
	got      []Message
	keys     []string
	attempts int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.attempts++
	if err := notify.VerifySignature(signingSecret, r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature), body, time.Now(), 0); err != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if len(rc.fail) > 0 {
		code := rc.fail[0]
		rc.fail = rc.fail[1:]
		// A careless receiver echoes what it got.
		http.Error(w, "could not apply "+string(body), code)
		return
	}
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	rc.got = append(rc.got, m)
	rc.keys = append(rc.keys, r.Header.Get(HeaderIdempotencyKey))
	w.WriteHeader(http.StatusNoContent)
}

// webhookFixture is a Deliverer whose waits are recorded, not slept, and
// a secret store holding the signing secret.
func webhookFixture(t *testing.T, client *http.Client) (*Deliverer, *[]time.Duration, *logBuffer) {
	t.Helper()
	ss := localStore(t)
	if _, err := ss.Put(bg, "hooks/billing", []byte(signingSecret), warden.StageCurrent, nil); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	d := New(Config{Secrets: map[string]warden.SecretStore{"local": ss}, HTTPClient: client, Logger: logs.logger(),
		Retry: Retry{Attempts: 4, BaseDelay: 100 * time.Millisecond}})
	var waits []time.Duration
	d.sleep = func(_ context.Context, w time.Duration) error { waits = append(waits, w); return nil }
	return d, &waits, logs
}

func webhookDependent(url string) *warden.Dependent {
	return &warden.Dependent{Name: "orders", Org: "acme", Username: "billing@acme.demo", Delivery: warden.DeliveryWebhook,
		Target: warden.DeliveryTarget{Webhook: &warden.WebhookTarget{URL: url, Secret: warden.SecretRef{Store: "local", Key: "hooks/billing"}}}}
}

func TestWebhookDeliverRestore(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := map[bool]string{false: "http loopback", true: "https"}[tls]
		t.Run(name, func(t *testing.T) {
			rc := &receiver{fail: []int{http.StatusServiceUnavailable, http.StatusTooManyRequests}}
			var srv *httptest.Server
			if tls {
				srv = httptest.NewTLSServer(rc)
			} else {
				srv = httptest.NewServer(rc)
			}
			defer srv.Close()
			d, waits, logs := webhookFixture(t, srv.Client())
			dep, c := webhookDependent(srv.URL+"/hooks/salesforce?token=abc123secret"), passwordCred()
			oldM, newM := newMaterial("old"), newMaterial("new")
			r, err := d.Deliver(bg, dep, c, newM, "8")
			if err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if want := "POST " + srv.URL + "/[redacted]"; r.Detail != want {
				t.Errorf("detail = %q, want %q", r.Detail, want)
			}
			if rc.attempts != 3 || len(rc.got) != 1 {
				t.Fatalf("%d attempts, %d acknowledged; want 3 and 1", rc.attempts, len(rc.got))
			}
			if want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}; len(*waits) != 2 || (*waits)[0] != want[0] || (*waits)[1] != want[1] {
				t.Errorf("waits = %v, want %v", *waits, want)
			}
			m := rc.got[0]
			if m.Type != EventType || m.Action != warden.ActionDeliver || m.Version != "8" || m.Dependent != "orders" ||
				m.Material.Password != newM.Password || m.Credential != c.Name {
				t.Errorf("message = %+v", m)
			}
			if err := d.Restore(bg, dep, c, oldM, "7"); err != nil {
				t.Fatal(err)
			}
			if m := rc.got[1]; m.Action != warden.ActionRestore || m.Material.Password != oldM.Password || m.Version != "7" {
				t.Errorf("restore message = %+v", m)
			}
			if rc.keys[0] != "orders/billing-cred/8/deliver" || rc.keys[1] != "orders/billing-cred/7/restore" {
				t.Errorf("idempotency keys = %q", rc.keys)
			}
			noSecrets(t, "logs", logs.String(), newM, oldM)
			if strings.Contains(logs.String(), "abc123secret") {
				t.Errorf("logs contain the webhook URL's token")
			}
		})
	}
}

func TestWebhookFailures(t *testing.T) {
	rc := &receiver{fail: []int{500, 500, 500, 500}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	d, _, _ := webhookFixture(t, srv.Client())
	m := newMaterial("n")

	_, err := d.Deliver(bg, webhookDependent(srv.URL+"/x"), passwordCred(), m, "1")
	if warden.ErrorKind(err) != warden.EUNAVAILABLE || !strings.Contains(err.Error(), "after 4 attempts") || rc.attempts != 4 {
		t.Errorf("err = %v after %d attempts, want EUNAVAILABLE after 4", err, rc.attempts)
	}
	noSecrets(t, "error", err.Error(), m)
	if strings.Contains(err.Error(), "could not apply") && !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("error quotes the receiver's echo without redaction: %v", err)
	}

	rc.fail, rc.attempts = []int{400}, 0
	_, err = d.Deliver(bg, webhookDependent(srv.URL+"/x"), passwordCred(), m, "1")
	if warden.ErrorKind(err) != warden.EINVALID || rc.attempts != 1 {
		t.Errorf("a 400 gave %v after %d attempts, want EINVALID at once", err, rc.attempts)
	}
	noSecrets(t, "error", err.Error(), m)

	for _, url := range []string{"http://example.com/hook", "ftp://127.0.0.1/x", "not a url"} {
		_, err = d.Deliver(bg, webhookDependent(url), passwordCred(), m, "1")
		if warden.ErrorKind(err) != warden.EINVALID {
			t.Errorf("URL %q: err = %v, want EINVALID", url, err)
		}
	}
	dep := webhookDependent(srv.URL)
	dep.Target.Webhook.Secret = warden.SecretRef{}
	if _, err = d.Deliver(bg, dep, passwordCred(), m, "1"); warden.ErrorKind(err) != warden.EINVALID {
		t.Errorf("no signing secret: err = %v, want EINVALID", err)
	}
	// A wrong signing secret is refused by the receiver (401, not retried).
	d.cfg.Secrets["local"].Put(bg, "hooks/billing", []byte("wrong-secret-wrong-secret"), warden.StageCurrent, nil)
	rc.attempts = 0
	if _, err = d.Deliver(bg, webhookDependent(srv.URL), passwordCred(), m, "1"); warden.ErrorKind(err) != warden.EINVALID || rc.attempts != 1 {
		t.Errorf("wrong signature: err = %v after %d attempts", err, rc.attempts)
	}
}
