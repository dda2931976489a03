package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
	"github.com/wardenhq/warden/inventory"
	"github.com/wardenhq/warden/secret/local"
	"github.com/wardenhq/warden/sqlite"
)

var (
	invDemoOnce sync.Once
	invSeed     *emulator.Seed
	invKey      *rsa.PrivateKey
)

// invDemo returns the demo seed and key, built once per test binary.
func invDemo(t *testing.T) (*emulator.Seed, *rsa.PrivateKey) {
	t.Helper()
	invDemoOnce.Do(func() {
		var err error
		if invSeed, invKey, err = emulator.Demo(time.Now()); err != nil {
			panic(err)
		}
	})
	return invSeed, invKey
}

// invEnv is the demo emulator plus a Warden configuration in a temporary
// directory.
type invEnv struct {
	t        *testing.T
	emu      *emulatortest.Emulator
	dir      string
	cfg      string
	keyFile  string
	callback string // callback URL of acme's "Warden" app, on a free port
	env      map[string]string
	// observed collects every secret the emulator handed out (access and
	// refresh tokens, authorization codes), for security_test.go.
	observed *secretLog
}

// secretLog records secrets seen on the wire.
type secretLog struct {
	mu  sync.Mutex
	all map[string]bool
}

func (l *secretLog) add(s string) {
	if len(s) < 8 {
		return
	}
	l.mu.Lock()
	l.all[s] = true
	l.mu.Unlock()
}

func (l *secretLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.all))
	for k := range l.all {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// observe wraps the emulator handler, recording the tokens of every token
// endpoint answer and the codes of authorization redirects.
func observe(h http.Handler, l *secretLog) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if strings.HasPrefix(r.URL.Path, "/services/oauth2/token") {
			var tok struct {
				AccessToken  string `json:"access_token"`
				RefreshToken string `json:"refresh_token"`
			}
			if json.Unmarshal(rec.body.Bytes(), &tok) == nil {
				l.add(tok.AccessToken)
				l.add(tok.RefreshToken)
			}
		}
		if loc := w.Header().Get("Location"); loc != "" {
			if u, err := url.Parse(loc); err == nil {
				l.add(u.Query().Get("code"))
			}
		}
	})
}

type recorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}

