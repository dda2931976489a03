package soql

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var pst = time.FixedZone("PST", -8*3600)

func run(t *testing.T, src Source, q string, loc *time.Location) (*Result, error) {
	t.Helper()
	pq, err := Parse(q)
	if err != nil {
		return nil, err
	}
	return Execute(pq, src, testNow, loc)
}

func recordIDs(res *Result) []string {
	out := make([]string, 0, len(res.Records))
	for _, r := range res.Records {
		out = append(out, r.ID)
	}
	return out
}

func encode(res *Result) string {
	var b []byte
	for i, r := range res.Records {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendRecord(b, r, "62.0")
	}
	return string(b)
}

func TestQueryRows(t *testing.T) {
	const (
		lh1 = "0Ya000000000001AAA"
		lh2 = "0Ya000000000002AAA"
		lh3 = "0Ya000000000003AAA"
		lh4 = "0Ya000000000004AAA"
		lh5 = "0Ya000000000005AAA"
		lh6 = "0Ya000000000006AAA"
		lh7 = "0Ya000000000007AAA"
	)
	src := testSource()
	tests := []struct {
		name string
		q    string
		loc  *time.Location
		want []string
	}{
		{"all", "SELECT Id FROM User", nil, []string{u1, u2, u3, u4, u5}},
		{"case-insensitive keywords and names", "select id, USERNAME from user where isactive = TRUE", nil, []string{u1, u2, u4, u5}},
		{"bool false", "SELECT Id FROM User WHERE IsActive = false", nil, []string{u3}},
		{"bool not equal", "SELECT Id FROM User WHERE IsActive != true", nil, []string{u3}},
		{"string equal ignores case", "SELECT Id FROM User WHERE Username = 'ADMIN@Example.com'", nil, []string{u1}},
		{"string not equal", "SELECT Id FROM User WHERE Username != 'admin@example.com'", nil, []string{u2, u3, u4, u5}},
		{"string less", "SELECT Id FROM User WHERE Username < 'INTEGRATION@example.com'", nil, []string{u1, u3}},
		{"string greater or equal", "SELECT Id FROM User WHERE Username >= 'nologin@example.com'", nil, []string{u4, u5}},
		{"null equal (empty string is null)", "SELECT Id FROM User WHERE Email = null", nil, []string{u4}},
		{"empty literal means null", "SELECT Id FROM User WHERE Email = ''", nil, []string{u4}},
		{"not null", "SELECT Id FROM User WHERE Email != null", nil, []string{u1, u2, u3, u5}},
		{"null reference", "SELECT Id FROM User WHERE ProfileId = null", nil, []string{u4}},
		{"zero time is null", "SELECT Id FROM User WHERE LastLoginDate = null", nil, []string{u4}},
		{"zero time not null", "SELECT Id FROM User WHERE LastLoginDate != null", nil, []string{u1, u2, u3, u5}},
		{"int greater", "SELECT Id FROM User WHERE FailedLogins > 1", nil, []string{u2, u3}},
		{"int greater or equal", "SELECT Id FROM User WHERE FailedLogins >= 1", nil, []string{u2, u3, u4}},
		{"int less", "SELECT Id FROM User WHERE FailedLogins < 1", nil, []string{u1, u5}},
		{"int less or equal", "SELECT Id FROM User WHERE FailedLogins <= 0", nil, []string{u1, u5}},
		{"int diamond not equal", "SELECT Id FROM User WHERE FailedLogins <> 0", nil, []string{u2, u3, u4}},
		{"int vs decimal", "SELECT Id FROM User WHERE FailedLogins = 2.0", nil, []string{u2}},
		{"float greater", "SELECT Id FROM User WHERE Score > 3", nil, []string{u1, u2}},
		{"float greater or equal", "SELECT Id FROM User WHERE Score >= 3.0", nil, []string{u1, u2, u4}},
		{"float negative", "SELECT Id FROM User WHERE Score < -1", nil, []string{u5}},
		{"float not equal includes null", "SELECT Id FROM User WHERE Score != 9.5", nil, []string{u2, u3, u4, u5}},
		{"and or parens", "SELECT Id FROM User WHERE IsActive = true AND (FailedLogins > 0 OR Score < 0)", nil, []string{u2, u4, u5}},
		{"or of ands", "SELECT Id FROM User WHERE (IsActive = false) OR (Username = 'admin@example.com' AND FailedLogins = 0)", nil, []string{u1, u3}},
		{"chained and", "SELECT Id FROM User WHERE IsActive = true AND FailedLogins = 0 AND Score > 0", nil, []string{u1}},
		{"chained or", "SELECT Id FROM User WHERE FailedLogins = 5 OR Score = 3 OR Username = 'admin@example.com'", nil, []string{u1, u3, u4}},
		{"not", "SELECT Id FROM User WHERE NOT IsActive = true", nil, []string{u3}},
		{"not parens", "SELECT Id FROM User WHERE NOT (Username LIKE 'i%')", nil, []string{u1, u4, u5}},
		{"double not", "SELECT Id FROM User WHERE NOT NOT (IsActive = false)", nil, []string{u3}},
		{"in", "SELECT Id FROM User WHERE Username IN ('ADMIN@example.com', 'nologin@example.com')", nil, []string{u1, u4}},
		{"not in", "SELECT Id FROM User WHERE Username NOT IN ('ADMIN@example.com', 'nologin@example.com')", nil, []string{u2, u3, u5}},
		{"in null", "SELECT Id FROM User WHERE Email IN (null)", nil, []string{u4}},
		{"not in keeps nulls", "SELECT Id FROM User WHERE ProfileId NOT IN ('00e000000000003AAA')", nil, []string{u1, u2, u4}},
		{"in numbers", "SELECT Id FROM User WHERE FailedLogins IN (1, 5)", nil, []string{u3, u4}},
		{"like prefix", "SELECT Id FROM User WHERE Username LIKE 'I%'", nil, []string{u2, u3}},
		{"like suffix", "SELECT Id FROM User WHERE Username LIKE '%@EXAMPLE.com'", nil, []string{u1, u2, u3, u4, u5}},
		{"like underscore", "SELECT Id FROM User WHERE Username LIKE 'admin@example.co_'", nil, []string{u1}},
		{"like escaped wildcards", `SELECT Id FROM User WHERE Username LIKE '%\_100\%%'`, nil, []string{u5}},
		{"like escaped quote", `SELECT Id FROM User WHERE Username LIKE 'o\'brien%'`, nil, []string{u5}},
		{"like backtracking", "SELECT Id FROM User WHERE Username LIKE '%e%e%e%'", nil, []string{u2, u3, u5}},
		{"like excludes null", "SELECT Id FROM User WHERE Email LIKE '%'", nil, []string{u1, u2, u3, u5}},
		{"like exact", "SELECT Id FROM User WHERE Username LIKE 'NOLOGIN@EXAMPLE.COM'", nil, []string{u4}},
		{"id 15 chars", "SELECT Id FROM User WHERE Id = '005000000000002'", nil, []string{u2}},
		{"id 18 chars", "SELECT Id FROM User WHERE Id = '005000000000002AAA'", nil, []string{u2}},
		{"id 18 chars other suffix", "SELECT Id FROM User WHERE Id = '005000000000002aaa'", nil, []string{u2}},
		{"id case-sensitive", "SELECT Id FROM User WHERE ProfileId = '00E000000000001'", nil, []string{}},
		{"id in mixed lengths", "SELECT Id FROM User WHERE Id IN ('005000000000001', '005000000000003AAA')", nil, []string{u1, u3}},
		{"reference 15 chars", "SELECT Id FROM User WHERE ManagerId = '005000000000001'", nil, []string{u2, u3}},
		{"relationship filter", "SELECT Id FROM User WHERE Profile.Name = 'standard user'", nil, []string{u3, u5}},
		{"relationship not equal keeps null parent", "SELECT Id FROM User WHERE Profile.Name != 'Standard User'", nil, []string{u1, u2, u4}},
		{"relationship bool", "SELECT Id FROM User WHERE Profile.PermissionsApiEnabled = true", nil, []string{u1, u2}},
		{"self relationship like", "SELECT Id FROM User WHERE Manager.Username LIKE 'admin%'", nil, []string{u2, u3}},
		{"two-level filter", "SELECT Id FROM PermissionSetAssignment WHERE Assignee.Profile.Name = 'Standard User'", nil,
			[]string{"0Pa000000000003AAA", "0Pa000000000004AAA"}},
		{"semi-join", "SELECT Id FROM User WHERE Id IN (SELECT AssigneeId FROM PermissionSetAssignment WHERE PermissionSet.Name = 'integration_access')", nil,
			[]string{u2, u5}},
		{"anti-join", "SELECT Id FROM User WHERE Id NOT IN (SELECT AssigneeId FROM PermissionSetAssignment WHERE PermissionSet.Name = 'Integration_Access')", nil,
			[]string{u1, u3, u4}},
		{"semi-join and filter", "SELECT Id FROM User WHERE Id IN (SELECT AssigneeId FROM PermissionSetAssignment WHERE PermissionSet.IsOwnedByProfile = false) AND IsActive = true", nil,
			[]string{u2, u5}},
		{"semi-join on reference", "SELECT Id FROM User WHERE ProfileId IN (SELECT Id FROM Profile WHERE PermissionsModifyAllData = true)", nil, []string{u1}},
		{"semi-join without where", "SELECT Id FROM User WHERE Id IN (SELECT AssigneeId FROM PermissionSetAssignment)", nil, []string{u1, u2, u5}},
		{"anti-join with null reference", "SELECT Id FROM User WHERE ProfileId NOT IN (SELECT Id FROM Profile WHERE PermissionsApiEnabled = true)", nil, []string{u3, u4, u5}},

		// Date/time literals (now is Wednesday 2026-01-07 15:00 UTC).
		{"datetime today", "SELECT Id FROM User WHERE LastLoginDate = TODAY", nil, []string{u1}},
		{"datetime yesterday", "SELECT Id FROM User WHERE LastLoginDate = YESTERDAY", nil, []string{u2}},
		{"datetime greater than yesterday", "SELECT Id FROM User WHERE LastLoginDate > YESTERDAY", nil, []string{u1}},
		{"datetime less than today", "SELECT Id FROM User WHERE LastLoginDate < today", nil, []string{u2, u3, u5}},
		{"datetime last n days equal", "SELECT Id FROM User WHERE LastLoginDate = LAST_N_DAYS:30", nil, []string{u1, u2, u5}},
		{"datetime greater last n days", "SELECT Id FROM User WHERE LastLoginDate > LAST_N_DAYS:30", nil, []string{u1, u2, u5}},
		{"datetime less last n days", "SELECT Id FROM User WHERE LastLoginDate < LAST_N_DAYS:30", nil, []string{u3}},
		{"datetime ge last 7 days", "SELECT Id FROM User WHERE LastLoginDate >= LAST_N_DAYS:7", nil, []string{u1, u2}},
		{"datetime this week", "SELECT Id FROM User WHERE LastLoginDate = THIS_WEEK", nil, []string{u1, u2}},
		{"datetime last week", "SELECT Id FROM User WHERE LastLoginDate = LAST_WEEK", nil, []string{}},
		{"datetime this month", "SELECT Id FROM User WHERE LastLoginDate = THIS_MONTH", nil, []string{u1, u2}},
		{"datetime last month", "SELECT Id FROM User WHERE LastLoginDate = LAST_MONTH", nil, []string{u5}},
		{"datetime n days ago", "SELECT Id FROM User WHERE LastLoginDate = N_DAYS_AGO:18", nil, []string{u5}},
		{"datetime last n hours", "SELECT Id FROM User WHERE LastLoginDate > LAST_N_HOURS:6", nil, []string{u1}},
		{"login today utc", "SELECT Id FROM LoginHistory WHERE LoginTime = TODAY", nil, []string{lh1, lh7}},
		{"login yesterday utc", "SELECT Id FROM LoginHistory WHERE LoginTime = YESTERDAY", nil, []string{lh2, lh3}},
		{"login tomorrow utc", "SELECT Id FROM LoginHistory WHERE LoginTime = TOMORROW", nil, []string{lh6}},
		{"login today pst", "SELECT Id FROM LoginHistory WHERE LoginTime = TODAY", pst, []string{lh6, lh7}},
		{"login yesterday pst", "SELECT Id FROM LoginHistory WHERE LoginTime = YESTERDAY", pst, []string{lh1, lh2}},
		{"login last 30 days equal", "SELECT Id FROM LoginHistory WHERE LoginTime = LAST_N_DAYS:30", nil, []string{lh1, lh2, lh3, lh4, lh7}},
		{"login greater last 30 days", "SELECT Id FROM LoginHistory WHERE LoginTime > LAST_N_DAYS:30", nil, []string{lh1, lh2, lh3, lh6, lh7}},
		{"login ge last 30 days", "SELECT Id FROM LoginHistory WHERE LoginTime >= LAST_N_DAYS:30", nil, []string{lh1, lh2, lh3, lh4, lh6, lh7}},
		{"login last 90 days", "SELECT Id FROM LoginHistory WHERE LoginTime >= LAST_90_DAYS", nil, []string{lh1, lh2, lh3, lh4, lh5, lh6, lh7}},
		{"datetime literal Z", "SELECT Id FROM LoginHistory WHERE LoginTime = 2026-01-07T00:00:00Z", nil, []string{lh1}},
		{"datetime literal millis", "SELECT Id FROM LoginHistory WHERE LoginTime = 2026-01-07T00:00:00.000Z", nil, []string{lh1}},
		{"datetime literal offset", "SELECT Id FROM LoginHistory WHERE LoginTime = 2026-01-07T02:00:00+02:00", nil, []string{lh1}},
		{"datetime literal negative offset", "SELECT Id FROM LoginHistory WHERE LoginTime = 2026-01-06T16:00:00-08:00", nil, []string{lh1}},
		{"datetime literal fraction", "SELECT Id FROM LoginHistory WHERE LoginTime = 2026-01-07T14:30:00.25Z", nil, []string{lh7}},
		{"datetime ge literal", "SELECT Id FROM LoginHistory WHERE LoginTime >= 2026-01-07T00:00:00Z", nil, []string{lh1, lh6, lh7}},
		{"datetime gt literal", "SELECT Id FROM LoginHistory WHERE LoginTime > 2026-01-07T00:00:00Z", nil, []string{lh6, lh7}},
		{"datetime lt literal", "SELECT Id FROM LoginHistory WHERE LoginTime < 2026-01-06T23:59:59Z", nil, []string{lh3, lh4, lh5}},
		{"datetime le literal", "SELECT Id FROM LoginHistory WHERE LoginTime <= 2026-01-06T23:59:59Z", nil, []string{lh2, lh3, lh4, lh5}},
		{"date literal on datetime", "SELECT Id FROM LoginHistory WHERE LoginTime = 2026-01-06", nil, []string{lh2, lh3}},
		{"date literal on datetime pst", "SELECT Id FROM LoginHistory WHERE LoginTime = 2026-01-06", pst, []string{lh1, lh2}},
		{"gt date literal on datetime", "SELECT Id FROM LoginHistory WHERE LoginTime > 2026-01-06", nil, []string{lh1, lh6, lh7}},
		{"lt date literal on datetime", "SELECT Id FROM LoginHistory WHERE LoginTime < 2026-01-06", nil, []string{lh4, lh5}},
		{"le date literal on datetime", "SELECT Id FROM LoginHistory WHERE LoginTime <= 2026-01-06", nil, []string{lh2, lh3, lh4, lh5}},
		{"date field today", "SELECT Id FROM User WHERE StartDate = TODAY", nil, []string{u4}},
		{"date field literal", "SELECT Id FROM User WHERE StartDate = 2025-12-31", nil, []string{u5}},
		{"date field less", "SELECT Id FROM User WHERE StartDate < 2025-01-01", nil, []string{u1}},
		{"date field greater last n days", "SELECT Id FROM User WHERE StartDate > LAST_N_DAYS:30", nil, []string{u4, u5}},
		{"date field this year", "SELECT Id FROM User WHERE StartDate = THIS_YEAR", nil, []string{u4}},
		{"date field last year", "SELECT Id FROM User WHERE StartDate = LAST_YEAR", nil, []string{u2, u5}},
		{"date field null", "SELECT Id FROM User WHERE StartDate = null", nil, []string{u3}},
		{"date field in", "SELECT Id FROM User WHERE StartDate IN (2024-03-01, TODAY)", nil, []string{u1, u4}},

		// ORDER BY, LIMIT, OFFSET.
		{"order asc", "SELECT Id FROM User ORDER BY Username", nil, []string{u1, u3, u2, u4, u5}},
		{"order desc", "SELECT Id FROM User ORDER BY Username DESC", nil, []string{u5, u4, u2, u3, u1}},
		{"order nulls first by default asc", "SELECT Id FROM User ORDER BY Score", nil, []string{u3, u5, u4, u2, u1}},
		{"order nulls last by default desc", "SELECT Id FROM User ORDER BY Score DESC", nil, []string{u1, u2, u4, u5, u3}},
		{"order asc nulls last", "SELECT Id FROM User ORDER BY Score ASC NULLS LAST", nil, []string{u5, u4, u2, u1, u3}},
		{"order desc nulls first", "SELECT Id FROM User ORDER BY Score DESC NULLS FIRST", nil, []string{u3, u1, u2, u4, u5}},
		{"order relationship", "SELECT Id FROM User ORDER BY Profile.Name, Username", nil, []string{u4, u2, u3, u5, u1}},
		{"order stable", "SELECT Id FROM User ORDER BY IsActive", nil, []string{u3, u1, u2, u4, u5}},
		{"order stable desc", "SELECT Id FROM User ORDER BY IsActive DESC", nil, []string{u1, u2, u4, u5, u3}},
		{"order two keys", "SELECT Id FROM User ORDER BY UserType DESC, Id DESC", nil, []string{u5, u3, u2, u1, u4}},
		{"order datetime", "SELECT Id FROM User ORDER BY LastLoginDate DESC NULLS LAST", nil, []string{u1, u2, u5, u3, u4}},
		{"order date", "SELECT Id FROM User ORDER BY StartDate", nil, []string{u3, u1, u2, u5, u4}},
		{"order two-level", "SELECT Id FROM PermissionSetAssignment ORDER BY Assignee.Username DESC, PermissionSet.Name", nil,
			[]string{"0Pa000000000004AAA", "0Pa000000000003AAA", "0Pa000000000002AAA", "0Pa000000000001AAA"}},
		{"where order limit", "SELECT Id FROM User WHERE IsActive = true ORDER BY Username LIMIT 2", nil, []string{u1, u2}},
		{"where limit without order", "SELECT Id FROM User WHERE IsActive = true LIMIT 2", nil, []string{u1, u2}},
		{"where offset limit without order", "SELECT Id FROM User WHERE IsActive = true LIMIT 2 OFFSET 1", nil, []string{u2, u4}},
		{"where limit beyond matches", "SELECT Id FROM User WHERE IsActive = false LIMIT 5", nil, []string{u3}},
		{"limit offset", "SELECT Id FROM User ORDER BY Username LIMIT 2 OFFSET 2", nil, []string{u2, u4}},
		{"offset", "SELECT Id FROM User ORDER BY Username OFFSET 4", nil, []string{u5}},
		{"offset past end", "SELECT Id FROM User OFFSET 10", nil, []string{}},
		{"limit zero", "SELECT Id FROM User LIMIT 0", nil, []string{}},

		// Aliases and no-op clauses.
		{"alias", "SELECT u.Id, u.Username FROM User u WHERE u.IsActive = false", nil, []string{u3}},
		{"object prefix", "SELECT User.Id FROM User WHERE User.IsActive = false ORDER BY User.Username", nil, []string{u3}},
		{"with security enforced", "SELECT Id FROM User WHERE IsActive = false WITH SECURITY_ENFORCED", nil, []string{u3}},
		{"for view", "SELECT Id FROM User WHERE IsActive = false LIMIT 1 FOR VIEW", nil, []string{u3}},
		{"whitespace and newlines", "SELECT\n\tId\r\nFROM   User\nWHERE\nIsActive=false", nil, []string{u3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := run(t, src, tc.q, tc.loc)
			if err != nil {
				t.Fatalf("%s: %v", tc.q, err)
			}
			got := recordIDs(res)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s\n got %v\nwant %v", tc.q, got, tc.want)
			}
			if res.TotalSize != len(tc.want) {
				t.Errorf("TotalSize = %d, want %d", res.TotalSize, len(tc.want))
			}
		})
	}
}

