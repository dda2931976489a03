package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
	"github.com/wardenhq/warden/policy"
)

// policyDemo starts the emulator with the demo seed and writes the demo
// configuration for it.
func policyDemo(t *testing.T) (*emulatortest.Emulator, string) {
	t.Helper()
	seed, key, err := emulator.Demo(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	emu := emulatortest.Start(t, seed)
	dir := t.TempDir()
	path := filepath.Join(dir, "warden.yaml")
	if err := writeDemoConfig(t.Context(), dir, path, emu.URL, "127.0.0.1:0", time.Second, key); err != nil {
		t.Fatal(err)
	}
	syncInventory(t, path)
	return emu, path
}

// auditJSON runs "warden audit --format json" with extra arguments.
func auditJSON(t *testing.T, cfg string, args ...string) (int, *policy.Report) {
	t.Helper()
	code, out, errOut := run(t, append([]string{"audit", "--config", cfg, "--format", "json"}, args...)...)
	var rep policy.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("audit --format json: exit %d: %v\n%s\n%s", code, err, out, errOut)
	}
	return code, &rep
}

func userReport(t *testing.T, rep *policy.Report, username string) *policy.UserReport {
	t.Helper()
	for _, o := range rep.Orgs {
		for _, u := range o.Users {
			if u.Username == username {
				return u
			}
		}
	}
	t.Fatalf("no %s in the report", username)
	return nil
}

func findingOf(u *policy.UserReport, rule string) *warden.Finding {
	for _, f := range u.Findings {
		if f.Rule == rule {
			return f
		}
	}
	return nil
}

// above returns the findings above info, except the reminder that password
// credentials are forbidden from a date (high once the date has passed).
func above(u *policy.UserReport, allow ...string) []string {
	var out []string
	for _, f := range u.Findings {
		if f.Severity == warden.SeverityInfo || strings.HasPrefix(f.Rule, "credential.forbidden.") {
			continue
		}
		out = append(out, string(f.Severity)+" "+f.Rule+": "+f.Evidence)
	}
	return out
}

func TestAuditDemoFlagsClonedAdminAndPassesLeastPrivileged(t *testing.T) {
	emu, cfg := policyDemo(t)
	before := emu.Usage(t, "Acme Corp").APIRequests

	code, out, errOut := run(t, "audit", "--config", cfg, "--user", "gis.legacy@acme.demo")
	if code != 1 || !strings.Contains(errOut, "at or above high") {
		t.Fatalf("audit of the cloned admin: exit %d, stderr %s", code, errOut)
	}
	for _, want := range []string{"permission.forbidden.ModifyAllData", "permission.forbidden.ViewAllData", "permission.forbidden.ManageUsers",
		"Modify All Data is granted via profile Legacy Integration (cloned admin)", "source:   profile Legacy Integration (cloned admin)",
		"fix:      warden fix: move gis.legacy@acme.demo from profile Legacy Integration (cloned admin) to profile Minimum Access - API Only Integrations"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit table lacks %q:\n%s", want, out)
		}
	}
	// One composite request reads the org (plus the login to get a token,
	// which is not an API request).
	if n := emu.Usage(t, "Acme Corp").APIRequests - before; n != 1 {
		t.Errorf("the audit of one user made %d API requests, want 1", n)
	}

	code, rep := auditJSON(t, cfg, "--org", "acme")
	if code != 1 {
		t.Errorf("audit of acme: exit %d, want 1 (the cloned admin has critical findings)", code)
	}
	gis := userReport(t, rep, "gis.legacy@acme.demo")
	for _, rule := range []string{"permission.forbidden.ModifyAllData", "permission.forbidden.ViewAllData", "permission.forbidden.ManageUsers"} {
		f := findingOf(gis, rule)
		if f == nil || f.Source != "profile Legacy Integration (cloned admin)" || f.Fix == "" || f.Severity.Rank() < warden.SeverityHigh.Rank() {
			t.Errorf("%s: %+v", rule, f)
		}
	}
	if gis.Score > 54 || gis.Grade != "Very Poor" {
		t.Errorf("cloned admin score %d %s, want Very Poor", gis.Score, gis.Grade)
	}
	inv := userReport(t, rep, "invoice.sync@acme.demo")
	for _, f := range inv.Findings {
		if f.Severity.Rank() >= warden.SeverityHigh.Rank() {
			t.Errorf("least-privileged user has a %s finding: %s %s", f.Severity, f.Rule, f.Evidence)
		}
	}
	if inv.Score != 100 || inv.Grade != "Excellent" {
		t.Errorf("least-privileged user scored %d %s", inv.Score, inv.Grade)
	}
	if f := findingOf(inv, "loginIpRanges.required"); f == nil || f.Severity != warden.SeverityInfo || !strings.Contains(f.Evidence, "not checkable via REST") {
		t.Errorf("login IP ranges: want an info finding saying it is not checkable via REST, got %+v", f)
	}
	if code, _, errOut := run(t, "audit", "--config", cfg, "--user", "invoice.sync@acme.demo"); code != 0 {
		t.Errorf("audit of the least-privileged user: exit %d %s", code, errOut)
	}
	if code, _, _ := run(t, "audit", "--config", cfg, "--user", "gis.legacy@acme.demo", "--fail-on", "none"); code != 0 {
		t.Errorf("--fail-on none: exit %d", code)
	}
}

