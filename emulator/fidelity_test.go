package emulator_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
)

const v = "/services/data/v62.0/"

// describeField is the part of a describe field the tests read.
type describeField struct {
	Name             string
	Type             string
	Length           int
	Nillable         bool
	Createable       bool
	Updateable       bool
	ReferenceTo      []string
	RelationshipName *string
	PicklistValues   []struct{ Value string }
}

func (e *env) describe(tok, object string) map[string]describeField {
	e.t.Helper()
	r := e.do("GET", v+"sobjects/"+object+"/describe", tok, nil)
	var d struct{ Fields []describeField }
	if r.status != 200 {
		e.t.Fatalf("describe %s: %d %s", object, r.status, r.body)
	}
	r.json(e.t, &d)
	out := map[string]describeField{}
	for _, f := range d.Fields {
		out[f.Name] = f
	}
	return out
}

// sample returns a value a write of f can store, or false when the field
// needs a value the test provides itself.
func sample(f describeField) (any, bool) {
	switch f.Type {
	case "string", "textarea", "picklist":
		if len(f.PicklistValues) > 0 {
			return f.PicklistValues[len(f.PicklistValues)-1].Value, true
		}
		s := "v" + f.Name
		if len(s) > f.Length {
			s = s[:f.Length]
		}
		return s, true
	case "email":
		return strings.ToLower(f.Name) + "@example.com", true
	case "phone":
		return "+1 555 0100", true
	case "url":
		return "https://example.com/" + f.Name, true
	case "boolean":
		return true, true
	case "int":
		return 42, true
	case "double", "currency", "percent":
		return 12.5, true
	case "date":
		return "2026-05-01", true
	case "datetime":
		return "2026-05-01T10:00:00.000+0000", true
	}
	return nil, false
}

// TestEveryUpdateableFieldIsStored writes every field describe calls
// updateable and reads it back through retrieve and query: nothing the
// emulator accepts may be dropped.
func TestEveryUpdateableFieldIsStored(t *testing.T) {
	e := start(t)
	tok := e.admin()
	adminID := e.userID(tok, adminUser)
	role := e.do("POST", v+"sobjects/UserRole", tok, map[string]any{"Name": "Integrations"}).object(t)["id"].(string)
	account := e.do("POST", v+"sobjects/Account", tok, map[string]any{"Name": "Parent"}).object(t)["id"].(string)
	contact := e.do("POST", v+"sobjects/Contact", tok, map[string]any{"LastName": "Boss"}).object(t)["id"].(string)
	refs := map[string]string{"User": adminID, "UserRole": role, "Account": account, "Contact": contact}
	psID := records(e.query(tok, "SELECT Id FROM PermissionSet WHERE Name = 'Extra'"))[0]["Id"].(string)

	targets := []struct {
		object, id string
		skip       []string // fields with effects tested elsewhere
	}{
		{"User", e.userID(tok, intUser), []string{"Username", "ProfileId", "IsActive"}},
		{"PermissionSet", psID, nil},
		{"Account", e.do("POST", v+"sobjects/Account", tok, map[string]any{"Name": "A"}).object(t)["id"].(string), nil},
		{"Contact", e.do("POST", v+"sobjects/Contact", tok, map[string]any{"LastName": "C"}).object(t)["id"].(string), nil},
		{"Opportunity", e.do("POST", v+"sobjects/Opportunity", tok, map[string]any{"Name": "O", "StageName": "Prospecting", "CloseDate": "2026-06-30"}).object(t)["id"].(string), nil},
		{"Case", e.do("POST", v+"sobjects/Case", tok, map[string]any{"Subject": "S"}).object(t)["id"].(string), nil},
		{"Lead", e.do("POST", v+"sobjects/Lead", tok, map[string]any{"LastName": "L", "Company": "Co"}).object(t)["id"].(string), nil},
	}
	for _, tg := range targets {
		t.Run(tg.object, func(t *testing.T) {
			body, want := map[string]any{}, map[string]any{}
			for name, f := range e.describe(tok, tg.object) {
				if !f.Updateable || slices.Contains(tg.skip, name) || strings.HasPrefix(name, "Permissions") {
					continue
				}
				val, ok := sample(f)
				if f.Type == "reference" {
					if len(f.ReferenceTo) == 0 || refs[f.ReferenceTo[0]] == "" {
						continue
					}
					val, ok = refs[f.ReferenceTo[0]], true
				}
				if !ok {
					t.Errorf("%s.%s: no sample for type %q", tg.object, name, f.Type)
					continue
				}
				body[name], want[name] = val, val
			}
			if len(body) < 2 {
				t.Fatalf("%s: only %d updateable fields in describe", tg.object, len(body))
			}
			if r := e.do("PATCH", v+"sobjects/"+tg.object+"/"+tg.id, tok, body); r.status != 204 {
				t.Fatalf("PATCH %s %v: %d %s", tg.object, body, r.status, r.body)
			}
			names := slices.Sorted(func(yield func(string) bool) {
				for k := range want {
					if !yield(k) {
						return
					}
				}
			})
			got := e.do("GET", v+"sobjects/"+tg.object+"/"+tg.id, tok, nil).object(t)
			q := records(e.query(tok, "SELECT "+strings.Join(names, ", ")+" FROM "+tg.object+" WHERE Id = '"+tg.id+"'"))
			if len(q) != 1 {
				t.Fatalf("query of %s %s: %d records", tg.object, tg.id, len(q))
			}
			for _, k := range names {
				w := fmt.Sprint(want[k])
				if fmt.Sprint(got[k]) != w && !sameNumber(got[k], want[k]) {
					t.Errorf("retrieve %s.%s = %v, want %v", tg.object, k, got[k], w)
				}
				if fmt.Sprint(q[0][k]) != w && !sameNumber(q[0][k], want[k]) {
					t.Errorf("query %s.%s = %v, want %v", tg.object, k, q[0][k], w)
				}
			}
		})
	}
}