func TestQueryJSON(t *testing.T) {
	src := testSource()
	const base = "/services/data/v62.0/sobjects/"
	tests := []struct {
		name  string
		q     string
		want  string
		total int
	}{
		{
			"relationship field",
			"SELECT Id, Username, Profile.Name FROM User WHERE Id = '005000000000001AAA'",
			`{"attributes":{"type":"User","url":"` + base + `User/005000000000001AAA"},"Id":"005000000000001AAA","Username":"admin@example.com","Profile":{"attributes":{"type":"Profile","url":"` + base + `Profile/00e000000000001AAA"},"Name":"System Administrator"}}`,
			1,
		},
		{
			"merged relationship fields and value types",
			"SELECT profile.name, username, PROFILE.ID, IsActive, LastLoginDate, StartDate, FailedLogins, Score FROM user WHERE Id = '005000000000001'",
			`{"attributes":{"type":"User","url":"` + base + `User/005000000000001AAA"},"Profile":{"attributes":{"type":"Profile","url":"` + base + `Profile/00e000000000001AAA"},"Name":"System Administrator","Id":"00e000000000001AAA"},"Username":"admin@example.com","IsActive":true,"LastLoginDate":"2026-01-07T10:00:00.000+0000","StartDate":"2024-03-01","FailedLogins":0,"Score":9.5}`,
			1,
		},
		{
			"null relationship and empty string",
			"SELECT Email, Profile.Name, Manager.Username, LastLoginDate FROM User WHERE Id = '005000000000004AAA'",
			`{"attributes":{"type":"User","url":"` + base + `User/005000000000004AAA"},"Email":null,"Profile":null,"Manager":null,"LastLoginDate":null}`,
			1,
		},
		{
			"escaping",
			"SELECT Username, Email, Score FROM User WHERE Id = '005000000000005AAA'",
			`{"attributes":{"type":"User","url":"` + base + `User/005000000000005AAA"},"Username":"o'brien_100%@example.com","Email":"Line\n\"quoted\"","Score":-1.5}`,
			1,
		},
		{
			"two-level paths",
			"SELECT Id, Assignee.Username, Assignee.Profile.Name, PermissionSet.Name FROM PermissionSetAssignment WHERE Id = '0Pa000000000003AAA'",
			`{"attributes":{"type":"PermissionSetAssignment","url":"` + base + `PermissionSetAssignment/0Pa000000000003AAA"},"Id":"0Pa000000000003AAA","Assignee":{"attributes":{"type":"User","url":"` + base + `User/005000000000005AAA"},"Username":"o'brien_100%@example.com","Profile":{"attributes":{"type":"Profile","url":"` + base + `Profile/00e000000000003AAA"},"Name":"Standard User"}},"PermissionSet":{"attributes":{"type":"PermissionSet","url":"` + base + `PermissionSet/0PS000000000002AAA"},"Name":"Integration_Access"}}`,
			1,
		},
		{
			"self relationship chain",
			"SELECT Manager.Manager.Username FROM User WHERE Id = '005000000000005AAA'",
			`{"attributes":{"type":"User","url":"` + base + `User/005000000000005AAA"},"Manager":{"attributes":{"type":"User","url":"` + base + `User/005000000000002AAA"},"Manager":{"attributes":{"type":"User","url":"` + base + `User/005000000000001AAA"},"Username":"admin@example.com"}}}`,
			1,
		},
		{
			"null second level",
			"SELECT Manager.Manager.Username FROM User WHERE Id = '005000000000002AAA'",
			`{"attributes":{"type":"User","url":"` + base + `User/005000000000002AAA"},"Manager":{"attributes":{"type":"User","url":"` + base + `User/005000000000001AAA"},"Manager":null}}`,
			1,
		},
		{
			"count id",
			"SELECT COUNT(Id) FROM User",
			`{"attributes":{"type":"AggregateResult"},"expr0":5}`,
			1,
		},
		{
			"count alias with where",
			"SELECT COUNT(Id) cnt FROM User WHERE IsActive = false",
			`{"attributes":{"type":"AggregateResult"},"cnt":1}`,
			1,
		},
		{
			"count field skips nulls",
			"SELECT COUNT(Score), COUNT(Email), COUNT(Profile.Name) FROM User",
			`{"attributes":{"type":"AggregateResult"},"expr0":4,"expr1":4,"expr2":4}`,
			1,
		},
		{
			"other aggregates",
			"SELECT MIN(LastLoginDate), MAX(LastLoginDate) maxLogin, SUM(FailedLogins), AVG(Score), COUNT_DISTINCT(ProfileId), MIN(StartDate), MAX(Username), SUM(Score) FROM User",
			`{"attributes":{"type":"AggregateResult"},"expr0":"2025-11-01T08:00:00.000+0000","maxLogin":"2026-01-07T10:00:00.000+0000","expr1":8,"expr2":4.5625,"expr3":3,"expr4":"2024-03-01","expr5":"o'brien_100%@example.com","expr6":18.25}`,
			1,
		},
		{
			"aggregates over no rows",
			"SELECT COUNT(Id), MAX(Score), SUM(FailedLogins) FROM User WHERE Username = 'nobody'",
			`{"attributes":{"type":"AggregateResult"},"expr0":0,"expr1":null,"expr2":null}`,
			1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := run(t, src, tc.q, nil)
			if err != nil {
				t.Fatalf("%s: %v", tc.q, err)
			}
			if got := encode(res); got != tc.want {
				t.Errorf("%s\n got %s\nwant %s", tc.q, got, tc.want)
			}
			if res.TotalSize != tc.total {
				t.Errorf("TotalSize = %d, want %d", res.TotalSize, tc.total)
			}
			if !json.Valid([]byte(encode(res))) {
				t.Errorf("invalid JSON")
			}
		})
	}
}