// newInvEnv starts the emulator; with demo it writes the demo
// configuration (both orgs, every demo user, credential and dependent),
// otherwise a minimal one: a SQLite store and a local secret store.
func newInvEnv(t *testing.T, demo bool) *invEnv {
	t.Helper()
	seed, key := invDemo(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	callback := "http://" + ln.Addr().String() + "/oauth/callback"
	ln.Close()
	s := *seed
	s.Orgs = slices.Clone(seed.Orgs)
	s.Orgs[0].ConnectedApps = slices.Clone(s.Orgs[0].ConnectedApps)
	for i := range s.Orgs[0].ConnectedApps {
		if s.Orgs[0].ConnectedApps[i].Name == "Warden" {
			s.Orgs[0].ConnectedApps[i].CallbackURL = callback
		}
	}
	srv, err := emulator.New(&s, emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := &invEnv{t: t, dir: t.TempDir(), callback: callback, env: map[string]string{}, observed: &secretLog{all: map[string]bool{}}}
	ts := newServer(t, observe(srv, v.observed))
	v.emu = &emulatortest.Emulator{Server: srv, URL: ts.URL, HTTP: noRedirects()}
	v.cfg = filepath.Join(v.dir, "warden.yaml")
	v.keyFile = filepath.Join(v.dir, "demo-jwt.key")
	if err := writeKey(v.keyFile, key); err != nil {
		t.Fatal(err)
	}
	if demo {
		if err := writeDemoConfig(t.Context(), v.dir, v.cfg, v.emu.URL, "127.0.0.1:0", 30*time.Second, key); err != nil {
			t.Fatal(err)
		}
		syncInventory(t, v.cfg)
		return v
	}
	if _, err := local.GenerateKEKFile(filepath.Join(v.dir, "warden.key")); err != nil {
		t.Fatal(err)
	}
	cfg := "store:\n  driver: sqlite\n  path: warden.db\nsecretStores:\n  - name: local\n    kind: local\n    path: secrets.json\n    keyFile: warden.key\n"
	if err := os.WriteFile(v.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return v
}

// syncInventory runs warden inventory sync on the configuration at path.
func syncInventory(t *testing.T, path string) {
	t.Helper()
	if code, out, errOut := run(t, "inventory", "sync", "--config", path); code != 0 {
		t.Fatalf("inventory sync: exit %d\n%s%s", code, out, errOut)
	}
}

func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// run runs the CLI in-process with the environment's variables and
// --config (unless args name one).
func (v *invEnv) run(args ...string) (int, string, string) {
	v.t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Getenv: v.getenv}
	code := m.Run(v.t.Context(), v.withConfig(args))
	return code, out.String(), errb.String()
}

func (v *invEnv) getenv(k string) string { return v.env[k] }

func (v *invEnv) withConfig(args []string) []string {
	if slices.Contains(args, "--config") || len(args) == 0 {
		return args
	}
	// Subcommands of org and inventory take the flag after the subcommand.
	n := 1
	if args[0] == "org" || args[0] == "inventory" {
		if len(args) < 2 || strings.HasPrefix(args[1], "-") || !slices.Contains([]string{"add", "import-sf", "list", "sync"}, args[1]) {
			return args
		}
		n = 2
	}
	return append(append(slices.Clone(args[:n]), "--config", v.cfg), args[n:]...)
}

// ok runs a command that must succeed and returns its output.
func (v *invEnv) ok(args ...string) string {
	v.t.Helper()
	code, out, errOut := v.run(args...)
	if code != 0 {
		v.t.Fatalf("%q: exit %d\n%s%s", args, code, out, errOut)
	}
	return out
}

// runJSON runs a command that must succeed and decodes its JSON output.
func (v *invEnv) runJSON(out any, args ...string) {
	v.t.Helper()
	if err := json.Unmarshal([]byte(v.ok(append(args, "--json")...)), out); err != nil {
		v.t.Fatalf("%q: %v", args, err)
	}
}

// addJWT connects a demo org as its admin through its Warden app.
func (v *invEnv) addJWT(name, demoOrg string, extra ...string) string {
	v.t.Helper()
	return v.ok(append([]string{"org", "add", "--name", name, "--login-url", v.emu.URL, "--kind", "jwt",
		"--username", "admin@" + demoOrg + ".demo", "--client-id", "warden-demo-" + demoOrg, "--key-file", v.keyFile}, extra...)...)
}

// webAdd runs org add --kind web and completes the browser part: the
// admin logs in on the emulator's authorization page, and the browser
// follows the redirect to Warden's callback.
func (v *invEnv) webAdd(name string, extra ...string) (int, string, string) {
	v.t.Helper()
	ready := make(chan string, 1)
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Getenv: v.getenv, Ready: func(kind, u string) {
		if kind == "authorize" {
			ready <- u
		}
	}}
	args := v.withConfig(append([]string{"org", "add", "--name", name, "--login-url", v.emu.URL, "--kind", "web",
		"--client-id", "warden-demo-acme", "--callback", v.callback}, extra...))
	done := make(chan int, 1)
	go func() { done <- m.Run(v.t.Context(), args) }()
	var authURL string
	select {
	case authURL = <-ready:
	case code := <-done:
		return code, out.String(), errb.String()
	case <-time.After(20 * time.Second):
		v.t.Fatal("org add --kind web printed no authorization URL")
	}
	u, err := url.Parse(authURL)
	if err != nil || !strings.HasPrefix(authURL, v.emu.URL+"/services/oauth2/authorize?") || u.Query().Get("code_challenge_method") != "S256" {
		v.t.Fatalf("authorization URL %q", authURL)
	}
	form := u.Query()
	form.Set("username", "admin@acme.demo")
	form.Set("password", emulator.DemoPassword("admin@acme.demo"))
	resp, err := v.emu.HTTP.PostForm(v.emu.URL+u.Path, form)
	if err != nil {
		v.t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, v.callback+"?") {
		v.t.Fatalf("authorize: %d to %q", resp.StatusCode, loc)
	}
	resp, err = http.Get(loc) // the browser comes back to Warden
	if err != nil {
		v.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		v.t.Errorf("callback answered %d", resp.StatusCode)
	}
	select {
	case code := <-done:
		return code, out.String(), errb.String()
	case <-time.After(20 * time.Second):
		v.t.Fatal("org add --kind web did not finish")
	}
	return 0, "", ""
}

func TestOrgAddDemoOrgs(t *testing.T) {
	v := newInvEnv(t, false)
	v.env["ERP_SECRET"] = "demo-globex-erp-sync-secret"

	// Flag problems exit 2 with a usage hint and touch nothing.
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"org", "add", "--kind", "jwt"}, "--name is required"},
		{[]string{"org", "add", "--name", "g", "--kind", "client_credentials", "--client-id", "k", "--client-secret-env", "ERP_SECRET"},
			"--kind client_credentials needs the org's My Domain URL as --login-url (Salesforce refuses the flow on login.salesforce.com)"},
		{[]string{"org", "add", "--name", "acme", "--kind", "jwt", "--client-id", "k"}, "--kind jwt needs --username and --key-file"},
		{[]string{"org", "add", "--name", "acme", "--client-id", "k"}, "--kind is required (jwt, client_credentials or web)"},
		{[]string{"org", "add", "--name", "acme", "--kind", "password", "--client-id", "k"}, "--kind password is not offered"},
		{[]string{"org", "add", "--name", "acme", "--kind", "client_credentials", "--client-id", "k", "--client-secret-env", "UNSET"},
			"--client-secret-env: environment variable UNSET is empty or not set"},
		{[]string{"org", "add", "--name", "acme", "--kind", "client_credentials", "--client-id", "k"}, "--kind client_credentials needs --client-secret-env VAR"},
		{[]string{"org", "add", "--name", "acme", "--kind", "web", "--client-id", "k", "--callback", "example.com:80"},
			`--callback: "example.com:80": the callback must be on a loopback address`},
		{[]string{"org", "add", "--name", "a b", "--kind", "jwt", "--client-id", "k", "--username", "u@x.io", "--key-file", v.keyFile},
			`--name: org name "a b": use letters, digits, '.', '_' and '-'`},
		{[]string{"org", "add", "--name", "acme", "--kind", "jwt", "--client-id", "k", "--username", "u@x.io", "--key-file", v.cfg},
			"--key-file " + v.cfg + ": private key: not PEM"},
		{[]string{"org", "add", "--name", "acme", "--kind", "jwt", "--client-id", "k", "--username", "u@x.io", "--key-file", v.keyFile,
			"--login-url", "http://login.example.com"}, `--login-url: login URL "http://login.example.com" uses plain http`},
		{[]string{"org", "add", "--name", "acme", "--kind", "jwt", "--client-id", "k", "--username", "u@x.io", "--key-file", v.keyFile,
			"--login-url", v.emu.URL, "--secret-store", "vault"}, `--secret-store: no secret store "vault"`},
		{[]string{"org", "add", "--nope"}, "flag provided but not defined: -nope"},
		{[]string{"org", "frobnicate"}, `unknown org subcommand "frobnicate"`},
		{[]string{"org"}, "org needs a subcommand"},
	} {
		code, _, errOut := v.run(tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.msg) || !strings.Contains(errOut, "--help\" for usage") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.msg)
		}
	}

	for _, sub := range []string{"add", "import-sf", "list"} {
		if code, out, _ := v.run("org", sub, "--help"); code != 0 || !strings.HasPrefix(out, "Usage: warden org "+sub) {
			t.Errorf("org %s --help: %d %s", sub, code, out)
		}
	}

	// A key the app does not know: the login fails (exit 5) and nothing
	// is written.
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	otherFile := filepath.Join(v.dir, "other.key")
	writeKey(otherFile, other)
	code, _, errOut := v.run("org", "add", "--name", "acme", "--login-url", v.emu.URL, "--kind", "jwt", "--username", "admin@acme.demo",
		"--client-id", "warden-demo-acme", "--key-file", otherFile)
	if code != 5 || !strings.Contains(errOut, "logging in to "+v.emu.URL+" as admin@acme.demo with the jwt credential failed") {
		t.Errorf("wrong key: %d %s", code, errOut)
	}
	var orgs []orgRow
	v.runJSON(&orgs, "org", "list")
	if len(orgs) != 0 {
		t.Fatalf("failed add wrote %+v", orgs)
	}
	if fi, err := os.Stat(filepath.Join(v.dir, "secrets.json")); err == nil && fi.Size() > 200 {
		data, _ := os.ReadFile(filepath.Join(v.dir, "secrets.json"))
		if strings.Contains(string(data), "monitor-acme") {
			t.Errorf("failed add wrote a secret: %s", data)
		}
	}

	out := v.addJWT("acme", "acme")
	for _, want := range []string{"Added org acme: Salesforce org " + emulator.DemoAcmeOrgID + " at " + v.emu.URL,
		"monitoring credential monitor-acme: jwt, logs in as admin@acme.demo", `secret kept in secret store "local" under key "monitor-acme"`,
		"warden discover --org acme"} {
		if !strings.Contains(out, want) {
			t.Errorf("org add jwt: %q lacks %q", out, want)
		}
	}
	// Client credentials: the run-as user is learnt.
	out = v.ok("org", "add", "--name", "globex", "--login-url", v.emu.URL, "--kind", "client_credentials",
		"--client-id", "demo-globex-erp-sync", "--client-secret-env", "ERP_SECRET", "--credential", "erp-globex", "--secret-key", "warden/erp")
	if !strings.Contains(out, "Salesforce org "+emulator.DemoGlobexOrgID) || !strings.Contains(out, "client_credentials, logs in as erp.sync@globex.demo") {
		t.Errorf("org add client_credentials: %s", out)
	}
	// The web flow: PKCE, loopback callback, refresh token stored.
	code, out, errOut = v.webAdd("acme-web", "--json")
	if code != 0 {
		t.Fatalf("org add --kind web: %d %s %s", code, out, errOut)
	}
	var added struct {
		Org        warden.Org        `json:"org"`
		Credential warden.Credential `json:"credential"`
	}
	if err := json.Unmarshal([]byte(out), &added); err != nil {
		t.Fatalf("web --json: %v\n%s", err, out)
	}
	if added.Org.OrgID != emulator.DemoAcmeOrgID || added.Credential.Kind != warden.CredentialRefreshToken ||
		added.Credential.Username != "admin@acme.demo" || added.Credential.ClientID != "warden-demo-acme" {
		t.Errorf("web: %+v", added)
	}
	// The web login reached another user than --username: nothing is
	// written.
	code, _, errOut = v.webAdd("acme-web2", "--username", "invoice.sync@acme.demo")
	if code != 4 || !strings.Contains(errOut, "the login reached user admin@acme.demo, not invoice.sync@acme.demo") {
		t.Errorf("web with another --username: %d %s", code, errOut)
	}
	// Adding again replaces the credential; the org id must match.
	v.addJWT("acme", "acme")
	code, _, errOut = v.run("org", "add", "--name", "acme", "--login-url", v.emu.URL, "--kind", "jwt", "--username", "admin@globex.demo",
		"--client-id", "warden-demo-globex", "--key-file", v.keyFile)
	if code != 4 || !strings.Contains(errOut, `org "acme" is already in the inventory as Salesforce org `+emulator.DemoAcmeOrgID+", but this login reached org "+emulator.DemoGlobexOrgID) {
		t.Errorf("other org under the same name: %d %s", code, errOut)
	}
	code, _, errOut = v.run("org", "add", "--name", "globex2", "--credential", "monitor-acme", "--login-url", v.emu.URL, "--kind", "jwt",
		"--username", "admin@globex.demo", "--client-id", "warden-demo-globex", "--key-file", v.keyFile)
	if code != 4 || !strings.Contains(errOut, `credential "monitor-acme" already belongs to org "acme"`) {
		t.Errorf("credential of another org: %d %s", code, errOut)
	}

	v.runJSON(&orgs, "org", "list")
	got := map[string]orgRow{}
	for _, o := range orgs {
		got[o.Name] = o
	}
	for name, want := range map[string][3]string{
		"acme":     {emulator.DemoAcmeOrgID, "jwt", "admin@acme.demo"},
		"globex":   {emulator.DemoGlobexOrgID, "client_credentials", "erp.sync@globex.demo"},
		"acme-web": {emulator.DemoAcmeOrgID, "refresh_token", "admin@acme.demo"},
	} {
		o, ok := got[name]
		if !ok || o.OrgID != want[0] || o.CredentialKind != want[1] || o.MonitoringUser != want[2] || o.Source != "cli" ||
			o.InstanceURL != v.emu.URL || o.LoginURL != v.emu.URL {
			t.Errorf("org list %s: %+v", name, o)
		}
	}
	if len(orgs) != 3 {
		t.Errorf("org list: %d orgs", len(orgs))
	}
	table := v.ok("org", "list")
	if !strings.Contains(table, "monitor-acme (jwt, admin@acme.demo)") || !strings.Contains(table, "ORG ID") {
		t.Errorf("org list table:\n%s", table)
	}
	// Each added credential works for the commands that read the org.
	for _, org := range []string{"acme", "globex", "acme-web"} {
		if code, out, errOut := v.run("discover", "--org", org); code != 0 {
			t.Errorf("discover %s: %d %s %s", org, code, out, errOut)
		}
	}
	if out := v.ok("users"); !strings.Contains(out, "no integration users") {
		t.Errorf("users: %s", out)
	}
}

