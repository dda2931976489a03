package salesforce_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
	"github.com/wardenhq/warden/salesforce"
)

// Test credentials. Every value here is a secret that must never appear in
// an error (see TestSecretsNeverInErrors).
const (
	adminUser   = "admin@acme.example"
	adminPass   = "Adm1n-Passw0rd!"
	adminToken  = "ADMINTOKEN1234567890"
	integUser   = "integ@acme.example"
	integPass   = "Int3g-Passw0rd!"
	integToken  = "INTEGTOKEN1234567890"
	legacyUser  = "legacy@acme.example"
	legacyPass  = "L3gacy-Passw0rd!"
	legacyToken = "LEGACYTOKEN123456789"
	noAPIUser   = "noapi@acme.example"
	officeUser  = "office@acme.example"
	nightUser   = "night@acme.example"
	pagingUser  = "paging@acme.example"
	otherPass   = "0ther-Passw0rd!"
	otherToken  = "OTHERTOKEN1234567890"

	wardenKey       = "warden-consumer-key"
	wardenSecret    = "warden-consumer-secret-value"
	approvedKey     = "approved-consumer-key"
	approvedSecret  = "approved-consumer-secret-value"
	rotatingKey     = "rotating-consumer-key"
	rotatingSecret  = "rotating-consumer-secret-value"
	callbackURL     = "http://localhost:8080/oauth/callback"
	orgName         = "acme"
	invoiceObject   = "Invoice__c"
	seedRefreshTok  = "5Aep861SeededRefreshTokenForAdmin0123456789"
	rotRefreshToken = "5Aep861SeededRotatingRefreshToken0123456789"
)

var (
	keyOnce  sync.Once
	testKey  *rsa.PrivateKey
	otherKey *rsa.PrivateKey
	certPEM  string
)

// keys returns the RSA key whose self-signed certificate the connected
// apps hold, and a second key they do not know.
func keys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey, string) {
	t.Helper()
	keyOnce.Do(func() {
		var err error
		if testKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if otherKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "warden-test"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &testKey.PublicKey, testKey)
		if err != nil {
			panic(err)
		}
		certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	})
	return testKey, otherKey, certPEM
}

func ptr[T any](v T) *T { return &v }

// testSeed is one org with users in every state the tests need.
func testSeed(t testing.TB) *emulator.Seed {
	_, _, cert := keys(t)
	// Login hours on one day only, three days from today: never "now".
	day := strings.ToLower(time.Now().UTC().Add(72 * time.Hour).Weekday().String())
	return &emulator.Seed{Orgs: []emulator.SeedOrg{{
		Name:     orgName,
		Settings: emulator.SeedSettings{MaxLoginAttempts: 3},
		Profiles: []emulator.SeedProfile{
			{Name: "System Administrator", Permissions: []string{"ApiEnabled", "ViewAllData", "ModifyAllData", "ManageUsers",
				"ResetPasswords", "ViewSetup", "CustomizeApplication"}},
			{Name: "Minimum Access - API Only Integrations", UserLicense: "Salesforce Integration",
				Permissions: []string{"ApiEnabled", "ApiUserOnly"}},
			{Name: "Legacy Integration", Permissions: []string{"ApiEnabled"}},
			{Name: "No API", Permissions: []string{}},
			{Name: "Office Only", Permissions: []string{"ApiEnabled"},
				LoginIPRanges: []emulator.SeedIPRange{{Start: "10.1.0.0", End: "10.1.255.255"}}},
			{Name: "Night Shift", Permissions: []string{"ApiEnabled"}, LoginHours: map[string]string{day: "00:00-23:59"}},
		},
		PermissionSets: []emulator.SeedPermissionSet{
			{Name: "Integration_Access", Permissions: []string{"ApiEnabled"},
				Objects: map[string][]string{"Account": {"Read", "Create", "Edit", "Delete"}}},
			{Name: "Invoice_Reader", Objects: map[string][]string{invoiceObject: {"Read"}}},
		},
		Users: []emulator.SeedUser{
			{Username: adminUser, FirstName: "Acme", LastName: "Admin", Profile: "System Administrator", Password: adminPass, SecurityToken: adminToken},
			{Username: integUser, FirstName: "Invoice", LastName: "Integration", Profile: "Minimum Access - API Only Integrations",
				PermissionSets: []string{"Integration_Access"}, Password: integPass, SecurityToken: integToken},
			{Username: legacyUser, LastName: "Legacy", Profile: "Legacy Integration", Password: legacyPass, SecurityToken: legacyToken},
			{Username: noAPIUser, LastName: "NoAPI", Profile: "No API", Password: otherPass, SecurityToken: otherToken},
			{Username: officeUser, LastName: "Office", Profile: "Office Only", Password: otherPass, SecurityToken: otherToken},
			{Username: nightUser, LastName: "Night", Profile: "Night Shift", Password: otherPass, SecurityToken: otherToken},
			{Username: pagingUser, LastName: "Paging", Profile: "Legacy Integration", Password: otherPass, SecurityToken: otherToken},
		},
		ConnectedApps: []emulator.SeedConnectedApp{
			{Name: "Warden", ConsumerKey: wardenKey, ConsumerSecret: wardenSecret, CallbackURL: callbackURL, Certificate: cert,
				ClientCredentialsUser: integUser},
			{Name: "Approved Only", ConsumerKey: approvedKey, ConsumerSecret: approvedSecret, CallbackURL: callbackURL, Certificate: cert,
				PermittedUsers: "admin_approved", PreAuthorizedProfiles: []string{"System Administrator"}},
			{Name: "Rotating", ConsumerKey: rotatingKey, ConsumerSecret: rotatingSecret, CallbackURL: callbackURL, RotateRefreshTokens: true},
		},
		RefreshTokens: []emulator.SeedRefreshToken{
			{User: adminUser, App: "Warden", Token: seedRefreshTok},
			{User: integUser, App: "Rotating", Token: rotRefreshToken},
		},
	}}}
}