func TestCountOnly(t *testing.T) {
	src := testSource()
	tests := []struct {
		q    string
		want int
	}{
		{"SELECT COUNT() FROM User", 5},
		{"select count() from user where isactive = true", 4},
		{"SELECT COUNT() FROM User WHERE Id IN (SELECT AssigneeId FROM PermissionSetAssignment)", 3},
		{"SELECT COUNT() FROM User LIMIT 2", 2},
		{"SELECT COUNT() FROM User WHERE Username = 'nobody'", 0},
	}
	for _, tc := range tests {
		res, err := run(t, src, tc.q, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		if res.TotalSize != tc.want || res.Records == nil || len(res.Records) != 0 || res.Object != "User" {
			t.Errorf("%s: got total %d records %v object %q, want %d and empty records", tc.q, res.TotalSize, res.Records, res.Object, tc.want)
		}
	}
	pq, _ := Parse("SELECT COUNT() FROM User")
	if !pq.IsCount() || pq.Object() != "User" || pq.String() != "SELECT COUNT() FROM User" {
		t.Errorf("accessors: IsCount=%v Object=%q String=%q", pq.IsCount(), pq.Object(), pq.String())
	}
}

func TestRecordShape(t *testing.T) {
	src := testSource()
	res, err := run(t, src, "SELECT Username, Profile.Name, Profile.Id FROM user WHERE Id = '005000000000002AAA'", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Object != "User" || len(res.Records) != 1 {
		t.Fatalf("got %+v", res)
	}
	r := res.Records[0]
	if r.Object != "User" || r.ID != u2 || len(r.Fields) != 2 {
		t.Fatalf("record %+v", r)
	}
	if f := r.Fields[0]; f.Name != "Username" || f.Value != "integration@example.com" || f.IsRelationship {
		t.Errorf("field 0 = %+v", f)
	}
	f := r.Fields[1]
	if f.Name != "Profile" || !f.IsRelationship || f.Parent == nil || f.Parent.ID != pAPI || f.Parent.Object != "Profile" {
		t.Fatalf("field 1 = %+v", f)
	}
	if len(f.Parent.Fields) != 2 || f.Parent.Fields[0].Name != "Name" || f.Parent.Fields[1].Name != "Id" {
		t.Errorf("parent fields = %+v", f.Parent.Fields)
	}
}

const (
	customFieldTail = ". If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
	customRelTail   = "' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
)

func TestErrorsExact(t *testing.T) {
	src := testSource()
	tests := []struct {
		q    string
		code string
		msg  string
	}{
		{"SELECT Id FRM User", "MALFORMED_QUERY", "\nSELECT Id FRM User\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FRM'"},
		{"SELECT Id FROM Foo", "INVALID_TYPE", "\nSELECT Id FROM Foo\n               ^\nERROR at Row:1:Column:16\nsObject type 'Foo' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."},
		{"SELECT Foo FROM User", "INVALID_FIELD", "\nSELECT Foo FROM User\n       ^\nERROR at Row:1:Column:8\nNo such column 'Foo' on entity 'User'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."},
		{"", "MALFORMED_QUERY", "SOQL statements cannot be empty or null"},
		{" \n\t ", "MALFORMED_QUERY", "SOQL statements cannot be empty or null"},
		{"SELECT Id FROM User WHERE", "MALFORMED_QUERY", "\nSELECT Id FROM User WHERE\n                         ^\nERROR at Row:1:Column:26\nunexpected token: '<EOF>'"},
		{"SELECT Bogus.Name FROM User", "INVALID_FIELD", "\nSELECT Bogus.Name FROM User\n       ^\nERROR at Row:1:Column:8\nDidn't understand relationship 'Bogus" + customRelTail},
		{"SELECT Id FROM User WHERE Profile.Bogus = 'x'", "INVALID_FIELD", "\nSELECT Id FROM User WHERE Profile.Bogus = 'x'\n                          ^\nERROR at Row:1:Column:27\nNo such column 'Bogus' on entity 'Profile'" + customFieldTail},
		{"SELECT Id FROM User WHERE IsActive = 'yes'", "INVALID_FIELD", "\nSELECT Id FROM User WHERE IsActive = 'yes'\n                          ^\nERROR at Row:1:Column:27\nvalue of filter criterion for field 'IsActive' must be of type boolean and should not be enclosed in quotes"},
		{"SELECT Id,\n  Foo\nFROM User", "INVALID_FIELD", "\n  Foo\n  ^\nERROR at Row:2:Column:3\nNo such column 'Foo' on entity 'User'" + customFieldTail},
		{"SELECT Id FROM User WHERE IsActive = true AND FailedLogins > 1 OR Score < 0", "MALFORMED_QUERY", "\nSELECT Id FROM User WHERE IsActive = true AND FailedLogins > 1 OR Score < 0\n                                                               ^\nERROR at Row:1:Column:64\nunexpected token: 'OR'"},
		{"SELECT Id, FROM User", "MALFORMED_QUERY", "\nSELECT Id, FROM User\n           ^\nERROR at Row:1:Column:12\nunexpected token: 'FROM'"},
		{"SELECT Id FROM User WHERE Name = \"x\"", "MALFORMED_QUERY", "\nSELECT Id FROM User WHERE Name = \"x\"\n                                 ^\nERROR at Row:1:Column:34\nunexpected token: '\"'"},
		{"SELECT Id FROM User WHERE Id = 'x", "MALFORMED_QUERY", "\nSELECT Id FROM User WHERE Id = 'x\n                               ^\nERROR at Row:1:Column:32\nmismatched character '<EOF>' expecting '''"},
		{"SELECT Id FROM User WHERE Username = 'é' AND Foo = 1", "INVALID_FIELD", "\nSELECT Id FROM User WHERE Username = 'é' AND Foo = 1\n                                             ^\nERROR at Row:1:Column:46\nNo such column 'Foo' on entity 'User'" + customFieldTail},
	}
	for _, tc := range tests {
		_, err := run(t, src, tc.q, nil)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: got %v, want *Error", tc.q, err)
			continue
		}
		if e.Code != tc.code || e.Message != tc.msg {
			t.Errorf("%q:\n got %s %q\nwant %s %q", tc.q, e.Code, e.Message, tc.code, tc.msg)
		}
		if e.Error() != tc.code+": "+tc.msg {
			t.Errorf("Error() = %q", e.Error())
		}
	}
}

func TestErrors(t *testing.T) {
	src := testSource()
	tests := []struct {
		name string
		q    string
		code string
		sub  string // substring of the message
	}{
		{"datetime vs number", "SELECT Id FROM LoginHistory WHERE LoginTime > 5", "INVALID_FIELD", "value of filter criterion for field 'LoginTime' must be of type dateTime and should not be enclosed in quotes"},
		{"datetime vs string", "SELECT Id FROM LoginHistory WHERE LoginTime > '2026-01-01'", "INVALID_FIELD", "must be of type dateTime"},
		{"string vs number", "SELECT Id FROM User WHERE Username = 5", "INVALID_FIELD", "value of filter criterion for field 'Username' must be of type string and should be enclosed in quotes"},
		{"int vs string", "SELECT Id FROM User WHERE FailedLogins = '5'", "INVALID_FIELD", "must be of type integer and should not be enclosed in quotes"},
		{"float vs bool", "SELECT Id FROM User WHERE Score = true", "INVALID_FIELD", "must be of type double"},
		{"date vs datetime", "SELECT Id FROM User WHERE StartDate = 2026-01-01T00:00:00Z", "INVALID_FIELD", "must be of type date and"},
		{"id vs number", "SELECT Id FROM User WHERE Id = 5", "INVALID_FIELD", "must be of type id and should be enclosed in quotes"},
		{"in list type", "SELECT Id FROM User WHERE Username IN ('a', 5)", "INVALID_FIELD", "must be of type string"},
		{"like non-string literal", "SELECT Id FROM User WHERE Username LIKE 5", "INVALID_FIELD", "must be of type string"},
		{"like on bool", "SELECT Id FROM User WHERE IsActive LIKE 'x'", "INVALID_FIELD", "invalid operator on boolean field 'IsActive'"},
		{"bool ordering", "SELECT Id FROM User WHERE IsActive > true", "INVALID_FIELD", "invalid operator on boolean field 'IsActive'"},
		{"unknown relationship in where", "SELECT Id FROM User WHERE Bogus.Name = 'x'", "INVALID_FIELD", "Didn't understand relationship 'Bogus'"},
		{"field used as relationship", "SELECT IsActive.Name FROM User", "INVALID_FIELD", "Didn't understand relationship 'IsActive'"},
		{"relationship without field", "SELECT Profile FROM User", "INVALID_FIELD", "No such column 'Profile' on entity 'User'"},
		{"unknown order field", "SELECT Id FROM User ORDER BY Nope", "INVALID_FIELD", "No such column 'Nope' on entity 'User'"},
		{"unknown semi-join object", "SELECT Id FROM User WHERE Id IN (SELECT AssigneeId FROM Nope)", "INVALID_TYPE", "sObject type 'Nope' is not supported"},
		{"unknown semi-join field", "SELECT Id FROM User WHERE Id IN (SELECT Nope FROM PermissionSetAssignment)", "INVALID_FIELD", "No such column 'Nope' on entity 'PermissionSetAssignment'"},
		{"semi-join selects non-id", "SELECT Id FROM User WHERE Id IN (SELECT Name FROM Profile)", "INVALID_FIELD", "must select an Id or reference field"},
		{"semi-join on non-id", "SELECT Id FROM User WHERE Username IN (SELECT Id FROM Profile)", "INVALID_FIELD", "require an Id or reference field"},
		{"semi-join two fields", "SELECT Id FROM User WHERE Id IN (SELECT Id, Name FROM Profile)", "MALFORMED_QUERY", "exactly one"},
		{"duplicate field", "SELECT Id, Username, id FROM User", "MALFORMED_QUERY", "duplicate field selected: id"},
		{"duplicate relationship field", "SELECT Profile.Name, profile.name FROM User", "MALFORMED_QUERY", "duplicate field selected: profile.name"},
		{"aggregate mixed with field", "SELECT Username, COUNT(Id) FROM User", "MALFORMED_QUERY", "Field must be grouped or aggregated: Username"},
		{"aggregate with order by", "SELECT COUNT(Id) FROM User ORDER BY Username", "MALFORMED_QUERY", "Ordered field must be grouped or aggregated: Username"},
		{"sum of string", "SELECT SUM(Username) FROM User", "MALFORMED_QUERY", "does not support aggregate operator SUM"},
		{"count() not alone", "SELECT Id, COUNT() FROM User", "MALFORMED_QUERY", "COUNT() must be the only element"},
		{"count() then field", "SELECT COUNT(), Id FROM User", "MALFORMED_QUERY", "unexpected token: ','"},
		{"group by", "SELECT COUNT(Id) FROM User GROUP BY ProfileId", "MALFORMED_QUERY", "GROUP BY is not supported"},
		{"child subquery", "SELECT Id, (SELECT Id FROM Contacts) FROM Account", "MALFORMED_QUERY", "child relationship sub-queries are not supported"},
		{"unknown function", "SELECT FIELDS(ALL) FROM User", "MALFORMED_QUERY", "function 'FIELDS' is not supported"},
		{"function in where", "SELECT Id FROM User WHERE CALENDAR_YEAR(LastLoginDate) = 2026", "MALFORMED_QUERY", "function 'CALENDAR_YEAR' is not supported"},
		{"includes", "SELECT Id FROM User WHERE Username INCLUDES ('a')", "MALFORMED_QUERY", "INCLUDES is not supported"},
		{"missing select", "Id FROM User", "MALFORMED_QUERY", "unexpected token: 'Id'"},
		{"missing fields", "SELECT FROM User", "MALFORMED_QUERY", "unexpected token: 'FROM'"},
		{"missing object", "SELECT Id FROM", "MALFORMED_QUERY", "unexpected token: '<EOF>'"},
		{"trailing garbage", "SELECT Id FROM User LIMIT 5 extra", "MALFORMED_QUERY", "unexpected token: 'extra'"},
		{"order by without field", "SELECT Id FROM User ORDER BY", "MALFORMED_QUERY", "unexpected token: '<EOF>'"},
		{"nulls without first/last", "SELECT Id FROM User ORDER BY Id NULLS", "MALFORMED_QUERY", "unexpected token: '<EOF>'"},
		{"negative limit", "SELECT Id FROM User LIMIT -1", "MALFORMED_QUERY", "unexpected token: '-1'"},
		{"string limit", "SELECT Id FROM User LIMIT '5'", "MALFORMED_QUERY", "unexpected token: ''5''"},
		{"huge limit", "SELECT Id FROM User LIMIT 99999999999999999999", "MALFORMED_QUERY", "unexpected token"},
		{"bind variable", "SELECT Id FROM User WHERE Id = :userId", "MALFORMED_QUERY", "unexpected token: ':'"},
		{"missing value", "SELECT Id FROM User WHERE Id =", "MALFORMED_QUERY", "unexpected token: '<EOF>'"},
		{"missing operator", "SELECT Id FROM User WHERE Id 'x'", "MALFORMED_QUERY", "unexpected token: ''x''"},
		{"unbalanced paren", "SELECT Id FROM User WHERE (IsActive = true", "MALFORMED_QUERY", "unexpected token: '<EOF>'"},
		{"empty in list", "SELECT Id FROM User WHERE Id IN ()", "MALFORMED_QUERY", "unexpected token: ')'"},
		{"not without in", "SELECT Id FROM User WHERE Id NOT LIKE 'x'", "MALFORMED_QUERY", "unexpected token: 'LIKE'"},
		{"invalid escape", `SELECT Id FROM User WHERE Username = 'a\qb'`, "MALFORMED_QUERY", `Illegal character sequence '\q' in string literal.`},
		{"invalid date", "SELECT Id FROM User WHERE StartDate = 2026-02-30", "MALFORMED_QUERY", "unexpected token: '2026-02-30'"},
		{"datetime without zone", "SELECT Id FROM LoginHistory WHERE LoginTime > 2026-01-01T10:00:00", "MALFORMED_QUERY", "unexpected token: '2026-01-01T10:00:00'"},
		{"bad datetime", "SELECT Id FROM LoginHistory WHERE LoginTime > 2026-01-01T10:00Z", "MALFORMED_QUERY", "unexpected token: '2026-01-01T10:00Z'"},
		{"date literal without n", "SELECT Id FROM User WHERE LastLoginDate > LAST_N_DAYS", "MALFORMED_QUERY", "unexpected token: '<EOF>'"},
		{"date literal bad n", "SELECT Id FROM User WHERE LastLoginDate > LAST_N_DAYS:x", "MALFORMED_QUERY", "unexpected token: 'x'"},
		{"unknown identifier value", "SELECT Id FROM User WHERE IsActive = yes", "MALFORMED_QUERY", "unexpected token: 'yes'"},
		{"with unknown", "SELECT Id FROM User WITH FOO", "MALFORMED_QUERY", "unexpected token: 'FOO'"},
		{"using scope", "SELECT Id FROM User USING SCOPE Mine", "MALFORMED_QUERY", "USING SCOPE is not supported"},
		{"deep parens", "SELECT Id FROM User WHERE " + strings.Repeat("(", 150) + "IsActive = true" + strings.Repeat(")", 150), "MALFORMED_QUERY", "nested too deeply"},
		{"deep not", "SELECT Id FROM User WHERE " + strings.Repeat("NOT ", 150) + "IsActive = true", "MALFORMED_QUERY", "nested too deeply"},
		{"deep semi-joins", "SELECT Id FROM User WHERE " + strings.Repeat("Id IN (SELECT Id FROM User WHERE ", 60) + "IsActive = true" + strings.Repeat(")", 60), "MALFORMED_QUERY", "nested too deeply"},
		{"unknown object in from", "select id from foo__c", "INVALID_TYPE", "sObject type 'foo__c' is not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t, src, tc.q, nil)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%q: got %v, want *Error", tc.q, err)
			}
			if e.Code != tc.code || !strings.Contains(e.Message, tc.sub) {
				t.Errorf("%q:\n got %s %q\nwant %s containing %q", tc.q, e.Code, e.Message, tc.code, tc.sub)
			}
			if tc.code != "MALFORMED_QUERY" || !strings.HasPrefix(e.Message, "SOQL") {
				if !strings.HasPrefix(e.Message, "\n") || !strings.Contains(e.Message, "^\nERROR at Row:") {
					t.Errorf("%q: message lacks position: %q", tc.q, e.Message)
				}
			}
		})
	}
}

