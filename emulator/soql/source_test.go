package soql

import (
	"fmt"
	"strings"
	"time"
)

// memSource is a small in-memory Source used by the tests, fuzz targets and
// benchmarks.
type memSource struct {
	objects map[string]*Object // lower-case name
	rows    map[string][]Row
	byID    map[string]map[string]Row // object -> 15-char id -> row
}

func newMemSource(objs ...*Object) *memSource {
	s := &memSource{objects: map[string]*Object{}, rows: map[string][]Row{}, byID: map[string]map[string]Row{}}
	for _, o := range objs {
		s.objects[strings.ToLower(o.Name)] = o
		s.byID[o.Name] = map[string]Row{}
	}
	return s
}

func (s *memSource) add(object string, rows ...Row) {
	for _, r := range rows {
		s.rows[object] = append(s.rows[object], r)
		if id, ok := r["Id"].(string); ok {
			s.byID[object][idKey(id)] = r
		}
	}
}

func (s *memSource) Object(name string) (*Object, bool) {
	o, ok := s.objects[strings.ToLower(name)]
	return o, ok
}

func (s *memSource) Rows(object string) []Row { return s.rows[object] }

func (s *memSource) Lookup(object, id string) (Row, bool) {
	r, ok := s.byID[object][idKey(id)]
	return r, ok
}

