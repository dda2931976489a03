package monitor_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/salesforce"
)

// handlerTransport serves requests with an in-process handler, without a
// network: the emulator's timers and the monitor's then all run on the
// clock of a testing/synctest bubble.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (resp *http.Response, err error) {
	rec := httptest.NewRecorder()
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			resp, err = nil, errors.New("connection reset by peer (emulated drop)")
		}
	}()
	t.h.ServeHTTP(rec, r.WithContext(r.Context()))
	return rec.Result(), nil
}

// memStore keeps health history and statuses in memory.
type memStore struct {
	mu       sync.Mutex
	history  []*warden.HealthResult
	statuses map[string]*warden.UserStatus // org/username
	puts     int
}

func (s *memStore) AppendHealth(ctx context.Context, r *warden.HealthResult) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.ID = int64(len(s.history) + 1)
	s.history = append(s.history, r)
	return nil
}

func (s *memStore) LatestHealth(ctx context.Context, f warden.HealthFilter) ([]*warden.HealthResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	latest := map[string]*warden.HealthResult{}
	for _, r := range s.history {
		latest[r.Org+"/"+r.Username] = r
	}
	var out []*warden.HealthResult
	for _, r := range latest {
		out = append(out, r)
	}
	return out, nil
}

func (s *memStore) HealthHistory(ctx context.Context, f warden.HealthFilter) ([]*warden.HealthResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*warden.HealthResult(nil), s.history...), nil
}

func (s *memStore) PutStatuses(ctx context.Context, org string, sweptAt time.Time, changed []*warden.UserStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.statuses == nil {
		s.statuses = map[string]*warden.UserStatus{}
	}
	s.puts++
	for _, c := range changed {
		cp := *c
		s.statuses[org+"/"+c.Username] = &cp
	}
	for k, st := range s.statuses {
		if strings.HasPrefix(k, org+"/") {
			st.CheckedAt = sweptAt
		}
	}
	return nil
}

func (s *memStore) Statuses(ctx context.Context, f warden.StatusFilter) ([]*warden.UserStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*warden.UserStatus
	for _, st := range s.statuses {
		if (f.Org == "" || f.Org == st.Org) && (f.Username == "" || strings.EqualFold(f.Username, st.Username)) {
			cp := *st
			out = append(out, &cp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Org+"/"+out[i].Username < out[j].Org+"/"+out[j].Username })
	return out, nil
}

// demoOrgs is the monitor configuration of the demo orgs (or of the
// named ones), with every demo credential checkable.
func demoOrgs(t *testing.T, client *salesforce.Client, key *rsa.PrivateKey, only ...string) []*monitor.Org {
	t.Helper()
	admins := map[string]string{"Acme Corp": "admin@acme.demo", "Globex Corporation": "admin@globex.demo"}
	keys := map[string]string{"Acme Corp": "warden-demo-acme", "Globex Corporation": "warden-demo-globex"}
	names := only
	if len(names) == 0 {
		names = []string{"Acme Corp", "Globex Corporation"}
	}
	var orgs []*monitor.Org
	for _, name := range names {
		sess := salesforce.NewSession(client, &salesforce.JWTAuth{Client: client, Grant: salesforce.JWTGrant{ClientID: keys[name], Username: admins[name], Key: key}})
		o := &monitor.Org{Name: name, Session: sess, Liveness: map[string]func(context.Context) error{}}
		for _, dc := range emulator.DemoCredentials() {
			if dc.Org != name {
				continue
			}
			cred := &warden.Credential{Name: dc.Username, Org: name, Kind: warden.CredentialKind(dc.Kind), Username: dc.Username, ClientID: dc.ClientID}
			m := warden.Material{ClientSecret: dc.ClientSecret}
			switch cred.Kind {
			case warden.CredentialJWT:
				m.PrivateKey = pemKey(key)
			case warden.CredentialClientCredentials:
				m.ClientSecret = dc.Secret
			case warden.CredentialRefreshToken:
				m.RefreshToken = dc.Secret
			case warden.CredentialPassword:
				m.Password = dc.Secret
			}
			auth, err := salesforce.NewAuthenticator(client, cred, m, nil)
			if err != nil {
				t.Fatal(err)
			}
			o.Liveness[dc.Username] = monitor.LivenessCheck(client, auth)
			tg := monitor.Target{Username: dc.Username, Credential: cred.Kind, Owner: "integrations",
				Dependents: []warden.AffectedApp{{Name: "App of " + dc.Username, Owner: "integrations"}}}
			if dc.Username == "invoice.sync@acme.demo" {
				tg.Needs = []warden.ObjectAccess{{Object: "Account", Access: []string{"Read"}}}
			}
			o.Targets = append(o.Targets, tg)
		}
		orgs = append(orgs, o)
	}
	return orgs
}

// memDemo is the demo emulator served in process without a network, for
// tests inside a testing/synctest bubble (the seed's history is relative
// to the bubble's clock).
type memDemo struct {
	emu    *emulator.Server
	client *salesforce.Client
	key    *rsa.PrivateKey
	store  *memStore
}

func newMemDemo(t *testing.T) *memDemo {
	t.Helper()
	seed, key, err := emulator.Demo(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := emulator.New(seed, emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	client := salesforce.New(salesforce.Config{LoginURL: "http://emulator.test", HTTPClient: &http.Client{Transport: handlerTransport{srv}}})
	return &memDemo{emu: srv, client: client, key: key, store: &memStore{}}
}

// monitor returns a monitor of the named demo orgs on the in-process
// emulator, storing into d.store.
func (d *memDemo) monitor(t *testing.T, opts monitor.Options, orgs ...string) *monitor.Monitor {
	t.Helper()
	opts.Store, opts.Statuses, opts.NoPush = d.store, d.store, true
	return monitor.New(opts, demoOrgs(t, d.client, d.key, orgs...))
}

// control calls the emulator's control API and decodes a 2xx answer into
// out (when not nil).
func (d *memDemo) control(t *testing.T, method, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	parts := strings.Split(path, "/")
	for i := range parts {
		parts[i] = url.PathEscape(parts[i])
	}
	req := httptest.NewRequest(method, "http://emulator.test/_emulator/"+strings.Join(parts, "/"), rd)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	d.emu.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		t.Fatalf("control %s %s: %d %s", method, path, rec.Code, rec.Body.Bytes())
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatal(err)
		}
	}
}

// logins returns the logins per user the emulator counted for org.
func (d *memDemo) logins(t *testing.T, org string) map[string]int {
	t.Helper()
	var u emulatortest.Usage
	d.control(t, http.MethodGet, "orgs/"+org+"/usage", nil, &u)
	return u.LoginsByUser
}

// status returns the stored status of a user.
func (d *memDemo) status(t *testing.T, username string) warden.UserStatus {
	t.Helper()
	st, err := d.store.Statuses(t.Context(), warden.StatusFilter{Username: username})
	if err != nil || len(st) != 1 {
		t.Fatalf("status of %s: %v %v", username, st, err)
	}
	return *st[0]
}
