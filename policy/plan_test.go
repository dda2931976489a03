package policy

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

// requests lists a plan's changes as REST calls.
func requests(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c.Request())
	}
	return out
}

func TestPlanFix(t *testing.T) {
	tests := []struct {
		name     string
		subj     *Subject
		user     *UserState
		org      func(o *OrgState)
		want     []string // REST calls, in order
		problems string
		notes    string
		manual   []string // rules left for a person, checked instead of "nothing above low"
	}{
		{
			name: "cloned admin: move to the minimal profile",
			subj: subject(warden.CredentialPassword, need("Account", "Read", "Edit")),
			user: user("Salesforce", src(KindProfile, "Cloned Admin", []string{"ApiEnabled", "ModifyAllData", "ViewAllData", "ManageUsers"}, nil),
				src(KindSet, "GIS", nil, map[string][]string{"Account": {"Read", "Edit"}})),
			want:  []string{`PATCH sobjects/User/005USER {"ProfileId":"00eMinimum Access - API Only Integrations"}`},
			notes: "profile Cloned Admin may restrict login IP ranges and hours",
		},
		{
			name: "cloned admin without object access: dedicated set on the integration licence",
			subj: subject(warden.CredentialJWT, need("Account", "Read")),
			user: user("Salesforce", src(KindProfile, "Cloned Admin", []string{"ApiEnabled", "ModifyAllData"}, map[string][]string{"Account": {"Read", "Edit", "Delete"}})),
			want: []string{
				`POST sobjects/PermissionSetLicenseAssign {"AssigneeId":"005USER","PermissionSetLicenseId":"0PLAPI"}`,
				`POST sobjects/PermissionSet {"Description":"Access of integration user int@acme.example, managed by Warden.","Label":"Warden: int@acme.example","LicenseId":"0PLAPI","Name":"Warden_int"}`,
				`POST sobjects/ObjectPermissions {"ParentId":"@{dedicated.id}","PermissionsCreate":false,"PermissionsDelete":false,"PermissionsEdit":false,"PermissionsModifyAllRecords":false,"PermissionsRead":true,"PermissionsViewAllRecords":false,"SobjectType":"Account"}`,
				`POST sobjects/PermissionSetAssignment {"AssigneeId":"005USER","PermissionSetId":"@{dedicated.id}"}`,
				`PATCH sobjects/User/005USER {"ProfileId":"00eMinimum Access - API Only Integrations"}`,
			},
		},
		{
			name: "exclusive set: remove the permission, narrow and delete object permissions",
			subj: subject(warden.CredentialJWT, need("Account", "Read")),
			user: user("Salesforce Integration", minimal(), src(KindSet, "Int_API", []string{"ApiEnabled", "ViewAllData", "ScheduleReports"},
				map[string][]string{"Account": {"Read", "Edit"}, "Contact": {"Read"}})),
			org: func(o *OrgState) { o.SetUsers["0PSInt_API"] = []string{"INT@acme.example"} },
			want: []string{
				`PATCH sobjects/PermissionSet/0PSInt_API {"PermissionsScheduleReports":false,"PermissionsViewAllData":false}`,
				`PATCH sobjects/ObjectPermissions/110AccountInt_API {"PermissionsCreate":false,"PermissionsDelete":false,"PermissionsEdit":false,"PermissionsModifyAllRecords":false,"PermissionsRead":true,"PermissionsViewAllRecords":false}`,
				`DELETE sobjects/ObjectPermissions/110ContactInt_API`,
			},
		},
		{
			name: "shared set: unassign it, move what the user needs into its own set",
			subj: subject(warden.CredentialJWT, need("Account", "Read")),
			user: user("Salesforce Integration", minimal(), src(KindSet, "Shared", []string{"ApiEnabled", "ModifyAllData"}, map[string][]string{"Account": {"Read"}})),
			org:  func(o *OrgState) { o.SetUsers["0PSShared"] = []string{"int@acme.example", "other@acme.example"} },
			want: []string{
				`POST sobjects/PermissionSetLicenseAssign {"AssigneeId":"005USER","PermissionSetLicenseId":"0PLAPI"}`,
				`POST sobjects/PermissionSet {"Description":"Access of integration user int@acme.example, managed by Warden.","Label":"Warden: int@acme.example","LicenseId":"0PLAPI","Name":"Warden_int"}`,
				`POST sobjects/ObjectPermissions {"ParentId":"@{dedicated.id}","PermissionsCreate":false,"PermissionsDelete":false,"PermissionsEdit":false,"PermissionsModifyAllRecords":false,"PermissionsRead":true,"PermissionsViewAllRecords":false,"SobjectType":"Account"}`,
				`POST sobjects/PermissionSetAssignment {"AssigneeId":"005USER","PermissionSetId":"@{dedicated.id}"}`,
				`DELETE sobjects/PermissionSetAssignment/0PaShared`,
			},
		},
		{
			name: "unknown sharing counts as shared; groups are unassigned",
			subj: subject(warden.CredentialJWT),
			user: user("Salesforce Integration", minimal(), src(KindGroup, "Ops", []string{"DataExport"}, nil), src(KindSet, "Unknown", []string{"AuthorApex"}, nil)),
			want: []string{`DELETE sobjects/PermissionSetAssignment/0PaOps`, `DELETE sobjects/PermissionSetAssignment/0PaUnknown`},
		},
		{
			name: "API Enabled missing on a Salesforce licence: a set without a licence",
			subj: subject(warden.CredentialJWT),
			user: user("Salesforce", src(KindProfile, "Reporting", []string{"ApiUserOnly"}, nil)),
			want: []string{
				`POST sobjects/PermissionSet {"Description":"Access of integration user int@acme.example, managed by Warden.","Label":"Warden: int@acme.example","Name":"Warden_int","PermissionsApiEnabled":true}`,
				`POST sobjects/PermissionSetAssignment {"AssigneeId":"005USER","PermissionSetId":"@{dedicated.id}"}`,
			},
		},
		{
			name: "an existing dedicated set is extended",
			subj: subject(warden.CredentialJWT, need("Account", "Read", "Edit"), need("Case", "Read")),
			user: func() *UserState {
				u := user("Salesforce Integration", minimal(), src(KindSet, "Warden_int", nil, map[string][]string{"Account": {"Read"}}))
				u.PSLs["0PLAPI"] = "Salesforce API Integration"
				return u
			}(),
			want: []string{
				`PATCH sobjects/ObjectPermissions/110AccountWarden_int {"PermissionsCreate":false,"PermissionsDelete":false,"PermissionsEdit":true,"PermissionsModifyAllRecords":false,"PermissionsRead":true,"PermissionsViewAllRecords":false}`,
				`POST sobjects/ObjectPermissions {"ParentId":"0PSWarden_int","PermissionsCreate":false,"PermissionsDelete":false,"PermissionsEdit":false,"PermissionsModifyAllRecords":false,"PermissionsRead":true,"PermissionsViewAllRecords":false,"SobjectType":"Case"}`,
			},
		},
		{
			name:     "the preferred profile is missing",
			subj:     subject(warden.CredentialJWT),
			user:     user("Salesforce", src(KindProfile, "System Administrator", []string{"ApiEnabled", "ApiUserOnly", "ModifyAllData"}, nil)),
			org:      func(o *OrgState) { o.Profiles = map[string]*Source{} },
			want:     nil,
			problems: `the preferred profile "Minimum Access - API Only Integrations" does not exist in org acme`,
		},
		{
			name: "the preferred profile grants forbidden access",
			subj: subject(warden.CredentialJWT),
			user: user("Salesforce", src(KindProfile, "System Administrator", []string{"ApiEnabled", "ApiUserOnly", "ModifyAllData"}, nil)),
			org: func(o *OrgState) {
				o.Profiles[strings.ToLower(minProfile)] = src(KindProfile, minProfile, []string{"ApiEnabled", "ViewAllData"}, nil)
			},
			problems: "itself grants ViewAllData",
		},
		{
			name:   "an unlisted permission or excess object access on a profile is left to a person",
			subj:   subject(warden.CredentialJWT, need("Account", "Read")),
			user:   user("Salesforce", src(KindProfile, "Custom Integration", []string{"ApiEnabled", "ApiUserOnly", "ScheduleReports"}, map[string][]string{"Account": {"Read", "Edit"}})),
			want:   nil,
			manual: []string{"object.excess", "permission.unlisted"},
		},
		{
			name: "nothing to do",
			subj: subject(warden.CredentialJWT, need("Account", "Read")),
			user: user("Salesforce Integration", minimal(), src(KindSet, "Int_API", nil, map[string][]string{"Account": {"Read"}})),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := orgState()
			if tt.org != nil {
				tt.org(o)
			}
			p := Baseline().For("acme", "int@acme.example")
			ev := Evaluate(p, tt.subj, tt.user, o, now)
			pl := PlanFix(p, tt.subj, tt.user, o, ev, now)
			if g := requests(pl); strings.Join(g, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(tt.want, "\n"))
			}
			if !strings.Contains(strings.Join(pl.Problems, "\n"), tt.problems) || (tt.problems == "") != (len(pl.Problems) == 0) {
				t.Errorf("problems %q, want %q", pl.Problems, tt.problems)
			}
			if !strings.Contains(strings.Join(pl.Notes, "\n"), tt.notes) {
				t.Errorf("notes %q, want %q", pl.Notes, tt.notes)
			}
			// What the plan leaves is what a manual step must fix: only
			// notes, the low preference for the profile, or problems.
			for _, rule := range tt.manual {
				found := false
				for _, f := range pl.Remaining {
					found = found || (f.Rule == rule && strings.Contains(f.Fix, "profile Custom Integration"))
				}
				if !found {
					t.Errorf("no manual fix for %s among %+v", rule, pl.Remaining)
				}
			}
			if len(pl.Problems) == 0 && tt.manual == nil {
				for _, f := range pl.Remaining {
					if f.Severity.Rank() > warden.SeverityLow.Rank() {
						t.Errorf("the plan leaves %s %s", f.Rule, f.Evidence)
					}
				}
			}
		})
	}
}