func schema() []*Object {
	return []*Object{
		{
			Name: "User",
			Fields: []Field{
				{"Id", TypeID}, {"Username", TypeString}, {"Email", TypeString}, {"IsActive", TypeBool},
				{"ProfileId", TypeID}, {"ManagerId", TypeID}, {"UserType", TypeString},
				{"LastLoginDate", TypeDateTime}, {"StartDate", TypeDate},
				{"FailedLogins", TypeInt}, {"Score", TypeFloat},
			},
			Relationships: []Relationship{
				{Name: "Profile", Field: "ProfileId", Target: "Profile"},
				{Name: "Manager", Field: "ManagerId", Target: "User"},
			},
		},
		{
			Name:   "Profile",
			Fields: []Field{{"Id", TypeID}, {"Name", TypeString}, {"PermissionsApiEnabled", TypeBool}, {"PermissionsModifyAllData", TypeBool}},
		},
		{
			Name:          "PermissionSet",
			Fields:        []Field{{"Id", TypeID}, {"Name", TypeString}, {"Label", TypeString}, {"IsOwnedByProfile", TypeBool}, {"ProfileId", TypeID}},
			Relationships: []Relationship{{Name: "Profile", Field: "ProfileId", Target: "Profile"}},
		},
		{
			Name:   "PermissionSetAssignment",
			Fields: []Field{{"Id", TypeID}, {"AssigneeId", TypeID}, {"PermissionSetId", TypeID}},
			Relationships: []Relationship{
				{Name: "Assignee", Field: "AssigneeId", Target: "User"},
				{Name: "PermissionSet", Field: "PermissionSetId", Target: "PermissionSet"},
			},
		},
		{
			Name: "LoginHistory",
			Fields: []Field{{"Id", TypeID}, {"UserId", TypeID}, {"LoginTime", TypeDateTime}, {"Status", TypeString},
				{"SourceIp", TypeString}, {"LoginType", TypeString}},
		},
	}
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// Fixed IDs used throughout the tests.
const (
	pAdmin = "00e000000000001AAA"
	pAPI   = "00e000000000002AAA"
	pStd   = "00e000000000003AAA"

	u1 = "005000000000001AAA"
	u2 = "005000000000002AAA"
	u3 = "005000000000003AAA"
	u4 = "005000000000004AAA"
	u5 = "005000000000005AAA"

	psAdmin = "0PS000000000001AAA"
	psAPI   = "0PS000000000002AAA"
	psAudit = "0PS000000000003AAA"
)

// testNow is Wednesday 2026-01-07 15:00 UTC.
var testNow = ts("2026-01-07T15:00:00Z")

func testSource() *memSource {
	s := newMemSource(schema()...)
	s.add("Profile",
		Row{"Id": pAdmin, "Name": "System Administrator", "PermissionsApiEnabled": true, "PermissionsModifyAllData": true},
		Row{"Id": pAPI, "Name": "Minimum Access - API Only Integrations", "PermissionsApiEnabled": true, "PermissionsModifyAllData": false},
		Row{"Id": pStd, "Name": "Standard User", "PermissionsApiEnabled": false, "PermissionsModifyAllData": false},
	)
	s.add("User",
		Row{"Id": u1, "Username": "admin@example.com", "Email": "admin@example.com", "IsActive": true, "ProfileId": pAdmin,
			"UserType": "Standard", "LastLoginDate": ts("2026-01-07T10:00:00Z"), "StartDate": day("2024-03-01"),
			"FailedLogins": int64(0), "Score": 9.5},
		Row{"Id": u2, "Username": "integration@example.com", "Email": "int@example.com", "IsActive": true, "ProfileId": pAPI,
			"ManagerId": u1, "UserType": "Standard", "LastLoginDate": ts("2026-01-06T23:30:00Z"), "StartDate": day("2025-06-15"),
			"FailedLogins": int64(2), "Score": 7.25},
		Row{"Id": u3, "Username": "inactive@example.com", "Email": "inactive@example.com", "IsActive": false, "ProfileId": pStd,
			"ManagerId": u1, "UserType": "Standard", "LastLoginDate": ts("2025-11-01T08:00:00Z"),
			"FailedLogins": int64(5)},
		Row{"Id": u4, "Username": "nologin@example.com", "Email": "", "IsActive": true, "UserType": "CsnOnly",
			"LastLoginDate": time.Time{}, "StartDate": day("2026-01-07"), "FailedLogins": int64(1), "Score": 3.0},
		Row{"Id": u5, "Username": "o'brien_100%@example.com", "Email": "Line\n\"quoted\"", "IsActive": true, "ProfileId": pStd,
			"ManagerId": u2, "UserType": "Standard", "LastLoginDate": ts("2025-12-20T12:00:00Z"), "StartDate": day("2025-12-31"),
			"FailedLogins": int64(0), "Score": -1.5},
	)
	s.add("PermissionSet",
		Row{"Id": psAdmin, "Name": "X00ex_admin", "Label": "Admin profile set", "IsOwnedByProfile": true, "ProfileId": pAdmin},
		Row{"Id": psAPI, "Name": "Integration_Access", "Label": "Integration Access", "IsOwnedByProfile": false},
		Row{"Id": psAudit, "Name": "Audit_Reader", "Label": "Audit Reader", "IsOwnedByProfile": false},
	)
	s.add("PermissionSetAssignment",
		Row{"Id": "0Pa000000000001AAA", "AssigneeId": u1, "PermissionSetId": psAdmin},
		Row{"Id": "0Pa000000000002AAA", "AssigneeId": u2, "PermissionSetId": psAPI},
		Row{"Id": "0Pa000000000003AAA", "AssigneeId": u5, "PermissionSetId": psAPI},
		Row{"Id": "0Pa000000000004AAA", "AssigneeId": u5, "PermissionSetId": psAudit},
	)
	s.add("LoginHistory",
		Row{"Id": "0Ya000000000001AAA", "UserId": u1, "LoginTime": ts("2026-01-07T00:00:00Z"), "Status": "Success", "LoginType": "Application"},
		Row{"Id": "0Ya000000000002AAA", "UserId": u2, "LoginTime": ts("2026-01-06T23:59:59Z"), "Status": "Success", "LoginType": "Remote Access 2.0"},
		Row{"Id": "0Ya000000000003AAA", "UserId": u2, "LoginTime": ts("2026-01-06T00:00:00Z"), "Status": "Invalid Password", "LoginType": "Remote Access 2.0"},
		Row{"Id": "0Ya000000000004AAA", "UserId": u3, "LoginTime": ts("2025-12-08T00:00:00Z"), "Status": "Success", "LoginType": "Application"},
		Row{"Id": "0Ya000000000005AAA", "UserId": u3, "LoginTime": ts("2025-12-07T23:59:59Z"), "Status": "Success", "LoginType": "Application"},
		Row{"Id": "0Ya000000000006AAA", "UserId": u5, "LoginTime": ts("2026-01-08T01:00:00Z"), "Status": "Success", "LoginType": "Application"},
		Row{"Id": "0Ya000000000007AAA", "UserId": u1, "LoginTime": ts("2026-01-07T14:30:00.250Z"), "Status": "Password Lockout", "LoginType": "Application"},
	)
	return s
}

// benchSource returns a source with n users spread over the three profiles.
func benchSource(n int) *memSource {
	s := testSource()
	s.rows["User"] = nil
	s.byID["User"] = map[string]Row{}
	profiles := []string{pAdmin, pAPI, pStd}
	for i := 0; i < n; i++ {
		s.add("User", Row{
			"Id":            fmt.Sprintf("005%012dAAA", i+1),
			"Username":      fmt.Sprintf("user%03d@example.com", (i*37)%n),
			"Email":         fmt.Sprintf("user%03d@example.com", i),
			"IsActive":      i%5 != 0,
			"ProfileId":     profiles[i%3],
			"UserType":      "Standard",
			"LastLoginDate": testNow.Add(-time.Duration(i) * 7 * time.Hour),
			"FailedLogins":  int64(i % 4),
			"Score":         float64(i) / 4,
		})
	}
	return s
}
