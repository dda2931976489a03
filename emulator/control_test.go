package emulator_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/emulator"
)

func TestControlOrgsAndUsers(t *testing.T) {
	e := start(t)
	var orgs []emulator.OrgInfo
	e.Control(t, "GET", "orgs", nil, &orgs)
	if len(orgs) != 1 || orgs[0].ID != orgID || len(orgs[0].Users) != 4 || len(orgs[0].ConnectedApps) != 3 {
		t.Fatalf("orgs: %+v", orgs)
	}
	var u emulator.UserInfo
	e.Control(t, "PATCH", "orgs/"+orgID+"/users/"+intUser, map[string]any{"active": false, "frozen": true, "passwordLocked": true, "profile": "No API", "passwordExpired": true}, &u)
	if u.Active || !u.Frozen || !u.PasswordLocked || !u.PasswordExpired || u.Profile != "No API" {
		t.Errorf("after PATCH: %+v", u)
	}
	// 15-character ids and names address orgs too.
	e.Control(t, "PATCH", "orgs/"+orgID[:15]+"/users/"+intUser, map[string]any{"active": true, "frozen": false, "passwordLocked": false, "passwordExpired": false}, &u)
	if !u.Active || u.Frozen || u.PasswordLocked || u.PasswordExpired {
		t.Errorf("after undo: %+v", u)
	}
	e.Control(t, "PUT", "orgs/Acme/users/"+intUser+"/permissionsets/Extra", nil, &u)
	e.Control(t, "PUT", "orgs/Acme/users/"+intUser+"/permissionsets/Extra", nil, &u) // idempotent
	if strings.Join(u.PermissionSets, ",") != "Invoice_API,Extra" {
		t.Errorf("permission sets: %v", u.PermissionSets)
	}
	e.Control(t, "DELETE", "orgs/Acme/users/"+intUser+"/permissionsets/Invoice_API", nil, &u)
	if strings.Join(u.PermissionSets, ",") != "Extra" {
		t.Errorf("after DELETE: %v", u.PermissionSets)
	}
	audit := records(e.query(e.admin(), "SELECT Action, CreatedBy.Username FROM SetupAuditTrail ORDER BY CreatedDate"))
	var actions []string
	for _, a := range audit {
		actions = append(actions, a["Action"].(string))
		if a["CreatedBy"].(map[string]any)["Username"] != adminUser {
			t.Errorf("audit row by %v", a["CreatedBy"])
		}
	}
	if got := strings.Join(actions, ","); got != "deactivateduser,frozeuser,changedprofileforuser,activateduser,unfrozeuser,unlockeduser,PermSetAssign,PermSetUnassign" {
		t.Errorf("audit actions: %s", got)
	}
	bad := []struct {
		method, path string
		body         any
		status       int
		contains     string
	}{
		{"GET", "orgs/nope", nil, 404, `no org \"nope\"`},
		{"PATCH", "orgs/Acme/users/nobody@acme.test", map[string]any{"active": false}, 404, "no user"},
		{"PATCH", "orgs/Acme/users/" + intUser, map[string]any{"activ": false}, 400, `unknown field \"activ\"`},
		{"PATCH", "orgs/Acme/users/" + intUser, map[string]any{"profile": "Nope"}, 400, "profile: no profile"},
		{"PUT", "orgs/Acme/users/" + intUser + "/permissionsets/Nope", nil, 404, "no permission set"},
		{"POST", "orgs/Acme/refresh-tokens", map[string]any{"username": intUser, "app": "Nope"}, 400, "app: no connected app"},
		{"POST", "clock", map[string]any{"advance": "-5m"}, 400, "advance"},
		{"POST", "faults", map[string]any{"kind": "explode"}, 400, "kind"},
		{"PATCH", "orgs/Acme/permissionsets/Extra", map[string]any{"permissions": map[string]bool{"Fly": true}}, 400, "unknown system permission"},
		{"GET", "nope", nil, 404, "no control endpoint"},
	}
	for _, b := range bad {
		status, body := e.ControlStatus(t, b.method, b.path, b.body)
		if status != b.status || !strings.Contains(string(body), b.contains) {
			t.Errorf("%s %s: %d %s", b.method, b.path, status, body)
		}
	}
}

