// Command broker benchmarks Warden's token broker (docs/PERFORMANCE.md,
// "Token broker"). It has three modes:
//
//	-mode serve     runs the emulator and a broker on loopback listeners and
//	                prints {"broker","emulator","key","user","accessToken"}
//	                on one line, for wrk (bench/scripts/broker.sh); it exits
//	                on SIGINT/SIGTERM or after -lifetime.
//	-mode storm     the login storm: -clients concurrent clients ask for a
//	                session of one user over -emulated of emulated time with
//	                sessions of -session, through the broker and then each
//	                logging in itself (naive), and counts the upstream
//	                logins from the emulator's usage counters.
//	-mode overhead  -n sequential queries straight to the emulator and
//	                through the broker's proxy, interleaved on kept-alive
//	                connections, and their p50/p99 latencies.
//
// Everything listens on 127.0.0.1 only.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/broker"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/secret/local"
	"github.com/wardenhq/warden/sqlite"
)

const (
	orgName   = "Bench"
	user      = "int@bench.example"
	password  = "Bench-Int-Passw0rd1"
	secTok    = "BENCHBROKERTOKEN0001"
	appKey    = "bench-broker-app"
	appSecret = "bench-broker-secret"
	query     = "SELECT Id, Username FROM User LIMIT 5"
)

func main() {
	mode := flag.String("mode", "serve", "serve, storm or overhead")
	addr := flag.String("addr", "127.0.0.1:8686", "serve: the broker's listen address")
	emuAddr := flag.String("emulator-addr", "127.0.0.1:8687", "serve: the emulator's listen address")
	lifetime := flag.Duration("lifetime", 30*time.Minute, "serve: exit after this long")
	clients := flag.Int("clients", 1000, "storm: concurrent clients")
	emulated := flag.Duration("emulated", 10*time.Minute, "storm: emulated time the storm lasts")
	session := flag.Duration("session", 2*time.Minute, "storm: session lifetime (the org's session timeout)")
	speed := flag.Int("speed", 100, "storm: emulated seconds per real second")
	n := flag.Int("n", 3000, "overhead: queries per path")
	flag.Parse()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	var err error
	switch *mode {
	case "serve":
		err = serve(ctx, *addr, *emuAddr, *lifetime)
	case "storm":
		err = storm(ctx, *clients, *emulated, *session, *speed)
	case "overhead":
		err = overhead(ctx, *n)
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// clock is an emulated clock shared by the emulator and the broker.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// rig is an emulator with one integration user and a broker in front.
type rig struct {
	emu       *emulator.Server
	emuURL    string
	broker    *broker.Broker
	brokerURL string
	key       string
	hc        *http.Client
	closers   []func()
}

func (r *rig) close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
}

// listen serves h on a loopback address (port 0: any).
func (r *rig) listen(addr string, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	r.closers = append(r.closers, func() { srv.Close() })
	return "http://" + ln.Addr().String(), nil
}

// newRig starts the emulator on emuAddr and the broker on addr; now is the
// clock of both (nil: real time), lifetime the session lifetime.
func newRig(ctx context.Context, addr, emuAddr string, now func() time.Time, lifetime time.Duration) (*rig, error) {
	r := &rig{hc: &http.Client{Transport: &http.Transport{MaxIdleConns: 2048, MaxIdleConnsPerHost: 2048, IdleConnTimeout: time.Minute}}}
	seed := &emulator.Seed{Orgs: []emulator.SeedOrg{{
		Name:             orgName,
		DailyAPIRequests: 1 << 30, // wrk must not reach the daily limit
		Settings:         emulator.SeedSettings{SessionTimeoutMinutes: max(1, int(lifetime/time.Minute))},
		Profiles:         []emulator.SeedProfile{{Name: "Integration", Permissions: []string{"ApiEnabled"}}},
		Users:            []emulator.SeedUser{{Username: user, LastName: "Int", Profile: "Integration", Password: password, SecurityToken: secTok}},
		ConnectedApps:    []emulator.SeedConnectedApp{{Name: "Bench", ConsumerKey: appKey, ConsumerSecret: appSecret}},
	}}}
	emu, err := emulator.New(seed, emulator.Options{Now: now})
	if err != nil {
		return nil, err
	}
	r.emu = emu
	if r.emuURL, err = r.listen(emuAddr, emu); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "warden-bench-broker-")
	if err != nil {
		return nil, err
	}
	r.closers = append(r.closers, func() { os.RemoveAll(dir) })
	raw := make([]byte, 32)
	rand.Read(raw)
	kek, err := local.NewKEK(raw)
	if err != nil {
		return nil, err
	}
	ss, err := local.Open(filepath.Join(dir, "secrets.json"), kek)
	if err != nil {
		return nil, err
	}
	r.closers = append(r.closers, func() { ss.Close() })
	db, err := sqlite.Open(ctx, filepath.Join(dir, "warden.db"))
	if err != nil {
		return nil, err
	}
	r.closers = append(r.closers, func() { db.Close() })
	reg := credential.NewRegistry(credential.Config{Orgs: db, Credentials: db, Secrets: map[string]warden.SecretStore{"local": ss}, HTTPClient: r.hc})
	cred := &warden.Credential{Name: "int", Org: "bench", Kind: warden.CredentialPassword, Username: user, ClientID: appKey,
		Secret: warden.SecretRef{Store: "local", Key: "int"}}
	for _, err := range []error{
		db.UpsertOrg(ctx, &warden.Org{Name: "bench", LoginURL: r.emuURL}),
		db.UpsertCredential(ctx, cred),
		db.UpsertUser(ctx, &warden.IntegrationUser{Org: "bench", Username: user, Credential: "int"}),
	} {
		if err != nil {
			return nil, err
		}
	}
	if _, err := reg.PutMaterial(ctx, cred, warden.Material{ClientSecret: appSecret, Password: password + secTok}, warden.StageCurrent); err != nil {
		return nil, err
	}
	key, k := broker.NewKey()
	k.Users, k.Operations, k.Dependent = []string{user}, []warden.BrokerOperation{warden.BrokerToken, warden.BrokerProxy}, "bench"
	if err := db.CreateBrokerKey(ctx, k); err != nil {
		return nil, err
	}
	r.key = key
	r.broker = broker.New(broker.Config{Keys: db, Users: db, Sessions: reg, SessionLifetime: lifetime, RefreshBefore: min(10*time.Second, lifetime/4),
		Rate: -1, Transport: r.hc.Transport, Now: now})
	if r.brokerURL, err = r.listen(addr, r.broker); err != nil {
		return nil, err
	}
	return r, nil
}

