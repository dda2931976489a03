package broker_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/broker"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
	"github.com/wardenhq/warden/secret/local"
	"github.com/wardenhq/warden/sqlite"
)

// The test org: billing@ logs in with a refresh token of an app that
// rotates them (and whose callback is on loopback, for re-authorization);
// sync@ with client credentials; other@ is in the inventory but no key
// names it.
const (
	orgName      = "Acme"
	billingUser  = "billing@acme.example"
	billingPass  = "B1lling-Passw0rd!"
	billingToken = "5Aep861TestBillingRefreshToken000001"
	syncUser     = "sync@acme.example"
	otherUser    = "other@acme.example"
	adminUser    = "admin@acme.example"
)

// fixture is an emulator, an inventory, a registry and a broker served by
// an httptest server, with a key for billing@ and sync@.
type fixture struct {
	emu      *emulatortest.Emulator
	db       *sqlite.DB
	reg      *credential.Registry
	b        *broker.Broker
	srv      *httptest.Server
	metrics  *prometheus.Registry
	key      string
	callback string
	clock    *clock
	upstream *recorder
	events   chan broker.Event
}

// clock is the broker's clock, moved with the emulator's.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// advance moves both clocks forward.
func (f *fixture) advance(t *testing.T, d time.Duration) {
	t.Helper()
	f.emu.Control(t, http.MethodPost, "clock", map[string]string{"advance": d.String()}, nil)
	f.clock.offset.Add(int64(d))
}

// recorder keeps the headers of the proxy's upstream requests.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []*http.Request
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Clone(req.Context()))
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) last() *http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs[len(r.reqs)-1]
}

func newFixture(t *testing.T, cfg broker.Config) *fixture {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	callback := "http://" + ln.Addr().String() + "/oauth/callback"
	ln.Close()
	seed := &emulator.Seed{Orgs: []emulator.SeedOrg{{
		Name: orgName,
		Profiles: []emulator.SeedProfile{
			{Name: "Integration", Permissions: []string{"ApiEnabled"}, Objects: map[string][]string{"Account": {"Read", "Create", "Edit"}}},
			{Name: "Admin", Permissions: []string{"ApiEnabled", "ManageUsers", "ViewSetup"}},
		},
		Users: []emulator.SeedUser{
			{Username: billingUser, LastName: "Billing", Profile: "Integration", Password: billingPass},
			{Username: syncUser, LastName: "Sync", Profile: "Integration", Password: "Sync-Passw0rd!1"},
			{Username: otherUser, LastName: "Other", Profile: "Integration", Password: "Other-Passw0rd!1"},
			{Username: adminUser, LastName: "Admin", Profile: "Admin", Password: "Adm1n-Passw0rd!1"},
		},
		ConnectedApps: []emulator.SeedConnectedApp{
			{Name: "Billing", ConsumerKey: "billing-key", ConsumerSecret: "billing-secret", RotateRefreshTokens: true, CallbackURL: callback},
			{Name: "Sync", ConsumerKey: "sync-key", ConsumerSecret: "sync-secret", ClientCredentialsUser: syncUser},
			{Name: "Warden", ConsumerKey: "warden-key", ConsumerSecret: "warden-secret", ClientCredentialsUser: adminUser},
		},
		RefreshTokens: []emulator.SeedRefreshToken{{User: billingUser, App: "Billing", Token: billingToken}},
	}}}
	f := &fixture{emu: emulatortest.Start(t, seed), callback: callback, clock: &clock{}, metrics: prometheus.NewRegistry(), events: make(chan broker.Event, 1000)}
	raw := make([]byte, 32)
	rand.Read(raw)
	kek, err := local.NewKEK(raw)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := local.Open(filepath.Join(t.TempDir(), "secrets.json"), kek)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	f.reg = credential.NewRegistry(credential.Config{Orgs: db, Credentials: db, Secrets: map[string]warden.SecretStore{"local": ss}, HTTPClient: f.emu.HTTP})
	ctx := t.Context()
	must(t, db.UpsertOrg(ctx, &warden.Org{Name: "acme", LoginURL: f.emu.URL, MonitoringCredential: "monitor"}))
	for _, c := range []struct {
		cred *warden.Credential
		m    warden.Material
	}{
		{&warden.Credential{Name: "billing", Org: "acme", Kind: warden.CredentialRefreshToken, Username: billingUser, ClientID: "billing-key",
			Secret: warden.SecretRef{Store: "local", Key: "billing"}}, warden.Material{ClientSecret: "billing-secret", RefreshToken: billingToken}},
		{&warden.Credential{Name: "sync", Org: "acme", Kind: warden.CredentialClientCredentials, ClientID: "sync-key",
			Secret: warden.SecretRef{Store: "local", Key: "sync"}}, warden.Material{ClientSecret: "sync-secret"}},
		{&warden.Credential{Name: "monitor", Org: "acme", Kind: warden.CredentialClientCredentials, ClientID: "warden-key",
			Secret: warden.SecretRef{Store: "local", Key: "monitor"}}, warden.Material{ClientSecret: "warden-secret"}},
	} {
		must(t, db.UpsertCredential(ctx, c.cred))
		_, err := f.reg.PutMaterial(ctx, c.cred, c.m, warden.StageCurrent)
		must(t, err)
	}
	for _, u := range []*warden.IntegrationUser{
		{Org: "acme", Username: billingUser, Credential: "billing"},
		{Org: "acme", Username: syncUser, Credential: "sync"},
		{Org: "acme", Username: otherUser, Credential: "sync"},
	} {
		must(t, db.UpsertUser(ctx, u))
	}
	f.key = f.newKey(t, []string{billingUser, syncUser}, warden.BrokerToken, warden.BrokerProxy)
	f.upstream = &recorder{next: f.emu.HTTP.Transport}
	cfg.Keys, cfg.Users, cfg.Sessions = db, db, f.reg
	cfg.Now, cfg.Registerer, cfg.Transport = f.clock.now, f.metrics, f.upstream
	cfg.OnEvent = func(e broker.Event) {
		select {
		case f.events <- e:
		default:
		}
	}
	f.b = broker.New(cfg)
	f.srv = httptest.NewServer(f.b)
	t.Cleanup(f.srv.Close)
	return f
}

