package salesforce

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/wardenhq/warden"
)

// Error is a failed Salesforce call. Every error this package returns is an
// *Error (or wraps one). Code and Message are what Salesforce sent (the
// OAuth "error" and "error_description", the REST "errorCode" and
// "message", or the SOAP "exceptionCode" and "exceptionMessage"), kept for
// display; Cause is Warden's interpretation of them. Secrets (passwords,
// security tokens, access and refresh tokens, client secrets, JWT
// assertions) never appear in an Error.
type Error struct {
	// Op is the operation that failed, such as "salesforce.Query".
	Op string
	// Status is the HTTP status of the response, or 0 when there was none
	// (connection failures, timeouts, calls refused locally).
	Status int
	// Code is Salesforce's error code: an OAuth error ("invalid_grant"), a
	// REST errorCode ("INVALID_SESSION_ID") or a SOAP exceptionCode
	// ("INVALID_LOGIN"). It is "ERROR_HTTP_<status>" for bodies that are not
	// Salesforce errors, and empty for transport failures.
	Code string
	// Message is Salesforce's message, or a description of the transport
	// failure.
	Message string
	// Cause is the health cause the failure proves, or warden.CauseNone
	// when it proves none (a malformed query, a missing record, a canceled
	// context).
	Cause warden.Cause

	kind       string // warden kind when Cause and Status do not decide it
	err        error  // underlying transport or callback error, for errors.Is
	notSent    bool   // the request never reached the server (dial failure)
	retryAfter string // Retry-After header of the response, if any
}

// Error returns the operation, the raw code and message, and the cause.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Op != "" {
		b.WriteString(": ")
	}
	if e.Code != "" {
		b.WriteString(e.Code)
		if e.Message != "" {
			b.WriteString(": ")
		}
	}
	b.WriteString(e.Message)
	if e.Cause != warden.CauseNone {
		b.WriteString(" (")
		b.WriteString(string(e.Cause))
		b.WriteString(")")
	}
	return b.String()
}

// Format implements fmt.Formatter: %+v adds the HTTP status and whether
// the cause is transient or permanent; the other verbs print Error(). The
// underlying error (reachable with errors.Is and errors.As) is never
// printed, since it may carry what the message leaves out on purpose.
func (e *Error) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('+'):
		fmt.Fprintf(f, "%s [status=%d cause=%q kind=%s transient=%t permanent=%t]", e.Error(), e.Status, e.Cause, e.Kind(), e.Transient(), e.Permanent())
	case verb == 'q':
		fmt.Fprintf(f, "%q", e.Error())
	default:
		fmt.Fprint(f, e.Error())
	}
}

// Transient reports whether the failure clears by itself (org unavailable,
// API or login rate limits), so the work should be retried later.
func (e *Error) Transient() bool { return e.Cause.Transient() }

// Permanent reports whether the failure needs an admin's fix.
func (e *Error) Permanent() bool { return e.Cause.Permanent() }

// Unwrap returns a *warden.Error whose kind fits the cause, so that
// warden.ErrorKind and warden.ExitCode work on Salesforce failures:
// EUNAUTHORIZED for credential causes, EFORBIDDEN for permission causes,
// EUNAVAILABLE for transient causes, and a kind from the HTTP status for
// failures without a cause.
func (e *Error) Unwrap() error {
	return &warden.Error{Kind: e.Kind(), Op: e.Op, Message: e.userMessage(), Err: e.err}
}

// Kind returns the warden error kind of e (one of the warden.E* constants).
func (e *Error) Kind() string {
	switch e.Cause {
	case warden.CauseUserDeactivated, warden.CauseUserFrozen, warden.CausePasswordLocked, warden.CausePasswordExpired,
		warden.CauseCredentialRejected, warden.CauseSecurityTokenRequired, warden.CauseRefreshTokenRevoked,
		warden.CauseLegacyAuthDisabled:
		return warden.EUNAUTHORIZED
	case warden.CauseAppNotApproved, warden.CauseIPOrHoursRestricted, warden.CauseAPIPermissionMissing,
		warden.CauseObjectPermissionMissing:
		return warden.EFORBIDDEN
	case warden.CauseLoginRateExceeded, warden.CauseOrgUnavailable, warden.CauseAPILimitExhausted:
		return warden.EUNAVAILABLE
	}
	if e.kind != "" {
		return e.kind
	}
	switch {
	case e.Status == http.StatusUnauthorized:
		return warden.EUNAUTHORIZED
	case e.Status == http.StatusForbidden:
		return warden.EFORBIDDEN
	case e.Status == http.StatusNotFound:
		return warden.ENOTFOUND
	case e.Status == http.StatusConflict || e.Status == http.StatusMultipleChoices || e.Status == http.StatusPreconditionFailed:
		return warden.ECONFLICT
	case e.Status >= 400 && e.Status < 500:
		return warden.EINVALID
	case e.Status >= 500:
		return warden.EUNAVAILABLE
	}
	return warden.EINTERNAL
}

