package policy

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/internal/strictyaml"
)

func TestDecodedTypesAreSupported(t *testing.T) {
	for _, v := range []any{fileDoc{}, Spec{}} {
		if err := strictyaml.Check(reflect.TypeOf(v)); err != nil {
			t.Error(err)
		}
	}
}

// TestBaselineHasSeverityAndRationale checks that every rule of the
// built-in baseline says how severe it is and why it exists.
func TestBaselineHasSeverityAndRationale(t *testing.T) {
	b := Baseline().base
	check := func(name string, sev Level, rat string) {
		t.Helper()
		if sev == "" || sev == Off {
			t.Errorf("%s: no severity", name)
		}
		if len(strings.TrimSpace(rat)) < 20 {
			t.Errorf("%s: no rationale", name)
		}
	}
	for n, r := range b.Permissions.Required {
		check("permissions.required."+n, r.Severity, r.Rationale)
	}
	for n, r := range b.Permissions.Forbidden {
		check("permissions.forbidden."+n, r.Severity, r.Rationale)
	}
	check("permissions.unlisted", b.Permissions.Unlisted.Severity, b.Permissions.Unlisted.Rationale)
	for name, r := range map[string]*Rule{"objects.excess": b.Objects.Excess, "objects.missing": b.Objects.Missing, "objects.undeclared": b.Objects.Undeclared,
		"loginIpRanges.required": b.LoginIPRanges.Required, "loginIpRanges.outside": b.LoginIPRanges.Outside,
		"loginHours.required": b.LoginHours.Required, "loginHours.outside": b.LoginHours.Outside} {
		check(name, r.Severity, r.Rationale)
	}
	check("licence.allowed", b.Licence.Allowed.Severity, b.Licence.Allowed.Rationale)
	check("licence.preferred", b.Licence.Preferred.Severity, b.Licence.Preferred.Rationale)
	check("profile.forbidden", b.Profile.Forbidden.Severity, b.Profile.Forbidden.Rationale)
	check("profile.preferred", b.Profile.Preferred.Severity, b.Profile.Preferred.Rationale)
	check("passwordNeverExpires", b.PasswordNeverExpires.Severity, b.PasswordNeverExpires.Rationale)
	check("mfaWaiver", b.MFAWaiver.Severity, b.MFAWaiver.Rationale)
	check("connectedApps", b.ConnectedApps.Severity, b.ConnectedApps.Rationale)
	for k, r := range b.Credentials.Forbidden {
		check("credentials.forbidden."+k, r.Severity, r.Rationale)
	}
	// The guidance, encoded.
	e := Baseline().For("acme", "x@acme.example")
	for _, p := range []string{"ApiEnabled", "ApiUserOnly"} {
		if _, ok := e.RequiredRule(p); !ok {
			t.Errorf("%s is not required", p)
		}
	}
	for _, p := range []string{"ModifyAllData", "ViewAllData", "ManageUsers", "AssignPermissionSets", "BulkApiHardDelete", "ManageProfilesPermissionsets",
		"ManageRoles", "ManageIpAddresses", "ManageTwoFactor", "ResetPasswords", "ViewEncryptedData", "DataExport", "DeployChangeSets",
		"LightningExperienceUser", "CustomizeApplication", "ViewSetup"} {
		if _, ok := e.ForbiddenRule(p); !ok {
			t.Errorf("%s is not forbidden", p)
		}
	}
	for _, p := range []string{"RunReports", "EditTask", "TransferAnyEntity"} {
		if e.classOf(p) != classAllowed {
			t.Errorf("%s is not allowed", p)
		}
	}
	if e.ProfilePreferred.Name != "Minimum Access - API Only Integrations" || e.LicencePreferred.Name != "Salesforce Integration" ||
		!containsFold(e.ProfileForbidden.Names, "System Administrator") || e.MFAWaiverAllowed || e.MaxAppUsers != 1 ||
		e.RotationEvery != 90*24*time.Hour || e.CredentialForbidden[warden.CredentialPassword].From == nil {
		t.Errorf("baseline: %+v", e)
	}
}