// newKey stores a key for users and returns it.
func (f *fixture) newKey(t *testing.T, users []string, ops ...warden.BrokerOperation) string {
	t.Helper()
	key, k := broker.NewKey()
	k.Users, k.Operations, k.Dependent = users, ops, "Billing app"
	must(t, f.db.CreateBrokerKey(t.Context(), k))
	return key
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// tokenAnswer is the token endpoint's answer, or its error.
type tokenAnswer struct {
	Status      int
	AccessToken string    `json:"access_token"`
	InstanceURL string    `json:"instance_url"`
	ExpiresAt   time.Time `json:"expires_at"`
	Error       string    `json:"error"`
	Message     string    `json:"message"`
	Cause       string    `json:"cause"`
}

// post calls a token endpoint with key.
func (f *fixture) post(t *testing.T, path, key string, body any) tokenAnswer {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+path, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a tokenAnswer
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, raw)
	}
	a.Status = resp.StatusCode
	return a
}

func (f *fixture) token(t *testing.T, user string) tokenAnswer {
	t.Helper()
	return f.post(t, "/broker/v1/token", f.key, map[string]string{"user": user})
}

func (f *fixture) logins(t *testing.T, username string) int {
	t.Helper()
	return f.emu.Usage(t, orgName).LoginsByUser[username]
}

