package salesforce

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

const (
	soapEnvNS     = "http://schemas.xmlsoap.org/soap/envelope/"
	soapPartnerNS = "urn:partner.soap.sforce.com"
)

// soapEnvelopeOut is a request envelope. The prefixed names are written
// literally; xml.Marshal escapes every value.
type soapEnvelopeOut struct {
	XMLName xml.Name       `xml:"soapenv:Envelope"`
	NS      string         `xml:"xmlns:soapenv,attr"`
	Header  *soapHeaderOut `xml:"soapenv:Header,omitempty"`
	Body    struct {
		Op any
	} `xml:"soapenv:Body"`
}

type soapHeaderOut struct {
	Session struct {
		XMLName   xml.Name `xml:"urn:partner.soap.sforce.com SessionHeader"`
		SessionID string   `xml:"sessionId"`
	}
}

type soapLoginOut struct {
	XMLName  xml.Name `xml:"urn:partner.soap.sforce.com login"`
	Username string   `xml:"username"`
	Password string   `xml:"password"`
}

type soapSetPasswordOut struct {
	XMLName  xml.Name `xml:"urn:partner.soap.sforce.com setPassword"`
	UserID   string   `xml:"userId"`
	Password string   `xml:"password"`
}

type soapResetPasswordOut struct {
	XMLName xml.Name `xml:"urn:partner.soap.sforce.com resetPassword"`
	UserID  string   `xml:"userId"`
}

// soapResponseIn is every response this package reads.
type soapResponseIn struct {
	Body struct {
		Fault         *soapFaultXML `xml:"Fault"`
		LoginResponse *struct {
			Result struct {
				ServerURL       string `xml:"serverUrl"`
				SessionID       string `xml:"sessionId"`
				UserID          string `xml:"userId"`
				PasswordExpired bool   `xml:"passwordExpired"`
				UserInfo        struct {
					OrganizationID      string `xml:"organizationId"`
					SessionSecondsValid int    `xml:"sessionSecondsValid"`
				} `xml:"userInfo"`
			} `xml:"result"`
		} `xml:"loginResponse"`
		SetPasswordResponse   *struct{} `xml:"setPasswordResponse"`
		ResetPasswordResponse *struct {
			Result struct {
				Password string `xml:"password"`
			} `xml:"result"`
		} `xml:"resetPasswordResponse"`
	} `xml:"Body"`
}

// soapCall posts one SOAP operation to base's Partner endpoint. Faults
// (HTTP 500) become *Error through the same decoding as other errors.
func (c *Client) soapCall(ctx context.Context, op string, src source, base, sessionID string, body any, secrets []string, idempotent bool) (*soapResponseIn, error) {
	env := soapEnvelopeOut{NS: soapEnvNS}
	if sessionID != "" {
		env.Header = &soapHeaderOut{}
		env.Header.Session.SessionID = sessionID
	}
	env.Body.Op = body
	data, err := xml.Marshal(env)
	if err != nil {
		return nil, &Error{Op: op, Message: "cannot encode the SOAP request", kind: warden.EINTERNAL, err: err}
	}
	rq := &request{op: op, src: src, method: http.MethodPost, url: base + "/services/Soap/u/" + c.version,
		header: http.Header{"Soapaction": {`""`}, "Accept": {"text/xml"}}, body: append([]byte(xml.Header), data...),
		contentType: "text/xml; charset=UTF-8", secrets: secrets, idempotent: idempotent}
	var out soapResponseIn
	_, err = c.roundTrip(ctx, rq, nil, func(r *response) error { return xml.Unmarshal(r.body, &out) })
	if err != nil {
		return nil, err
	}
	if out.Body.Fault != nil {
		eb := faultBody(out.Body.Fault)
		return nil, &Error{Op: op, Status: http.StatusOK, Code: eb.code, Message: redact(eb.message, secrets),
			Cause: causeOf(src, http.StatusOK, eb.code, eb.message)}
	}
	return &out, nil
}

