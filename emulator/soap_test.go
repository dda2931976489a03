package emulator_test

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func soapLogin(user, password string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header/><se:Body>
<login xmlns="urn:partner.soap.sforce.com"><username>` + user + `</username><password>` + password + `</password></login>
</se:Body></se:Envelope>`
}

// grab extracts an element the way jsforce does: an unprefixed regexp.
func grab(body []byte, el string) string {
	m := regexp.MustCompile(`<` + el + `>([^<]*)</` + el + `>`).FindSubmatch(body)
	if m == nil {
		return ""
	}
	return string(m[1])
}

func TestSOAPLogin(t *testing.T) {
	e := start(t)
	r := e.do("POST", "/services/Soap/u/62.0", "", soapLogin(adminUser, adminPass+adminToken), "SOAPAction", `""`)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/xml") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	sid, server := grab(r.body, "sessionId"), grab(r.body, "serverUrl")
	if !strings.HasPrefix(sid, orgID+"!") || !strings.HasPrefix(server, e.URL+"/services/Soap/u/62.0/") ||
		grab(r.body, "passwordExpired") != "false" || grab(r.body, "organizationId") != orgID || !strings.HasPrefix(grab(r.body, "userId"), "005") {
		t.Fatalf("login result: %s", r.body)
	}
	// The SOAP session works on REST too, as in Salesforce.
	if rr := e.do("GET", "/services/data/v62.0/limits", sid, nil); rr.status != 200 {
		t.Errorf("REST with SOAP session: %d", rr.status)
	}
	// simple-salesforce sends SOAPAction: login and other prefixes.
	body := strings.NewReplacer("se:", "soapenv:", "xmlns:se", "xmlns:soapenv").Replace(soapLogin(adminUser, adminPass+adminToken))
	if rr := e.do("POST", "/services/Soap/u/62.0", "", body, "SOAPAction", "login"); rr.status != 200 {
		t.Errorf("soapenv prefix: %d %s", rr.status, rr.body)
	}
	rows := records(e.query(sid, "SELECT LoginType, ApiType, ApiVersion FROM LoginHistory WHERE ApiType = 'SOAP Partner'"))
	if len(rows) != 2 || rows[0]["ApiVersion"] != "62.0" {
		t.Errorf("LoginHistory for SOAP logins: %v", rows)
	}
}

func TestSOAPFaults(t *testing.T) {
	e := start(t)
	tests := []struct {
		name, user, password, path, code string
	}{
		{"bad password", adminUser, "wrong", "/services/Soap/u/62.0", "INVALID_LOGIN"},
		{"unknown user", "nobody@acme.test", "x", "/services/Soap/u/62.0", "INVALID_LOGIN"},
		{"missing token", adminUser, adminPass, "/services/Soap/u/62.0", "LOGIN_MUST_USE_SECURITY_TOKEN"},
		{"outside IP range", legacyUser, legacyPass + legacyToken, "/services/Soap/u/62.0", "LOGIN_DURING_RESTRICTED_DOMAIN"},
		{"no API Enabled", "noapi@acme.test", "NoApi-Passw0rd1NOAPITOKEN", "/services/Soap/c/62.0", "API_CURRENTLY_DISABLED"},
		{"login() removed in 65.0", adminUser, adminPass + adminToken, "/services/Soap/u/65.0", "UNSUPPORTED_API_VERSION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", tt.path, "", soapLogin(tt.user, tt.password))
			if r.status != 500 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			// jsforce reads the unprefixed faultstring; simple-salesforce
			// reads sf:exceptionCode literally.
			if fs := grab(r.body, "faultstring"); !strings.HasPrefix(fs, tt.code+": ") {
				t.Errorf("faultstring %q", fs)
			}
			if c := grab(r.body, "sf:exceptionCode"); c != tt.code {
				t.Errorf("sf:exceptionCode %q, want %s", c, tt.code)
			}
			if !strings.Contains(string(r.body), `xmlns:sf="urn:fault.`) {
				t.Errorf("fault namespace missing: %s", r.body)
			}
		})
	}
	if fs := grab(e.do("POST", "/services/Soap/u/62.0", "", soapLogin(adminUser, "wrong")).body, "faultstring"); fs != "INVALID_LOGIN: Invalid username, password, security token; or user locked out." {
		t.Errorf("INVALID_LOGIN text: %q", fs)
	}
	e.Control(t, "PATCH", "orgs/Acme/settings", map[string]any{"soapLoginAllowed": false}, nil)
	r := e.do("POST", "/services/Soap/u/62.0", "", soapLogin(adminUser, adminPass+adminToken))
	if fs := grab(r.body, "faultstring"); fs != "INVALID_OPERATION: SOAP API login() is disabled by default in this org." {
		t.Errorf("SOAP disabled: %q", fs)
	}
	for _, bad := range []string{"<not xml", "<Envelope><Body></Body></Envelope>", ""} {
		if r := e.do("POST", "/services/Soap/u/62.0", "", bad); r.status != 500 || grab(r.body, "faultcode") != "soapenv:Client" {
			t.Errorf("malformed %q: %d %s", bad, r.status, r.body)
		}
	}
}

