package storetest

import (
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// orgTests are the tests of OrgService.
var orgTests = []test{
	{"RoundTrip", func(t *testing.T, s warden.Store) {
		o := &warden.Org{
			Name:                 "acme-prod",
			OrgID:                "00D5g000004ABCDEAA",
			LoginURL:             "https://acme.my.salesforce.com",
			InstanceURL:          "https://acme.my.salesforce.com",
			MonitoringCredential: "warden-monitor",
			DailyAPIShare:        0.025,
			PasswordExpiresDays:  warden.PasswordsNeverExpire,
			CreatedAt:            at(-time.Hour), // ignored: the store stamps times
		}
		w := startWindow()
		must(t, s.UpsertOrg(t.Context(), o))
		w.check(t, "CreatedAt", o.CreatedAt)
		if !o.UpdatedAt.Equal(o.CreatedAt) {
			t.Errorf("UpdatedAt = %v, want CreatedAt %v on insert", o.UpdatedAt, o.CreatedAt)
		}
		got, err := s.Org(t.Context(), "acme-prod")
		must(t, err)
		diff(t, "Org", o, got)
		checkNorm(t, "Org.CreatedAt", got.CreatedAt)
	}},
	{"UpsertReplacesAndKeepsCreatedAt", func(t *testing.T, s warden.Store) {
		first := &warden.Org{Name: "acme", LoginURL: "https://login.salesforce.com", InstanceURL: "https://na1.salesforce.com", DailyAPIShare: 0.1}
		must(t, s.UpsertOrg(t.Context(), first))
		time.Sleep(2 * time.Millisecond) // let the wall clock move on
		second := &warden.Org{Name: "acme", LoginURL: "https://test.salesforce.com", OrgID: "00D000000000001AAA", CreatedAt: at(0)}
		w := startWindow()
		must(t, s.UpsertOrg(t.Context(), second))
		if !second.CreatedAt.Equal(first.CreatedAt) {
			t.Errorf("CreatedAt after upsert = %v, want the original %v", second.CreatedAt, first.CreatedAt)
		}
		w.check(t, "UpdatedAt", second.UpdatedAt)
		if !second.UpdatedAt.After(first.UpdatedAt) {
			t.Errorf("UpdatedAt after upsert = %v, want after %v", second.UpdatedAt, first.UpdatedAt)
		}
		got, err := s.Org(t.Context(), "acme")
		must(t, err)
		diff(t, "Org after upsert", second, got)
		orgs, err := s.Orgs(t.Context())
		must(t, err)
		if len(orgs) != 1 {
			t.Errorf("Orgs = %d orgs, want 1", len(orgs))
		}
	}},
	{"OrderedByName", func(t *testing.T, s warden.Store) {
		orgs, err := s.Orgs(t.Context())
		must(t, err)
		if len(orgs) != 0 {
			t.Fatalf("Orgs of an empty store = %d orgs", len(orgs))
		}
		for _, n := range []string{"zeta", "alpha", "Mid", "beta.sandbox"} {
			addOrg(t, s, n)
		}
		orgs, err = s.Orgs(t.Context())
		must(t, err)
		diff(t, "Orgs order", []string{"Mid", "alpha", "beta.sandbox", "zeta"}, names(orgs, func(o *warden.Org) string { return o.Name }))
	}},
	{"NotFound", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		_, err := s.Org(t.Context(), "nope")
		wantKind(t, err, warden.ENOTFOUND, `org "nope" not found`)
		wantKind(t, s.DeleteOrg(t.Context(), "nope"), warden.ENOTFOUND, `org "nope" not found`)
		must(t, s.DeleteOrg(t.Context(), "acme"))
		wantKind(t, s.DeleteOrg(t.Context(), "acme"), warden.ENOTFOUND, `org "acme" not found`)
		_, err = s.Org(t.Context(), "acme")
		wantKind(t, err, warden.ENOTFOUND, "acme")
	}},
	{"Validation", func(t *testing.T, s warden.Store) {
		for _, tc := range []struct {
			name  string
			org   *warden.Org
			field string
		}{
			{"nil", nil, "org"},
			{"empty name", &warden.Org{LoginURL: "https://login.salesforce.com"}, "name"},
			{"bad name", &warden.Org{Name: "acme prod", LoginURL: "https://login.salesforce.com"}, "name"},
			{"no login url", &warden.Org{Name: "acme"}, "loginUrl"},
			{"share above one", &warden.Org{Name: "acme", LoginURL: "https://x", DailyAPIShare: 1.5}, "dailyApiShare"},
			{"negative share", &warden.Org{Name: "acme", LoginURL: "https://x", DailyAPIShare: -0.1}, "dailyApiShare"},
			{"password policy", &warden.Org{Name: "acme", LoginURL: "https://x", PasswordExpiresDays: -2}, "passwordExpiresDays"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantKind(t, s.UpsertOrg(t.Context(), tc.org), warden.EINVALID, tc.field)
			})
		}
		orgs, err := s.Orgs(t.Context())
		must(t, err)
		if len(orgs) != 0 {
			t.Errorf("invalid orgs were stored: %d", len(orgs))
		}
	}},
	{"DeleteCascades", func(t *testing.T, s warden.Store) {
		for _, org := range []string{"acme", "globex"} {
			addOrg(t, s, org)
			addUser(t, s, org, "billing@"+org, "finance")
			addUser(t, s, org, "gis@"+org, "maps")
			addCredential(t, s, org, org+"-billing-jwt", "billing@"+org)
			addDependent(t, s, org, "invoicer", "billing@"+org, "finance")
			addDependent(t, s, org, "mapper", "gis@"+org, "maps")
			addHealth(t, s, org, "billing@"+org, warden.StateOK, at(0))
		}
		must(t, s.DeleteOrg(t.Context(), "acme"))

		users, err := s.Users(t.Context(), warden.UserFilter{})
		must(t, err)
		diff(t, "Users after DeleteOrg", []string{"billing@globex", "gis@globex"}, names(users, func(u *warden.IntegrationUser) string { return u.Username }))
		creds, err := s.Credentials(t.Context(), "")
		must(t, err)
		diff(t, "Credentials after DeleteOrg", []string{"globex-billing-jwt"}, names(creds, func(c *warden.Credential) string { return c.Name }))
		deps, err := s.Dependents(t.Context(), warden.DependentFilter{})
		must(t, err)
		diff(t, "Dependents after DeleteOrg", []string{"globex/invoicer", "globex/mapper"}, names(deps, func(d *warden.Dependent) string { return d.Org + "/" + d.Name }))
		_, err = s.Credential(t.Context(), "acme-billing-jwt")
		wantKind(t, err, warden.ENOTFOUND, "acme-billing-jwt")

		// History is not inventory: it stays until pruned.
		hist, err := s.HealthHistory(t.Context(), warden.HealthFilter{Org: "acme"})
		must(t, err)
		if len(hist) != 1 {
			t.Errorf("health history of the deleted org = %d results, want 1 (kept until pruned)", len(hist))
		}

		// The name can be reused, starting empty.
		addOrg(t, s, "acme")
		users, err = s.Users(t.Context(), warden.UserFilter{Org: "acme"})
		must(t, err)
		if len(users) != 0 {
			t.Errorf("recreated org has %d users, want 0", len(users))
		}
	}},
}

