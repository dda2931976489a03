package emulator

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"net/http"
	"strings"
)

// What credential rotation needs from the emulator (issue 9), beyond the
// password resource (writes.go) and the security token e-mails it sends:
//
//   - OAuth credential staging, the Connect REST resources Salesforce
//     offers for rotating a consumer secret without downtime:
//     GET  /services/data/vXX.X/apps/oauth/usage lists the org's apps with
//     their consumers; POST .../apps/oauth/credentials/{appId}/{consumerId}/staged
//     stages a new secret (both the current and the staged one are
//     accepted from then on); PATCH .../staged/{stagedId} rotates (the
//     staged secret becomes the only one, the old one is revoked); DELETE
//     .../staged/{stagedId} discards the staged secret (a rollback).
//   - The Metadata API's readMetadata of a ConnectedApp, so that a client
//     can upsert it back (migrate.go's upsertMetadata) with a new
//     oauthConfig.certificate: the certificate JWT bearer assertions are
//     checked against.
//
// Both need an administrator: Customize Application (or Modify All Data).

// stagedSecret is a consumer secret staged for rotation.
type stagedSecret struct {
	id, secret string
}

// secretOK reports whether secret is the app's consumer secret or its
// staged one.
func (a *connectedApp) secretOK(secret string) bool {
	return secretEqual(secret, a.secret) || (a.staged != nil && secretEqual(secret, a.staged.secret))
}

// canManageApps reports whether u may change connected apps.
func (u *user) canManageApps() bool {
	return u.hasPerm("CustomizeApplication") || u.hasPerm("ModifyAllData")
}

// oauthApps serves /services/data/vXX.X/apps/oauth/... Callers hold s.mu.
func (s *Server) oauthApps(q *request, parts []string) {
	if !q.u.canManageApps() {
		restError(q.w, http.StatusForbidden, "INSUFFICIENT_ACCESS", "You don't have permission to manage OAuth credentials.")
		return
	}
	switch {
	case len(parts) == 2 && parts[0] == "oauth" && parts[1] == "usage" && q.r.Method == http.MethodGet:
		var apps []map[string]any
		for _, a := range q.o.apps {
			apps = append(apps, map[string]any{"id": a.id, "name": a.name, "consumers": []map[string]any{{"id": a.id, "consumerKey": a.key}}})
		}
		writeJSON(q.w, http.StatusOK, map[string]any{"apps": apps})
	case len(parts) >= 5 && parts[0] == "oauth" && parts[1] == "credentials" && parts[4] == "staged":
		a := appByID(q.o, parts[2])
		if a == nil || parts[3] != a.id {
			notFound(q)
			return
		}
		s.stagedCredential(q, a, parts[5:])
	default:
		notFound(q)
	}
}

// stagedCredential serves .../staged and .../staged/{id}. Callers hold s.mu.
func (s *Server) stagedCredential(q *request, a *connectedApp, rest []string) {
	switch {
	case len(rest) == 0 && q.r.Method == http.MethodPost:
		a.staged = &stagedSecret{id: "0SC" + strings.ToUpper(randToken(12))[:12], secret: strings.ToUpper(randToken(24))}
		s.audit(q.o, q.u, "connectedAppStagedCredential", "Staged new consumer secret for connected app "+a.name)
		writeJSON(q.w, http.StatusCreated, map[string]string{"stagedCredentialId": a.staged.id, "consumerKey": a.key, "consumerSecret": a.staged.secret})
	case len(rest) == 0 && q.r.Method == http.MethodGet:
		if a.staged == nil {
			writeJSON(q.w, http.StatusOK, map[string]any{"stagedCredentials": []any{}})
			return
		}
		writeJSON(q.w, http.StatusOK, map[string]any{"stagedCredentials": []map[string]string{{"stagedCredentialId": a.staged.id, "consumerKey": a.key}}})
	case len(rest) == 1 && (q.r.Method == http.MethodPatch || q.r.Method == http.MethodDelete):
		if a.staged == nil || a.staged.id != rest[0] {
			notFound(q)
			return
		}
		if q.r.Method == http.MethodPatch {
			a.secret = a.staged.secret
			s.audit(q.o, q.u, "connectedAppRotatedCredential", "Rotated consumer secret for connected app "+a.name)
		} else {
			s.audit(q.o, q.u, "connectedAppDeletedStagedCredential", "Deleted staged consumer secret for connected app "+a.name)
		}
		a.staged = nil
		q.w.WriteHeader(http.StatusNoContent)
	default:
		methodNotAllowed(q)
	}
}

