package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/inventory"
)

func init() {
	register("discover", "find the integration users of an org, with the reasons", runDiscover)
}

const discoverUsage = `discover --org NAME [--config FILE] [--write] [--owner TEAM] [--days N] [--json]

Finds the integration users of an org, reading it as the org's monitoring
credential with one composite API request (plus one per extra page of a
long login history), and says why each was found:
  licence Salesforce Integration
  API Only User via profile P, permission set S
  all N logins in the last 30 days were API logins (LoginType T)
  holds OAuth tokens for connected apps: A, B
People who log in through the browser are not listed unless their profile
or permission sets make them API-only; OAuth tokens alone list a user only
when it made no browser login in the window.

With --write, the users found are added to the inventory (or updated: their
user id and reasons) as integration users; --owner sets the owner team of
those that have none. --json prints an array of objects with username,
userId, name, profile, licence, active, reasons and inInventory.`

// discovered is one candidate in "warden discover" output.
type discovered struct {
	Username    string   `json:"username"`
	UserID      string   `json:"userId"`
	Name        string   `json:"name"`
	Profile     string   `json:"profile"`
	Licence     string   `json:"licence"`
	Active      bool     `json:"active"`
	Reasons     []string `json:"reasons"`
	InInventory bool     `json:"inInventory"`
}

func runDiscover(ctx context.Context, m *Main, args []string) error {
	const cmd = "discover"
	fs := m.flags(cmd, discoverUsage)
	file := configFlag(fs)
	orgName := fs.String("org", "", "the org to read (see warden org list)")
	write := fs.Bool("write", false, "add the users found to the inventory")
	owner := fs.String("owner", "", "with --write: owner team of the users added (those without one)")
	days := fs.Int("days", 30, "how many days of login history to read (1 to 365)")
	asJSON := fs.Bool("json", false, "print JSON")
	verbose := fs.Bool("v", false, "log what happens to stderr")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	switch {
	case *orgName == "":
		return m.badFlag(cmd, "--org is required")
	case *days < 1 || *days > 365:
		return m.badFlag(cmd, "--days: %d is not between 1 and 365", *days)
	case *owner != "" && !*write:
		return m.badFlag(cmd, "--owner is only used with --write")
	}
	logger := m.cliLogger(*verbose)
	e, err := m.openInventory(ctx, *file, logger)
	if err != nil {
		return err
	}
	defer e.Close()
	o, sess, err := e.orgSession(ctx, *orgName)
	if err != nil {
		return err
	}
	p := m.progress()
	p.Step("logging in to " + o.Name)
	d, err := inventory.DiscoverWith(ctx, sess, time.Now(), inventory.DiscoverOptions{Window: time.Duration(*days) * 24 * time.Hour, Progress: p.Step})
	p.Done()
	if err != nil {
		return fmt.Errorf("discover %s: %w", o.Name, err)
	}
	logger.Info("discovery done", "org", o.Name, "candidates", len(d.Candidates), "requests", d.Requests, "warnings", len(d.Warnings))
	// Orgs of the configuration learn their org id and instance URL here
	// if Warden has not logged in to them before.
	if tok, err := sess.Token(ctx); err == nil && tok.OrgID != "" && (o.OrgID != tok.OrgID || o.InstanceURL != tok.InstanceURL) {
		o.OrgID, o.InstanceURL = tok.OrgID, tok.InstanceURL
		if err := e.store.UpsertOrg(ctx, o); err != nil {
			return err
		}
	}
	for _, w := range d.Warnings {
		fmt.Fprintf(m.Stderr, "warden: warning: %s\n", w)
	}
	have, err := e.store.Users(ctx, warden.UserFilter{Org: o.Name})
	if err != nil {
		return err
	}
	byName := map[string]*warden.IntegrationUser{}
	for _, u := range have {
		byName[strings.ToLower(u.Username)] = u
	}
	rows := make([]discovered, 0, len(d.Candidates))
	for _, c := range d.Candidates {
		rows = append(rows, discovered{Username: c.Username, UserID: c.UserID, Name: c.Name, Profile: c.Profile, Licence: c.Licence,
			Active: c.Active, Reasons: nonNil(c.Reasons), InInventory: byName[strings.ToLower(c.Username)] != nil})
	}

	added, updated := 0, 0
	if *write {
		// Build every row first, so that a bad one writes nothing.
		var users []*warden.IntegrationUser
		for _, c := range d.Candidates {
			u := &warden.IntegrationUser{Org: o.Name, Username: c.Username}
			if old := byName[strings.ToLower(c.Username)]; old != nil {
				cp := *old
				u = &cp
				updated++
			} else {
				added++
			}
			u.UserID, u.Reasons = c.UserID, c.Reasons
			if u.Owner == "" {
				u.Owner = *owner
			}
			if err := u.Validate(); err != nil {
				return err
			}
			users = append(users, u)
		}
		if *owner != "" {
			owners, err := e.store.Owners(ctx)
			if err != nil {
				return err
			}
			known := false
			for _, ow := range owners {
				known = known || ow.Team == *owner
			}
			if !known {
				if err := e.store.UpsertOwner(ctx, &warden.Owner{Team: *owner}); err != nil {
					return err
				}
			}
		}
		for _, u := range users {
			if err := e.store.UpsertUser(ctx, u); err != nil {
				return err
			}
			logger.Debug("user written", "org", u.Org, "username", u.Username)
		}
		for i := range rows {
			rows[i].InInventory = true
		}
	}

	if *asJSON {
		return writeJSON(m.Stdout, rows)
	}
	tw := table(m.Stdout)
	fmt.Fprintln(tw, "USERNAME\tPROFILE\tACTIVE\tINVENTORY\tREASONS")
	for _, r := range rows {
		active, inv := "yes", "new"
		if !r.Active {
			active = "no"
		}
		if r.InInventory {
			inv = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Username, orDash(r.Profile), active, inv, strings.Join(r.Reasons, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "\n%s found in org %s (%s).\n", count(len(rows), "integration user"), o.Name, count(d.Requests, "API request"))
	switch {
	case *write:
		fmt.Fprintf(m.Stdout, "Inventory: %d added, %d updated. See warden users --org %s.\n", added, updated, o.Name)
	case len(rows) > 0:
		fmt.Fprintf(m.Stdout, "Run again with --write to add them to the inventory.\n")
	}
	return nil
}