// userMessage is the message of the warden.Error: Salesforce's words and
// the cause, without the operation (warden.Error adds it).
func (e *Error) userMessage() string {
	e2 := *e
	e2.Op = ""
	return e2.Error()
}

// source says which kind of endpoint answered, which decides how its error
// codes map to causes.
type source int

const (
	srcREST      source = iota // REST data API
	srcToken                   // OAuth token endpoint: a login
	srcSOAPLogin               // SOAP login()
	srcSOAP                    // other SOAP calls
	srcOAuth                   // other OAuth endpoints: revoke, introspect, userinfo, identity
)

// errorBody is the decoded error of a response.
type errorBody struct{ code, message string }

var tagPattern = regexp.MustCompile(`<[^>]*>`)

// decodeError reads Salesforce's error out of any of its body shapes: token
// endpoint JSON, REST arrays or single objects, SOAP faults, form-encoded
// revoke errors, and anything else (HTML from a proxy, plain text).
func decodeError(status int, body []byte) errorBody {
	b := bytes.TrimSpace(body)
	switch {
	case len(b) == 0:
		return errorBody{code: "ERROR_HTTP_" + strconv.Itoa(status), message: http.StatusText(status)}
	case b[0] == '[':
		var arr []struct {
			Message   string `json:"message"`
			ErrorCode string `json:"errorCode"`
		}
		if json.Unmarshal(b, &arr) == nil && len(arr) > 0 && (arr[0].ErrorCode != "" || arr[0].Message != "") {
			eb := errorBody{code: arr[0].ErrorCode, message: arr[0].Message}
			if len(arr) > 1 {
				eb.message += fmt.Sprintf(" (and %d more errors)", len(arr)-1)
			}
			return eb
		}
	case b[0] == '{':
		var obj struct {
			Message          string `json:"message"`
			ErrorCode        string `json:"errorCode"`
			Error            any    `json:"error"`
			ErrorDescription string `json:"error_description"`
		}
		if json.Unmarshal(b, &obj) == nil {
			if obj.ErrorCode != "" || obj.Message != "" {
				return errorBody{code: obj.ErrorCode, message: obj.Message}
			}
			if s, ok := obj.Error.(string); ok && s != "" {
				return errorBody{code: s, message: obj.ErrorDescription}
			}
		}
	case b[0] == '<':
		if eb, ok := decodeFault(b); ok {
			return eb
		}
		text := strings.Join(strings.Fields(tagPattern.ReplaceAllString(string(b), " ")), " ")
		return errorBody{code: "ERROR_HTTP_" + strconv.Itoa(status), message: clip(text)}
	default:
		if bytes.Contains(b, []byte("error=")) {
			if v, err := url.ParseQuery(string(b)); err == nil && v.Get("error") != "" {
				return errorBody{code: v.Get("error"), message: v.Get("error_description")}
			}
		}
	}
	return errorBody{code: "ERROR_HTTP_" + strconv.Itoa(status), message: clip(strings.Join(strings.Fields(string(b)), " "))}
}

