package broker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// MaxApprovals is how many live refresh tokens Salesforce lets one user
// hold for one connected app: a sixth approval silently revokes the
// oldest.
const MaxApprovals = 5

// TokenHealth is what the broker's slow loop learns about the refresh
// tokens of a user it serves with a refresh-token credential: one entry
// per connected app the user approved.
type TokenHealth struct {
	Credential string `json:"credential"`
	Org        string `json:"org"`
	Username   string `json:"username"`
	// App is the connected app's name; Current is set for the app whose
	// token was used last (the broker's own, as it just used it).
	App     string `json:"app"`
	Current bool   `json:"current"`
	// Approvals counts the user's live refresh tokens for App.
	Approvals int `json:"approvals"`
	// Created, LastUsed and UseCount are those of the newest approval.
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"lastUsed,omitempty"`
	UseCount int       `json:"useCount"`
	// Validity is the app's refresh-token policy: zero for valid until
	// revoked; ExpiresAt is Created plus Validity when it is set.
	Validity  time.Duration `json:"validity,omitempty"`
	ExpiresAt time.Time     `json:"expiresAt,omitempty"`
	// Warning says what needs attention ("" for nothing).
	Warning string `json:"warning,omitempty"`
}

// HealthOptions configure RunHealth.
type HealthOptions struct {
	// Orgs and Credentials find each credential's org and its monitoring
	// credential, whose session reads OauthToken and ConnectedApplication
	// (Manage Users is needed; the user's own session usually lacks it).
	Orgs        warden.OrgService
	Credentials warden.CredentialService
	// Every is the loop's interval (default 1h).
	Every time.Duration
	// KeepAlive is the longest a refresh token the broker serves goes
	// unused (default 24h; at most half of the app's validity): the loop
	// refreshes a session older than that, so that an idle application
	// does not let the token expire.
	KeepAlive time.Duration
	// OnReport receives every entry of every pass (nil: none); entries
	// with a Warning are also logged.
	OnReport func(TokenHealth)
}

// healthMetrics are the gauges of the slow loop.
type healthMetrics struct {
	approvals *prometheus.GaugeVec // credential, app
	age       *prometheus.GaugeVec // credential
}

// RunHealth runs the broker's slow loop until ctx ends: every Every it
// reads, for each refresh-token credential the broker has served, the
// user's OauthToken rows and the connected apps' refresh-token policies
// (one composite request per credential, through the org's monitoring
// credential), reports approvals near MaxApprovals and tokens near
// expiry, and refreshes sessions older than KeepAlive.
//
// The monitor reads the same objects in its sweeps for its own
// observations; the broker reads them here, at most hourly, only for the
// credentials it serves, so that it depends on nothing in the monitor.
func (b *Broker) RunHealth(ctx context.Context, o HealthOptions) {
	if o.Every <= 0 {
		o.Every = time.Hour
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = 24 * time.Hour
	}
	t := time.NewTicker(o.Every)
	defer t.Stop()
	for {
		for _, h := range b.CheckHealth(ctx, o) {
			if h.Warning != "" {
				b.logger.Warn("broker: refresh token needs attention", "credential", h.Credential, "user", h.Username, "app", h.App, "warning", h.Warning)
			}
			if o.OnReport != nil {
				o.OnReport(h)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CheckHealth runs one pass of the slow loop (see RunHealth) and returns
// its entries, by credential and app.
func (b *Broker) CheckHealth(ctx context.Context, o HealthOptions) []TokenHealth {
	b.mu.Lock()
	served := make(map[string]*salesforce.Token, len(b.minted))
	for c, tok := range b.minted {
		served[c] = tok
	}
	b.mu.Unlock()
	names := make([]string, 0, len(served))
	for c := range served {
		names = append(names, c)
	}
	slices.Sort(names)
	var out []TokenHealth
	for _, name := range names {
		hs, err := b.credentialHealth(ctx, o, name, served[name])
		if err != nil {
			if ctx.Err() == nil {
				b.logger.Warn("broker: reading the refresh tokens of a credential failed", "credential", name, "err", warden.ErrorMessage(err))
			}
			continue
		}
		out = append(out, hs...)
	}
	return out
}

func (b *Broker) credentialHealth(ctx context.Context, o HealthOptions, name string, tok *salesforce.Token) ([]TokenHealth, error) {
	c, err := o.Credentials.Credential(ctx, name)
	if err != nil || c.Kind != warden.CredentialRefreshToken || tok.UserID == "" {
		return nil, err
	}
	org, err := o.Orgs.Org(ctx, c.Org)
	if err != nil {
		return nil, err
	}
	if org.MonitoringCredential == "" {
		return nil, warden.Errorf(warden.EINVALID, "org %s has no monitoring credential to read OauthToken with", org.Name)
	}
	mon, err := b.cfg.Sessions.Session(ctx, org.MonitoringCredential)
	if err != nil {
		return nil, err
	}
	hs, err := readTokenHealth(ctx, mon, tok.UserID)
	if err != nil {
		return nil, err
	}
	var validity time.Duration
	for i := range hs {
		hs[i].Credential, hs[i].Org, hs[i].Username = name, c.Org, c.Username
		hs[i].Warning = healthWarning(&hs[i], b.now())
		b.healthGauges().approvals.WithLabelValues(name, hs[i].App).Set(float64(hs[i].Approvals))
		if hs[i].Current {
			b.healthGauges().age.WithLabelValues(name).Set(b.now().Sub(hs[i].Created).Seconds())
			validity = hs[i].Validity
		}
	}
	b.keepAlive(ctx, name, tok, o.KeepAlive, validity)
	return hs, nil
}

// keepAlive refreshes the session of a credential whose token is older
// than the keep-alive interval (at most half of the validity).
func (b *Broker) keepAlive(ctx context.Context, credential string, tok *salesforce.Token, every, validity time.Duration) {
	if validity > 0 {
		every = min(every, validity/2)
	}
	if b.now().Sub(b.issued(tok)) < every {
		return
	}
	sess, err := b.cfg.Sessions.Session(ctx, credential)
	if err != nil {
		return
	}
	sess.Invalidate(tok)
	if fresh, err := sess.Token(ctx); err != nil {
		b.failed(ctx, credential, err)
	} else {
		b.observe(credential, fresh)
	}
}

// healthGauges returns the slow loop's gauges, registering them on first
// use.
func (b *Broker) healthGauges() *healthMetrics {
	b.healthOnce.Do(func() {
		b.health = &healthMetrics{
			approvals: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "warden_broker_refresh_token_approvals",
				Help: "Live refresh tokens (approvals) of a brokered user per connected app; Salesforce keeps at most 5."}, []string{"credential", "app"}),
			age: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "warden_broker_refresh_token_age_seconds",
				Help: "Age of the refresh token the broker uses, by credential."}, []string{"credential"}),
		}
		if b.cfg.Registerer != nil {
			b.cfg.Registerer.MustRegister(b.health.approvals, b.health.age)
		}
	})
	return b.health
}

// readTokenHealth reads a user's OauthToken rows and the connected apps'
// policies in one composite request and summarizes them per app.
func readTokenHealth(ctx context.Context, s *salesforce.Session, userID string) ([]TokenHealth, error) {
	batch := &salesforce.Batch{}
	tokens := salesforce.OAuthTokens("WHERE UserId = "+salesforce.Quote(userID)).AddTo(batch, "tokens")
	apps := salesforce.ConnectedApps("").AddTo(batch, "apps")
	if err := batch.Send(ctx, s); err != nil {
		return nil, err
	}
	if tokens.Err != nil {
		return nil, tokens.Err
	}
	if apps.Err != nil {
		return nil, apps.Err
	}
	validity := map[string]time.Duration{}
	for _, a := range apps.Records {
		validity[a.Name] = policyDuration(a)
	}
	byApp := map[string]*TokenHealth{}
	var order []string
	var lastUsed time.Time
	var current string
	for _, t := range tokens.Records {
		h := byApp[t.AppName]
		if h == nil {
			h = &TokenHealth{App: t.AppName, Validity: validity[t.AppName]}
			byApp[t.AppName] = h
			order = append(order, t.AppName)
		}
		h.Approvals++
		if t.Created.After(h.Created) {
			h.Created, h.LastUsed, h.UseCount = t.Created, t.LastUsed, t.UseCount
		}
		if t.LastUsed.After(lastUsed) {
			lastUsed, current = t.LastUsed, t.AppName
		}
	}
	slices.Sort(order)
	out := make([]TokenHealth, 0, len(order))
	for _, app := range order {
		h := byApp[app]
		h.Current = app == current
		if h.Validity > 0 {
			h.ExpiresAt = h.Created.Add(h.Validity)
		}
		out = append(out, *h)
	}
	return out, nil
}

// healthWarning says what about h needs attention, or "".
func healthWarning(h *TokenHealth, now time.Time) string {
	var warn []string
	switch {
	case h.Approvals >= MaxApprovals:
		warn = append(warn, fmt.Sprintf("%d approvals of %s, the most Salesforce keeps: the next approval (a re-authorization, a new device) silently revokes the oldest token", h.Approvals, h.App))
	case h.Approvals == MaxApprovals-1:
		warn = append(warn, fmt.Sprintf("%d approvals of %s: one more leaves no room, and the one after revokes the oldest token", h.Approvals, h.App))
	}
	if !h.ExpiresAt.IsZero() && h.Current && h.ExpiresAt.Sub(now) < 7*24*time.Hour {
		warn = append(warn, fmt.Sprintf("the refresh token expires at %s under the app's policy: re-authorize before then (warden reauth %s)",
			h.ExpiresAt.UTC().Format(time.RFC3339), h.Username))
	}
	return strings.Join(warn, "; ")
}

// policyDuration converts an app's refresh-token policy to a duration
// (zero for valid until revoked).
func policyDuration(a salesforce.ConnectedApp) time.Duration {
	n := time.Duration(a.RefreshTokenValidityPeriod)
	switch a.RefreshTokenValidityMetric {
	case "Hours":
		return n * time.Hour
	case "Days":
		return n * 24 * time.Hour
	case "Months":
		return n * 30 * 24 * time.Hour
	}
	return 0
}
