package salesforce_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/salesforce"
)

// TestSingleFlight: 50 goroutines on a fresh session make one login.
func TestSingleFlight(t *testing.T) {
	e := newEnv(t)
	e.control(http.MethodDelete, "orgs/"+orgName+"/usage", nil)
	s := e.jwtSession(integUser)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Query(ctx, "SELECT Id FROM Account", nil)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Query: %+v", err)
		}
	}
	if u := e.usage(); u.Logins != 1 || u.APIRequests != 50 {
		t.Errorf("usage: %d logins, %d API requests; want 1, 50", u.Logins, u.APIRequests)
	}

	// The token is reused until it is rejected: more calls, no login.
	for range 10 {
		if _, err := s.Query(ctx, "SELECT Id FROM Account", nil); err != nil {
			t.Fatal(err)
		}
	}
	if u := e.usage(); u.Logins != 1 {
		t.Errorf("%d logins after 60 calls, want 1", u.Logins)
	}

	// Rejected (revoked) token: 50 concurrent callers see 401, one login.
	tok, _ := s.Token(ctx)
	if err := e.c.Revoke(ctx, tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	var wg2 sync.WaitGroup
	var failed atomic.Int32
	for range 50 {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			if _, err := s.Query(ctx, "SELECT Id FROM Account", nil); err != nil {
				failed.Add(1)
				t.Errorf("Query after revoke: %+v", err)
			}
		}()
	}
	wg2.Wait()
	if u := e.usage(); u.Logins != 2 {
		t.Errorf("%d logins after the token was revoked, want 2", u.Logins)
	}
}

// TestSingleFlightFailure: concurrent callers share one failed login. The
// bubble's clock and scheduler make "every caller is waiting" exact.
func TestSingleFlightFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		release := make(chan struct{})
		refused := &salesforce.Error{Op: "test", Status: 400, Code: "invalid_grant", Message: "inactive user", Cause: warden.CauseUserDeactivated}
		s := salesforce.NewSession(salesforce.New(salesforce.Config{}), salesforce.AuthFunc(func(ctx context.Context) (*salesforce.Token, error) {
			calls.Add(1)
			<-release
			return nil, refused
		}))
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.Token(context.Background())
				if err != refused {
					t.Errorf("Token: %v, want the shared login error", err)
				}
			}()
		}
		synctest.Wait() // the leader waits on release, the 19 others on its flight
		close(release)
		wg.Wait()
		if n := calls.Load(); n != 1 {
			t.Errorf("%d authentications, want 1", n)
		}
		// A later call tries again (failures are not cached).
		s.Token(context.Background())
		if n := calls.Load(); n != 2 {
			t.Errorf("%d authentications after a new call, want 2", n)
		}
	})
}

// TestLeaderCanceled: when the caller leading a login gives up, the
// waiting callers log in themselves instead of failing.
func TestLeaderCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		tok := &salesforce.Token{AccessToken: "00D000000000001AAA!AQx", InstanceURL: "http://127.0.0.1:1"}
		s := salesforce.NewSession(salesforce.New(salesforce.Config{}), salesforce.AuthFunc(func(ctx context.Context) (*salesforce.Token, error) {
			if calls.Add(1) == 1 {
				<-ctx.Done()
				return nil, ctx.Err()
			}
			return tok, nil
		}))
		leaderCtx, cancel := context.WithCancel(context.Background())
		leaderErr := make(chan error, 1)
		go func() { _, err := s.Token(leaderCtx); leaderErr <- err }()
		synctest.Wait()
		followerTok := make(chan *salesforce.Token, 1)
		go func() { got, _ := s.Token(context.Background()); followerTok <- got }()
		synctest.Wait() // the follower waits on the leader's flight
		cancel()
		if err := <-leaderErr; !errors.Is(err, context.Canceled) {
			t.Errorf("leader: %v, want context.Canceled in the chain", err)
		}
		if got := <-followerTok; got != tok {
			t.Errorf("follower got %v, want a token of its own login", got)
		}
		if n := calls.Load(); n != 2 {
			t.Errorf("%d authentications, want 2", n)
		}
	})
}

