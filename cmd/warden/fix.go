package main

import (
	"context"
	"fmt"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/policy"
)

func init() {
	register("fix", "plan or apply the permission changes that bring users to policy", runFix)
}

const fixUsage = `fix [--config FILE] [--org NAME] [--user [ORG/]USERNAME] [--policy FILE] [--plan | --apply] [--json] [--fail-on SEVERITY]

Audits the users (as "warden audit" does) and prints, for each, the minimal
set of permission changes that brings it to policy: move it off a profile
that grants forbidden permissions (to the policy's preferred profile),
remove forbidden or unlisted permissions and excess object access from
permission sets only it holds (unassign shared sets and groups instead),
and put the required permissions and declared object access it then lacks
into a dedicated permission set. Changes that add access come first.

--plan (the default) changes nothing. --apply makes the changes through the
REST API (PermissionSet, ObjectPermissions, PermissionSetAssignment,
PermissionSetLicenseAssign, User.ProfileId), prints each one as it is made,
then audits again, records that audit, and exits 1 when findings at or
above --fail-on (default high) remain.`

// appliedChange is one change made by fix --apply, for --json.
type appliedChange struct {
	At       time.Time `json:"at"`
	Org      string    `json:"org"`
	Username string    `json:"username"`
	*policy.Change
}

func runFix(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("fix", fixUsage)
	file := configFlag(fs)
	org := fs.String("org", "", "only this org")
	user := fs.String("user", "", "only this integration user (USERNAME or ORG/USERNAME)")
	polFile := fs.String("policy", "", "policy file that extends or overrides the built-in baseline")
	planOnly := fs.Bool("plan", false, "print the changes without making them (the default)")
	apply := fs.Bool("apply", false, "make the changes through the Salesforce API, then audit again")
	asJSON := fs.Bool("json", false, "print JSON")
	failOn := fs.String("fail-on", "high", "with --apply, exit 1 when findings at or above this severity remain: info, low, medium, high, critical or none")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if *planOnly && *apply {
		fmt.Fprintln(m.Stderr, "warden: give one of --plan and --apply")
		return errUsage
	}
	threshold, err := auditFailOn(*failOn)
	if err != nil {
		return err
	}
	run, err := m.policyRun(ctx, *file, *polFile, *org, *user)
	if err != nil {
		return err
	}
	defer run.e.Close()
	a, targets := run.a, run.targets
	rep, err := a.Audit(ctx, targets, policy.AuditOptions{Plans: true})
	if err != nil {
		return err
	}
	if !*apply {
		if *asJSON {
			return fixJSON(m, map[string]any{"audit": rep.AuditID, "plans": fixPlans(rep)})
		}
		policy.WritePlans(m.Stdout, rep)
		n := 0
		for _, p := range fixPlans(rep) {
			n += len(p.Changes)
		}
		if n > 0 {
			fmt.Fprintf(m.Stdout, "\n%d change(s) planned. Run again with --apply to make them.\n", n)
		}
		return auditOutcome(m, &policy.Report{Orgs: fixFailedOrgs(rep)}, -1)
	}
	sessions := map[string]policy.OrgTarget{}
	for _, t := range targets {
		sessions[t.Name] = t
	}
	var log []appliedChange
	var applyErr error
	for _, p := range fixPlans(rep) {
		if p.Empty() {
			continue
		}
		org, username := p.Org, p.Username
		err := policy.Apply(ctx, sessions[org].Session, p, func(c *policy.Change) {
			log = append(log, appliedChange{At: time.Now().UTC(), Org: org, Username: username, Change: c})
			if *asJSON {
				return
			}
			outcome := "done"
			switch {
			case c.Error != "":
				outcome = "FAILED: " + c.Error
			case c.Op == "create":
				outcome = "created " + c.Result
			}
			fmt.Fprintf(m.Stdout, "%s %s/%s: %s: %s\n", time.Now().UTC().Format(time.RFC3339), org, username, c.Summary, outcome)
		})
		if err != nil && applyErr == nil {
			applyErr = err
		}
	}
	if len(log) == 0 && !*asJSON {
		fmt.Fprintln(m.Stdout, "Nothing to change: every audited user is as close to policy as permission changes can bring it.")
	}
	// Audit again, from fresh reads, and record it.
	after, err := a.Audit(ctx, targets, policy.AuditOptions{Record: true, Plans: true})
	if err != nil {
		return err
	}
	if *asJSON {
		if log == nil {
			log = []appliedChange{}
		}
		if err := fixJSON(m, map[string]any{"applied": log, "audit": after}); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(m.Stdout)
		if err := policy.WriteTable(m.Stdout, after); err != nil {
			return err
		}
	}
	if applyErr != nil {
		return applyErr
	}
	return auditOutcome(m, after, threshold)
}

// plans lists the report's plans.
func fixPlans(r *policy.Report) []*policy.Plan {
	out := []*policy.Plan{}
	for _, o := range r.Orgs {
		for _, u := range o.Users {
			if u.Plan != nil {
				out = append(out, u.Plan)
			}
		}
	}
	return out
}

func fixFailedOrgs(r *policy.Report) []*policy.OrgReport {
	var out []*policy.OrgReport
	for _, o := range r.Orgs {
		if o.Error != "" {
			out = append(out, o)
		}
	}
	return out
}

func fixJSON(m *Main, v any) error {
	if err := writeJSON(m.Stdout, v); err != nil {
		return warden.Errorf(warden.EINTERNAL, "cannot encode JSON: %v", err)
	}
	return nil
}
