package policy_test

import (
	"fmt"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/policy"
)

// An organisation allows one more permission for everyone, and declares
// the login IP ranges of one org.
func ExampleParse() {
	set, err := policy.Parse([]byte(`
permissions:
  allowed: [ExportReport]
orgs:
  acme:
    loginIpRanges:
      allowed: [198.51.100.0/24]
`), "acme-policy.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	p := set.For("acme", "billing.sync@acme.example")
	fmt.Println(p.Allowed()[:3], p.IPAllowed[0])
	r, _ := p.ForbiddenRule("ModifyAllData")
	fmt.Println("ModifyAllData:", r.Severity)
	// Output:
	// [ActivateContract ActivateOrder ApexRestServices] 198.51.100.0/24
	// ModifyAllData: critical
}

// Evaluate audits one user's state (as Read returns it) against its
// policy.
func ExampleEvaluate() {
	profile := &policy.Source{Kind: policy.KindProfile, Name: "Legacy Integration (cloned admin)",
		Perms: map[string]bool{"ApiEnabled": true, "ApiUserOnly": true, "ModifyAllData": true}}
	u := &policy.UserState{Org: "acme", Username: "gis@acme.example", Found: true, Active: true,
		Profile: profile.Name, Licence: "Salesforce Integration", Sources: []*policy.Source{profile}}
	s := &policy.Subject{Org: "acme", Username: u.Username, Credential: &warden.Credential{Name: "gis", Kind: warden.CredentialJWT, ClientID: "gis"}}
	set, _ := policy.Parse([]byte("profile:\n  preferred: {severity: off}\nobjects:\n  undeclared: {severity: off}\nloginIpRanges:\n  required: {severity: off}\nloginHours:\n  required: {severity: off}\n"), "quiet.yaml")
	ev := policy.Evaluate(set.For("acme", u.Username), s, u, &policy.OrgState{}, time.Now())
	for _, f := range ev.Findings {
		fmt.Println(f.Severity, f.Rule, "|", f.Source)
	}
	fmt.Println(ev.Score, ev.Grade)
	// Output:
	// critical permission.forbidden.ModifyAllData | profile Legacy Integration (cloned admin)
	// 54 Very Poor
}