func TestTokenIsSharedAndMintedOnceAheadOfExpiry(t *testing.T) {
	f := newFixture(t, broker.Config{SessionLifetime: 2 * time.Hour, RefreshBefore: 5 * time.Minute})
	const callers = 50
	var wg sync.WaitGroup
	answers := make([]tokenAnswer, callers)
	for i := range callers {
		wg.Go(func() { answers[i] = f.token(t, billingUser) })
	}
	wg.Wait()
	first := answers[0]
	for _, a := range answers {
		if a.Status != http.StatusOK || a.AccessToken != first.AccessToken {
			t.Fatalf("answer %+v; want 200 and the same token for every caller", a)
		}
	}
	if first.InstanceURL != f.emu.URL || first.ExpiresAt.IsZero() {
		t.Errorf("instance_url %q expires_at %v", first.InstanceURL, first.ExpiresAt)
	}
	if n := f.logins(t, billingUser); n != 1 {
		t.Errorf("%d logins for %d concurrent callers; want 1", n, callers)
	}
	// The app rotates refresh tokens: the new one is the stored one.
	c, _ := f.db.Credential(t.Context(), "billing")
	m, err := f.reg.Material(t.Context(), c)
	if err != nil || m.RefreshToken == billingToken || m.ClientSecret != "billing-secret" {
		t.Errorf("stored material after the grant: rotated %v, secret kept %v, %v", m.RefreshToken != billingToken, m.ClientSecret == "billing-secret", err)
	}

	// Close to the end of the lifetime every caller gets one new token.
	f.advance(t, 2*time.Hour-4*time.Minute)
	for i := range callers {
		wg.Go(func() { answers[i] = f.token(t, billingUser) })
	}
	wg.Wait()
	for _, a := range answers {
		if a.Status != http.StatusOK || a.AccessToken != answers[0].AccessToken || a.AccessToken == first.AccessToken {
			t.Fatalf("after the refresh point: %+v; want one new token for all", a)
		}
	}
	if n := f.logins(t, billingUser); n != 2 {
		t.Errorf("%d logins after the refresh point; want 2", n)
	}
	if got := counter(t, f, "warden_broker_sessions_total", "credential", "billing"); got != 2 {
		t.Errorf("warden_broker_sessions_total{credential=billing} = %v; want 2", got)
	}
}

// counter sums the counter or gauge name over the series whose label has value.
func counter(t *testing.T, f *fixture, name, label, value string) float64 {
	t.Helper()
	mfs, err := f.metrics.Gather()
	must(t, err)
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
				}
			}
		}
	}
	return sum
}

func TestInvalidationsOfOneTokenReMintOnce(t *testing.T) {
	f := newFixture(t, broker.Config{})
	old := f.token(t, syncUser)
	f.advance(t, 3*time.Second) // older than the re-mint floor
	const callers = 20
	var wg sync.WaitGroup
	answers := make([]tokenAnswer, callers)
	for i := range callers {
		wg.Go(func() {
			answers[i] = f.post(t, "/broker/v1/token/invalidate", f.key, map[string]string{"user": syncUser, "access_token": old.AccessToken})
		})
	}
	wg.Wait()
	for _, a := range answers {
		if a.Status != http.StatusOK || a.AccessToken == old.AccessToken || a.AccessToken != answers[0].AccessToken {
			t.Fatalf("invalidate: %+v; want one new token for all", a)
		}
	}
	if n := f.logins(t, syncUser); n != 2 {
		t.Errorf("%d logins after %d invalidations of one token; want 2", n, callers)
	}
	// Reporting the replaced token again changes nothing.
	a := f.post(t, "/broker/v1/token/invalidate", f.key, map[string]string{"user": syncUser, "access_token": old.AccessToken})
	if a.AccessToken != answers[0].AccessToken || f.logins(t, syncUser) != 2 {
		t.Errorf("stale invalidation re-minted: %+v", a)
	}
	// A token just issued is not re-minted on request.
	a = f.post(t, "/broker/v1/token/invalidate", f.key, map[string]string{"user": syncUser, "access_token": answers[0].AccessToken})
	if a.AccessToken != answers[0].AccessToken || f.logins(t, syncUser) != 2 {
		t.Errorf("invalidation of a fresh token re-minted: %+v", a)
	}
}

