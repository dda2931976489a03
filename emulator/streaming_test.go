package emulator_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestUserChangeEventsOverCometD(t *testing.T) {
	e := start(t)
	tok := e.admin()
	bayeux := func(msgs ...map[string]any) []map[string]any {
		t.Helper()
		r := e.do("POST", "/cometd/62.0", tok, msgs)
		var out []map[string]any
		if err := json.Unmarshal(r.body, &out); err != nil {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return out
	}
	hs := bayeux(map[string]any{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": []string{"long-polling"}})
	client, _ := hs[0]["clientId"].(string)
	if hs[0]["successful"] != true || client == "" {
		t.Fatalf("handshake: %v", hs)
	}
	sub := bayeux(map[string]any{"channel": "/meta/subscribe", "clientId": client, "subscription": "/data/UserChangeEvent"})
	if sub[0]["successful"] != true {
		t.Fatalf("subscribe: %v", sub)
	}
	bad := bayeux(map[string]any{"channel": "/meta/subscribe", "clientId": client, "subscription": "/topic/Nope"})
	if bad[0]["successful"] != false {
		t.Errorf("subscribing to an unknown channel succeeded")
	}
	done := make(chan []map[string]any)
	go func() {
		done <- bayeux(map[string]any{"channel": "/meta/connect", "clientId": client, "connectionType": "long-polling"})
	}()
	time.Sleep(100 * time.Millisecond)
	t0 := time.Now()
	e.Control(t, "PATCH", "orgs/Acme/users/"+intUser, map[string]any{"active": false}, nil)
	select {
	case msgs := <-done:
		if time.Since(t0) > 2*time.Second {
			t.Errorf("event took %v", time.Since(t0))
		}
		var ev map[string]any
		for _, m := range msgs {
			if m["channel"] == "/data/UserChangeEvent" {
				ev = m
			}
		}
		if ev == nil {
			t.Fatalf("no event in %v", msgs)
		}
		payload := ev["data"].(map[string]any)["payload"].(map[string]any)
		header := payload["ChangeEventHeader"].(map[string]any)
		if payload["IsActive"] != false || header["changeType"] != "UPDATE" || !strings.Contains(strings.Join(toStrings(header["changedFields"]), ","), "IsActive") {
			t.Errorf("event: %v", ev)
		}
		if ev["data"].(map[string]any)["event"].(map[string]any)["replayId"].(float64) < 1 {
			t.Errorf("replayId: %v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	// Replay -2 returns retained events to a new subscriber.
	hs = bayeux(map[string]any{"channel": "/meta/handshake"})
	c2 := hs[0]["clientId"].(string)
	bayeux(map[string]any{"channel": "/meta/subscribe", "clientId": c2, "subscription": "/data/UserChangeEvent", "ext": map[string]any{"replay": map[string]int{"/data/UserChangeEvent": -2}}})
	msgs := bayeux(map[string]any{"channel": "/meta/connect", "clientId": c2})
	if len(msgs) < 2 {
		t.Errorf("replay -2: %v", msgs)
	}
	if r := bayeux(map[string]any{"channel": "/meta/connect", "clientId": "unknown"}); r[0]["successful"] != false {
		t.Errorf("unknown client accepted")
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestBadInputNeverPanics(t *testing.T) {
	e := start(t)
	tok := e.admin()
	big := strings.Repeat("x", 9<<20)
	cases := []struct {
		method, path, token, body string
		status                    int
	}{
		{"POST", "/services/oauth2/token", "", "%zz=%%", 400},
		{"POST", "/services/oauth2/token", "", "grant_type=password&" + big, 400},
		{"POST", "/services/data/v62.0/sobjects/Account", tok, `{"Name":"` + big + `"}`, 413},
		{"POST", "/services/data/v62.0/composite", tok, `{"compositeRequest":"nope"}`, 400},
		{"POST", "/services/data/v62.0/composite/batch", tok, `{"batchRequests":[]}`, 400},
		{"PATCH", "/services/data/v62.0/sobjects/User/005notanid", tok, `{}`, 404},
		{"GET", "/services/data/v62.0/query/", tok, "", 400},
		{"POST", "/services/Soap/u/62.0", "", "<?xml version='1.0'?><a><b></a>", 500},
		{"GET", "/services/oauth2/authorize?client_id=nope", "", "", 400},
		{"POST", "/cometd/62.0", tok, "{", 400},
	}
	for _, c := range cases {
		r := e.do(c.method, c.path, c.token, c.body, "Content-Type", "application/json")
		if r.status != c.status {
			t.Errorf("%s %s: %d, want %d (%.200s)", c.method, c.path, r.status, c.status, r.body)
		}
	}
}

// TestRolledBackChangesSendNoEvents checks that a user change rolled back
// by an all-or-none composite request never reaches CometD subscribers.
func TestRolledBackChangesSendNoEvents(t *testing.T) {
	e := start(t)
	tok := e.admin()
	intID := e.userID(tok, intUser)
	e.do("POST", v+"composite", tok, map[string]any{"allOrNone": true, "compositeRequest": []map[string]any{
		{"method": "PATCH", "url": v + "sobjects/User/" + intID, "referenceId": "off", "body": map[string]any{"IsActive": false}},
		{"method": "POST", "url": v + "sobjects/Contact", "referenceId": "bad", "body": map[string]any{}},
	}})
	if r := e.do("PATCH", v+"sobjects/User/"+intID, tok, map[string]any{"FirstName": "Committed"}); r.status != 204 {
		t.Fatalf("committed change: %d %s", r.status, r.body)
	}
	bayeux := func(msgs ...map[string]any) []map[string]any {
		t.Helper()
		var out []map[string]any
		e.do("POST", "/cometd/62.0", tok, msgs).json(t, &out)
		return out
	}
	client := bayeux(map[string]any{"channel": "/meta/handshake"})[0]["clientId"].(string)
	bayeux(map[string]any{"channel": "/meta/subscribe", "clientId": client, "subscription": "/data/UserChangeEvent",
		"ext": map[string]any{"replay": map[string]int{"/data/UserChangeEvent": -2}}})
	var changed []string
	for _, m := range bayeux(map[string]any{"channel": "/meta/connect", "clientId": client}) {
		if m["channel"] != "/data/UserChangeEvent" {
			continue
		}
		header := m["data"].(map[string]any)["payload"].(map[string]any)["ChangeEventHeader"].(map[string]any)
		changed = append(changed, toStrings(header["changedFields"])...)
	}
	if !slices.Contains(changed, "FirstName") || slices.Contains(changed, "IsActive") {
		t.Errorf("changed fields delivered = %v, want FirstName and not the rolled-back IsActive", changed)
	}
}