func sameNumber(got, want any) bool {
	g, ok := got.(float64)
	return ok && fmt.Sprint(g) == fmt.Sprint(want)
}

func (e *env) userID(tok, username string) string {
	e.t.Helper()
	recs := records(e.query(tok, "SELECT Id FROM User WHERE Username = '"+username+"'"))
	if len(recs) != 1 {
		e.t.Fatalf("no user %s", username)
	}
	return recs[0]["Id"].(string)
}

func TestWritesRefuseWhatTheModelDoesNot(t *testing.T) {
	e := start(t)
	tok := e.admin()
	uid := e.userID(tok, intUser)
	tests := []struct {
		name, method, path string
		body               map[string]any
		code, message      string
		fields             []string
	}{
		{"unknown field", "PATCH", "sobjects/User/" + uid, map[string]any{"Frobnicate__x": "a"},
			"INVALID_FIELD", "No such column 'Frobnicate__x' on sobject of type User", []string{"Frobnicate__x"}},
		{"unknown standard field", "POST", "sobjects/Account", map[string]any{"Name": "A", "Colour": "red"},
			"INVALID_FIELD", "No such column 'Colour' on sobject of type Account", []string{"Colour"}},
		{"unknown custom field on a standard object", "POST", "sobjects/Contact", map[string]any{"LastName": "A", "Nope__c": "x"},
			"INVALID_FIELD", "No such column 'Nope__c' on sobject of type Contact", []string{"Nope__c"}},
		{"read-only field", "PATCH", "sobjects/User/" + uid, map[string]any{"Name": "x"},
			"INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: Name. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", []string{"Name"}},
		{"audit field", "POST", "sobjects/Account", map[string]any{"Name": "A", "CreatedDate": "2020-01-01T00:00:00.000+0000"},
			"INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: CreatedDate. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", []string{"CreatedDate"}},
		{"create-only field", "PATCH", "sobjects/PermissionSet/" + records(e.query(tok, "SELECT Id FROM PermissionSet WHERE Name = 'Extra'"))[0]["Id"].(string),
			map[string]any{"Name": "Renamed"}, "INVALID_FIELD_FOR_INSERT_UPDATE", "", []string{"Name"}},
		{"too long", "PATCH", "sobjects/User/" + uid, map[string]any{"Title": strings.Repeat("t", 81)},
			"STRING_TOO_LONG", "Title: data value too large: " + strings.Repeat("t", 81) + " (max length=80)", []string{"Title"}},
		{"bad email", "POST", "sobjects/Contact", map[string]any{"LastName": "A", "Email": "not an address"},
			"INVALID_EMAIL_ADDRESS", "Email: invalid email address: not an address", []string{"Email"}},
		{"malformed reference", "PATCH", "sobjects/User/" + uid, map[string]any{"ManagerId": "nope"},
			"MALFORMED_ID", "Manager ID: id value of incorrect type: nope", []string{"ManagerId"}},
		{"reference of another type", "POST", "sobjects/Contact", map[string]any{"LastName": "A", "AccountId": uid},
			"FIELD_INTEGRITY_EXCEPTION", "", []string{"AccountId"}},
		{"reference to nothing", "POST", "sobjects/Contact", map[string]any{"LastName": "A", "AccountId": "001000000000000AAA"},
			"INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", []string{"AccountId"}},
		{"boolean of the wrong type", "PATCH", "sobjects/User/" + uid, map[string]any{"UserPermissionsSupportUser": "yes"},
			"JSON_PARSER_ERROR", "", []string{"UserPermissionsSupportUser"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, v+tt.path, tok, tt.body)
			var errs []struct {
				Message, ErrorCode string
				Fields             []string
			}
			if r.status != 400 || json.Unmarshal(r.body, &errs) != nil || len(errs) != 1 {
				t.Fatalf("%d %s, want 400 and one error", r.status, r.body)
			}
			if errs[0].ErrorCode != tt.code || tt.message != "" && errs[0].Message != tt.message || !slices.Equal(errs[0].Fields, tt.fields) {
				t.Errorf("error = %+v, want %s %q fields %v", errs[0], tt.code, tt.message, tt.fields)
			}
		})
	}
	// Custom objects learn custom fields, and only custom fields.
	if r := e.do("POST", v+"sobjects/Invoice__c", tok, map[string]any{"Name": "INV-1", "Amount__c": 12.5}); r.status != 201 {
		t.Errorf("custom field on a custom object: %d %s", r.status, r.body)
	}
	if code, _ := restErr(t, e.do("POST", v+"sobjects/Invoice__c", tok, map[string]any{"Name": "INV-2", "Amount": 1})); code != "INVALID_FIELD" {
		t.Errorf("standard-looking field on a custom object: %s", code)
	}
	if f := e.describe(tok, "Invoice__c")["Amount__c"]; f.Type != "double" || !f.Updateable {
		t.Errorf("learnt field in describe: %+v", f)
	}
}