func TestKeysAndScopes(t *testing.T) {
	f := newFixture(t, broker.Config{})
	tokenOnly := f.newKey(t, []string{billingUser}, warden.BrokerToken)
	revokedKey, revoked := broker.NewKey()
	revoked.Users, revoked.Operations, revoked.Dependent = []string{billingUser}, []warden.BrokerOperation{warden.BrokerToken}, "Old app"
	must(t, f.db.CreateBrokerKey(t.Context(), revoked))
	must(t, f.db.RevokeBrokerKey(t.Context(), revoked.ID, time.Time{}))
	wrongSecret := f.key[:len(f.key)-4] + "0000"
	if wrongSecret == f.key {
		wrongSecret = f.key[:len(f.key)-4] + "1111"
	}
	for _, tc := range []struct {
		name, key, user string
		want            int
	}{
		{"in scope", f.key, billingUser, http.StatusOK},
		{"case-insensitive username", f.key, strings.ToUpper(billingUser), http.StatusOK},
		{"user outside the scope", f.key, otherUser, http.StatusForbidden},
		{"unknown user outside the scope", f.key, "nobody@acme.example", http.StatusForbidden},
		{"wrong secret", wrongSecret, billingUser, http.StatusUnauthorized},
		{"not a key", "00D000000000000!abc", billingUser, http.StatusUnauthorized},
		{"no key", "", billingUser, http.StatusUnauthorized},
		{"revoked key", revokedKey, billingUser, http.StatusUnauthorized},
		{"key wrapped as a session id", "00DWARDENBROKER!" + f.key, billingUser, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := f.post(t, "/broker/v1/token", tc.key, map[string]string{"user": tc.user})
			if a.Status != tc.want {
				t.Errorf("status %d (%s); want %d", a.Status, a.Message, tc.want)
			}
			if strings.Contains(a.Message, f.key) || (tc.key != "" && strings.Contains(a.Message, tc.key)) {
				t.Errorf("the error shows the key: %q", a.Message)
			}
		})
	}
	// A token-only key may not proxy.
	resp := f.proxy(t, tokenOnly, http.MethodGet, billingUser, "/services/data/v60.0/limits", nil, nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("proxy with a token-only key: %d; want 403", resp.StatusCode)
	}
	denied := counter(t, f, "warden_broker_requests_total", "outcome", "denied")
	if denied != 7 {
		t.Errorf("denied requests counted: %v; want 7", denied)
	}
}