// wantCandidates are the demo integration users of each org.
func wantCandidates(org string) []string {
	var out []string
	for _, dc := range emulator.DemoCredentials() {
		if demoOrgName(dc.Org) == org {
			out = append(out, dc.Username)
		}
	}
	slices.Sort(out)
	return out
}

func TestDiscoverDemoOrgs(t *testing.T) {
	v := newInvEnv(t, false)
	v.addJWT("acme", "acme")
	v.addJWT("globex", "globex")

	out := v.ok("discover", "--org", "acme")
	for _, u := range wantCandidates("acme") {
		if !strings.Contains(out, u) {
			t.Errorf("discover acme lacks %s:\n%s", u, out)
		}
	}
	if strings.Contains(out, "admin@") {
		t.Errorf("discover lists the admin:\n%s", out)
	}
	if !strings.Contains(out, "10 integration users found in org acme (3 API requests).") || !strings.Contains(out, "--write") ||
		!strings.Contains(out, "licence Salesforce Integration; API Only User via profile Minimum Access - API Only Integrations; all ") {
		t.Errorf("discover acme:\n%s", out)
	}
	var rows []discovered
	v.runJSON(&rows, "discover", "--org", "globex")
	var names []string
	for _, r := range rows {
		names = append(names, r.Username)
		if len(r.Reasons) == 0 || r.InInventory || !strings.HasPrefix(r.UserID, "005") {
			t.Errorf("globex row %+v", r)
		}
	}
	if !slices.Equal(names, wantCandidates("globex")) {
		t.Errorf("globex: %q", names)
	}

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"discover"}, 2, "--org is required"},
		{[]string{"discover", "--org", "acme", "--days", "0"}, 2, "--days: 0 is not between 1 and 365"},
		{[]string{"discover", "--org", "acme", "--owner", "x"}, 2, "--owner is only used with --write"},
		{[]string{"discover", "--org", "nope"}, 3, `org "nope" is not in the inventory`},
		{[]string{"users", "--org", "nope"}, 3, `org "nope" is not in the inventory`},
		{[]string{"dependents", "--org", "nope"}, 3, `org "nope" is not in the inventory`},
	} {
		code, _, errOut := v.run(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%q: %d %q", tc.args, code, errOut)
		}
	}

	out = v.ok("discover", "--org", "acme", "--write", "--owner", "platform")
	if !strings.Contains(out, "Inventory: 10 added, 0 updated.") {
		t.Errorf("write acme:\n%s", out)
	}
	v.ok("discover", "--org", "globex", "--write")
	out = v.ok("discover", "--org", "acme", "--write")
	if !strings.Contains(out, "Inventory: 0 added, 10 updated.") {
		t.Errorf("second write acme:\n%s", out)
	}
	var users []userRow
	v.runJSON(&users, "users")
	var all []string
	for _, u := range users {
		all = append(all, u.Username)
		wantOwner := "platform"
		if u.Org == "globex" {
			wantOwner = ""
		}
		if len(u.Reasons) == 0 || u.Owner != wantOwner || !strings.HasPrefix(u.UserID, "005") || u.Credential != "" {
			t.Errorf("user %+v", u)
		}
	}
	want := append(wantCandidates("acme"), wantCandidates("globex")...)
	if !slices.Equal(all, want) {
		t.Errorf("users: %q\nwant %q", all, want)
	}
	v.runJSON(&users, "users", "--org", "globex")
	if len(users) != 3 {
		t.Errorf("users --org globex: %d", len(users))
	}
	v.runJSON(&users, "users", "--owner", "platform")
	if len(users) != 10 {
		t.Errorf("users --owner platform: %d", len(users))
	}
	if out := v.ok("users"); !strings.Contains(out, "ORG") || !strings.Contains(out, "gis.legacy@acme.demo") || !strings.Contains(out, "all 120 logins") {
		t.Errorf("users table:\n%s", out)
	}

	// Impact answers for every discovered user, even without dependents.
	for _, u := range want {
		org := strings.TrimSuffix(u[strings.Index(u, "@")+1:], ".demo")
		var r inventory.ImpactReport
		v.runJSON(&r, "impact", org+"/"+u)
		if r.Username != u || len(r.Dependents) != 0 || r.Credential != nil || len(r.Rules) < 3 {
			t.Errorf("impact %s: %+v", u, r)
		}
	}
	if out := v.ok("impact", "gis.legacy@acme.demo"); !strings.Contains(out, "No dependent applications are recorded") || !strings.Contains(out, "owner:       platform") {
		t.Errorf("impact gis.legacy:\n%s", out)
	}
	for _, tc := range []struct {
		arg, msg string
		code     int
	}{
		{"ghost@acme.demo", `no integration user "ghost@acme.demo" in the inventory`, 3},
		{"acme/ghost@acme.demo", `user "ghost@acme.demo" is not an integration user of org "acme"`, 3},
		{"nope/ghost@acme.demo", `org "nope" is not in the inventory`, 3},
	} {
		code, _, errOut := v.run("impact", tc.arg)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("impact %s: %d %q", tc.arg, code, errOut)
		}
	}
	if code, _, errOut := v.run("impact"); code != 2 || !strings.Contains(errOut, "impact needs one USERNAME") {
		t.Errorf("impact without user: %d %s", code, errOut)
	}
}