func TestReauthenticateOnInvalidSession(t *testing.T) {
	e := newEnv(t)
	c := e.client(func(cfg *salesforce.Config) { cfg.Now = e.emu.Now }) // JWT exp follows the emulator's clock
	s := salesforce.NewSession(c, &salesforce.JWTAuth{Client: c, Grant: e.jwtGrant(integUser)})
	ctx := testCtx(t)
	if _, err := s.Query(ctx, "SELECT Id FROM Account", nil); err != nil {
		t.Fatal(err)
	}
	// The session times out (idle 120 minutes): 401, one new login, retried.
	e.emu.Advance(3 * time.Hour)
	n := len(e.rec.requests("/services/oauth2/token"))
	if _, err := s.Query(ctx, "SELECT Id FROM Account", nil); err != nil {
		t.Fatalf("Query after session timeout: %+v", err)
	}
	if got := len(e.rec.requests("/services/oauth2/token")) - n; got != 1 {
		t.Errorf("%d logins after the session expired, want 1", got)
	}
	// A token that is rejected again right after a new login: one retry
	// only, then the 401 is reported.
	dead := &salesforce.Token{AccessToken: "00D000000000000AAA!AQdead", InstanceURL: e.emu.URL}
	var logins atomic.Int32
	s2 := salesforce.NewSession(e.c, salesforce.AuthFunc(func(context.Context) (*salesforce.Token, error) {
		logins.Add(1)
		return dead, nil
	}))
	_, err := s2.Query(ctx, "SELECT Id FROM Account", nil)
	se := wantCause(t, err, warden.CauseCredentialRejected)
	if se.Status != 401 || se.Code != "INVALID_SESSION_ID" || se.Message != "Session expired or invalid" {
		t.Errorf("dead token: %+v", err)
	}
	if logins.Load() != 2 {
		t.Errorf("%d logins for a dead token, want 2 (first use, one retry)", logins.Load())
	}
}

// TestRotation: with a rotating app, the new refresh token is persisted
// before the new access token is used; a failed persist fails the call.
func TestRotation(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	var mu sync.Mutex
	var stored []string
	fail := true
	auth := &salesforce.RefreshAuth{Client: e.c, ClientID: rotatingKey, ClientSecret: rotatingSecret, RefreshToken: rotRefreshToken,
		OnRotate: func(ctx context.Context, rt string) error {
			e.rec.note("rotate")
			mu.Lock()
			defer mu.Unlock()
			if fail {
				return errors.New("secret store unavailable")
			}
			stored = append(stored, rt)
			return nil
		}}
	s := salesforce.NewSession(e.c, auth)

	// Persisting fails: the call fails, and no data request is sent.
	_, err := s.Query(ctx, "SELECT Id FROM Account", nil)
	se := sfError(t, err)
	if se.Code != "ROTATION_NOT_PERSISTED" || warden.ErrorKind(err) != warden.EINTERNAL {
		t.Fatalf("failed persist: %+v kind %s", err, warden.ErrorKind(err))
	}
	if n := len(e.rec.requests("/services/data/")); n != 0 {
		t.Fatalf("%d data requests despite the failed persist", n)
	}
	if strings.Contains(err.Error(), auth.Current()) {
		t.Fatal("the new refresh token is in the error")
	}
	// The old token is dead now (rotated out); the session keeps the new
	// one in memory, so the next refresh does not trip reuse detection.
	if in, err := e.c.Introspect(ctx, rotatingKey, rotatingSecret, rotRefreshToken); err != nil || in.Active {
		t.Fatalf("old refresh token active after rotation: %+v %v", in, err)
	}

	mu.Lock()
	fail = false
	mu.Unlock()
	if _, err := s.Query(ctx, "SELECT Id FROM Account", nil); err != nil {
		t.Fatalf("Query once persisting works: %+v", err)
	}
	mu.Lock()
	if len(stored) != 1 || stored[0] != auth.Current() || stored[0] == rotRefreshToken {
		t.Errorf("stored %d tokens; want the current one", len(stored))
	}
	mu.Unlock()
	// Order: token request, persist, then the query.
	ev := e.rec.events()
	var order []string
	for _, x := range ev {
		switch {
		case strings.HasSuffix(x, "/services/oauth2/token"):
			order = append(order, "token")
		case x == "rotate":
			order = append(order, "rotate")
		case strings.Contains(x, "/services/data/"):
			order = append(order, "query")
		}
	}
	want := "token rotate token rotate query"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("order = %q, want %q", got, want)
	}
	if in, err := e.c.Introspect(ctx, rotatingKey, rotatingSecret, auth.Current()); err != nil || !in.Active {
		t.Errorf("current refresh token inactive: %+v %v", in, err)
	}
}

