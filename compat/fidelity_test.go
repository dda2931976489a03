package compat_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestJSforceFidelity drives jsforce through flows of every class issue 13
// found unfaithful: stored fields, describe, relationships, required fields,
// the recycle bin, limits, the Tooling API and allOrNone rollback. The flows
// and the expectations come from Salesforce's REST API documentation.
func TestJSforceFidelity(t *testing.T) {
	c := needClients(t)
	t.Parallel()
	f := newFixture(t, c, false)

	t.Run("UpdateAndReread", func(t *testing.T) {
		f.watchExchanges(t)
		var got struct {
			Values    map[string]string `json:"values"`
			Retrieved map[string]string `json:"retrieved"`
			Queried   map[string]string `json:"queried"`
			Update    struct{ Success bool }
			Unknown   *struct {
				ErrorCode string `json:"errorCode"`
				Message   string `json:"message"`
			} `json:"unknown"`
		}
		f.jsforce(t, "field_roundtrip", admin, nil).mustOK(t, &got)
		if !got.Update.Success {
			t.Errorf("update did not succeed: %+v", got.Update)
		}
		for k, want := range got.Values {
			if got.Retrieved[k] != want || got.Queried[k] != want {
				t.Errorf("%s: retrieve %q, query %q, want %q", k, got.Retrieved[k], got.Queried[k], want)
			}
		}
		if got.Unknown == nil || got.Unknown.ErrorCode != "INVALID_FIELD" || got.Unknown.Message != "No such column 'Frobnicate__x' on sobject of type User" {
			t.Errorf("update of an unknown field = %+v, want INVALID_FIELD", got.Unknown)
		}
	})

	t.Run("Describe", func(t *testing.T) {
		f.watchExchanges(t)
		type field struct {
			Type             string   `json:"type"`
			Length           int      `json:"length"`
			Nillable         bool     `json:"nillable"`
			Createable       bool     `json:"createable"`
			Updateable       bool     `json:"updateable"`
			ReferenceTo      []string `json:"referenceTo"`
			RelationshipName *string  `json:"relationshipName"`
			PicklistValues   int      `json:"picklistValues"`
		}
		var got struct {
			Prefixes    map[string]string `json:"prefixes"`
			User        map[string]field  `json:"user"`
			Account     map[string]field  `json:"account"`
			Opportunity map[string]field  `json:"opportunity"`
		}
		f.jsforce(t, "describe", admin, nil).mustOK(t, &got)
		for name, want := range map[string]string{"Account": "001", "Contact": "003", "Opportunity": "006", "Case": "500",
			"User": "005", "Profile": "00e", "PermissionSet": "0PS", "Lead": "00Q", "UserRole": "00E"} {
			if got.Prefixes[name] != want {
				t.Errorf("describeGlobal keyPrefix of %s = %q, want %q", name, got.Prefixes[name], want)
			}
		}
		rel := func(f field) string {
			if f.RelationshipName == nil {
				return ""
			}
			return *f.RelationshipName
		}
		u := got.User
		checks := []struct {
			what string
			ok   bool
		}{
			{"User.Id is type id, not nillable", u["Id"].Type == "id" && !u["Id"].Nillable},
			{"User.Email is an email of 128", u["Email"].Type == "email" && u["Email"].Length == 128},
			{"User.Phone is a phone", u["Phone"].Type == "phone"},
			{"User.Title is an updateable string", u["Title"].Type == "string" && u["Title"].Updateable && u["Title"].Nillable},
			{"User.IsActive is a boolean", u["IsActive"].Type == "boolean" && !u["IsActive"].Nillable},
			{"User.Name is read-only", !u["Name"].Createable && !u["Name"].Updateable},
			{"User.CreatedDate is a datetime", u["CreatedDate"].Type == "datetime"},
			{"User.ProfileId references Profile", u["ProfileId"].Type == "reference" && slices.Equal(u["ProfileId"].ReferenceTo, []string{"Profile"}) && rel(u["ProfileId"]) == "Profile" && !u["ProfileId"].Nillable},
			{"User.ManagerId references User as Manager", slices.Equal(u["ManagerId"].ReferenceTo, []string{"User"}) && rel(u["ManagerId"]) == "Manager"},
			{"User.UserRoleId references UserRole", slices.Equal(u["UserRoleId"].ReferenceTo, []string{"UserRole"}) && rel(u["UserRoleId"]) == "UserRole"},
			{"Account.Name is required", !got.Account["Name"].Nillable && got.Account["Name"].Createable},
			{"Account.Website is a url", got.Account["Website"].Type == "url"},
			{"Account.Industry is a picklist with values", got.Account["Industry"].Type == "picklist" && got.Account["Industry"].PicklistValues > 0},
			{"Account.NumberOfEmployees is an int", got.Account["NumberOfEmployees"].Type == "int"},
			{"Opportunity.StageName is a required picklist", got.Opportunity["StageName"].Type == "picklist" && !got.Opportunity["StageName"].Nillable},
			{"Opportunity.CloseDate is a date", got.Opportunity["CloseDate"].Type == "date"},
			{"Opportunity.Amount is currency", got.Opportunity["Amount"].Type == "currency"},
		}
		for _, c := range checks {
			if !c.ok {
				t.Errorf("describe: want %s; got user %+v account %+v opportunity %+v", c.what, got.User, got.Account, got.Opportunity)
			}
		}
	})

	t.Run("RelationshipQuery", func(t *testing.T) {
		f.watchExchanges(t)
		var got struct {
			Manager, Role, Profile, CreatedBy, LastModifiedBy string
			Unknown                                           *struct {
				ErrorCode string `json:"errorCode"`
				Message   string `json:"message"`
			}
		}
		f.jsforce(t, "relationship_query", refresh, map[string]string{"SF_OTHER_USERNAME": admin.username}).mustOK(t, &got)
		if got.Manager != admin.username || got.Role != "Compat Role" || got.Profile != "System Administrator" ||
			got.CreatedBy != admin.username || got.LastModifiedBy == "" {
			t.Errorf("relationship fields = %+v", got)
		}
		if got.Unknown == nil || got.Unknown.ErrorCode != "INVALID_FIELD" || !strings.Contains(got.Unknown.Message, "Didn't understand relationship 'Boss' in field path") {
			t.Errorf("unknown relationship = %+v, want INVALID_FIELD", got.Unknown)
		}
	})

	t.Run("RequiredFieldMissing", func(t *testing.T) {
		f.watchExchanges(t)
		var got map[string]struct {
			ErrorCode string          `json:"errorCode"`
			Message   string          `json:"message"`
			Data      json.RawMessage `json:"data"`
			Created   any             `json:"created"`
		}
		f.jsforce(t, "required_field", admin, nil).mustOK(t, &got)
		for object, fields := range map[string]string{"Contact": "LastName", "Account": "Name", "Opportunity": "StageName, CloseDate"} {
			r := got[object]
			if r.ErrorCode != "REQUIRED_FIELD_MISSING" || r.Message != "Required fields are missing: ["+fields+"]" {
				t.Errorf("create %s = %+v, want REQUIRED_FIELD_MISSING [%s]", object, r, fields)
			}
		}
	})

	t.Run("QueryAllSeesDeleted", func(t *testing.T) {
		f.watchExchanges(t)
		var got struct {
			ID       string           `json:"id"`
			Query    []map[string]any `json:"query"`
			QueryAll []map[string]any `json:"queryAll"`
		}
		f.jsforce(t, "query_all_deleted", admin, nil).mustOK(t, &got)
		if !strings.HasPrefix(got.ID, "001") {
			t.Errorf("Account id %q does not start with 001", got.ID)
		}
		if len(got.Query) != 0 {
			t.Errorf("query sees the deleted record: %v", got.Query)
		}
		if len(got.QueryAll) != 1 || got.QueryAll[0]["Id"] != got.ID || got.QueryAll[0]["IsDeleted"] != true {
			t.Errorf("queryAll = %v, want the deleted record with IsDeleted true", got.QueryAll)
		}
	})

	t.Run("LimitsKeys", func(t *testing.T) {
		f.watchExchanges(t)
		var got struct {
			Limits map[string]map[string]any `json:"limits"`
		}
		f.jsforce(t, "limits", admin, nil).mustOK(t, &got)
		// The keys the REST API documentation lists for /limits.
		for _, k := range []string{"ConcurrentAsyncGetReportInstances", "ConcurrentSyncReportRuns", "DailyApiRequests",
			"DailyAsyncApexExecutions", "DailyBulkApiBatches", "DailyBulkV2QueryFileStorageMB", "DailyBulkV2QueryJobs",
			"DailyDurableGenericStreamingApiEvents", "DailyDurableStreamingApiEvents", "DailyGenericStreamingApiEvents",
			"DailyStandardVolumePlatformEvents", "DailyStreamingApiEvents", "DailyWorkflowEmails", "DataStorageMB",
			"DurableStreamingApiConcurrentClients", "FileStorageMB", "HourlyAsyncReportRuns", "HourlyDashboardRefreshes",
			"HourlyDashboardResults", "HourlyDashboardStatuses", "HourlyODataCallout", "HourlyPublishedPlatformEvents",
			"HourlySyncReportRuns", "HourlyTimeBasedWorkflow", "MassEmail", "PermissionSets", "SingleEmail",
			"StreamingApiConcurrentClients"} {
			l := got.Limits[k]
			if _, ok := l["Max"].(float64); !ok {
				t.Errorf("limits %s = %v, want Max and Remaining", k, l)
			} else if _, ok := l["Remaining"].(float64); !ok {
				t.Errorf("limits %s = %v, want Remaining", k, l)
			}
		}
	})

	t.Run("ToolingQuery", func(t *testing.T) {
		f.watchExchanges(t)
		type toolingResult struct {
			Size           *int             `json:"size"`
			TotalSize      int              `json:"totalSize"`
			Done           bool             `json:"done"`
			EntityTypeName *string          `json:"entityTypeName"`
			Records        []map[string]any `json:"records"`
		}
		var got struct {
			Classes toolingResult `json:"classes"`
			Users   toolingResult `json:"users"`
		}
		start := f.rec.mark()
		f.jsforce(t, "tooling_query", admin, nil).mustOK(t, &got)
		if got.Classes.TotalSize != 0 || !got.Classes.Done {
			t.Errorf("tooling ApexClass query = %+v, want an empty, done result", got.Classes)
		}
		u := got.Users
		if u.TotalSize != 1 || len(u.Records) != 1 || u.Records[0]["Username"] != admin.username {
			t.Errorf("tooling User query = %+v", u)
		} else if attrs, _ := u.Records[0]["attributes"].(map[string]any); !strings.Contains(attrs["url"].(string), "/tooling/sobjects/User/") {
			t.Errorf("tooling record url = %v", attrs)
		}
		// jsforce keeps only totalSize, done and records; the wire answer
		// has the Tooling API's own keys too.
		n := 0
		for _, ex := range f.rec.since(start) {
			if !strings.Contains(ex.URL, "/tooling/query") {
				continue
			}
			n++
			var wire toolingResult
			if err := json.Unmarshal([]byte(ex.RespBody), &wire); err != nil || wire.Size == nil || wire.Size != nil && *wire.Size != len(wire.Records) ||
				len(wire.Records) > 0 && (wire.EntityTypeName == nil || *wire.EntityTypeName != "User") {
				t.Errorf("tooling query answer %s lacks size/entityTypeName", ex.RespBody)
			}
			if !strings.Contains(ex.RespBody, `"queryLocator":null`) {
				t.Errorf("tooling query answer %s lacks queryLocator", ex.RespBody)
			}
		}
		if n != 2 {
			t.Errorf("saw %d tooling queries on the wire, want 2", n)
		}
	})

	t.Run("CompositeAllOrNoneRollsBack", func(t *testing.T) {
		f.watchExchanges(t)
		var got struct {
			Composite struct {
				CompositeResponse []struct {
					Body []struct {
						ErrorCode string `json:"errorCode"`
					} `json:"body"`
					HTTPStatusCode int    `json:"httpStatusCode"`
					ReferenceID    string `json:"referenceId"`
				} `json:"compositeResponse"`
			} `json:"composite"`
			Collection []struct {
				Success bool `json:"success"`
				Errors  []struct {
					StatusCode string `json:"statusCode"`
				} `json:"errors"`
			} `json:"collection"`
			Left int `json:"left"`
		}
		f.jsforce(t, "composite_rollback", admin, nil).mustOK(t, &got)
		rs := got.Composite.CompositeResponse
		if len(rs) != 2 || rs[0].HTTPStatusCode != 400 || len(rs[0].Body) == 0 || rs[0].Body[0].ErrorCode != "PROCESSING_HALTED" ||
			rs[1].HTTPStatusCode != 400 || len(rs[1].Body) == 0 || rs[1].Body[0].ErrorCode != "REQUIRED_FIELD_MISSING" {
			t.Errorf("compositeResponse = %+v, want PROCESSING_HALTED then REQUIRED_FIELD_MISSING", rs)
		}
		cl := got.Collection
		if len(cl) != 2 || cl[0].Success || len(cl[0].Errors) == 0 || cl[0].Errors[0].StatusCode != "ALL_OR_NONE_OPERATION_ROLLED_BACK" ||
			cl[1].Success || len(cl[1].Errors) == 0 || cl[1].Errors[0].StatusCode != "REQUIRED_FIELD_MISSING" {
			t.Errorf("collection create with allOrNone = %+v", cl)
		}
		if got.Left != 0 {
			t.Errorf("%d rolled-back accounts remain", got.Left)
		}
	})
}

