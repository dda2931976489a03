package soql

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	"SELECT Id FROM User",
	"SELECT Id, Username, Profile.Name FROM User WHERE IsActive = true ORDER BY Username LIMIT 10",
	"SELECT COUNT() FROM User WHERE Profile.Name LIKE 'Sys%'",
	"SELECT COUNT(Id) cnt FROM LoginHistory WHERE LoginTime = LAST_N_DAYS:7",
	"SELECT Id FROM User WHERE Id IN (SELECT AssigneeId FROM PermissionSetAssignment WHERE PermissionSet.Name = 'X')",
	"SELECT Id FROM User WHERE NOT (Username LIKE '%\\_%' OR Email = null) AND FailedLogins >= 2",
	"SELECT Id FROM LoginHistory WHERE LoginTime > 2026-01-05T10:00:00.000+02:00 ORDER BY LoginTime DESC NULLS LAST",
	"SELECT Assignee.Profile.Name FROM PermissionSetAssignment ORDER BY Assignee.Username OFFSET 1",
	"SELECT Id FRM User",
	"SELECT Id FROM User WHERE Username = 'unterminated",
	"SELECT Id FROM User WHERE ((((IsActive = true))))",
	"select id from user u where u.startdate = 2026-01-07 with security_enforced for view",
}

// checkError asserts the shape of an error returned by Parse or Execute.
func checkError(t *testing.T, q string, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: error %T %v is not *Error", q, err, err)
	}
	switch e.Code {
	case CodeMalformedQuery, CodeInvalidField, CodeInvalidType:
	default:
		t.Fatalf("%q: unexpected code %q", q, e.Code)
	}
	if e.Message == msgEmpty {
		return
	}
	if !strings.HasPrefix(e.Message, "\n") || !strings.Contains(e.Message, "^\nERROR at Row:") {
		t.Fatalf("%q: malformed message %q", q, e.Message)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	src := testSource()
	f.Fuzz(func(t *testing.T, q string) {
		pq, err := Parse(q)
		if err != nil {
			if pq != nil {
				t.Fatalf("%q: non-nil query with error", q)
			}
			checkError(t, q, err)
			return
		}
		if pq.String() != q {
			t.Fatalf("String() = %q, want %q", pq.String(), q)
		}
		// A successful parse must also execute without panicking.
		if _, err := Execute(pq, src, testNow, nil); err != nil {
			checkError(t, q, err)
		}
	})
}

func FuzzExecute(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, int64(0))
	}
	f.Add("SELECT Id FROM LoginHistory WHERE LoginTime = TODAY", int64(-8*3600))
	src := testSource()
	f.Fuzz(func(t *testing.T, q string, offset int64) {
		pq, err := Parse(q)
		if err != nil {
			return
		}
		loc := time.FixedZone("F", int(offset%(14*3600)))
		res, err := Execute(pq, src, testNow, loc)
		if err != nil {
			checkError(t, q, err)
			return
		}
		if res.TotalSize < 0 || (!pq.IsCount() && res.TotalSize != len(res.Records)) {
			t.Fatalf("%q: TotalSize %d with %d records", q, res.TotalSize, len(res.Records))
		}
		for _, r := range res.Records {
			b := AppendRecord(nil, r, "62.0")
			if !json.Valid(b) || !utf8.Valid(b) {
				t.Fatalf("%q: invalid JSON %s", q, b)
			}
		}
	})
}