func TestAuditReportsDriftWithWhoChangedIt(t *testing.T) {
	emu, cfg := policyDemo(t)
	if code, _, errOut := run(t, "audit", "--config", cfg, "--user", "invoice.sync@acme.demo"); code != 0 {
		t.Fatalf("first audit: %d %s", code, errOut)
	}
	emu.Control(t, "PATCH", "orgs/Acme Corp/permissionsets/Invoice_Sync_API", map[string]any{
		"permissions": map[string]bool{"ModifyAllData": true}, "objects": map[string][]string{"Contact": {"Read"}}}, nil)

	code, rep := auditJSON(t, cfg, "--user", "invoice.sync@acme.demo")
	if code != 1 {
		t.Errorf("audit after the change: exit %d, want 1", code)
	}
	u := userReport(t, rep, "invoice.sync@acme.demo")
	d := u.Drift
	if d == nil {
		t.Fatal("no drift reported")
	}
	var newRules []string
	for _, f := range d.New {
		newRules = append(newRules, f.Rule)
	}
	if !hasString(newRules, "permission.forbidden.ModifyAllData") || !hasString(newRules, "object.excess") {
		t.Errorf("new findings %v", newRules)
	}
	if !hasString(d.Gained, "ModifyAllData via permission set Invoice_Sync_API") || !hasString(d.Gained, "Contact Read via permission set Invoice_Sync_API") {
		t.Errorf("gained %v", d.Gained)
	}
	var who []string
	for _, c := range d.Changes {
		who = append(who, c.By+" "+c.Action+" "+c.Display)
	}
	if len(who) == 0 || !strings.Contains(strings.Join(who, "\n"), "admin@acme.demo PermSetEnableUserPerm Permission set Invoice Sync API: system permission ModifyAllData was enabled") {
		t.Errorf("audit trail attribution: %q", who)
	}
	if d.PreviousScore != 100 || u.Score >= 55 {
		t.Errorf("score %d -> %d", d.PreviousScore, u.Score)
	}
	// The table says it too.
	_, out, _ := run(t, "audit", "--config", cfg, "--user", "invoice.sync@acme.demo")
	if !strings.Contains(out, "drift: none since") {
		t.Errorf("third audit should report no drift since the second:\n%s", out)
	}
}

func TestFixClearsClonedAdmin(t *testing.T) {
	emu, cfg := policyDemo(t)
	code, out, errOut := run(t, "fix", "--config", cfg, "--user", "gis.legacy@acme.demo", "--plan")
	if code != 0 || !strings.Contains(out, "1. move gis.legacy@acme.demo from profile Legacy Integration (cloned admin) to profile Minimum Access - API Only Integrations") ||
		!strings.Contains(out, `PATCH sobjects/User/`) {
		t.Fatalf("fix --plan: %d\n%s\n%s", code, out, errOut)
	}
	var info emulator.UserInfo
	emu.Control(t, "GET", "orgs/Acme Corp/users/gis.legacy@acme.demo", nil, &info)
	if info.Profile != "Legacy Integration (cloned admin)" {
		t.Fatalf("--plan changed the profile to %s", info.Profile)
	}
	code, out, errOut = run(t, "fix", "--config", cfg, "--user", "gis.legacy@acme.demo", "--apply")
	if code != 0 || !strings.Contains(out, "move gis.legacy@acme.demo from profile Legacy Integration (cloned admin)") || !strings.Contains(out, ": done") {
		t.Fatalf("fix --apply: %d\n%s\n%s", code, out, errOut)
	}
	emu.Control(t, "GET", "orgs/Acme Corp/users/gis.legacy@acme.demo", nil, &info)
	if info.Profile != "Minimum Access - API Only Integrations" {
		t.Errorf("profile after fix: %s", info.Profile)
	}
	code, rep := auditJSON(t, cfg, "--user", "gis.legacy@acme.demo")
	u := userReport(t, rep, "gis.legacy@acme.demo")
	if left := above(u); code != 0 || len(left) > 0 || u.Score != 100 {
		t.Errorf("re-audit after fix: exit %d, score %d, findings %v", code, u.Score, left)
	}
	if u.Drift == nil || !u.Drift.Empty() || len(u.Drift.Changes) > 0 {
		t.Errorf("the audit after fix --apply (recorded by fix) is the previous one: want no drift, got %+v", u.Drift)
	}
	// The fixed user still works.
	if code, out, _ := run(t, "check", "--config", cfg, "gis.legacy@acme.demo"); code != 0 || !strings.Contains(out, ": ok") {
		t.Errorf("check after fix: %d %s", code, out)
	}
}