// TestSalesforceCLIFidelity runs the CLI's schema, Tooling API and
// deleted-rows commands against the emulator.
func TestSalesforceCLIFidelity(t *testing.T) {
	c := needClients(t)
	t.Parallel()
	f := newFixture(t, c, false)
	f.watchExchanges(t)
	home := t.TempDir()
	token := f.passwordLogin(t, cliUser)
	f.sfOK(t, home, map[string]string{"SF_ACCESS_TOKEN": token}, nil,
		"org", "login", "access-token", "--instance-url", f.url, "--no-prompt", "--alias", "emu")

	t.Run("SobjectDescribe", func(t *testing.T) {
		var d struct {
			Name      string `json:"name"`
			KeyPrefix string `json:"keyPrefix"`
			Fields    []struct {
				Name        string   `json:"name"`
				Type        string   `json:"type"`
				ReferenceTo []string `json:"referenceTo"`
			} `json:"fields"`
		}
		f.sfOK(t, home, nil, &d, "sobject", "describe", "--sobject", "Contact", "--target-org", "emu")
		types := map[string]string{}
		for _, fd := range d.Fields {
			types[fd.Name] = fd.Type
			if fd.Name == "AccountId" && !slices.Equal(fd.ReferenceTo, []string{"Account"}) {
				t.Errorf("Contact.AccountId referenceTo = %v", fd.ReferenceTo)
			}
		}
		if d.Name != "Contact" || d.KeyPrefix != "003" || types["Email"] != "email" || types["Phone"] != "phone" || types["AccountId"] != "reference" {
			t.Errorf("sobject describe Contact = %s %s, field types %v", d.Name, d.KeyPrefix, types)
		}
	})

	t.Run("ToolingQuery", func(t *testing.T) {
		var q sfQuery
		f.sfOK(t, home, nil, &q, "data", "query", "--use-tooling-api", "--query",
			"SELECT Id, Name FROM PermissionSet WHERE IsOwnedByProfile = false", "--target-org", "emu")
		if q.TotalSize != 0 || len(q.Records) != 0 {
			t.Errorf("tooling query of custom permission sets = %+v, want none (the seed has none)", q)
		}
		f.sfOK(t, home, nil, &q, "data", "query", "--use-tooling-api", "--query",
			"SELECT Id, Username FROM User WHERE Username = '"+cliUser.username+"'", "--target-org", "emu")
		if q.TotalSize != 1 || len(q.Records) != 1 || q.Records[0]["Username"] != cliUser.username {
			t.Errorf("tooling query of User = %+v", q)
		}
	})

	t.Run("AllRows", func(t *testing.T) {
		id := f.restCreate(t, token, "Account", map[string]any{"Name": "CLI Deleted"})
		f.restDelete(t, token, "Account", id)
		var live, all sfQuery
		soql := "SELECT Id, IsDeleted FROM Account WHERE Name = 'CLI Deleted'"
		f.sfOK(t, home, nil, &live, "data", "query", "--query", soql, "--target-org", "emu")
		f.sfOK(t, home, nil, &all, "data", "query", "--all-rows", "--query", soql, "--target-org", "emu")
		if live.TotalSize != 0 {
			t.Errorf("data query sees the deleted record: %+v", live)
		}
		if all.TotalSize != 1 || len(all.Records) != 1 || all.Records[0]["Id"] != id || all.Records[0]["IsDeleted"] != true {
			t.Errorf("data query --all-rows = %+v, want the deleted record", all)
		}
	})
}

// restCreate creates a record from Go (setup) and returns its id.
func (f *fixture) restCreate(t *testing.T, token, object string, body map[string]any) string {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, f.url+"/services/data/v62.0/sobjects/"+object, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.httpClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ ID string }
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(data, &out) != nil || out.ID == "" {
		t.Fatalf("setup: create %s: HTTP %d %s", object, resp.StatusCode, data)
	}
	return out.ID
}

// restDelete deletes a record from Go (setup).
func (f *fixture) restDelete(t *testing.T, token, object, id string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, f.url+"/services/data/v62.0/sobjects/"+object+"/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := f.httpClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("setup: delete %s %s: HTTP %d", object, id, resp.StatusCode)
	}
}
