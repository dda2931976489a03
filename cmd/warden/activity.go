package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/activity"
	"github.com/wardenhq/warden/monitor"
)

func init() {
	register("activity", "show the activity timeline (failed logins, new networks, setup changes...)", runActivity)
}

const activityUsage = `activity [--config FILE] [--user [ORG/]USERNAME] [--since 7d] [--rule RULE] [--json]

Shows what the activity rules found in the login history and setup audit
trail that "warden serve" reads (docs/activity.md): bursts of failed
logins, logins from new networks or outside declared hours, login volume
jumps and volume near the hourly limit, browser logins, refresh tokens
near the per-app limit, setup changes to integration users and dormant
users, newest first. --since takes days (7d) or a duration (36h). --json
prints an array of objects with id, org, username, rule, severity, key,
summary, fix, at and detectedAt.`

func runActivity(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("activity", activityUsage)
	file := configFlag(fs)
	user := fs.String("user", "", "only this integration user ([ORG/]USERNAME)")
	since := fs.String("since", "7d", "how far back (days such as 7d, or a duration such as 36h)")
	rule := fs.String("rule", "", "only this rule")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	back, err := parseSince(*since)
	if err != nil {
		return err
	}
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	f := warden.ActivityFilter{Rule: *rule}
	if back > 0 {
		f.Since = time.Now().Add(-back)
	}
	if *user != "" {
		if f.Org, f.Username, err = findUser(ctx, e.store, *user); err != nil {
			return err
		}
	}
	events, err := e.store.Activity(ctx, f)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(m.Stdout, nonNil(events))
	}
	if len(events) == 0 {
		fmt.Fprintln(m.Stdout, "No activity findings in that period.")
		return nil
	}
	tw := table(m.Stdout)
	fmt.Fprintln(tw, "AT\tORG\tUSER\tRULE\tSEVERITY\tSUMMARY")
	for _, ev := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ev.At.UTC().Format("2006-01-02 15:04"), ev.Org, orDash(ev.Username), ev.Rule, ev.Severity, ev.Summary)
	}
	return tw.Flush()
}

// parseSince reads "7d" (days) or a Go duration; "0" means no bound.
func parseSince(s string) (time.Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err == nil && d >= 0 {
			return time.Duration(d) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, warden.Errorf(warden.EINVALID, "--since %q is not a number of days (7d) or a duration (36h)", s)
	}
	return d, nil
}

// activityEngine builds the activity rules of the configuration, alerting
// through alerter (serve gives it the notification dispatcher).
func (e *env) activityEngine(alerter monitor.Alerter) *activity.Engine {
	a := e.cfg.Activity
	var r activity.Rules
	r.FailedLogins.Off, r.FailedLogins.Severity = a.FailedLogins.Disabled, warden.Severity(a.FailedLogins.Severity)
	r.FailedLogins.Count, r.FailedLogins.Window = a.FailedLogins.Count, a.FailedLogins.Window.D()
	r.NewNetwork.Off, r.NewNetwork.Severity, r.NewNetwork.Learning = a.NewNetwork.Disabled, warden.Severity(a.NewNetwork.Severity), a.NewNetwork.Learning.D()
	r.OffHours = activity.Rule{Off: a.OffHours.Disabled, Severity: warden.Severity(a.OffHours.Severity)}
	r.VolumeJump.Off, r.VolumeJump.Severity = a.VolumeJump.Disabled, warden.Severity(a.VolumeJump.Severity)
	r.VolumeJump.Factor, r.VolumeJump.Minimum = a.VolumeJump.Factor, a.VolumeJump.Minimum
	r.HourlyVolume.Off, r.HourlyVolume.Severity, r.HourlyVolume.Share = a.HourlyVolume.Disabled, warden.Severity(a.HourlyVolume.Severity), a.HourlyVolume.Share
	r.Interactive = activity.Rule{Off: a.InteractiveLogin.Disabled, Severity: warden.Severity(a.InteractiveLogin.Severity)}
	r.RefreshTokens.Off, r.RefreshTokens.Severity, r.RefreshTokens.Count = a.RefreshTokens.Disabled, warden.Severity(a.RefreshTokens.Severity), a.RefreshTokens.Count
	r.SetupChange = activity.Rule{Off: a.SetupChanges.Disabled, Severity: warden.Severity(a.SetupChanges.Severity)}
	r.Dormant.Off, r.Dormant.Severity, r.Dormant.After = a.Dormant.Disabled, warden.Severity(a.Dormant.Severity), a.Dormant.After.D()
	hours := map[string]*activity.Hours{} // lower-case username or org/username
	for _, h := range a.Hours {
		zone, w := h.Windows()
		for _, u := range h.Users {
			hours[strings.ToLower(u)] = &activity.Hours{Zone: zone, Allowed: w}
		}
	}
	return activity.New(activity.Options{Store: e.store, Alerter: alerter, Rules: r, DashboardURL: e.cfg.Server.PublicURL, Logger: e.logger,
		Hours: func(org, username string) *activity.Hours {
			if h := hours[strings.ToLower(org+"/"+username)]; h != nil {
				return h
			}
			return hours[strings.ToLower(username)]
		}})
}