func TestSOAPExpiredPasswordAndSetPassword(t *testing.T) {
	e := start(t)
	e.Control(t, "PATCH", "orgs/Acme/users/"+legacyUser, map[string]any{"passwordExpired": true}, nil)
	// An expired password is not a fault: a restricted session results.
	e.Control(t, "PATCH", "orgs/Acme/profiles/Legacy", map[string]any{"permissions": map[string]bool{"ApiEnabled": true}}, nil)
	var orgs []struct {
		Users []struct{ ID, Username string }
	}
	e.Control(t, "GET", "orgs", nil, &orgs)
	var legacyID string
	for _, u := range orgs[0].Users {
		if u.Username == legacyUser {
			legacyID = u.ID
		}
	}
	// legacy is IP-restricted; use the admin to expire instead.
	e.Control(t, "PATCH", "orgs/Acme/users/"+intUser, map[string]any{"passwordExpired": true}, nil)
	r := e.do("POST", "/services/Soap/u/62.0", "", soapLogin(intUser, intPass+intToken))
	if r.status != 200 || grab(r.body, "passwordExpired") != "true" {
		t.Fatalf("expired login: %d %s", r.status, r.body)
	}
	sid, uid := grab(r.body, "sessionId"), grab(r.body, "userId")
	rr := e.do("GET", "/services/data/v62.0/limits", sid, nil)
	if code, _ := restErr(t, rr); code != "INVALID_OPERATION_WITH_EXPIRED_PASSWORD" {
		t.Errorf("REST with restricted session: %s", rr.body)
	}
	setPw := func(sid, uid, pw string) response {
		return e.do("POST", "/services/Soap/u/62.0", "", `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Header><urn:SessionHeader><urn:sessionId>`+sid+`</urn:sessionId></urn:SessionHeader></soapenv:Header><soapenv:Body><urn:setPassword><urn:userId>`+uid+`</urn:userId><urn:password>`+pw+`</urn:password></urn:setPassword></soapenv:Body></soapenv:Envelope>`)
	}
	if r := setPw(sid, legacyID, "Whatever-123"); r.status != 500 {
		t.Errorf("restricted session set another user's password: %d", r.status)
	}
	if r := setPw(sid, uid, "short"); grab(r.body, "sf:exceptionCode") != "INVALID_NEW_PASSWORD" {
		t.Errorf("weak password: %s", r.body)
	}
	if r := setPw(sid, uid, "New-Passw0rd-2026"); r.status != 200 {
		t.Fatalf("setPassword: %d %s", r.status, r.body)
	}
	// A new security token was mailed; the old one no longer works.
	var mail []struct{ Subject, SecurityToken string }
	e.Control(t, "GET", "mailbox/"+intUser, nil, &mail)
	if len(mail) != 1 || mail[0].SecurityToken == "" || mail[0].SecurityToken == intToken {
		t.Fatalf("mailbox: %+v", mail)
	}
	if r := e.do("POST", "/services/Soap/u/62.0", "", soapLogin(intUser, "New-Passw0rd-2026"+intToken)); r.status != 500 {
		t.Errorf("old token still accepted")
	}
	if r := e.do("POST", "/services/Soap/u/62.0", "", soapLogin(intUser, "New-Passw0rd-2026"+mail[0].SecurityToken)); r.status != 200 || grab(r.body, "passwordExpired") != "false" {
		t.Errorf("login with new password and token: %d %s", r.status, r.body)
	}
}

func TestSOAPResetPassword(t *testing.T) {
	e := start(t)
	admin := grab(e.do("POST", "/services/Soap/u/62.0", "", soapLogin(adminUser, adminPass+adminToken)).body, "sessionId")
	var orgs []struct {
		Users []struct{ ID, Username string }
	}
	e.Control(t, "GET", "orgs", nil, &orgs)
	var intID string
	for _, u := range orgs[0].Users {
		if u.Username == intUser {
			intID = u.ID
		}
	}
	r := e.do("POST", "/services/Soap/u/62.0", "", `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Header><SessionHeader xmlns="urn:partner.soap.sforce.com"><sessionId>`+admin+`</sessionId></SessionHeader></Header><Body><resetPassword xmlns="urn:partner.soap.sforce.com"><userId>`+intID+`</userId></resetPassword></Body></Envelope>`)
	tmp := grab(r.body, "password")
	if r.status != 200 || tmp == "" {
		t.Fatalf("resetPassword: %d %s", r.status, r.body)
	}
	var mail []struct{ Password, SecurityToken string }
	e.Control(t, "GET", "mailbox/"+intUser, nil, &mail)
	if len(mail) != 1 || mail[0].Password != tmp {
		t.Fatalf("reset e-mail: %+v", mail)
	}
	login := e.do("POST", "/services/Soap/u/62.0", "", soapLogin(intUser, tmp+mail[0].SecurityToken))
	if grab(login.body, "passwordExpired") != "true" {
		t.Errorf("a temporary password must be changed at first login: %s", login.body)
	}
	audit := records(e.query(e.admin(), "SELECT Action, Display FROM SetupAuditTrail WHERE Action = 'resetpassword'"))
	if len(audit) != 1 || !strings.Contains(audit[0]["Display"].(string), intUser) {
		t.Errorf("audit trail: %v", audit)
	}
	_ = time.Second
}
