package rotation

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
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

// installCertificate sets the certificate JWT bearer assertions of the
// connected app named appName are checked against, with the Metadata
// API's updateMetadata call.
func installCertificate(ctx context.Context, hc *http.Client, s *salesforce.Session, appName, certPEM string) error {
	tok, err := s.Token(ctx)
	if err != nil {
		return err
	}
	body := `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://soap.sforce.com/2006/04/metadata">
<soapenv:Header><SessionHeader><sessionId>` + html.EscapeString(tok.AccessToken) + `</sessionId></SessionHeader></soapenv:Header>
<soapenv:Body><updateMetadata><metadata xsi:type="ConnectedApp"><fullName>` + html.EscapeString(appName) + `</fullName><label>` + html.EscapeString(appName) +
		`</label><oauthConfig><certificate>` + html.EscapeString(certPEM) + `</certificate></oauthConfig></metadata></updateMetadata></soapenv:Body></soapenv:Envelope>`
	url := strings.TrimSuffix(tok.InstanceURL, "/") + "/services/Soap/m/" + s.Client().APIVersion()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return warden.Errorf(warden.EINTERNAL, "metadata request: %v", err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := hc.Do(req)
	if err != nil {
		return &warden.Error{Kind: warden.EUNAVAILABLE, Op: "updateMetadata", Message: "Salesforce's Metadata API did not answer", Err: err}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var env struct {
		Fault struct {
			Code   string `xml:"faultcode"`
			String string `xml:"faultstring"`
		} `xml:"Body>Fault"`
		Results []struct {
			Success bool   `xml:"success"`
			Message string `xml:"errors>message"`
			Code    string `xml:"errors>statusCode"`
		} `xml:"Body>updateMetadataResponse>result"`
	}
	if err := xml.NewDecoder(bytes.NewReader(raw)).Decode(&env); err != nil {
		if resp.StatusCode >= 500 {
			return warden.Errorf(warden.EUNAVAILABLE, "updateMetadata: HTTP %d", resp.StatusCode)
		}
		return warden.Errorf(warden.EINTERNAL, "updateMetadata: unreadable answer (HTTP %d)", resp.StatusCode)
	}
	switch {
	case env.Fault.Code != "":
		kind := warden.EINVALID
		switch {
		case strings.Contains(env.Fault.Code, "INVALID_SESSION_ID"):
			kind = warden.EUNAUTHORIZED
		case strings.Contains(env.Fault.Code, "INSUFFICIENT_ACCESS"):
			kind = warden.EFORBIDDEN
		case resp.StatusCode >= 500 && !strings.HasPrefix(env.Fault.Code, "sf:"):
			kind = warden.EUNAVAILABLE
		}
		return warden.Errorf(kind, "updateMetadata: %s", env.Fault.String)
	case len(env.Results) == 0:
		return warden.Errorf(warden.EUNAVAILABLE, "updateMetadata: no result (HTTP %d)", resp.StatusCode)
	case !env.Results[0].Success:
		return warden.Errorf(warden.EINVALID, "updateMetadata: %s: %s", env.Results[0].Code, env.Results[0].Message)
	}
	return nil
}

var _ = fmt.Sprintf
