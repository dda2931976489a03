package policy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// OrgTarget is one org to audit: the session Warden reads it with and the
// users to audit.
type OrgTarget struct {
	Name     string
	Session  *salesforce.Session
	Subjects []*Subject
}

// Auditor audits integration users against a policy.
type Auditor struct {
	// Policy is the policy to apply (default Baseline()).
	Policy *Set
	// Store records each audit run and gives the previous one for drift;
	// nil records nothing.
	Store warden.FindingService
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// AuditOptions tune one audit.
type AuditOptions struct {
	// Record stores the run (findings and snapshots) in Store.
	Record bool
	// Plans includes each user's fix plan in the report.
	Plans bool
}

// Report is the outcome of one audit run.
type Report struct {
	AuditID string    `json:"auditId"`
	At      time.Time `json:"at"`
	// Policy names the policy ("builtin" or its file).
	Policy string       `json:"policy"`
	Orgs   []*OrgReport `json:"orgs"`
	// Rules describes every rule evaluated, by id.
	Rules map[string]RuleInfo `json:"rules"`
}

// OrgReport is one org's audit.
type OrgReport struct {
	Org   string        `json:"org"`
	Score int           `json:"score"`
	Grade string        `json:"grade"`
	Users []*UserReport `json:"users"`
	// Requests is how many API requests the audit made.
	Requests int `json:"apiRequests"`
	// Error is why the org could not be audited.
	Error string `json:"error,omitempty"`
	// Unreadable are system permissions the org does not have, so not
	// checked.
	Unreadable []string `json:"unreadable,omitempty"`
}

// UserReport is one user's audit.
type UserReport struct {
	Org      string            `json:"org"`
	Username string            `json:"username"`
	Profile  string            `json:"profile"`
	Licence  string            `json:"licence"`
	Score    int               `json:"score"`
	Grade    string            `json:"grade"`
	Findings []*warden.Finding `json:"findings"`
	// Grants are the user's system permissions with their sources.
	Grants map[string][]string `json:"grants"`
	Drift  *Drift              `json:"drift,omitempty"`
	Plan   *Plan               `json:"plan,omitempty"`

	state *UserState
	eff   *Effective
	subj  *Subject
	org   *OrgState
}

// Findings returns every finding of the report.
func (r *Report) Findings() []*warden.Finding {
	var out []*warden.Finding
	for _, o := range r.Orgs {
		for _, u := range o.Users {
			out = append(out, u.Findings...)
		}
	}
	return out
}

// Worst returns the highest severity rank among the findings (-1: none).
func (r *Report) Worst() int {
	worst := -1
	for _, f := range r.Findings() {
		worst = max(worst, f.Severity.Rank())
	}
	return worst
}

// AtLeast counts findings at or above a severity.
func (r *Report) AtLeast(sev warden.Severity) int {
	n := 0
	for _, f := range r.Findings() {
		if f.Severity.Rank() >= sev.Rank() {
			n++
		}
	}
	return n
}

// Failed reports whether an org could not be audited.
func (r *Report) Failed() bool {
	for _, o := range r.Orgs {
		if o.Error != "" {
			return true
		}
	}
	return false
}

func (a *Auditor) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Auditor) policy() *Set {
	if a.Policy != nil {
		return a.Policy
	}
	return Baseline()
}

func (a *Auditor) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// NewAuditID returns a fresh, time-ordered audit id.
func NewAuditID(at time.Time) string {
	var b [4]byte
	rand.Read(b[:])
	return "audit-" + at.UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:])
}

