package emulator

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// soapLoginMaxVersion is the last API version whose SOAP API has login().
const soapLoginMaxVersion = 64

const mustUseTokenMsg = "Invalid username, password, security token; or user locked out. Are you at a new location? When accessing Salesforce--either via a desktop client or the API--from outside of your company’s trusted networks, you must add a security token to your password to log in. To get your new security token, log in to Salesforce. From your personal settings, enter Reset My Security Token in the Quick Find box, then select Reset My Security Token."

const invalidLoginMsg = "Invalid username, password, security token; or user locked out."

// soapCall is a parsed SOAP request.
type soapCall struct {
	op         string
	body       []byte // the operation element
	sessionID  string
	partner    bool // Partner (u) rather than Enterprise (c) WSDL
	version    int
	apiVersion string
}

type soapEnvelope struct {
	Header struct {
		SessionHeader struct {
			SessionID string `xml:"sessionId"`
		} `xml:"SessionHeader"`
	} `xml:"Header"`
	Body struct {
		Inner []byte `xml:",innerxml"`
	} `xml:"Body"`
}

func (s *Server) serveSOAP(w http.ResponseWriter, r *http.Request) {
	partner := strings.HasPrefix(r.URL.Path, "/services/Soap/u/")
	rest := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/services/Soap/u/"), "/services/Soap/c/")
	verSeg, _, _ := strings.Cut(rest, "/")
	call := &soapCall{partner: partner, apiVersion: verSeg}
	ver, err := strconv.ParseFloat(verSeg, 64)
	if r.Method != http.MethodPost {
		soapFault(w, call, "soapenv:Client", "", "", "POST required")
		return
	}
	if err != nil || ver < 1 {
		soapFault(w, call, "sf:UNSUPPORTED_API_VERSION", "UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL", "UnexpectedErrorFault")
		return
	}
	call.version = int(ver)
	if call.version < minVersion || call.version > maxVersion {
		soapFault(w, call, "sf:UNSUPPORTED_API_VERSION", "UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL", "UnexpectedErrorFault")
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		soapFault(w, call, "soapenv:Client", "", "", "Request body too large or unreadable")
		return
	}
	var env soapEnvelope
	if err := xml.Unmarshal(raw, &env); err != nil {
		soapFault(w, call, "soapenv:Client", "", "", "Unable to parse the request: malformed XML")
		return
	}
	call.sessionID = strings.TrimSpace(env.Header.SessionHeader.SessionID)
	dec := xml.NewDecoder(bytes.NewReader(env.Body.Inner))
	for {
		tok, err := dec.Token()
		if err != nil {
			soapFault(w, call, "soapenv:Client", "", "", "No operation found in the SOAP Body")
			return
		}
		if se, ok := tok.(xml.StartElement); ok {
			call.op = se.Name.Local
			inner := struct {
				Inner []byte `xml:",innerxml"`
			}{}
			if err := dec.DecodeElement(&inner, &se); err != nil {
				soapFault(w, call, "soapenv:Client", "", "", "Unable to parse the request: malformed XML")
				return
			}
			call.body = inner.Inner
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch call.op {
	case "login":
		s.soapLogin(w, r, call)
	case "setPassword":
		s.soapSetPassword(w, r, call)
	case "resetPassword":
		s.soapResetPassword(w, r, call)
	case "getUserInfo":
		if sess := s.soapSession(w, call, false); sess != nil {
			soapOK(w, call, "getUserInfoResponse", "<result>"+userInfoXML(sess.user, s.now())+"</result>")
		}
	case "logout":
		if sess := s.soapSession(w, call, true); sess != nil {
			delete(s.sessions, sess.token)
			soapOK(w, call, "logoutResponse", "")
		}
	case "getServerTimestamp":
		soapOK(w, call, "getServerTimestampResponse", "<result><timestamp>"+s.now().Format("2006-01-02T15:04:05.000Z")+"</timestamp></result>")
	default:
		soapFault(w, call, "soapenv:Client", "", "", "No operation available for request {"+call.ns()+"}"+call.op)
	}
}

func (c *soapCall) ns() string {
	if c.partner {
		return "urn:partner.soap.sforce.com"
	}
	return "urn:enterprise.soap.sforce.com"
}

func (c *soapCall) faultNS() string {
	if c.partner {
		return "urn:fault.partner.soap.sforce.com"
	}
	return "urn:fault.enterprise.soap.sforce.com"
}

func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// soapFault writes a SOAP fault as Salesforce does: HTTP 500, unprefixed
// faultstring, sf:-prefixed detail elements.
func soapFault(w http.ResponseWriter, c *soapCall, faultCode, exCode, msg, faultType string) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="`)
	b.WriteString(c.faultNS())
	b.WriteString(`" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>`)
	b.WriteString(faultCode)
	b.WriteString(`</faultcode><faultstring>`)
	if exCode != "" {
		b.WriteString(xmlText(exCode + ": " + msg))
	} else {
		b.WriteString(xmlText(faultType))
	}
	b.WriteString(`</faultstring>`)
	if exCode != "" {
		fmt.Fprintf(&b, `<detail><sf:%s xsi:type="sf:%s"><sf:exceptionCode>%s</sf:exceptionCode><sf:exceptionMessage>%s</sf:exceptionMessage></sf:%s></detail>`,
			faultType, faultType, exCode, xmlText(msg), faultType)
	}
	b.WriteString(`</soapenv:Fault></soapenv:Body></soapenv:Envelope>`)
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(http.StatusInternalServerError)
	io.WriteString(w, b.String())
}

func soapOK(w http.ResponseWriter, c *soapCall, element, inner string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="%s" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><%s>%s</%s></soapenv:Body></soapenv:Envelope>`,
		c.ns(), element, inner, element)
}

func loginFault(w http.ResponseWriter, c *soapCall, code, msg string) {
	soapFault(w, c, "sf:"+code, code, msg, "LoginFault")
}

func (s *Server) soapLogin(w http.ResponseWriter, r *http.Request, c *soapCall) {
	var in struct {
		Username string `xml:"username"`
		Password string `xml:"password"`
	}
	if err := xml.Unmarshal([]byte("<x>"+string(c.body)+"</x>"), &in); err != nil {
		soapFault(w, c, "soapenv:Client", "", "", "Unable to parse the login request")
		return
	}
	if c.version > soapLoginMaxVersion {
		soapFault(w, c, "sf:UNSUPPORTED_API_VERSION", "UNSUPPORTED_API_VERSION",
			fmt.Sprintf("login() is not supported in API version %d.0 and later; use OAuth 2.0", soapLoginMaxVersion+1), "UnexpectedErrorFault")
		return
	}
	if u := s.userByName[strings.ToLower(strings.TrimSpace(in.Username))]; u != nil && !u.org.settings.soapLoginAllowed {
		soapFault(w, c, "sf:INVALID_OPERATION", "INVALID_OPERATION", "SOAP API login() is disabled by default in this org.", "InvalidOperationFault")
		return
	}
	apiType := "SOAP Enterprise"
	if c.partner {
		apiType = "SOAP Partner"
	}
	u, f := s.login(attempt{username: strings.TrimSpace(in.Username), password: in.Password, checkPass: true, soap: true,
		ip: clientIP(r), loginType: "Other Apex API", apiType: apiType, apiVersion: c.apiVersion, loginURL: r.Host})
	switch f {
	case loginOK, failExpired:
	case failNoToken:
		loginFault(w, c, "LOGIN_MUST_USE_SECURITY_TOKEN", mustUseTokenMsg)
		return
	case failIPRestricted:
		loginFault(w, c, "LOGIN_DURING_RESTRICTED_DOMAIN", "Login is not allowed from this IP address.")
		return
	case failHoursRestricted:
		loginFault(w, c, "LOGIN_DURING_RESTRICTED_TIME", "Login is not allowed at this time.")
		return
	case failAPIDisabled:
		loginFault(w, c, "API_CURRENTLY_DISABLED", "API is disabled for this User")
		return
	case failRate:
		loginFault(w, c, "REQUEST_LIMIT_EXCEEDED", "Login rate exceeded for this user; too many logins in the last hour.")
		return
	default:
		loginFault(w, c, "INVALID_LOGIN", invalidLoginMsg)
		return
	}
	sess := s.newSession(u, nil, "api")
	sess.expiredPassword = f == failExpired
	base := baseURL(r)
	o := u.org
	var b strings.Builder
	fmt.Fprintf(&b, "<result><metadataServerUrl>%s/services/Soap/m/%s/%s</metadataServerUrl><passwordExpired>%t</passwordExpired><sandbox>%t</sandbox>",
		base, c.apiVersion, o.id[:15], sess.expiredPassword, strings.Contains(strings.ToLower(o.edition), "sandbox"))
	kind := "c"
	if c.partner {
		kind = "u"
	}
	fmt.Fprintf(&b, "<serverUrl>%s/services/Soap/%s/%s/%s</serverUrl><sessionId>%s</sessionId><userId>%s</userId>",
		base, kind, c.apiVersion, o.id[:15], sess.token, u.id)
	b.WriteString(userInfoXML(u, s.now()))
	b.WriteString("</result>")
	soapOK(w, c, "loginResponse", b.String())
}

func userInfoXML(u *user, now time.Time) string {
	o := u.org
	secs := int(o.settings.sessionTimeout / time.Second)
	return fmt.Sprintf("<userInfo><accessibilityMode>false</accessibilityMode><currencySymbol>$</currencySymbol><orgAttachmentFileSizeLimit>5242880</orgAttachmentFileSizeLimit><orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode><orgDisallowHtmlAttachments>false</orgDisallowHtmlAttachments><orgHasPersonAccounts>false</orgHasPersonAccounts><organizationId>%s</organizationId><organizationMultiCurrency>false</organizationMultiCurrency><organizationName>%s</organizationName><profileId>%s</profileId><roleId xsi:nil=\"true\"/><sessionSecondsValid>%d</sessionSecondsValid><userDefaultCurrencyIsoCode xsi:nil=\"true\"/><userEmail>%s</userEmail><userFullName>%s</userFullName><userId>%s</userId><userLanguage>en_US</userLanguage><userLocale>en_US</userLocale><userName>%s</userName><userTimeZone>%s</userTimeZone><userType>Standard</userType><userUiSkin>Theme3</userUiSkin></userInfo>",
		o.id, xmlText(o.name), u.profile.id, secs, xmlText(u.email), xmlText(u.name()), u.id, xmlText(u.username), xmlText(u.timeZone))
}

// soapSession resolves the SessionHeader. Sessions of users whose password
// expired are accepted only when allowExpired.
func (s *Server) soapSession(w http.ResponseWriter, c *soapCall, allowExpired bool) *session {
	r := &http.Request{Header: http.Header{"Authorization": {"Bearer " + c.sessionID}}}
	sess := s.authenticate(r, false)
	if sess == nil {
		soapFault(w, c, "sf:INVALID_SESSION_ID", "INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session", "UnexpectedErrorFault")
		return nil
	}
	if sess.expiredPassword && !allowExpired {
		soapFault(w, c, "sf:INVALID_OPERATION_WITH_EXPIRED_PASSWORD", "INVALID_OPERATION_WITH_EXPIRED_PASSWORD",
			"The users password has expired, you must call SetPassword before attempting any other API operations", "UnexpectedErrorFault")
		return nil
	}
	return sess
}

func (s *Server) soapTarget(w http.ResponseWriter, c *soapCall, sess *session, userID string) *user {
	target := sess.user.org.userByID(strings.TrimSpace(userID))
	if target == nil {
		soapFault(w, c, "sf:INVALID_ID_FIELD", "INVALID_ID_FIELD", "invalid user id", "InvalidIdFault")
		return nil
	}
	self := target == sess.user
	if sess.expiredPassword && !self {
		soapFault(w, c, "sf:INVALID_OPERATION_WITH_EXPIRED_PASSWORD", "INVALID_OPERATION_WITH_EXPIRED_PASSWORD",
			"The users password has expired, you must call SetPassword before attempting any other API operations", "UnexpectedErrorFault")
		return nil
	}
	if !self && !sess.user.hasPerm("ManageUsers") && !sess.user.hasPerm("ResetPasswords") {
		soapFault(w, c, "sf:INSUFFICIENT_ACCESS", "INSUFFICIENT_ACCESS", "insufficient access rights on object id", "UnexpectedErrorFault")
		return nil
	}
	return target
}

func (s *Server) soapSetPassword(w http.ResponseWriter, r *http.Request, c *soapCall) {
	var in struct {
		UserID   string `xml:"userId"`
		Password string `xml:"password"`
	}
	if err := xml.Unmarshal([]byte("<x>"+string(c.body)+"</x>"), &in); err != nil {
		soapFault(w, c, "soapenv:Client", "", "", "Unable to parse the setPassword request")
		return
	}
	sess := s.soapSession(w, c, true)
	if sess == nil {
		return
	}
	target := s.soapTarget(w, c, sess, in.UserID)
	if target == nil {
		return
	}
	if msg := passwordPolicy(target, in.Password); msg != "" {
		soapFault(w, c, "sf:INVALID_NEW_PASSWORD", "INVALID_NEW_PASSWORD", msg, "UnexpectedErrorFault")
		return
	}
	s.setPassword(target, in.Password, sess.user)
	soapOK(w, c, "setPasswordResponse", "<result/>")
}

func (s *Server) soapResetPassword(w http.ResponseWriter, r *http.Request, c *soapCall) {
	var in struct {
		UserID string `xml:"userId"`
	}
	if err := xml.Unmarshal([]byte("<x>"+string(c.body)+"</x>"), &in); err != nil {
		soapFault(w, c, "soapenv:Client", "", "", "Unable to parse the resetPassword request")
		return
	}
	sess := s.soapSession(w, c, false)
	if sess == nil {
		return
	}
	target := s.soapTarget(w, c, sess, in.UserID)
	if target == nil {
		return
	}
	tmp := s.resetPassword(target, sess.user)
	soapOK(w, c, "resetPasswordResponse", "<result><password>"+xmlText(tmp)+"</password></result>")
}