// userTests are the tests of UserService.
var userTests = []test{
	{"RoundTrip", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		u := &warden.IntegrationUser{
			Org:         "acme",
			Username:    "billing.integration@acme.example",
			UserID:      "0055g00000ABCDEAAA",
			Credential:  "billing-jwt",
			Owner:       "finance-eng",
			Description: "Zuora billing sync",
			Reasons:     []string{"profile: Minimum Access - API Only Integrations", "name contains 'integration'"},
		}
		w := startWindow()
		must(t, s.UpsertUser(t.Context(), u))
		w.check(t, "CreatedAt", u.CreatedAt)
		if !u.UpdatedAt.Equal(u.CreatedAt) {
			t.Errorf("UpdatedAt = %v, want CreatedAt %v on insert", u.UpdatedAt, u.CreatedAt)
		}
		got, err := s.User(t.Context(), "acme", "billing.integration@acme.example")
		must(t, err)
		diff(t, "User", u, got)
	}},
	{"EmptyReasons", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		must(t, s.UpsertUser(t.Context(), &warden.IntegrationUser{Org: "acme", Username: "a@acme", Reasons: []string{}}))
		got, err := s.User(t.Context(), "acme", "a@acme")
		must(t, err)
		if got.Reasons != nil {
			t.Errorf("Reasons = %#v, want nil", got.Reasons)
		}
	}},
	{"UpsertReplacesAndKeepsCreatedAt", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		first := &warden.IntegrationUser{Org: "acme", Username: "a@acme", Owner: "x", Description: "old", Reasons: []string{"r1"}}
		must(t, s.UpsertUser(t.Context(), first))
		time.Sleep(2 * time.Millisecond)
		second := &warden.IntegrationUser{Org: "acme", Username: "a@acme", Owner: "y", UserID: "005000000000001AAA"}
		must(t, s.UpsertUser(t.Context(), second))
		if !second.CreatedAt.Equal(first.CreatedAt) || !second.UpdatedAt.After(first.UpdatedAt) {
			t.Errorf("after upsert CreatedAt, UpdatedAt = %v, %v; want %v, after %v", second.CreatedAt, second.UpdatedAt, first.CreatedAt, first.UpdatedAt)
		}
		got, err := s.User(t.Context(), "acme", "a@acme")
		must(t, err)
		diff(t, "User after upsert", second, got)
	}},
	{"FilterAndOrder", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "globex")
		addOrg(t, s, "acme")
		addUser(t, s, "globex", "b@globex", "finance")
		addUser(t, s, "acme", "z@acme", "finance")
		addUser(t, s, "acme", "a@acme", "maps")
		addUser(t, s, "acme", "m@acme", "finance")
		key := func(u *warden.IntegrationUser) string { return u.Org + "/" + u.Username }
		for _, tc := range []struct {
			f    warden.UserFilter
			want []string
		}{
			{warden.UserFilter{}, []string{"acme/a@acme", "acme/m@acme", "acme/z@acme", "globex/b@globex"}},
			{warden.UserFilter{Org: "acme"}, []string{"acme/a@acme", "acme/m@acme", "acme/z@acme"}},
			{warden.UserFilter{Owner: "finance"}, []string{"acme/m@acme", "acme/z@acme", "globex/b@globex"}},
			{warden.UserFilter{Org: "globex", Owner: "finance"}, []string{"globex/b@globex"}},
			{warden.UserFilter{Org: "globex", Owner: "maps"}, []string{}},
			{warden.UserFilter{Org: "initech"}, []string{}},
		} {
			users, err := s.Users(t.Context(), tc.f)
			must(t, err)
			diff(t, "Users "+fmtFilter(tc.f), tc.want, names(users, key))
		}
	}},
	{"NotFound", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		addUser(t, s, "acme", "a@acme", "")
		_, err := s.User(t.Context(), "acme", "nope@acme")
		wantKind(t, err, warden.ENOTFOUND, `"nope@acme"`, "not found")
		_, err = s.User(t.Context(), "globex", "a@acme")
		wantKind(t, err, warden.ENOTFOUND, `"a@acme"`)
		wantKind(t, s.DeleteUser(t.Context(), "acme", "nope@acme"), warden.ENOTFOUND, `"nope@acme"`, "not found")
		must(t, s.DeleteUser(t.Context(), "acme", "a@acme"))
		_, err = s.User(t.Context(), "acme", "a@acme")
		wantKind(t, err, warden.ENOTFOUND, `"a@acme"`)
	}},
	{"MissingOrg", func(t *testing.T, s warden.Store) {
		err := s.UpsertUser(t.Context(), &warden.IntegrationUser{Org: "ghost", Username: "a@ghost"})
		wantKind(t, err, warden.ENOTFOUND, `org "ghost" not found`)
	}},
	{"Validation", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		for _, tc := range []struct {
			name  string
			user  *warden.IntegrationUser
			field string
		}{
			{"nil", nil, "user"},
			{"no org", &warden.IntegrationUser{Username: "a@acme"}, "org"},
			{"no username", &warden.IntegrationUser{Org: "acme"}, "username"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantKind(t, s.UpsertUser(t.Context(), tc.user), warden.EINVALID, tc.field)
			})
		}
	}},
	{"DeleteCascadesToDependents", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		addUser(t, s, "acme", "billing@acme", "")
		addUser(t, s, "acme", "gis@acme", "")
		addCredential(t, s, "acme", "billing-jwt", "billing@acme")
		addDependent(t, s, "acme", "invoicer", "billing@acme", "")
		addDependent(t, s, "acme", "dunning", "billing@acme", "")
		addDependent(t, s, "acme", "mapper", "gis@acme", "")
		must(t, s.DeleteUser(t.Context(), "acme", "billing@acme"))
		deps, err := s.Dependents(t.Context(), warden.DependentFilter{Org: "acme"})
		must(t, err)
		diff(t, "Dependents after DeleteUser", []string{"mapper"}, names(deps, func(d *warden.Dependent) string { return d.Name }))
		if _, err := s.Credential(t.Context(), "billing-jwt"); err != nil {
			t.Errorf("credential of the deleted user: %v, want it kept", err)
		}
		if _, err := s.Org(t.Context(), "acme"); err != nil {
			t.Errorf("org of the deleted user: %v, want it kept", err)
		}
	}},
}

