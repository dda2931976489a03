package emulator

// What the legacy-auth migration (warden migrate --apply) needs from the
// org, through the APIs Salesforce has for it:
//
//   - the Metadata API's upsertMetadata of a ConnectedApp
//     (POST /services/Soap/m/<version>), which creates a connected app or
//     updates one by its fullName: label, contactEmail and oauthConfig
//     (consumerKey, callbackUrl, certificate, scopes, isAdminApproved,
//     and for the client credentials flow consumerSecret,
//     isClientCredentialEnabled and its run-as user
//     oauthClientCredentialUser);
//   - the SetupEntityAccess object (REST create and SOQL), which gives a
//     permission set access to a connected app: with an admin-approved
//     app, the users holding the permission set are pre-authorized.

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/wardenhq/warden/emulator/soql"
)

// prefixSetupEntityAccess is the key prefix of SetupEntityAccess ids.
const prefixSetupEntityAccess = "0J0"

func init() {
	define(&objectDef{name: "SetupEntityAccess", label: "Setup Entity Access", plural: "Setup Entity Access", prefix: prefixSetupEntityAccess,
		ops: "c", rows: setupEntityRows, visible: needs("ViewSetup", "ManageUsers")}, idSpec, `
ParentId ref co req ref:PermissionSet
SetupEntityId ref co req
SetupEntityType string(40) ro`)
}

// setupEntityRows lists the connected apps' permission set grants.
func setupEntityRows(o *org) []soql.Row {
	var out []soql.Row
	for _, a := range o.apps {
		for psID := range a.preSets {
			out = append(out, soql.Row{"Id": prefixSetupEntityAccess + strings.TrimPrefix(a.id, prefixConnectedApp)[:6] + psID[len(psID)-9:],
				"ParentId": psID, "SetupEntityId": a.id, "SetupEntityType": "ConnectedApplication"})
		}
	}
	return out
}