// apiName is the app's API name, its fullName in the Metadata API: the
// name with every character that is not a letter, digit or underscore
// replaced by an underscore ("Analytics Loader" -> "Analytics_Loader").
func (a *connectedApp) apiName() string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, a.name)
}

// appByID returns the org's connected app with the id, or nil.
func appByID(o *org, id string) *connectedApp {
	for _, a := range o.apps {
		if a.id == id {
			return a
		}
	}
	return nil
}

// readMetadata answers the Metadata API's readMetadata of ConnectedApp
// components (migrate.go's serveMetadata hands it over), so that a client
// can change one field and upsert the whole component back: the
// certificate a rotation installs. The certificate itself is not returned
// (the emulator keeps only its public key). Callers hold s.mu.
func (s *Server) readMetadata(w http.ResponseWriter, u *user, body []byte) {
	var op struct {
		Type      string   `xml:"type"`
		FullNames []string `xml:"fullNames"`
	}
	if err := xml.NewDecoder(bytes.NewReader(body)).Decode(&op); err != nil || op.Type != "ConnectedApp" {
		metadataFault(w, "INVALID_TYPE", "the emulator's readMetadata supports ConnectedApp only")
		return
	}
	if !u.canManageApps() {
		metadataFault(w, "INSUFFICIENT_ACCESS", "insufficient access rights: Customize Application is required")
		return
	}
	var b strings.Builder
	for _, name := range op.FullNames {
		a := u.org.appByName(name)
		if a == nil {
			continue // Salesforce leaves unknown names out
		}
		fmt.Fprintf(&b, `<records xsi:type="ConnectedApp"><fullName>%s</fullName><label>%s</label><oauthConfig><callbackUrl>%s</callbackUrl><consumerKey>%s</consumerKey><isAdminApproved>%t</isAdminApproved></oauthConfig></records>`,
			html.EscapeString(a.apiName()), html.EscapeString(a.name), html.EscapeString(a.callback), html.EscapeString(a.key), a.adminApproved)
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="%s"><soapenv:Body><readMetadataResponse><result>%s</result></readMetadataResponse></soapenv:Body></soapenv:Envelope>`, metadataNS, b.String())
}

// metadataFault writes a Metadata API SOAP fault.
func metadataFault(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>sf:%s</faultcode><faultstring>%s: %s</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
		code, code, html.EscapeString(msg))
}

// controlMailboxPassword serves /_emulator/mailbox/{username}/password,
// the mail provider's side of the runbook's "the mailbox account is a
// credential of its own": POST {"password": "..."} sets the account's
// password (204; 400 when shorter than 8 characters); GET returns
// {"set": bool}, never the password.
func (s *Server) controlMailboxPassword(w http.ResponseWriter, r *http.Request, username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mailPasswords == nil {
		s.mailPasswords = map[string]string{}
	}
	key := strings.ToLower(username)
	switch r.Method {
	case http.MethodPost:
		var in struct {
			Password string `json:"password"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &in); err != nil || len(in.Password) < 8 {
			controlError(w, http.StatusBadRequest, "password: at least 8 characters required")
			return
		}
		s.mailPasswords[key] = in.Password
		w.WriteHeader(http.StatusNoContent)
	case http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]bool{"set": s.mailPasswords[key] != ""})
	default:
		controlError(w, http.StatusMethodNotAllowed, "use GET or POST")
	}
}

// MailboxPassword returns the password of a user's mailbox account ("" when
// never set), for tests.
func (s *Server) MailboxPassword(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mailPasswords[strings.ToLower(username)]
}
