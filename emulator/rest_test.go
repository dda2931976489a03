package emulator_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
)

func TestVersionsAndResources(t *testing.T) {
	e := start(t)
	var versions []struct{ Label, URL, Version string }
	e.do("GET", "/services/data/", "", nil).json(t, &versions)
	if len(versions) < 30 || versions[len(versions)-1].Version != "66.0" || versions[len(versions)-1].URL != "/services/data/v66.0" {
		t.Fatalf("versions: %v", versions[len(versions)-1])
	}
	tok := e.admin()
	res := e.do("GET", "/services/data/v62.0/", tok, nil).object(t)
	if res["query"] != "/services/data/v62.0/query" || !strings.HasPrefix(res["identity"].(string), e.URL+"/id/") {
		t.Errorf("resources: %v", res)
	}
	for path, want := range map[string]int{"/services/data/v25.0/limits": 410, "/services/data/v99.0/limits": 404, "/services/data/v62.0/nope": 404, "/services/data/v62.0/sobjects/Nope": 404} {
		r := e.do("GET", path, tok, nil)
		if r.status != want {
			t.Errorf("%s: %d, want %d", path, r.status, want)
		}
		restErr(t, r)
	}
	r := e.do("GET", "/services/data/v62.0/limits", "", nil)
	if code, _ := restErr(t, r); r.status != 401 || code != "INVALID_SESSION_ID" {
		t.Errorf("no token: %d %s", r.status, r.body)
	}
}

func TestQueryAndErrors(t *testing.T) {
	e := start(t)
	tok := e.admin()
	m := e.query(tok, "SELECT Username, Profile.Name, IsActive FROM User WHERE Profile.Name LIKE 'Minimum%' ORDER BY Username")
	recs := records(m)
	if len(recs) != 1 || recs[0]["Username"] != intUser || recs[0]["Profile"].(map[string]any)["Name"] != "Minimum Access - API Only Integrations" {
		t.Fatalf("query: %v", m)
	}
	attrs := recs[0]["attributes"].(map[string]any)
	if attrs["type"] != "User" || !strings.HasPrefix(attrs["url"].(string), "/services/data/v62.0/sobjects/User/005") {
		t.Errorf("attributes: %v", attrs)
	}
	m = e.query(tok, "SELECT Assignee.Username, PermissionSet.Name FROM PermissionSetAssignment WHERE PermissionSet.IsOwnedByProfile = false")
	if m["totalSize"].(float64) != 1 {
		t.Errorf("assignments: %v", m)
	}
	m = e.query(tok, "SELECT COUNT() FROM User WHERE Id IN (SELECT AssigneeId FROM PermissionSetAssignment WHERE PermissionSet.Name = 'Invoice_API')")
	if m["totalSize"].(float64) != 1 || len(m["records"].([]any)) != 0 {
		t.Errorf("count with semi-join: %v", m)
	}
	m = e.query(tok, "SELECT SobjectType, PermissionsRead, PermissionsEdit FROM ObjectPermissions WHERE Parent.Name = 'Invoice_API' ORDER BY SobjectType")
	if recs := records(m); len(recs) != 2 || recs[1]["SobjectType"] != "Invoice__c" || recs[1]["PermissionsEdit"] != true {
		t.Errorf("object permissions: %v", m)
	}
	bad := []struct{ soql, code, contains string }{
		{"SELECT Id FRM User", "MALFORMED_QUERY", "unexpected token: 'FRM'"},
		{"SELECT Nope FROM User", "INVALID_FIELD", "No such column 'Nope' on entity 'User'"},
		{"SELECT Id FROM Nope", "INVALID_TYPE", "sObject type 'Nope' is not supported"},
		{"", "MALFORMED_QUERY", "SOQL statements cannot be empty or null"},
	}
	for _, b := range bad {
		r := e.do("GET", "/services/data/v62.0/query?q="+url.QueryEscape(b.soql), tok, nil)
		code, msg := restErr(t, r)
		if r.status != 400 || code != b.code || !strings.Contains(msg, b.contains) {
			t.Errorf("%q: %d %s %q", b.soql, r.status, code, msg)
		}
	}
	// A user without Manage Users cannot see LoginHistory: it does not exist for them.
	intTok := e.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {appKey}, "client_secret": {appSecret}}).object(t)["access_token"].(string)
	r := e.do("GET", "/services/data/v62.0/query?q="+url.QueryEscape("SELECT Id FROM LoginHistory"), intTok, nil)
	if code, _ := restErr(t, r); code != "INVALID_TYPE" {
		t.Errorf("LoginHistory for an integration user: %s", r.body)
	}
	// Object permissions are enforced: Read on Account yes, Contact no.
	if r := e.do("GET", "/services/data/v62.0/query?q="+url.QueryEscape("SELECT Id FROM Account"), intTok, nil); r.status != 200 {
		t.Errorf("Account read: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/services/data/v62.0/query?q="+url.QueryEscape("SELECT Id FROM Contact"), intTok, nil); r.status != 400 {
		t.Errorf("Contact without access: %d %s", r.status, r.body)
	}
}