// proxy calls the proxy as user and returns the answer (body read into
// the returned response's Body again).
func (f *fixture) proxy(t *testing.T, key, method, user, path string, body []byte, header http.Header) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, f.srv.URL+"/broker/v1/proxy/"+url.PathEscape(user)+path, rd)
	for k, v := range header {
		req.Header[k] = v
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestProxy(t *testing.T) {
	f := newFixture(t, broker.Config{})
	q := "/services/data/v60.0/query?q=" + url.QueryEscape("SELECT Id, Username FROM User WHERE Username = '"+billingUser+"'")
	resp := f.proxy(t, f.key, http.MethodGet, billingUser, q, nil, http.Header{"Cookie": {"warden_session=secret"}, "X-Custom": {"kept"},
		"X-Sfdc-Session": {f.key}, "Connection": {"X-Hop"}, "X-Hop": {"dropped"}})
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, billingUser) {
		t.Fatalf("query through the proxy: %d %s", resp.StatusCode, body)
	}
	if !strings.HasPrefix(resp.Header.Get("Sforce-Limit-Info"), "api-usage=") {
		t.Errorf("Sforce-Limit-Info not passed on: %q", resp.Header.Get("Sforce-Limit-Info"))
	}
	up := f.upstream.last()
	if up.Header.Get("X-Hop") != "" || up.Header.Get("X-SFDC-Session") == f.key || !strings.HasPrefix(up.Header.Get("X-SFDC-Session"), "00D") {
		t.Errorf("upstream headers: hop-by-hop X-Hop %q, X-SFDC-Session is the session %v", up.Header.Get("X-Hop"), strings.HasPrefix(up.Header.Get("X-SFDC-Session"), "00D"))
	}
	if up.Header.Get("Cookie") != "" || up.Header.Get("X-Custom") != "kept" || strings.Contains(up.Header.Get("Authorization"), broker.KeyPrefix) ||
		!strings.HasPrefix(up.Header.Get("Authorization"), "Bearer 00D") {
		t.Errorf("upstream headers: Cookie %q, X-Custom %q, Authorization is the session %v", up.Header.Get("Cookie"), up.Header.Get("X-Custom"),
			strings.HasPrefix(up.Header.Get("Authorization"), "Bearer 00D"))
	}

	// Writes: create, then update, with the status codes of Salesforce.
	resp = f.proxy(t, f.key, http.MethodPost, billingUser, "/services/data/v60.0/sobjects/Account", []byte(`{"Name":"Acme"}`),
		http.Header{"Content-Type": {"application/json"}})
	var created struct{ ID string }
	json.Unmarshal([]byte(readAll(t, resp)), &created)
	if resp.StatusCode != http.StatusCreated || created.ID == "" {
		t.Fatalf("create through the proxy: %d", resp.StatusCode)
	}
	resp = f.proxy(t, f.key, http.MethodPatch, billingUser, "/services/data/v60.0/sobjects/Account/"+created.ID, []byte(`{"Name":"Acme 2"}`),
		http.Header{"Content-Type": {"application/json"}})
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("update through the proxy: %d %s", resp.StatusCode, readAll(t, resp))
	}
	// Salesforce's errors come back as they are.
	resp = f.proxy(t, f.key, http.MethodGet, billingUser, "/services/data/v60.0/query?q=SELEC", nil, nil)
	if body := readAll(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "MALFORMED_QUERY") {
		t.Errorf("bad query: %d %s", resp.StatusCode, body)
	}

	// The answers that hold the instance's URL point at the proxy.
	resp = f.proxy(t, f.key, http.MethodGet, billingUser, "/services/oauth2/userinfo", nil, http.Header{"Accept-Encoding": {"gzip"}})
	body = readAll(t, resp)
	base := f.srv.URL + "/broker/v1/proxy/" + url.PathEscape(billingUser)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, f.emu.URL+"/services") || !strings.Contains(body, base+"/services/data") {
		t.Errorf("userinfo through the proxy: %d %s", resp.StatusCode, body)
	}

	// A client that joins the instance URL and the path with two slashes.
	if resp := f.proxy(t, f.key, http.MethodGet, billingUser, "//services/data/v60.0/limits", nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET //services/...: %d", resp.StatusCode)
	}
	// The version's resource map points the identity at the proxy, and the
	// identity answer's URLs too, as jsforce's identity() follows them.
	resp = f.proxy(t, f.key, http.MethodGet, billingUser, "/services/data/v60.0/", nil, nil)
	var resources struct{ Identity string }
	json.Unmarshal([]byte(readAll(t, resp)), &resources)
	if !strings.HasPrefix(resources.Identity, base+"/id/") {
		t.Fatalf("resource map identity %q; want it under %s/id/", resources.Identity, base)
	}
	resp = f.proxy(t, "", http.MethodGet, billingUser, strings.TrimPrefix(resources.Identity, base)+"?format=json&oauth_token="+f.key, nil, nil)
	body = readAll(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, billingUser) || strings.Contains(body, f.emu.URL) {
		t.Errorf("identity through the proxy: %d %s", resp.StatusCode, body)
	}
	for _, p := range []string{"/identity", "/services/../_emulator/orgs", "/services/%2e%2e/_emulator/orgs", "/secur/frontdoor.jsp", "/services/Soap/u/60.0"} {
		if resp := f.proxy(t, f.key, http.MethodGet, billingUser, p, nil, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s through the proxy: %d; want 404", p, resp.StatusCode)
		}
	}
	if resp := f.proxy(t, f.key, http.MethodGet, otherUser, "/services/data/v60.0/limits", nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("proxy for a user outside the key's scope: %d; want 403", resp.StatusCode)
	}
	// No upstream request carried the key, in any header or the URL.
	f.upstream.mu.Lock()
	for _, r := range f.upstream.reqs {
		for k, vs := range r.Header {
			for _, v := range vs {
				if strings.Contains(v, f.key[len(f.key)-20:]) {
					t.Errorf("upstream request %s %s carries the key in %s", r.Method, r.URL.Path, k)
				}
			}
		}
		if strings.Contains(r.URL.String(), f.key[len(f.key)-20:]) {
			t.Errorf("upstream URL %s carries the key", r.URL.Path)
		}
	}
	f.upstream.mu.Unlock()
	ev := <-f.events
	if ev.Op != "proxy" || ev.Dependent != "Billing app" || ev.User != billingUser || ev.Status != http.StatusOK || ev.Outcome != "ok" {
		t.Errorf("first event %+v", ev)
	}
}

