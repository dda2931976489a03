package salesforce

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// TestDecodeErrorShapes covers error bodies and codes that the emulator
// does not produce (documented Salesforce variants), complementing the
// end-to-end cause table in causes_test.go.
func TestDecodeErrorShapes(t *testing.T) {
	fault := func(code, msg string) string {
		return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:` +
			code + `</faultcode><faultstring>` + code + `: ` + msg + `</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>` +
			code + `</sf:exceptionCode><sf:exceptionMessage>` + msg + `</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`
	}
	cases := []struct {
		name   string
		src    source
		status int
		body   string
		code   string
		msg    string
		cause  warden.Cause
	}{
		{"inactive org", srcToken, 400, `{"error":"inactive_org","error_description":"Org is locked, closed, or suspended"}`,
			"inactive_org", "Org is locked, closed, or suspended", warden.CauseOrgUnavailable},
		{"inactive_user code", srcToken, 400, `{"error":"inactive_user","error_description":"User is inactive"}`,
			"inactive_user", "User is inactive", warden.CauseUserDeactivated},
		{"old-style token required", srcToken, 400, `{"error":"invalid_grant","error_description":"authentication failure - Failed: API security token required"}`,
			"invalid_grant", "authentication failure - Failed: API security token required", warden.CauseSecurityTokenRequired},
		{"old-style frozen", srcToken, 400, `{"error":"invalid_grant","error_description":"authentication failure - User is Frozen"}`,
			"invalid_grant", "authentication failure - User is Frozen", warden.CauseUserFrozen},
		{"old-style invalid password", srcToken, 400, `{"error":"invalid_grant","error_description":"authentication failure - Invalid Password"}`,
			"invalid_grant", "authentication failure - Invalid Password", warden.CauseCredentialRejected},
		{"lower-case ip", srcToken, 400, `{"error":"invalid_grant","error_description":"ip restricted or invalid login hours"}`,
			"invalid_grant", "ip restricted or invalid login hours", warden.CauseIPOrHoursRestricted},
		{"flow disabled description", srcToken, 400, `{"error":"invalid_grant","error_description":"Username-Password Flow Disabled"}`,
			"invalid_grant", "Username-Password Flow Disabled", warden.CauseLegacyAuthDisabled},
		{"invalid user credentials", srcToken, 400, `{"error":"invalid_grant","error_description":"invalid user credentials"}`,
			"invalid_grant", "invalid user credentials", warden.CauseCredentialRejected},
		{"wrong domain", srcToken, 400, `{"error":"invalid_grant","error_description":"request not supported on this domain"}`,
			"invalid_grant", "request not supported on this domain", warden.CauseCredentialRejected},
		{"invalid scope", srcToken, 400, `{"error":"invalid_scope","error_description":"Requested scope is invalid, unknown, or malformed"}`,
			"invalid_scope", "Requested scope is invalid, unknown, or malformed", warden.CauseCredentialRejected},
		{"token endpoint html 502", srcToken, 502, `<html><body><h1>Bad Gateway</h1></body></html>`,
			"ERROR_HTTP_502", "Bad Gateway", warden.CauseOrgUnavailable},
		{"REST single object", srcREST, 403, `{"message":"The REST API is not enabled for this Organization.","errorCode":"API_DISABLED_FOR_ORG"}`,
			"API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization.", warden.CauseAPIPermissionMissing},
		{"REST array, several", srcREST, 400, `[{"message":"a","errorCode":"INSUFFICIENT_ACCESS_OR_READONLY"},{"message":"b","errorCode":"X"}]`,
			"INSUFFICIENT_ACCESS_OR_READONLY", "a (and 1 more errors)", warden.CauseObjectPermissionMissing},
		{"REST plain text", srcREST, 503, `Service temporarily unavailable`,
			"ERROR_HTTP_503", "Service temporarily unavailable", warden.CauseOrgUnavailable},
		{"REST empty 500", srcREST, 500, ``, "ERROR_HTTP_500", "Internal Server Error", warden.CauseOrgUnavailable},
		{"REST not found", srcREST, 404, `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`,
			"NOT_FOUND", "The requested resource does not exist", warden.CauseNone},
		{"REST gone", srcREST, 410, `[{"errorCode":"GONE","message":"retired"}]`, "GONE", "retired", warden.CauseNone},
		{"userinfo bad token", srcOAuth, 403, `Bad_OAuth_Token`, "ERROR_HTTP_403", "Bad_OAuth_Token", warden.CauseCredentialRejected},
		{"revoke form-encoded", srcOAuth, 400, `error=unsupported_token_type&error_description=this+token+type+is+not+supported`,
			"unsupported_token_type", "this token type is not supported", warden.CauseNone},
		{"SOAP lockout", srcSOAPLogin, 500, fault("PASSWORD_LOCKOUT", "Your account has been locked."),
			"PASSWORD_LOCKOUT", "Your account has been locked.", warden.CausePasswordLocked},
		{"SOAP org locked", srcSOAPLogin, 500, fault("ORG_LOCKED", "org locked"), "ORG_LOCKED", "org locked", warden.CauseOrgUnavailable},
		{"SOAP API disabled for org", srcSOAPLogin, 500, fault("API_DISABLED_FOR_ORG", "API is not enabled for this Organization or Partner"),
			"API_DISABLED_FOR_ORG", "API is not enabled for this Organization or Partner", warden.CauseAPIPermissionMissing},
		{"SOAP request limit outside login", srcSOAP, 500, fault("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
			"REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", warden.CauseAPILimitExhausted},
		{"SOAP fault without detail", srcSOAPLogin, 500,
			`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>Server busy</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
			"Server", "Server busy", warden.CauseOrgUnavailable},
		{"SOAP client fault", srcSOAP, 500,
			`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>malformed</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
			"Client", "malformed", warden.CauseNone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eb := decodeError(tc.status, []byte(tc.body))
			if eb.code != tc.code || eb.message != tc.msg {
				t.Errorf("decoded %q %q, want %q %q", eb.code, eb.message, tc.code, tc.msg)
			}
			if c := causeOf(tc.src, tc.status, eb.code, eb.message); c != tc.cause {
				t.Errorf("cause %q, want %q", c, tc.cause)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	got := redact("token 00D5g000000EmuAEAS!AQabc.def_1 and pw Secret123 here", []string{"Secret123", "x"})
	if got != "token [redacted access token] and pw [redacted] here" {
		t.Errorf("redact = %q", got)
	}
}

// TestTextAndStamp covers the readers' field types, whose string fast path
// must agree with encoding/json.
func TestTextAndStamp(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{`"plain"`, "plain"},
		{`""`, ""},
		{`"tab\there"`, "tab\there"},
		{`"quote \" and \\ slash"`, `quote " and \ slash`},
		{`"\u00e9t\u00e9"`, "été"},
		{`"ünïcode"`, "ünïcode"},
		{`null`, ""},
		{`42`, "42"},
		{`true`, "true"},
	}
	for _, tt := range tests {
		var row struct {
			V text `json:"v"`
		}
		if err := json.Unmarshal([]byte(`{"v":`+tt.in+`}`), &row); err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if string(row.V) != tt.want {
			t.Errorf("%s: %q, want %q", tt.in, row.V, tt.want)
		}
	}
	var st struct {
		A stamp `json:"a"`
		B stamp `json:"b"`
		C stamp `json:"c"`
	}
	if err := json.Unmarshal([]byte(`{"a":"2026-12-03T10:11:12.000+0000","b":null,"c":"not a time"}`), &st); err != nil {
		t.Fatal(err)
	}
	if got := time.Time(st.A).UTC(); !got.Equal(time.Date(2026, 12, 3, 10, 11, 12, 0, time.UTC)) {
		t.Errorf("stamp: %v", got)
	}
	if !time.Time(st.B).IsZero() || !time.Time(st.C).IsZero() {
		t.Errorf("null or unreadable stamps: %v %v", time.Time(st.B), time.Time(st.C))
	}
}