func bigSeed(t *testing.T, n int) *emulator.Seed {
	s := testSeed(t)
	for i := 0; i < n; i++ {
		s.Orgs[0].Users = append(s.Orgs[0].Users, emulator.SeedUser{Username: fmt.Sprintf("u%04d@acme.test", i), LastName: "U", Profile: "Minimum Access - API Only Integrations", Password: "x"})
	}
	return s
}

func TestQueryPaging(t *testing.T) {
	e := &env{t: t, Emulator: emulatortest.Start(t, bigSeed(t, 500))}
	tok := e.admin()
	r := e.do("GET", "/services/data/v62.0/query?q="+url.QueryEscape("SELECT Id, Username FROM User ORDER BY Username"), tok, nil, "Sforce-Query-Options", "batchSize=200")
	m := r.object(t)
	seen := len(m["records"].([]any))
	if m["totalSize"].(float64) != 504 || m["done"] != false || seen != 200 {
		t.Fatalf("first page: total %v done %v n %d", m["totalSize"], m["done"], seen)
	}
	pages := 1
	for m["done"] == false {
		next := m["nextRecordsUrl"].(string)
		// jsforce rebuilds the URL from the last segment with its own version.
		locator := next[strings.LastIndex(next, "/")+1:]
		m = e.do("GET", "/services/data/v58.0/query/"+locator, tok, nil).object(t)
		seen += len(m["records"].([]any))
		pages++
	}
	if seen != 504 || pages != 3 {
		t.Errorf("saw %d records in %d pages", seen, pages)
	}
	if r := e.do("GET", "/services/data/v62.0/query/01gBOGUS-200", tok, nil); r.status != 400 {
		t.Errorf("bad locator: %d", r.status)
	}
	if m := e.do("GET", "/services/data/v62.0/queryAll?q="+url.QueryEscape("SELECT COUNT() FROM User"), tok, nil).object(t); m["totalSize"].(float64) != 504 {
		t.Errorf("queryAll: %v", m)
	}
}