// token asks the broker for a session.
func (r *rig) token(ctx context.Context) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.brokerURL+"/broker/v1/token", bytes.NewReader([]byte(`{"user":"`+user+`"}`)))
	req.Header.Set("Authorization", "Bearer "+r.key)
	resp, err := r.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
		Message     string `json:"message"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token: %d %s", resp.StatusCode, out.Message)
	}
	return out.AccessToken, nil
}

// login is a naive client's own password grant; it returns the OAuth
// error code of a refusal.
func (r *rig) login(ctx context.Context) (ok bool, code string, err error) {
	form := url.Values{"grant_type": {"password"}, "client_id": {appKey}, "client_secret": {appSecret}, "username": {user}, "password": {password + secTok}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.emuURL+"/services/oauth2/token", bytes.NewReader([]byte(form.Encode())))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := r.hc.Do(req)
	if err != nil {
		return false, "", err
	}
	defer resp.Body.Close()
	var out struct{ Error string }
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode == http.StatusOK, out.Error, nil
}

// usage reads the emulator's login counter of the user.
func (r *rig) logins(ctx context.Context) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.emuURL+"/_emulator/orgs/"+orgName+"/usage", nil)
	resp, err := r.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var u struct {
		LoginsByUser map[string]int `json:"loginsByUser"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&u); err != nil {
		return 0, err
	}
	return u.LoginsByUser[user], nil
}

func serve(ctx context.Context, addr, emuAddr string, lifetime time.Duration) error {
	r, err := newRig(ctx, addr, emuAddr, nil, 2*time.Hour)
	if err != nil {
		return err
	}
	defer r.close()
	tok, err := r.token(ctx)
	if err != nil {
		return err
	}
	json.NewEncoder(os.Stdout).Encode(map[string]string{"broker": r.brokerURL, "emulator": r.emuURL, "key": r.key, "user": user, "accessToken": tok,
		"query": url.QueryEscape(query)})
	select {
	case <-ctx.Done():
	case <-time.After(lifetime):
	}
	return nil
}