func TestFixSharedAndExclusivePermissionSets(t *testing.T) {
	emu, cfg := policyDemo(t)
	// Invoice_Sync_API gains Modify All Data and becomes shared with
	// jwt.analytics: fix must not edit it for invoice.sync, but unassign it
	// and move what invoice.sync needs into a dedicated set.
	emu.Control(t, "PATCH", "orgs/Acme Corp/permissionsets/Invoice_Sync_API", map[string]any{"permissions": map[string]bool{"ModifyAllData": true}}, nil)
	emu.Control(t, "PUT", "orgs/Acme Corp/users/jwt.analytics@acme.demo/permissionsets/Invoice_Sync_API", nil, nil)
	code, out, errOut := run(t, "fix", "--config", cfg, "--user", "invoice.sync@acme.demo", "--apply")
	if code != 0 {
		t.Fatalf("fix --apply: %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"unassign permission set Invoice_Sync_API from invoice.sync@acme.demo (it is shared with jwt.analytics@acme.demo",
		"create permission set Warden_invoice_sync", "grant Read, Create, Edit on Invoice__c in permission set Warden_invoice_sync",
		"assign permission set Warden_invoice_sync to invoice.sync@acme.demo"} {
		if !strings.Contains(out, want) {
			t.Errorf("fix output lacks %q:\n%s", want, out)
		}
	}
	var info emulator.UserInfo
	emu.Control(t, "GET", "orgs/Acme Corp/users/invoice.sync@acme.demo", nil, &info)
	if strings.Join(info.PermissionSets, ",") != "Warden_invoice_sync" {
		t.Errorf("permission sets after fix: %v", info.PermissionSets)
	}
	_, rep := auditJSON(t, cfg, "--user", "invoice.sync@acme.demo")
	if left := above(userReport(t, rep, "invoice.sync@acme.demo")); len(left) > 0 {
		t.Errorf("findings after fix: %v", left)
	}
	if code, out, _ := run(t, "check", "--config", cfg, "invoice.sync@acme.demo"); code != 0 || !strings.Contains(out, ": ok") {
		t.Errorf("check after fix: %d %s", code, out)
	}

	// An exclusive set is edited in place: remove the permission only.
	emu.Control(t, "PATCH", "orgs/Acme Corp/permissionsets/Warden_invoice_sync", map[string]any{"permissions": map[string]bool{"ViewAllData": true}}, nil)
	code, out, _ = run(t, "fix", "--config", cfg, "--user", "invoice.sync@acme.demo", "--plan")
	if code != 0 || !strings.Contains(out, "remove View All Data from permission set Warden_invoice_sync") || !strings.Contains(out, `{"PermissionsViewAllData":false}`) {
		t.Errorf("plan for an exclusive set:\n%s", out)
	}
}

func TestAuditSARIFAndHTML(t *testing.T) {
	_, cfg := policyDemo(t)
	dir := t.TempDir()
	sarif := filepath.Join(dir, "audit.sarif")
	code, _, errOut := run(t, "audit", "--config", cfg, "--format", "sarif", "--output", sarif)
	if code != 1 {
		t.Fatalf("audit --format sarif: %d %s", code, errOut)
	}
	data, err := os.ReadFile(sarif)
	if err != nil {
		t.Fatal(err)
	}
	if err := policy.ValidateSARIF(data); err != nil {
		t.Fatalf("SARIF output does not validate: %v", err)
	}
	if !strings.Contains(string(data), `"ruleId": "permission.forbidden.ModifyAllData"`) {
		t.Errorf("SARIF lacks the Modify All Data result")
	}
	html := filepath.Join(dir, "audit.html")
	run(t, "audit", "--config", cfg, "--format", "html", "--output", html)
	page, _ := os.ReadFile(html)
	for _, want := range []string{"<!DOCTYPE html>", "gis.legacy@acme.demo", "Modify All Data is granted via profile Legacy Integration (cloned admin)", "Very Poor"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	if strings.Contains(string(page), "<script") || strings.Contains(string(page), "http://") && strings.Contains(string(page), "<link") {
		t.Errorf("HTML report is not self-contained")
	}
}

func TestAuditRejectsBadPolicy(t *testing.T) {
	_, cfg := policyDemo(t)
	bad := filepath.Join(t.TempDir(), "policy.yaml")
	os.WriteFile(bad, []byte("permissions:\n  forbidden:\n    ModifyAlData:\n      severity: critical\n  allowed: [RunReports]\nloginHours:\n  allowed:\n    monday: \"25:00-26:00\"\nprofile:\n  preferd: {name: X}\n"), 0o600)
	code, _, errOut := run(t, "audit", "--config", cfg, "--policy", bad)
	if code != 2 {
		t.Errorf("bad policy: exit %d, want 2", code)
	}
	for _, want := range []string{"policy.yaml:3: permissions.forbidden.ModifyAlData: unknown system permission \"ModifyAlData\" (did you mean \"ModifyAllData\"?)",
		"policy.yaml:8: loginHours.allowed.monday: \"25:00-26:00\" is not a login window", "policy.yaml:10: unknown key \"preferd\""} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestProvisionCreatesAWorkingCleanUser(t *testing.T) {
	emu, cfg := policyDemo(t)
	spec := filepath.Join(t.TempDir(), "integration.yaml")
	os.WriteFile(spec, []byte(`name: Billing Sync
org: acme
owner: billing
username: billing.sync@acme.demo
description: Pushes invoices from the billing system
objects:
  - {object: Account, access: [Read]}
  - {object: Invoice__c, access: [Read, Create, Edit]}
loginIpRanges: [198.51.100.0/24]
loginHours:
  monday: "06:00-20:00"
credential:
  kind: jwt
`), 0o600)
	code, out, errOut := run(t, "provision", "--config", cfg, "-f", spec, "--emulator")
	if code != 0 {
		t.Fatalf("provision plan: %d %s %s", code, out, errOut)
	}
	for _, want := range []string{"create user billing.sync@acme.demo on profile Minimum Access - API Only Integrations (user licence Salesforce Integration)",
		"assign the permission set licence Salesforce API Integration", "create permission set Warden_billing_sync",
		"grant Read on Account", "grant Read, Create, Edit on Invoice__c", "generate a 2048-bit RSA key pair", "install connected app \"Billing Sync\"",
		"register credential billing-sync-acme (jwt", "register integration user acme/billing.sync@acme.demo", "register dependent application \"Billing Sync\"",
		"Login IP Ranges 198.51.100.0/24", "Run again with --apply"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	var org emulator.OrgInfo
	emu.Control(t, "GET", "orgs/Acme Corp", nil, &org)
	for _, u := range org.Users {
		if u.Username == "billing.sync@acme.demo" {
			t.Fatal("the plan created the user")
		}
	}

	code, out, errOut = run(t, "provision", "--config", cfg, "-f", spec, "--emulator", "--apply")
	if code != 0 || strings.Contains(out, "FAILED") {
		t.Fatalf("provision --apply: %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "PRIVATE KEY") {
		t.Error("provision printed the private key")
	}
	// The inventory has the user, its credential and its dependent; the
	// private key is in the secret store.
	e := openTestInventory(t, cfg)
	iu, err := e.store.User(t.Context(), "acme", "billing.sync@acme.demo")
	if err != nil || iu.Owner != "billing" || iu.Credential != "billing-sync-acme" || !strings.HasPrefix(iu.UserID, "005") {
		t.Errorf("inventory user: %v %+v", err, iu)
	}
	c, err := e.store.Credential(t.Context(), "billing-sync-acme")
	if err != nil || c.Kind != warden.CredentialJWT || c.ClientID != "warden-billing-sync-acme" || c.Username != "billing.sync@acme.demo" {
		t.Errorf("credential: %v %+v", err, c)
	}
	if mat, err := e.material(t.Context(), c); err != nil || !strings.Contains(mat.PrivateKey, "RSA PRIVATE KEY") {
		t.Errorf("secret material: %v", err)
	}
	deps, _ := e.store.Dependents(t.Context(), warden.DependentFilter{Org: "acme", Username: "billing.sync@acme.demo"})
	if len(deps) != 1 || deps[0].Name != "Billing Sync" || len(deps[0].Objects) != 2 || deps[0].Owner != "billing" {
		t.Errorf("dependents: %+v", deps)
	}
	e.Close()
	// Idempotent: a second run plans nothing.
	code, out, _ = run(t, "provision", "--config", cfg, "-f", spec, "--emulator", "--apply")
	if code != 0 || !strings.Contains(out, "nothing to change") {
		t.Errorf("second provision --apply: %d\n%s", code, out)
	}
	// The first health check is ok.
	if code, out, errOut := run(t, "check", "--config", cfg, "billing.sync@acme.demo"); code != 0 || !strings.Contains(out, "acme billing.sync@acme.demo: ok") {
		t.Errorf("check of the provisioned user: %d\n%s\n%s", code, out, errOut)
	}
	// Its audit is clean.
	code, rep := auditJSON(t, cfg, "--user", "billing.sync@acme.demo")
	u := userReport(t, rep, "billing.sync@acme.demo")
	if left := above(u); code != 0 || len(left) > 0 || u.Score != 100 {
		t.Errorf("audit of the provisioned user: exit %d, score %d, %v", code, u.Score, left)
	}
	// It is in the inventory with its dependent, and its key is in the
	// secret store.
	code, out, _ = run(t, "status", "--config", cfg, "--json")
	if code != 0 || !strings.Contains(out, "billing.sync@acme.demo") {
		t.Errorf("status lacks the provisioned user: %s", out)
	}
}

func TestProvisionRefusesPasswordWithoutConsent(t *testing.T) {
	_, cfg := policyDemo(t)
	spec := filepath.Join(t.TempDir(), "integration.yaml")
	os.WriteFile(spec, []byte("name: Old ETL\norg: acme\nowner: data\nusername: old.etl@acme.demo\ncredential:\n  kind: password\n"), 0o600)
	code, _, errOut := run(t, "provision", "--config", cfg, "-f", spec)
	if code != 2 || !strings.Contains(errOut, "integration.yaml:6: credential.kind: password credentials are being retired") {
		t.Errorf("password spec: %d %s", code, errOut)
	}
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestPolicySchedulerForServe(t *testing.T) {
	_, path := policyDemo(t)
	e := openTestInventory(t, path)
	defer e.Close()
	rep, err := e.policyScheduler(policy.Baseline(), time.Hour).RunOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	runs, err := e.store.Audits(t.Context(), 1)
	if err != nil || len(runs) != 1 || runs[0].ID != rep.AuditID || len(rep.Orgs) != 2 || rep.Failed() {
		t.Errorf("scheduled audit: %v %+v", err, runs)
	}
}

func TestEmulatorConnectedAppControl(t *testing.T) {
	emu, _ := policyDemo(t)
	app := map[string]any{"name": "Test App", "consumerKey": "test-app-key", "permittedUsers": "admin_approved",
		"preAuthorizedPermissionSets": []string{"Invoice_Sync_API"}, "clientCredentialsUser": "invoice.sync@acme.demo", "consumerSecret": "s3cret"}
	if status, body := emu.ControlStatus(t, "POST", "orgs/Acme Corp/connected-apps", app); status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	app["name"] = "Test App Renamed"
	if status, body := emu.ControlStatus(t, "POST", "orgs/Acme Corp/connected-apps", app); status != 200 {
		t.Errorf("update: %d %s", status, body)
	}
	for _, bad := range []map[string]any{
		{"name": "X"},
		{"name": "X", "consumerKey": "k", "permittedUsers": "everyone"},
		{"name": "X", "consumerKey": "k", "preAuthorizedPermissionSets": []string{"Nope"}},
		{"name": "X", "consumerKey": "k", "clientCredentialsUser": "erp.sync@globex.demo"},
		{"name": "X", "consumerKey": "k", "certificate": "not PEM"},
		{"name": "X", "consumerKey": "k", "unknownKey": true},
	} {
		if status, body := emu.ControlStatus(t, "POST", "orgs/Acme Corp/connected-apps", bad); status != 400 {
			t.Errorf("%v: %d %s", bad, status, body)
		}
	}
	if status, _ := emu.ControlStatus(t, "POST", "orgs/Globex Corporation/connected-apps", map[string]any{"name": "Y", "consumerKey": "test-app-key"}); status != 409 {
		t.Errorf("a consumer key of another org: %d", status)
	}
	// Client credentials work against the new app.
	resp, err := emu.HTTP.PostForm(emu.URL+"/services/oauth2/token", map[string][]string{"grant_type": {"client_credentials"},
		"client_id": {"test-app-key"}, "client_secret": {"s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("client credentials with the new app: %s", resp.Status)
	}
}