func TestSObjectCRUDAndAudit(t *testing.T) {
	e := start(t)
	tok := e.admin()
	base := "/services/data/v62.0/sobjects/"
	// Create, read, update, delete a business record.
	r := e.do("POST", base+"Account", tok, map[string]any{"Name": "Globex", "Industry": "Energy", "NumberOfEmployees": 50})
	created := r.object(t)
	if r.status != 201 || created["success"] != true {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := created["id"].(string)
	got := e.do("GET", base+"Account/"+id, tok, nil).object(t)
	if got["Name"] != "Globex" || got["NumberOfEmployees"].(float64) != 50 {
		t.Errorf("get: %v", got)
	}
	if r := e.do("PATCH", base+"Account/"+id, tok, map[string]any{"Name": "Globex Corp"}); r.status != 204 || len(r.body) != 0 {
		t.Errorf("patch: %d %q", r.status, r.body)
	}
	if got := e.do("GET", base+"Account/"+id+"?fields=Name", tok, nil).object(t); got["Name"] != "Globex Corp" || got["Industry"] != nil {
		t.Errorf("fields=: %v", got)
	}
	if r := e.do("DELETE", base+"Account/"+id, tok, nil); r.status != 204 {
		t.Errorf("delete: %d", r.status)
	}
	if r := e.do("GET", base+"Account/"+id, tok, nil); r.status != 404 {
		t.Errorf("deleted record: %d", r.status)
	}
	// Describe.
	d := e.do("GET", base+"User/describe", tok, nil).object(t)
	if d["name"] != "User" || len(d["fields"].([]any)) < 20 {
		t.Errorf("describe: %v", d["name"])
	}
	// Admin changes through REST write the setup audit trail.
	user := records(e.query(tok, "SELECT Id FROM User WHERE Username = '"+intUser+"'"))[0]["Id"].(string)
	login := records(e.query(tok, "SELECT Id FROM UserLogin WHERE UserId = '"+user+"'"))[0]["Id"].(string)
	if r := e.do("PATCH", base+"UserLogin/"+login, tok, map[string]any{"IsFrozen": true}); r.status != 204 {
		t.Fatalf("freeze: %d %s", r.status, r.body)
	}
	if r := e.do("PATCH", base+"UserLogin/"+login, tok, map[string]any{"IsPasswordLocked": true}); r.status != 400 {
		t.Errorf("locking through the API must fail: %d", r.status)
	}
	if r := e.do("PATCH", base+"User/"+user, tok, map[string]any{"IsActive": false, "FirstName": "Old"}); r.status != 204 {
		t.Fatalf("deactivate: %d %s", r.status, r.body)
	}
	ps := records(e.query(tok, "SELECT Id FROM PermissionSet WHERE Name = 'Extra'"))[0]["Id"].(string)
	r = e.do("POST", base+"PermissionSetAssignment", tok, map[string]any{"AssigneeId": user, "PermissionSetId": ps})
	if r.status != 201 {
		t.Fatalf("assign: %d %s", r.status, r.body)
	}
	if r := e.do("POST", base+"PermissionSetAssignment", tok, map[string]any{"AssigneeId": user, "PermissionSetId": ps}); r.status != 400 {
		t.Errorf("duplicate assignment: %d", r.status)
	}
	if r := e.do("DELETE", base+"PermissionSetAssignment/"+r.object(t)["id"].(string), tok, nil); r.status != 204 {
		t.Errorf("unassign: %d %s", r.status, r.body)
	}
	if r := e.do("PATCH", base+"PermissionSet/"+ps, tok, map[string]any{"PermissionsApiEnabled": true}); r.status != 204 {
		t.Errorf("enable perm: %d %s", r.status, r.body)
	}
	var actions []string
	for _, row := range records(e.query(tok, "SELECT Action FROM SetupAuditTrail ORDER BY CreatedDate")) {
		actions = append(actions, row["Action"].(string))
	}
	want := "frozeuser,deactivateduser,PermSetAssign,PermSetUnassign,PermSetEnableUserPerm"
	if strings.Join(actions, ",") != want {
		t.Errorf("audit actions %v, want %s", actions, want)
	}
	// Validation errors have the real shape.
	r = e.do("POST", base+"User", tok, map[string]any{"Username": "x@acme.test"})
	if code, msg := restErr(t, r); code != "REQUIRED_FIELD_MISSING" || !strings.Contains(msg, "LastName") {
		t.Errorf("missing fields: %s", r.body)
	}
	r = e.do("PATCH", base+"User/"+user, tok, map[string]any{"Bogus": 1})
	if code, _ := restErr(t, r); code != "INVALID_FIELD" {
		t.Errorf("unknown field: %s", r.body)
	}
	r = e.do("POST", base+"LoginHistory", tok, map[string]any{"Status": "x"})
	if code, _ := restErr(t, r); r.status != 400 || code != "INVALID_TYPE_FOR_OPERATION" {
		t.Errorf("insert LoginHistory: %s", r.body)
	}
	for _, body := range []string{"{", "[1,2]", "nope"} {
		req, _ := http.NewRequest("POST", e.URL+base+"Account", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := e.HTTP.Do(req)
		if err != nil || resp.StatusCode != 400 {
			t.Errorf("malformed %q: %v %v", body, err, resp.StatusCode)
		}
		resp.Body.Close()
	}
}

func TestPasswordResource(t *testing.T) {
	e := start(t)
	tok := e.admin()
	user := records(e.query(tok, "SELECT Id FROM User WHERE Username = '"+intUser+"'"))[0]["Id"].(string)
	path := "/services/data/v62.0/sobjects/User/" + user + "/password"
	if m := e.do("GET", path, tok, nil).object(t); m["isExpired"] != false {
		t.Errorf("GET: %v", m)
	}
	r := e.do("POST", path, tok, map[string]string{"NewPassword": "abc"})
	if code, _ := restErr(t, r); code != "INVALID_NEW_PASSWORD" {
		t.Errorf("weak password: %s", r.body)
	}
	if r := e.do("POST", path, tok, map[string]string{"NewPassword": "Brand-New-Passw0rd"}); r.status != 204 {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	r = e.do("DELETE", path, tok, nil)
	tmp, _ := r.object(t)["NewPassword"].(string)
	if r.status != 200 || tmp == "" {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	if m := e.do("GET", path, tok, nil).object(t); m["isExpired"] != true {
		t.Errorf("after reset the password is expired: %v", m)
	}
	var mail []struct{ Subject, Body, Password, SecurityToken string }
	e.Control(t, "GET", "mailbox/"+intUser, nil, &mail)
	if len(mail) != 2 || mail[1].Password != tmp || !strings.Contains(mail[1].Body, tmp) || !strings.Contains(mail[1].Body, mail[1].SecurityToken) {
		t.Errorf("mailbox: %+v", mail)
	}
	intTok := e.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {appKey}, "client_secret": {appSecret}}).object(t)
	if access, ok := intTok["access_token"].(string); ok {
		admin := records(e.query(tok, "SELECT Id FROM User WHERE Username = '"+adminUser+"'"))[0]["Id"].(string)
		r := e.do("GET", "/services/data/v62.0/sobjects/User/"+admin+"/password", access, nil)
		if code, msg := restErr(t, r); r.status != 403 || code != "INSUFFICIENT_ACCESS" || msg != "You do not have permission to view this record." {
			t.Errorf("non-admin: %d %s", r.status, r.body)
		}
	}
}

func TestComposite(t *testing.T) {
	e := start(t)
	tok := e.admin()
	before := e.Usage(t, "Acme").APIRequests
	body := map[string]any{"allOrNone": false, "compositeRequest": []map[string]any{
		{"method": "GET", "url": "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id, IsActive FROM User"), "referenceId": "users"},
		{"method": "GET", "url": "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT UserId, IsFrozen FROM UserLogin"), "referenceId": "logins"},
		{"method": "POST", "url": "/services/data/v62.0/sobjects/Account", "referenceId": "acct", "body": map[string]any{"Name": "Ref"}},
		{"method": "GET", "url": "/services/data/v62.0/sobjects/Account/@{acct.id}?fields=Name", "referenceId": "read"},
		{"method": "GET", "url": "/services/data/v62.0/query?q=bogus", "referenceId": "bad"},
	}}
	r := e.do("POST", "/services/data/v62.0/composite", tok, body)
	var out struct {
		CompositeResponse []struct {
			Body           any
			HTTPStatusCode int
			ReferenceID    string
		}
	}
	r.json(t, &out)
	codes := []int{}
	for _, c := range out.CompositeResponse {
		codes = append(codes, c.HTTPStatusCode)
	}
	if r.status != 200 || fmt.Sprint(codes) != "[200 200 201 200 400]" {
		t.Fatalf("composite: %v %s", codes, r.body)
	}
	if out.CompositeResponse[3].Body.(map[string]any)["Name"] != "Ref" {
		t.Errorf("reference resolution: %v", out.CompositeResponse[3].Body)
	}
	if used := e.Usage(t, "Acme").APIRequests - before; used != 1 {
		t.Errorf("a composite call must count as one API request, counted %d", used)
	}
	// composite/batch and sObject collections.
	batch := e.do("POST", "/services/data/v62.0/composite/batch", tok, map[string]any{"haltOnError": true, "batchRequests": []map[string]any{
		{"method": "GET", "url": "v62.0/limits"}, {"method": "GET", "url": "v62.0/sobjects/Nope"}, {"method": "GET", "url": "v62.0/limits"}}}).object(t)
	results := batch["results"].([]any)
	if batch["hasErrors"] != true || results[2].(map[string]any)["statusCode"].(float64) != 412 {
		t.Errorf("batch: %v", batch)
	}
	coll := e.do("POST", "/services/data/v62.0/composite/sobjects", tok, map[string]any{"records": []map[string]any{
		{"attributes": map[string]string{"type": "Account"}, "Name": "A1"}, {"attributes": map[string]string{"type": "Account"}}}})
	var saves []struct {
		ID      string
		Success bool
	}
	coll.json(t, &saves)
	if len(saves) != 2 || !saves[0].Success || saves[1].Success {
		t.Fatalf("collection create: %s", coll.body)
	}
	got := e.do("GET", "/services/data/v62.0/composite/sobjects/Account?ids="+saves[0].ID+"&fields=Id,Name", tok, nil)
	if !strings.Contains(string(got.body), `"Name":"A1"`) {
		t.Errorf("collection retrieve: %s", got.body)
	}
	del := e.do("DELETE", "/services/data/v62.0/composite/sobjects?ids="+saves[0].ID, tok, nil)
	if !strings.Contains(string(del.body), `"success":true`) {
		t.Errorf("collection delete: %s", del.body)
	}
}

