package rotation

import (
	"context"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"strings"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// app is a connected (or external client) app with its consumer.
type app struct {
	ID, Name, ConsumerID string
}

// findApp finds the app whose consumer key is clientID through the OAuth
// usage resource.
func findApp(ctx context.Context, s *salesforce.Session, clientID string) (*app, error) {
	var out struct {
		Apps []struct {
			ID        string `json:"id"`
			Name      string `json:"name"`
			Consumers []struct {
				ID          string `json:"id"`
				ConsumerKey string `json:"consumerKey"`
			} `json:"consumers"`
		} `json:"apps"`
	}
	if err := s.Do(ctx, http.MethodGet, "apps/oauth/usage", nil, &out); err != nil {
		return nil, err
	}
	for _, a := range out.Apps {
		for _, c := range a.Consumers {
			if c.ConsumerKey == clientID {
				return &app{ID: a.ID, Name: a.Name, ConsumerID: c.ID}, nil
			}
		}
	}
	return nil, warden.Errorf(warden.ENOTFOUND, "no connected app has the consumer key of this credential")
}

// staged is a staged consumer secret. Secret must never be logged.
type staged struct {
	ID, Secret string
}

// stageSecret stages a new consumer secret on a; Salesforce accepts it
// alongside the current one until rotateStaged or deleteStaged.
func stageSecret(ctx context.Context, s *salesforce.Session, a *app) (*staged, error) {
	var out struct {
		ID     string `json:"stagedCredentialId"`
		Secret string `json:"consumerSecret"`
	}
	if err := s.Do(ctx, http.MethodPost, "apps/oauth/credentials/"+a.ID+"/"+a.ConsumerID+"/staged", map[string]string{}, &out); err != nil {
		return nil, err
	}
	if out.ID == "" || out.Secret == "" {
		return nil, warden.Errorf(warden.EUNAVAILABLE, "Salesforce staged no consumer secret")
	}
	return &staged{ID: out.ID, Secret: out.Secret}, nil
}

// rotateStaged makes the staged secret the app's only one (the old is
// revoked).
func rotateStaged(ctx context.Context, s *salesforce.Session, appID, stagedID string) error {
	return s.Do(ctx, http.MethodPatch, "apps/oauth/credentials/"+appID+"/"+appID+"/staged/"+stagedID, map[string]string{}, nil)
}

// deleteStaged discards the staged secret (a rollback).
func deleteStaged(ctx context.Context, s *salesforce.Session, appID, stagedID string) error {
	return s.Do(ctx, http.MethodDelete, "apps/oauth/credentials/"+appID+"/"+appID+"/staged/"+stagedID, nil, nil)
}

// connectedAppMetadata is the Metadata API's ConnectedApp, the fields a
// certificate change keeps.
type connectedAppMetadata struct {
	FullName     string `xml:"fullName"`
	Label        string `xml:"label"`
	ContactEmail string `xml:"contactEmail"`
	OAuthConfig  struct {
		CallbackURL     string   `xml:"callbackUrl"`
		Certificate     string   `xml:"certificate"`
		ConsumerKey     string   `xml:"consumerKey"`
		IsAdminApproved bool     `xml:"isAdminApproved"`
		Scopes          []string `xml:"scopes"`
	} `xml:"oauthConfig"`
}

// installCertificate sets the certificate JWT bearer assertions of the
// connected app named appName are checked against: the Metadata API's
// readMetadata of the ConnectedApp, then upsertMetadata of it with the
// new certificate (an upsert replaces the whole component, so every
// field read is sent back).
func installCertificate(ctx context.Context, hc *http.Client, s *salesforce.Session, appName, certPEM string) error {
	var read struct {
		Records []connectedAppMetadata `xml:"Body>readMetadataResponse>result>records"`
	}
	if err := metadataCall(ctx, hc, s, `<readMetadata><type>ConnectedApp</type><fullNames>`+html.EscapeString(appName)+`</fullNames></readMetadata>`, &read); err != nil {
		return err
	}
	if len(read.Records) == 0 {
		return warden.Errorf(warden.ENOTFOUND, "connected app %s not found by the Metadata API", appName)
	}
	app := read.Records[0]
	app.OAuthConfig.Certificate = certPEM
	var b strings.Builder
	b.WriteString(`<upsertMetadata><metadata xsi:type="ConnectedApp">`)
	if err := xml.NewEncoder(&b).Encode(struct {
		connectedAppMetadata
		XMLName struct{} `xml:"inner"`
	}{connectedAppMetadata: app}); err != nil {
		return warden.Errorf(warden.EINTERNAL, "encoding the connected app: %v", err)
	}
	body := strings.Replace(strings.Replace(b.String(), "<inner>", "", 1), "</inner>", "", 1) + `</metadata></upsertMetadata>`
	var up struct {
		Results []struct {
			Success bool   `xml:"success"`
			Message string `xml:"errors>message"`
			Code    string `xml:"errors>statusCode"`
		} `xml:"Body>upsertMetadataResponse>result"`
	}
	if err := metadataCall(ctx, hc, s, body, &up); err != nil {
		return err
	}
	switch {
	case len(up.Results) == 0:
		return warden.Errorf(warden.EUNAVAILABLE, "upsertMetadata: no result")
	case !up.Results[0].Success:
		return warden.Errorf(warden.EINVALID, "upsertMetadata: %s: %s", up.Results[0].Code, up.Results[0].Message)
	}
	return nil
}

// metadataCall sends one Metadata API operation (op, the body element)
// with s's session and decodes the SOAP answer into out; a fault is an
// error of the matching kind.
func metadataCall(ctx context.Context, hc *http.Client, s *salesforce.Session, op string, out any) error {
	tok, err := s.Token(ctx)
	if err != nil {
		return err
	}
	body := `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://soap.sforce.com/2006/04/metadata">
<soapenv:Header><SessionHeader><sessionId>` + html.EscapeString(tok.AccessToken) + `</sessionId></SessionHeader></soapenv:Header>
<soapenv:Body>` + op + `</soapenv:Body></soapenv:Envelope>`
	url := strings.TrimSuffix(tok.InstanceURL, "/") + "/services/Soap/m/" + s.Client().APIVersion()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return warden.Errorf(warden.EINTERNAL, "metadata request: %v", err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := hc.Do(req)
	if err != nil {
		return &warden.Error{Kind: warden.EUNAVAILABLE, Op: "metadata API", Message: "Salesforce's Metadata API did not answer", Err: err}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	var fault struct {
		Code   string `xml:"Body>Fault>faultcode"`
		String string `xml:"Body>Fault>faultstring"`
	}
	if err := xml.Unmarshal(raw, &fault); err != nil {
		if resp.StatusCode >= 500 {
			return warden.Errorf(warden.EUNAVAILABLE, "metadata API: HTTP %d", resp.StatusCode)
		}
		return warden.Errorf(warden.EINTERNAL, "metadata API: unreadable answer (HTTP %d)", resp.StatusCode)
	}
	if fault.Code != "" {
		kind := warden.EINVALID
		switch {
		case strings.Contains(fault.Code, "INVALID_SESSION_ID"):
			kind = warden.EUNAUTHORIZED
		case strings.Contains(fault.Code, "INSUFFICIENT_ACCESS"):
			kind = warden.EFORBIDDEN
		case resp.StatusCode >= 500 && !strings.HasPrefix(fault.Code, "sf:"):
			kind = warden.EUNAVAILABLE
		}
		return warden.Errorf(kind, "metadata API: %s", fault.String)
	}
	if resp.StatusCode >= 500 {
		return warden.Errorf(warden.EUNAVAILABLE, "metadata API: HTTP %d", resp.StatusCode)
	}
	if err := xml.Unmarshal(raw, out); err != nil {
		return warden.Errorf(warden.EINTERNAL, "metadata API: unreadable answer")
	}
	return nil
}
