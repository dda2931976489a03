// Package emulatortest starts the Salesforce emulator in-process for tests,
// as rivertest does for River: one call gives a running server on loopback
// and helpers for its control API.
package emulatortest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wardenhq/warden/emulator"
)

// Emulator is a running emulator.
type Emulator struct {
	*emulator.Server
	// URL is the base URL: the login URL and instance URL of every org.
	URL string
	// HTTP is a client for the emulator that does not follow redirects.
	HTTP *http.Client
}

// Start runs an emulator with seed until the test ends.
func Start(tb testing.TB, seed *emulator.Seed) *Emulator {
	tb.Helper()
	srv, err := emulator.New(seed, emulator.Options{})
	if err != nil {
		tb.Fatalf("emulator.New: %v", err)
	}
	ts := httptest.NewServer(srv)
	tb.Cleanup(ts.Close)
	c := ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Emulator{Server: srv, URL: ts.URL, HTTP: c}
}

// Control calls the control API (path relative to /_emulator/) with a JSON
// body (nil for none), fails the test on a non-2xx answer, and decodes the
// answer into out when out is not nil.
func (e *Emulator) Control(tb testing.TB, method, path string, body, out any) {
	tb.Helper()
	status, data := e.ControlStatus(tb, method, path, body)
	if status/100 != 2 {
		tb.Fatalf("control %s %s: %d %s", method, path, status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			tb.Fatalf("control %s %s: decoding %s: %v", method, path, data, err)
		}
	}
}

// ControlStatus calls the control API and returns the status and body.
func (e *Emulator) ControlStatus(tb testing.TB, method, path string, body any) (int, []byte) {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.URL+"/_emulator/"+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.HTTP.Do(req)
	if err != nil {
		tb.Fatalf("control %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// Usage is the emulator's per-org request counters.
type Usage struct {
	APIRequests  int            `json:"apiRequests"`
	Logins       int            `json:"logins"`
	LoginsByUser map[string]int `json:"loginsByUser"`
}

// Usage returns the counters of an org (by id or name).
func (e *Emulator) Usage(tb testing.TB, org string) Usage {
	tb.Helper()
	var u Usage
	e.Control(tb, http.MethodGet, "orgs/"+org+"/usage", nil, &u)
	return u
}