func TestControlUsageRevokeAndRefreshTokens(t *testing.T) {
	e := start(t)
	e.Control(t, "DELETE", "orgs/Acme/usage", nil, nil)
	tok := e.admin()
	e.do("GET", "/services/data/v62.0/limits", tok, nil)
	e.do("GET", "/services/data/v62.0/limits", tok, nil)
	u := e.Usage(t, "Acme")
	if u.APIRequests != 2 || u.Logins != 1 || u.LoginsByUser[adminUser] != 1 {
		t.Errorf("usage: %+v", u)
	}
	var out map[string]string
	e.Control(t, "POST", "orgs/Acme/refresh-tokens", map[string]string{"username": intUser, "app": "Warden"}, &out)
	rt := out["refresh_token"]
	access := e.token(refreshGrant(appKey, rt)).object(t)["access_token"].(string)
	// OauthToken lists the grant.
	rows := records(e.query(tok, "SELECT AppName, User.Username FROM OauthToken WHERE User.Username = '"+intUser+"' AND AppName = 'Warden'"))
	if len(rows) != 1 || rows[0]["AppName"] != "Warden" {
		t.Errorf("OauthToken: %v", rows)
	}
	e.Control(t, "POST", "orgs/Acme/revoke", map[string]string{"username": intUser}, nil)
	if r := e.token(refreshGrant(appKey, rt)); r.status != 400 {
		t.Errorf("revoked refresh token still works")
	}
	if r := e.do("GET", "/services/data/v62.0/limits", access, nil); r.status != 401 {
		t.Errorf("revoked session still works")
	}
	e.Control(t, "DELETE", "orgs/Acme/usage", nil, nil)
	if u := e.Usage(t, "Acme"); u.APIRequests != 0 || u.Logins != 0 {
		t.Errorf("after reset: %+v", u)
	}
}

func TestControlClockPasswordExpiry(t *testing.T) {
	e := start(t)
	tok := e.admin()
	admin := records(e.query(tok, "SELECT Id FROM User WHERE Username = '"+adminUser+"'"))[0]["Id"].(string)
	path := "/services/data/v62.0/sobjects/User/" + admin + "/password"
	before := e.Now()
	var clock struct{ Now time.Time }
	e.Control(t, "POST", "clock", map[string]string{"advance": "2159h"}, &clock) // 89.96 days
	if clock.Now.Sub(before) < 2159*time.Hour {
		t.Fatalf("clock: %v", clock.Now)
	}
	tok = e.admin()
	if m := e.do("GET", path, tok, nil).object(t); m["isExpired"] != false {
		t.Fatalf("expired too early")
	}
	e.Control(t, "POST", "clock", map[string]string{"advance": "2h"}, nil)
	// The admin profile has no PasswordNeverExpires: the OAuth password
	// flow refuses an expired password; SOAP logs in with passwordExpired.
	if r := e.token(passwordGrant(adminUser, adminPass+adminToken)); r.status != 400 {
		t.Fatalf("expired password accepted by OAuth: %s", r.body)
	}
	if r := e.do("POST", "/services/Soap/u/62.0", "", soapLogin(adminUser, adminPass+adminToken)); grab(r.body, "passwordExpired") != "true" {
		t.Fatalf("SOAP: %s", r.body)
	}
	// The integration profile says password never expires.
	if r := e.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {appKey}, "client_secret": {appSecret}}); r.status != 200 {
		t.Errorf("never-expiring integration user: %s", r.body)
	}
	if r := e.token(passwordGrant(intUser, intPass+intToken)); r.status != 200 {
		t.Errorf("never-expiring integration user, password flow: %s", r.body)
	}
	status, _ := e.ControlStatus(t, "POST", "clock", map[string]any{"set": before.Add(-time.Hour)})
	if status != 400 {
		t.Errorf("clock moved backwards: %d", status)
	}
}

func TestLoginHoursWithClock(t *testing.T) {
	s := testSeed(t)
	now := time.Now().UTC()
	// Allowed only during the hour two hours from now, every day.
	start := (now.Hour() + 2) % 24
	hours := map[string]string{}
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		hours[d] = time.Date(0, 1, 1, start, 0, 0, 0, time.UTC).Format("15:04") + "-" + time.Date(0, 1, 1, start, 59, 0, 0, time.UTC).Format("15:04")
	}
	s.Orgs[0].Profiles[1].LoginHours = hours
	e := &env{t: t, Emulator: startSeed(t, s)}
	r := e.token(passwordGrant(intUser, intPass+intToken))
	if m := r.object(t); m["error_description"] != "IP restricted or invalid login hours" {
		t.Fatalf("outside hours: %v", m)
	}
	e.Advance(time.Duration(120-now.Minute()+5) * time.Minute)
	if r := e.token(passwordGrant(intUser, intPass+intToken)); r.status != 200 {
		t.Fatalf("inside hours: %s", r.body)
	}
	rows := records(e.query(e.admin(), "SELECT Status FROM LoginHistory WHERE Status = 'Restricted time'"))
	if len(rows) != 1 {
		t.Errorf("Restricted time rows: %v", rows)
	}
}

