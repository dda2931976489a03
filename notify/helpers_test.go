package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardenhq/warden"
)

// problemAlert is a user frozen, with three applications of two teams.
func problemAlert() *warden.Alert {
	return &warden.Alert{
		Key:      "acme/gis@acme.example",
		Org:      "Acme",
		Username: "gis@acme.example",
		State:    warden.StateError,
		Previous: warden.StateOK,
		Cause:    warden.CauseUserFrozen,
		Severity: warden.SeverityHigh,
		Evidence: "UserLogin.IsFrozen = true; LoginHistory: User is frozen",
		Fix:      "Unfreeze the user in Setup > Users, then find who froze it in the setup audit trail.",
		Owner:    "Integration",
		Dependents: []warden.AffectedApp{
			{Name: "Invoice Sync", Owner: "Billing", Contact: "billing@acme.example"},
			{Name: "Map Sync", Owner: "GIS"},
			{Name: "AR Export", Owner: "Billing"},
		},
		URL: "https://warden.acme.example/users/acme/gis@acme.example",
		At:  time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
	}
}

// recoveryAlert is the recovery of problemAlert.
func recoveryAlert() *warden.Alert {
	a := problemAlert()
	a.State, a.Previous, a.Resolved, a.Severity = warden.StateOK, warden.StateError, true, warden.SeverityInfo
	a.Evidence, a.Fix = "Login succeeded", ""
	a.At = a.At.Add(30 * time.Minute)
	return a
}

// request is one request an endpoint received.
type request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// reply is a scripted answer.
type reply struct {
	status int
	body   string
	header map[string]string
	delay  time.Duration // wait before answering (or until the client gives up)
}

// endpoint is a local HTTP endpoint that records requests and answers
// with scripted replies, then with the default.
type endpoint struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []request
	replies []reply
	def     reply
}

func newEndpoint(t *testing.T, def reply, script ...reply) *endpoint {
	t.Helper()
	e := &endpoint{def: def, replies: script}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.reqs = append(e.reqs, request{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
		rp := e.def
		if len(e.replies) > 0 {
			rp, e.replies = e.replies[0], e.replies[1:]
		}
		e.mu.Unlock()
		if rp.delay > 0 {
			select {
			case <-time.After(rp.delay):
			case <-r.Context().Done():
				return
			}
		}
		for k, v := range rp.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rp.status)
		io.WriteString(w, rp.body)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *endpoint) requests() []request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]request(nil), e.reqs...)
}

// only returns the single request the endpoint got.
func (e *endpoint) only(t *testing.T) request {
	t.Helper()
	reqs := e.requests()
	if len(reqs) != 1 {
		t.Fatalf("endpoint got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// assertJSON compares two JSON documents structurally.
func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation: %v", err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("JSON mismatch (-want +got):\n%s\ngot: %s", diff, got)
	}
}

// assertKind checks an error's warden kind.
func assertKind(t *testing.T, err error, kind string) {
	t.Helper()
	if got := warden.ErrorKind(err); got != kind {
		t.Fatalf("error kind = %q, want %q (err: %v)", got, kind, err)
	}
	var we *warden.Error
	if !errors.As(err, &we) {
		t.Fatalf("error %T is not a *warden.Error", err)
	}
}

// formatted renders err every way a log line or a user might see it:
// each verb, and each error of its chain.
func formatted(err error) string {
	var b strings.Builder
	for _, verb := range []string{"%v", "%+v", "%s", "%q", "%#v"} {
		fmt.Fprintf(&b, verb+"\n", err)
	}
	b.WriteString(warden.ErrorMessage(err) + "\n")
	queue := []error{err}
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		if e == nil {
			continue
		}
		b.WriteString(e.Error() + "\n")
		fmt.Fprintf(&b, "%+v\n", e)
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			queue = append(queue, u.Unwrap())
		case interface{ Unwrap() []error }:
			queue = append(queue, u.Unwrap()...)
		}
	}
	return b.String()
}

// assertNoSecrets fails when any secret shows in text.
func assertNoSecrets(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("secret %q leaked into:\n%s", s, text)
		}
	}
}

// lockedBuffer is a log sink safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