func TestProxyRetriesOnceAfterARevokedSession(t *testing.T) {
	f := newFixture(t, broker.Config{})
	a := f.token(t, syncUser)
	// Revoke the access token only: the next call is refused, the broker
	// logs in again and replays it.
	resp, err := f.emu.HTTP.PostForm(f.emu.URL+"/services/oauth2/revoke", url.Values{"token": {a.AccessToken}})
	must(t, err)
	resp.Body.Close()
	f.advance(t, 3*time.Second)
	resp = f.proxy(t, f.key, http.MethodPost, syncUser, "/services/data/v60.0/sobjects/Account", []byte(`{"Name":"Replayed"}`),
		http.Header{"Content-Type": {"application/json"}})
	if body := readAll(t, resp); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create after a revoked session: %d %s", resp.StatusCode, body)
	}
	if n := f.logins(t, syncUser); n != 2 {
		t.Errorf("%d logins; want 2 (one re-mint)", n)
	}
	// A call without a body is replayed too.
	resp, err = f.emu.HTTP.PostForm(f.emu.URL+"/services/oauth2/revoke", url.Values{"token": {f.token(t, syncUser).AccessToken}})
	must(t, err)
	resp.Body.Close()
	f.advance(t, 3*time.Second)
	if resp = f.proxy(t, f.key, http.MethodGet, syncUser, "/services/data/v60.0/limits", nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET after a revoked session: %d %s", resp.StatusCode, readAll(t, resp))
	}
	if n := f.logins(t, syncUser); n != 3 {
		t.Errorf("%d logins; want 3 (two re-mints)", n)
	}
	if b := f.token(t, syncUser); b.AccessToken == a.AccessToken {
		t.Error("the broker still hands out the revoked token")
	}
}

func TestProxyLimits(t *testing.T) {
	f := newFixture(t, broker.Config{Rate: 1, Burst: 2, MaxBody: 1 << 10, ReplayBody: 256})
	big := bytes.Repeat([]byte("x"), 2<<10)
	if resp := f.proxy(t, f.key, http.MethodPost, syncUser, "/services/data/v60.0/sobjects/Account", big, nil); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("body over MaxBody: %d; want 413", resp.StatusCode)
	}
	limited := 0
	for range 5 {
		if f.proxy(t, f.key, http.MethodGet, syncUser, "/services/data/v60.0/limits", nil, nil).StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited < 3 {
		t.Errorf("%d of 5 quick calls limited; want at least 3 (rate 1/s, burst 2, one used)", limited)
	}
}

func TestRevokedRefreshTokenPausesThenReauthorizationResumes(t *testing.T) {
	f := newFixture(t, broker.Config{FailurePause: time.Minute})
	if a := f.token(t, billingUser); a.Status != http.StatusOK {
		t.Fatalf("first token: %+v", a)
	}
	f.emu.Control(t, http.MethodPost, "orgs/"+orgName+"/revoke", map[string]string{"username": billingUser}, nil)
	f.advance(t, 3*time.Second)
	a := f.post(t, "/broker/v1/token/invalidate", f.key, map[string]string{"user": billingUser, "access_token": f.token(t, billingUser).AccessToken})
	if a.Status != http.StatusBadGateway || a.Cause != string(warden.CauseRefreshTokenRevoked) {
		t.Fatalf("after revocation: %+v; want 502 refresh_token_revoked", a)
	}
	logins := f.logins(t, billingUser)
	for range 5 {
		if a := f.token(t, billingUser); a.Cause != string(warden.CauseRefreshTokenRevoked) {
			t.Errorf("during the pause: %+v", a)
		}
	}
	if n := f.logins(t, billingUser); n != logins {
		t.Errorf("%d login attempts during the pause; want none", n-logins)
	}

	// Re-authorization: the browser logs in and comes back to the callback.
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		_, err := broker.Reauthorize(t.Context(), broker.ReauthOptions{Registry: f.reg, Users: f.db, Credentials: f.db, Orgs: f.db, Username: billingUser,
			Callback: f.callback, Timeout: 30 * time.Second, Out: &out, OnAuthorize: func(authURL string) { browse(t, f, authURL) }})
		done <- err
	}()
	must(t, <-done)
	if !strings.Contains(out.String(), "/services/oauth2/authorize?") {
		t.Errorf("reauthorization output %q has no link", out.String())
	}
	// Once the pause ends the broker reads the new token: the application
	// changes nothing.
	f.advance(t, time.Minute)
	if a := f.token(t, billingUser); a.Status != http.StatusOK {
		t.Fatalf("after re-authorization: %+v", a)
	}
	resp := f.proxy(t, f.key, http.MethodGet, billingUser, "/services/data/v60.0/limits", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("proxy after re-authorization: %d", resp.StatusCode)
	}
}

