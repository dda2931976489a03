package monitor

import (
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

func TestClassify(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	healthy := func() *Observation {
		return &Observation{Org: "acme", Username: "int@acme.test", Found: true, Active: true, APIEnabled: true,
			PasswordExpiresDays: 90, LastPasswordChange: now.Add(-10 * 24 * time.Hour), Credential: warden.CredentialJWT,
			Grants:  []Grant{{Source: "profile Minimum Access", Permissions: []string{"ApiEnabled"}}},
			Objects: map[string]map[string]bool{"account": {"read": true}}, Needs: []warden.ObjectAccess{{Object: "Account", Access: []string{"Read"}}},
			Logins: []warden.Login{{Time: now.Add(-time.Minute), Status: "Success", LoginType: "Remote Access 2.0"}}, Now: now}
	}
	// login adds two failed attempts with status (one alone is evidence,
	// not yet an error).
	login := func(status string) func(o *Observation) {
		return func(o *Observation) {
			o.Logins = append([]warden.Login{{Time: now.Add(-10 * time.Second), Status: status, SourceIP: "10.0.0.1", LoginType: "Remote Access 2.0"},
				{Time: now.Add(-20 * time.Second), Status: status, SourceIP: "10.0.0.1", LoginType: "Remote Access 2.0"}}, o.Logins...)
		}
	}
	tests := []struct {
		name     string
		mutate   func(o *Observation)
		state    warden.State
		cause    warden.Cause
		evidence string
	}{
		{"healthy", func(o *Observation) {}, warden.StateOK, "", ""},
		{"not found", func(o *Observation) { o.Found = false }, warden.StateError, warden.CauseCredentialRejected, "no user"},
		{"deactivated, with who did it", func(o *Observation) {
			o.Active = false
			o.Changes = []warden.SetupChange{{Time: now, Action: "deactivateduser", Display: "Deactivated user int@acme.test", By: "admin@acme.test"}}
		}, warden.StateError, warden.CauseUserDeactivated, "by admin@acme.test"},
		{"frozen beats locked", func(o *Observation) { o.Frozen, o.Locked = true, true }, warden.StateError, warden.CauseUserFrozen, "IsFrozen"},
		{"locked", func(o *Observation) { o.Locked = true; login("Password Lockout")(o) }, warden.StateError, warden.CausePasswordLocked, "Password Lockout"},
		{"password expired (password credential)", func(o *Observation) {
			o.Credential = warden.CredentialPassword
			o.LastPasswordChange = now.Add(-91 * 24 * time.Hour)
		}, warden.StateError, warden.CausePasswordExpired, "90-day"},
		{"expired password is irrelevant to JWT", func(o *Observation) { o.LastPasswordChange = now.Add(-91 * 24 * time.Hour) }, warden.StateOK, "", ""},
		{"API Enabled lost", func(o *Observation) {
			o.APIEnabled = false
			o.Changes = []warden.SetupChange{{Time: now, Action: "PermSetUnassign", Display: "Permission set API: unassigned from user int@acme.test", By: "admin@acme.test"}}
		}, warden.StateError, warden.CauseAPIPermissionMissing, "unassigned"},
		{"object permission missing", func(o *Observation) {
			o.Needs = append(o.Needs, warden.ObjectAccess{Object: "Invoice__c", Access: []string{"Read", "Edit"}})
		}, warden.StateError, warden.CauseObjectPermissionMissing, "Invoice__c: Edit, Invoice__c: Read"},
		{"login rate", func(o *Observation) { o.LoginsLastHour = 3600 }, warden.StateDegraded, warden.CauseLoginRateExceeded, "3600 login attempts"},
		{"login rate status", login("Login Rate Exceeded"), warden.StateDegraded, warden.CauseLoginRateExceeded, "Login Rate Exceeded"},
		{"restricted ip", login("Restricted IP"), warden.StateError, warden.CauseIPOrHoursRestricted, "Restricted IP"},
		{"restricted time", login("Restricted time"), warden.StateError, warden.CauseIPOrHoursRestricted, "Restricted time"},
		{"security token", login("Failed: API security token required"), warden.StateError, warden.CauseSecurityTokenRequired, "10.0.0.1"},
		{"password flow disabled", login("Username-Password Flow Disabled"), warden.StateError, warden.CauseLegacyAuthDisabled, "Username-Password"},
		{"invalid password", login("Invalid Password"), warden.StateError, warden.CauseCredentialRejected, "Invalid Password"},
		{"a single failed login is evidence, not an error", func(o *Observation) {
			o.Logins = append([]warden.Login{{Time: now.Add(-10 * time.Second), Status: "Invalid Password", SourceIP: "10.0.0.1"}}, o.Logins...)
		}, warden.StateDegraded, warden.CauseCredentialRejected, "a single failed login"},
		{"a single failed login confirmed by Warden's own check", func(o *Observation) {
			o.Logins = append([]warden.Login{{Time: now.Add(-10 * time.Second), Status: "Invalid Password", SourceIP: "10.0.0.1"}}, o.Logins...)
			o.Liveness, o.LivenessAt = &salesforce.Error{Cause: warden.CauseCredentialRejected}, now
		}, warden.StateError, warden.CauseCredentialRejected, "Invalid Password"},
		{"invalid login", login("Invalid login"), warden.StateError, warden.CauseCredentialRejected, "Invalid login"},
		{"consumer not approved", login("Failed: OAuth Consumer Not Approved"), warden.StateError, warden.CauseAppNotApproved, "Not Approved"},
		{"password expired status", login("Failed: Password Expired"), warden.StateError, warden.CausePasswordExpired, "Failed: Password Expired"},
		{"frozen status", login("User is Frozen"), warden.StateError, warden.CauseUserFrozen, "User is Frozen"},
		{"inactive status", login("User is Inactive"), warden.StateError, warden.CauseUserDeactivated, "User is Inactive"},
		{"api disabled status", login("Failed: API Disabled"), warden.StateError, warden.CauseAPIPermissionMissing, "API Disabled"},
		{"a status that proves nothing", login("Multi-factor required"), warden.StateOK, "", ""},
		{"old failure followed by success is fine", func(o *Observation) {
			o.Logins = []warden.Login{{Time: now, Status: "Success"}, {Time: now.Add(-time.Hour), Status: "Invalid Password"}}
		}, warden.StateOK, "", ""},
		{"refresh token revoked", func(o *Observation) {
			o.Liveness = &salesforce.Error{Cause: warden.CauseRefreshTokenRevoked, Code: "invalid_grant", Message: "expired access/refresh token"}
			o.LivenessAt = now
		}, warden.StateError, warden.CauseRefreshTokenRevoked, "credential check"},
		{"app not approved", func(o *Observation) {
			o.Liveness, o.LivenessAt = &salesforce.Error{Cause: warden.CauseAppNotApproved}, now
		}, warden.StateError, warden.CauseAppNotApproved, ""},
		{"org unavailable is transient", func(o *Observation) {
			o.Liveness, o.LivenessAt = &salesforce.Error{Cause: warden.CauseOrgUnavailable}, now
		}, warden.StateDegraded, warden.CauseOrgUnavailable, ""},
		{"api limit", func(o *Observation) {
			o.Liveness, o.LivenessAt = &salesforce.Error{Cause: warden.CauseAPILimitExhausted}, now
		}, warden.StateDegraded, warden.CauseAPILimitExhausted, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := healthy()
			tt.mutate(o)
			v := Classify(o)
			if v.State != tt.state || v.Cause != tt.cause || !strings.Contains(v.Evidence, tt.evidence) {
				t.Errorf("got %s/%s %q, want %s/%s containing %q", v.State, v.Cause, v.Evidence, tt.state, tt.cause, tt.evidence)
			}
			if v.Cause != "" && (v.Fix == "" || strings.HasPrefix(v.Fix, "See docs/")) {
				t.Errorf("no fix of its own for %s: %q", v.Cause, v.Fix)
			}
		})
	}
}

func TestClassifyWarnings(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	o := &Observation{Found: true, Active: true, APIEnabled: true, Now: now, Credential: warden.CredentialPassword,
		PasswordExpiresDays: 90, LastPasswordChange: now.Add(-83 * 24 * time.Hour),
		RefreshTokenExpires: now.Add(time.Hour), LoginsLastHour: 3300,
		Logins: []warden.Login{{Time: now, Status: "Success", APIType: "SOAP Partner"}}}
	v := Classify(o)
	if v.State != warden.StateDegraded || v.Cause != "" || len(v.Warnings) != 4 {
		t.Fatalf("%+v", v)
	}
	for i, want := range []string{"password expires in 7 days", "refresh token expires in 1h0m0s", "91% of the hourly limit", "SOAP login()"} {
		if !strings.Contains(v.Warnings[i], want) {
			t.Errorf("warning %d %q lacks %q", i, v.Warnings[i], want)
		}
	}
}