// credentialTests are the tests of CredentialService.
var credentialTests = []test{
	{"RoundTrip", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		rotated := at(-24 * time.Hour)
		c := &warden.Credential{
			Name:      "billing-jwt",
			Org:       "acme",
			Kind:      warden.CredentialJWT,
			Username:  "billing@acme",
			ClientID:  "3MVG9billing",
			Secret:    warden.SecretRef{Store: "vault", Key: "salesforce/acme/billing-jwt"},
			RotatedAt: rotated,
		}
		w := startWindow()
		must(t, s.UpsertCredential(t.Context(), c))
		w.check(t, "CreatedAt", c.CreatedAt)
		if !c.RotatedAt.Equal(stored(rotated)) {
			t.Errorf("RotatedAt = %v, want %v", c.RotatedAt, stored(rotated))
		}
		checkNorm(t, "RotatedAt", c.RotatedAt)
		got, err := s.Credential(t.Context(), "billing-jwt")
		must(t, err)
		diff(t, "Credential", c, got)
	}},
	{"NeverRotated", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		c := &warden.Credential{Name: "cc", Org: "acme", Kind: warden.CredentialClientCredentials, ClientID: "3MVG9cc"}
		must(t, s.UpsertCredential(t.Context(), c))
		got, err := s.Credential(t.Context(), "cc")
		must(t, err)
		if !got.RotatedAt.IsZero() {
			t.Errorf("RotatedAt = %v, want zero", got.RotatedAt)
		}
		diff(t, "Credential", c, got)
	}},
	{"UpsertReplacesAndKeepsCreatedAt", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		first := &warden.Credential{Name: "billing", Org: "acme", Kind: warden.CredentialPassword, Username: "billing@acme", TwinUsername: "billing2@acme", Secret: warden.SecretRef{Store: "local", Key: "v1"}}
		must(t, s.UpsertCredential(t.Context(), first))
		got, err := s.Credential(t.Context(), "billing")
		must(t, err)
		diff(t, "Credential with a twin user", first, got)
		time.Sleep(2 * time.Millisecond)
		second := &warden.Credential{Name: "billing", Org: "acme", Kind: warden.CredentialJWT, Username: "billing@acme", ClientID: "3MVG9x", TwinClientID: "3MVG9y", Secret: warden.SecretRef{Store: "vault", Key: "v2"}, RotatedAt: at(0)}
		must(t, s.UpsertCredential(t.Context(), second))
		if !second.CreatedAt.Equal(first.CreatedAt) {
			t.Errorf("CreatedAt after upsert = %v, want the original %v", second.CreatedAt, first.CreatedAt)
		}
		got, err = s.Credential(t.Context(), "billing")
		must(t, err)
		diff(t, "Credential after upsert", second, got)
	}},
	{"FilterAndOrder", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		addOrg(t, s, "globex")
		addCredential(t, s, "globex", "m-globex", "u@globex")
		addCredential(t, s, "acme", "z-acme", "u@acme")
		addCredential(t, s, "acme", "a-acme", "u@acme")
		key := func(c *warden.Credential) string { return c.Name }
		all, err := s.Credentials(t.Context(), "")
		must(t, err)
		diff(t, "Credentials", []string{"a-acme", "m-globex", "z-acme"}, names(all, key))
		acme, err := s.Credentials(t.Context(), "acme")
		must(t, err)
		diff(t, "Credentials acme", []string{"a-acme", "z-acme"}, names(acme, key))
		none, err := s.Credentials(t.Context(), "initech")
		must(t, err)
		diff(t, "Credentials initech", []string{}, names(none, key))
	}},
	{"NotFound", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		addCredential(t, s, "acme", "billing-jwt", "u@acme")
		_, err := s.Credential(t.Context(), "nope")
		wantKind(t, err, warden.ENOTFOUND, `credential "nope" not found`)
		wantKind(t, s.DeleteCredential(t.Context(), "nope"), warden.ENOTFOUND, `credential "nope" not found`)
		must(t, s.DeleteCredential(t.Context(), "billing-jwt"))
		_, err = s.Credential(t.Context(), "billing-jwt")
		wantKind(t, err, warden.ENOTFOUND, `credential "billing-jwt" not found`)
	}},
	{"MissingOrg", func(t *testing.T, s warden.Store) {
		err := s.UpsertCredential(t.Context(), &warden.Credential{Name: "x", Org: "ghost", Kind: warden.CredentialJWT, Username: "u", ClientID: "c"})
		wantKind(t, err, warden.ENOTFOUND, `org "ghost" not found`)
	}},
	{"Validation", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		for _, tc := range []struct {
			name  string
			cred  *warden.Credential
			field string
		}{
			{"nil", nil, "credential"},
			{"no name", &warden.Credential{Org: "acme", Kind: warden.CredentialJWT, Username: "u", ClientID: "c"}, "name"},
			{"no org", &warden.Credential{Name: "x", Kind: warden.CredentialJWT, Username: "u", ClientID: "c"}, "org"},
			{"bad kind", &warden.Credential{Name: "x", Org: "acme", Kind: "ssh", Username: "u", ClientID: "c"}, "kind"},
			{"jwt without client id", &warden.Credential{Name: "x", Org: "acme", Kind: warden.CredentialJWT, Username: "u"}, "clientId"},
			{"password without username", &warden.Credential{Name: "x", Org: "acme", Kind: warden.CredentialPassword}, "username"},
			{"twin user of a jwt credential", &warden.Credential{Name: "x", Org: "acme", Kind: warden.CredentialJWT, Username: "u", ClientID: "c", TwinUsername: "v"}, "twinUsername"},
			{"twin user is the user", &warden.Credential{Name: "x", Org: "acme", Kind: warden.CredentialPassword, Username: "u@acme", TwinUsername: "U@acme"}, "twinUsername"},
			{"twin app of a password credential", &warden.Credential{Name: "x", Org: "acme", Kind: warden.CredentialPassword, Username: "u", TwinClientID: "c"}, "twinClientId"},
			{"twin app is the app", &warden.Credential{Name: "x", Org: "acme", Kind: warden.CredentialJWT, Username: "u", ClientID: "c", TwinClientID: "c"}, "twinClientId"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantKind(t, s.UpsertCredential(t.Context(), tc.cred), warden.EINVALID, tc.field)
			})
		}
	}},
}