func TestImpactDemoConfig(t *testing.T) {
	v := newInvEnv(t, true)
	apps := map[string]string{}
	teams := map[string]string{}
	for _, a := range demoApps {
		apps[a.user], teams[a.user] = a.app, a.team
	}
	for _, dc := range emulator.DemoCredentials() {
		org := demoOrgName(dc.Org)
		var r inventory.ImpactReport
		v.runJSON(&r, "impact", org+"/"+dc.Username)
		if r.Credential == nil || string(r.Credential.Kind) != dc.Kind || r.Credential.SecretStore != "local" || r.Credential.SecretKey == "" {
			t.Errorf("%s: credential %+v", dc.Username, r.Credential)
			continue
		}
		app := apps[dc.Username]
		if !slices.Equal(r.OnFreeze, []string{app}) || len(r.Dependents) != 1 {
			t.Errorf("%s: on freeze %q", dc.Username, r.OnFreeze)
			continue
		}
		d := r.Dependents[0]
		team := teams[dc.Username]
		if d.Owner != team || !slices.Equal(d.OwnerContacts, []string{team + "-oncall@example.com"}) || d.Delivery != warden.DeliverySecretStore ||
			d.HowItGetsCredentials != "reads the secret store itself (store local, key "+r.Credential.SecretKey+")" {
			t.Errorf("%s: dependent %+v", dc.Username, d)
		}
		breaks := dc.Kind == "password" || dc.Kind == "refresh_token"
		if breaks != slices.Equal(r.OnPasswordChange, []string{app}) || breaks == (len(r.OnPasswordChange) == 0) || len(r.AfterWardenUpdate) != 0 {
			t.Errorf("%s (%s): on password change %q", dc.Username, dc.Kind, r.OnPasswordChange)
		}
		if r.Owner == nil || r.Owner.Team != team {
			t.Errorf("%s: owner %+v", dc.Username, r.Owner)
		}
	}
	out := v.ok("impact", "invoice.sync@acme.demo")
	for _, want := range []string{"acme/invoice.sync@acme.demo", "owner:       billing (billing-oncall@example.com)",
		`credential:  invoice.sync-acme: refresh_token; its secret is in secret store "local" under key "invoice.sync-acme"`,
		"Invoice Sync  billing  billing-oncall@example.com  secret_store  breaks",
		"Invoice Sync: reads the secret store itself (store local, key invoice.sync-acme)",
		"If the user is frozen: 1 dependent breaks: Invoice Sync.",
		"If its password changes: 1 dependent breaks until its owner puts in the new credential: Invoice Sync.",
		"Why:", "Salesforce revokes a user's refresh tokens when its password is reset"} {
		if !strings.Contains(out, want) {
			t.Errorf("impact invoice.sync lacks %q:\n%s", want, out)
		}
	}
	out = v.ok("impact", "erp.sync@globex.demo")
	if !strings.Contains(out, "If its password changes: no dependent breaks.") || !strings.Contains(out, "does not use the password") {
		t.Errorf("impact erp.sync:\n%s", out)
	}

	// Listings over the demo configuration.
	out = v.ok("dependents", "--owner", "billing")
	if !strings.Contains(out, "acme  Invoice Sync  invoice.sync@acme.demo  billing  billing-oncall@example.com  secret_store  Account:Read Invoice__c:Read,Create,Edit") {
		t.Errorf("dependents --owner billing:\n%s", out)
	}
	var deps []warden.Dependent
	v.runJSON(&deps, "dependents", "--user", "INVOICE.SYNC@acme.demo")
	if len(deps) != 1 || deps[0].Name != "Invoice Sync" {
		t.Errorf("dependents --user: %+v", deps)
	}
	v.runJSON(&deps, "dependents", "--org", "globex")
	if len(deps) != 3 {
		t.Errorf("dependents --org globex: %d", len(deps))
	}
	if code, _, errOut := v.run("dependents", "--user", "ghost@acme.demo"); code != 3 || !strings.Contains(errOut, `no integration user "ghost@acme.demo"`) {
		t.Errorf("dependents --user ghost: %d %s", code, errOut)
	}
	var users []userRow
	v.runJSON(&users, "users", "--org", "acme")
	if len(users) != 10 || users[0].CredentialKind == "" || len(users[0].Dependents) != 1 {
		t.Errorf("users --org acme: %+v", users)
	}

	// Orgs of the configuration are managed there.
	code, _, errOut := v.run("org", "add", "--name", "acme", "--login-url", v.emu.URL, "--kind", "jwt", "--username", "admin@acme.demo",
		"--client-id", "warden-demo-acme", "--key-file", v.keyFile)
	if code != 4 || !strings.Contains(errOut, `org "acme" is declared in `+v.cfg) {
		t.Errorf("org add of a declared org: %d %s", code, errOut)
	}
	code, _, errOut = v.run("org", "add", "--name", "other", "--credential", "monitor-acme", "--login-url", v.emu.URL, "--kind", "jwt",
		"--username", "admin@acme.demo", "--client-id", "warden-demo-acme", "--key-file", v.keyFile)
	if code != 4 || !strings.Contains(errOut, `credential "monitor-acme" is declared in`) {
		t.Errorf("org add with a declared credential: %d %s", code, errOut)
	}

	// Discovery on a declared org keeps what the configuration says and
	// adds the reasons, which survive the next start.
	out = v.ok("discover", "--org", "acme", "--write")
	if !strings.Contains(out, "Inventory: 0 added, 10 updated.") {
		t.Errorf("discover --write on the demo:\n%s", out)
	}
	v.runJSON(&users, "users", "--org", "acme")
	for _, u := range users {
		if len(u.Reasons) == 0 || u.Credential == "" || u.Owner == "" || len(u.Dependents) != 1 {
			t.Errorf("after discover: %+v", u)
		}
	}
	var ol []orgRow
	v.runJSON(&ol, "org", "list")
	if len(ol) != 2 || ol[0].Source != "config" || ol[0].CredentialKind != "jwt" || ol[0].OrgID != emulator.DemoAcmeOrgID || ol[1].OrgID != "" {
		t.Errorf("org list: %+v", ol)
	}
}

