package config

import (
	"fmt"
	"strings"
	"time"
)

// Activity configures the activity rules (docs/activity.md): each rule's
// thresholds and severity, and the hours integration users declare they
// log in. Zero values take the defaults docs/activity.md lists.
type Activity struct {
	FailedLogins     ActivityFailedLogins  `yaml:"failedLogins,omitempty"`
	NewNetwork       ActivityNewNetwork    `yaml:"newNetwork,omitempty"`
	OffHours         ActivityRule          `yaml:"offHours,omitempty"`
	VolumeJump       ActivityVolumeJump    `yaml:"volumeJump,omitempty"`
	HourlyVolume     ActivityHourlyVolume  `yaml:"hourlyVolume,omitempty"`
	InteractiveLogin ActivityRule          `yaml:"interactiveLogin,omitempty"`
	RefreshTokens    ActivityRefreshTokens `yaml:"refreshTokens,omitempty"`
	SetupChanges     ActivityRule          `yaml:"setupChanges,omitempty"`
	Dormant          ActivityDormant       `yaml:"dormant,omitempty"`
	// Hours are the declared login hours of integration users.
	Hours []ActivityHours `yaml:"hours,omitempty"`
}

// ActivityRule is what every activity rule has.
type ActivityRule struct {
	// Disabled turns the rule off.
	Disabled bool `yaml:"disabled,omitempty"`
	// Severity of the rule's alerts (info, low, medium, high, critical).
	Severity string `yaml:"severity,omitempty"`
}

// ActivityFailedLogins: Count failed logins of one user within Window.
type ActivityFailedLogins struct {
	Disabled bool     `yaml:"disabled,omitempty"`
	Severity string   `yaml:"severity,omitempty"`
	Count    int      `yaml:"count,omitempty"`
	Window   Duration `yaml:"window,omitempty"`
}

// ActivityNewNetwork: networks are learned for Learning after Warden
// first sees a user.
type ActivityNewNetwork struct {
	Disabled bool     `yaml:"disabled,omitempty"`
	Severity string   `yaml:"severity,omitempty"`
	Learning Duration `yaml:"learning,omitempty"`
}

// ActivityVolumeJump: an hour with at least Factor times the usual
// logins, and at least Minimum.
type ActivityVolumeJump struct {
	Disabled bool    `yaml:"disabled,omitempty"`
	Severity string  `yaml:"severity,omitempty"`
	Factor   float64 `yaml:"factor,omitempty"`
	Minimum  int     `yaml:"minimum,omitempty"`
}

// ActivityHourlyVolume: logins in the past hour reach Share of 3,600.
type ActivityHourlyVolume struct {
	Disabled bool    `yaml:"disabled,omitempty"`
	Severity string  `yaml:"severity,omitempty"`
	Share    float64 `yaml:"share,omitempty"`
}

// ActivityRefreshTokens: Count refresh tokens for one app (of 5).
type ActivityRefreshTokens struct {
	Disabled bool   `yaml:"disabled,omitempty"`
	Severity string `yaml:"severity,omitempty"`
	Count    int    `yaml:"count,omitempty"`
}

// ActivityDormant: no successful login for After.
type ActivityDormant struct {
	Disabled bool     `yaml:"disabled,omitempty"`
	Severity string   `yaml:"severity,omitempty"`
	After    Duration `yaml:"after,omitempty"`
}

// ActivityHours declares when some integration users log in.
type ActivityHours struct {
	// Users are usernames or org/username.
	Users []string `yaml:"users,omitempty"`
	// TimeZone of the windows (an IANA name; default UTC).
	TimeZone string `yaml:"timeZone,omitempty"`
	// Allowed windows by lower-case weekday ("08:00-18:00"); days left
	// out allow no login.
	Allowed map[string]string `yaml:"allowed,omitempty"`
}

// Windows returns the declared windows by weekday, in minutes after
// midnight [start, end), and the time zone. The configuration has been
// validated: every window parses.
func (h ActivityHours) Windows() (*time.Location, map[time.Weekday][2]int) {
	zone := time.UTC
	if h.TimeZone != "" {
		if loc, err := time.LoadLocation(h.TimeZone); err == nil {
			zone = loc
		}
	}
	out := map[time.Weekday][2]int{}
	for day, w := range h.Allowed {
		if d, ok := weekdays[strings.ToLower(day)]; ok {
			if span, err := parseWindow(w); err == nil {
				out[d] = span
			}
		}
	}
	return zone, out
}