// dependentTests are the tests of the dependent half of DependentService.
var dependentTests = []test{
	{"RoundTrip", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		addUser(t, s, "acme", "billing@acme", "")
		d := &warden.Dependent{
			Name:     "zuora-sync",
			Org:      "acme",
			Username: "billing@acme",
			Owner:    "finance-eng",
			Contact:  "#finance-eng",
			Delivery: warden.DeliveryWebhook,
			Objects: []warden.ObjectAccess{
				{Object: "Account", Access: []string{"Read"}},
				{Object: "Invoice__c", Access: []string{"Read", "Create", "Edit"}},
			},
		}
		w := startWindow()
		must(t, s.UpsertDependent(t.Context(), d))
		w.check(t, "CreatedAt", d.CreatedAt)
		if !d.UpdatedAt.Equal(d.CreatedAt) {
			t.Errorf("UpdatedAt = %v, want CreatedAt %v on insert", d.UpdatedAt, d.CreatedAt)
		}
		got, err := s.Dependents(t.Context(), warden.DependentFilter{Org: "acme"})
		must(t, err)
		diff(t, "Dependents", []*warden.Dependent{d}, got)
	}},
	{"UpsertReplacesAndKeepsCreatedAt", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		addUser(t, s, "acme", "a@acme", "")
		addUser(t, s, "acme", "b@acme", "")
		first := addDependent(t, s, "acme", "app", "a@acme", "x")
		time.Sleep(2 * time.Millisecond)
		second := &warden.Dependent{Name: "app", Org: "acme", Username: "b@acme", Delivery: warden.DeliveryManual}
		must(t, s.UpsertDependent(t.Context(), second))
		if !second.CreatedAt.Equal(first.CreatedAt) || !second.UpdatedAt.After(first.UpdatedAt) {
			t.Errorf("after upsert CreatedAt, UpdatedAt = %v, %v; want %v, after %v", second.CreatedAt, second.UpdatedAt, first.CreatedAt, first.UpdatedAt)
		}
		got, err := s.Dependents(t.Context(), warden.DependentFilter{})
		must(t, err)
		diff(t, "Dependents after upsert", []*warden.Dependent{second}, got)
	}},
	{"FilterAndOrder", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		addOrg(t, s, "globex")
		addUser(t, s, "acme", "a@acme", "")
		addUser(t, s, "acme", "b@acme", "")
		addUser(t, s, "globex", "a@acme", "") // same username, other org
		addDependent(t, s, "globex", "erp", "a@acme", "finance")
		addDependent(t, s, "acme", "zz", "b@acme", "finance")
		addDependent(t, s, "acme", "erp", "a@acme", "ops")
		addDependent(t, s, "acme", "bi", "a@acme", "finance")
		key := func(d *warden.Dependent) string { return d.Org + "/" + d.Name }
		for _, tc := range []struct {
			f    warden.DependentFilter
			want []string
		}{
			{warden.DependentFilter{}, []string{"acme/bi", "acme/erp", "acme/zz", "globex/erp"}},
			{warden.DependentFilter{Org: "acme"}, []string{"acme/bi", "acme/erp", "acme/zz"}},
			{warden.DependentFilter{Username: "a@acme"}, []string{"acme/bi", "acme/erp", "globex/erp"}},
			{warden.DependentFilter{Org: "acme", Username: "a@acme"}, []string{"acme/bi", "acme/erp"}},
			{warden.DependentFilter{Owner: "finance"}, []string{"acme/bi", "acme/zz", "globex/erp"}},
			{warden.DependentFilter{Org: "acme", Username: "a@acme", Owner: "ops"}, []string{"acme/erp"}},
			{warden.DependentFilter{Owner: "nobody"}, []string{}},
		} {
			deps, err := s.Dependents(t.Context(), tc.f)
			must(t, err)
			diff(t, "Dependents "+fmtFilter(tc.f), tc.want, names(deps, key))
		}
	}},
	{"Delete", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		addUser(t, s, "acme", "a@acme", "")
		addDependent(t, s, "acme", "erp", "a@acme", "")
		addDependent(t, s, "acme", "bi", "a@acme", "")
		wantKind(t, s.DeleteDependent(t.Context(), "acme", "nope"), warden.ENOTFOUND, `dependent "nope" not found`)
		wantKind(t, s.DeleteDependent(t.Context(), "globex", "erp"), warden.ENOTFOUND, `dependent "erp" not found`)
		must(t, s.DeleteDependent(t.Context(), "acme", "erp"))
		deps, err := s.Dependents(t.Context(), warden.DependentFilter{})
		must(t, err)
		diff(t, "Dependents after delete", []string{"bi"}, names(deps, func(d *warden.Dependent) string { return d.Name }))
		if _, err := s.User(t.Context(), "acme", "a@acme"); err != nil {
			t.Errorf("user of the deleted dependent: %v, want it kept", err)
		}
	}},
	{"MissingUser", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		err := s.UpsertDependent(t.Context(), &warden.Dependent{Name: "erp", Org: "acme", Username: "ghost@acme"})
		wantKind(t, err, warden.ENOTFOUND, `"ghost@acme" not found`)
		err = s.UpsertDependent(t.Context(), &warden.Dependent{Name: "erp", Org: "globex", Username: "ghost@acme"})
		wantKind(t, err, warden.ENOTFOUND, `"ghost@acme" not found`)
	}},
	{"Validation", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		addUser(t, s, "acme", "a@acme", "")
		for _, tc := range []struct {
			name  string
			dep   *warden.Dependent
			field string
		}{
			{"nil", nil, "dependent"},
			{"no name", &warden.Dependent{Org: "acme", Username: "a@acme"}, "name"},
			{"no username", &warden.Dependent{Name: "erp", Org: "acme"}, "username"},
			{"no org", &warden.Dependent{Name: "erp", Username: "a@acme"}, "org"},
			{"bad delivery", &warden.Dependent{Name: "erp", Org: "acme", Username: "a@acme", Delivery: "pigeon"}, "delivery"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantKind(t, s.UpsertDependent(t.Context(), tc.dep), warden.EINVALID, tc.field)
			})
		}
	}},
}