func TestLimitsAndAPIEnabled(t *testing.T) {
	e := start(t)
	tok := e.admin()
	r := e.do("GET", "/services/data/v62.0/limits", tok, nil)
	daily := r.object(t)["DailyApiRequests"].(map[string]any)
	if daily["Max"].(float64) != 1000 || r.header.Get("Sforce-Limit-Info") != fmt.Sprintf("api-usage=%d/1000", 1000-int(daily["Remaining"].(float64))) {
		t.Errorf("limits %v header %q", daily, r.header.Get("Sforce-Limit-Info"))
	}
	e.Control(t, "PATCH", "orgs/Acme/settings", map[string]any{"dailyApiRequests": 1}, nil)
	r = e.do("GET", "/services/data/v62.0/limits", tok, nil)
	if code, msg := restErr(t, r); r.status != 403 || code != "REQUEST_LIMIT_EXCEEDED" || msg != "TotalRequests Limit exceeded." {
		t.Errorf("exhausted: %d %s", r.status, r.body)
	}
	e.Control(t, "PATCH", "orgs/Acme/settings", map[string]any{"dailyApiRequests": 1000}, nil)
	e.Control(t, "PATCH", "orgs/Acme/permissionsets/Invoice_API", map[string]any{"permissions": map[string]bool{"ApiEnabled": false}}, nil)
	e.Control(t, "PATCH", "orgs/Acme/profiles/Minimum Access - API Only Integrations", map[string]any{"permissions": map[string]bool{"ApiEnabled": false}}, nil)
	intTok := e.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {appKey}, "client_secret": {appSecret}}).object(t)["access_token"].(string)
	r = e.do("GET", "/services/data/v62.0/limits", intTok, nil)
	if code, msg := restErr(t, r); r.status != 403 || code != "API_CURRENTLY_DISABLED" || msg != "API is disabled for this User" {
		t.Errorf("API disabled: %d %s", r.status, r.body)
	}
}