// createSetupEntityAccess grants a permission set access to a connected
// app (a REST create of SetupEntityAccess). Callers hold s.mu.
func (s *Server) createSetupEntityAccess(q *request, in input) (string, *dmlError) {
	o, u := q.o, q.u
	if !u.hasPerm("ManageProfilesPermissionsets") {
		return "", insufficientAccess()
	}
	pid, _ := in.str("ParentId")
	eid, _ := in.str("SetupEntityId")
	ps := permSetByID(o, pid)
	var app *connectedApp
	for _, a := range o.apps {
		if a.id == eid || len(eid) == 15 && strings.HasPrefix(a.id, eid) {
			app = a
		}
	}
	if ps == nil || app == nil {
		return "", dmlErr(http.StatusBadRequest, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", "ParentId", "SetupEntityId")
	}
	if app.preSets[ps.id] {
		return "", dmlErr(http.StatusBadRequest, "DUPLICATE_VALUE", "duplicate value found: SetupEntityId duplicates value on record")
	}
	app.preSets[ps.id] = true
	s.audit(o, u, "PermSetEntityPermChanged", fmt.Sprintf("Permission set %s: connected app %s access enabled", ps.label, app.name))
	return prefixSetupEntityAccess + strings.TrimPrefix(app.id, prefixConnectedApp)[:6] + ps.id[len(ps.id)-9:], nil
}

// metadataConnectedApp is the part of the Metadata API's ConnectedApp the
// emulator keeps.
type metadataConnectedApp struct {
	FullName     string `xml:"fullName"`
	Label        string `xml:"label"`
	ContactEmail string `xml:"contactEmail"`
	OAuthConfig  *struct {
		CallbackURL     string   `xml:"callbackUrl"`
		Certificate     string   `xml:"certificate"`
		ConsumerKey     string   `xml:"consumerKey"`
		IsAdminApproved bool     `xml:"isAdminApproved"`
		Scopes          []string `xml:"scopes"`
		// The client credentials flow (API 56.0 and later): the consumer
		// secret, the flag and the run-as user.
		ConsumerSecret            string `xml:"consumerSecret"`
		IsClientCredentialEnabled bool   `xml:"isClientCredentialEnabled"`
		OAuthClientCredentialUser string `xml:"oauthClientCredentialUser"`
	} `xml:"oauthConfig"`
}

const metadataNS = "http://soap.sforce.com/2006/04/metadata"

// serveMetadata answers the Metadata API's SOAP endpoint: upsertMetadata
// of ConnectedApp components.
func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request) {
	verSeg, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/services/Soap/m/"), "/")
	fault := func(code, msg string) {
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>sf:%s</faultcode><faultstring>%s: %s</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
			code, code, xmlText(msg))
	}
	if v, err := strconv.ParseFloat(verSeg, 64); err != nil || int(v) < minVersion || int(v) > maxVersion {
		fault("UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL")
		return
	}
	if r.Method != http.MethodPost {
		fault("INVALID_OPERATION", "POST required")
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		fault("INVALID_OPERATION", "Request body too large or unreadable")
		return
	}
	var env soapEnvelope
	if err := xml.Unmarshal(raw, &env); err != nil {
		fault("INVALID_OPERATION", "Unable to parse the request: malformed XML")
		return
	}
	var op struct {
		XMLName  xml.Name
		Metadata []struct {
			Type string `xml:"type,attr"` // xsi:type, as prefix:ConnectedApp
			metadataConnectedApp
		} `xml:"metadata"`
	}
	if err := xml.NewDecoder(bytes.NewReader(env.Body.Inner)).Decode(&op); err != nil {
		fault("INVALID_OPERATION", "No operation found in the SOAP Body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	call := &soapCall{sessionID: strings.TrimSpace(env.Header.SessionHeader.SessionID)}
	sess := s.authenticate(&http.Request{Header: http.Header{"Authorization": {"Bearer " + call.sessionID}}}, false)
	if sess == nil {
		fault("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session")
		return
	}
	if op.XMLName.Local == "readMetadata" {
		s.readMetadata(w, sess.user, env.Body.Inner) // rotation.go
		return
	}
	if op.XMLName.Local != "upsertMetadata" {
		fault("INVALID_OPERATION", "the emulator's Metadata API supports upsertMetadata only, not "+op.XMLName.Local)
		return
	}
	u := sess.user
	o := u.org
	var results strings.Builder
	for _, m := range op.Metadata {
		created, msg := s.upsertConnectedApp(o, u, &m.metadataConnectedApp, m.Type[strings.IndexByte(m.Type, ':')+1:])
		ok := msg == ""
		results.WriteString("<result><created>" + strconv.FormatBool(created) + "</created><fullName>" + xmlText(m.FullName) + "</fullName>")
		if !ok {
			results.WriteString("<errors><message>" + xmlText(msg) + "</message><statusCode>FIELD_INTEGRITY_EXCEPTION</statusCode></errors>")
		}
		results.WriteString("<success>" + strconv.FormatBool(ok) + "</success></result>")
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="%s"><soapenv:Body><upsertMetadataResponse>%s</upsertMetadataResponse></soapenv:Body></soapenv:Envelope>`,
		metadataNS, results.String())
}

// upsertConnectedApp creates or updates a connected app from its
// metadata; it reports whether it created one, or why it refused.
func (s *Server) upsertConnectedApp(o *org, u *user, m *metadataConnectedApp, typ string) (bool, string) {
	switch {
	case typ != "ConnectedApp":
		return false, "the emulator's Metadata API supports ConnectedApp components only, not " + typ
	case !u.hasPerm("CustomizeApplication") && !u.hasPerm("ModifyAllData"):
		return false, "insufficient access rights: Customize Application is required"
	case m.FullName == "" || !validFieldName(m.FullName):
		return false, "fullName must be an API name (letters, digits and underscores)"
	case m.OAuthConfig == nil || m.OAuthConfig.ConsumerKey == "":
		return false, "oauthConfig.consumerKey is required"
	}
	a := o.appByName(m.FullName)
	if other := s.appByKey[m.OAuthConfig.ConsumerKey]; other != nil && other != a {
		return false, "consumerKey is already used by another connected app"
	}
	var ccUser *user
	if oc := m.OAuthConfig; oc.IsClientCredentialEnabled {
		if ccUser = s.userByName[strings.ToLower(oc.OAuthClientCredentialUser)]; ccUser == nil || ccUser.org != o {
			return false, "oauthClientCredentialUser: no user " + strconv.Quote(oc.OAuthClientCredentialUser) + " in the org (the client credentials flow needs a run-as user)"
		}
	}
	created := a == nil
	if created {
		a = &connectedApp{id: s.newID(o, prefixConnectedApp), name: m.FullName, org: o, created: s.now(),
			preProfiles: map[string]bool{}, preSets: map[string]bool{}}
	}
	if c := m.OAuthConfig.Certificate; c != "" {
		pub, err := parseCertificate(c)
		if err != nil {
			return false, "oauthConfig.certificate: " + err.Error()
		}
		a.pub = pub
	}
	if a.key != "" && a.key != m.OAuthConfig.ConsumerKey {
		delete(s.appByKey, a.key)
	}
	a.key, a.callback, a.adminApproved = m.OAuthConfig.ConsumerKey, m.OAuthConfig.CallbackURL, m.OAuthConfig.IsAdminApproved
	if sec := m.OAuthConfig.ConsumerSecret; sec != "" {
		a.secret = sec
	}
	a.ccUser = ccUser
	s.appByKey[a.key] = a
	if created {
		o.apps = append(o.apps, a)
		s.audit(o, u, "insertConnectedApplication", "Created connected app "+m.FullName)
	} else {
		s.audit(o, u, "updateConnectedApplication", "Updated connected app "+m.FullName)
	}
	o.touch()
	return created, ""
}