func clip(s string) string {
	const max = 300
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// soapFaultXML is a SOAP 1.1 fault with Salesforce's detail element.
type soapFaultXML struct {
	FaultCode   string `xml:"faultcode"`
	FaultString string `xml:"faultstring"`
	Detail      struct {
		Fault struct {
			ExceptionCode    string `xml:"exceptionCode"`
			ExceptionMessage string `xml:"exceptionMessage"`
		} `xml:",any"`
	} `xml:"detail"`
}

// decodeFault reads a SOAP fault from a whole envelope.
func decodeFault(b []byte) (errorBody, bool) {
	var env struct {
		Body struct {
			Fault *soapFaultXML `xml:"Fault"`
		} `xml:"Body"`
	}
	if xml.Unmarshal(b, &env) != nil || env.Body.Fault == nil {
		return errorBody{}, false
	}
	return faultBody(env.Body.Fault), true
}

func faultBody(f *soapFaultXML) errorBody {
	code, msg := f.Detail.Fault.ExceptionCode, f.Detail.Fault.ExceptionMessage
	if code == "" {
		code = strings.TrimSpace(f.FaultCode)
		if _, c, ok := strings.Cut(code, ":"); ok {
			code = c
		}
		msg = f.FaultString
		if c, m, ok := strings.Cut(msg, ": "); ok && c == code {
			msg = m
		}
	}
	if msg == "" {
		msg = f.FaultString
	}
	return errorBody{code: code, message: msg}
}

// causeOf maps a Salesforce error to a health cause (DESIGN.md §6,
// reference §1.6, §2.3, §3.7).
func causeOf(src source, status int, code, msg string) warden.Cause {
	lm := strings.ToLower(msg)
	switch src {
	case srcToken:
		switch strings.ToLower(code) {
		case "inactive_org":
			return warden.CauseOrgUnavailable
		case "rate_limit_exceeded":
			return warden.CauseLoginRateExceeded
		case "inactive_user":
			return warden.CauseUserDeactivated
		case "invalid_client_id", "invalid_client":
			return warden.CauseCredentialRejected
		case "invalid_grant":
			if c := grantCause(lm); c != warden.CauseNone {
				return c
			}
			return warden.CauseCredentialRejected
		}
		switch {
		case status >= 500 || status == 0:
			return warden.CauseOrgUnavailable
		case status == http.StatusTooManyRequests:
			// A 429 without rate_limit_exceeded throttles the endpoint
			// (or the org), not the user's hourly logins.
			return warden.CauseOrgUnavailable
		}
		if c := grantCause(lm); c != warden.CauseNone {
			return c
		}
		// Any other refusal of a login (invalid_request, invalid_scope,
		// unsupported_grant_type, redirect_uri_mismatch, ...) means the
		// credential as configured does not work.
		return warden.CauseCredentialRejected
	case srcSOAPLogin, srcSOAP:
		login := src == srcSOAPLogin
		switch code {
		case "INVALID_LOGIN", "LOGIN_CHALLENGE_ISSUED", "LOGIN_CHALLENGE_PENDING", "INVALID_SESSION_ID":
			return warden.CauseCredentialRejected
		case "LOGIN_MUST_USE_SECURITY_TOKEN":
			return warden.CauseSecurityTokenRequired
		case "LOGIN_DURING_RESTRICTED_DOMAIN", "LOGIN_DURING_RESTRICTED_TIME":
			return warden.CauseIPOrHoursRestricted
		case "PASSWORD_LOCKOUT":
			return warden.CausePasswordLocked
		case "INVALID_OPERATION_WITH_EXPIRED_PASSWORD":
			return warden.CausePasswordExpired
		case "API_CURRENTLY_DISABLED", "API_DISABLED_FOR_ORG":
			return warden.CauseAPIPermissionMissing
		case "REQUEST_LIMIT_EXCEEDED":
			if login {
				return warden.CauseLoginRateExceeded
			}
			return requestLimitCause(status, lm)
		case "UNSUPPORTED_API_VERSION":
			if login {
				return warden.CauseLegacyAuthDisabled
			}
			return warden.CauseNone
		case "INVALID_OPERATION":
			if strings.Contains(lm, "login() is disabled") {
				return warden.CauseLegacyAuthDisabled
			}
		case "ORG_LOCKED", "SERVER_UNAVAILABLE", "Server":
			return warden.CauseOrgUnavailable
		case "INSUFFICIENT_ACCESS":
			return warden.CauseObjectPermissionMissing
		case "Client":
			return warden.CauseNone // a malformed request: our bug, not the user's state
		}
		if c := grantCause(lm); login && c != warden.CauseNone {
			return c
		}
		if status >= 500 && code == "ERROR_HTTP_"+strconv.Itoa(status) || status == 0 {
			return warden.CauseOrgUnavailable
		}
		if login {
			return warden.CauseCredentialRejected
		}
		return warden.CauseNone
	}
	switch code {
	case "REQUEST_LIMIT_EXCEEDED":
		return requestLimitCause(status, lm)
	case "API_CURRENTLY_DISABLED", "API_DISABLED_FOR_ORG":
		return warden.CauseAPIPermissionMissing
	case "INVALID_OPERATION_WITH_EXPIRED_PASSWORD":
		return warden.CausePasswordExpired
	case "INSUFFICIENT_ACCESS", "INSUFFICIENT_ACCESS_OR_READONLY", "INVALID_TYPE":
		return warden.CauseObjectPermissionMissing
	case "INVALID_SESSION_ID", "INVALID_AUTH_HEADER", "invalid_client", "invalid_client_id":
		return warden.CauseCredentialRejected
	case "SERVER_UNAVAILABLE", "inactive_org":
		return warden.CauseOrgUnavailable
	}
	switch {
	case status == http.StatusTooManyRequests:
		// Concurrency limits (ConcurrentPerOrgLongTxn and the like) answer
		// 429 without REQUEST_LIMIT_EXCEEDED: the daily allowance is not
		// used up, the org is busy.
		return warden.CauseOrgUnavailable
	case status >= 500:
		return warden.CauseOrgUnavailable
	case status == http.StatusUnauthorized || isBadOAuthToken(status, msg):
		return warden.CauseCredentialRejected
	}
	return warden.CauseNone
}

// requestLimitCause tells the two REQUEST_LIMIT_EXCEEDED answers apart:
// the daily allowance used up (403 "TotalRequests Limit exceeded.") is
// api_limit_exhausted; a concurrency limit ("ConcurrentPerOrgLongTxn
// Limit exceeded.", or any 429) only means the org is busy right now.
func requestLimitCause(status int, lm string) warden.Cause {
	if status == http.StatusTooManyRequests || strings.Contains(lm, "concurrent") {
		return warden.CauseOrgUnavailable
	}
	return warden.CauseAPILimitExhausted
}

// isBadOAuthToken reports the plain-text refusal of the userinfo and
// identity endpoints.
func isBadOAuthToken(status int, msg string) bool {
	return status == http.StatusForbidden && strings.TrimSpace(msg) == "Bad_OAuth_Token"
}

// grantCause maps the description of a refused login (the OAuth
// error_description, also in its older "authentication failure - <LoginHistory
// status>" form) to a cause, or CauseNone when it says nothing specific.
func grantCause(lm string) warden.Cause {
	switch {
	case strings.Contains(lm, "inactive user"), strings.Contains(lm, "inactive_user"), strings.Contains(lm, "user is inactive"):
		return warden.CauseUserDeactivated
	case strings.Contains(lm, "expired access/refresh token"):
		return warden.CauseRefreshTokenRevoked
	case strings.Contains(lm, "hasn't approved this consumer"), strings.Contains(lm, "has not approved this consumer"):
		return warden.CauseAppNotApproved
	case strings.Contains(lm, "ip restricted or invalid login hours"):
		return warden.CauseIPOrHoursRestricted
	case strings.Contains(lm, "api security token required"):
		return warden.CauseSecurityTokenRequired
	case strings.Contains(lm, "username-password flow disabled"):
		return warden.CauseLegacyAuthDisabled
	case strings.Contains(lm, "number of logins exceeded"), strings.Contains(lm, "login rate exceeded"):
		return warden.CauseLoginRateExceeded
	}
	if _, status, ok := strings.Cut(lm, "authentication failure - "); ok {
		return LoginStatusCause(status)
	}
	return warden.CauseNone
}

// LoginStatusCause maps a LoginHistory status (warden.Login.Status,
// reference §5.5) to the cause it proves, ignoring case and surrounding
// spaces. It is Warden's one table of login statuses: the monitor
// classifies recent failed logins with it, Diagnose the latest attempt,
// and a token endpoint's "authentication failure - <status>" goes through
// it too. Success, and statuses that prove no cause (such as
// "Multi-factor required"), map to warden.CauseNone.
func LoginStatusCause(status string) warden.Cause {
	return loginStatusCauses[strings.ToLower(strings.TrimSpace(status))]
}

// loginStatusCauses are the login statuses that prove a cause, in lower
// case.
var loginStatusCauses = map[string]warden.Cause{
	"user is inactive":                    warden.CauseUserDeactivated,
	"user is frozen":                      warden.CauseUserFrozen,
	"password lockout":                    warden.CausePasswordLocked,
	"password expired":                    warden.CausePasswordExpired,
	"failed: password expired":            warden.CausePasswordExpired,
	"login rate exceeded":                 warden.CauseLoginRateExceeded,
	"invalid password":                    warden.CauseCredentialRejected,
	"invalid login":                       warden.CauseCredentialRejected,
	"failed: api security token required": warden.CauseSecurityTokenRequired,
	"failed: oauth consumer not approved": warden.CauseAppNotApproved,
	"restricted ip":                       warden.CauseIPOrHoursRestricted,
	"restricted time":                     warden.CauseIPOrHoursRestricted,
	"failed: ip address not allowed":      warden.CauseIPOrHoursRestricted,
	"failed: api disabled":                warden.CauseAPIPermissionMissing,
	"failed: oauth api access disabled":   warden.CauseAPIPermissionMissing,
	"username-password flow disabled":     warden.CauseLegacyAuthDisabled,
}

// accessTokenPattern matches Salesforce session ids (reference §1.3).
var accessTokenPattern = regexp.MustCompile(`00D\w{12,15}![.\w]+`)

// redact removes secrets from s: every given secret and anything shaped
// like an access token.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return accessTokenPattern.ReplaceAllString(s, "[redacted access token]")
}