// SOAPLogin logs in with the SOAP API login() call (Partner WSDL) and
// returns the session as a Token. When the user's password has expired,
// Salesforce still logs in but passwordExpired is true and the session may
// only call SOAPSetPassword; every other call fails with
// INVALID_OPERATION_WITH_EXPIRED_PASSWORD.
//
// Deprecated: login() is not available from API 65.0 and retires for all
// versions in Summer '27; orgs can already disable it, and it needs the
// password plus security token in configuration. Migrate to JWTBearer or
// ClientCredentials. It keeps working while the org allows it.
func (c *Client) SOAPLogin(ctx context.Context, username, passwordPlusToken string) (tok *Token, passwordExpired bool, err error) {
	const op = "salesforce.SOAPLogin"
	out, err := c.soapCall(ctx, op, srcSOAPLogin, c.loginURL, "", soapLoginOut{Username: username, Password: passwordPlusToken},
		[]string{passwordPlusToken}, true)
	if err != nil {
		return nil, false, err
	}
	lr := out.Body.LoginResponse
	if lr == nil || lr.Result.SessionID == "" || lr.Result.ServerURL == "" {
		return nil, false, &Error{Op: op, Status: http.StatusOK, Code: "MALFORMED_RESPONSE", Message: "login response without a session",
			Cause: warden.CauseOrgUnavailable}
	}
	res := lr.Result
	t := &Token{AccessToken: res.SessionID, UserID: res.UserID, OrgID: res.UserInfo.OrganizationID, Scope: "api", IssuedAt: c.now()}
	if u, err := url.Parse(res.ServerURL); err == nil {
		t.InstanceURL = u.Scheme + "://" + u.Host
	}
	if t.OrgID == "" {
		t.OrgID, _, _ = strings.Cut(t.AccessToken, "!")
	}
	t.IdentityURL = c.loginURL + "/id/" + t.OrgID + "/" + t.UserID
	return t, res.PasswordExpired, nil
}

// SOAPSetPassword sets a user's password with the SOAP setPassword() call.
// tok may be a session whose password expired (to set its own password) or
// an admin's session. Like SOAPLogin it belongs to the retiring SOAP
// login path; the REST equivalent is Session.SetUserPassword.
func (c *Client) SOAPSetPassword(ctx context.Context, tok *Token, userID, newPassword string) error {
	_, err := c.soapCall(ctx, "salesforce.SOAPSetPassword", srcSOAP, tok.InstanceURL, tok.AccessToken,
		soapSetPasswordOut{UserID: userID, Password: newPassword}, []string{tok.AccessToken, newPassword}, false)
	return err
}

// SOAPResetPassword resets a user's password with the SOAP resetPassword()
// call and returns the generated temporary password. The REST equivalent
// is Session.ResetUserPassword.
func (c *Client) SOAPResetPassword(ctx context.Context, tok *Token, userID string) (string, error) {
	out, err := c.soapCall(ctx, "salesforce.SOAPResetPassword", srcSOAP, tok.InstanceURL, tok.AccessToken,
		soapResetPasswordOut{UserID: userID}, []string{tok.AccessToken}, false)
	if err != nil {
		return "", err
	}
	if out.Body.ResetPasswordResponse == nil {
		return "", &Error{Op: "salesforce.SOAPResetPassword", Status: http.StatusOK, Code: "MALFORMED_RESPONSE",
			Message: "resetPassword response without a result", Cause: warden.CauseOrgUnavailable}
	}
	return out.Body.ResetPasswordResponse.Result.Password, nil
}

// expiredPasswordError is what SOAPAuth returns for a login whose password
// expired: the session is unusable for anything but setPassword.
func expiredPasswordError(op string, issued time.Time) *Error {
	return &Error{Op: op, Status: http.StatusOK, Code: "passwordExpired",
		Message: "SOAP login() answered passwordExpired=true at " + issued.UTC().Format(time.RFC3339) +
			": the session may only call setPassword()", Cause: warden.CausePasswordExpired}
}
