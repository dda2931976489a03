package salesforce_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/salesforce"
)

// TestLoginStatusCause maps every login status either of the two former
// tables (salesforce's historyCause and the monitor's fromLogins) knew,
// in the spellings Salesforce uses.
func TestLoginStatusCause(t *testing.T) {
	tests := []struct {
		status string
		want   warden.Cause
	}{
		{"User is Inactive", warden.CauseUserDeactivated},
		{"User is Frozen", warden.CauseUserFrozen},
		{"User Is Frozen", warden.CauseUserFrozen},
		{"Password Lockout", warden.CausePasswordLocked},
		{"Password Expired", warden.CausePasswordExpired},
		{"Failed: Password Expired", warden.CausePasswordExpired},
		{"Login Rate Exceeded", warden.CauseLoginRateExceeded},
		{"Invalid Password", warden.CauseCredentialRejected},
		{"Invalid login", warden.CauseCredentialRejected},
		{"Failed: API security token required", warden.CauseSecurityTokenRequired},
		{"Failed: OAuth Consumer Not Approved", warden.CauseAppNotApproved},
		{"Restricted IP", warden.CauseIPOrHoursRestricted},
		{"Restricted time", warden.CauseIPOrHoursRestricted},
		{"Failed: IP Address Not Allowed", warden.CauseIPOrHoursRestricted},
		{"Failed: API Disabled", warden.CauseAPIPermissionMissing},
		{"Failed: OAuth API access disabled", warden.CauseAPIPermissionMissing},
		{"Username-Password Flow Disabled", warden.CauseLegacyAuthDisabled},
		{"  user is frozen ", warden.CauseUserFrozen},
		{"Success", warden.CauseNone},
		{"Multi-factor required", warden.CauseNone},
		{"", warden.CauseNone},
	}
	for _, tt := range tests {
		if got := salesforce.LoginStatusCause(tt.status); got != tt.want {
			t.Errorf("LoginStatusCause(%q) = %q, want %q", tt.status, got, tt.want)
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"int@acme.example", `'int@acme.example'`},
		{`o'brien\x`, `'o\'brien\\x'`},
		{"a\nb\tc\r", `'a\nb\tc\r'`},
		{"@{user.records[0].Id}", `'@{user.records[0].Id}'`},
		{"", `''`},
	}
	for _, tt := range tests {
		if got := salesforce.Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	if got := salesforce.QuoteList([]string{"a", "b'c"}); got != `('a','b\'c')` {
		t.Errorf("QuoteList = %s", got)
	}
	if got := salesforce.DateTime(time.Date(2026, 1, 2, 16, 4, 5, 0, time.FixedZone("CET", 3600))); got != "2026-01-02T15:04:05Z" {
		t.Errorf("DateTime = %s", got)
	}
}

// TestReadersInOneBatch reads every kind of record in one composite
// request and checks what each reader decodes.
func TestReadersInOneBatch(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	s := e.admin()
	e.patchUser(integUser, map[string]any{"frozen": true})
	integID := e.userID(integUser)
	if _, err := e.c.JWTBearer(ctx, e.jwtGrant(adminUser)); err != nil { // a LoginHistory row
		t.Fatal(err)
	}
	before := e.usage().APIRequests
	names := salesforce.QuoteList([]string{integUser, adminUser, `o'brien@acme.example`})
	perms := []string{"ApiEnabled", "ApiUserOnly", "ModifyAllData"}
	var b salesforce.Batch
	users := salesforce.Users("WHERE Username IN "+names+" ORDER BY Username").AddTo(&b, "users")
	logins := salesforce.UserLogins("WHERE UserId = "+salesforce.Quote(integID)).AddTo(&b, "userLogins")
	grants := salesforce.PermissionSetAssignments(perms, "WHERE Assignee.Username = "+salesforce.Quote(integUser)).AddTo(&b, "grants")
	sets := salesforce.PermissionSets(perms, "WHERE IsOwnedByProfile = true AND Profile.Name = 'Minimum Access - API Only Integrations'").AddTo(&b, "profiles")
	objects := salesforce.ObjectPermissions("WHERE ParentId IN (SELECT PermissionSetId FROM PermissionSetAssignment WHERE Assignee.Username = "+
		salesforce.Quote(integUser)+") AND SobjectType = 'Account'").AddTo(&b, "objects")
	history := salesforce.LoginHistory("WHERE LoginTime >= "+salesforce.DateTime(time.Now().Add(-time.Hour))+" ORDER BY LoginTime DESC").AddTo(&b, "history")
	audit := salesforce.SetupAuditTrail("ORDER BY CreatedDate DESC LIMIT 50").AddTo(&b, "audit")
	tokens := salesforce.OAuthTokens("").AddTo(&b, "tokens")
	apps := salesforce.ConnectedApps("ORDER BY Name").AddTo(&b, "apps")
	psls := salesforce.PermissionSetLicenses("").AddTo(&b, "psls")
	pslAssigns := salesforce.PermissionSetLicenseAssignments("WHERE Assignee.Username = "+salesforce.Quote(integUser)).AddTo(&b, "pslAssigns")
	if b.Len() != 11 {
		t.Fatalf("Len = %d", b.Len())
	}
	if err := b.Send(ctx, s); err != nil {
		t.Fatalf("Send: %+v", err)
	}
	if n := e.usage().APIRequests - before; n != 1 || b.Requests() != 1 {
		t.Errorf("the batch used %d API requests (it says %d), want 1", n, b.Requests())
	}
	for ref, err := range map[string]error{"users": users.Err, "userLogins": logins.Err, "grants": grants.Err, "profiles": sets.Err,
		"objects": objects.Err, "history": history.Err, "audit": audit.Err, "tokens": tokens.Err, "apps": apps.Err, "psls": psls.Err, "pslAssigns": pslAssigns.Err} {
		if err != nil {
			t.Errorf("%s: %+v", ref, err)
		}
	}

	if len(users.Records) != 2 || users.Total != 2 {
		t.Fatalf("users: %+v", users)
	}
	u := users.Records[1]
	if u.Username != integUser || u.ID != integID || !u.IsActive || u.Name != "Invoice Integration" || u.ProfileID == "" ||
		u.ProfileName != "Minimum Access - API Only Integrations" || u.UserLicense != "Salesforce Integration" || u.UserLicenseKey == "" {
		t.Errorf("user: %+v", u)
	}
	if len(logins.Records) != 1 || l(logins.Records[0]) != fmt.Sprintf("%s frozen=true locked=false", integID) || logins.Records[0].ID == "" {
		t.Errorf("user logins: %+v", logins.Records)
	}

	var profile, set *salesforce.PermissionSetAssignment
	for i, g := range grants.Records {
		if g.AssigneeID != integID || g.AssigneeUsername != integUser || g.ID == "" || g.PermissionSetID == "" || g.PermissionSet.ID != g.PermissionSetID {
			t.Errorf("grant: %+v", g)
		}
		if g.PermissionSet.IsOwnedByProfile {
			profile = &grants.Records[i]
		} else {
			set = &grants.Records[i]
		}
	}
	if profile == nil || profile.PermissionSet.ProfileName != "Minimum Access - API Only Integrations" || profile.PermissionSet.ProfileID == "" ||
		!profile.PermissionSet.Permissions["ApiEnabled"] || !profile.PermissionSet.Permissions["ApiUserOnly"] || profile.PermissionSet.Permissions["ModifyAllData"] {
		t.Errorf("profile grant: %+v", profile)
	}
	if set == nil || set.PermissionSet.Name != "Integration_Access" || set.PermissionSet.Type != "Regular" || len(set.PermissionSet.Permissions) != 1 ||
		!set.PermissionSet.Permissions["ApiEnabled"] {
		t.Errorf("permission set grant: %+v", set)
	}
	if len(sets.Records) != 1 || sets.Records[0].ProfileUserLicense != "Salesforce Integration" || !sets.Records[0].IsOwnedByProfile ||
		sets.Records[0].ID != profile.PermissionSetID {
		t.Errorf("profile permission sets: %+v", sets.Records)
	}
	if len(objects.Records) != 1 || o(objects.Records[0]) != "Account read create edit delete" || objects.Records[0].ParentID != set.PermissionSetID {
		t.Errorf("object permissions: %+v", objects.Records)
	}

	var admin *warden.Login
	for i, h := range history.Records {
		if h.UserID == e.userID(adminUser) {
			admin = &history.Records[i]
			break
		}
	}
	if admin == nil || admin.ID == "" || !admin.Succeeded() || admin.Time.IsZero() || time.Since(admin.Time) > time.Hour ||
		admin.LoginType != "Remote Access 2.0" || admin.SourceIP == "" || admin.APIType == "" || admin.LoginURL == "" {
		t.Errorf("login history: %+v", admin)
	}
	frozen := false
	for _, c := range audit.Records {
		if c.Action == "frozeuser" {
			frozen = true
			if c.ID == "" || c.Time.IsZero() || c.By == "" || c.ByID == "" || !strings.Contains(c.Display, integUser) || c.Section == "" {
				t.Errorf("audit row: %+v", c)
			}
		}
	}
	if !frozen {
		t.Errorf("no frozeuser row in the setup audit trail: %+v", audit.Records)
	}
	var seeded bool
	for _, tk := range tokens.Records {
		if tk.UserID == e.userID(adminUser) && tk.AppName == "Warden" && tk.ID != "" && !tk.Created.IsZero() {
			seeded = true
		}
	}
	if !seeded {
		t.Errorf("OAuth tokens: %+v", tokens.Records)
	}
	if len(apps.Records) != 3 || apps.Records[0].Name != "Approved Only" || !apps.Records[0].AdminApprovedUsersOnly || apps.Records[0].RefreshTokenValidityMetric == "" {
		t.Errorf("connected apps: %+v", apps.Records)
	}
	if len(psls.Records) == 0 || psls.Records[0].ID == "" || psls.Records[0].DeveloperName == "" || psls.Records[0].MasterLabel == "" {
		t.Errorf("permission set licences: %+v", psls.Records)
	}
	for _, a := range pslAssigns.Records {
		if a.AssigneeID != integID || a.PermissionSetLicenseID == "" || a.LicenseLabel == "" {
			t.Errorf("licence assignment: %+v", a)
		}
	}
}

func l(u salesforce.UserLogin) string {
	return fmt.Sprintf("%s frozen=%t locked=%t", u.UserID, u.IsFrozen, u.IsPasswordLocked)
}

func o(p salesforce.ObjectPermission) string {
	out := p.Object
	for _, a := range []struct {
		on   bool
		name string
	}{{p.Read, "read"}, {p.Create, "create"}, {p.Edit, "edit"}, {p.Delete, "delete"}, {p.ViewAllRecords, "viewall"}, {p.ModifyAllRecords, "modifyall"}} {
		if a.on {
			out += " " + a.name
		}
	}
	return out
}

// TestReaderPaging reads a result of more than one page on its own and in
// a batch: both follow nextRecordsUrl, a request per further page.
func TestReaderPaging(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	e.control(http.MethodPost, "orgs/"+orgName+"/users/"+pagingUser+"/logins", map[string]any{"count": 2500, "status": "Invalid Password"})
	s := e.admin()
	s.Token(ctx)
	history := salesforce.LoginHistory("WHERE UserId = " + salesforce.Quote(e.userID(pagingUser)))

	before := e.usage().APIRequests
	rows, err := history.Read(ctx, s)
	if err != nil || len(rows) != 2500 {
		t.Fatalf("Read: %d rows, %+v", len(rows), err)
	}
	if n := e.usage().APIRequests - before; n != 2 {
		t.Errorf("Read used %d requests, want 2 (two pages of up to 2000)", n)
	}
	ids := map[string]bool{}
	for _, r := range rows {
		ids[r.ID] = true
		if r.Status != "Invalid Password" || r.Succeeded() {
			t.Fatalf("row %+v", r)
		}
	}
	if len(ids) != 2500 {
		t.Errorf("%d distinct ids, want 2500", len(ids))
	}

	var b salesforce.Batch
	var progress []string
	b.Progress = func(ref string, read, total int) {
		progress = append(progress, fmt.Sprintf("%s %d/%d", ref, read, total))
	}
	paged := history.AddTo(&b, "history")
	users := salesforce.Users("WHERE Username = "+salesforce.Quote(pagingUser)).AddTo(&b, "users")
	before = e.usage().APIRequests
	if err := b.Send(ctx, s); err != nil {
		t.Fatal(err)
	}
	if n := e.usage().APIRequests - before; n != 2 || b.Requests() != 2 {
		t.Errorf("the batch used %d requests (it says %d), want 2", n, b.Requests())
	}
	if paged.Err != nil || len(paged.Records) != 2500 || paged.Total != 2500 || len(users.Records) != 1 {
		t.Errorf("batch: %d history rows of %d (%v), %d users", len(paged.Records), paged.Total, paged.Err, len(users.Records))
	}
	if strings.Join(progress, ",") != "history 2000/2500" {
		t.Errorf("progress: %q", progress)
	}
}

// TestBatchPartialFailure keeps a subrequest's failure to its own rows.
func TestBatchPartialFailure(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	// The integration user lacks Manage Users: no UserLogin, no LoginHistory.
	var b salesforce.Batch
	users := salesforce.Users("WHERE Username = "+salesforce.Quote(integUser)).AddTo(&b, "users")
	logins := salesforce.UserLogins("").AddTo(&b, "logins")
	bad := salesforce.PermissionSets([]string{"NoSuchPermission"}, "").AddTo(&b, "bad")
	if err := b.Send(ctx, e.jwtSession(integUser)); err != nil {
		t.Fatal(err)
	}
	if users.Err != nil || len(users.Records) != 1 {
		t.Errorf("users: %+v", users)
	}
	if logins.Err == nil || logins.Records != nil {
		t.Errorf("UserLogin without Manage Users: %+v", logins)
	}
	if se := sfError(t, bad.Err); se.Code != "INVALID_FIELD" || !strings.Contains(se.Message, "PermissionsNoSuchPermission") {
		t.Errorf("unknown field: %+v", se)
	}
	// A whole failed call is Send's error.
	e.fault(emulator.Fault{Path: "/services/data/", Kind: "status", Status: 503, Count: 10})
	var b2 salesforce.Batch
	salesforce.Users("").AddTo(&b2, "users")
	if err := b2.Send(ctx, e.admin()); err == nil {
		t.Error("Send succeeded against a failing org")
	}
}

// TestPagingStopsAtEmptyPage serves a result that claims more pages but
// sends an empty one: the paging loop stops there, in a batch and alone.
func TestPagingStopsAtEmptyPage(t *testing.T) {
	var pages atomic.Int32
	const row = `{"attributes":{"type":"User"},"Id":"005000000000001AAA","Username":"a@x.example","IsActive":true}`
	mux := http.NewServeMux()
	mux.HandleFunc("POST /services/data/v62.0/composite", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"compositeResponse":[{"referenceId":"users","httpStatusCode":200,"httpHeaders":{},
			"body":{"totalSize":5,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01g-1","records":[%s]}}]}`, row)
	})
	mux.HandleFunc("GET /services/data/v62.0/query", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"totalSize":5,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01g-1","records":[%s]}`, row)
	})
	mux.HandleFunc("GET /services/data/v62.0/query/01g-1", func(w http.ResponseWriter, r *http.Request) {
		pages.Add(1)
		fmt.Fprint(w, `{"totalSize":5,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01g-1","records":[]}`)
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()
	c := salesforce.New(salesforce.Config{LoginURL: ts.URL, HTTPClient: ts.Client()})
	s := salesforce.NewSession(c, salesforce.AuthFunc(func(context.Context) (*salesforce.Token, error) {
		return &salesforce.Token{AccessToken: "00D000000000001!fake", InstanceURL: ts.URL}, nil
	}))
	ctx := testCtx(t)
	var b salesforce.Batch
	users := salesforce.Users("").AddTo(&b, "users")
	if err := b.Send(ctx, s); err != nil {
		t.Fatal(err)
	}
	if len(users.Records) != 1 || users.Records[0].Username != "a@x.example" || users.Total != 5 || b.Requests() != 2 || pages.Load() != 1 {
		t.Errorf("batch: %+v, %d requests, %d next pages", users, b.Requests(), pages.Load())
	}
	rows, err := salesforce.Users("").Read(ctx, s)
	if err != nil || len(rows) != 1 || pages.Load() != 2 {
		t.Errorf("Read: %+v %v, %d next pages", rows, err, pages.Load())
	}
}