func TestLayersOverrideTheBaseline(t *testing.T) {
	s, err := Load("testdata/acme-policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	org := s.For("acme", "marketing.sync@acme.demo")
	if org.classOf("ExportReport") != classAllowed || org.forbidden["LightningExperienceUser"].Severity != "medium" ||
		org.forbidden["LightningExperienceUser"].Rationale == "" {
		t.Errorf("global layer: %+v", org.forbidden["LightningExperienceUser"])
	}
	if len(org.IPAllowed) != 2 || org.IPRequired.Severity != "medium" || org.IPRequired.Rationale == "" || org.LoginHistory != 14*24*time.Hour {
		t.Errorf("org layer: %+v %+v", org.IPAllowed, org.IPRequired)
	}
	if org.HoursZone.String() != "Europe/Paris" || org.Hours[time.Monday] != (Span{360, 1320}) || len(org.Hours) != 5 {
		t.Errorf("hours: %v %v", org.HoursZone, org.Hours)
	}
	other := s.For("globex", "erp.sync@globex.demo")
	if len(other.IPAllowed) != 0 || other.IPRequired.Severity != "info" {
		t.Errorf("org layer leaked to another org: %+v", other.IPAllowed)
	}
	rep := s.For("acme", "reporting.api@acme.demo")
	if rep.classOf("ViewSetup") != classAllowed || rep.ObjectAllow["opportunity"].Access != AccessRead {
		t.Errorf("user layer (org/username): %v %+v", rep.classOf("ViewSetup"), rep.ObjectAllow)
	}
	if org.classOf("ViewSetup") != classForbidden {
		t.Errorf("user layer leaked to another user")
	}
	gis := s.For("acme", "GIS.Legacy@acme.demo")
	pw := gis.CredentialForbidden[warden.CredentialPassword]
	if !gis.MFAWaiverAllowed || pw.From.Format("2006-01-02") != "2027-01-01" || pw.Severity != "high" || !strings.HasPrefix(pw.Rationale, "GIS moves") {
		t.Errorf("user layer (username, any case): %v %+v", gis.MFAWaiverAllowed, pw)
	}
	none, err := Parse([]byte("baseline: none\npermissions:\n  forbidden:\n    ModifyAllData: {severity: high}\n"), "none.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := none.For("acme", "x")
	if len(e.Required()) != 0 || len(e.Forbidden()) != 1 || e.Unlisted.On() {
		t.Errorf("baseline: none kept the baseline: %v %v", e.Required(), e.Forbidden())
	}
	off, _ := Parse([]byte("permissions:\n  unlisted: {severity: off}\n  required:\n    ApiUserOnly: {severity: off}\n"), "off.yaml")
	if e := off.For("a", "b"); e.Unlisted.On() || e.required["ApiUserOnly"].On() || e.required["ApiUserOnly"].Rationale == "" {
		t.Errorf("severity off: %+v %+v", e.Unlisted, e.required["ApiUserOnly"])
	}
}

func TestParseReportsEveryProblemWithItsLine(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"unknown key", "permisions:\n  allowed: [RunReports]\n", []string{`bad.yaml:1: unknown key "permisions"`, `did you mean "permissions"`}},
		{"typo in permission", "permissions:\n  forbidden:\n    ModifyAlData: {severity: high}\n",
			[]string{`bad.yaml:3: permissions.forbidden.ModifyAlData: unknown system permission "ModifyAlData" (did you mean "ModifyAllData"?)`}},
		{"prefixed permission", "permissions:\n  allowed: [PermissionsRunReports]\n",
			[]string{`bad.yaml:2: permissions.allowed[0]: unknown system permission "PermissionsRunReports" (write it without the "Permissions" prefix: "RunReports")`}},
		{"two classes", "permissions:\n  allowed: [ViewSetup]\n  forbidden:\n    ViewSetup: {severity: low}\n", []string{"is both forbidden and allowed"}},
		{"severity", "permissions:\n  unlisted:\n    severity: hgh\n", []string{`bad.yaml:3: permissions.unlisted.severity: "hgh" is not a severity`, `did you mean "high"?`}},
		{"ip range", "loginIpRanges:\n  allowed: [10.0.0.300/8, 10.0.0.9-10.0.0.1]\n",
			[]string{`bad.yaml:2: loginIpRanges.allowed[0]: "10.0.0.300/8" is not an IP address`, `loginIpRanges.allowed[1]: "10.0.0.9-10.0.0.1" is not an address range`}},
		{"hours", "loginHours:\n  timeZone: Mars/Olympus\n  allowed:\n    funday: \"06:00-20:00\"\n    monday: \"20:00-06:00\"\n",
			[]string{`bad.yaml:2: loginHours.timeZone: "Mars/Olympus" is not a time zone`, `bad.yaml:4: loginHours.allowed.funday: "funday" is not a weekday`,
				`bad.yaml:5: loginHours.allowed.monday: "20:00-06:00" is not a login window`}},
		{"credential kind", "credentials:\n  forbidden:\n    pasword: {severity: high}\n", []string{`bad.yaml:3: credentials.forbidden.pasword: "pasword" is not a credential kind`}},
		{"credential date", "credentials:\n  forbidden:\n    password: {from: soon}\n", []string{`bad.yaml:3: credentials.forbidden.password.from`}},
		{"rotation", "passwordNeverExpires:\n  rotationEvery: 3 months\n", []string{`bad.yaml:2: passwordNeverExpires.rotationEvery: "3 months" is not a duration`}},
		{"max users", "connectedApps:\n  maxUsers: 0\n", []string{`bad.yaml:2: connectedApps.maxUsers: 0 must be at least 1`}},
		{"object access", "objects:\n  allow:\n    Account: [Read, Wrte]\n", []string{`bad.yaml:3: objects.allow.Account[1]: "Wrte" is not an object permission`}},
		{"baseline", "baseline: strict\n", []string{`bad.yaml:1: baseline: "strict" is not builtin or none`}},
		{"user layer", "users:\n  x@y.z:\n    mfaWaiver: {allowed: maybe}\n", []string{`bad.yaml:3: users.x@y.z.mfaWaiver.allowed: "maybe" is not a boolean`}},
		{"empty", "", []string{"empty policy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), "bad.yaml")
			if err == nil {
				t.Fatal("no error")
			}
			if warden.ErrorKind(err) != warden.EINVALID {
				t.Errorf("kind %s", warden.ErrorKind(err))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
	if _, err := Load("testdata/missing.yaml"); warden.ErrorKind(err) != warden.ENOTFOUND {
		t.Errorf("missing file: %v", err)
	}
}

func TestIPRangesAndSpans(t *testing.T) {
	for _, tt := range []struct {
		r      string
		in     []string
		out    []string
		errors bool
	}{
		{r: "198.51.100.0/24", in: []string{"198.51.100.0", "198.51.100.255"}, out: []string{"198.51.101.0", "2001:db8::1"}},
		{r: "10.0.0.1-10.0.0.9", in: []string{"10.0.0.1", "10.0.0.9", "::ffff:10.0.0.5"}, out: []string{"10.0.0.10"}},
		{r: "203.0.113.7", in: []string{"203.0.113.7"}, out: []string{"203.0.113.8"}},
		{r: "2001:db8::/32", in: []string{"2001:db8:ffff::1"}, out: []string{"2001:db9::1", "10.0.0.1"}},
		{r: "nonsense", errors: true},
		{r: "10.0.0.9-10.0.0.1", errors: true},
	} {
		r, err := ParseIPRange(tt.r)
		if (err != nil) != tt.errors {
			t.Errorf("%s: %v", tt.r, err)
			continue
		}
		for _, a := range tt.in {
			if ip, _ := parseIP(a); !r.Contains(ip) {
				t.Errorf("%s should contain %s", tt.r, a)
			}
		}
		for _, a := range tt.out {
			if ip, _ := parseIP(a); r.Contains(ip) {
				t.Errorf("%s should not contain %s", tt.r, a)
			}
		}
	}
	if s, err := ParseSpan("06:30-24:00"); err != nil || s != (Span{390, 1440}) || s.String() != "06:30-24:00" {
		t.Errorf("span: %v %v", s, err)
	}
	for _, bad := range []string{"6-20", "20:00-06:00", "06:00-25:00", "06:60-07:00"} {
		if _, err := ParseSpan(bad); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "36h": 36 * time.Hour} {
		if d, err := parseDays(in); err != nil || d != want {
			t.Errorf("%s: %v %v", in, d, err)
		}
	}
}

func TestAccess(t *testing.T) {
	if a := AccessOf([]string{"Edit"}); a != AccessRead|AccessEdit || a.String() != "Read, Edit" {
		t.Errorf("Edit closes to %v", a)
	}
	if a := AccessOf([]string{"ModifyAll"}); a.String() != "Read, Edit, Delete, ViewAll, ModifyAll" {
		t.Errorf("ModifyAll closes to %v", a)
	}
	if a := AccessOf([]string{"delete", "PermissionsCreate", "bogus"}); a.String() != "Read, Create, Edit, Delete" {
		t.Errorf("%v", a)
	}
	if Access(0).String() != "none" || !AccessOf([]string{"Edit"}).Has(AccessRead) {
		t.Error("none / Has")
	}
	if DedicatedSetName("gis.legacy+test@acme.demo") != "Warden_gis_legacy_test" || DedicatedSetName("..@x") != "Warden" {
		t.Errorf("%s %s", DedicatedSetName("gis.legacy+test@acme.demo"), DedicatedSetName("..@x"))
	}
	if PermissionLabel("ModifyAllData") != "Modify All Data" || PermissionLabel("Nope") != "Nope" || len(KnownPermissions()) < 70 {
		t.Error("catalogue")
	}
}

// TestDocsListEveryBaselineRule keeps docs/policy.md in step with the
// baseline: every rule with its severity.
func TestDocsListEveryBaselineRule(t *testing.T) {
	data, err := os.ReadFile("../docs/policy.md")
	if err != nil {
		t.Skip("docs/policy.md not found")
	}
	doc := string(data)
	e := Baseline().For("acme", "x")
	row := func(id string, sev Level) {
		t.Helper()
		if !strings.Contains(doc, "| `"+id+"` | "+string(sev)+" |") {
			t.Errorf("docs/policy.md lacks the row of %s (%s)", id, sev)
		}
	}
	for _, p := range e.Required() {
		row(prefixRequired+p, e.required[p].Severity)
	}
	for _, p := range e.Forbidden() {
		row(prefixForbidden+p, e.forbidden[p].Severity)
	}
	row(RuleUnlisted, e.Unlisted.Severity)
	row(RuleObjectExcess, e.ObjectExcess.Severity)
	row(RuleObjectMissing, e.ObjectMissing.Severity)
	row(RuleObjectUndeclared, e.ObjectUndeclared.Severity)
	row(RuleLicenceAllowed, e.LicenceAllowed.Severity)
	row(RuleLicencePreferred, e.LicencePreferred.Severity)
	row(RuleProfileForbidden, e.ProfileForbidden.Severity)
	row(RuleProfilePreferred, e.ProfilePreferred.Severity)
	row(RuleIPRequired, e.IPRequired.Severity)
	row(RuleIPOutside, e.IPOutside.Severity)
	row(RuleHoursRequired, e.HoursRequired.Severity)
	row(RuleHoursOutside, e.HoursOutside.Severity)
	row(RulePasswordNever, e.PasswordNever.Severity)
	row(RuleMFAWaiver, e.MFAWaiver.Severity)
	row(RuleAppUsers, e.AppUsers.Severity)
	row(prefixCredentialForbid+"password", e.CredentialForbidden[warden.CredentialPassword].Severity)
	for _, p := range e.Allowed() {
		if !strings.Contains(doc, p) {
			t.Errorf("docs/policy.md does not list allowed permission %s", p)
		}
	}
}
