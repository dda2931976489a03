package inventory_test

import (
	"context"
	"crypto/rsa"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
	"github.com/wardenhq/warden/inventory"
	"github.com/wardenhq/warden/salesforce"
)

var (
	demoOnce sync.Once
	demoKey  *rsa.PrivateKey
	demoSeed *emulator.Seed
	demoNow  time.Time
)

// startDemo runs the emulator with the demo seed (built once per test
// binary: the key takes a while to generate).
func startDemo(t *testing.T) (*emulatortest.Emulator, *rsa.PrivateKey, time.Time) {
	t.Helper()
	demoOnce.Do(func() {
		demoNow = time.Now()
		var err error
		demoSeed, demoKey, err = emulator.Demo(demoNow)
		if err != nil {
			panic(err)
		}
	})
	return emulatortest.Start(t, demoSeed), demoKey, time.Now()
}

// adminSession logs in as a demo org's admin through its Warden app.
func adminSession(e *emulatortest.Emulator, key *rsa.PrivateKey, org string) *salesforce.Session {
	c := salesforce.New(salesforce.Config{LoginURL: e.URL, HTTPClient: &http.Client{}})
	return salesforce.NewSession(c, &salesforce.JWTAuth{Client: c,
		Grant: salesforce.JWTGrant{ClientID: "warden-demo-" + org, Username: "admin@" + org + ".demo", Key: key}})
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantReasons is what discovery must say about every demo integration
// user: each listed prefix must start one of its reasons, in order.
var wantReasons = map[string][]string{
	"invoice.sync@acme.demo": {"licence Salesforce Integration", "API Only User via profile Minimum Access - API Only Integrations",
		"all ", "holds OAuth tokens for connected apps: Invoice Sync"},
	"gis.legacy@acme.demo":      {"all "},
	"marketing.sync@acme.demo":  {"API Only User via profile Integration - API Only", "all ", "holds OAuth tokens for connected apps: Marketing Sync"},
	"contracts.esign@acme.demo": {"API Only User via profile Integration - API Only", "all ", "holds OAuth tokens for connected apps: Contract Signing"},
	"warehouse.batch@acme.demo": {"API Only User via profile Batch Window Integration", "all "},
	"order.webhook@acme.demo":   {"API Only User via profile Integration - API Only", "all "},
	"legacy.soap@acme.demo":     {"API Only User via profile Integration - API Only", "all "},
	"etl.loader@acme.demo":      {"API Only User via profile Integration - API Only", "all "},
	"reporting.api@acme.demo":   {"all "},
	"jwt.analytics@acme.demo":   {"licence Salesforce Integration", "API Only User via profile Minimum Access - API Only Integrations", "all "},
	"erp.sync@globex.demo":      {"licence Salesforce Integration", "API Only User via profile Minimum Access - API Only Integrations", "all "},
	"support.bridge@globex.demo": {"API Only User via profile Support Integration", "all ",
		"holds OAuth tokens for connected apps: Support Bridge"},
	"hr.feed@globex.demo": {"all "},
}

func TestDiscoverDemo(t *testing.T) {
	e, key, now := startDemo(t)
	want := map[string]bool{}
	for _, dc := range emulator.DemoCredentials() {
		want[dc.Username] = true
	}
	if len(want) != 13 || len(wantReasons) != 13 {
		t.Fatalf("demo has %d integration users, test knows %d", len(want), len(wantReasons))
	}
	found := map[string]inventory.Candidate{}
	for _, org := range []string{"acme", "globex"} {
		orgID := map[string]string{"acme": emulator.DemoAcmeOrgID, "globex": emulator.DemoGlobexOrgID}[org]
		before := e.Usage(t, orgID).APIRequests
		var steps []string
		d, err := inventory.DiscoverWith(testCtx(t), adminSession(e, key, org), now,
			inventory.DiscoverOptions{Progress: func(s string) { steps = append(steps, s) }})
		if err != nil {
			t.Fatalf("%s: %v", org, err)
		}
		if len(d.Warnings) > 0 {
			t.Errorf("%s: warnings %q", org, d.Warnings)
		}
		if used := e.Usage(t, orgID).APIRequests - before; used != d.Requests {
			t.Errorf("%s: emulator counted %d API requests, discovery says %d", org, used, d.Requests)
		}
		// Acme's 5,000 login rows take three pages; Globex's one.
		if org == "globex" && d.Requests != 1 || d.Requests > 3 {
			t.Errorf("%s: %d requests", org, d.Requests)
		}
		if len(steps) == 0 {
			t.Errorf("%s: no progress", org)
		}
		for _, c := range d.Candidates {
			if !strings.HasSuffix(c.Username, "."+org+".demo") && !strings.HasSuffix(c.Username, "@"+org+".demo") {
				t.Errorf("%s: candidate %s from another org", org, c.Username)
			}
			found[c.Username] = c
		}
	}
	for u := range want {
		c, ok := found[u]
		if !ok {
			t.Errorf("%s not found", u)
			continue
		}
		if len(c.Reasons) != len(wantReasons[u]) {
			t.Errorf("%s: reasons %q, want %d starting %q", u, c.Reasons, len(wantReasons[u]), wantReasons[u])
			continue
		}
		for i, p := range wantReasons[u] {
			if !strings.HasPrefix(c.Reasons[i], p) {
				t.Errorf("%s: reason %d = %q, want prefix %q", u, i, c.Reasons[i], p)
			}
		}
		if !strings.HasPrefix(c.UserID, "005") || c.Profile == "" {
			t.Errorf("%s: %+v", u, c)
		}
		if c.Active != (u != "support.bridge@globex.demo") {
			t.Errorf("%s: active %v", u, c.Active)
		}
	}
	for u := range found {
		if !want[u] {
			t.Errorf("%s found, but it is not an integration user (reasons %q)", u, found[u].Reasons)
		}
	}
	// Spot checks of the exact wording.
	if r := found["legacy.soap@acme.demo"].Reasons[1]; !strings.Contains(r, "were API logins (LoginType Partner Product)") ||
		!strings.Contains(r, "in the last 30 days") {
		t.Errorf("legacy.soap: %q", r)
	}
	if r := found["hr.feed@globex.demo"].Reasons[0]; !strings.HasPrefix(r, "all 3") || !strings.HasSuffix(r, "(LoginType Remote Access 2.0)") {
		t.Errorf("hr.feed: %q", r)
	}
}

// tokenSeed is an org where OAuth tokens are the only signal: a bridge
// user that never logged in itself and a person who also logs in through
// the browser.
const tokenSeed = `
orgs:
  - name: Tokens Inc
    settings: {trustedIpRanges: [{start: 127.0.0.1, end: 127.0.0.1}]}
    profiles:
      - {name: System Administrator, userLicense: Salesforce, permissions: [ApiEnabled, ManageUsers, ViewSetup, ViewAllData]}
      - {name: Standard User, userLicense: Salesforce, permissions: [ApiEnabled]}
    users:
      - {username: admin@tokens.example, profile: System Administrator, password: Adm1n-Passw0rd!, securityToken: ADMINTOKEN1234567890}
      - {username: bridge@tokens.example, profile: Standard User, password: Br1dge-Passw0rd!, securityToken: BRIDGETOKEN123456789}
      - {username: person@tokens.example, profile: Standard User, password: Pers0n-Passw0rd!, securityToken: PERSONTOKEN123456789}
    connectedApps:
      - {name: Warden, consumerKey: tokens-warden, consumerSecret: tokens-warden-secret, callbackUrl: "http://127.0.0.1:1/cb"}
      - {name: Bridge, consumerKey: tokens-bridge, consumerSecret: tokens-bridge-secret, callbackUrl: "http://127.0.0.1:1/cb"}
      - {name: Mobile, consumerKey: tokens-mobile, consumerSecret: tokens-mobile-secret, callbackUrl: "http://127.0.0.1:1/cb"}
    refreshTokens:
      - {user: bridge@tokens.example, app: Bridge, token: 5Aep861TokensBridgeRefreshToken00001}
      - {user: person@tokens.example, app: Mobile, token: 5Aep861TokensPersonRefreshToken00001}
      - {user: person@tokens.example, app: Bridge, token: 5Aep861TokensPersonRefreshToken00002}
    loginHistory:
      - {user: person@tokens.example, loginType: Application, application: Browser, time: NOW}
      - {user: admin@tokens.example, loginType: Application, application: Browser, time: NOW}
`

// OAuth tokens alone list a user only when it made no browser login.
func TestDiscoverTokensAloneNeedNoBrowserLogins(t *testing.T) {
	at := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	seed, err := emulator.ParseSeed([]byte(strings.ReplaceAll(tokenSeed, "NOW", at)), "tokens.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := emulatortest.Start(t, seed)
	c := salesforce.New(salesforce.Config{LoginURL: e.URL, HTTPClient: &http.Client{}})
	s := salesforce.NewSession(c, &salesforce.PasswordAuth{Client: c, ClientID: "tokens-warden", ClientSecret: "tokens-warden-secret",
		Username: "admin@tokens.example", Password: "Adm1n-Passw0rd!"})
	cs, err := inventory.Discover(testCtx(t), s, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Username != "bridge@tokens.example" ||
		!slices.Equal(cs[0].Reasons, []string{"holds OAuth tokens for connected apps: Bridge"}) {
		t.Errorf("candidates: %+v", cs)
	}
}

// An empty login window leaves only the users found by licence or API
// Only; the users found by their logins alone (hr.feed) go.
func TestDiscoverWindow(t *testing.T) {
	e, key, now := startDemo(t)
	d, err := inventory.DiscoverWith(testCtx(t), adminSession(e, key, "globex"), now.Add(24*time.Hour), inventory.DiscoverOptions{Window: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range d.Candidates {
		names = append(names, c.Username)
	}
	if !slices.Equal(names, []string{"erp.sync@globex.demo", "support.bridge@globex.demo"}) {
		t.Errorf("candidates with an empty window: %q", names)
	}
	// A browser login takes the login reason away from hr.feed.
	e.Control(t, http.MethodPost, "orgs/"+emulator.DemoGlobexOrgID+"/users/hr.feed@globex.demo/logins",
		map[string]any{"count": 1, "loginType": "Application", "app": "Browser"}, nil)
	cs, err := inventory.Discover(testCtx(t), adminSession(e, key, "globex"), now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(cs, func(c inventory.Candidate) bool { return c.Username == "hr.feed@globex.demo" }) {
		t.Errorf("hr.feed with a browser login is still a candidate")
	}
	if len(cs) != 2 {
		t.Errorf("candidates: %+v", cs)
	}
}

func TestDiscoverWithoutLoginHistoryAccess(t *testing.T) {
	e, _, now := startDemo(t)
	// erp.sync (client credentials run-as user) cannot read LoginHistory,
	// OauthToken or UserLogin: discovery warns and goes on.
	c := salesforce.New(salesforce.Config{LoginURL: e.URL, HTTPClient: &http.Client{}})
	s := salesforce.NewSession(c, &salesforce.ClientCredentialsAuth{Client: c, ClientID: "demo-globex-erp-sync", ClientSecret: "demo-globex-erp-sync-secret"})
	d, err := inventory.DiscoverWith(testCtx(t), s, now, inventory.DiscoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Warnings) != 2 || !strings.Contains(d.Warnings[0], "login history could not be read") ||
		!strings.Contains(d.Warnings[1], "OAuth tokens could not be read") {
		t.Errorf("warnings: %q", d.Warnings)
	}
	var names []string
	for _, c := range d.Candidates {
		names = append(names, c.Username)
	}
	if !slices.Equal(names, []string{"erp.sync@globex.demo", "support.bridge@globex.demo"}) {
		t.Errorf("candidates: %q", names)
	}
}
