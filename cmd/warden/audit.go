package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/internal/fileread"
	"github.com/wardenhq/warden/policy"
)

func init() {
	register("audit", "audit integration users against the least-privilege policy", runAudit)
}

const auditUsage = `audit [--config FILE] [--org NAME] [--user [ORG/]USERNAME] [--policy FILE]
                    [--format table|json|sarif|html] [--output FILE] [--fail-on SEVERITY]

Reads the effective permissions of every integration user in the inventory
(profile, permission sets and groups, licence, object permissions) with one
composite API request per org, evaluates them against the built-in
least-privilege baseline extended by --policy, scores each user and org,
records the audit run and reports drift since the previous one (with who
changed what, from the setup audit trail). It exits 1 when a finding at or
above --fail-on exists (default high; "none" never fails), so it can gate
CI. docs/policy.md documents the policy and every rule.`

// severityFlag parses --fail-on: a severity or none (-1).
func auditFailOn(s string) (int, error) {
	if strings.EqualFold(s, "none") {
		return -1, nil
	}
	r := warden.Severity(strings.ToLower(s)).Rank()
	if r < 0 {
		return 0, warden.Errorf(warden.EINVALID, "--fail-on: %q is not one of info, low, medium, high, critical, none", s)
	}
	return r, nil
}

func auditFormat(s string) error {
	for _, f := range policy.Formats {
		if s == f {
			return nil
		}
	}
	return warden.Errorf(warden.EINVALID, "--format: %q is not one of %s", s, strings.Join(policy.Formats, ", "))
}

// loadPolicySet reads --policy, or returns the built-in baseline.
func loadPolicySet(path string) (*policy.Set, error) {
	if path == "" {
		return policy.Baseline(), nil
	}
	data, err := fileread.Read("--policy", path, fileread.MaxPolicy)
	if err != nil {
		return nil, err
	}
	return policy.Parse(data, path)
}

func runAudit(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("audit", auditUsage)
	file := configFlag(fs)
	org := fs.String("org", "", "audit only this org")
	user := fs.String("user", "", "audit only this integration user (USERNAME or ORG/USERNAME)")
	polFile := fs.String("policy", "", "policy file that extends or overrides the built-in baseline")
	format := fs.String("format", "table", "output format: table, json, sarif or html")
	output := fs.String("output", "", "write the report to FILE instead of standard output")
	failOn := fs.String("fail-on", "high", "exit 1 when a finding at or above this severity exists: info, low, medium, high, critical or none")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	threshold, err := auditFailOn(*failOn)
	if err != nil {
		return err
	}
	if err := auditFormat(*format); err != nil {
		return err
	}
	run, err := m.policyRun(ctx, *file, *polFile, *org, *user)
	if err != nil {
		return err
	}
	defer run.e.Close()
	rep, err := run.a.Audit(ctx, run.targets, policy.AuditOptions{Record: true})
	if err != nil {
		return err
	}
	if err := m.writeOutput(*output, func(w io.Writer) error { return policy.WriteReport(w, rep, *format, Version) }); err != nil {
		return err
	}
	return auditOutcome(m, rep, threshold)
}

// policyRun is what an audit needs: the runtime, an auditor of the policy
// and the orgs and users to audit.
type policyRun struct {
	e       *env
	a       *policy.Auditor
	targets []policy.OrgTarget
}

// policyRun loads the policy and the configuration, opens the runtime and
// selects the targets (org and user may be empty for all). The caller
// closes run.e.
func (m *Main) policyRun(ctx context.Context, configFile, policyFile, org, user string) (*policyRun, error) {
	pol, err := loadPolicySet(policyFile)
	if err != nil {
		return nil, err
	}
	cfg, err := m.loadConfig(m.configPath(configFile))
	if err != nil {
		return nil, err
	}
	e, err := m.open(ctx, cfg, discardLogger())
	if err != nil {
		return nil, err
	}
	targets, err := e.auditTargets(ctx, org, user)
	if err != nil {
		e.Close()
		return nil, err
	}
	return &policyRun{e: e, a: &policy.Auditor{Policy: pol, Store: e.store, Logger: e.logger}, targets: targets}, nil
}

// auditOutcome turns a report into the command's result: an error when an
// org could not be audited, errFailed when findings reach the threshold.
func auditOutcome(m *Main, rep *policy.Report, threshold int) error {
	if rep.Failed() {
		var bad []string
		for _, o := range rep.Orgs {
			if o.Error != "" {
				bad = append(bad, o.Org+": "+o.Error)
			}
		}
		return warden.Errorf(warden.EUNAVAILABLE, "could not audit %s", strings.Join(bad, "; "))
	}
	if threshold >= 0 {
		n := 0
		for _, f := range rep.Findings() {
			if f.Severity.Rank() >= threshold {
				n++
			}
		}
		if n > 0 {
			fmt.Fprintf(m.Stderr, "warden: %d finding(s) at or above %s\n", n, auditSeverityName(threshold))
			return errFailed
		}
	}
	return nil
}

func auditSeverityName(rank int) string {
	for _, s := range []warden.Severity{warden.SeverityInfo, warden.SeverityLow, warden.SeverityMedium, warden.SeverityHigh, warden.SeverityCritical} {
		if s.Rank() == rank {
			return string(s)
		}
	}
	return "none"
}