// allSecrets lists every secret the tests use.
var allSecrets = []string{adminPass, adminToken, integPass, integToken, legacyPass, legacyToken, otherPass, otherToken,
	wardenSecret, approvedSecret, rotatingSecret, seedRefreshTok, rotRefreshToken}

// env is a running emulator with a client pointed at it.
type env struct {
	t   *testing.T
	emu *emulatortest.Emulator
	rec *recorder
	c   *salesforce.Client
	cfg salesforce.Config
}

// recorded is one request the client sent.
type recorded struct {
	Method, Path string
	Form         url.Values
	Auth         string
}

// recorder is a transport that logs requests, and any other event the
// test adds, in order.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	reqs []recorded
	log  []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := recorded{Method: req.Method, Path: req.URL.Path, Auth: req.Header.Get("Authorization")}
	if req.Body != nil && strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		b, _ := io.ReadAll(req.Body)
		req.Body.Close()
		rec.Form, _ = url.ParseQuery(string(b))
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	r.log = append(r.log, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

func (r *recorder) note(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, s)
}

// requests returns the requests whose path starts with prefix.
func (r *recorder) requests(prefix string) []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recorded
	for _, x := range r.reqs {
		if strings.HasPrefix(x.Path, prefix) {
			out = append(out, x)
		}
	}
	return out
}

func (r *recorder) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

// newEnv starts an emulator with testSeed (changed by edit, if given) and a
// client with fast retries.
func newEnv(t *testing.T, edit ...func(*emulator.Seed)) *env {
	t.Helper()
	seed := testSeed(t)
	for _, f := range edit {
		f(seed)
	}
	emu := emulatortest.Start(t, seed)
	rec := &recorder{base: emu.HTTP.Transport}
	if rec.base == nil {
		rec.base = http.DefaultTransport
	}
	cfg := salesforce.Config{LoginURL: emu.URL, HTTPClient: &http.Client{Transport: rec},
		Retry: salesforce.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}}
	return &env{t: t, emu: emu, rec: rec, c: salesforce.New(cfg), cfg: cfg}
}

// client returns a new client with cfg changed by edit.
func (e *env) client(edit func(*salesforce.Config)) *salesforce.Client {
	cfg := e.cfg
	edit(&cfg)
	return salesforce.New(cfg)
}

func (e *env) control(method, path string, body any) {
	e.t.Helper()
	e.emu.Control(e.t, method, path, body, nil)
}

func (e *env) patchUser(username string, body any) {
	e.t.Helper()
	e.control(http.MethodPatch, "orgs/"+orgName+"/users/"+username, body)
}

func (e *env) settings(body any) {
	e.t.Helper()
	e.control(http.MethodPatch, "orgs/"+orgName+"/settings", body)
}

func (e *env) fault(f emulator.Fault) {
	e.t.Helper()
	e.control(http.MethodPost, "faults", f)
}

func (e *env) faults() []emulator.Fault {
	e.t.Helper()
	var out []emulator.Fault
	e.emu.Control(e.t, http.MethodGet, "faults", nil, &out)
	return out
}

func (e *env) usage() emulatortest.Usage {
	e.t.Helper()
	return e.emu.Usage(e.t, orgName)
}

// userID returns a user's id from the control API.
func (e *env) userID(username string) string {
	e.t.Helper()
	var u emulator.UserInfo
	e.emu.Control(e.t, http.MethodGet, "orgs/"+orgName+"/users/"+username, nil, &u)
	return u.ID
}

func (e *env) jwtGrant(username string) salesforce.JWTGrant {
	key, _, _ := keys(e.t)
	return salesforce.JWTGrant{ClientID: wardenKey, Username: username, Key: key}
}

// jwtSession is a session logging in as username with the JWT bearer flow.
func (e *env) jwtSession(username string) *salesforce.Session {
	return salesforce.NewSession(e.c, &salesforce.JWTAuth{Client: e.c, Grant: e.jwtGrant(username)})
}

// admin is a monitoring session as the System Administrator.
func (e *env) admin() *salesforce.Session { return e.jwtSession(adminUser) }

// sfError returns err as *salesforce.Error, failing the test otherwise.
func sfError(t testing.TB, err error) *salesforce.Error {
	t.Helper()
	if err == nil {
		t.Fatal("err = nil, want a *salesforce.Error")
	}
	var se *salesforce.Error
	if !errors.As(err, &se) {
		t.Fatalf("err = %T %v, want a *salesforce.Error", err, err)
	}
	return se
}

// wantCause checks the cause of err, its Transient/Permanent flags and its
// warden kind.
func wantCause(t testing.TB, err error, cause warden.Cause) *salesforce.Error {
	t.Helper()
	se := sfError(t, err)
	if se.Cause != cause {
		t.Fatalf("cause = %q, want %q (err: %+v)", se.Cause, cause, err)
	}
	if se.Transient() != cause.Transient() || se.Permanent() != cause.Permanent() {
		t.Errorf("Transient() = %t, Permanent() = %t; want %t, %t", se.Transient(), se.Permanent(), cause.Transient(), cause.Permanent())
	}
	return se
}

func testCtx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
