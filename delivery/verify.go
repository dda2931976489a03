package delivery

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// maxHealthBody is how much of a health answer is searched for Expect.
const maxHealthBody = 1 << 20

// Verify proves that dependent dep works with version of credential c.
// A manual delivery must first be confirmed by its owner (EUNAVAILABLE
// until then). Then dep's verification method runs: health (GET the URL,
// 2xx, the expected text in the body; retried), login (one test login
// with the delivered material m), login_history (dep's own newest login
// since the delivery, picked by source IP and application, succeeded),
// or none (the recorded delivery is the proof).
func (d *Deliverer) Verify(ctx context.Context, dep *warden.Dependent, c *warden.Credential, m warden.Material, version string) error {
	if dep == nil || c == nil {
		return warden.Errorf(warden.EINVALID, "verify: a dependent and a credential are required")
	}
	if err := dep.Validate(); err != nil {
		return err
	}
	j := &job{dep: dep, cred: c, m: m, version: version, action: warden.ActionDeliver}
	rec, err := d.record(ctx, j)
	if err != nil {
		return err
	}
	if rec != nil && rec.Pending {
		return warden.Errorf(warden.EUNAVAILABLE, "verify %s: waiting for %s to confirm the manual delivery of version %s",
			dep.Name, ownerName(dep), version)
	}
	switch dep.Verify.Method {
	case warden.VerifyHealth:
		err = d.verifyHealth(ctx, j)
	case warden.VerifyLogin:
		err = d.verifyLogin(ctx, j)
	case warden.VerifyLoginHistory:
		if rec == nil {
			return warden.Errorf(warden.EINTERNAL, "verify %s: login-history verification needs the delivery store", dep.Name)
		}
		err = d.verifyLoginHistory(ctx, j, rec.At)
	}
	if err != nil {
		return warden.Prefix("verify "+dep.Name, err)
	}
	return nil
}

// record returns the delivery record of j, or nil without a store. A
// delivery that was never made is ECONFLICT.
func (d *Deliverer) record(ctx context.Context, j *job) (*warden.DeliveryRecord, error) {
	if d.cfg.Deliveries == nil {
		if j.dep.Delivery == warden.DeliveryManual || j.dep.Delivery == "" {
			return nil, warden.Errorf(warden.EINTERNAL, "verify %s: manual deliveries need a delivery store", j.dep.Name)
		}
		return nil, nil
	}
	recs, err := d.cfg.Deliveries.Deliveries(ctx, warden.DeliveryFilter{Org: j.dep.Org, Dependent: j.dep.Name, Credential: j.cred.Name, Version: j.version})
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.Action == warden.ActionDeliver {
			return r, nil
		}
	}
	return nil, warden.Errorf(warden.ECONFLICT, "verify %s: version %s of %s was not delivered to it", j.dep.Name, j.version, j.cred.Name)
}

func ownerName(dep *warden.Dependent) string {
	if dep.Owner == "" {
		return "the owner"
	}
	return "owner " + dep.Owner
}

// verifyHealth GETs the health URL until it answers 2xx with the expected
// text, within the retry attempts.
func (d *Deliverer) verifyHealth(ctx context.Context, j *job) error {
	v := j.dep.Verify
	u, err := url.Parse(v.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return warden.Errorf(warden.EINVALID, "the health URL must be an absolute http or https URL")
	}
	shown := u.Scheme + "://" + u.Host + u.EscapedPath() // never the query
	return d.retry(ctx, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.URL, nil)
		if err != nil {
			return warden.Errorf(warden.EINVALID, "cannot build a request for %s", shown)
		}
		req.Header.Set("User-Agent", "Warden-Delivery/1")
		resp, err := d.hc.Do(req)
		if err != nil {
			return warden.Errorf(warden.EUNAVAILABLE, "GET %s failed: %s", shown, transportText(ctx, err))
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxHealthBody))
		if resp.StatusCode/100 != 2 {
			// A dependent still on the old credential answers 5xx: retry.
			err := statusError("GET "+shown, resp.StatusCode, j.redact(string(body)))
			if resp.StatusCode >= 400 {
				err = warden.Errorf(warden.EUNAVAILABLE, "%s", warden.ErrorMessage(err))
			}
			return err
		}
		if v.Expect != "" && !strings.Contains(string(body), v.Expect) {
			return warden.Errorf(warden.EUNAVAILABLE, "GET %s answered %d without the expected text", shown, resp.StatusCode)
		}
		return nil
	})
}