// writeOutput writes to FILE or to standard output. A regular file is
// replaced atomically: the report goes to a temporary file beside it,
// removed on any failure, then renamed over FILE, so FILE is never left
// half-written and no temporary file stays behind. A new file is created
// with mode 0600 (reports name users and their weaknesses); an existing
// one keeps its mode. Anything else that exists at FILE (a terminal, a
// pipe) is written to directly.
func (m *Main) writeOutput(path string, write func(io.Writer) error) (err error) {
	if path == "" {
		return write(m.Stdout)
	}
	mode := os.FileMode(0o600)
	if fi, err := os.Stat(path); err == nil {
		if !fi.Mode().IsRegular() {
			if fi.IsDir() {
				return warden.Errorf(warden.EINVALID, "--output %s: is a directory", path)
			}
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return warden.Errorf(warden.EINVALID, "--output %s: cannot write: %v", path, pathless(err))
			}
			defer f.Close()
			return write(f)
		}
		mode = fi.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return warden.Errorf(warden.EINVALID, "--output %s: cannot write: %v", path, pathless(err))
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return warden.Errorf(warden.EINVALID, "--output %s: cannot write: %v", path, pathless(err))
	}
	if err := write(f); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return warden.Errorf(warden.EINVALID, "--output %s: cannot write: %v", path, pathless(err))
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return warden.Errorf(warden.EINVALID, "--output %s: cannot write: %v", path, pathless(err))
	}
	return nil
}

// pathless drops the path of an *fs.PathError (or *os.LinkError), which
// the message names already.
func pathless(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}

// auditTargets builds the orgs and users to audit from the inventory: every
// configured org (or --org), read with its monitoring credential, and its
// integration users (or --user) with their credentials and dependents.
func (e *env) auditTargets(ctx context.Context, orgFilter, userFilter string) ([]policy.OrgTarget, error) {
	wantUser := ""
	if userFilter != "" {
		o, u, err := findUser(ctx, e.store, userFilter)
		if err != nil {
			return nil, err
		}
		if orgFilter != "" && orgFilter != o {
			return nil, warden.Errorf(warden.EINVALID, "--user %s is in org %s, not %s", userFilter, o, orgFilter)
		}
		orgFilter, wantUser = o, u
	}
	var out []policy.OrgTarget
	found := false
	for _, oc := range e.cfg.Orgs {
		if orgFilter != "" && oc.Name != orgFilter {
			continue
		}
		found = true
		sess, err := e.session(ctx, oc.MonitoringCredential)
		if err != nil {
			return nil, fmt.Errorf("org %s: monitoring credential: %w", oc.Name, err)
		}
		users, err := e.store.Users(ctx, warden.UserFilter{Org: oc.Name})
		if err != nil {
			return nil, err
		}
		deps, err := e.store.Dependents(ctx, warden.DependentFilter{Org: oc.Name})
		if err != nil {
			return nil, err
		}
		creds, err := e.store.Credentials(ctx, oc.Name)
		if err != nil {
			return nil, err
		}
		byClient := map[string][]string{}
		for _, c := range creds {
			if c.ClientID != "" && c.Username != "" && !auditHasUser(byClient[c.ClientID], c.Username) {
				byClient[c.ClientID] = append(byClient[c.ClientID], c.Username)
			}
		}
		t := policy.OrgTarget{Name: oc.Name, Session: sess}
		for _, u := range users {
			if wantUser != "" && !strings.EqualFold(u.Username, wantUser) {
				continue
			}
			s := &policy.Subject{Org: u.Org, Username: u.Username, Owner: u.Owner}
			if u.Credential != "" {
				if c, err := e.store.Credential(ctx, u.Credential); err == nil {
					s.Credential = c
					for _, other := range byClient[c.ClientID] {
						if !strings.EqualFold(other, u.Username) {
							s.SharedClient = append(s.SharedClient, other)
						}
					}
				}
			}
			for _, d := range deps {
				if strings.EqualFold(d.Username, u.Username) {
					s.Dependents = append(s.Dependents, d)
				}
			}
			t.Subjects = append(t.Subjects, s)
		}
		out = append(out, t)
	}
	if orgFilter != "" && !found {
		return nil, warden.Errorf(warden.ENOTFOUND, "no org %q in the configuration", orgFilter)
	}
	return out, nil
}

func auditHasUser(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// policyScheduler returns the scheduler that audits every configured org
// against pol and records each run (so the dashboard and the next audit
// see drift), once at start and then every interval. warden serve runs it
// beside the monitor:
//
//	go e.policyScheduler(policy.Baseline(), 24*time.Hour).Run(ctx)
func (e *env) policyScheduler(pol *policy.Set, interval time.Duration) *policy.Scheduler {
	return &policy.Scheduler{
		Auditor:  &policy.Auditor{Policy: pol, Store: e.store, Logger: e.logger},
		Interval: interval,
		Targets:  func(ctx context.Context) ([]policy.OrgTarget, error) { return e.auditTargets(ctx, "", "") },
		Logger:   e.logger,
	}
}