// browse completes the emulator's authorize page as billing@ and follows
// the redirect to the callback.
func browse(t *testing.T, f *fixture, authURL string) {
	u, err := url.Parse(authURL)
	if err != nil {
		t.Error(err)
		return
	}
	form := u.Query()
	form.Set("username", billingUser)
	form.Set("password", billingPass)
	resp, err := f.emu.HTTP.PostForm(f.emu.URL+u.Path, form)
	if err != nil {
		t.Error(err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("authorize: %d", resp.StatusCode)
		return
	}
	resp, err = http.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Error(err)
		return
	}
	resp.Body.Close()
}

func TestTokenHealthApprovalsAndKeepAlive(t *testing.T) {
	f := newFixture(t, broker.Config{})
	if a := f.token(t, billingUser); a.Status != http.StatusOK {
		t.Fatalf("token: %+v", a)
	}
	opts := broker.HealthOptions{Orgs: f.db, Credentials: f.db, KeepAlive: 24 * time.Hour}
	hs := f.b.CheckHealth(t.Context(), opts)
	if len(hs) != 1 || hs[0].Credential != "billing" || hs[0].App != "Billing" || hs[0].Approvals != 1 || !hs[0].Current || hs[0].Warning != "" ||
		hs[0].Created.IsZero() || hs[0].Validity != 0 {
		t.Fatalf("health after one approval: %+v", hs)
	}
	// Three more approvals (other devices, other installs): one short of
	// the limit, the broker warns.
	for range 3 {
		f.emu.Control(t, http.MethodPost, "orgs/"+orgName+"/refresh-tokens", map[string]string{"username": billingUser, "app": "Billing"}, nil)
	}
	hs = f.b.CheckHealth(t.Context(), opts)
	if len(hs) != 1 || hs[0].Approvals != 4 || !strings.Contains(hs[0].Warning, "one more leaves no room") {
		t.Fatalf("health after four approvals: %+v", hs)
	}
	if got := counter(t, f, "warden_broker_refresh_token_approvals", "app", "Billing"); got != 4 {
		t.Errorf("warden_broker_refresh_token_approvals{app=Billing} = %v; want 4", got)
	}
	// An application that stops asking for a day: the loop refreshes the
	// token once, before an idle policy could expire it.
	logins := f.logins(t, billingUser)
	f.advance(t, 25*time.Hour)
	f.b.CheckHealth(t.Context(), opts)
	if n := f.logins(t, billingUser); n != logins+1 {
		t.Errorf("keep-alive: %d logins; want %d", n, logins+1)
	}
	f.b.CheckHealth(t.Context(), opts)
	if n := f.logins(t, billingUser); n != logins+1 {
		t.Errorf("a second pass refreshed again: %d logins; want %d", n, logins+1)
	}

	// At the limit, a re-authorization warns before it revokes the oldest.
	f.emu.Control(t, http.MethodPost, "orgs/"+orgName+"/refresh-tokens", map[string]string{"username": billingUser, "app": "Billing"}, nil)
	if hs = f.b.CheckHealth(t.Context(), opts); len(hs) != 1 || hs[0].Approvals != 5 || !strings.Contains(hs[0].Warning, "silently revokes the oldest") {
		t.Fatalf("health at five approvals: %+v", hs)
	}
	var out bytes.Buffer
	_, err := broker.Reauthorize(t.Context(), broker.ReauthOptions{Registry: f.reg, Users: f.db, Credentials: f.db, Orgs: f.db, Username: billingUser,
		Callback: f.callback, Timeout: 30 * time.Second, Out: &out, OnAuthorize: func(authURL string) { browse(t, f, authURL) }})
	must(t, err)
	if !strings.Contains(out.String(), "Warning: "+billingUser+" already holds 5 refresh tokens of Billing") {
		t.Errorf("reauthorization at the limit did not warn:\n%s", out.String())
	}
}