// storm runs the broker storm, then the naive one, on fresh rigs.
func storm(ctx context.Context, clients int, emulated, session time.Duration, speed int) error {
	fmt.Printf("login storm: %d clients, %s emulated (%d emulated s per real s), sessions of %s\n", clients, emulated, speed, session)
	for _, naive := range []bool{false, true} {
		clk := &clock{}
		clk.ns.Store(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC).UnixNano())
		r, err := newRig(ctx, "127.0.0.1:0", "127.0.0.1:0", clk.now, session)
		if err != nil {
			return err
		}
		start := clk.now()
		end := start.Add(emulated)
		var requests, failures atomic.Int64
		var codes sync.Map
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for range clients {
			wg.Go(func() {
				<-gate
				var issued time.Time
				for clk.now().Before(end) && ctx.Err() == nil {
					if naive {
						// A naive client logs in at start and whenever its
						// session times out.
						if !issued.IsZero() && clk.now().Sub(issued) < session {
							time.Sleep(5 * time.Millisecond)
							continue
						}
						ok, code, err := r.login(ctx)
						requests.Add(1)
						issued = clk.now()
						if err != nil || !ok {
							failures.Add(1)
							n, _ := codes.LoadOrStore(code, new(atomic.Int64))
							n.(*atomic.Int64).Add(1)
						}
						continue
					}
					// Through the broker: ask for the session before every
					// batch of work, as an application would.
					if _, err := r.token(ctx); err != nil {
						failures.Add(1)
					}
					requests.Add(1)
					time.Sleep(20 * time.Millisecond)
				}
			})
		}
		realStart := time.Now()
		close(gate)
		tick := time.Second / time.Duration(speed)
		for clk.now().Before(end) && ctx.Err() == nil {
			time.Sleep(tick / 10)
			clk.advance(time.Second / 10)
		}
		wg.Wait()
		logins, err := r.logins(ctx)
		if err != nil {
			return err
		}
		name := "broker"
		if naive {
			name = "naive"
		}
		fmt.Printf("%-6s requests %7d  failures %6d  upstream logins %5d  (%.1f per session lifetime)  real %s",
			name, requests.Load(), failures.Load(), logins, float64(logins)/(float64(emulated)/float64(session)), time.Since(realStart).Round(time.Millisecond))
		codes.Range(func(k, v any) bool { fmt.Printf("  %s=%d", k, v.(*atomic.Int64).Load()); return true })
		fmt.Println()
		r.close()
	}
	return nil
}

// overhead measures sequential queries, direct and through the proxy.
func overhead(ctx context.Context, n int) error {
	r, err := newRig(ctx, "127.0.0.1:0", "127.0.0.1:0", nil, 2*time.Hour)
	if err != nil {
		return err
	}
	defer r.close()
	tok, err := r.token(ctx)
	if err != nil {
		return err
	}
	path := "/services/data/v62.0/query?q=" + url.QueryEscape(query)
	direct := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	proxied := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	get := func(c *http.Client, u, auth string) (time.Duration, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+auth)
		t0 := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("GET %s: %d", u, resp.StatusCode)
		}
		return d, nil
	}
	var ds, ps []time.Duration
	for i := range n + 100 {
		d, err := get(direct, r.emuURL+path, tok)
		if err != nil {
			return err
		}
		p, err := get(proxied, r.brokerURL+"/broker/v1/proxy/"+url.PathEscape(user)+path, r.key)
		if err != nil {
			return err
		}
		if i >= 100 { // warm-up
			ds, ps = append(ds, d), append(ps, p)
		}
	}
	pct := func(v []time.Duration, p float64) time.Duration {
		s := slices.Clone(v)
		slices.Sort(s)
		return s[int(p*float64(len(s)-1))]
	}
	fmt.Printf("proxy overhead: %d sequential queries each (%q), interleaved\n", n, query)
	fmt.Printf("direct  p50 %8s  p99 %8s\n", pct(ds, 0.5).Round(time.Microsecond), pct(ds, 0.99).Round(time.Microsecond))
	fmt.Printf("proxied p50 %8s  p99 %8s\n", pct(ps, 0.5).Round(time.Microsecond), pct(ps, 0.99).Round(time.Microsecond))
	fmt.Printf("added   p50 %8s  p99 %8s\n", (pct(ps, 0.5) - pct(ds, 0.5)).Round(time.Microsecond), (pct(ps, 0.99) - pct(ds, 0.99)).Round(time.Microsecond))
	return nil
}
