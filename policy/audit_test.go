package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// memFindings is an in-memory warden.FindingService.
type memFindings struct {
	mu   sync.Mutex
	runs []warden.AuditRun
	fs   map[string][]*warden.Finding
}

func (m *memFindings) AppendFindings(ctx context.Context, id string, at time.Time, fs []*warden.Finding) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fs == nil {
		m.fs = map[string][]*warden.Finding{}
	}
	if _, dup := m.fs[id]; dup {
		return warden.Errorf(warden.ECONFLICT, "audit %q is already recorded", id)
	}
	for i, f := range fs {
		c := *f
		c.ID, c.AuditID = int64(i+1), id
		if c.FoundAt.IsZero() {
			c.FoundAt = at
		}
		m.fs[id] = append(m.fs[id], &c)
	}
	if m.fs[id] == nil {
		m.fs[id] = []*warden.Finding{}
	}
	m.runs = append([]warden.AuditRun{{ID: id, At: at, Findings: len(fs)}}, m.runs...)
	return nil
}

func (m *memFindings) Findings(ctx context.Context, f warden.FindingFilter) ([]*warden.Finding, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*warden.Finding
	for _, r := range m.runs {
		for _, x := range m.fs[r.ID] {
			if (f.Org == "" || x.Org == f.Org) && (f.Username == "" || x.Username == f.Username) && (f.AuditID == "" || x.AuditID == f.AuditID) {
				out = append(out, x)
			}
		}
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (m *memFindings) Audits(ctx context.Context, limit int) ([]warden.AuditRun, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]warden.AuditRun(nil), m.runs...), nil
}