func TestImportSF(t *testing.T) {
	v := newInvEnv(t, false)
	refresh := "5Aep861DemoAcmeInvoiceSyncRefreshToken01"
	authURL := "force://demo-acme-invoice-sync:demo-acme-invoice-sync-secret:" + refresh + "@" + v.emu.URL
	v.env["SF_AUTH_URL"] = authURL
	out := v.ok("org", "import-sf", "--name", "acme-sf", "--auth-url-env", "SF_AUTH_URL")
	if !strings.Contains(out, "Added org acme-sf: Salesforce org "+emulator.DemoAcmeOrgID) ||
		!strings.Contains(out, "refresh_token, logs in as invoice.sync@acme.demo") {
		t.Errorf("import-sf --auth-url-env:\n%s", out)
	}

	display := fmt.Sprintf(`{"status":0,"result":{"id":%q,"accessToken":"00D8c000006AcmeEAC!AQ0NotARealToken","instanceUrl":%q,
		"username":"invoice.sync@acme.demo","clientId":"demo-acme-invoice-sync","sfdxAuthUrl":%q},"warnings":[]}`,
		emulator.DemoAcmeOrgID, v.emu.URL, authURL)
	displayFile := filepath.Join(v.dir, "auth.json")
	os.WriteFile(displayFile, []byte(display), 0o600)
	out = v.ok("org", "import-sf", "--name", "acme-file", "--file", displayFile, "--json")
	if !strings.Contains(out, `"monitoringCredential": "monitor-acme-file"`) || strings.Contains(out, refresh) {
		t.Errorf("import-sf --file --json:\n%s", out)
	}

	// --from-sf-alias runs the Salesforce CLI; a script stands in for it.
	fake := filepath.Join(v.dir, "sf")
	os.WriteFile(fake, []byte("#!/bin/sh\nif [ \"$4\" = acme ]; then cat "+displayFile+"; exit 0; fi\n"+
		"echo '{\"status\":1,\"name\":\"NamedOrgNotFoundError\",\"message\":\"No authorization information found for nope.\",\"result\":null}'\nexit 1\n"), 0o700)
	old := sfCommand
	sfCommand = fake
	t.Cleanup(func() { sfCommand = old })
	out = v.ok("org", "import-sf", "--name", "acme-alias", "--from-sf-alias", "acme")
	if !strings.Contains(out, "Added org acme-alias") {
		t.Errorf("import-sf --from-sf-alias:\n%s", out)
	}

	encrypted := filepath.Join(v.dir, "invoice.sync@acme.demo.json")
	os.WriteFile(encrypted, []byte(`{"accessToken":"0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b:00112233445566778899aabbccddeeff",
		"instanceUrl":"https://acme.my.salesforce.com","loginUrl":"https://login.salesforce.com","orgId":"00D8c000006AcmeEAC",
		"refreshToken":"0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d:00112233445566778899aabbccddeeff","clientId":"PlatformCLI","username":"invoice.sync@acme.demo"}`), 0o600)
	badURL := filepath.Join(v.dir, "bad.txt")
	os.WriteFile(badURL, []byte("force://demo-acme-invoice-sync:demo-acme-invoice-sync-secret@"+v.emu.URL+"\n"), 0o600)
	v.env["REVOKED"] = "force://demo-acme-invoice-sync::5Aep861NoSuchRefreshToken000@" + v.emu.URL
	v.env["REMOTE"] = "force://demo-acme-invoice-sync::" + refresh + "@http://login.example.com"
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"org", "import-sf", "--name", "x"}, 2, "give exactly one of --file, --auth-url-env and --from-sf-alias"},
		{[]string{"org", "import-sf", "--name", "x", "--file", displayFile, "--auth-url-env", "SF_AUTH_URL"}, 2, "give exactly one of"},
		{[]string{"org", "import-sf", "--file", displayFile}, 2, "--name is required"},
		{[]string{"org", "import-sf", "--name", "x", "--file", encrypted}, 2,
			"--file " + encrypted + ": auth file: refreshToken is encrypted by the Salesforce CLI (with a key in your OS keychain), so Warden cannot read it; export an auth URL instead"},
		{[]string{"org", "import-sf", "--name", "x", "--file", badURL}, 2,
			"--file " + badURL + ": auth URL: want clientId:clientSecret:refreshToken before the instance URL, found 2 part(s) separated by ':'"},
		{[]string{"org", "import-sf", "--name", "x", "--file", filepath.Join(v.dir, "missing.json")}, 2, "--file " + filepath.Join(v.dir, "missing.json") + ": cannot read: no such file"},
		{[]string{"org", "import-sf", "--name", "x", "--auth-url-env", "UNSET"}, 2, "--auth-url-env: environment variable UNSET is empty or not set"},
		{[]string{"org", "import-sf", "--name", "x", "--auth-url-env", "REMOTE"}, 2,
			`auth URL: the instance URL (after '@') "http://login.example.com" uses plain http`},
		{[]string{"org", "import-sf", "--name", "x", "--from-sf-alias", "nope"}, 2,
			"--from-sf-alias nope: sf org display failed (exit status 1): auth file: the Salesforce CLI reported an error (status 1, NamedOrgNotFoundError); nothing to import"},
		{[]string{"org", "import-sf", "--name", "x", "--auth-url-env", "REVOKED"}, 5, "invalid_grant: expired access/refresh token (refresh_token_revoked)"},
	} {
		code, out, errOut := v.run(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%q: exit %d %q; want %d %q", tc.args, code, errOut, tc.code, tc.msg)
		}
		for _, s := range []string{refresh, "demo-acme-invoice-sync-secret", "5Aep861NoSuchRefreshToken000", "0a1b2c3d4e5f"} {
			if strings.Contains(out+errOut, s) {
				t.Errorf("%q: output shows a secret: %s%s", tc.args, out, errOut)
			}
		}
	}
	var orgs []orgRow
	v.runJSON(&orgs, "org", "list")
	if len(orgs) != 3 {
		t.Errorf("orgs after imports: %+v", orgs)
	}
	// The imported credential reads the org (as invoice.sync, which may
	// not read login history: discovery warns).
	code, out, errOut := v.run("discover", "--org", "acme-sf")
	if code != 0 || !strings.Contains(errOut, "warden: warning: login history could not be read") {
		t.Errorf("discover as invoice.sync: %d %s %s", code, out, errOut)
	}
}

