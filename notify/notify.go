// Package notify delivers Warden's alerts to people and systems: Slack and
// Microsoft Teams incoming webhooks, e-mail over SMTP, signed generic
// webhooks and PagerDuty Events API v2. Each channel is a warden.Notifier
// built from a config struct (NewSlack, NewTeams, NewEmail, NewWebhook,
// NewPagerDuty). A Dispatcher routes each alert to the channels that want
// it (by severity and owning team), suppresses repeats, retries channels
// that are down and counts what it sent.
//
// Every failure is a *warden.Error: EUNAVAILABLE when the channel is down or
// throttling (worth retrying), EINVALID when the request or configuration is
// wrong, EUNAUTHORIZED when an SMTP server refuses the credentials. Errors
// never contain a webhook URL's path or query (where Slack, Teams and
// generic webhooks keep their token), a PagerDuty routing key, a signing
// secret or an SMTP password.
package notify

import (
	"time"

	"github.com/wardenhq/warden"
)

// Every channel is a warden.Notifier.
var (
	_ warden.Notifier = (*Slack)(nil)
	_ warden.Notifier = (*Teams)(nil)
	_ warden.Notifier = (*Email)(nil)
	_ warden.Notifier = (*Webhook)(nil)
	_ warden.Notifier = (*PagerDuty)(nil)
)

// DefaultTimeout bounds one delivery attempt of any channel when its config
// leaves Timeout zero.
const DefaultTimeout = 10 * time.Second

// userAgent is sent with every HTTP delivery.
const userAgent = "Warden-Notify/1"
