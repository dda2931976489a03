package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/activity"
	"github.com/wardenhq/warden/salesforce"
)

func init() {
	register("legacy", "list the integrations still on SOAP login() or the username-password flow", runLegacy)
}

const legacyUsage = `legacy [--config FILE] [--days N] [--json]

Lists every integration user, and the sources logging in as it, still on
legacy authentication: SOAP login() or the OAuth username-password flow,
from the last N days (default 30) of LoginHistory (LoginType, ApiType,
ApiVersion, Application, SourceIp) and from the inventory's credential
kinds, with the deadline that applies. Warden's own logins as the user
(its credential checks, as the monitor recorded them) are not counted as
the integration's: they are listed apart as WARDEN'S CHECKS. "warden
migrate USER --to jwt --plan" plans the move of one of them. --json prints an array of objects
with org, username, method, credential, kind, clients (sourceIp,
application, loginType, apiType, apiVersion, logins, lastSeen),
wardenChecks (the same fields), lastSeen,
apiVersion, deadline, dependents and reason.`

func runLegacy(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("legacy", legacyUsage)
	file := configFlag(fs)
	days := fs.Int("days", 30, "days of login history to read")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if *days < 1 {
		return warden.Errorf(warden.EINVALID, "--days must be at least 1, got %d", *days)
	}
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	uses, err := e.legacy(ctx, "", time.Duration(*days)*24*time.Hour)
	if err != nil {
		return err
	}
	if *asJSON {
		if uses == nil {
			uses = []activity.LegacyUse{}
		}
		return writeJSON(m.Stdout, uses)
	}
	if len(uses) == 0 {
		fmt.Fprintln(m.Stdout, "No integration is on SOAP login() or the username-password flow.")
		return nil
	}
	tw := table(m.Stdout)
	fmt.Fprintln(tw, "ORG\tUSER\tMETHOD\tSOURCES\tWARDEN'S CHECKS\tAPI\tLAST SEEN\tDEADLINE")
	for _, u := range uses {
		var srcs []string
		for _, c := range u.Clients {
			srcs = append(srcs, c.SourceIP+" ("+c.Application+")")
		}
		var checks []string
		for _, c := range u.WardenChecks {
			checks = append(checks, c.SourceIP+" ("+c.Application+")")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Org, u.Username, u.Method, orDash(strings.Join(srcs, ", ")), orDash(strings.Join(checks, ", ")),
			orDash(u.APIVersion), timeOrDash(u.LastSeen), u.Deadline)
	}
	return tw.Flush()
}

// legacy reads the integration users of org ("" for all), their
// credentials and dependents from the store and their successful logins
// of the window from each org's LoginHistory (one query per org, through
// the monitoring credential), and finds those on legacy authentication.
func (e *env) legacy(ctx context.Context, org string, window time.Duration) ([]activity.LegacyUse, error) {
	orgs, err := e.store.Orgs(ctx)
	if err != nil {
		return nil, err
	}
	var out []activity.LegacyUse
	for _, o := range orgs {
		if org != "" && o.Name != org {
			continue
		}
		users, err := e.store.Users(ctx, warden.UserFilter{Org: o.Name})
		if err != nil {
			return nil, err
		}
		if len(users) == 0 {
			continue
		}
		deps, err := e.store.Dependents(ctx, warden.DependentFilter{Org: o.Name})
		if err != nil {
			return nil, err
		}
		// The monitor's record of Warden's own logins (its credential
		// checks), so that they are not taken for the integration's.
		st, err := e.store.ActivityState(ctx, o.Name)
		if err != nil {
			return nil, err
		}
		var lus []activity.LegacyUser
		names := make([]string, 0, len(users))
		for _, u := range users {
			lu := activity.LegacyUser{Org: u.Org, Username: u.Username, Own: activity.OwnLogins(st, u.Username)}
			if u.Credential != "" {
				c, err := e.store.Credential(ctx, u.Credential)
				if err != nil && warden.ErrorKind(err) != warden.ENOTFOUND {
					return nil, err
				}
				lu.Credential = c
			}
			for _, d := range deps {
				if strings.EqualFold(d.Username, u.Username) {
					lu.Dependents = append(lu.Dependents, d.Name)
				}
			}
			lus = append(lus, lu)
			names = append(names, u.Username)
		}
		ids, logins, err := e.orgLogins(ctx, o, names, window)
		if err != nil {
			return nil, err
		}
		out = append(out, activity.Legacy(lus, ids, logins)...)
	}
	return out, nil
}

// orgLogins reads the ids of usernames and their logins of the window.
// ids maps lower-case org/username to the user id.
func (e *env) orgLogins(ctx context.Context, o *warden.Org, usernames []string, window time.Duration) (map[string]string, []warden.Login, error) {
	s, err := e.session(ctx, o.MonitoringCredential)
	if err != nil {
		return nil, nil, err
	}
	found, err := salesforce.Users("WHERE Username IN "+salesforce.QuoteList(usernames)).Read(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	ids := map[string]string{}
	var idList []string
	for _, u := range found {
		ids[strings.ToLower(o.Name+"/"+u.Username)] = u.ID
		idList = append(idList, u.ID)
	}
	if len(idList) == 0 {
		return ids, nil, nil
	}
	logins, err := salesforce.LoginHistory("WHERE UserId IN "+salesforce.QuoteList(idList)+" AND LoginTime >= "+
		salesforce.DateTime(time.Now().Add(-window))+" ORDER BY LoginTime DESC").Read(ctx, s)
	return ids, logins, err
}