func TestDescribeMatchesTheModel(t *testing.T) {
	e := start(t)
	tok := e.admin()
	var global struct {
		Sobjects []struct{ Name, KeyPrefix string }
	}
	e.do("GET", v+"sobjects", tok, nil).json(t, &global)
	prefixes := map[string]string{}
	for _, o := range global.Sobjects {
		prefixes[o.Name] = o.KeyPrefix
	}
	for name, want := range map[string]string{"Account": "001", "Contact": "003", "Opportunity": "006", "Case": "500", "Lead": "00Q",
		"User": "005", "Profile": "00e", "PermissionSet": "0PS", "PermissionSetAssignment": "0Pa", "UserRole": "00E",
		"Organization": "00D", "LoginHistory": "0Ya", "ApexClass": "01p"} {
		if prefixes[name] != want {
			t.Errorf("describeGlobal %s keyPrefix = %q, want %q", name, prefixes[name], want)
		}
	}
	acct := e.do("POST", v+"sobjects/Account", tok, map[string]any{"Name": "Prefix"}).object(t)["id"].(string)
	if !strings.HasPrefix(acct, "001") {
		t.Errorf("Account id %s does not start with 001", acct)
	}
	user := e.describe(tok, "User")
	rel := func(s string) *string { return &s }
	for _, tt := range []describeField{
		{Name: "Id", Type: "id", Length: 0, Nillable: false},
		{Name: "Username", Type: "string", Length: 80, Createable: true, Updateable: true},
		{Name: "Email", Type: "email", Length: 128, Createable: true, Updateable: true},
		{Name: "Phone", Type: "phone", Length: 40, Nillable: true, Createable: true, Updateable: true},
		{Name: "Title", Type: "string", Length: 80, Nillable: true, Createable: true, Updateable: true},
		{Name: "IsActive", Type: "boolean", Createable: true, Updateable: true},
		{Name: "Name", Type: "string", Length: 121, Nillable: true},
		{Name: "CreatedDate", Type: "datetime"},
		{Name: "ProfileId", Type: "reference", Createable: true, Updateable: true, ReferenceTo: []string{"Profile"}, RelationshipName: rel("Profile")},
		{Name: "ManagerId", Type: "reference", Nillable: true, Createable: true, Updateable: true, ReferenceTo: []string{"User"}, RelationshipName: rel("Manager")},
		{Name: "UserRoleId", Type: "reference", Nillable: true, Createable: true, Updateable: true, ReferenceTo: []string{"UserRole"}, RelationshipName: rel("UserRole")},
		{Name: "CreatedById", Type: "reference", ReferenceTo: []string{"User"}, RelationshipName: rel("CreatedBy")},
		{Name: "TimeZoneSidKey", Type: "picklist", Length: 255, Createable: true, Updateable: true},
	} {
		got, ok := user[tt.Name]
		got.PicklistValues = nil
		if tt.ReferenceTo == nil {
			tt.ReferenceTo = []string{}
		}
		relGot, relWant := "<nil>", "<nil>"
		if got.RelationshipName != nil {
			relGot = *got.RelationshipName
		}
		if tt.RelationshipName != nil {
			relWant = *tt.RelationshipName
		}
		got.RelationshipName, tt.RelationshipName = nil, nil
		if !ok || fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tt) || relGot != relWant {
			t.Errorf("User.%s describe = %+v (relationship %s), want %+v (relationship %s)", tt.Name, got, relGot, tt, relWant)
		}
	}
	if f := e.describe(tok, "Account")["Website"]; f.Type != "url" {
		t.Errorf("Account.Website type %q, want url", f.Type)
	}
	if f := e.describe(tok, "Opportunity")["StageName"]; f.Type != "picklist" || len(f.PicklistValues) == 0 || f.Nillable {
		t.Errorf("Opportunity.StageName = %+v, want a required picklist with values", f)
	}
	// describeGlobal's createable is what a create does.
	var flags struct {
		Sobjects []struct {
			Name       string
			Createable bool
		}
	}
	e.do("GET", v+"sobjects", tok, nil).json(t, &flags)
	for _, o := range flags.Sobjects {
		r := e.do("POST", v+"sobjects/"+o.Name, tok, map[string]any{})
		refused := r.status == 400 && strings.Contains(string(r.body), "INVALID_TYPE_FOR_OPERATION")
		if refused == o.Createable {
			t.Errorf("%s: describe createable %v, but POST answered %d %.200s", o.Name, o.Createable, r.status, r.body)
		}
	}
	// Every field describe lists can be queried.
	for _, object := range []string{"User", "Account", "Contact", "PermissionSet", "Organization", "LoginHistory"} {
		fs := e.describe(tok, object)
		names := make([]string, 0, len(fs))
		for n := range fs {
			names = append(names, n)
		}
		if r := e.do("GET", v+"query?q="+url.QueryEscape("SELECT "+strings.Join(names, ",")+" FROM "+object), tok, nil); r.status != 200 {
			t.Errorf("SELECT every described field FROM %s: %d %.300s", object, r.status, r.body)
		}
	}
}