// verifyLogin logs in once with the delivered material: one of Warden's
// logins as the user. Refresh tokens are refused: the grant may rotate
// the token the dependent was just given.
func (d *Deliverer) verifyLogin(ctx context.Context, j *job) error {
	if d.cfg.Sessions == nil {
		return warden.Errorf(warden.EINTERNAL, "login verification needs Salesforce sessions")
	}
	if j.cred.Kind == warden.CredentialRefreshToken {
		// A refresh grant may rotate the token, leaving the dependent with
		// one Salesforce no longer accepts.
		return warden.Errorf(warden.EINVALID, "a test login would spend the dependent's refresh token (connected apps may rotate it): verify it by health or login_history")
	}
	client, err := d.cfg.Sessions.Client(ctx, j.cred.Org)
	if err != nil {
		return err
	}
	auth, err := salesforce.NewAuthenticator(client, j.cred, j.m, nil)
	if err != nil {
		return err
	}
	if _, err := auth.Authenticate(ctx); err != nil {
		return warden.Prefix(fmt.Sprintf("test login as %s with version %s", j.cred.LoginUsername(j.m), j.version), err)
	}
	return nil
}

// verifyLoginHistory reads the user's logins since the delivery (through
// the org's monitoring credential) and requires the dependent's newest one
// to have succeeded.
func (d *Deliverer) verifyLoginHistory(ctx context.Context, j *job, since time.Time) error {
	if d.cfg.Sessions == nil || d.cfg.Orgs == nil {
		return warden.Errorf(warden.EINTERNAL, "login-history verification needs the orgs and Salesforce sessions")
	}
	org, err := d.cfg.Orgs.Org(ctx, j.dep.Org)
	if err != nil {
		return err
	}
	if org.MonitoringCredential == "" {
		return warden.Errorf(warden.EINVALID, "org %s has no monitoring credential to read login history with", org.Name)
	}
	s, err := d.cfg.Sessions.Session(ctx, org.MonitoringCredential)
	if err != nil {
		return err
	}
	// The user the delivered material logs in as: for a twin credential,
	// the twin the dependent was just moved to.
	username := j.cred.LoginUsername(j.m)
	users, err := salesforce.Users("WHERE Username = "+salesforce.Quote(username)).Read(ctx, s)
	if err != nil {
		return err
	}
	if len(users) == 0 {
		return warden.Errorf(warden.ENOTFOUND, "user %s not found in org %s", username, org.Name)
	}
	logins, err := salesforce.LoginHistory("WHERE UserId = "+salesforce.Quote(users[0].ID)+
		" AND LoginTime >= "+salesforce.DateTime(since.Add(-time.Second))+" ORDER BY LoginTime DESC").Read(ctx, s)
	if err != nil {
		return err
	}
	v := j.dep.Verify
	for _, l := range logins {
		if l.Time.Before(since.Truncate(time.Second)) {
			continue
		}
		if len(v.SourceIPs) > 0 && !slices.Contains(v.SourceIPs, l.SourceIP) {
			continue
		}
		if v.Application != "" && !strings.EqualFold(v.Application, l.Application) {
			continue
		}
		if l.Succeeded() {
			return nil
		}
		return warden.Errorf(warden.EUNAVAILABLE, "its newest login since the delivery (%s from %s) failed: %s",
			l.Time.UTC().Format(time.RFC3339), l.SourceIP, l.Status)
	}
	return warden.Errorf(warden.EUNAVAILABLE, "no login by it since the delivery at %s (matching %s)", since.UTC().Format(time.RFC3339), matchText(v))
}

func matchText(v warden.Verification) string {
	var parts []string
	if len(v.SourceIPs) > 0 {
		parts = append(parts, "source IP "+strings.Join(v.SourceIPs, ", "))
	}
	if v.Application != "" {
		parts = append(parts, "application "+v.Application)
	}
	return strings.Join(parts, " and ")
}
