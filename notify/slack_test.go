package notify

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

const slackPath = "/services/T0001/B0002/XyZsEcReTtOkEn123"

func TestSlackProblem(t *testing.T) {
	ep := newEndpoint(t, reply{status: 200, body: "ok"})
	s, err := NewSlack(SlackConfig{Name: "ops-slack", WebhookURL: ep.URL + slackPath})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "ops-slack" {
		t.Errorf("Name = %q", s.Name())
	}
	if err := s.Notify(context.Background(), problemAlert()); err != nil {
		t.Fatal(err)
	}
	req := ep.only(t)
	if req.Method != http.MethodPost || req.Path != slackPath {
		t.Errorf("request = %s %s", req.Method, req.Path)
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if ua := req.Header.Get("User-Agent"); ua != userAgent {
		t.Errorf("User-Agent = %q", ua)
	}
	assertJSON(t, req.Body, `{
	  "text": "ERROR: gis@acme.example (user_frozen) in Acme",
	  "blocks": [
	    {"type": "header", "text": {"type": "plain_text", "text": "ERROR: gis@acme.example (user_frozen)", "emoji": false}},
	    {"type": "section", "fields": [
	      {"type": "mrkdwn", "text": "*Org*\nAcme"},
	      {"type": "mrkdwn", "text": "*State*\nok → error"},
	      {"type": "mrkdwn", "text": "*Severity*\nhigh"},
	      {"type": "mrkdwn", "text": "*Owner*\nTeam Integration"}
	    ]},
	    {"type": "section", "text": {"type": "mrkdwn", "text": "*Evidence*\nUserLogin.IsFrozen = true; LoginHistory: User is frozen"}},
	    {"type": "section", "text": {"type": "mrkdwn", "text": "*Fix*\nUnfreeze the user in Setup &gt; Users, then find who froze it in the setup audit trail."}},
	    {"type": "section", "text": {"type": "mrkdwn", "text": "*Affected applications*\n• Team Billing: Invoice Sync, AR Export\n• Team GIS: Map Sync"}},
	    {"type": "actions", "elements": [
	      {"type": "button", "text": {"type": "plain_text", "text": "Open in Warden"}, "url": "https://warden.acme.example/users/acme/gis@acme.example", "action_id": "warden_open"}
	    ]}
	  ]
	}`)
}

func TestSlackRecovery(t *testing.T) {
	ep := newEndpoint(t, reply{status: 200, body: "ok"})
	s, err := NewSlack(SlackConfig{WebhookURL: ep.URL + slackPath})
	if err != nil {
		t.Fatal(err)
	}
	a := recoveryAlert()
	a.URL = ""
	if err := s.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	assertJSON(t, ep.only(t).Body, `{
	  "text": "RECOVERED: gis@acme.example (user_frozen) in Acme",
	  "blocks": [
	    {"type": "header", "text": {"type": "plain_text", "text": "RECOVERED: gis@acme.example (user_frozen)", "emoji": false}},
	    {"type": "section", "fields": [
	      {"type": "mrkdwn", "text": "*Org*\nAcme"},
	      {"type": "mrkdwn", "text": "*State*\nerror → ok"},
	      {"type": "mrkdwn", "text": "*Severity*\ninfo"},
	      {"type": "mrkdwn", "text": "*Owner*\nTeam Integration"}
	    ]},
	    {"type": "section", "text": {"type": "mrkdwn", "text": "*Recovered*\nThe earlier problem (user_frozen) has cleared; the integration user works again."}},
	    {"type": "section", "text": {"type": "mrkdwn", "text": "*Evidence*\nLogin succeeded"}},
	    {"type": "section", "text": {"type": "mrkdwn", "text": "*Affected applications*\n• Team Billing: Invoice Sync, AR Export\n• Team GIS: Map Sync"}}
	  ]
	}`)
}

// TestSlackEscapesAndLimits checks mrkdwn escaping, single-line headers
// and Slack's length limits.
func TestSlackEscapesAndLimits(t *testing.T) {
	a := problemAlert()
	a.Username = "evil\n<!channel>@acme.example"
	a.Evidence = strings.Repeat("x", 5000) + " <https://phish|click> & more"
	p := slackMessage(a)
	h := p.Blocks[0].Text.Text
	if strings.ContainsAny(h, "\r\n") || len([]rune(h)) > slackHeaderMax {
		t.Errorf("header %q is not one short line", h)
	}
	if strings.Contains(p.Text, "<!channel>") {
		t.Errorf("fallback text not escaped: %q", p.Text)
	}
	ev := p.Blocks[2].Text.Text
	if n := len([]rune(ev)); n > slackSectionMax {
		t.Errorf("evidence section has %d characters", n)
	}
	if strings.Contains(ev, "<https") {
		t.Errorf("evidence not escaped")
	}
}

func TestSlackErrors(t *testing.T) {
	tests := []struct {
		name  string
		reply reply
		kind  string
		want  string
	}{
		{"invalid payload", reply{status: 400, body: "invalid_payload"}, warden.EINVALID, "answered 400 Bad Request: invalid_payload"},
		{"gone", reply{status: 404, body: "no_service"}, warden.EINVALID, "answered 404 Not Found: no_service"},
		{"archived", reply{status: 410, body: "channel_is_archived"}, warden.EINVALID, "410 Gone"},
		{"throttled", reply{status: 429, body: "rate_limited", header: map[string]string{"Retry-After": "7"}}, warden.EUNAVAILABLE, "429 Too Many Requests"},
		{"down", reply{status: 503}, warden.EUNAVAILABLE, "503 Service Unavailable"},
		{"redirect", reply{status: 302, header: map[string]string{"Location": "https://elsewhere.example/"}}, warden.EINVALID, "redirects are not followed"},
		// An answer that quotes the webhook path is scrubbed.
		{"echo", reply{status: 403, body: "bad hook " + slackPath}, warden.EINVALID, "[redacted]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := newEndpoint(t, tt.reply)
			s, err := NewSlack(SlackConfig{Name: "ops", WebhookURL: ep.URL + slackPath})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Notify(context.Background(), problemAlert())
			assertKind(t, err, tt.kind)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), ep.URL+"/[redacted]") {
				t.Errorf("error %q does not name the redacted endpoint", err)
			}
			assertNoSecrets(t, formatted(err), slackPath, "XyZsEcReTtOkEn123", "T0001/B0002")
			if tt.reply.status == 429 {
				if d := retryAfter(err); d != 7*time.Second {
					t.Errorf("retryAfter = %v, want 7s", d)
				}
			}
		})
	}
}