func TestRetryBackoff(t *testing.T) {
	t.Run("succeeds on the third attempt", func(t *testing.T) {
		e := newEnv(t)
		s := e.jwtSession(integUser)
		ctx := testCtx(t)
		if _, err := s.Token(ctx); err != nil {
			t.Fatal(err)
		}
		e.fault(emulator.Fault{Path: "/services/data/", Kind: "status", Status: 503, Count: 2})
		if _, err := s.Query(ctx, "SELECT Id FROM Account", nil); err != nil {
			t.Fatalf("Query: %+v", err)
		}
		if f := e.faults(); f[0].Hits != 2 {
			t.Errorf("fault hits = %d, want 2", f[0].Hits)
		}
		if n := len(e.rec.requests("/services/data/")); n != 3 {
			t.Errorf("%d attempts, want 3", n)
		}
	})
	t.Run("gives up after MaxAttempts", func(t *testing.T) {
		e := newEnv(t)
		s := e.jwtSession(integUser)
		ctx := testCtx(t)
		s.Token(ctx)
		e.fault(emulator.Fault{Path: "/services/data/", Kind: "status", Status: 503, Count: 10})
		_, err := s.Query(ctx, "SELECT Id FROM Account", nil)
		wantCause(t, err, warden.CauseOrgUnavailable)
		if f := e.faults(); f[0].Hits != 4 {
			t.Errorf("fault hits = %d, want 4 (MaxAttempts)", f[0].Hits)
		}
	})
	t.Run("never retries permanent causes or the API limit", func(t *testing.T) {
		e := newEnv(t)
		s := e.jwtSession(integUser)
		ctx := testCtx(t)
		s.Token(ctx)
		e.fault(emulator.Fault{Path: "/services/data/", Kind: "limit", Count: 10})
		_, err := s.Query(ctx, "SELECT Id FROM Account", nil)
		wantCause(t, err, warden.CauseAPILimitExhausted)
		if f := e.faults(); f[0].Hits != 1 {
			t.Errorf("limit: %d attempts, want 1", f[0].Hits)
		}
		_, err = e.jwtSession(officeUser).Query(ctx, "SELECT Id FROM Account", nil)
		wantCause(t, err, warden.CauseIPOrHoursRestricted)
		if n := len(e.rec.requests("/services/oauth2/token")); n != 2 {
			t.Errorf("%d token requests, want 2 (one per session, no retry)", n)
		}
	})
	t.Run("writes are retried only when the server did not act", func(t *testing.T) {
		e := newEnv(t)
		s := e.jwtSession(integUser)
		ctx := testCtx(t)
		s.Token(ctx)
		e.fault(emulator.Fault{Path: "/services/data/", Method: "POST", Kind: "status", Status: 503, Count: 1})
		if _, err := s.CreateSObject(ctx, "Account", map[string]string{"Name": "After 503"}); err != nil {
			t.Fatalf("create after one 503: %+v", err)
		}
		e.control(http.MethodDelete, "faults", nil)
		e.fault(emulator.Fault{Path: "/services/data/", Method: "POST", Kind: "status", Status: 500, Count: 5})
		_, err := s.CreateSObject(ctx, "Account", map[string]string{"Name": "After 500"})
		wantCause(t, err, warden.CauseOrgUnavailable)
		if f := e.faults(); f[0].Hits != 1 {
			t.Errorf("POST after 500: %d attempts, want 1 (the server may have acted)", f[0].Hits)
		}
	})
	t.Run("timeouts are retried", func(t *testing.T) {
		e := newEnv(t)
		c := e.client(func(cfg *salesforce.Config) { cfg.RequestTimeout = 100 * time.Millisecond })
		s := salesforce.NewSession(c, &salesforce.JWTAuth{Client: c, Grant: e.jwtGrant(integUser)})
		ctx := testCtx(t)
		s.Token(ctx)
		e.fault(emulator.Fault{Path: "/services/data/", Kind: "latency", Latency: "2s", Count: 1})
		start := time.Now()
		if _, err := s.Query(ctx, "SELECT Id FROM Account", nil); err != nil {
			t.Fatalf("Query after one slow answer: %+v", err)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("took %v; the slow attempt was not cut at 100ms", d)
		}
	})
	t.Run("honours the context", func(t *testing.T) {
		e := newEnv(t)
		c := e.client(func(cfg *salesforce.Config) {
			cfg.Retry = salesforce.RetryPolicy{MaxAttempts: 10, BaseDelay: time.Second, MaxDelay: time.Second}
		})
		s := salesforce.NewSession(c, &salesforce.JWTAuth{Client: c, Grant: e.jwtGrant(integUser)})
		s.Token(testCtx(t))
		e.fault(emulator.Fault{Path: "/services/data/", Kind: "status", Status: 503, Count: 100})
		ctx, cancel := context.WithTimeout(testCtx(t), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := s.Query(ctx, "SELECT Id FROM Account", nil)
		wantCause(t, err, warden.CauseOrgUnavailable)
		if d := time.Since(start); d > time.Second {
			t.Errorf("returned after %v; the backoff ignored the context", d)
		}
	})
}

// TestAPILimitRefusedLocally: once Sforce-Limit-Info shows the daily limit
// reached, calls are refused without a request until Limits shows room or
// the day changes.
func TestAPILimitRefusedLocally(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := e.client(func(cfg *salesforce.Config) { cfg.Now = clock })
	s := salesforce.NewSession(c, &salesforce.JWTAuth{Client: c, Grant: e.jwtGrant(integUser)})
	ctx := testCtx(t)
	e.settings(map[string]int{"dailyApiRequests": 3})
	for i := range 3 {
		if _, err := s.Query(ctx, "SELECT Id FROM Account", nil); err != nil {
			t.Fatalf("call %d: %+v", i+1, err)
		}
	}
	if used, max, ok := s.APIUsage(); used != 3 || max != 3 || !ok {
		t.Fatalf("APIUsage = %d/%d %t, want 3/3", used, max, ok)
	}
	sent := len(e.rec.requests("/services/data/"))
	_, err := s.Query(ctx, "SELECT Id FROM Account", nil)
	se := wantCause(t, err, warden.CauseAPILimitExhausted)
	if se.Status != 0 || se.Code != "REQUEST_LIMIT_EXCEEDED" || !strings.Contains(se.Message, "3 of 3") {
		t.Errorf("local refusal: %+v", err)
	}
	if n := len(e.rec.requests("/services/data/")); n != sent {
		t.Fatalf("%d requests sent while the limit was reached", n-sent)
	}

	// The admin raises the limit; Limits (sent despite the hold) shows room.
	e.settings(map[string]int{"dailyApiRequests": 10})
	lim, err := s.Limits(ctx)
	if err != nil || lim.DailyAPIRequests().Remaining != 6 {
		t.Fatalf("Limits: %v %+v", lim, err)
	}
	if _, err := s.Query(ctx, "SELECT Id FROM Account", nil); err != nil {
		t.Fatalf("Query after Limits showed room: %+v", err)
	}

	// Reach it again; the next day both clocks move on and calls resume.
	for {
		if _, err := s.Query(ctx, "SELECT Id FROM Account", nil); err != nil {
			wantCause(t, err, warden.CauseAPILimitExhausted)
			break
		}
	}
	mu.Lock()
	now = now.Add(24 * time.Hour)
	mu.Unlock()
	e.emu.Advance(24 * time.Hour)
	if _, err := s.Query(ctx, "SELECT Id FROM Account", nil); err != nil {
		t.Fatalf("Query the next day: %+v", err)
	}
	if used, _, _ := s.APIUsage(); used != 1 {
		t.Errorf("used = %d the next day, want 1", used)
	}
}

func TestCanceledContext(t *testing.T) {
	e := newEnv(t)
	s := e.jwtSession(integUser)
	ctx, cancel := context.WithCancel(testCtx(t))
	cancel()
	_, err := s.Query(ctx, "SELECT Id FROM Account", nil)
	se := sfError(t, err)
	if !errors.Is(err, context.Canceled) || se.Cause != warden.CauseNone || se.Transient() || se.Permanent() {
		t.Errorf("canceled: %+v (cause %q)", err, se.Cause)
	}
}