func TestUserRelationships(t *testing.T) {
	e := start(t)
	tok := e.admin()
	adminID, intID := e.userID(tok, adminUser), e.userID(tok, intUser)
	role := e.do("POST", v+"sobjects/UserRole", tok, map[string]any{"Name": "Integrations", "DeveloperName": "Integrations"}).object(t)["id"].(string)
	if r := e.do("PATCH", v+"sobjects/User/"+intID, tok, map[string]any{"ManagerId": adminID, "UserRoleId": role}); r.status != 204 {
		t.Fatalf("set manager and role: %d %s", r.status, r.body)
	}
	recs := records(e.query(tok, "SELECT Id, Manager.Username, UserRole.Name, Profile.Name, CreatedBy.Username, LastModifiedBy.Username FROM User WHERE Id = '"+intID+"'"))
	if len(recs) != 1 {
		t.Fatalf("got %d records", len(recs))
	}
	name := func(rel, field string) any {
		m, _ := recs[0][rel].(map[string]any)
		return m[field]
	}
	if name("Manager", "Username") != adminUser || name("UserRole", "Name") != "Integrations" ||
		name("Profile", "Name") != "Minimum Access - API Only Integrations" || name("CreatedBy", "Username") != adminUser || name("LastModifiedBy", "Username") != adminUser {
		t.Errorf("relationships = %v", recs[0])
	}
	// A null lookup is null; an unknown relationship is Salesforce's error.
	if recs := records(e.query(tok, "SELECT Manager.Username FROM User WHERE Id = '"+adminID+"'")); recs[0]["Manager"] != nil {
		t.Errorf("null manager = %v", recs[0]["Manager"])
	}
	r := e.do("GET", v+"query?q="+url.QueryEscape("SELECT Boss.Name FROM User"), tok, nil)
	code, msg := restErr(t, r)
	if r.status != 400 || code != "INVALID_FIELD" || !strings.HasSuffix(msg, "Didn't understand relationship 'Boss' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.") {
		t.Errorf("unknown relationship: %d %s", r.status, r.body)
	}
}

func TestRequiredFieldsOnCreate(t *testing.T) {
	e := start(t)
	tok := e.admin()
	tests := []struct {
		object string
		body   map[string]any
		want   []string
	}{
		{"Contact", map[string]any{"FirstName": "Ada"}, []string{"LastName"}},
		{"Account", map[string]any{"Phone": "+1 555 0100"}, []string{"Name"}},
		{"Opportunity", map[string]any{}, []string{"Name", "StageName", "CloseDate"}},
		{"Lead", map[string]any{"FirstName": "Ada"}, []string{"LastName", "Company"}},
		{"User", map[string]any{"LastName": "New"}, []string{"Username", "Email", "Alias", "ProfileId", "TimeZoneSidKey", "LocaleSidKey", "EmailEncodingKey", "LanguageLocaleKey"}},
		{"PermissionSet", map[string]any{"Label": "X"}, []string{"Name"}},
		{"Invoice__c", map[string]any{}, []string{"Name"}},
	}
	for _, tt := range tests {
		r := e.do("POST", v+"sobjects/"+tt.object, tok, tt.body)
		var errs []struct {
			Message, ErrorCode string
			Fields             []string
		}
		r.json(t, &errs)
		want := "Required fields are missing: [" + strings.Join(tt.want, ", ") + "]"
		if r.status != 400 || len(errs) != 1 || errs[0].ErrorCode != "REQUIRED_FIELD_MISSING" || errs[0].Message != want || !slices.Equal(errs[0].Fields, tt.want) {
			t.Errorf("create %s %v: %d %s, want REQUIRED_FIELD_MISSING %q", tt.object, tt.body, r.status, r.body, want)
		}
	}
	// Case has no required field; Status and Priority default.
	c := e.do("POST", v+"sobjects/Case", tok, map[string]any{"Subject": "Help"})
	if c.status != 201 {
		t.Fatalf("create Case: %d %s", c.status, c.body)
	}
	got := e.do("GET", v+"sobjects/Case/"+c.object(t)["id"].(string), tok, nil).object(t)
	if got["Status"] != "New" || got["Priority"] != "Medium" || got["CaseNumber"] == nil || got["IsDeleted"] != false {
		t.Errorf("Case defaults: %v", got)
	}
	// Clearing a required field on update is refused too.
	id := e.do("POST", v+"sobjects/Contact", tok, map[string]any{"LastName": "Lovelace", "FirstName": "Ada"}).object(t)["id"].(string)
	if code, msg := restErr(t, e.do("PATCH", v+"sobjects/Contact/"+id, tok, map[string]any{"LastName": nil})); code != "REQUIRED_FIELD_MISSING" || msg != "Required fields are missing: [LastName]" {
		t.Errorf("clear LastName: %s %s", code, msg)
	}
	if got := e.do("GET", v+"sobjects/Contact/"+id, tok, nil).object(t); got["Name"] != "Ada Lovelace" {
		t.Errorf("Contact.Name = %v", got["Name"])
	}
}