// ownerTests are the tests of the owner half of DependentService.
var ownerTests = []test{
	{"RoundTripAndOrder", func(t *testing.T, s warden.Store) {
		owners, err := s.Owners(t.Context())
		must(t, err)
		if len(owners) != 0 {
			t.Fatalf("Owners of an empty store = %d", len(owners))
		}
		maps := &warden.Owner{Team: "maps", Contacts: []string{"maps@acme.example", "#maps-oncall"}}
		finance := &warden.Owner{Team: "finance"}
		must(t, s.UpsertOwner(t.Context(), maps))
		must(t, s.UpsertOwner(t.Context(), finance))
		owners, err = s.Owners(t.Context())
		must(t, err)
		diff(t, "Owners", []*warden.Owner{finance, maps}, owners)

		maps2 := &warden.Owner{Team: "maps", Contacts: []string{"gis@acme.example"}}
		must(t, s.UpsertOwner(t.Context(), maps2))
		owners, err = s.Owners(t.Context())
		must(t, err)
		diff(t, "Owners after upsert", []*warden.Owner{finance, maps2}, owners)
	}},
	{"Delete", func(t *testing.T, s warden.Store) {
		must(t, s.UpsertOwner(t.Context(), &warden.Owner{Team: "maps"}))
		must(t, s.UpsertOwner(t.Context(), &warden.Owner{Team: "finance"}))
		must(t, s.DeleteOwner(t.Context(), "maps"))
		wantKind(t, s.DeleteOwner(t.Context(), "maps"), warden.ENOTFOUND, `owner team "maps" not found`)
		owners, err := s.Owners(t.Context())
		must(t, err)
		diff(t, "Owners after delete", []*warden.Owner{{Team: "finance"}}, owners)
	}},
	{"Validation", func(t *testing.T, s warden.Store) {
		wantKind(t, s.UpsertOwner(t.Context(), nil), warden.EINVALID, "owner")
		wantKind(t, s.UpsertOwner(t.Context(), &warden.Owner{Contacts: []string{"x@y"}}), warden.EINVALID, "team")
	}},
}