func TestParseOnlyChecksSyntax(t *testing.T) {
	// Unknown names parse fine; Execute reports them.
	for _, q := range []string{
		"SELECT Foo, Bar.Baz FROM Nope WHERE Qux = 'x' ORDER BY Zap LIMIT 1",
		"SELECT Id FROM Order ORDER BY Name",
		"SELECT Id FROM Group",
		"SELECT COUNT_DISTINCT(Name) n, MIN(Amount), MAX(Amount), SUM(Amount), AVG(Amount) FROM Opportunity",
		"SELECT Id FROM Account WHERE CreatedDate > NEXT_N_WEEKS:2 OR CreatedDate < LAST_N_MONTHS:3 OR CreatedDate = NEXT_90_DAYS",
	} {
		if _, err := Parse(q); err != nil {
			t.Errorf("Parse(%q): %v", q, err)
		}
	}
}

func TestExecuteArguments(t *testing.T) {
	if _, err := Execute(nil, testSource(), testNow, nil); err == nil {
		t.Error("nil query: want error")
	}
	q, _ := Parse("SELECT Id FROM User")
	if _, err := Execute(q, nil, testNow, nil); err == nil {
		t.Error("nil source: want error")
	}
}

func TestConcurrentExecute(t *testing.T) {
	src := testSource()
	q, err := Parse("SELECT Id, Profile.Name FROM User WHERE LastLoginDate = LAST_N_DAYS:30 AND Id IN (SELECT AssigneeId FROM PermissionSetAssignment) ORDER BY Username")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	for i := 0; i < 8; i++ {
		go func() {
			var last string
			for j := 0; j < 50; j++ {
				res, err := Execute(q, src, testNow, pst)
				if err != nil {
					done <- err.Error()
					return
				}
				last = encode(res)
			}
			done <- last
		}()
	}
	first := <-done
	for i := 1; i < 8; i++ {
		if got := <-done; got != first {
			t.Errorf("goroutine results differ: %s vs %s", got, first)
		}
	}
}

