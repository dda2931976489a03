package compat_test

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/broker"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/secret/local"
	"github.com/wardenhq/warden/sqlite"
)

// brokerFixture is Warden's token broker in front of the emulator: the
// admin user logs in with JWT bearer through the credential registry,
// and a broker key lets the clients act as that user through the proxy.
type brokerFixture struct {
	*fixture
	srv *httptest.Server
	key string
}

// proxyURL is the instance URL an application configures.
func (b *brokerFixture) proxyURL(username string) string {
	return b.srv.URL + broker.Prefix + "proxy/" + url.PathEscape(username)
}

func newBrokerFixture(t *testing.T, c *clients) *brokerFixture {
	t.Helper()
	f := newFixture(t, c, false)
	ctx := t.Context()
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
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg := credential.NewRegistry(credential.Config{Orgs: db, Credentials: db, Secrets: map[string]warden.SecretStore{"local": ss}, HTTPClient: f.httpClient()})
	keyPEM, err := os.ReadFile(f.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cred := &warden.Credential{Name: "admin", Org: "compat", Kind: warden.CredentialJWT, Username: admin.username, ClientID: consumerKey,
		Secret: warden.SecretRef{Store: "local", Key: "admin"}}
	for _, err := range []error{
		db.UpsertOrg(ctx, &warden.Org{Name: "compat", LoginURL: f.url}),
		db.UpsertCredential(ctx, cred),
		db.UpsertUser(ctx, &warden.IntegrationUser{Org: "compat", Username: admin.username, Credential: "admin"}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reg.PutMaterial(ctx, cred, warden.Material{PrivateKey: string(keyPEM)}, warden.StageCurrent); err != nil {
		t.Fatal(err)
	}
	key, k := broker.NewKey()
	k.Users, k.Operations, k.Dependent = []string{admin.username}, []warden.BrokerOperation{warden.BrokerToken, warden.BrokerProxy}, "compat"
	if err := db.CreateBrokerKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	b := broker.New(broker.Config{Keys: db, Users: db, Sessions: reg, Transport: f.httpClient().Transport, Rate: -1})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Logf("broker: %s %s", r.Method, r.URL.Path) // no query: it may hold the key
		b.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return &brokerFixture{fixture: f, srv: srv, key: key}
}

// brokerJS runs one case of js/broker.mjs.
func (b *brokerFixture) brokerJS(t *testing.T, name string) jsResult {
	t.Helper()
	env := map[string]string{"BROKER_INSTANCE_URL": b.proxyURL(admin.username), "BROKER_KEY": b.key, "BROKER_USERNAME": admin.username,
		"SF_API_VERSION": "60.0"}
	res := b.run(t, t.TempDir(), env, b.c.node, filepath.Join(b.c.jsDir, "broker.mjs"), name)
	if len(res.blocked) > 0 {
		t.Errorf("jsforce tried to leave loopback:\n%s", strings.Join(res.blocked, "\n"))
	}
	sc := bufio.NewScanner(strings.NewReader(res.stdout))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var out jsResult
		if strings.HasPrefix(sc.Text(), `{"case":`) && json.Unmarshal(sc.Bytes(), &out) == nil {
			return out
		}
	}
	t.Fatalf("broker.mjs %s: exit %d, no result line\nstdout: %s\nstderr: %s", name, res.exitCode, truncate(res.stdout, 8000), truncate(res.stderr, 8000))
	return jsResult{}
}

func TestJSforceThroughBroker(t *testing.T) {
	c := needClients(t)
	t.Parallel()
	b := newBrokerFixture(t, c)
	b.watchExchanges(t)
	var got struct {
		ID        string         `json:"id"`
		Saved     map[string]any `json:"saved"`
		Title     string         `json:"title"`
		WantTitle string         `json:"wantTitle"`
		Paged     int            `json:"paged"`
		DailyMax  int            `json:"dailyMax"`
		LimitInfo map[string]any `json:"limitInfo"`
	}
	b.brokerJS(t, "query_update").mustOK(t, &got)
	if got.ID == "" || got.Saved["success"] != true || got.Title != got.WantTitle {
		t.Errorf("update through the proxy: %+v", got)
	}
	if got.Paged < len(b.usernames) {
		t.Errorf("paged query through the proxy read %d users; want %d+ (nextRecordsUrl followed through the proxy)", got.Paged, len(b.usernames))
	}
	if got.DailyMax == 0 || got.LimitInfo["apiUsage"] == nil {
		t.Errorf("limits and Sforce-Limit-Info through the proxy: max %d, limitInfo %v", got.DailyMax, got.LimitInfo)
	}
	var id struct {
		UserID   string            `json:"user_id"`
		Username string            `json:"username"`
		URLs     map[string]string `json:"urls"`
	}
	b.brokerJS(t, "identity").mustOK(t, &id)
	if id.Username != admin.username || id.URLs["rest"] == "" || !strings.HasPrefix(id.URLs["rest"], b.proxyURL(admin.username)) {
		t.Errorf("identity() through the proxy: username %q, urls.rest %q (want under the proxy)", id.Username, id.URLs["rest"])
	}
	if used := b.passwordLoginsSeen(t); used != 0 {
		t.Errorf("%d password logins; the application must not log in itself", used)
	}
}

// passwordLoginsSeen counts token requests other than the broker's JWT
// grants in the recorded exchanges.
func (b *brokerFixture) passwordLoginsSeen(t *testing.T) int {
	t.Helper()
	n := 0
	for _, ex := range b.rec.since(0) {
		if strings.Contains(ex.URL, "/services/oauth2/token") && strings.Contains(ex.ReqBody, "grant_type=password") {
			n++
		}
	}
	return n
}

func TestSalesforceCLIThroughBroker(t *testing.T) {
	c := needClients(t)
	t.Parallel()
	b := newBrokerFixture(t, c)
	b.watchExchanges(t)
	home := t.TempDir()
	// The CLI insists that an access token looks like a session id
	// (00D…!…): the broker accepts its key wrapped that way. It appends
	// paths to the instance URL without a slash: give it one.
	token := "00DWARDENBROKER!" + b.key
	var login sfOrg
	b.sfOK(t, home, map[string]string{"SF_ACCESS_TOKEN": token}, &login,
		"org", "login", "access-token", "--instance-url", b.proxyURL(admin.username)+"/", "--no-prompt", "--alias", "broker")
	if login.Username != admin.username {
		t.Errorf("login result username %q, want %s", login.Username, admin.username)
	}
	var q sfQuery
	b.sfOK(t, home, nil, &q, "data", "query", "--query", "SELECT Id, Username FROM User", "--target-org", "broker")
	if q.TotalSize < len(b.usernames) || len(q.Records) != q.TotalSize {
		t.Errorf("data query through the broker: totalSize %d, %d records, want %d+", q.TotalSize, len(q.Records), len(b.usernames))
	}
}
