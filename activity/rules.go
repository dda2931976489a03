package activity

import (
	"time"

	"github.com/wardenhq/warden"
)

// The rules, as named in events, alerts and the configuration.
const (
	RuleFailedLogins  = "failed_logins"
	RuleNewNetwork    = "new_network"
	RuleOffHours      = "off_hours"
	RuleVolumeJump    = "volume_jump"
	RuleHourlyVolume  = "hourly_volume"
	RuleInteractive   = "interactive_login"
	RuleRefreshTokens = "refresh_tokens"
	RuleSetupChange   = "setup_change"
	RuleDormant       = "dormant"
)

// LoginHourlyLimit is Salesforce's limit of logins per user per hour;
// beyond it the user's logins fail with "Login Rate Exceeded".
const LoginHourlyLimit = 3600

// RefreshTokenLimit is how many refresh tokens one user may hold for one
// connected app; approving a sixth revokes the oldest.
const RefreshTokenLimit = 5

// Rule is what every rule has: whether it runs and how urgent its alerts
// are.
type Rule struct {
	// Off disables the rule.
	Off      bool
	Severity warden.Severity
}

// Rules are the thresholds of every rule; the zero value of a field takes
// the default that Defaults documents.
type Rules struct {
	// FailedLogins alerts when Count failed logins of one user fall
	// within Window (default 5 in 15m, high). A burst alerts once; it ends
	// after a Window without failures.
	FailedLogins struct {
		Rule
		Count  int
		Window time.Duration
	}
	// NewNetwork alerts on a successful login from a network (the /24 of
	// an IPv4 address, the /48 of an IPv6 one) not seen for the user,
	// once the user has been watched for Learning (default 7 days, high).
	NewNetwork struct {
		Rule
		Learning time.Duration
	}
	// OffHours alerts on successful logins outside the user's declared
	// hours, once per user and day (medium). Users without declared hours
	// are not checked.
	OffHours Rule
	// VolumeJump alerts when a completed clock hour's logins are at least
	// Factor times the user's usual hourly volume and at least Minimum,
	// once the user has been watched for a day (default 5 times and 100,
	// medium). An hour already alerted by HourlyVolume is not.
	VolumeJump struct {
		Rule
		Factor  float64
		Minimum int
	}
	// HourlyVolume alerts when a user's logins in the past hour reach
	// Share of LoginHourlyLimit (default 0.8, high), once per episode (it
	// ends when the volume drops below half the threshold).
	HourlyVolume struct {
		Rule
		Share float64
	}
	// Interactive alerts on a successful browser (UI) login to an
	// integration user, once per user and day (high).
	Interactive Rule
	// RefreshTokens alerts when a user holds at least Count refresh
	// tokens for one connected app (default 4 of RefreshTokenLimit,
	// medium): the next approval revokes the oldest token.
	RefreshTokens struct {
		Rule
		Count int
	}
	// SetupChange alerts on each setup audit trail row that touches an
	// integration user or its access (medium; high for deactivation,
	// freezing and password resets).
	SetupChange Rule
	// Dormant alerts when an active integration user has had no
	// successful login for After (default 30 days, low), once per period
	// of dormancy.
	Dormant struct {
		Rule
		After time.Duration
	}
}

// Defaults returns r with every zero threshold and severity set to its
// default.
func (r Rules) Defaults() Rules {
	sev := func(s *warden.Severity, def warden.Severity) {
		if *s == "" {
			*s = def
		}
	}
	sev(&r.FailedLogins.Severity, warden.SeverityHigh)
	if r.FailedLogins.Count <= 0 {
		r.FailedLogins.Count = 5
	}
	if r.FailedLogins.Window <= 0 {
		r.FailedLogins.Window = 15 * time.Minute
	}
	sev(&r.NewNetwork.Severity, warden.SeverityHigh)
	if r.NewNetwork.Learning <= 0 {
		r.NewNetwork.Learning = 7 * 24 * time.Hour
	}
	sev(&r.OffHours.Severity, warden.SeverityMedium)
	sev(&r.VolumeJump.Severity, warden.SeverityMedium)
	if r.VolumeJump.Factor <= 0 {
		r.VolumeJump.Factor = 5
	}
	if r.VolumeJump.Minimum <= 0 {
		r.VolumeJump.Minimum = 100
	}
	sev(&r.HourlyVolume.Severity, warden.SeverityHigh)
	if r.HourlyVolume.Share <= 0 {
		r.HourlyVolume.Share = 0.8
	}
	sev(&r.Interactive.Severity, warden.SeverityHigh)
	sev(&r.RefreshTokens.Severity, warden.SeverityMedium)
	if r.RefreshTokens.Count <= 0 {
		r.RefreshTokens.Count = RefreshTokenLimit - 1
	}
	sev(&r.SetupChange.Severity, warden.SeverityMedium)
	sev(&r.Dormant.Severity, warden.SeverityLow)
	if r.Dormant.After <= 0 {
		r.Dormant.After = 30 * 24 * time.Hour
	}
	return r
}

// Hours are the hours a user declares it logs in, in a time zone; a
// weekday without a window allows no login.
type Hours struct {
	Zone *time.Location
	// Allowed maps a weekday to its window, in minutes after midnight
	// [Start, End).
	Allowed map[time.Weekday][2]int
}

// Contains reports whether t falls in the declared hours.
func (h *Hours) Contains(t time.Time) bool {
	zone := h.Zone
	if zone == nil {
		zone = time.UTC
	}
	t = t.In(zone)
	w, ok := h.Allowed[t.Weekday()]
	m := t.Hour()*60 + t.Minute()
	return ok && m >= w[0] && m < w[1]
}
