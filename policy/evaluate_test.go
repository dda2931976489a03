package policy

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// src builds a source; objects map object -> access names.
func src(kind, name string, perms []string, objects map[string][]string) *Source {
	s := &Source{Kind: kind, ID: "0PS" + name, Name: name, Label: name, Perms: map[string]bool{}, Objects: map[string]*ObjectGrant{}}
	if kind == KindProfile {
		s.ProfileID = "00e" + name
	} else {
		s.AssignmentID = "0Pa" + name
	}
	for _, p := range perms {
		s.Perms[p] = true
	}
	for o, acc := range objects {
		s.Objects[strings.ToLower(o)] = &ObjectGrant{ID: "110" + o + name, Object: o, Access: AccessOf(acc)}
	}
	return s
}

const minProfile = "Minimum Access - API Only Integrations"

func minimal() *Source {
	return src(KindProfile, minProfile, []string{"ApiEnabled", "ApiUserOnly", "PasswordNeverExpires"}, nil)
}

func user(licence string, sources ...*Source) *UserState {
	u := &UserState{Org: "acme", Username: "int@acme.example", UserID: "005USER", Found: true, Active: true, Licence: licence,
		Sources: sources, PSLs: map[string]string{}, LastPasswordChange: now.Add(-10 * 24 * time.Hour)}
	for _, s := range sources {
		if s.Kind == KindProfile {
			u.Profile, u.ProfileID = s.Name, s.ProfileID
		}
	}
	return u
}

func subject(kind warden.CredentialKind, needs ...warden.ObjectAccess) *Subject {
	s := &Subject{Org: "acme", Username: "int@acme.example", Credential: &warden.Credential{Name: "int", Kind: kind, ClientID: "int-app"}}
	if len(needs) > 0 {
		s.Dependents = []*warden.Dependent{{Name: "App", Org: "acme", Username: "int@acme.example", Objects: needs}}
	}
	return s
}

func need(object string, access ...string) warden.ObjectAccess {
	return warden.ObjectAccess{Object: object, Access: access}
}

func orgState() *OrgState {
	return &OrgState{Org: "acme", Users: map[string]*UserState{}, Profiles: map[string]*Source{strings.ToLower(minProfile): minimal()},
		ProfileLicences: map[string]string{strings.ToLower(minProfile): "Salesforce Integration"},
		PSLs:            []PSL{{ID: "0PLAPI", DeveloperName: "SalesforceAPIIntegrationPsl", Label: "Salesforce API Integration"}},
		AppUsers:        map[string]map[string]bool{}, SetUsers: map[string][]string{}}
}

// got lists "severity rule subject" of an evaluation's findings, sorted.
func got(ev *Evaluation) []string {
	var out []string
	for _, f := range ev.Findings {
		subject, _, _ := strings.Cut(f.Evidence, ": ")
		out = append(out, fmt.Sprintf("%s %s %s", f.Severity, f.Rule, subject))
	}
	sort.Strings(out)
	return out
}

