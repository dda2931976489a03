package soql

import "testing"

const (
	benchParseQuery = "SELECT Id, Username, IsActive, LastLoginDate, Profile.Name FROM User WHERE IsActive = true AND Profile.Name != 'System Administrator' ORDER BY Username LIMIT 200"
	benchQuery      = "SELECT Id, Username, IsActive, LastLoginDate, Profile.Name FROM User WHERE IsActive = true AND LastLoginDate > LAST_N_DAYS:30"
)

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchParseQuery); err != nil {
			b.Fatal(err)
		}
	}
}

func benchExecute(b *testing.B, q string, want int) {
	src := benchSource(100)
	pq, err := Parse(q)
	if err != nil {
		b.Fatal(err)
	}
	res, err := Execute(pq, src, testNow, nil)
	if err != nil {
		b.Fatal(err)
	}
	if res.TotalSize != want {
		b.Fatalf("TotalSize = %d, want %d", res.TotalSize, want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Execute(pq, src, testNow, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExecute100 runs a typical monitoring query (WHERE on a boolean and
// a relative date, one relationship field) over 100 User rows.
func BenchmarkExecute100(b *testing.B) { benchExecute(b, benchQuery, 80) }

// BenchmarkExecute100Sorted adds ORDER BY on a string field.
func BenchmarkExecute100Sorted(b *testing.B) {
	benchExecute(b, benchQuery+" ORDER BY Username", 80)
}

// BenchmarkExecute100RelFilter filters through the relationship as well.
func BenchmarkExecute100RelFilter(b *testing.B) {
	benchExecute(b, "SELECT Id, Username, Profile.Name FROM User WHERE IsActive = true AND Profile.Name != 'System Administrator'", 53)
}

// BenchmarkEndToEnd100 parses, executes and encodes the typical query.
func BenchmarkEndToEnd100(b *testing.B) {
	src := benchSource(100)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		pq, err := Parse(benchQuery)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Execute(pq, src, testNow, nil)
		if err != nil {
			b.Fatal(err)
		}
		buf = buf[:0]
		for _, r := range res.Records {
			buf = AppendRecord(buf, r, "62.0")
			buf = append(buf, ',')
		}
	}
}
