package notify

import (
	"context"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

const teamsPath = "/webhookb2/1111-aaaa@2222-bbbb/IncomingWebhook/c0ffeeSECRET42/3333-cccc"

func TestTeamsProblem(t *testing.T) {
	ep := newEndpoint(t, reply{status: 200, body: "1"})
	tm, err := NewTeams(TeamsConfig{Name: "ops-teams", WebhookURL: ep.URL + teamsPath})
	if err != nil {
		t.Fatal(err)
	}
	if err := tm.Notify(context.Background(), problemAlert()); err != nil {
		t.Fatal(err)
	}
	req := ep.only(t)
	if req.Path != teamsPath || req.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request = %s %v", req.Path, req.Header)
	}
	assertJSON(t, req.Body, `{
	  "type": "message",
	  "attachments": [{
	    "contentType": "application/vnd.microsoft.card.adaptive",
	    "contentUrl": null,
	    "content": {
	      "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
	      "type": "AdaptiveCard",
	      "version": "1.4",
	      "msteams": {"width": "Full"},
	      "body": [
	        {"type": "TextBlock", "text": "ERROR: gis@acme.example (user_frozen)", "size": "Large", "weight": "Bolder", "color": "Attention", "wrap": true},
	        {"type": "FactSet", "facts": [
	          {"title": "Org", "value": "Acme"},
	          {"title": "User", "value": "gis@acme.example"},
	          {"title": "State", "value": "ok → error"},
	          {"title": "Cause", "value": "user_frozen"},
	          {"title": "Severity", "value": "high"},
	          {"title": "Owner", "value": "Team Integration"},
	          {"title": "Time", "value": "2026-03-04T05:06:07Z"}
	        ]},
	        {"type": "TextBlock", "text": "Evidence", "weight": "Bolder", "wrap": true, "spacing": "Medium"},
	        {"type": "TextBlock", "text": "UserLogin.IsFrozen = true; LoginHistory: User is frozen", "wrap": true, "spacing": "None"},
	        {"type": "TextBlock", "text": "Fix", "weight": "Bolder", "wrap": true, "spacing": "Medium"},
	        {"type": "TextBlock", "text": "Unfreeze the user in Setup > Users, then find who froze it in the setup audit trail.", "wrap": true, "spacing": "None"},
	        {"type": "TextBlock", "text": "Affected applications", "weight": "Bolder", "wrap": true, "spacing": "Medium"},
	        {"type": "TextBlock", "text": "• Team Billing: Invoice Sync, AR Export", "wrap": true, "spacing": "None"},
	        {"type": "TextBlock", "text": "• Team GIS: Map Sync", "wrap": true, "spacing": "None"}
	      ],
	      "actions": [{"type": "Action.OpenUrl", "title": "Open in Warden", "url": "https://warden.acme.example/users/acme/gis@acme.example"}]
	    }
	  }]
	}`)
}

func TestTeamsRecovery(t *testing.T) {
	ep := newEndpoint(t, reply{status: 202})
	tm, err := NewTeams(TeamsConfig{WebhookURL: ep.URL + teamsPath})
	if err != nil {
		t.Fatal(err)
	}
	if tm.Name() != "teams" {
		t.Errorf("default name = %q", tm.Name())
	}
	a := recoveryAlert()
	a.Dependents, a.URL = nil, ""
	if err := tm.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	assertJSON(t, ep.only(t).Body, `{
	  "type": "message",
	  "attachments": [{
	    "contentType": "application/vnd.microsoft.card.adaptive",
	    "contentUrl": null,
	    "content": {
	      "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
	      "type": "AdaptiveCard",
	      "version": "1.4",
	      "msteams": {"width": "Full"},
	      "body": [
	        {"type": "TextBlock", "text": "RECOVERED: gis@acme.example (user_frozen)", "size": "Large", "weight": "Bolder", "color": "Good", "wrap": true},
	        {"type": "FactSet", "facts": [
	          {"title": "Org", "value": "Acme"},
	          {"title": "User", "value": "gis@acme.example"},
	          {"title": "State", "value": "error → ok"},
	          {"title": "Cause", "value": "user_frozen"},
	          {"title": "Severity", "value": "info"},
	          {"title": "Owner", "value": "Team Integration"},
	          {"title": "Time", "value": "2026-03-04T05:36:07Z"}
	        ]},
	        {"type": "TextBlock", "text": "Recovered", "weight": "Bolder", "wrap": true, "spacing": "Medium"},
	        {"type": "TextBlock", "text": "The earlier problem (user_frozen) has cleared; the integration user works again.", "wrap": true, "spacing": "None"},
	        {"type": "TextBlock", "text": "Evidence", "weight": "Bolder", "wrap": true, "spacing": "Medium"},
	        {"type": "TextBlock", "text": "Login succeeded", "wrap": true, "spacing": "None"}
	      ]
	    }
	  }]
	}`)
}

func TestTeamsErrors(t *testing.T) {
	tests := []struct {
		name  string
		reply reply
		kind  string
	}{
		{"bad card", reply{status: 400, body: "Summary or Text is required."}, warden.EINVALID},
		{"throttled", reply{status: 429}, warden.EUNAVAILABLE},
		{"server error", reply{status: 502}, warden.EUNAVAILABLE},
		// Legacy connectors answer 200 and report the failure in the body.
		{"legacy throttle", reply{status: 200, body: "Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi-production"}, warden.EUNAVAILABLE},
		{"legacy bad request", reply{status: 200, body: "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413 with ContextId x"}, warden.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := newEndpoint(t, tt.reply)
			tm, err := NewTeams(TeamsConfig{WebhookURL: ep.URL + teamsPath})
			if err != nil {
				t.Fatal(err)
			}
			err = tm.Notify(context.Background(), problemAlert())
			assertKind(t, err, tt.kind)
			assertNoSecrets(t, formatted(err), teamsPath, "c0ffeeSECRET42", "1111-aaaa@2222-bbbb")
			if !strings.Contains(err.Error(), "channel teams") {
				t.Errorf("error %q does not name the channel", err)
			}
		})
	}
}

// TestTeamsWorkflowURL checks that a Power Automate URL, whose secret is a
// query parameter, is redacted too.
func TestTeamsWorkflowURL(t *testing.T) {
	ep := newEndpoint(t, reply{status: 500, body: "oops"})
	u := ep.URL + "/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SiGnAtUrE-very-secret"
	tm, err := NewTeams(TeamsConfig{WebhookURL: u})
	if err != nil {
		t.Fatal(err)
	}
	err = tm.Notify(context.Background(), problemAlert())
	assertKind(t, err, warden.EUNAVAILABLE)
	assertNoSecrets(t, formatted(err), "SiGnAtUrE-very-secret", "sig=", "/workflows/abc")
	if got := ep.only(t).Path; !strings.Contains(got, "sig=SiGnAtUrE-very-secret") {
		t.Errorf("query not sent: %s", got)
	}
}