func TestSlackConfigErrors(t *testing.T) {
	for _, u := range []string{"", "hooks.slack.com/services/T/B/SECRETSECRET", "ftp://hooks.slack.com/SECRETSECRET", "https:///SECRETSECRET", "http://[::1]:namedport/SECRETSECRET"} {
		_, err := NewSlack(SlackConfig{WebhookURL: u})
		assertKind(t, err, warden.EINVALID)
		assertNoSecrets(t, formatted(err), "SECRETSECRET")
	}
	s, err := NewSlack(SlackConfig{WebhookURL: "https://hooks.slack.com/services/T/B/X"})
	if err != nil {
		t.Fatal(err)
	}
	assertKind(t, s.Notify(context.Background(), nil), warden.EINVALID)
}

// TestHTTPTransportErrors covers failures without an answer: the URL in
// net/http's error must be redacted.
func TestHTTPTransportErrors(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		ep := newEndpoint(t, reply{status: 200})
		url := ep.URL + slackPath
		ep.Close()
		s, err := NewSlack(SlackConfig{WebhookURL: url})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Notify(context.Background(), problemAlert())
		assertKind(t, err, warden.EUNAVAILABLE)
		assertNoSecrets(t, formatted(err), slackPath, "XyZsEcReTtOkEn123")
	})
	t.Run("timeout", func(t *testing.T) {
		ep := newEndpoint(t, reply{status: 200, delay: 5 * time.Second})
		s, err := NewSlack(SlackConfig{WebhookURL: ep.URL + slackPath, Timeout: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = s.Notify(context.Background(), problemAlert())
		assertKind(t, err, warden.EUNAVAILABLE)
		if !strings.Contains(err.Error(), "no answer within 50ms") {
			t.Errorf("error = %v", err)
		}
		if time.Since(start) > 3*time.Second {
			t.Errorf("timeout not enforced")
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error does not wrap context.DeadlineExceeded")
		}
		assertNoSecrets(t, formatted(err), slackPath, "XyZsEcReTtOkEn123")
	})
	t.Run("canceled", func(t *testing.T) {
		ep := newEndpoint(t, reply{status: 200, delay: 5 * time.Second})
		s, err := NewSlack(SlackConfig{WebhookURL: ep.URL + slackPath})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		err = s.Notify(ctx, problemAlert())
		assertKind(t, err, warden.EUNAVAILABLE)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error does not wrap context.Canceled: %v", err)
		}
		assertNoSecrets(t, formatted(err), slackPath, "XyZsEcReTtOkEn123")
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"12", 12 * time.Second}, {"-1", 0}, {"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"999999999", 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
