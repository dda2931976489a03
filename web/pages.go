package web

import (
	"context"
	"net/http"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/inventory"
)

// registerPageRoutes registers the overview, org, dependents, findings
// and legacy-auth migration pages.
func (s *Server) registerPageRoutes() {
	s.handle(Route{Method: "GET", Pattern: "/{$}", Role: warden.RoleViewer, Summary: "The overview: orgs, users in error, recent alerts, API budget, upcoming rotations and password expiries."}, s.handleOverview)
	s.handle(Route{Method: "GET", Pattern: "/orgs/{org}", Role: warden.RoleViewer, Summary: "One org: its users by state, with causes and fixes."}, s.handleOrgPage)
	s.handle(Route{Method: "GET", Pattern: "/dependents", Role: warden.RoleViewer, Summary: "What breaks if each user is frozen: dependents with owners and delivery."}, s.handleDependentsPage)
	s.handle(Route{Method: "GET", Pattern: "/findings", Role: warden.RoleViewer, Summary: "Policy findings of the latest audit, filtered and paginated."}, s.handleFindingsPage)
	s.handle(Route{Method: "GET", Pattern: "/legacy-auth", Role: warden.RoleViewer, Summary: "Users still on password + security token login, and what moving them off it takes."}, s.handleLegacyPage)
}

// overviewRotations is how many running and how many scheduled
// rotations the overview lists (the soonest).
const overviewRotations = 20

// handleOverview shows the overview.
func (s *Server) handleOverview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	orgs, st, err := s.orgSummaries(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var problems []*warden.UserStatus
	for _, u := range worstFirst(st) {
		if u.State == warden.StateError || u.State == warden.StateDegraded {
			problems = append(problems, u)
		}
	}
	alerts, err := s.Store.Alerts(ctx, warden.AlertFilter{Limit: 10})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	running, err := s.Store.RotationJobs(ctx, warden.RotationJobFilter{Active: true}, overviewRotations)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var scheduled []ScheduledRotation
	if s.Schedule != nil {
		if scheduled, err = s.Schedule.ScheduledRotations(ctx); err != nil {
			s.pageError(w, r, err)
			return
		}
		scheduled = scheduled[:min(len(scheduled), overviewRotations)]
	}
	budget := Chart{Title: "Salesforce API requests Warden made per org since it started", Unit: "requests"}
	requests := Series{Name: "API requests", Values: []float64{}}
	for _, o := range orgs {
		budget.Labels = append(budget.Labels, o.Name)
		requests.Values = append(requests.Values, o.APIRequests)
	}
	budget.Series = []Series{requests}
	s.render(w, r, http.StatusOK, "overview.html", map[string]any{
		"Title": "Overview", "Refresh": true, "Orgs": orgs, "Problems": problems, "Alerts": alerts, "Budget": budget,
		"Expiries": passwordExpiries(st), "Users": len(st), "Now": s.Now(), "Scheduled": scheduled, "Running": running,
	})
}