func TestAuditDemoEndToEnd(t *testing.T) {
	emu, sess, _ := demo(t)
	store := &memFindings{}
	a := &Auditor{Store: store}
	targets := []OrgTarget{{Name: "acme", Session: sess, Subjects: demoSubjects()}}
	sess.Token(t.Context()) // log in first: logins are not API requests
	before := emu.Usage(t, "Acme Corp").APIRequests
	rep, err := a.Audit(t.Context(), targets, AuditOptions{Record: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := emu.Usage(t, "Acme Corp").APIRequests - before; n != 1 || rep.Orgs[0].Requests != 1 {
		t.Errorf("the audit of two users made %d API requests (report says %d), want 1", n, rep.Orgs[0].Requests)
	}
	if rep.Orgs[0].Score != 54 || rep.Orgs[0].Grade != "Very Poor" {
		t.Errorf("org score %d %s", rep.Orgs[0].Score, rep.Orgs[0].Grade)
	}
	runs, _ := store.Audits(t.Context(), 0)
	if len(runs) != 1 || runs[0].ID != rep.AuditID {
		t.Fatalf("recorded runs %+v", runs)
	}
	// A clean user is recorded too: its snapshot.
	fs, _ := store.Findings(t.Context(), warden.FindingFilter{Username: "invoice.sync@acme.demo"})
	var snaps int
	for _, f := range fs {
		if f.Rule == RuleSnapshot {
			snaps++
			var sn snapshot
			if err := json.Unmarshal([]byte(f.Evidence), &sn); err != nil || sn.Score != 100 || sn.Profile != minProfile ||
				strings.Join(sn.Permissions["ApiEnabled"], ",") != "permission set Invoice_Sync_API,profile "+minProfile {
				t.Errorf("snapshot %v %+v", err, sn)
			}
		}
	}
	if snaps != 1 {
		t.Errorf("%d snapshots of the clean user", snaps)
	}

	// Drift: a permission set gains Modify All Data and loses Invoice__c Edit.
	emu.Control(t, "PATCH", "orgs/Acme Corp/permissionsets/Invoice_Sync_API", map[string]any{
		"permissions": map[string]bool{"ModifyAllData": true}, "objects": map[string][]string{"Invoice__c": {"Read", "Create"}}}, nil)
	rep2, err := a.Audit(t.Context(), targets, AuditOptions{Record: true, Plans: true})
	if err != nil {
		t.Fatal(err)
	}
	var inv *UserReport
	for _, u := range rep2.Orgs[0].Users {
		if u.Username == "invoice.sync@acme.demo" {
			inv = u
		}
	}
	d := inv.Drift
	if d == nil || d.PreviousAudit != rep.AuditID || d.PreviousScore != 100 {
		t.Fatalf("drift %+v", d)
	}
	var newRules []string
	for _, f := range d.New {
		newRules = append(newRules, f.Rule)
	}
	// Modify All Data grants Invoice__c Edit, so nothing is missing yet.
	if strings.Join(newRules, ",") != "permission.forbidden.ModifyAllData" {
		t.Errorf("new findings %v", newRules)
	}
	if strings.Join(d.Gained, ";") != "ModifyAllData via permission set Invoice_Sync_API" || strings.Join(d.Lost, ";") != "Invoice__c Edit via permission set Invoice_Sync_API" {
		t.Errorf("gained %v lost %v", d.Gained, d.Lost)
	}
	var by []string
	for _, c := range d.Changes {
		by = append(by, c.By+": "+c.Display)
	}
	if len(by) != 2 || !strings.Contains(strings.Join(by, "\n"), "admin@acme.demo: Permission set Invoice Sync API: system permission ModifyAllData was enabled") {
		t.Errorf("changes %q", by)
	}

	// The plan fixes it in place: Invoice_Sync_API is only invoice.sync's.
	// Edit on Invoice__c comes back before Modify All Data goes.
	var calls []string
	for _, c := range inv.Plan.Changes {
		calls = append(calls, c.Request())
	}
	if len(calls) != 2 || !strings.HasPrefix(calls[0], "PATCH sobjects/ObjectPermissions/") || !strings.Contains(calls[0], `"PermissionsEdit":true`) ||
		!strings.HasPrefix(calls[1], "PATCH sobjects/PermissionSet/") || !strings.HasSuffix(calls[1], `{"PermissionsModifyAllData":false}`) {
		t.Errorf("plan:\n%s", strings.Join(calls, "\n"))
	}
	if err := Apply(t.Context(), sess, inv.Plan, nil); err != nil {
		t.Fatal(err)
	}
	rep3, err := a.Audit(t.Context(), targets, AuditOptions{Record: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range rep3.Orgs[0].Users {
		if u.Username != "invoice.sync@acme.demo" {
			continue
		}
		for _, f := range u.Findings {
			if f.Severity != warden.SeverityInfo {
				t.Errorf("after the fix: %s %s", f.Rule, f.Evidence)
			}
		}
		if len(u.Drift.Resolved) != 1 || u.Score != 100 || strings.Join(u.Drift.Gained, ",") != "Invoice__c Edit via permission set Invoice_Sync_API" {
			t.Errorf("resolved %d, score %d", len(u.Drift.Resolved), u.Score)
		}
	}
	// Every report format renders; SARIF validates.
	for _, f := range Formats {
		var b bytes.Buffer
		if err := WriteReport(&b, rep2, f, "test"); err != nil || b.Len() == 0 {
			t.Errorf("%s: %v", f, err)
		}
		if f == "sarif" {
			if err := ValidateSARIF(b.Bytes()); err != nil {
				t.Errorf("SARIF: %v", err)
			}
		}
	}
	if err := WriteReport(&bytes.Buffer{}, rep2, "xml", ""); warden.ErrorKind(err) != warden.EINVALID {
		t.Errorf("unknown format: %v", err)
	}
}

func TestAuditReportsUnreadableOrg(t *testing.T) {
	_, _, key := demo(t)
	c := salesforce.New(salesforce.Config{LoginURL: "http://127.0.0.1:1", HTTPClient: &http.Client{}, Retry: salesforce.RetryPolicy{MaxAttempts: 1}})
	sess := salesforce.NewSession(c, &salesforce.JWTAuth{Client: c, Grant: salesforce.JWTGrant{ClientID: "x", Username: "admin@acme.demo", Key: key}})
	a := &Auditor{}
	rep, err := a.Audit(t.Context(), []OrgTarget{{Name: "acme", Session: sess, Subjects: demoSubjects()}, {Name: "empty"}}, AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Failed() || rep.Orgs[0].Error == "" || rep.Orgs[1].Error != "" || rep.Orgs[1].Score != 100 {
		t.Errorf("report %+v %+v", rep.Orgs[0], rep.Orgs[1])
	}
}

func TestValidateSARIFRejects(t *testing.T) {
	rep := &Report{AuditID: "audit-1", At: now, Policy: "builtin", Rules: map[string]RuleInfo{
		"permission.forbidden.ModifyAllData": {ID: "permission.forbidden.ModifyAllData", Title: "Forbidden permission: Modify All Data", Severity: "critical", Rationale: "Because."}},
		Orgs: []*OrgReport{{Org: "acme", Users: []*UserReport{{Org: "acme", Username: "u@x", Findings: []*warden.Finding{
			{Org: "acme", Username: "u@x", Rule: "permission.forbidden.ModifyAllData", Severity: "critical", Evidence: "ModifyAllData: granted", Source: "profile P", Fix: "Move."}}}}}}}
	var b bytes.Buffer
	if err := WriteSARIF(&b, rep, "1.0"); err != nil {
		t.Fatal(err)
	}
	if err := ValidateSARIF(b.Bytes()); err != nil {
		t.Fatalf("valid log: %v", err)
	}
	mutate := func(f func(m map[string]any)) []byte {
		var m map[string]any
		json.Unmarshal(b.Bytes(), &m)
		f(m)
		out, _ := json.Marshal(m)
		return out
	}
	run := func(m map[string]any) map[string]any { return m["runs"].([]any)[0].(map[string]any) }
	result := func(m map[string]any) map[string]any { return run(m)["results"].([]any)[0].(map[string]any) }
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"version", mutate(func(m map[string]any) { m["version"] = "2.0.0" }), "$.version: 2.0.0 is not one of [2.1.0]"},
		{"schema", mutate(func(m map[string]any) { delete(m, "$schema") }), "$.$schema: missing"},
		{"extra property", mutate(func(m map[string]any) { m["extra"] = true }), `$: property "extra" is not allowed`},
		{"driver name", mutate(func(m map[string]any) {
			delete(run(m)["tool"].(map[string]any)["driver"].(map[string]any), "name")
		}), `$.runs[0].tool.driver: required property "name" is missing`},
		{"level", mutate(func(m map[string]any) { result(m)["level"] = "fatal" }), "$.runs[0].results[0].level: fatal is not one of"},
		{"message", mutate(func(m map[string]any) { result(m)["message"] = map[string]any{"markdown": "x"} }), "$.runs[0].results[0].message: matches 0 of the anyOf alternatives"},
		{"rule id", mutate(func(m map[string]any) { result(m)["ruleId"] = "nope" }), `$.runs[0].results[0].ruleId: "nope" is not among tool.driver.rules`},
		{"logical locations", mutate(func(m map[string]any) { result(m)["locations"] = []any{map[string]any{}} }), "$.runs[0].results[0].locations[0].logicalLocations: missing"},
		{"rule index", mutate(func(m map[string]any) { result(m)["ruleIndex"] = -2 }), "less than the minimum -1"},
		{"uri", mutate(func(m map[string]any) {
			run(m)["tool"].(map[string]any)["driver"].(map[string]any)["informationUri"] = "docs/policy.md"
		}), "is not a valid uri"},
		{"time", mutate(func(m map[string]any) { run(m)["invocations"].([]any)[0].(map[string]any)["endTimeUtc"] = "yesterday" }), "is not a valid date-time"},
		{"json", []byte("{"), "not JSON"},
	}
	for _, tt := range tests {
		err := ValidateSARIF(tt.data)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestSchedulerAuditsOnSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &memFindings{}
		var mu sync.Mutex
		reports := 0
		s := &Scheduler{Auditor: &Auditor{Store: store}, Interval: time.Hour,
			Targets:  func(ctx context.Context) ([]OrgTarget, error) { return []OrgTarget{{Name: "acme"}}, nil },
			OnReport: func(ctx context.Context, r *Report) { mu.Lock(); reports++; mu.Unlock() }}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		synctest.Wait()
		time.Sleep(3*time.Hour + time.Minute)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		runs, _ := store.Audits(t.Context(), 0)
		if len(runs) != 4 || reports != 4 {
			t.Errorf("%d runs, %d reports in 3 hours at one an hour (plus one at start)", len(runs), reports)
		}
	})
}

func TestReadDropsPermissionsTheOrgLacks(t *testing.T) {
	_, sess, _ := demo(t)
	saved := permissionNames
	permissionNames = append(append([]string(nil), saved...), "ZzNotInThisEdition")
	t.Cleanup(func() { permissionNames = saved })
	st, err := Read(t.Context(), sess, "acme", []string{"gis.legacy@acme.demo"}, ReadOptions{Profiles: []string{minProfile}})
	if err != nil {
		t.Fatal(err)
	}
	u := st.Users["gis.legacy@acme.demo"]
	if strings.Join(st.Unreadable, ",") != "ZzNotInThisEdition" || st.Requests != 2 || !u.Found || len(u.PermissionGrants()["ModifyAllData"]) != 1 {
		t.Errorf("unreadable %v, %d requests, user %+v", st.Unreadable, st.Requests, u)
	}
}
