package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/wardenhq/warden"
)

// TeamsConfig configures a Microsoft Teams channel.
type TeamsConfig struct {
	// Name is the channel's name in the configuration; "teams" when empty.
	Name string
	// WebhookURL is the Teams incoming webhook or Workflows (Power
	// Automate) URL. Its path and query are secret and never appear in
	// errors.
	WebhookURL string
	// Timeout bounds one delivery; DefaultTimeout when zero.
	Timeout time.Duration
	// HTTPClient sends the requests; a fresh client when nil. Redirects are
	// never followed.
	HTTPClient *http.Client
}

// Teams posts alerts to a Microsoft Teams webhook as Adaptive Cards 1.4
// wrapped in a message: {"type":"message","attachments":[{"contentType":
// "application/vnd.microsoft.card.adaptive","content":{...}}]}.
type Teams struct {
	name   string
	sender *httpSender
}

// NewTeams returns a Teams channel, or an EINVALID error when the webhook
// URL is not an absolute http(s) URL.
func NewTeams(cfg TeamsConfig) (*Teams, error) {
	name := cmp.Or(cfg.Name, "teams")
	s, err := newHTTPSender("notify.teams", name, "webhook URL", cfg.WebhookURL, cfg.HTTPClient, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	return &Teams{name: name, sender: s}, nil
}

// Name returns the channel's name.
func (t *Teams) Name() string { return t.name }

// teamsThrottled matches the 200 answer with which legacy Office 365
// connectors report a failure: "Microsoft Teams endpoint returned HTTP
// error 429 with ContextId ...".
var teamsThrottled = regexp.MustCompile(`returned HTTP error (\d{3})`)

// Notify posts one alert. Any 2xx answer is success, except the 200 answer
// whose body reports an HTTP error (legacy connectors throttle that way),
// which is treated as that error.
func (t *Teams) Notify(ctx context.Context, a *warden.Alert) error {
	if a == nil {
		return nilAlertError(t.sender.op, t.name)
	}
	body, err := json.Marshal(teamsMessage(a))
	if err != nil {
		return &warden.Error{Kind: warden.EINTERNAL, Op: t.sender.op, Message: "channel " + t.name + ": cannot encode the card", Err: err}
	}
	answer, err := t.sender.post(ctx, body, nil)
	if err != nil {
		return err
	}
	if m := teamsThrottled.FindSubmatch(answer); m != nil {
		if code, _ := strconv.Atoi(string(m[1])); code >= 400 {
			return t.sender.statusError(code, "", answer)
		}
	}
	return nil
}

// teamsMessage builds the message with its Adaptive Card: a coloured
// title, a fact set (org, user, state, cause, severity, owner, time),
// evidence, fix, affected applications with their owners, and an
// Action.OpenUrl to the dashboard when the alert has a URL.
func teamsMessage(a *warden.Alert) map[string]any {
	color := "Attention"
	switch {
	case isRecovery(a):
		color = "Good"
	case a.State != warden.StateError:
		color = "Warning"
	}
	body := []any{
		map[string]any{"type": "TextBlock", "text": headline(a), "size": "Large", "weight": "Bolder", "color": color, "wrap": true},
	}
	facts := []any{
		teamsFact("Org", cmp.Or(singleLine(a.Org), "-")),
		teamsFact("User", subjectUser(a)),
		teamsFact("State", stateChange(a)),
	}
	if a.Cause != warden.CauseNone {
		facts = append(facts, teamsFact("Cause", string(a.Cause)))
	}
	facts = append(facts, teamsFact("Severity", string(effectiveSeverity(a))))
	if a.Owner != "" {
		facts = append(facts, teamsFact("Owner", teamLabel(a.Owner)))
	}
	if !a.At.IsZero() {
		facts = append(facts, teamsFact("Time", a.At.UTC().Format(time.RFC3339)))
	}
	body = append(body, map[string]any{"type": "FactSet", "facts": facts})
	section := func(title string, texts ...string) {
		body = append(body, map[string]any{"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": true, "spacing": "Medium"})
		for _, text := range texts {
			body = append(body, map[string]any{"type": "TextBlock", "text": truncate(text, 4000), "wrap": true, "spacing": "None"})
		}
	}
	if isRecovery(a) {
		section("Recovered", recoveryText(a))
	}
	if a.Evidence != "" {
		section("Evidence", a.Evidence)
	}
	if a.Fix != "" && !isRecovery(a) {
		section("Fix", a.Fix)
	}
	if lines := dependentLines(a); len(lines) > 0 {
		for i, l := range lines {
			lines[i] = "• " + l
		}
		section("Affected applications", lines...)
	}
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body":    body,
		"msteams": map[string]any{"width": "Full"},
	}
	if a.URL != "" {
		card["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": "Open in Warden", "url": a.URL}}
	}
	return map[string]any{
		"type": "message",
		"attachments": []any{map[string]any{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"contentUrl":  nil,
			"content":     card,
		}},
	}
}

func teamsFact(title, value string) map[string]any {
	return map[string]any{"title": title, "value": value}
}