func TestEvaluate(t *testing.T) {
	base := Baseline()
	withPolicy := func(doc string) *Set {
		s, err := Parse([]byte(doc), "test.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	notes := []string{"info loginHours.required loginHours", "info loginIpRanges.required loginIpRanges"}
	tests := []struct {
		name   string
		policy *Set
		subj   *Subject
		user   *UserState
		org    func(o *OrgState)
		want   []string // besides the two info notes on login IP ranges and hours
		noNote bool     // ranges and hours are declared: no notes
		score  int
		check  func(t *testing.T, ev *Evaluation)
	}{
		{
			name: "least privileged",
			subj: subject(warden.CredentialJWT, need("Account", "Read")),
			user: user("Salesforce Integration", minimal(), src(KindSet, "Int_API", []string{"ApiEnabled"}, map[string][]string{"Account": {"Read"}})),
			want: nil, score: 100,
		},
		{
			name: "cloned admin profile",
			subj: subject(warden.CredentialPassword, need("Account", "Read", "Edit")),
			user: user("Salesforce", src(KindProfile, "Cloned Admin", []string{"ApiEnabled", "ModifyAllData", "ViewAllData", "ManageUsers", "PasswordNeverExpires"}, nil),
				src(KindSet, "GIS", nil, map[string][]string{"Account": {"Read", "Edit"}})),
			want: []string{"critical permission.forbidden.ModifyAllData ModifyAllData", "critical permission.forbidden.ViewAllData ViewAllData",
				"high permission.forbidden.ManageUsers ManageUsers", "medium permission.required.ApiUserOnly ApiUserOnly",
				"low licence.preferred licence", "low profile.preferred profile", "info credential.forbidden.password password"},
			score: 54,
			check: func(t *testing.T, ev *Evaluation) {
				f := ev.Findings[0]
				if f.Source != "profile Cloned Admin" || !strings.Contains(f.Evidence, "granted via profile Cloned Admin") || !strings.Contains(f.Fix, "warden fix: move int@acme.example from profile Cloned Admin to profile "+minProfile) {
					t.Errorf("source and fix of %+v", f)
				}
			},
		},
		{
			name:  "System Administrator",
			subj:  subject(warden.CredentialJWT),
			user:  user("Salesforce", src(KindProfile, "System Administrator", []string{"ApiEnabled", "ApiUserOnly"}, nil)),
			want:  []string{"critical profile.forbidden profile", "info object.undeclared objects", "low licence.preferred licence", "low profile.preferred profile"},
			score: 54,
		},
		{
			name:  "forbidden via an exclusive permission set",
			subj:  subject(warden.CredentialJWT),
			user:  user("Salesforce Integration", minimal(), src(KindSet, "Int_API", []string{"ApiEnabled", "AssignPermissionSets", "ViewSetup"}, nil)),
			org:   func(o *OrgState) { o.SetUsers["0PSInt_API"] = []string{"int@acme.example"} },
			want:  []string{"high permission.forbidden.AssignPermissionSets AssignPermissionSets", "medium permission.forbidden.ViewSetup ViewSetup", "info object.undeclared objects"},
			score: 69,
			check: func(t *testing.T, ev *Evaluation) {
				if f := ev.Findings[0]; f.Source != "permission set Int_API" || f.Fix != "warden fix: remove Assign Permission Sets, View Setup and Configuration from permission set Int_API." {
					t.Errorf("%+v", f)
				}
			},
		},
		{
			name: "forbidden via a group",
			subj: subject(warden.CredentialJWT),
			user: user("Salesforce Integration", minimal(), src(KindGroup, "Ops", []string{"DataExport"}, nil)),
			want: []string{"high permission.forbidden.DataExport DataExport", "info object.undeclared objects"}, score: 69,
			check: func(t *testing.T, ev *Evaluation) {
				if f := ev.Findings[0]; f.Source != "permission set group Ops" || !strings.Contains(f.Fix, "unassign permission set group Ops") {
					t.Errorf("%+v", f)
				}
			},
		},
		{
			name: "API Enabled missing, unlisted permission",
			subj: subject(warden.CredentialJWT),
			user: user("Salesforce", src(KindProfile, "Reporting", []string{"RunReports", "ScheduleReports"}, nil)),
			want: []string{"high permission.required.ApiEnabled ApiEnabled", "medium permission.required.ApiUserOnly ApiUserOnly", "low permission.unlisted ScheduleReports",
				"low licence.preferred licence", "low profile.preferred profile", "info object.undeclared objects"},
			score: 69,
		},
		{
			name:  "object access beyond and short of the declared needs",
			subj:  subject(warden.CredentialJWT, need("Account", "Read"), need("Invoice__c", "Read", "Create", "Edit")),
			user:  user("Salesforce Integration", minimal(), src(KindSet, "Int_API", nil, map[string][]string{"Account": {"Read", "Edit", "Delete"}, "Contact": {"Read"}, "Invoice__c": {"Read"}})),
			org:   func(o *OrgState) { o.SetUsers["0PSInt_API"] = []string{"int@acme.example"} },
			want:  []string{"medium object.excess Account", "medium object.excess Contact", "medium object.missing Invoice__c"},
			score: 79,
			check: func(t *testing.T, ev *Evaluation) {
				for _, f := range ev.Findings {
					if strings.HasPrefix(f.Evidence, "Account:") && (!strings.Contains(f.Evidence, "Edit, Delete granted via permission set Int_API, but the applications declare only Read") ||
						f.Fix != "warden fix: reduce the Account object permissions of permission set Int_API from Read, Edit, Delete to Read.") {
						t.Errorf("%+v", f)
					}
					if strings.HasPrefix(f.Evidence, "Invoice__c:") && !strings.Contains(f.Evidence, "Create, Edit declared") {
						t.Errorf("%+v", f)
					}
				}
			},
		},
		{
			name:   "policy allows more objects for the user",
			policy: withPolicy("users:\n  int@acme.example:\n    objects:\n      allow:\n        Contact: [Read]\n"),
			subj:   subject(warden.CredentialJWT, need("Account", "Read")),
			user:   user("Salesforce Integration", minimal(), src(KindSet, "Int_API", nil, map[string][]string{"Account": {"Read"}, "Contact": {"Read"}})),
			want:   nil, score: 100,
		},
		{
			name:   "logins outside declared ranges and hours",
			policy: withPolicy("loginIpRanges:\n  allowed: [198.51.100.0/24]\nloginHours:\n  allowed:\n    monday: \"08:00-18:00\"\n"),
			subj:   subject(warden.CredentialJWT, need("Account", "Read")),
			user: func() *UserState {
				u := user("Salesforce Integration", minimal(), src(KindSet, "Int_API", nil, map[string][]string{"Account": {"Read"}}))
				monday := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // a Monday
				u.Logins = []warden.Login{
					{Time: monday.Add(-time.Hour), Status: "Success", SourceIP: "198.51.100.7"},        // 08:00 Monday: inside
					{Time: monday.Add(-2 * time.Hour), Status: "Success", SourceIP: "203.0.113.9"},     // outside the ranges, 07:00: outside the hours
					{Time: monday.Add(-3 * time.Hour), Status: "Failed", SourceIP: "192.0.2.1"},        // failures do not count
					{Time: monday.Add(-30 * 24 * time.Hour), Status: "Success", SourceIP: "192.0.2.2"}, // older than the window
				}
				return u
			}(),
			want:   []string{"high loginIpRanges.outside 203.0.113.9", "medium loginHours.outside loginHours"},
			noNote: true,
			check: func(t *testing.T, ev *Evaluation) {
				for _, f := range ev.Findings {
					if f.Rule == RuleIPOutside && !strings.Contains(f.Evidence, "1 successful login(s) in the last 7 days from outside the allowed ranges 198.51.100.0/24") {
						t.Errorf("%s", f.Evidence)
					}
				}
			},
			score: 69,
		},
		{
			name:   "password never expires without rotation",
			policy: withPolicy("credentials:\n  forbidden:\n    password: {severity: off}\n"),
			subj:   subject(warden.CredentialPassword, need("Account", "Read")),
			user: func() *UserState {
				u := user("Salesforce Integration", minimal(), src(KindSet, "Int_API", nil, map[string][]string{"Account": {"Read"}}))
				u.LastPasswordChange = now.Add(-200 * 24 * time.Hour)
				return u
			}(),
			want: []string{"medium password.neverExpires PasswordNeverExpires"}, score: 79,
		},
		{
			name: "password never expires with a JWT credential",
			subj: subject(warden.CredentialJWT, need("Account", "Read")),
			user: func() *UserState {
				u := user("Salesforce Integration", minimal(), src(KindSet, "Int_API", nil, map[string][]string{"Account": {"Read"}}))
				u.LastPasswordChange = now.Add(-900 * 24 * time.Hour)
				return u
			}(),
			want: nil, score: 100,
		},
		{
			name: "MFA waiver",
			subj: subject(warden.CredentialJWT, need("Account", "Read")),
			user: user("Salesforce Integration", minimal(), src(KindSet, "Int_API", []string{"BypassMFAForUiLogins"}, map[string][]string{"Account": {"Read"}})),
			want: []string{"high mfa.waiver BypassMFAForUiLogins"}, score: 69,
		},
		{
			name:   "MFA waiver allowed for the user",
			policy: withPolicy("users:\n  acme/int@acme.example:\n    mfaWaiver: {allowed: true}\n"),
			subj:   subject(warden.CredentialJWT, need("Account", "Read")),
			user:   user("Salesforce Integration", minimal(), src(KindSet, "Int_API", []string{"BypassMFAForUiLogins"}, map[string][]string{"Account": {"Read"}})),
			want:   nil, score: 100,
		},
		{
			name: "connected app shared by users",
			subj: func() *Subject {
				s := subject(warden.CredentialRefreshToken, need("Account", "Read"))
				s.SharedClient = []string{"other@acme.example"}
				return s
			}(),
			user: func() *UserState {
				u := user("Salesforce Integration", minimal(), src(KindSet, "Int_API", nil, map[string][]string{"Account": {"Read"}}))
				u.Apps = []string{"Shared App"}
				return u
			}(),
			org: func(o *OrgState) {
				o.AppUsers["Shared App"] = map[string]bool{"005USER": true, "005OTHER": true, "005THIRD": true}
			},
			want: []string{"medium connectedApp.maxUsers Shared App", "medium connectedApp.maxUsers int-app"}, score: 79,
		},
		{
			name:   "password credential after the deadline",
			policy: withPolicy("credentials:\n  forbidden:\n    password: {from: 2026-01-01}\n"),
			subj:   subject(warden.CredentialPassword, need("Account", "Read")),
			user:   user("Salesforce Integration", minimal(), src(KindSet, "Int_API", nil, map[string][]string{"Account": {"Read"}})),
			want:   []string{"high credential.forbidden.password password"}, score: 69,
		},
		{
			name: "user not found",
			subj: subject(warden.CredentialJWT),
			user: &UserState{Org: "acme", Username: "int@acme.example"},
			want: []string{"high user.notFound int@acme.example"}, score: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := base
			if tt.policy != nil {
				pol = tt.policy
			}
			o := orgState()
			if tt.org != nil {
				tt.org(o)
			}
			ev := Evaluate(pol.For("acme", "int@acme.example"), tt.subj, tt.user, o, now)
			PlanFix(pol.For("acme", "int@acme.example"), tt.subj, tt.user, o, ev, now)
			want := append([]string{}, tt.want...)
			if tt.user.Found && !tt.noNote {
				want = append(want, notes...)
			}
			sort.Strings(want)
			if g := got(ev); strings.Join(g, "\n") != strings.Join(want, "\n") {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
			}
			if ev.Score != tt.score {
				t.Errorf("score %d (%s), want %d", ev.Score, ev.Grade, tt.score)
			}
			for i := 1; i < len(ev.Findings); i++ {
				if ev.Findings[i].Severity.Rank() > ev.Findings[i-1].Severity.Rank() {
					t.Errorf("findings are not most severe first")
				}
			}
			if tt.check != nil {
				tt.check(t, ev)
			}
		})
	}
}

func TestScore(t *testing.T) {
	c := func(sev warden.Severity, passed bool) Check { return Check{Severity: sev, Passed: passed} }
	tests := []struct {
		checks []Check
		score  int
		grade  string
	}{
		{nil, 100, "Excellent"},
		{[]Check{c("high", true), c("low", true)}, 100, "Excellent"},
		{[]Check{c("critical", false), c("high", true), c("high", true)}, 50, "Very Poor"},
		{[]Check{c("critical", false), c("high", true), c("high", true), c("high", true), c("high", true)}, 54, "Very Poor"},
		{[]Check{c("high", false), c("critical", true), c("critical", true)}, 69, "Poor"},
		{[]Check{c("medium", false), c("critical", true), c("critical", true)}, 79, "Good"},
		{[]Check{c("low", false), c("critical", true), c("critical", true)}, 89, "Very Good"},
		{[]Check{c("low", false), c("low", true)}, 50, "Very Poor"},
		{[]Check{c("medium", false), c("medium", true), c("medium", true)}, 67, "Poor"},
	}
	for _, tt := range tests {
		if s, g := Score(tt.checks); s != tt.score || g != tt.grade {
			t.Errorf("%v: %d %s, want %d %s", tt.checks, s, g, tt.score, tt.grade)
		}
	}
	high := &warden.Finding{Severity: warden.SeverityHigh}
	if s, g := OrgScore([]int{100, 100, 70}, []*warden.Finding{high}); s != 69 || g != "Poor" {
		t.Errorf("org score %d %s", s, g)
	}
	if s, _ := OrgScore([]int{100, 80}, nil); s != 90 {
		t.Errorf("org score %d", s)
	}
}