func TestFaults(t *testing.T) {
	e := start(t)
	tok := e.admin()
	var f emulator.Fault
	e.Control(t, "POST", "faults", map[string]any{"path": "/services/data/", "kind": "status", "status": 503, "count": 2}, &f)
	for i := 0; i < 2; i++ {
		if r := e.do("GET", "/services/data/v62.0/limits", tok, nil); r.status != 503 {
			t.Errorf("fault %d: %d", i, r.status)
		}
	}
	if r := e.do("GET", "/services/data/v62.0/limits", tok, nil); r.status != 200 {
		t.Errorf("after count: %d", r.status)
	}
	var list []emulator.Fault
	e.Control(t, "GET", "faults", nil, &list)
	if len(list) != 1 || list[0].Hits != 2 {
		t.Errorf("faults: %+v", list)
	}
	e.Control(t, "DELETE", "faults/"+f.ID, nil, nil)

	e.Control(t, "POST", "faults", map[string]any{"path": "/services/data/*/limits", "kind": "limit"}, nil)
	r := e.do("GET", "/services/data/v62.0/limits", tok, nil)
	if code, _ := restErr(t, r); r.status != 403 || code != "REQUEST_LIMIT_EXCEEDED" {
		t.Errorf("limit fault: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/services/data/v62.0/", tok, nil); r.status != 200 {
		t.Errorf("pattern matched too much: %d", r.status)
	}
	e.Control(t, "DELETE", "faults", nil, nil)

	e.Control(t, "POST", "faults", map[string]any{"path": "/services/data/", "kind": "malformed", "method": "GET"}, nil)
	r = e.do("GET", "/services/data/v62.0/limits", tok, nil)
	var v any
	if r.status != 200 || json.Unmarshal(r.body, &v) == nil {
		t.Errorf("malformed fault: %d %s", r.status, r.body)
	}
	e.Control(t, "DELETE", "faults", nil, nil)

	e.Control(t, "POST", "faults", map[string]any{"path": "/services/oauth2/token", "kind": "drop"}, nil)
	req, _ := http.NewRequest("POST", e.URL+"/services/oauth2/token", bytes.NewReader(nil))
	if resp, err := e.HTTP.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("drop fault: got a response %d", resp.StatusCode)
	}
	e.Control(t, "DELETE", "faults", nil, nil)

	e.Control(t, "POST", "faults", map[string]any{"path": "/services/data/", "kind": "latency", "latency": "150ms"}, nil)
	t0 := time.Now()
	if r := e.do("GET", "/services/data/v62.0/limits", tok, nil); r.status != 200 || time.Since(t0) < 150*time.Millisecond {
		t.Errorf("latency fault: %d after %v", r.status, time.Since(t0))
	}
	e.Control(t, "DELETE", "faults", nil, nil)

	e.Control(t, "POST", "faults", map[string]any{"path": "/services/data/", "kind": "status", "status": 500, "probability": 0.5}, nil)
	fails := 0
	for i := 0; i < 200; i++ {
		if e.do("GET", "/services/data/v62.0/", tok, nil).status == 500 {
			fails++
		}
	}
	if fails < 60 || fails > 140 {
		t.Errorf("probability 0.5 failed %d of 200", fails)
	}
}

func TestMailboxAndTokenReset(t *testing.T) {
	e := start(t)
	e.Control(t, "POST", "orgs/Acme/users/"+intUser+"/reset-token", nil, nil)
	var mail []emulator.Mail
	e.Control(t, "GET", "mailbox/"+intUser, nil, &mail)
	if len(mail) != 1 || mail[0].SecurityToken == "" || mail[0].To != intUser || !strings.Contains(mail[0].Body, mail[0].SecurityToken) {
		t.Fatalf("mailbox: %+v", mail)
	}
	if r := e.token(passwordGrant(intUser, intPass+mail[0].SecurityToken)); r.status != 200 {
		t.Errorf("new token: %s", r.body)
	}
	e.Control(t, "GET", "mailbox/nobody@acme.test", nil, &mail)
	if len(mail) != 0 {
		t.Errorf("empty mailbox: %v", mail)
	}
}
