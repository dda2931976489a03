package web

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/inventory"
	"github.com/wardenhq/warden/policy"
)

// OrgSummary is one org on the overview and in /api/v1/orgs: its users'
// counts by state and the Salesforce API requests Warden made in it since
// the server started.
type OrgSummary struct {
	Name        string         `json:"name"`
	LoginURL    string         `json:"loginUrl"`
	InstanceURL string         `json:"instanceUrl,omitempty"`
	Users       int            `json:"users"`
	Counts      map[string]int `json:"counts"`
	APIRequests float64        `json:"apiRequests"`
}

// orgSummaries returns every org of the inventory, by name, with its
// counts, and the statuses it counted.
func (s *Server) orgSummaries(ctx context.Context) ([]*OrgSummary, []*warden.UserStatus, error) {
	orgs, err := s.Store.Orgs(ctx)
	if err != nil {
		return nil, nil, err
	}
	st, err := s.Store.Statuses(ctx, warden.StatusFilter{})
	if err != nil {
		return nil, nil, err
	}
	requests := apiRequests(s.Gatherer)
	byName := map[string]*OrgSummary{}
	out := make([]*OrgSummary, 0, len(orgs))
	for _, o := range orgs {
		sum := &OrgSummary{Name: o.Name, LoginURL: o.LoginURL, InstanceURL: o.InstanceURL, APIRequests: requests[o.Name],
			Counts: map[string]int{"ok": 0, "degraded": 0, "error": 0, "unknown": 0}}
		byName[o.Name] = sum
		out = append(out, sum)
	}
	for _, u := range st {
		if sum := byName[u.Org]; sum != nil {
			sum.Users++
			sum.Counts[string(u.State)]++
		}
	}
	return out, st, nil
}

// apiRequests sums the monitor's warden_api_requests_total counter per
// org from g; nothing when g has none.
func apiRequests(g prometheus.Gatherer) map[string]float64 {
	out := map[string]float64{}
	if g == nil {
		return out
	}
	mfs, err := g.Gather()
	if err != nil {
		return out
	}
	for _, mf := range mfs {
		if mf.GetName() != "warden_api_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "org" {
					out[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// worstFirst orders statuses error, degraded, unknown, ok, then by org
// and username.
func worstFirst(st []*warden.UserStatus) []*warden.UserStatus {
	rank := map[warden.State]int{warden.StateError: 0, warden.StateDegraded: 1, warden.StateUnknown: 2, warden.StateOK: 3}
	out := slices.Clone(st)
	slices.SortStableFunc(out, func(a, b *warden.UserStatus) int { return rank[a.State] - rank[b.State] })
	return out
}

// UserDetail is everything the user page shows and GET
// /api/v1/users/{org}/{username} returns.
type UserDetail struct {
	Status *warden.UserStatus      `json:"status"`
	User   *warden.IntegrationUser `json:"user"`
	// Impact holds the credential (kind and secret location, never the
	// secret) and the dependents with their owners and delivery.
	Impact *inventory.ImpactReport `json:"impact"`
	// Findings are the user's policy findings of the latest audit that
	// found any for it.
	Findings []*warden.Finding `json:"findings"`
	// Permissions are the user's effective permissions with their
	// sources, as the latest policy audit resolved them; nil before the
	// first audit.
	Permissions *Permissions             `json:"permissions"`
	Rotations   []*warden.RotationRecord `json:"rotations"`
	Alerts      []*warden.AlertRecord    `json:"alerts"`
}

// userDetail gathers the user's detail.
func (s *Server) userDetail(ctx context.Context, org, username string) (*UserDetail, error) {
	u, err := s.Store.User(ctx, org, username)
	if err != nil {
		return nil, err
	}
	d := &UserDetail{User: u, Status: &warden.UserStatus{Org: u.Org, Username: u.Username, State: warden.StateUnknown, Warnings: []string{}}}
	st, err := s.Store.Statuses(ctx, warden.StatusFilter{Org: u.Org, Username: u.Username})
	if err != nil {
		return nil, err
	}
	if len(st) > 0 {
		d.Status = nonNilWarnings(st)[0]
	}
	if d.Impact, err = inventory.Impact(ctx, s.Store, u.Org, u.Username); err != nil {
		return nil, err
	}
	if d.Findings, err = latestFindings(ctx, s.Store, warden.FindingFilter{Org: u.Org, Username: u.Username}); err != nil {
		return nil, err
	}
	d.Findings, d.Permissions = splitSnapshot(d.Findings)
	if u.Credential != "" {
		if d.Rotations, err = s.Store.Rotations(ctx, u.Credential, 20); err != nil {
			return nil, err
		}
	}
	if d.Alerts, err = s.Store.Alerts(ctx, warden.AlertFilter{Org: u.Org, Username: u.Username, Limit: 20}); err != nil {
		return nil, err
	}
	d.Findings, d.Rotations, d.Alerts = nonNil(d.Findings), nonNil(d.Rotations), nonNil(d.Alerts)
	return d, nil
}

// Permissions are a user's effective permissions as a policy audit
// resolved them: its profile, licence and permission sets (Sources),
// each system permission and each object access with the grants it comes
// from, and the audit's score.
type Permissions struct {
	Score   int    `json:"score"`
	Grade   string `json:"grade"`
	Profile string `json:"profile"`
	Licence string `json:"licence"`
	Sources []struct {
		Kind  string `json:"kind"`
		Name  string `json:"name"`
		Label string `json:"label"`
	} `json:"sources"`
	// Permissions maps a system permission to its sources.
	Permissions map[string][]string `json:"permissions"`
	// Objects maps an object to each access (Read, Edit...) and its
	// sources.
	Objects map[string]map[string][]string `json:"objects"`
}

// splitSnapshot takes the audit's snapshot (policy.RuleSnapshot, whose
// evidence is the resolved grants in JSON) out of a user's findings and
// decodes it.
func splitSnapshot(fs []*warden.Finding) ([]*warden.Finding, *Permissions) {
	var out []*warden.Finding
	var perms *Permissions
	for _, f := range fs {
		if f.Rule != policy.RuleSnapshot {
			out = append(out, f)
			continue
		}
		var p Permissions
		if json.Unmarshal([]byte(f.Evidence), &p) == nil {
			perms = &p
		}
	}
	return out, perms
}

// latestFindings returns the findings f selects of the newest audit that
// has any.
func latestFindings(ctx context.Context, fs warden.FindingService, f warden.FindingFilter) ([]*warden.Finding, error) {
	all, err := fs.Findings(ctx, f)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	var out []*warden.Finding
	for _, x := range all {
		if x.AuditID == all[0].AuditID {
			out = append(out, x)
		}
	}
	return out, nil
}

// nonNil returns v, or an empty slice for nil, so that JSON lists are
// never null.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// passwordExpiries returns the users whose status warns that their
// password expires soon.
func passwordExpiries(st []*warden.UserStatus) []*warden.UserStatus {
	var out []*warden.UserStatus
	for _, u := range st {
		for _, w := range u.Warnings {
			if strings.Contains(strings.ToLower(w), "password") && strings.Contains(strings.ToLower(w), "expire") {
				out = append(out, u)
				break
			}
		}
	}
	return out
}