func TestAppendRecordValues(t *testing.T) {
	r := &Record{Object: "Thing", ID: "a0X000000000001AAA", Fields: []FieldValue{
		{Name: "S", Value: "tab\tctl\x01 \u2028 bad\xff é"},
		{Name: "I", Value: int64(-42)},
		{Name: "N", Value: 7},
		{Name: "U", Value: uint8(7)},
		{Name: "F", Value: 1.5e-7},
		{Name: "G", Value: 1e21},
		{Name: "H", Value: float32(0.1)},
		{Name: "Z", Value: 100.0},
		{Name: "NaN", Value: nanValue()},
		{Name: "B", Value: false},
		{Name: "D", Value: day("2026-01-05"), Type: TypeDate},
		{Name: "T", Value: time.Date(2026, 1, 5, 14, 4, 5, 123456789, time.FixedZone("X", 3600)), Type: TypeDateTime},
		{Name: "Nil", Value: nil},
		{Name: "Other", Value: []string{"x"}},
		{Name: "Rel", IsRelationship: true},
		{Name: "q\"k", Value: "v"},
	}}
	got := string(AppendRecord([]byte("prefix:"), r, "v62.0"))
	want := `prefix:{"attributes":{"type":"Thing","url":"/services/data/v62.0/sobjects/Thing/a0X000000000001AAA"},` +
		`"S":"tab\tctl\u0001 \u2028 bad\ufffd é","I":-42,"N":7,"U":7,"F":1.5e-07,"G":1e+21,"H":0.1,"Z":100,"NaN":null,"B":false,` +
		`"D":"2026-01-05","T":"2026-01-05T13:04:05.123+0000","Nil":null,"Other":["x"],"Rel":null,"q\"k":"v"}`
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	if !json.Valid([]byte(strings.TrimPrefix(got, "prefix:"))) {
		t.Error("invalid JSON")
	}
	if got := string(AppendRecord(nil, &Record{Object: "NoID"}, "62.0")); got != `{"attributes":{"type":"NoID"}}` {
		t.Errorf("no id: %s", got)
	}
	if got := string(AppendRecord(nil, nil, "62.0")); got != "null" {
		t.Errorf("nil: %s", got)
	}
}

