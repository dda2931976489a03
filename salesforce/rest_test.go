package salesforce_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

func TestVersions(t *testing.T) {
	e := newEnv(t)
	vs, err := e.c.Versions(testCtx(t))
	if err != nil {
		t.Fatalf("Versions: %+v", err)
	}
	found := false
	for _, v := range vs {
		if v.Version == salesforce.DefaultAPIVersion && v.URL == "/services/data/v62.0" && v.Label != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("Versions = %v, no 62.0", vs)
	}
	// Session.Versions needs no login and makes none.
	s := e.jwtSession(integUser)
	if _, err := s.Versions(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if n := len(e.rec.requests("/services/oauth2/token")); n != 0 {
		t.Errorf("Versions logged in (%d token requests)", n)
	}
}

func TestQueryPaging(t *testing.T) {
	e := newEnv(t)
	// 450 LoginHistory rows for one user: three pages of 200.
	e.control(http.MethodPost, "orgs/"+orgName+"/users/"+pagingUser+"/logins", map[string]int{"count": 450})
	s := e.admin()
	ctx := testCtx(t)
	soql := "SELECT Id, Status, LoginTime FROM LoginHistory WHERE UserId = '" + e.userID(pagingUser) + "'"
	res, err := s.Query(ctx, soql, &salesforce.QueryOptions{BatchSize: 200})
	if err != nil {
		t.Fatalf("Query: %+v", err)
	}
	if res.TotalSize != 450 || len(res.Records) != 450 {
		t.Fatalf("TotalSize %d, %d records; want 450, 450", res.TotalSize, len(res.Records))
	}
	ids := map[string]bool{}
	for _, r := range res.Records {
		ids[r.ID()] = true
		if r.Type() != "LoginHistory" || r.String("Status") != "Success" || r.Time("LoginTime").IsZero() {
			t.Fatalf("record %v: type %q status %q time %v", r, r.Type(), r.String("Status"), r.Time("LoginTime"))
		}
	}
	if len(ids) != 450 {
		t.Errorf("%d distinct ids, want 450 (pages overlap)", len(ids))
	}
	var pages, more int
	for _, r := range e.rec.requests("/services/data/") {
		if strings.Contains(r.Path, "/query") {
			pages++
			if strings.Contains(r.Path, "/query/") {
				more++
			}
		}
	}
	if pages != 3 || more != 2 {
		t.Errorf("%d query requests (%d nextRecordsUrl), want 3 (2)", pages, more)
	}

	// QueryAll pages the same way; QueryEach streams and can stop early.
	res, err = s.QueryAll(ctx, soql, &salesforce.QueryOptions{BatchSize: 200})
	if err != nil || len(res.Records) != 450 {
		t.Fatalf("QueryAll: %d records, %+v", len(res.Records), err)
	}
	n := 0
	stop := errors.New("enough")
	err = s.QueryEach(ctx, soql, &salesforce.QueryOptions{BatchSize: 200}, func(salesforce.Record) error {
		n++
		if n == 250 {
			return stop
		}
		return nil
	})
	if err != stop || n != 250 {
		t.Errorf("QueryEach: n=%d err=%v, want 250 and the callback's error", n, err)
	}

	// Typed results.
	type row struct {
		ID     string `json:"Id"`
		Status string `json:"Status"`
	}
	rows, err := salesforce.QueryInto[row](ctx, s, soql, nil)
	if err != nil || len(rows) != 450 || rows[0].ID == "" || rows[0].Status != "Success" {
		t.Fatalf("QueryInto: %d rows (%+v), %+v", len(rows), rows[:min(1, len(rows))], err)
	}

	// A bad query is a plain invalid error, not a health cause.
	_, err = s.Query(ctx, "SELECT FROM User", nil)
	se := sfError(t, err)
	if se.Code != "MALFORMED_QUERY" || se.Cause != warden.CauseNone || warden.ErrorKind(err) != warden.EINVALID || se.Transient() || se.Permanent() {
		t.Errorf("malformed query: %+v kind %s", err, warden.ErrorKind(err))
	}
}

func TestRecordAccessors(t *testing.T) {
	e := newEnv(t)
	s := e.admin()
	res, err := s.Query(testCtx(t), "SELECT Id, Username, IsActive, LastPasswordChangeDate, Profile.Name FROM User WHERE Username = '"+integUser+"'", nil)
	if err != nil || len(res.Records) != 1 {
		t.Fatalf("Query: %v %+v", res, err)
	}
	r := res.Records[0]
	if r.String("Profile.Name") != "Minimum Access - API Only Integrations" {
		t.Errorf("Profile.Name = %q", r.String("Profile.Name"))
	}
	if r.String("username") != integUser || !r.Bool("IsActive") || r.Time("LastPasswordChangeDate").IsZero() {
		t.Errorf("accessors: %q %t %v", r.String("username"), r.Bool("IsActive"), r.Time("LastPasswordChangeDate"))
	}
	if !r.IsNull("NoSuchField") || r.String("NoSuchField") != "" || r.Int("NoSuchField") != 0 {
		t.Errorf("absent field not null")
	}
	var u struct {
		Username string
		Profile  struct{ Name string }
	}
	if err := r.Decode(&u); err != nil || u.Username != integUser || u.Profile.Name == "" {
		t.Errorf("Decode: %+v %v", u, err)
	}
}

func TestComposite(t *testing.T) {
	e := newEnv(t)
	s := e.admin()
	ctx := testCtx(t)
	before := e.usage().APIRequests
	res, err := s.Composite(ctx, false, []salesforce.Subrequest{
		salesforce.QueryRequest("user", "SELECT Id, Username FROM User WHERE Username = '"+integUser+"'"),
		salesforce.QueryRequest("login", "SELECT IsFrozen FROM UserLogin WHERE UserId = '@{user.records[0].Id}'"),
		{Method: "GET", URL: "sobjects/User/@{user.records[0].Id}/password", ReferenceID: "pw"},
		{Method: "GET", URL: "/services/data/v62.0/limits", ReferenceID: "limits"},
		salesforce.QueryRequest("bad", "SELECT Nope FROM User"),
	})
	if err != nil {
		t.Fatalf("Composite: %+v", err)
	}
	if after := e.usage().APIRequests; after-before != 1 {
		t.Errorf("composite used %d API requests, want 1", after-before)
	}
	if len(res) != 5 {
		t.Fatalf("%d responses, want 5", len(res))
	}
	var users, logins struct{ Records []salesforce.Record }
	if err := res[0].Decode(&users); err != nil || len(users.Records) != 1 {
		t.Fatalf("user: %v %+v", users, err)
	}
	if err := res[1].Decode(&logins); err != nil || len(logins.Records) != 1 || logins.Records[0].Bool("IsFrozen") {
		t.Fatalf("login: %v %+v", logins, err)
	}
	var pw salesforce.PasswordStatus
	if err := res[2].Decode(&pw); err != nil || pw.IsExpired {
		t.Errorf("password: %+v %+v", pw, err)
	}
	var lim salesforce.Limits
	if err := res[3].Decode(&lim); err != nil || lim.DailyAPIRequests().Max == 0 {
		t.Errorf("limits: %v %+v", lim, err)
	}
	if res[4].Status != 400 {
		t.Errorf("bad query status %d", res[4].Status)
	}
	se := sfError(t, res[4].Err())
	if se.Code != "INVALID_FIELD" || se.Op != "salesforce.Composite[bad]" {
		t.Errorf("bad subrequest: %+v", se)
	}

	// Writes and allOrNone.
	res, err = s.Composite(ctx, true, []salesforce.Subrequest{
		{Method: "POST", URL: "sobjects/Account", ReferenceID: "acct", Body: map[string]string{"Name": "Composite Co"}},
		{Method: "GET", URL: "sobjects/Account/@{acct.id}", ReferenceID: "read"},
	})
	if err != nil || res[0].Status != 201 || res[1].Status != 200 {
		t.Fatalf("composite writes: %+v %+v", res, err)
	}
	var acct salesforce.Record
	if err := res[1].Decode(&acct); err != nil || acct.String("Name") != "Composite Co" {
		t.Errorf("read back: %v %v", acct, err)
	}

	// Limits on the number of subrequests are checked locally.
	_, err = s.Composite(ctx, false, make([]salesforce.Subrequest, 26))
	if warden.ErrorKind(err) != warden.EINVALID {
		t.Errorf("26 subrequests: %+v", err)
	}
}

func TestSObjectCRUD(t *testing.T) {
	e := newEnv(t)
	s := e.jwtSession(integUser) // Account: Read, Create, Edit, Delete through its permission set
	ctx := testCtx(t)
	id, err := s.CreateSObject(ctx, "Account", map[string]any{"Name": "Acme Widgets"})
	if err != nil || id == "" {
		t.Fatalf("CreateSObject: %q %+v", id, err)
	}
	r, err := s.GetSObject(ctx, "Account", id, "Id", "Name")
	if err != nil || r.ID() != id || r.String("Name") != "Acme Widgets" || r.Type() != "Account" {
		t.Fatalf("GetSObject: %v %+v", r, err)
	}
	if err := s.UpdateSObject(ctx, "Account", id, map[string]any{"Name": "Acme Gadgets"}); err != nil {
		t.Fatalf("UpdateSObject: %+v", err)
	}
	if r, _ = s.GetSObject(ctx, "Account", id); r.String("Name") != "Acme Gadgets" {
		t.Errorf("after update Name = %q", r.String("Name"))
	}
	if err := s.DeleteSObject(ctx, "Account", id); err != nil {
		t.Fatalf("DeleteSObject: %+v", err)
	}
	_, err = s.GetSObject(ctx, "Account", id)
	if se := sfError(t, err); se.Status != 404 || se.Code != "NOT_FOUND" || warden.ErrorKind(err) != warden.ENOTFOUND {
		t.Errorf("get deleted: %+v", err)
	}
	// Do reaches resources without a typed call.
	var desc struct {
		Name   string            `json:"name"`
		Fields []json.RawMessage `json:"fields"`
	}
	if err := s.Do(ctx, http.MethodGet, "sobjects/Account/describe", nil, &desc); err != nil || desc.Name != "Account" || len(desc.Fields) == 0 {
		t.Errorf("Do describe: %v %+v", desc.Name, err)
	}
}

func TestPasswordResource(t *testing.T) {
	e := newEnv(t)
	s := e.admin()
	ctx := testCtx(t)
	id := e.userID(legacyUser)
	ps, err := s.UserPassword(ctx, id)
	if err != nil || ps.IsExpired {
		t.Fatalf("UserPassword: %+v %+v", ps, err)
	}
	e.patchUser(legacyUser, map[string]any{"passwordExpired": true})
	if ps, err = s.UserPassword(ctx, id); err != nil || !ps.IsExpired {
		t.Fatalf("UserPassword after expiry: %+v %+v", ps, err)
	}
	if err := s.SetUserPassword(ctx, id, "Fr3sh-Passw0rd!"); err != nil {
		t.Fatalf("SetUserPassword: %+v", err)
	}
	if ps, _ = s.UserPassword(ctx, id); ps.IsExpired {
		t.Error("still expired after SetUserPassword")
	}
	err = s.SetUserPassword(ctx, id, "short")
	if se := sfError(t, err); se.Code != "INVALID_NEW_PASSWORD" || warden.ErrorKind(err) != warden.EINVALID {
		t.Errorf("weak password: %+v", err)
	}
	tmp, err := s.ResetUserPassword(ctx, id)
	if err != nil || tmp == "" {
		t.Fatalf("ResetUserPassword: %q %+v", tmp, err)
	}
}

func TestLimitsUserInfoIdentity(t *testing.T) {
	e := newEnv(t)
	s := e.jwtSession(integUser)
	ctx := testCtx(t)
	lim, err := s.Limits(ctx)
	if err != nil {
		t.Fatalf("Limits: %+v", err)
	}
	d := lim.DailyAPIRequests()
	if d.Max != 100000 || d.Remaining != 99999 || d.Used() != 1 {
		t.Errorf("DailyApiRequests = %+v", d)
	}
	if used, max, ok := s.APIUsage(); !ok || used != 1 || max != 100000 {
		t.Errorf("APIUsage = %d, %d, %t", used, max, ok)
	}
	info, err := s.UserInfo(ctx)
	if err != nil {
		t.Fatalf("UserInfo: %+v", err)
	}
	if !info.IsSalesforceIntegrationUser || info.PreferredUsername != integUser || info.UserID != e.userID(integUser) || !info.Active {
		t.Errorf("UserInfo = %+v", info)
	}
	id, err := s.Identity(ctx)
	if err != nil {
		t.Fatalf("Identity: %+v", err)
	}
	if id.Username != integUser || !id.AssertedUser || id.URLs["rest"] != e.emu.URL+"/services/data/v62.0/" {
		t.Errorf("Identity = %+v", id)
	}
	// An admin is not an integration user.
	if info, err := e.admin().UserInfo(ctx); err != nil || info.IsSalesforceIntegrationUser {
		t.Errorf("admin UserInfo: %+v %v", info, err)
	}
	// userinfo's plain-text refusal of a dead token is handled: the
	// session logs in again.
	tok, _ := s.Token(ctx)
	if err := e.c.Revoke(ctx, tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserInfo(ctx); err != nil {
		t.Fatalf("UserInfo after revoke: %+v", err)
	}
}
