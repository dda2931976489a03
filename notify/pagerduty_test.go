package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

const routingKey = "R0UT1NGK3Y0123456789abcdefABCDEF"

func TestPagerDutyTriggerAndResolve(t *testing.T) {
	ep := newEndpoint(t, reply{status: 202, body: `{"status":"success","message":"Event processed","dedup_key":"acme/gis@acme.example"}`})
	pd, err := NewPagerDuty(PagerDutyConfig{RoutingKey: routingKey, URL: ep.URL + "/v2/enqueue"})
	if err != nil {
		t.Fatal(err)
	}
	if pd.Name() != "pagerduty" {
		t.Errorf("default name = %q", pd.Name())
	}
	if err := pd.Notify(context.Background(), problemAlert()); err != nil {
		t.Fatal(err)
	}
	if err := pd.Notify(context.Background(), recoveryAlert()); err != nil {
		t.Fatal(err)
	}
	reqs := ep.requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests", len(reqs))
	}
	for _, r := range reqs {
		if r.Method != "POST" || r.Path != "/v2/enqueue" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %s %v", r.Method, r.Path, r.Header)
		}
	}
	assertJSON(t, reqs[0].Body, `{
	  "routing_key": "`+routingKey+`",
	  "event_action": "trigger",
	  "dedup_key": "acme/gis@acme.example",
	  "client": "Warden",
	  "client_url": "https://warden.acme.example/users/acme/gis@acme.example",
	  "links": [{"href": "https://warden.acme.example/users/acme/gis@acme.example", "text": "Open in Warden"}],
	  "payload": {
	    "summary": "ERROR: gis@acme.example (user_frozen) in Acme",
	    "source": "warden",
	    "severity": "error",
	    "timestamp": "2026-03-04T05:06:07Z",
	    "component": "Acme",
	    "group": "Integration",
	    "class": "user_frozen",
	    "custom_details": {
	      "org": "Acme",
	      "username": "gis@acme.example",
	      "state": "error",
	      "previous": "ok",
	      "cause": "user_frozen",
	      "evidence": "UserLogin.IsFrozen = true; LoginHistory: User is frozen",
	      "fix": "Unfreeze the user in Setup > Users, then find who froze it in the setup audit trail.",
	      "owner": "Team Integration",
	      "dependents": ["Team Billing: Invoice Sync, AR Export", "Team GIS: Map Sync"],
	      "contacts": ["Invoice Sync: billing@acme.example"]
	    }
	  }
	}`)
	assertJSON(t, reqs[1].Body, `{
	  "routing_key": "`+routingKey+`",
	  "event_action": "resolve",
	  "dedup_key": "acme/gis@acme.example",
	  "client": "Warden",
	  "client_url": "https://warden.acme.example/users/acme/gis@acme.example",
	  "links": [{"href": "https://warden.acme.example/users/acme/gis@acme.example", "text": "Open in Warden"}],
	  "payload": {
	    "summary": "RECOVERED: gis@acme.example (user_frozen) in Acme",
	    "source": "warden",
	    "severity": "info",
	    "timestamp": "2026-03-04T05:36:07Z",
	    "component": "Acme",
	    "group": "Integration",
	    "class": "user_frozen",
	    "custom_details": {
	      "org": "Acme",
	      "username": "gis@acme.example",
	      "state": "ok",
	      "previous": "error",
	      "cause": "user_frozen",
	      "evidence": "Login succeeded",
	      "fix": "",
	      "owner": "Team Integration",
	      "dependents": ["Team Billing: Invoice Sync, AR Export", "Team GIS: Map Sync"],
	      "contacts": ["Invoice Sync: billing@acme.example"]
	    }
	  }
	}`)
}

func TestPagerDutySeverity(t *testing.T) {
	tests := []struct {
		sev   warden.Severity
		state warden.State
		res   bool
		want  string
	}{
		{warden.SeverityCritical, warden.StateError, false, "critical"},
		{warden.SeverityHigh, warden.StateError, false, "error"},
		{warden.SeverityMedium, warden.StateDegraded, false, "warning"},
		{warden.SeverityLow, warden.StateDegraded, false, "warning"},
		{warden.SeverityInfo, warden.StateDegraded, false, "info"},
		{"", warden.StateError, false, "error"},
		{"", warden.StateDegraded, false, "warning"},
		{"", warden.StateUnknown, false, "warning"},
		{warden.SeverityCritical, warden.StateOK, true, "info"},
		{"", warden.StateOK, false, "info"},
	}
	for _, tt := range tests {
		a := &warden.Alert{Severity: tt.sev, State: tt.state, Resolved: tt.res}
		if got := pagerDutySeverity(a); got != tt.want {
			t.Errorf("severity %q state %q resolved %v = %q, want %q", tt.sev, tt.state, tt.res, got, tt.want)
		}
	}
}

func TestPagerDutyErrors(t *testing.T) {
	tests := []struct {
		name  string
		reply reply
		kind  string
	}{
		{"invalid event", reply{status: 400, body: `{"status":"invalid event","message":"Event object is invalid","errors":["Invalid routing key ` + routingKey + `"]}`}, warden.EINVALID},
		{"throttled", reply{status: 429, header: map[string]string{"Retry-After": "2"}}, warden.EUNAVAILABLE},
		{"server error", reply{status: 500}, warden.EUNAVAILABLE},
		{"unavailable", reply{status: 503}, warden.EUNAVAILABLE},
		{"forbidden", reply{status: 403}, warden.EINVALID},
		{"ok status", reply{status: 200}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := newEndpoint(t, tt.reply)
			pd, err := NewPagerDuty(PagerDutyConfig{Name: "pd", RoutingKey: routingKey, URL: ep.URL + "/v2/enqueue"})
			if err != nil {
				t.Fatal(err)
			}
			err = pd.Notify(context.Background(), problemAlert())
			if tt.kind == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			assertKind(t, err, tt.kind)
			assertNoSecrets(t, formatted(err), routingKey)
			if tt.reply.status == 400 && !strings.Contains(err.Error(), "Invalid routing key [redacted]") {
				t.Errorf("error = %v", err)
			}
			if tt.reply.status == 429 && retryAfter(err) != 2*time.Second {
				t.Errorf("retryAfter = %v", retryAfter(err))
			}
		})
	}
}

func TestPagerDutyConfig(t *testing.T) {
	_, err := NewPagerDuty(PagerDutyConfig{})
	assertKind(t, err, warden.EINVALID)
	pd, err := NewPagerDuty(PagerDutyConfig{RoutingKey: routingKey})
	if err != nil {
		t.Fatal(err)
	}
	if pd.sender.url != DefaultPagerDutyURL {
		t.Errorf("default URL = %q", pd.sender.url)
	}
	_, err = NewPagerDuty(PagerDutyConfig{RoutingKey: routingKey, URL: "events.example/" + routingKey})
	assertKind(t, err, warden.EINVALID)
	assertNoSecrets(t, formatted(err), routingKey)
}