// Audit reads, evaluates and (with opts.Record) records every target. An
// org that cannot be read gets an Error in its report; the others are
// audited anyway. The error is for failures to record the run.
func (a *Auditor) Audit(ctx context.Context, targets []OrgTarget, opts AuditOptions) (*Report, error) {
	now := a.now().UTC()
	rep := &Report{AuditID: NewAuditID(now), At: now, Policy: a.policy().Source, Rules: map[string]RuleInfo{}}
	var record []*warden.Finding
	for _, t := range targets {
		or := a.auditOrg(ctx, t, rep, now, opts)
		rep.Orgs = append(rep.Orgs, or)
		if or.Error != "" {
			continue
		}
		for _, u := range or.Users {
			record = append(record, u.Findings...)
			if u.state != nil && u.state.Found {
				ev := &Evaluation{Score: u.Score, Grade: u.Grade}
				record = append(record, takeSnapshot(u.state, ev).finding(u.Org, u.Username, now))
			}
		}
	}
	if opts.Record && a.Store != nil {
		if err := a.Store.AppendFindings(ctx, rep.AuditID, now, record); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// Profiles returns the preferred profiles of effective policies.
func preferredProfiles(effs []*Effective) []string {
	set := map[string]bool{}
	for _, e := range effs {
		if e.ProfilePreferred.Name != "" {
			set[e.ProfilePreferred.Name] = true
		}
	}
	return sortedKeys(set)
}

func (a *Auditor) auditOrg(ctx context.Context, t OrgTarget, rep *Report, now time.Time, opts AuditOptions) *OrgReport {
	or := &OrgReport{Org: t.Name, Users: []*UserReport{}}
	if len(t.Subjects) == 0 {
		or.Score, or.Grade = OrgScore(nil, nil)
		return or
	}
	effs := make([]*Effective, len(t.Subjects))
	names := make([]string, len(t.Subjects))
	ro := ReadOptions{}
	for i, s := range t.Subjects {
		e := a.policy().For(t.Name, s.Username)
		effs[i], names[i] = e, s.Username
		if (len(e.IPAllowed) > 0 && e.IPOutside.On()) || (len(e.Hours) > 0 && e.HoursOutside.On()) {
			if since := now.Add(-e.LoginHistory); ro.HistorySince.IsZero() || since.Before(ro.HistorySince) {
				ro.HistorySince = since
			}
		}
		ro.Tokens = ro.Tokens || (e.AppUsers.On() && e.MaxAppUsers > 0)
	}
	ro.Profiles = preferredProfiles(effs)
	if a.Store != nil {
		ro.AuditSince = now.Add(-30 * 24 * time.Hour)
	}
	st, err := Read(ctx, t.Session, t.Name, names, ro)
	if err != nil {
		or.Error = warden.ErrorMessage(err)
		a.logger().Warn("policy audit: cannot read org", "org", t.Name, "err", or.Error)
		return or
	}
	var scores []int
	evs := make([]*Evaluation, len(t.Subjects))
	var sets []string
	for i, s := range t.Subjects {
		u := st.Users[strings.ToLower(s.Username)]
		evs[i] = Evaluate(effs[i], s, u, st, now)
		for _, v := range evs[i].violations {
			for _, src := range v.sources {
				if src != nil && src.Kind == KindSet && (v.perm != "" || v.excess != 0) {
					sets = append(sets, src.ID)
				}
			}
		}
	}
	if len(sets) > 0 {
		// A finding's fix depends on whether its permission set is shared.
		if err := ReadSetUsers(ctx, t.Session, st, sets); err != nil {
			a.logger().Warn("policy audit: cannot read permission set assignees; shared sets are assumed", "org", t.Name, "err", warden.ErrorMessage(err))
		}
	}
	for i, s := range t.Subjects {
		u := st.Users[strings.ToLower(s.Username)]
		ev := evs[i]
		ur := &UserReport{Org: t.Name, Username: s.Username, Profile: u.Profile, Licence: u.Licence, Score: ev.Score, Grade: ev.Grade,
			Findings: ev.Findings, Grants: map[string][]string{}, state: u, eff: effs[i], subj: s, org: st}
		if ur.Findings == nil {
			ur.Findings = []*warden.Finding{}
		}
		// The plan also writes each finding's exact fix.
		if pl := PlanFix(effs[i], s, u, st, ev, now); opts.Plans {
			ur.Plan = pl
		}
		for perm, srcs := range u.PermissionGrants() {
			for _, src := range srcs {
				ur.Grants[perm] = append(ur.Grants[perm], src.String())
			}
			sort.Strings(ur.Grants[perm])
		}
		for id, ri := range ev.Rules {
			if _, ok := rep.Rules[id]; !ok {
				rep.Rules[id] = ri
			}
		}
		if a.Store != nil && u.Found {
			prev, err := previous(ctx, a.Store, t.Name, s.Username, rep.AuditID)
			if err != nil {
				a.logger().Warn("policy audit: cannot read the previous audit", "user", s.Username, "err", warden.ErrorMessage(err))
			} else if prev != nil {
				ur.Drift = diff(prev, ev.Findings, takeSnapshot(u, ev), st.Changes, s.Username)
			}
		}
		scores = append(scores, ev.Score)
		or.Users = append(or.Users, ur)
	}
	var all []*warden.Finding
	for _, u := range or.Users {
		all = append(all, u.Findings...)
	}
	or.Score, or.Grade = OrgScore(scores, all)
	or.Requests, or.Unreadable = st.Requests, st.Unreadable
	return or
}