func TestProgressOnlyOnTerminals(t *testing.T) {
	var b bytes.Buffer
	if isTerminal(&b) {
		t.Error("a buffer is a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a file is a terminal")
	}
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		if isTerminal(null) {
			t.Error("the null device is a terminal")
		}
		null.Close()
	}
	m := &Main{Stdout: f, Stderr: &b}
	p := m.progress()
	p.Step("working")
	p.Done()
	if b.Len() != 0 {
		t.Errorf("progress written to a non-terminal: %q", b.String())
	}
}

// keyPEM is the PEM of the demo key, as org add stores it.
func keyPEM(k *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

// newServer serves h on loopback until the test ends.
func newServer(t *testing.T, h http.Handler) *httptest.Server {
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// dropBlocks removes from a configuration written by writeDemoConfig every
// list item ("  - ..." with its indented lines) that contains text.
func dropBlocks(t *testing.T, path, text string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out, block []string
	flush := func() {
		if !strings.Contains(strings.Join(block, "\n"), text) {
			out = append(out, block...)
		}
		block = nil
	}
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "  - "):
			flush()
			block = []string{line}
		case strings.HasPrefix(line, "    ") && block != nil:
			block = append(block, line)
		default:
			flush()
			out = append(out, line)
		}
	}
	flush()
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestInventorySync(t *testing.T) {
	// A fresh store: commands that read the inventory say to sync first,
	// and create nothing.
	fresh := newInvEnv(t, false)
	_, key := invDemo(t)
	if err := writeDemoConfig(t.Context(), fresh.dir, fresh.cfg, fresh.emu.URL, "127.0.0.1:0", 30*time.Second, key); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"status", "users", "dependents", "org"} {
		args := []string{cmd}
		if cmd == "org" {
			args = append(args, "list")
		}
		code, _, errOut := fresh.run(args...)
		if code != 4 || !strings.Contains(errOut, "inventory not synced: there is no inventory database") ||
			!strings.Contains(errOut, "run warden inventory sync --config "+fresh.cfg) {
			t.Errorf("%s on a fresh store: %d %s", cmd, code, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(fresh.dir, "warden.db")); !os.IsNotExist(err) {
		t.Errorf("a read-only command created the database: %v", err)
	}
	var plan struct {
		Changes []struct {
			Action, Kind, Org, Name string
		} `json:"changes"`
		Create, Update, Delete int
		Applied                bool
	}
	fresh.runJSON(&plan, "inventory", "sync", "--plan")
	if plan.Create != 54 || plan.Update != 0 || plan.Delete != 0 || plan.Applied || plan.Changes[0].Kind != "org" {
		t.Errorf("plan of a fresh store: %+v", plan)
	}
	// --plan changes nothing: the declared users are still missing.
	if code, _, errOut := fresh.run("users"); code != 4 || !strings.Contains(errOut, "the inventory lacks org acme, org globex, credential monitor-acme, 51 more") {
		t.Errorf("users after --plan: %d %s", code, errOut)
	}

	v := newInvEnv(t, true) // synced
	if out := v.ok("inventory", "sync"); !strings.Contains(out, "The inventory matches "+v.cfg+": nothing to change.") {
		t.Errorf("second sync:\n%s", out)
	}
	// Read commands write nothing: every row keeps its UpdatedAt.
	stamps := func() map[string]time.Time {
		t.Helper()
		db, err := sqlite.Open(t.Context(), filepath.Join(v.dir, "warden.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		out := map[string]time.Time{}
		orgs, _ := db.Orgs(t.Context())
		for _, o := range orgs {
			out["org "+o.Name] = o.UpdatedAt
		}
		users, _ := db.Users(t.Context(), warden.UserFilter{})
		for _, u := range users {
			out["user "+u.Username] = u.UpdatedAt
		}
		deps, _ := db.Dependents(t.Context(), warden.DependentFilter{})
		for _, d := range deps {
			out["dependent "+d.Name] = d.UpdatedAt
		}
		return out
	}
	before := stamps()
	for _, args := range [][]string{{"status"}, {"users"}, {"dependents"}, {"impact", "acme/invoice.sync@acme.demo"}, {"org", "list"}, {"inventory", "sync", "--plan"}} {
		v.ok(args...)
	}
	if after := stamps(); len(after) != len(before) || len(before) < 28 {
		t.Errorf("%d rows before the read commands, %d after", len(before), len(after))
	} else {
		for k, at := range before {
			if !after[k].Equal(at) {
				t.Errorf("%s was written by a read command", k)
			}
		}
	}
	v.addJWT("acme-cli", "acme") // added by a CLI command: not the file's to delete

	dropBlocks(t, v.cfg, "invoice.sync")
	// Until the next sync, reads show the stored inventory and say it
	// differs.
	code, out, errOut := v.run("users")
	if code != 0 || !strings.Contains(out, "invoice.sync@acme.demo") ||
		!strings.Contains(errOut, "warden: note: the inventory differs from "+v.cfg+" (0 to create, 0 to update, 3 to delete); run warden inventory sync") {
		t.Errorf("users before the sync: %d\n%s%s", code, out, errOut)
	}
	out = v.ok("inventory", "sync", "--plan")
	for _, want := range []string{"  delete dependent acme/Invoice Sync\n", "  delete user acme/invoice.sync@acme.demo\n",
		"  delete credential invoice.sync-acme\n", "Plan: 0 to create, 0 to update, 3 to delete (nothing changed; run without --plan to apply)."} {
		if !strings.Contains(out, want) {
			t.Errorf("sync --plan lacks %q:\n%s", want, out)
		}
	}
	out = v.ok("inventory", "sync")
	if !strings.Contains(out, "Synced the inventory with "+v.cfg+": 3 deleted.") {
		t.Errorf("sync:\n%s", out)
	}
	var users []userRow
	v.runJSON(&users, "users")
	for _, u := range users {
		if u.Username == "invoice.sync@acme.demo" {
			t.Errorf("the removed user is still listed: %+v", u)
		}
	}
	if len(users) != 12 {
		t.Errorf("%d users after removing one of 13", len(users))
	}
	var deps []warden.Dependent
	v.runJSON(&deps, "dependents")
	for _, d := range deps {
		if d.Name == "Invoice Sync" {
			t.Errorf("the removed user's dependent is still listed")
		}
	}
	var orgs []orgRow
	v.runJSON(&orgs, "org", "list")
	if len(orgs) != 3 || orgs[1].Name != "acme-cli" || orgs[1].Source != "cli" {
		t.Errorf("org list after the sync: %+v", orgs)
	}
	v.runJSON(&plan, "inventory", "sync")
	if len(plan.Changes) != 0 || plan.Applied {
		t.Errorf("the sync after a sync: %+v", plan)
	}
	if code, _, errOut := v.run("inventory", "frobnicate"); code != 2 || !strings.Contains(errOut, `unknown inventory subcommand "frobnicate"`) {
		t.Errorf("inventory frobnicate: %d %s", code, errOut)
	}
}
