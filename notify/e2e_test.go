package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/notify/smtptest"
)

// TestAllChannelsEndToEnd dispatches a problem and its recovery through
// every channel kind to real local endpoints and checks what each one
// received, including that every message names each affected team with
// its applications.
func TestAllChannelsEndToEnd(t *testing.T) {
	slackEP := newEndpoint(t, reply{status: 200, body: "ok"})
	teamsEP := newEndpoint(t, reply{status: 200, body: "1"})
	pdEP := newEndpoint(t, reply{status: 202, body: `{"status":"success"}`})
	rv := newReceiver(t, webhookSecret)
	mailSrv := startSMTP(t, smtptest.Config{StartTLS: true, Username: "warden", Password: "smtp-pa55word"})

	slack, err := NewSlack(SlackConfig{WebhookURL: slackEP.URL + slackPath})
	if err != nil {
		t.Fatal(err)
	}
	teams, err := NewTeams(TeamsConfig{WebhookURL: teamsEP.URL + teamsPath})
	if err != nil {
		t.Fatal(err)
	}
	pd, err := NewPagerDuty(PagerDutyConfig{RoutingKey: routingKey, URL: pdEP.URL + "/v2/enqueue"})
	if err != nil {
		t.Fatal(err)
	}
	wh, err := NewWebhook(WebhookConfig{URL: rv.URL + "/warden", Secret: webhookSecret})
	if err != nil {
		t.Fatal(err)
	}
	mcfg := emailConfig(mailSrv)
	mcfg.Username, mcfg.Password, mcfg.RootCAs = "warden", "smtp-pa55word", mailSrv.CertPool()
	email, err := NewEmail(mcfg)
	if err != nil {
		t.Fatal(err)
	}

	var logs lockedBuffer
	d := NewDispatcher(DispatcherConfig{
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Routes: []Route{
			{Notifier: slack, MinSeverity: warden.SeverityMedium},
			{Notifier: teams, Owners: []string{"Billing"}},
			{Notifier: pd, MinSeverity: warden.SeverityHigh},
			{Notifier: wh},
			{Notifier: email, Owners: []string{"GIS", "Integration"}},
		},
	})
	ctx := context.Background()
	all := []string{"ops-mail", "pagerduty", "slack", "teams", "webhook"}
	for _, a := range []*warden.Alert{problemAlert(), recoveryAlert()} {
		res := d.Dispatch(ctx, a)
		if err := res.Err(); err != nil {
			t.Fatal(err)
		}
		if got := sentTo(res); !slices.Equal(got, all) {
			t.Fatalf("resolved=%v sent to %v", a.Resolved, got)
		}
	}

	const teamLine = "Team Billing: Invoice Sync, AR Export"
	for name, reqs := range map[string][]request{"slack": slackEP.requests(), "teams": teamsEP.requests(), "pagerduty": pdEP.requests()} {
		if len(reqs) != 2 {
			t.Fatalf("%s got %d requests", name, len(reqs))
		}
		for _, r := range reqs {
			if !strings.Contains(jsonText(t, r.Body), teamLine) {
				t.Errorf("%s message lacks %q: %s", name, teamLine, r.Body)
			}
		}
	}
	if s := jsonText(t, slackEP.requests()[1].Body); !strings.Contains(s, "RECOVERED: gis@acme.example") {
		t.Errorf("slack recovery: %s", s)
	}
	var events []map[string]any
	for _, r := range pdEP.requests() {
		var ev map[string]any
		json.Unmarshal(r.Body, &ev)
		events = append(events, ev)
	}
	if events[0]["event_action"] != "trigger" || events[1]["event_action"] != "resolve" || events[0]["dedup_key"] != events[1]["dedup_key"] {
		t.Errorf("pagerduty events: %v / %v", events[0]["event_action"], events[1]["event_action"])
	}
	if len(rv.accepted) != 2 || rv.accepted[0].Alert.Resolved || !rv.accepted[1].Alert.Resolved || len(rv.rejected) != 0 {
		t.Errorf("webhook accepted %d, rejected %v", len(rv.accepted), rv.rejected)
	}
	msgs := mailSrv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("mail got %d messages", len(msgs))
	}
	for i, wantSubj := range []string{"[Warden] ERROR user_frozen: gis@acme.example (Acme)", "[Warden] RECOVERED user_frozen: gis@acme.example (Acme)"} {
		p := parseMessage(t, msgs[i])
		if got := p.header.Get("Subject"); got != wantSubj {
			t.Errorf("mail %d subject %q", i, got)
		}
		if !strings.Contains(p.body, "- "+teamLine) || !msgs[i].TLS {
			t.Errorf("mail %d: tls %v body:\n%s", i, msgs[i].TLS, p.body)
		}
	}
	st := d.Stats()
	for _, name := range all {
		if st[name] != (ChannelStats{Sent: 2}) {
			t.Errorf("stats[%s] = %+v", name, st[name])
		}
	}
	assertNoSecrets(t, logs.String(), slackPath, teamsPath, routingKey, webhookSecret, "smtp-pa55word", "XyZsEcReTtOkEn123", "c0ffeeSECRET42")
}

