package salesforce_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// changeEvent is the part of a UserChangeEvent payload the test reads.
type changeEvent struct {
	Header struct {
		RecordIDs     []string `json:"recordIds"`
		ChangeType    string   `json:"changeType"`
		ChangedFields []string `json:"changedFields"`
	} `json:"ChangeEventHeader"`
	IsActive *bool `json:"IsActive"`
}

func TestSubscribeUserChangeEvents(t *testing.T) {
	e := newEnv(t)
	s := e.admin()
	id := e.userID(integUser)
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	events := make(chan salesforce.Event, 16)
	done := make(chan error, 1)
	go func() {
		done <- s.Subscribe(ctx, "/data/UserChangeEvent", salesforce.ReplayAll, func(ev salesforce.Event) error {
			events <- ev
			return nil
		})
	}()
	// next waits for the next IsActive change of the user.
	next := func(active bool, within time.Duration) salesforce.Event {
		t.Helper()
		deadline := time.After(within)
		for {
			select {
			case ev := <-events:
				var ce changeEvent
				if err := json.Unmarshal(ev.Payload, &ce); err != nil {
					t.Fatalf("payload %s: %v", ev.Payload, err)
				}
				if len(ce.Header.RecordIDs) == 1 && ce.Header.RecordIDs[0] == id && ce.IsActive != nil && *ce.IsActive == active {
					if ev.Channel != "/data/UserChangeEvent" || ev.ReplayID <= 0 {
						t.Errorf("event channel %q replay %d", ev.Channel, ev.ReplayID)
					}
					return ev
				}
			case err := <-done:
				t.Fatalf("Subscribe ended: %+v", err)
			case <-deadline:
				t.Fatalf("no change event (IsActive=%t) within %v", active, within)
			}
		}
	}
	start := time.Now()
	e.patchUser(integUser, map[string]any{"active": false})
	first := next(false, 2*time.Second)
	t.Logf("deactivation event after %v", time.Since(start))
	// The subscription is live now: the next change is pushed, too.
	start = time.Now()
	e.patchUser(integUser, map[string]any{"active": true})
	second := next(true, 2*time.Second)
	t.Logf("reactivation event after %v", time.Since(start))
	if second.ReplayID <= first.ReplayID {
		t.Errorf("replay ids %d then %d, want increasing", first.ReplayID, second.ReplayID)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Subscribe after cancel: %+v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Subscribe did not return after cancel")
	}
}

func TestSubscribeReplayAndErrors(t *testing.T) {
	e := newEnv(t)
	s := e.admin()
	e.patchUser(integUser, map[string]any{"active": false})
	e.patchUser(integUser, map[string]any{"active": true})
	ctx := testCtx(t)

	// Replay all, remember the first id, then resume after it: the second
	// event comes first. The callback's error ends Subscribe as it is.
	stop := errors.New("stop")
	var ids []int64
	err := s.Subscribe(ctx, "/data/UserChangeEvent", salesforce.ReplayAll, func(ev salesforce.Event) error {
		ids = append(ids, ev.ReplayID)
		if len(ids) == 2 {
			return stop
		}
		return nil
	})
	if err != stop || len(ids) != 2 {
		t.Fatalf("Subscribe: %v, %d events", err, len(ids))
	}
	var resumed int64
	err = s.Subscribe(ctx, "/data/UserChangeEvent", ids[0], func(ev salesforce.Event) error {
		resumed = ev.ReplayID
		return stop
	})
	if err != stop || resumed != ids[1] {
		t.Errorf("resume after %d: got %d, want %d (%v)", ids[0], resumed, ids[1], err)
	}

	// Unknown channel.
	err = s.Subscribe(ctx, "/data/NoSuchEvent", salesforce.ReplayNew, func(salesforce.Event) error { return nil })
	if se := sfError(t, err); se.Code != "400" || warden.ErrorKind(err) != warden.EINVALID {
		t.Errorf("unknown channel: %+v", err)
	}

	// A revoked session is re-authenticated during the subscription.
	tok, _ := s.Token(ctx)
	e.c.Revoke(ctx, tok.AccessToken)
	got := make(chan int64, 1)
	ctx2, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	go func() {
		time.Sleep(300 * time.Millisecond)
		e.patchUser(integUser, map[string]any{"active": false})
	}()
	err = s.Subscribe(ctx2, "/data/UserChangeEvent", ids[1], func(ev salesforce.Event) error {
		got <- ev.ReplayID
		return stop
	})
	if err != stop {
		t.Fatalf("Subscribe with a revoked token: %+v", err)
	}
	if id := <-got; id <= ids[1] {
		t.Errorf("event %d, want after %d", id, ids[1])
	}
}

// forgetClient is a transport that makes the server forget the CometD
// client once, as after a server restart: it rewrites the clientId of the
// first /meta/connect.
type forgetClient struct {
	base http.RoundTripper
	done atomic.Bool
}

func (f *forgetClient) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasPrefix(req.URL.Path, "/cometd/") && req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		req.Body.Close()
		if bytes.Contains(b, []byte(`"/meta/connect"`)) && f.done.CompareAndSwap(false, true) {
			var msgs []map[string]any
			json.Unmarshal(b, &msgs)
			msgs[0]["clientId"] = "forgotten"
			b, _ = json.Marshal(msgs)
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.ContentLength = int64(len(b))
	}
	return f.base.RoundTrip(req)
}

func TestSubscribeRehandshake(t *testing.T) {
	e := newEnv(t)
	fc := &forgetClient{base: e.rec}
	c := e.client(func(cfg *salesforce.Config) { cfg.HTTPClient = &http.Client{Transport: fc} })
	s := salesforce.NewSession(c, &salesforce.JWTAuth{Client: c, Grant: e.jwtGrant(adminUser)})
	e.patchUser(integUser, map[string]any{"active": false})
	stop := errors.New("stop")
	var got int64
	err := s.Subscribe(testCtx(t), "/data/UserChangeEvent", salesforce.ReplayAll, func(ev salesforce.Event) error {
		got = ev.ReplayID
		return stop
	})
	if err != stop || got == 0 || !fc.done.Load() {
		t.Fatalf("Subscribe: %v, event %d, forgot %t", err, got, fc.done.Load())
	}
	// handshake, subscribe, connect (403::Unknown client), handshake,
	// subscribe, connect (event).
	if n := len(e.rec.requests("/cometd/")); n != 6 {
		t.Errorf("%d CometD requests, want 6", n)
	}
}
