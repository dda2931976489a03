package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wardenhq/warden"
)

func init() {
	register("status", "show every integration user's health", runStatus)
}

const statusUsage = `status [--config FILE] [--json]

Shows every integration user's state (ok, degraded, error, unknown), its
cause, since when, and the fix, as last recorded by "warden serve" (or
"warden check"). --json prints an array of objects with org, username,
state, cause, since, fix, evidence and warnings.`

// statusRow is one user's status in "warden status" output.
type statusRow struct {
	Org      string       `json:"org"`
	Username string       `json:"username"`
	State    warden.State `json:"state"`
	Cause    warden.Cause `json:"cause"`
	Since    *time.Time   `json:"since"`
	Fix      string       `json:"fix"`
	Evidence string       `json:"evidence"`
	Warnings []string     `json:"warnings"`
}

func runStatus(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("status", statusUsage)
	file := fs.String("config", "", "configuration file (default $WARDEN_CONFIG, else ./warden.yaml)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	cfg, err := m.loadConfig(m.configPath(*file))
	if err != nil {
		return err
	}
	e, err := m.open(ctx, cfg, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	rows, err := statusRows(ctx, e.store)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "ORG\tUSER\tSTATE\tCAUSE\tSINCE\tFIX")
	for _, r := range rows {
		since := "-"
		if r.Since != nil {
			since = r.Since.UTC().Format("2006-01-02 15:04Z")
		}
		fix := r.Fix
		if fix == "" && len(r.Warnings) > 0 {
			fix = "warning: " + strings.Join(r.Warnings, "; ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Org, r.Username, r.State, orDash(string(r.Cause)), since, orDash(fix))
	}
	return tw.Flush()
}

// statusRows joins the inventory with the latest health results; users
// never checked are unknown.
func statusRows(ctx context.Context, store warden.Store) ([]statusRow, error) {
	users, err := store.Users(ctx, warden.UserFilter{})
	if err != nil {
		return nil, err
	}
	latest, err := store.LatestHealth(ctx, warden.HealthFilter{})
	if err != nil {
		return nil, err
	}
	byUser := map[string]*warden.HealthResult{}
	for _, h := range latest {
		byUser[h.Org+"\x00"+strings.ToLower(h.Username)] = h
	}
	rows := make([]statusRow, 0, len(users))
	for _, u := range users {
		r := statusRow{Org: u.Org, Username: u.Username, State: warden.StateUnknown, Warnings: []string{}}
		if h := byUser[u.Org+"\x00"+strings.ToLower(u.Username)]; h != nil {
			at := h.CheckedAt
			r.State, r.Cause, r.Since, r.Fix, r.Evidence = h.State, h.Cause, &at, h.Fix, h.Evidence
			if h.Warnings != nil {
				r.Warnings = h.Warnings
			}
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Org != rows[j].Org {
			return rows[i].Org < rows[j].Org
		}
		return rows[i].Username < rows[j].Username
	})
	return rows, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
