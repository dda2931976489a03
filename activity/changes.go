package activity

import (
	"fmt"
	"strings"

	"github.com/wardenhq/warden"
)

// accessActions are the SetupAuditTrail actions that change an
// integration user or its access, with what they mean; high marks those
// that break or take over an integration at once.
var accessActions = map[string]struct {
	what string
	high bool
}{
	"changedpassword":        {"changed its password", true},
	"resetpassword":          {"reset its password", true},
	"deactivateduser":        {"deactivated it", true},
	"activateduser":          {"reactivated it", false},
	"frozeuser":              {"froze it", true},
	"unfrozeuser":            {"unfroze it", false},
	"changedprofileforuser":  {"changed its profile", false},
	"changedroleforuser":     {"changed its role", false},
	"permsetassign":          {"assigned it a permission set", false},
	"permsetunassign":        {"unassigned a permission set from it", false},
	"permsetgroupassign":     {"assigned it a permission set group", false},
	"permsetgroupunassign":   {"unassigned a permission set group from it", false},
	"permsetlicenseassign":   {"assigned it a permission set licence", false},
	"permsetlicenseunassign": {"unassigned a permission set licence from it", false},
	"changeduserlicense":     {"changed its user licence", false},
	"loginiprange":           {"changed the login IP ranges of its profile", false},
	"suorgadminlogin":        {"logged in as it", true},
	"useremailchangesent":    {"changed its e-mail address", false},
}

// setupChange alerts on a setup change that touches an integration user:
// its username appears in the change's description (or, for profile-wide
// changes such as login IP ranges, its profile's name).
func (a *analysis) setupChange(c *warden.SetupChange) {
	r := a.e.rules.SetupChange
	act, ok := accessActions[strings.ToLower(c.Action)]
	if r.Off || !ok {
		return
	}
	display := strings.ToLower(c.Display)
	for i := range a.s.Users {
		u := &a.s.Users[i]
		profileWide := strings.EqualFold(c.Action, "loginiprange") && u.Profile != "" && strings.Contains(display, strings.ToLower(u.Profile))
		if !profileWide && !strings.Contains(display, strings.ToLower(u.Username)) {
			continue
		}
		sev := r.Severity
		if act.high && sev.Rank() < warden.SeverityHigh.Rank() {
			sev = warden.SeverityHigh
		}
		by := c.By
		if by == "" {
			by = "an unknown user"
		}
		if c.DelegateUser != "" {
			by += " (logged in as " + c.DelegateUser + ")"
		}
		if c.Namespace != "" {
			by += " through managed package " + c.Namespace
		}
		id := c.ID
		if id == "" {
			id = c.Time.UTC().Format("20060102T150405.000") + "/" + strings.ToLower(c.Action)
		}
		a.emit(RuleSetupChange, sev, u, id, c.Time,
			fmt.Sprintf("Setup change to an integration user: %s %s at %s (%s: %q).",
				by, act.what, c.Time.UTC().Format("2006-01-02 15:04 UTC"), c.Action, c.Display),
			"Confirm the change with "+orUnknown(c.By)+" and the integration's owner. If it was not planned, revert it and review who holds Manage Users; if it was, check the integration still works (warden check).")
	}
}
