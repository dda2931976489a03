package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// DefaultPagerDutyURL is the Events API v2 endpoint.
const DefaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

// PagerDutyConfig configures a PagerDuty channel.
type PagerDutyConfig struct {
	// Name is the channel's name in the configuration; "pagerduty" when
	// empty.
	Name string
	// RoutingKey is the integration key of an Events API v2 integration;
	// required. It never appears in errors.
	RoutingKey string
	// URL is the Events API endpoint; DefaultPagerDutyURL when empty.
	URL string
	// Timeout bounds one delivery; DefaultTimeout when zero.
	Timeout time.Duration
	// HTTPClient sends the requests; a fresh client when nil. Redirects are
	// never followed.
	HTTPClient *http.Client
}

// PagerDuty triggers an incident for every problem and resolves it when
// the alert recovers. The incident's dedup_key is the alert's Key, so a
// changed cause updates the open incident and the recovery closes it.
type PagerDuty struct {
	name       string
	routingKey string
	sender     *httpSender
}

// NewPagerDuty returns a PagerDuty channel, or an EINVALID error when the
// routing key is empty or the URL is not an absolute http(s) URL.
func NewPagerDuty(cfg PagerDutyConfig) (*PagerDuty, error) {
	name := cmp.Or(cfg.Name, "pagerduty")
	const op = "notify.pagerduty"
	if strings.TrimSpace(cfg.RoutingKey) == "" {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "channel " + name + ": a routing key is required"}
	}
	s, err := newHTTPSender(op, name, "URL", cmp.Or(cfg.URL, DefaultPagerDutyURL), cfg.HTTPClient, cfg.Timeout, cfg.RoutingKey)
	if err != nil {
		return nil, err
	}
	return &PagerDuty{name: name, routingKey: cfg.RoutingKey, sender: s}, nil
}

// Name returns the channel's name.
func (p *PagerDuty) Name() string { return p.name }

// Notify sends a trigger event for a problem and a resolve event for a
// recovery. PagerDuty answers 202; 429 and 5xx answers are EUNAVAILABLE
// errors (retry), 400 and other answers EINVALID.
func (p *PagerDuty) Notify(ctx context.Context, a *warden.Alert) error {
	if a == nil {
		return nilAlertError(p.sender.op, p.name)
	}
	body, err := json.Marshal(pagerDutyEvent(p.routingKey, a))
	if err != nil {
		return &warden.Error{Kind: warden.EINTERNAL, Op: p.sender.op, Message: "channel " + p.name + ": cannot encode the event", Err: err}
	}
	_, err = p.sender.post(ctx, body, nil)
	return err
}

// pdEvent is an Events API v2 event.
type pdEvent struct {
	RoutingKey  string    `json:"routing_key"`
	EventAction string    `json:"event_action"`
	DedupKey    string    `json:"dedup_key"`
	Payload     *pdDetail `json:"payload,omitempty"`
	Client      string    `json:"client,omitempty"`
	ClientURL   string    `json:"client_url,omitempty"`
	Links       []pdLink  `json:"links,omitempty"`
}

type pdDetail struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details"`
}

type pdLink struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// pagerDutySeverity maps an alert to PagerDuty's four severities:
// critical stays critical, high is error, medium and low are warning, info
// and recoveries are info. Alerts without a severity map by state: error
// is error, degraded and unknown are warning.
func pagerDutySeverity(a *warden.Alert) string {
	if isRecovery(a) {
		return "info"
	}
	switch a.Severity {
	case warden.SeverityCritical:
		return "critical"
	case warden.SeverityHigh:
		return "error"
	case warden.SeverityMedium, warden.SeverityLow:
		return "warning"
	case warden.SeverityInfo:
		return "info"
	}
	if a.State == warden.StateError {
		return "error"
	}
	return "warning"
}

// pagerDutyEvent builds the event: "trigger" with a full payload for a
// problem, "resolve" with the same dedup_key for a recovery (PagerDuty
// ignores a resolve's payload, but it is sent for the incident log).
func pagerDutyEvent(routingKey string, a *warden.Alert) pdEvent {
	ev := pdEvent{
		RoutingKey:  routingKey,
		EventAction: "trigger",
		DedupKey:    alertKey(a),
		Client:      "Warden",
	}
	if isRecovery(a) {
		ev.EventAction = "resolve"
	}
	details := map[string]any{
		"org":      a.Org,
		"username": a.Username,
		"state":    string(a.State),
		"previous": string(a.Previous),
		"cause":    string(a.Cause),
		"evidence": a.Evidence,
		"fix":      a.Fix,
	}
	deps := dependentLines(a)
	if deps == nil {
		deps = []string{}
	}
	details["dependents"] = deps
	if c := contactLines(a); len(c) > 0 {
		details["contacts"] = c
	}
	if a.Owner != "" {
		details["owner"] = teamLabel(a.Owner)
	}
	ev.Payload = &pdDetail{
		Summary:       truncate(headline(a)+" in "+cmp.Or(singleLine(a.Org), "(unknown org)"), 1024),
		Source:        "warden",
		Severity:      pagerDutySeverity(a),
		Component:     a.Org,
		Group:         a.Owner,
		Class:         string(a.Cause),
		CustomDetails: details,
	}
	if !a.At.IsZero() {
		ev.Payload.Timestamp = a.At.UTC().Format(time.RFC3339)
	}
	if a.URL != "" {
		ev.ClientURL = a.URL
		ev.Links = []pdLink{{Href: a.URL, Text: "Open in Warden"}}
	}
	return ev
}