// TestFailuresLeakNoSecrets makes every channel fail, with endpoints that
// echo what they were sent, and checks the outcomes' errors and the
// dispatcher's logs for secrets.
func TestFailuresLeakNoSecrets(t *testing.T) {
	// Endpoints whose answers quote the secrets back.
	slackEP := newEndpoint(t, reply{status: 500, body: "no_service " + slackPath})
	teamsEP := newEndpoint(t, reply{status: 404, body: "unknown webhook " + teamsPath})
	pdEP := newEndpoint(t, reply{status: 400, body: `{"status":"invalid event","errors":["routing key ` + routingKey + ` unknown"]}`})
	whEP := newEndpoint(t, reply{status: 503, body: "auth Bearer HeaderToken321 signature sha256= secret " + webhookSecret})
	mailSrv := startSMTP(t, smtptest.Config{StartTLS: true, Username: "warden", Password: "smtp-pa55word"})
	mailSrv.Fail("MAIL", 451, 0)

	slack, _ := NewSlack(SlackConfig{WebhookURL: slackEP.URL + slackPath})
	teams, _ := NewTeams(TeamsConfig{WebhookURL: teamsEP.URL + teamsPath})
	pd, _ := NewPagerDuty(PagerDutyConfig{RoutingKey: routingKey, URL: pdEP.URL + "/v2/enqueue"})
	wh, err := NewWebhook(WebhookConfig{URL: whEP.URL + "/in/TokenInPath987?key=QueryKey654", Secret: webhookSecret, Headers: map[string]string{"Authorization": "Bearer HeaderToken321"}})
	if err != nil {
		t.Fatal(err)
	}
	mcfg := emailConfig(mailSrv)
	mcfg.Username, mcfg.Password, mcfg.InsecureSkipVerify = "warden", "smtp-pa55word", true
	email, err := NewEmail(mcfg)
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	d := NewDispatcher(DispatcherConfig{
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Retry:  Retry{Attempts: 2, BaseDelay: 1, MaxDelay: 1},
		Routes: []Route{{Notifier: slack}, {Notifier: teams}, {Notifier: pd}, {Notifier: wh}, {Notifier: email}},
	})
	res := d.Dispatch(context.Background(), problemAlert())
	var all bytes.Buffer
	for _, o := range res.Outcomes {
		if o.Status != StatusFailed {
			t.Errorf("%s: %s", o.Channel, o.Status)
			continue
		}
		all.WriteString(formatted(o.Err))
	}
	all.WriteString(formatted(res.Err()))
	all.WriteString(logs.String())
	assertNoSecrets(t, all.String(),
		slackPath, "XyZsEcReTtOkEn123", teamsPath, "c0ffeeSECRET42", routingKey, webhookSecret,
		"TokenInPath987", "QueryKey654", "HeaderToken321", "smtp-pa55word")
	for _, want := range []string{"[redacted]", "channel slack", "channel teams", "channel pagerduty", "channel webhook", "channel ops-mail"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("errors/logs lack %q", want)
		}
	}
}

// jsonText decodes a JSON body so escaped characters compare as text.
func jsonText(t *testing.T, body []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			b.WriteString(v + "\n")
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return b.String()
}