// handleOrgPage shows one org's users, worst first.
func (s *Server) handleOrgPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	o, err := s.Store.Org(ctx, r.PathValue("org"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	orgs, _, err := s.orgSummaries(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var sum *OrgSummary
	for _, x := range orgs {
		if x.Name == o.Name {
			sum = x
		}
	}
	st, err := s.Store.Statuses(ctx, warden.StatusFilter{Org: o.Name})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	shown, pg := paginate(r, worstFirst(filterStatuses(r, st)))
	s.render(w, r, http.StatusOK, "org.html", map[string]any{"Title": o.Name, "Org": o, "Summary": sum, "Statuses": shown, "Page": pg, "Query": r.URL.Query()})
}

// impacts returns the impact report of every user that the request's org
// and owner filters select and that has dependents or is Warden's
// monitoring user.
func (s *Server) impacts(ctx context.Context, org, owner string) ([]*inventory.ImpactReport, error) {
	users, err := s.Store.Users(ctx, warden.UserFilter{Org: org})
	if err != nil {
		return nil, err
	}
	var out []*inventory.ImpactReport
	for _, u := range users {
		rep, err := inventory.Impact(ctx, s.Store, u.Org, u.Username)
		if err != nil {
			return nil, err
		}
		if len(rep.Dependents) == 0 && len(rep.Monitoring) == 0 {
			continue
		}
		if owner != "" && !ownedBy(rep, owner) {
			continue
		}
		out = append(out, rep)
	}
	return out, nil
}

// ownedBy reports whether the user or one of its dependents belongs to
// team.
func ownedBy(rep *inventory.ImpactReport, team string) bool {
	if rep.Owner != nil && rep.Owner.Team == team {
		return true
	}
	for _, d := range rep.Dependents {
		if d.Owner == team {
			return true
		}
	}
	return false
}

// handleDependentsPage answers "what breaks if this user is frozen?" for
// every user with dependents.
func (s *Server) handleDependentsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	reps, err := s.impacts(r.Context(), q.Get("org"), q.Get("owner"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	shown, pg := paginate(r, reps)
	s.render(w, r, http.StatusOK, "dependents.html", map[string]any{"Title": "Dependents: what breaks if a user is frozen?", "Reports": shown,
		"Page": pg, "Query": q, "RuleFreeze": inventory.RuleFreeze})
}

// findingsFor returns the latest audit's findings the request's org,
// username, rule and severity (the least) filters select.
func (s *Server) findingsFor(r *http.Request) ([]*warden.Finding, error) {
	q := r.URL.Query()
	fs, err := latestFindings(r.Context(), s.Store, warden.FindingFilter{Org: q.Get("org"), Username: q.Get("username")})
	if err != nil {
		return nil, err
	}
	fs, _ = splitSnapshot(fs)
	minSev := warden.Severity(q.Get("severity"))
	rule := q.Get("rule")
	var out []*warden.Finding
	for _, f := range fs {
		if (minSev == "" || f.Severity.Rank() >= minSev.Rank()) && (rule == "" || f.Rule == rule) {
			out = append(out, f)
		}
	}
	return out, nil
}

// handleFindingsPage lists policy findings.
func (s *Server) handleFindingsPage(w http.ResponseWriter, r *http.Request) {
	fs, err := s.findingsFor(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	audits, err := s.Store.Audits(r.Context(), 5)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	shown, pg := paginate(r, fs)
	s.render(w, r, http.StatusOK, "findings.html", map[string]any{"Title": "Policy findings", "Findings": shown, "Page": pg, "Query": r.URL.Query(),
		"Audits": audits, "Severities": []warden.Severity{warden.SeverityInfo, warden.SeverityLow, warden.SeverityMedium, warden.SeverityHigh, warden.SeverityCritical}})
}

// LegacyUser is one user on the legacy-auth migration page and in
// /api/v1/legacy-auth: a user whose credential is a password + security
// token, or whom Salesforce already refuses legacy login.
type LegacyUser struct {
	Org        string                    `json:"org"`
	Username   string                    `json:"username"`
	State      warden.State              `json:"state"`
	Cause      warden.Cause              `json:"cause,omitempty"`
	Credential *inventory.CredentialInfo `json:"credential"`
	// Dependents are the applications that must move with it, with how
	// they receive credentials.
	Dependents []*inventory.AffectedDependent `json:"dependents"`
	// Move says what to move to and how.
	Move string `json:"move"`
}

// legacyMove is the migration advice of the legacy-auth page.
const legacyMove = "Create a connected app with the JWT bearer flow (a certificate, no password), pre-authorize the user's profile or permission set for it, " +
	"declare it in the configuration (a credential of kind jwt, named by the user's credential), then move the dependents to it (broker or webhook delivery moves them without their owners)."

// legacyUsers returns the users still on legacy authentication.
func (s *Server) legacyUsers(ctx context.Context, org string) ([]*LegacyUser, error) {
	st, err := s.Store.Statuses(ctx, warden.StatusFilter{Org: org})
	if err != nil {
		return nil, err
	}
	var out []*LegacyUser
	for _, u := range st {
		rep, err := inventory.Impact(ctx, s.Store, u.Org, u.Username)
		if err != nil {
			return nil, err
		}
		legacy := u.Cause == warden.CauseLegacyAuthDisabled || (rep.Credential != nil && rep.Credential.Legacy)
		if !legacy {
			continue
		}
		out = append(out, &LegacyUser{Org: u.Org, Username: u.Username, State: u.State, Cause: u.Cause, Credential: rep.Credential,
			Dependents: rep.Dependents, Move: legacyMove})
	}
	return out, nil
}

// handleLegacyPage lists the users to move off password login.
func (s *Server) handleLegacyPage(w http.ResponseWriter, r *http.Request) {
	users, err := s.legacyUsers(r.Context(), r.URL.Query().Get("org"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	shown, pg := paginate(r, users)
	s.render(w, r, http.StatusOK, "legacy.html", map[string]any{"Title": "Legacy authentication migration", "Users": shown, "Page": pg,
		"Query": r.URL.Query(), "Move": legacyMove})
}
