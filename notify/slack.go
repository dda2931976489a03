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

// SlackConfig configures a Slack channel.
type SlackConfig struct {
	// Name is the channel's name in the configuration; "slack" when empty.
	Name string
	// WebhookURL is the Slack incoming webhook
	// (https://hooks.slack.com/services/T.../B.../...). Its path is a
	// secret and never appears in errors.
	WebhookURL string
	// Timeout bounds one delivery; DefaultTimeout when zero.
	Timeout time.Duration
	// HTTPClient sends the requests; a fresh client when nil. Redirects are
	// never followed whatever the client says.
	HTTPClient *http.Client
}

// Slack posts alerts to a Slack incoming webhook as Block Kit messages.
type Slack struct {
	name   string
	sender *httpSender
}

// NewSlack returns a Slack channel, or an EINVALID error when the webhook
// URL is not an absolute http(s) URL.
func NewSlack(cfg SlackConfig) (*Slack, error) {
	name := cmp.Or(cfg.Name, "slack")
	s, err := newHTTPSender("notify.slack", name, "webhook URL", cfg.WebhookURL, cfg.HTTPClient, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	return &Slack{name: name, sender: s}, nil
}

// Name returns the channel's name.
func (s *Slack) Name() string { return s.name }

// Notify posts one alert. Slack answers 200 "ok"; 429 and 5xx answers are
// EUNAVAILABLE errors, other answers EINVALID.
func (s *Slack) Notify(ctx context.Context, a *warden.Alert) error {
	if a == nil {
		return nilAlertError(s.sender.op, s.name)
	}
	body, err := json.Marshal(slackMessage(a))
	if err != nil {
		return &warden.Error{Kind: warden.EINTERNAL, Op: s.sender.op, Message: "channel " + s.name + ": cannot encode the message", Err: err}
	}
	_, err = s.sender.post(ctx, body, nil)
	return err
}

// Slack limits: header text 150 characters, section text 3,000.
const (
	slackHeaderMax  = 150
	slackSectionMax = 2900
)

type slackText struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji *bool  `json:"emoji,omitempty"`
}

type slackElement struct {
	Type     string     `json:"type"`
	Text     *slackText `json:"text,omitempty"`
	URL      string     `json:"url,omitempty"`
	ActionID string     `json:"action_id,omitempty"`
}

type slackBlock struct {
	Type     string         `json:"type"`
	Text     *slackText     `json:"text,omitempty"`
	Fields   []slackText    `json:"fields,omitempty"`
	Elements []slackElement `json:"elements,omitempty"`
}

type slackPayload struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// slackMessage builds the Block Kit message: a plain-text header, a
// fields section (org, state, severity, owner), then sections for the
// evidence, the fix and the affected applications, and a button to the
// dashboard when the alert has a URL. Text is the notification fallback.
func slackMessage(a *warden.Alert) slackPayload {
	no := false
	title := headline(a)
	p := slackPayload{Text: slackEscape(title + " in " + cmp.Or(singleLine(a.Org), "(unknown org)"))}
	p.Blocks = append(p.Blocks, slackBlock{Type: "header", Text: &slackText{Type: "plain_text", Text: truncate(title, slackHeaderMax), Emoji: &no}})
	fields := []slackText{
		{Type: "mrkdwn", Text: "*Org*\n" + slackEscape(cmp.Or(singleLine(a.Org), "-"))},
		{Type: "mrkdwn", Text: "*State*\n" + slackEscape(stateChange(a))},
		{Type: "mrkdwn", Text: "*Severity*\n" + slackEscape(string(effectiveSeverity(a)))},
	}
	if a.Owner != "" {
		fields = append(fields, slackText{Type: "mrkdwn", Text: "*Owner*\n" + slackEscape(teamLabel(a.Owner))})
	}
	p.Blocks = append(p.Blocks, slackBlock{Type: "section", Fields: fields})
	section := func(title, body string) {
		p.Blocks = append(p.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: truncate("*"+title+"*\n"+body, slackSectionMax)}})
	}
	if isRecovery(a) {
		section("Recovered", slackEscape(recoveryText(a)))
	}
	if a.Evidence != "" {
		section("Evidence", slackEscape(a.Evidence))
	}
	if a.Fix != "" && !isRecovery(a) {
		section("Fix", slackEscape(a.Fix))
	}
	if lines := dependentLines(a); len(lines) > 0 {
		for i, l := range lines {
			lines[i] = "• " + slackEscape(l)
		}
		section("Affected applications", strings.Join(lines, "\n"))
	}
	if a.URL != "" {
		p.Blocks = append(p.Blocks, slackBlock{Type: "actions", Elements: []slackElement{{
			Type: "button", Text: &slackText{Type: "plain_text", Text: "Open in Warden"}, URL: a.URL, ActionID: "warden_open",
		}}})
	}
	return p
}

// slackEscape escapes the three characters Slack's mrkdwn treats as
// control sequences.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
