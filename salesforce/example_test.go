package salesforce_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/salesforce"
)

// exampleEmulator starts an emulator with one org: an admin, an
// integration user, and a connected app whose client-credentials run-as
// user is the integration user.
func exampleEmulator() *httptest.Server {
	seed := &emulator.Seed{Orgs: []emulator.SeedOrg{{
		Name: "Acme",
		Profiles: []emulator.SeedProfile{
			{Name: "System Administrator", Permissions: []string{"ApiEnabled", "ViewAllData", "ManageUsers"}},
			{Name: "Minimum Access - API Only Integrations", UserLicense: "Salesforce Integration", Permissions: []string{"ApiEnabled", "ApiUserOnly"}},
		},
		Users: []emulator.SeedUser{
			{Username: "admin@acme.example", LastName: "Admin", Profile: "System Administrator", Password: "Adm1n-Passw0rd!"},
			{Username: "billing@acme.example", LastName: "Billing", Profile: "Minimum Access - API Only Integrations", Password: "B1lling-Passw0rd!"},
		},
		ConnectedApps: []emulator.SeedConnectedApp{
			{Name: "Warden", ConsumerKey: "warden-key", ConsumerSecret: "warden-secret", ClientCredentialsUser: "admin@acme.example"},
			{Name: "Billing", ConsumerKey: "billing-key", ConsumerSecret: "billing-secret", ClientCredentialsUser: "billing@acme.example"},
		},
	}}}
	srv, err := emulator.New(seed, emulator.Options{})
	if err != nil {
		panic(err)
	}
	return httptest.NewServer(srv)
}

func ExampleNew() {
	ts := exampleEmulator()
	defer ts.Close()

	c := salesforce.New(salesforce.Config{LoginURL: ts.URL})
	tok, err := c.ClientCredentials(context.Background(), "billing-key", "billing-secret")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.InstanceURL == ts.URL, tok.OrgID == tok.AccessToken[:18])

	_, err = c.ClientCredentials(context.Background(), "billing-key", "wrong-secret")
	var se *salesforce.Error
	if errors.As(err, &se) {
		fmt.Println(se.Code, "|", se.Message, "|", se.Cause, se.Permanent(), warden.ErrorKind(err))
	}
	// Output:
	// true true
	// invalid_client | invalid client credentials | credential_rejected true unauthorized
}

func ExampleSession_Query() {
	ts := exampleEmulator()
	defer ts.Close()

	c := salesforce.New(salesforce.Config{LoginURL: ts.URL})
	s := salesforce.NewSession(c, &salesforce.ClientCredentialsAuth{Client: c, ClientID: "warden-key", ClientSecret: "warden-secret"})
	res, err := s.Query(context.Background(), "SELECT Username, IsActive, Profile.Name FROM User ORDER BY Username", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res.Records {
		fmt.Println(r.String("Username"), r.Bool("IsActive"), r.String("Profile.Name"))
	}
	used, max, _ := s.APIUsage()
	fmt.Printf("API usage %d/%d\n", used, max)
	// Output:
	// admin@acme.example true System Administrator
	// billing@acme.example true Minimum Access - API Only Integrations
	// API usage 1/100000
}

func ExampleDiagnose() {
	ts := exampleEmulator()
	defer ts.Close()
	ctx := context.Background()

	c := salesforce.New(salesforce.Config{LoginURL: ts.URL})
	monitor := salesforce.NewSession(c, &salesforce.ClientCredentialsAuth{Client: c, ClientID: "warden-key", ClientSecret: "warden-secret"})
	// An admin freezes the billing integration user.
	billing, _ := monitor.Query(ctx, "SELECT Id FROM UserLogin WHERE User.Username = 'billing@acme.example'", nil)
	if err := monitor.UpdateSObject(ctx, "UserLogin", billing.Records[0].ID(), map[string]bool{"IsFrozen": true}); err != nil {
		fmt.Println(err)
		return
	}

	// Salesforce only says "authentication failure"...
	_, err := c.ClientCredentials(ctx, "billing-key", "billing-secret")
	var se *salesforce.Error
	errors.As(err, &se)
	fmt.Println(se.Code, "|", se.Message, "|", se.Cause)

	// ... Diagnose finds out why.
	err = salesforce.Diagnose(ctx, monitor, "billing@acme.example", err)
	errors.As(err, &se)
	fmt.Println(se.Code, "|", se.Cause)
	// Output:
	// invalid_grant | authentication failure | credential_rejected
	// invalid_grant | user_frozen
}

func ExampleBatch() {
	ts := exampleEmulator()
	defer ts.Close()
	ctx := context.Background()

	c := salesforce.New(salesforce.Config{LoginURL: ts.URL})
	s := salesforce.NewSession(c, &salesforce.ClientCredentialsAuth{Client: c, ClientID: "warden-key", ClientSecret: "warden-secret"})
	names := salesforce.QuoteList([]string{"billing@acme.example"})
	// Two typed readers, one composite request.
	var b salesforce.Batch
	users := salesforce.Users("WHERE Username IN "+names).AddTo(&b, "users")
	grants := salesforce.PermissionSetAssignments([]string{"ApiEnabled", "ModifyAllData"}, "WHERE Assignee.Username IN "+names).AddTo(&b, "grants")
	if err := b.Send(ctx, s); err != nil {
		fmt.Println(err)
		return
	}
	for _, u := range users.Records {
		fmt.Println(u.Username, u.IsActive, u.ProfileName, u.UserLicense)
	}
	for _, g := range grants.Records {
		fmt.Println(g.PermissionSet.IsOwnedByProfile, g.PermissionSet.ProfileName, g.PermissionSet.Permissions)
	}
	fmt.Println("requests:", b.Requests())

	// A reader also runs on its own.
	logins, _ := salesforce.UserLogins("WHERE UserId = "+salesforce.Quote(users.Records[0].ID)).Read(ctx, s)
	fmt.Println("frozen:", logins[0].IsFrozen)
	// Output:
	// billing@acme.example true Minimum Access - API Only Integrations Salesforce Integration
	// true Minimum Access - API Only Integrations map[ApiEnabled:true]
	// requests: 1
	// frozen: false
}