func TestQueryColumnsForSalesforceCLI(t *testing.T) {
	e := start(t)
	tok := e.admin()
	r := e.do("GET", "/services/data/v62.0/query?columns=true&q="+url.QueryEscape("SELECT Id, Username, Profile.Name, Profile.Id FROM User"), tok, nil)
	var out struct {
		ColumnMetadata []struct {
			ColumnName  string
			JoinColumns []struct{ ColumnName, DisplayName string }
		}
		EntityName string
		IDSelected bool `json:"idSelected"`
	}
	r.json(t, &out)
	if r.status != 200 || out.EntityName != "User" || !out.IDSelected || len(out.ColumnMetadata) != 3 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	prof := out.ColumnMetadata[2]
	if prof.ColumnName != "Profile" || len(prof.JoinColumns) != 2 || prof.JoinColumns[0].DisplayName != "Profile.Name" {
		t.Errorf("relationship column: %+v", prof)
	}
}

func TestQueryCacheSeesEveryChange(t *testing.T) {
	e := start(t)
	tok := e.admin()
	q := "SELECT IsFrozen FROM UserLogin WHERE UserId IN (SELECT Id FROM User WHERE Username = '" + intUser + "')"
	frozen := func() any { return records(e.query(tok, q))[0]["IsFrozen"] }
	if frozen() != false || frozen() != false {
		t.Fatal("initial state")
	}
	e.Control(t, "PATCH", "orgs/Acme/users/"+intUser, map[string]any{"frozen": true}, nil)
	if frozen() != true {
		t.Error("a cached answer hid a freeze")
	}
	n := e.query(tok, "SELECT COUNT() FROM LoginHistory")["totalSize"].(float64)
	e.admin() // a login writes a LoginHistory row
	if m := e.query(tok, "SELECT COUNT() FROM LoginHistory")["totalSize"].(float64); m != n+1 {
		t.Errorf("LoginHistory count %v after a login, want %v", m, n+1)
	}
}