func TestRecycleBin(t *testing.T) {
	e := start(t)
	tok := e.admin()
	id := e.do("POST", v+"sobjects/Account", tok, map[string]any{"Name": "Doomed"}).object(t)["id"].(string)
	e.do("POST", v+"sobjects/Account", tok, map[string]any{"Name": "Kept"})
	if r := e.do("DELETE", v+"sobjects/Account/"+id, tok, nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	count := func(endpoint, soql string) int {
		r := e.do("GET", v+endpoint+"?q="+url.QueryEscape(soql), tok, nil)
		if r.status != 200 {
			t.Fatalf("%s %q: %d %s", endpoint, soql, r.status, r.body)
		}
		return len(records(r.object(t)))
	}
	if n := count("query", "SELECT Id FROM Account"); n != 1 {
		t.Errorf("query sees %d accounts, want 1 (the deleted one is in the recycle bin)", n)
	}
	if n := count("query", "SELECT Id FROM Account WHERE IsDeleted = true"); n != 0 {
		t.Errorf("query sees %d deleted accounts, want 0", n)
	}
	if n := count("queryAll", "SELECT Id FROM Account"); n != 2 {
		t.Errorf("queryAll sees %d accounts, want 2", n)
	}
	r := e.do("GET", v+"queryAll?q="+url.QueryEscape("SELECT Id, Name, IsDeleted FROM Account WHERE IsDeleted = true"), tok, nil)
	if recs := records(r.object(t)); len(recs) != 1 || recs[0]["Id"] != id || recs[0]["IsDeleted"] != true {
		t.Errorf("queryAll of deleted rows = %s", r.body)
	}
	if r := e.do("GET", v+"sobjects/Account/"+id, tok, nil); r.status != 404 {
		t.Errorf("retrieve of a deleted record: %d", r.status)
	}
	if r := e.do("DELETE", v+"sobjects/Account/"+id, tok, nil); r.status != 404 {
		t.Errorf("second delete: %d %s", r.status, r.body)
	}
}

func TestLimitsHasEveryKey(t *testing.T) {
	e := start(t)
	tok := e.admin()
	var lim map[string]struct {
		Max, Remaining *int
		CreateCustom   *struct{ Max, Remaining int }
	}
	e.do("GET", v+"limits", tok, nil).json(t, &lim)
	for _, k := range []string{"ActiveScratchOrgs", "AnalyticsExternalDataSizeMB", "ConcurrentAsyncGetReportInstances",
		"ConcurrentSyncReportRuns", "DailyAnalyticsDataflowJobExecutions", "DailyApiRequests", "DailyAsyncApexExecutions",
		"DailyAsyncApexTests", "DailyBulkApiBatches", "DailyBulkV2QueryFileStorageMB", "DailyBulkV2QueryJobs",
		"DailyDeliveredPlatformEvents", "DailyDurableGenericStreamingApiEvents", "DailyDurableStreamingApiEvents",
		"DailyGenericStreamingApiEvents", "DailyScratchOrgs", "DailyStandardVolumePlatformEvents", "DailyStreamingApiEvents",
		"DailyWorkflowEmails", "DataStorageMB", "DurableStreamingApiConcurrentClients", "FileStorageMB", "HourlyAsyncReportRuns",
		"HourlyDashboardRefreshes", "HourlyDashboardResults", "HourlyDashboardStatuses", "HourlyLongTermIdMapping",
		"HourlyODataCallout", "HourlyPublishedPlatformEvents", "HourlyPublishedStandardVolumePlatformEvents",
		"HourlyShortTermIdMapping", "HourlySyncReportRuns", "HourlyTimeBasedWorkflow", "MassEmail", "Package2VersionCreates",
		"PermissionSets", "SingleEmail", "StreamingApiConcurrentClients"} {
		l, ok := lim[k]
		if !ok || l.Max == nil || l.Remaining == nil || *l.Remaining > *l.Max {
			t.Errorf("limits %s = %+v (present %v)", k, l, ok)
		}
	}
	if ps := lim["PermissionSets"]; ps.CreateCustom == nil || ps.CreateCustom.Remaining != ps.CreateCustom.Max-2 {
		t.Errorf("PermissionSets.CreateCustom = %+v, want two custom sets used", ps.CreateCustom)
	}
}

func TestToolingQuery(t *testing.T) {
	e := start(t)
	tok := e.admin()
	tq := func(soql string) response {
		return e.do("GET", v+"tooling/query?q="+url.QueryEscape(soql), tok, nil)
	}
	var empty map[string]any
	tq("SELECT Id, Name, ApiVersion, Status FROM ApexClass").json(t, &empty)
	if fmt.Sprint(empty) != "map[done:true entityTypeName:<nil> queryLocator:<nil> records:[] size:0 totalSize:0]" {
		t.Errorf("empty tooling query = %v", empty)
	}
	var users struct {
		Size, TotalSize int
		Done            bool
		QueryLocator    *string
		EntityTypeName  string
		Records         []struct {
			Attributes struct{ Type, URL string }
			Username   string
		}
	}
	r := tq("SELECT Id, Username FROM User WHERE Username = '" + intUser + "'")
	r.json(t, &users)
	if users.Size != 1 || users.TotalSize != 1 || !users.Done || users.QueryLocator != nil || users.EntityTypeName != "User" ||
		len(users.Records) != 1 || users.Records[0].Username != intUser || !strings.HasPrefix(users.Records[0].Attributes.URL, "/services/data/v62.0/tooling/sobjects/User/") {
		t.Errorf("tooling query of User = %s", r.body)
	}
	if code, msg := restErr(t, tq("SELECT Id FROM Account")); code != "INVALID_TYPE" || !strings.Contains(msg, "sObject type 'Account' is not supported") {
		t.Errorf("tooling query of a data object: %s %s", code, msg)
	}
	if r := e.do("GET", v+"tooling/sobjects", tok, nil); r.status != 404 {
		t.Errorf("tooling/sobjects: %d %s", r.status, r.body)
	}
}

func TestCompositeAllOrNoneRollsBack(t *testing.T) {
	e := start(t)
	tok := e.admin()
	intID := e.userID(tok, intUser)
	auditBefore := len(records(e.query(tok, "SELECT Id FROM SetupAuditTrail")))
	body := map[string]any{"allOrNone": true, "compositeRequest": []map[string]any{
		{"method": "POST", "url": v + "sobjects/Account", "referenceId": "acct", "body": map[string]any{"Name": "Rolled Back"}},
		{"method": "PATCH", "url": v + "sobjects/User/" + intID, "referenceId": "user", "body": map[string]any{"Title": "Rolled Back", "IsActive": false}},
		{"method": "POST", "url": v + "sobjects/Contact", "referenceId": "bad", "body": map[string]any{"FirstName": "NoLast", "AccountId": "@{acct.id}"}},
		{"method": "GET", "url": v + "sobjects/Account/@{acct.id}", "referenceId": "after"},
	}}
	var out struct {
		CompositeResponse []struct {
			Body           []struct{ ErrorCode, Message string }
			HTTPStatusCode int
			ReferenceID    string
		}
	}
	r := e.do("POST", v+"composite", tok, body)
	r.json(t, &out)
	var got []string
	for _, c := range out.CompositeResponse {
		code := ""
		if len(c.Body) > 0 {
			code = c.Body[0].ErrorCode
		}
		got = append(got, fmt.Sprintf("%s:%d:%s", c.ReferenceID, c.HTTPStatusCode, code))
	}
	want := []string{"acct:400:PROCESSING_HALTED", "user:400:PROCESSING_HALTED", "bad:400:REQUIRED_FIELD_MISSING", "after:400:PROCESSING_HALTED"}
	if !slices.Equal(got, want) {
		t.Fatalf("compositeResponse = %v, want %v\n%s", got, want, r.body)
	}
	if msg := out.CompositeResponse[0].Body[0].Message; msg != "The transaction was rolled back since another operation in the same transaction failed." {
		t.Errorf("halted message %q", msg)
	}
	if n := len(records(e.query(tok, "SELECT Id FROM Account WHERE Name = 'Rolled Back'"))); n != 0 {
		t.Errorf("rolled-back Account exists (%d)", n)
	}
	u := records(e.query(tok, "SELECT Title, IsActive FROM User WHERE Id = '"+intID+"'"))[0]
	if u["Title"] != nil || u["IsActive"] != true {
		t.Errorf("rolled-back user change survived: %v", u)
	}
	if n := len(records(e.query(tok, "SELECT Id FROM SetupAuditTrail"))); n != auditBefore {
		t.Errorf("audit trail has %d rows after a rollback, want %d", n, auditBefore)
	}

	// sObject collections: the record that had succeeded is rolled back.
	coll := e.do("POST", v+"composite/sobjects", tok, map[string]any{"allOrNone": true, "records": []map[string]any{
		{"attributes": map[string]string{"type": "Account"}, "Name": "Collection A"},
		{"attributes": map[string]string{"type": "Account"}, "Phone": "+1 555 0100"}}})
	var saves []struct {
		ID      string
		Success bool
		Errors  []struct {
			StatusCode, Message string
			Fields              []string
		}
	}
	coll.json(t, &saves)
	if len(saves) != 2 || saves[0].Success || saves[0].Errors[0].StatusCode != "ALL_OR_NONE_OPERATION_ROLLED_BACK" ||
		saves[1].Errors[0].StatusCode != "REQUIRED_FIELD_MISSING" || !slices.Equal(saves[1].Errors[0].Fields, []string{"Name"}) {
		t.Errorf("collection allOrNone = %s", coll.body)
	}
	if n := len(records(e.query(tok, "SELECT Id FROM Account WHERE Name = 'Collection A'"))); n != 0 {
		t.Errorf("rolled-back collection record exists (%d)", n)
	}
	// The composite request's allOrNone overrides a collection's (Salesforce's
	// "allOrNone Parameters in Composite and Collections Requests").
	nested := map[string]any{"allOrNone": true, "compositeRequest": []map[string]any{
		{"method": "POST", "url": v + "composite/sobjects", "referenceId": "coll", "body": map[string]any{"allOrNone": false, "records": []map[string]any{
			{"attributes": map[string]string{"type": "Account"}, "Name": "Nested A"},
			{"attributes": map[string]string{"type": "Account"}}}}},
		{"method": "POST", "url": v + "sobjects/Contact", "referenceId": "contact", "body": map[string]any{"LastName": "Nested"}},
	}}
	var nestedOut struct {
		CompositeResponse []struct{ HTTPStatusCode int }
	}
	e.do("POST", v+"composite", tok, nested).json(t, &nestedOut)
	if len(nestedOut.CompositeResponse) != 2 || nestedOut.CompositeResponse[1].HTTPStatusCode != 400 {
		t.Errorf("nested collection failure under allOrNone: %+v", nestedOut)
	}
	if n := len(records(e.query(tok, "SELECT Id FROM Account WHERE Name = 'Nested A'"))) + len(records(e.query(tok, "SELECT Id FROM Contact WHERE LastName = 'Nested'"))); n != 0 {
		t.Errorf("%d records of a rolled-back nested request remain", n)
	}
	// Without allOrNone the successful parts stay.
	body["allOrNone"] = false
	e.do("POST", v+"composite", tok, body)
	if n := len(records(e.query(tok, "SELECT Id FROM Account WHERE Name = 'Rolled Back'"))); n != 1 {
		t.Errorf("allOrNone false: %d accounts, want 1", n)
	}
}

func TestControlNeedsJSON(t *testing.T) {
	e := start(t)
	for _, tt := range []struct {
		method, path, ctype, body string
		want                      int
	}{
		{"POST", "/_emulator/clock", "text/plain", `{"advance":"1m"}`, 415},
		{"POST", "/_emulator/clock", "application/x-www-form-urlencoded", `{"advance":"1m"}`, 415},
		{"POST", "/_emulator/orgs/Acme/users/" + intUser + "/reset-token", "", "", 415},
		{"PATCH", "/_emulator/orgs/Acme/users/" + intUser, "", `{"frozen":true}`, 415},
		{"POST", "/_emulator/clock", "application/json; charset=utf-8", `{"advance":"1m"}`, 200},
		{"DELETE", "/_emulator/faults", "", "", 204},
		{"GET", "/_emulator/orgs", "", "", 200},
	} {
		req, _ := http.NewRequest(tt.method, e.URL+tt.path, strings.NewReader(tt.body))
		if tt.ctype != "" {
			req.Header.Set("Content-Type", tt.ctype)
		}
		resp, err := e.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != tt.want || tt.want == 415 && !strings.Contains(out.Error, "Content-Type: application/json") {
			t.Errorf("%s %s (%q): %d %q, want %d", tt.method, tt.path, tt.ctype, resp.StatusCode, out.Error, tt.want)
		}
	}
	// Values the control API cannot apply are refused, not dropped.
	for _, body := range []map[string]any{{"sessionTimeoutMinutes": 0}, {"dailyApiRequests": -1}, {"passwordExpiresDays": -3}} {
		if code, out := e.ControlStatus(t, "PATCH", "orgs/Acme/settings", body); code != 400 {
			t.Errorf("PATCH settings %v: %d %s, want 400", body, code, out)
		}
	}
	var info emulator.UserInfo
	e.Control(t, "GET", "orgs/Acme/users/"+intUser, nil, &info)
	if info.Frozen {
		t.Error("a text/plain PATCH froze the user")
	}
}

// TestSlowBodyDoesNotBlockOtherOrgs stalls a PATCH body on one org and
// checks that another org's GET is served meanwhile.
func TestSlowBodyDoesNotBlockOtherOrgs(t *testing.T) {
	seed := testSeed(t)
	seed.Orgs = append(seed.Orgs, emulator.SeedOrg{Name: "Globex",
		Profiles: []emulator.SeedProfile{{Name: "System Administrator", Permissions: []string{"ApiEnabled", "ManageUsers"}}},
		Users: []emulator.SeedUser{{Username: "admin@globex.test", LastName: "Admin", Profile: "System Administrator",
			Password: "Gl0bex-Passw0rd!", SecurityToken: "GLOBEXTOKEN"}},
		ConnectedApps: []emulator.SeedConnectedApp{{Name: "G", ConsumerKey: "globex-key", ConsumerSecret: "globex-secret", CallbackURL: callbackURL}}})
	e := &env{t: t, Emulator: emulatortest.Start(t, seed)}
	acme := e.admin()
	uid := e.userID(acme, intUser)
	r := e.token(url.Values{"grant_type": {"password"}, "client_id": {"globex-key"}, "client_secret": {"globex-secret"},
		"username": {"admin@globex.test"}, "password": {"Gl0bex-Passw0rd!GLOBEXTOKEN"}})
	globex := r.object(t)["access_token"].(string)

	conn, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"Title":"Slow"}`
	fmt.Fprintf(conn, "PATCH %ssobjects/User/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		v, uid, acme, len(body), body[:5])

	done := make(chan response, 1)
	go func() { done <- e.do("GET", v+"limits", globex, nil) }()
	select {
	case r := <-done:
		if r.status != 200 {
			t.Errorf("other org's GET: %d %s", r.status, r.body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("another org's GET waited for a stalled PATCH body")
	}
	fmt.Fprint(conn, body[5:])
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("the slow PATCH: %v %v", resp, err)
	}
	if got := records(e.query(acme, "SELECT Title FROM User WHERE Id = '"+uid+"'"))[0]["Title"]; got != "Slow" {
		t.Errorf("Title after the slow PATCH = %v", got)
	}
}

// TestNotEmulatedAnswers pins the answers docs/emulator.md promises for
// what the emulator does not emulate.
func TestNotEmulatedAnswers(t *testing.T) {
	e := start(t)
	tok := e.admin()
	for _, tt := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"GET", "/services/async/62.0/job", nil, 404, "NOT_FOUND"},
		{"GET", v + "jobs/ingest", nil, 404, "NOT_FOUND"},
		{"GET", "/services/apexrest/Invoices", nil, 404, "NOT_FOUND"},
		{"GET", v + "search?q=FIND+%7Bx%7D", nil, 404, "NOT_FOUND"},
		{"GET", v + "tooling/sobjects/ApexClass", nil, 404, "NOT_FOUND"},
		{"GET", v + "tooling/query?q=" + url.QueryEscape("SELECT Id FROM CustomField"), nil, 400, "INVALID_TYPE"},
		{"GET", v + "query?q=" + url.QueryEscape("SELECT Id FROM Task"), nil, 400, "INVALID_TYPE"},
		{"GET", v + "sobjects/Task", nil, 404, "NOT_FOUND"},
		{"PATCH", v + "sobjects/Account/External__c/42", map[string]any{"Name": "x"}, 404, "NOT_FOUND"},
		{"GET", v + "sobjects/Account/deleted", nil, 404, "NOT_FOUND"},
		{"POST", v + "sobjects/Profile", map[string]any{"Name": "x"}, 400, "INVALID_TYPE_FOR_OPERATION"},
		{"POST", v + "sobjects/PermissionSetAssignment", map[string]any{"ExpirationDate": "2027-01-01T00:00:00.000+0000"}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE"},
	} {
		r := e.do(tt.method, tt.path, tok, tt.body)
		if r.status != tt.status {
			t.Errorf("%s %s: %d %s, want %d %s", tt.method, tt.path, r.status, r.body, tt.status, tt.code)
			continue
		}
		if code, _ := restErr(t, r); code != tt.code {
			t.Errorf("%s %s: %s, want %s", tt.method, tt.path, code, tt.code)
		}
	}
	env := `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><query xmlns="urn:partner.soap.sforce.com"><queryString>SELECT Id FROM User</queryString></query></soapenv:Body></soapenv:Envelope>`
	r := e.do("POST", "/services/Soap/u/62.0", "", env, "SOAPAction", "query")
	if r.status != 500 || !strings.Contains(string(r.body), "No operation available for request {urn:partner.soap.sforce.com}query") {
		t.Errorf("SOAP query: %d %s", r.status, r.body)
	}
}