var weekdays = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
	"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday}

// parseWindow reads "HH:MM-HH:MM".
func parseWindow(s string) ([2]int, error) {
	var h1, m1, h2, m2 int
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d:%d-%d:%d", &h1, &m1, &h2, &m2); err != nil ||
		h1 < 0 || h1 > 24 || h2 < 0 || h2 > 24 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 || h1*60+m1 >= h2*60+m2 || h2*60+m2 > 24*60 {
		return [2]int{}, fmt.Errorf("%q is not a login window (write HH:MM-HH:MM, start before end, e.g. 06:00-20:00)", s)
	}
	return [2]int{h1*60 + m1, h2*60 + m2}, nil
}

// activity validates the activity section.
func (v *validator) activity() {
	a := &v.c.Activity
	for _, r := range []struct{ path, severity string }{
		{"failedLogins", a.FailedLogins.Severity}, {"newNetwork", a.NewNetwork.Severity}, {"offHours", a.OffHours.Severity},
		{"volumeJump", a.VolumeJump.Severity}, {"hourlyVolume", a.HourlyVolume.Severity}, {"interactiveLogin", a.InteractiveLogin.Severity},
		{"refreshTokens", a.RefreshTokens.Severity}, {"setupChanges", a.SetupChanges.Severity}, {"dormant", a.Dormant.Severity},
	} {
		if r.severity != "" {
			v.oneOf("activity."+r.path+".severity", r.severity, severities)
		}
	}
	if a.FailedLogins.Count < 0 {
		v.add("activity.failedLogins.count", "must be at least 1, got %d", a.FailedLogins.Count)
	}
	for _, d := range []struct {
		path string
		d    Duration
	}{{"activity.failedLogins.window", a.FailedLogins.Window}, {"activity.newNetwork.learning", a.NewNetwork.Learning}, {"activity.dormant.after", a.Dormant.After}} {
		if d.d < 0 || d.d > 0 && d.d.D() < time.Minute {
			v.add(d.path, "must be at least 1m, got %s", d.d)
		}
	}
	if a.VolumeJump.Factor < 0 || a.VolumeJump.Factor > 0 && a.VolumeJump.Factor <= 1 {
		v.add("activity.volumeJump.factor", "must be more than 1 (times the usual hourly volume), got %v", a.VolumeJump.Factor)
	}
	if a.VolumeJump.Minimum < 0 {
		v.add("activity.volumeJump.minimum", "must not be negative, got %d", a.VolumeJump.Minimum)
	}
	if a.HourlyVolume.Share < 0 || a.HourlyVolume.Share > 1 {
		v.add("activity.hourlyVolume.share", "must be more than 0 and at most 1 (a share of 3,600 logins an hour), got %v", a.HourlyVolume.Share)
	}
	if n := a.RefreshTokens.Count; n < 0 || n > 5 {
		v.add("activity.refreshTokens.count", "must be between 1 and 5 (Salesforce keeps 5 refresh tokens per user and app), got %d", n)
	}
	for i, h := range a.Hours {
		p := fmt.Sprintf("activity.hours[%d]", i)
		if len(h.Users) == 0 {
			v.add(p+".users", "is required (usernames or org/username)")
		}
		if h.TimeZone != "" {
			if _, err := time.LoadLocation(h.TimeZone); err != nil {
				v.add(p+".timeZone", "%q is not a time zone (use an IANA name such as Europe/Paris, or UTC)", h.TimeZone)
			}
		}
		if len(h.Allowed) == 0 {
			v.add(p+".allowed", "is required (windows by weekday, e.g. monday: \"06:00-20:00\")")
		}
		for day, w := range h.Allowed {
			if _, ok := weekdays[strings.ToLower(day)]; !ok {
				v.add(p+".allowed."+day, "%q is not a weekday (monday ... sunday)", day)
			} else if _, err := parseWindow(w); err != nil {
				v.add(p+".allowed."+day, "%v", err)
			}
		}
	}
}