func nanValue() float64 {
	z := 0.0
	return z / z
}

func TestTypeString(t *testing.T) {
	want := map[Type]string{TypeString: "string", TypeBool: "boolean", TypeInt: "integer", TypeFloat: "double",
		TypeDate: "date", TypeDateTime: "dateTime", TypeID: "id", Type(99): "unknown"}
	for ty, s := range want {
		if ty.String() != s {
			t.Errorf("%d.String() = %q, want %q", ty, ty.String(), s)
		}
	}
}

func TestLike(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"abc", "ABC", true},
		{"a%", "a", true},
		{"%", "", true},
		{"_", "", false},
		{"_", "é", true},
		{"%b%", "aXbY", true},
		{"a%c%e", "abcde", true},
		{"a%c%e", "abcdef", false},
		{"a__d", "abcd", true},
		{"a__d", "abd", false},
		{"%aab", "aaab", true},
		{"ÉTÉ%", "été 2026", true},
		{`50\%`, "50%", true},
		{`50\%`, "500", false},
		{`a\_b`, "a_b", true},
		{`a\_b`, "axb", false},
		{`a\\b`, `a\b`, true},
		{"%%%x", "yyyx", true},
	}
	for _, tc := range tests {
		if got := compileLike(tc.pattern).match(tc.s); got != tc.want {
			t.Errorf("LIKE %q on %q = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestCivilDays(t *testing.T) {
	for _, d := range []time.Time{day("1970-01-01"), day("2000-02-29"), day("2026-01-07"), day("1969-12-31"), day("0001-01-01"), day("9999-12-31")} {
		if got, want := civilOf(d), d.Unix()/86400; got != want && !(d.Unix() < 0 && got == (d.Unix()-86399)/86400) {
			t.Errorf("civilOf(%s) = %d, want %d", d.Format("2006-01-02"), got, want)
		}
	}
}

func TestDateLiteralRanges(t *testing.T) {
	// now is Wednesday 2026-01-07 15:00 UTC; weeks start on Sunday.
	tests := []struct {
		lit    string
		lo, hi string
	}{
		{"TODAY", "2026-01-07T00:00:00Z", "2026-01-08T00:00:00Z"},
		{"YESTERDAY", "2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z"},
		{"TOMORROW", "2026-01-08T00:00:00Z", "2026-01-09T00:00:00Z"},
		{"THIS_WEEK", "2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"},
		{"LAST_WEEK", "2025-12-28T00:00:00Z", "2026-01-04T00:00:00Z"},
		{"NEXT_WEEK", "2026-01-11T00:00:00Z", "2026-01-18T00:00:00Z"},
		{"THIS_MONTH", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"},
		{"LAST_MONTH", "2025-12-01T00:00:00Z", "2026-01-01T00:00:00Z"},
		{"NEXT_MONTH", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"},
		{"THIS_YEAR", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"LAST_YEAR", "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"},
		{"NEXT_YEAR", "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"},
		{"LAST_90_DAYS", "2025-10-09T00:00:00Z", "2026-01-08T00:00:00Z"},
		{"NEXT_90_DAYS", "2026-01-08T00:00:00Z", "2026-04-08T00:00:00Z"},
		{"LAST_N_DAYS:1", "2026-01-06T00:00:00Z", "2026-01-08T00:00:00Z"},
		{"NEXT_N_DAYS:2", "2026-01-08T00:00:00Z", "2026-01-10T00:00:00Z"},
		{"N_DAYS_AGO:7", "2025-12-31T00:00:00Z", "2026-01-01T00:00:00Z"},
		{"LAST_N_WEEKS:2", "2025-12-21T00:00:00Z", "2026-01-04T00:00:00Z"},
		{"NEXT_N_WEEKS:1", "2026-01-11T00:00:00Z", "2026-01-18T00:00:00Z"},
		{"LAST_N_MONTHS:2", "2025-11-01T00:00:00Z", "2026-01-01T00:00:00Z"},
		{"NEXT_N_MONTHS:12", "2026-02-01T00:00:00Z", "2027-02-01T00:00:00Z"},
		{"LAST_N_HOURS:3", "2026-01-07T12:00:00Z", "2026-01-07T16:00:00Z"},
		{"NEXT_N_HOURS:2", "2026-01-07T16:00:00Z", "2026-01-07T18:00:00Z"},
	}
	for _, tc := range tests {
		q, err := Parse("SELECT Id FROM LoginHistory WHERE LoginTime = " + tc.lit)
		if err != nil {
			t.Fatalf("%s: %v", tc.lit, err)
		}
		ex := &executor{now: testNow, loc: time.UTC}
		v := ex.dateLiteral(&q.where.vals[0])
		if !v.lo.Equal(ts(tc.lo)) || !v.hi.Equal(ts(tc.hi)) {
			t.Errorf("%s: got [%s, %s), want [%s, %s)", tc.lit, v.lo.Format(time.RFC3339), v.hi.Format(time.RFC3339), tc.lo, tc.hi)
		}
		if want := civilOf(ts(tc.lo)); v.dlo != want {
			t.Errorf("%s: dlo = %d, want %d", tc.lit, v.dlo, want)
		}
	}
	// Day boundaries follow the org time zone, including DST changes.
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		ex := &executor{now: ts("2026-03-08T15:00:00Z"), loc: ny}
		v := ex.dateLiteral(&literal{kind: lDateLit, kw: kwToday})
		if v.lo.UTC() != ts("2026-03-08T05:00:00Z") || v.hi.UTC() != ts("2026-03-09T04:00:00Z") {
			t.Errorf("DST TODAY = [%s, %s)", v.lo.UTC(), v.hi.UTC())
		}
	}
}

func TestLenientRowValues(t *testing.T) {
	src := newMemSource(&Object{Name: "Thing", Fields: []Field{
		{"Id", TypeID}, {"Name", TypeString}, {"N", TypeInt}, {"F", TypeFloat},
		{"D", TypeDate}, {"T", TypeDateTime}, {"B", TypeBool},
	}})
	src.add("Thing",
		Row{"Id": "a00000000000001", "Name": "Ärger", "N": 3, "F": float32(1.5), "D": "2026-01-05", "T": "2026-01-05T10:00:00Z", "B": true},
		Row{"Id": "a00000000000002", "Name": "apple", "N": int32(-2), "F": int64(2), "D": day("2026-01-06"), "T": "2026-01-05T11:00:00.000+0000", "B": "yes"},
		Row{"Id": "a00000000000003", "Name": "äpfel", "N": 2.5, "F": uint64(7), "D": 20260107, "T": 12345, "B": nil},
	)
	tests := []struct {
		q    string
		want []string
	}{
		{"SELECT Id FROM Thing WHERE N > 0", []string{"a00000000000001", "a00000000000003"}},
		{"SELECT Id FROM Thing WHERE N = -2", []string{"a00000000000002"}},
		{"SELECT Id FROM Thing WHERE F >= 2", []string{"a00000000000002", "a00000000000003"}},
		{"SELECT Id FROM Thing WHERE D = 2026-01-05", []string{"a00000000000001"}},
		{"SELECT Id FROM Thing WHERE D != 2026-01-05", []string{"a00000000000002", "a00000000000003"}},
		{"SELECT Id FROM Thing WHERE T > 2026-01-05T10:30:00Z", []string{"a00000000000002"}},
		{"SELECT Id FROM Thing WHERE B = true", []string{"a00000000000001"}},
		{"SELECT Id FROM Thing WHERE B != true", []string{"a00000000000002", "a00000000000003"}},
		{"SELECT Id FROM Thing WHERE Name = 'ÄRGER'", []string{"a00000000000001"}},
		{"SELECT Id FROM Thing WHERE Name LIKE 'ä%'", []string{"a00000000000001", "a00000000000003"}},
		{"SELECT Id FROM Thing ORDER BY Name", []string{"a00000000000002", "a00000000000003", "a00000000000001"}},
		{"SELECT Id FROM Thing ORDER BY N DESC", []string{"a00000000000001", "a00000000000003", "a00000000000002"}},
		{"SELECT Id FROM Thing ORDER BY F", []string{"a00000000000001", "a00000000000002", "a00000000000003"}},
		{"SELECT Id FROM Thing ORDER BY T DESC", []string{"a00000000000002", "a00000000000001", "a00000000000003"}},
		{"SELECT Id FROM Thing WHERE Id = 'a00000000000002AAA'", []string{"a00000000000002"}},
	}
	for _, tc := range tests {
		res, err := run(t, src, tc.q, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		if got := recordIDs(res); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s\n got %v\nwant %v", tc.q, got, tc.want)
		}
	}
	res, err := run(t, src, "SELECT COUNT_DISTINCT(Name), COUNT_DISTINCT(N), COUNT_DISTINCT(D), COUNT_DISTINCT(T), COUNT_DISTINCT(B), COUNT_DISTINCT(Id), SUM(N), MAX(F) FROM Thing", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"attributes":{"type":"AggregateResult"},"expr0":3,"expr1":3,"expr2":3,"expr3":3,"expr4":2,"expr5":3,"expr6":3.5,"expr7":7}`
	if got := encode(res); got != want {
		t.Errorf("aggregates:\n got %s\nwant %s", got, want)
	}
}

func TestFoldCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"a", "", 1},
		{"", "a", -1},
		{"ABC", "abc", 0},
		{"abc", "ABD", -1},
		{"user10", "USER9", -1},
		{"Zeta", "alpha", 1},
		{"é", "É", 0},
		{"é", "è", 1},
		{"xé", "XÉy", -1},
		{"aé", "ab", 1},
		{"Ärger", "apfel", 1},
		{"a\xff", "a\xfe", 0}, // invalid UTF-8 decodes to U+FFFD on both sides
	}
	for _, tc := range tests {
		if got := foldCompare(tc.a, tc.b); got != tc.want {
			t.Errorf("foldCompare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := foldCompare(tc.b, tc.a); got != -tc.want {
			t.Errorf("foldCompare(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}
