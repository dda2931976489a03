package emulator_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
)

const (
	orgID        = "00D5g000000EmuAEAS"
	appKey       = "test-key"
	appSecret    = "test-secret"
	adminUser    = "admin@acme.test"
	adminPass    = "Adm1n-Passw0rd!"
	adminToken   = "ADMINTOKEN1234567890"
	intUser      = "int@acme.test"
	intPass      = "Int-Passw0rd1"
	intToken     = "INTTOKEN123456789012"
	legacyUser   = "legacy@acme.test"
	legacyPass   = "Legacy-Passw0rd1"
	legacyToken  = "LEGACYTOKEN123456789"
	callbackURL  = "http://127.0.0.1:9/callback"
	seedRefresh  = "5Aep861SeededRefreshToken"
	rotateKey    = "rotate-key"
	approvedKey  = "approved-key"
	shortLivedRT = "5Aep861ShortLivedRefresh"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
	certPEM string
)

// jwtKey returns an RSA key and a self-signed certificate for it, made once.
func jwtKey(t testing.TB) (*rsa.PrivateKey, string) {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "warden-test"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			panic(err)
		}
		testKey, certPEM = k, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	})
	return testKey, certPEM
}

func ptr[T any](v T) *T { return &v }

// testSeed is one org with an admin, a least-privileged integration user, a
// legacy user restricted to 10.20.0.0/16, and several connected apps.
func testSeed(t testing.TB) *emulator.Seed {
	_, cert := jwtKey(t)
	return &emulator.Seed{Orgs: []emulator.SeedOrg{{
		ID: orgID, Name: "Acme", DailyAPIRequests: 1000,
		Settings: emulator.SeedSettings{MaxLoginAttempts: 3, LockoutMinutes: 15, PasswordExpiresDays: ptr(90),
			TrustedIPRanges: []emulator.SeedIPRange{{Start: "192.0.2.1", End: "192.0.2.1"}}},
		Profiles: []emulator.SeedProfile{
			{Name: "System Administrator", Permissions: []string{"ApiEnabled", "ViewAllData", "ModifyAllData", "ManageUsers", "ResetPasswords", "ViewSetup", "ManageProfilesPermissionsets", "AssignPermissionSets"}},
			{Name: "Minimum Access - API Only Integrations", UserLicense: "Salesforce Integration", Permissions: []string{"ApiEnabled", "ApiUserOnly"}, PasswordNeverExpires: true},
			{Name: "No API", Permissions: []string{}},
			{Name: "Legacy", Permissions: []string{"ApiEnabled"},
				LoginIPRanges: []emulator.SeedIPRange{{Start: "10.20.0.0", End: "10.20.255.255"}}},
		},
		PermissionSets: []emulator.SeedPermissionSet{
			{Name: "Invoice_API", Label: "Invoice API", Permissions: []string{"ApiEnabled"}, Objects: map[string][]string{"Account": {"Read"}, "Invoice__c": {"Read", "Create", "Edit"}}},
			{Name: "Extra", Permissions: []string{"RunReports"}},
		},
		Users: []emulator.SeedUser{
			{Username: adminUser, FirstName: "Acme", LastName: "Admin", Profile: "System Administrator", Password: adminPass, SecurityToken: adminToken},
			{Username: intUser, LastName: "Integration", Profile: "Minimum Access - API Only Integrations", PermissionSets: []string{"Invoice_API"}, Password: intPass, SecurityToken: intToken},
			{Username: legacyUser, LastName: "Legacy", Profile: "Legacy", Password: legacyPass, SecurityToken: legacyToken},
			{Username: "noapi@acme.test", LastName: "NoAPI", Profile: "No API", Password: "NoApi-Passw0rd1", SecurityToken: "NOAPITOKEN"},
		},
		ConnectedApps: []emulator.SeedConnectedApp{
			{Name: "Warden", ConsumerKey: appKey, ConsumerSecret: appSecret, CallbackURL: callbackURL, Certificate: cert, ClientCredentialsUser: intUser},
			{Name: "Rotating", ConsumerKey: rotateKey, ConsumerSecret: "rotate-secret", CallbackURL: callbackURL, RotateRefreshTokens: true,
				RefreshTokenPolicy: emulator.RefreshTokenPolicy{ExpireAfterHours: 2}},
			{Name: "Approved", ConsumerKey: approvedKey, ConsumerSecret: "approved-secret", CallbackURL: callbackURL, Certificate: cert,
				PermittedUsers: "admin_approved", PreAuthorizedProfiles: []string{"System Administrator"}},
		},
		RefreshTokens: []emulator.SeedRefreshToken{
			{User: adminUser, App: "Warden", Token: seedRefresh},
			{User: intUser, App: "Rotating", Token: shortLivedRT},
		},
	}}}
}

// env is a running emulator with helpers for its protocols.
type env struct {
	t *testing.T
	*emulatortest.Emulator
}

func start(t *testing.T) *env {
	t.Helper()
	return &env{t: t, Emulator: emulatortest.Start(t, testSeed(t))}
}

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func (r response) object(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.json(t, &m)
	return m
}

// do sends a request; body may be nil, a string, url.Values or a JSON value.
func (e *env) do(method, path, token string, body any, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "text/xml"
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.HTTP.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

func (e *env) token(v url.Values) response {
	e.t.Helper()
	return e.do(http.MethodPost, "/services/oauth2/token", "", v)
}

func passwordGrant(user, password string) url.Values {
	return url.Values{"grant_type": {"password"}, "client_id": {appKey}, "client_secret": {appSecret}, "username": {user}, "password": {password}}
}

// login returns an access token for the user via the password grant.
func (e *env) login(user, password string) string {
	e.t.Helper()
	r := e.token(passwordGrant(user, password))
	if r.status != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", user, r.status, r.body)
	}
	return r.object(e.t)["access_token"].(string)
}

func (e *env) admin() string { return e.login(adminUser, adminPass+adminToken) }

// query runs SOQL and returns the decoded result.
func (e *env) query(token, soql string) map[string]any {
	e.t.Helper()
	r := e.do(http.MethodGet, "/services/data/v62.0/query?q="+url.QueryEscape(soql), token, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("query %q: %d %s", soql, r.status, r.body)
	}
	return r.object(e.t)
}

func records(m map[string]any) []map[string]any {
	var out []map[string]any
	for _, r := range m["records"].([]any) {
		out = append(out, r.(map[string]any))
	}
	return out
}

// restErr decodes a REST error array and returns its first errorCode.
func restErr(t testing.TB, r response) (code, msg string) {
	t.Helper()
	var errs []struct{ ErrorCode, Message string }
	if err := json.Unmarshal(r.body, &errs); err != nil || len(errs) == 0 {
		t.Fatalf("want REST error array, got %d %s", r.status, r.body)
	}
	return errs[0].ErrorCode, errs[0].Message
}

func startSeed(t *testing.T, s *emulator.Seed) *emulatortest.Emulator {
	t.Helper()
	return emulatortest.Start(t, s)
}
