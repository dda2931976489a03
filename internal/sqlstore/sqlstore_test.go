package sqlstore

import (
	"errors"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

func TestNumberParams(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"SELECT 1", "SELECT 1"},
		{"WHERE a = ?", "WHERE a = $1"},
		{"VALUES (?, ?, ?) LIMIT ?", "VALUES ($1, $2, $3) LIMIT $4"},
		{"?,?,?,?,?,?,?,?,?,?,?", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11"},
	}
	for _, tt := range tests {
		if got := numberParams(tt.in); got != tt.want {
			t.Errorf("numberParams(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTimeCol(t *testing.T) {
	want := time.Date(2025, 6, 1, 9, 0, 0, 123456000, time.UTC)
	local := want.In(time.FixedZone("UTC+2", 2*60*60))
	tests := []struct {
		name    string
		src     any
		want    time.Time
		wantErr bool
	}{
		{"micros", want.UnixMicro(), want, false},
		{"time", local, want, false},
		{"null", nil, time.Time{}, true},
		{"text", "2025-06-01", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got time.Time
			err := (*timeCol)(&got).Scan(tt.src)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Scan(%v) error = %v, want error %v", tt.src, err, tt.wantErr)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("Scan(%v) = %v, want %v in UTC", tt.src, got, tt.want)
			}
		})
	}
	got := time.Now()
	if err := (*optTimeCol)(&got).Scan(nil); err != nil || !got.IsZero() {
		t.Errorf("optTimeCol.Scan(nil) = %v, %v; want the zero time", got, err)
	}
	if err := (*optTimeCol)(&got).Scan(want.UnixMicro()); err != nil || !got.Equal(want) {
		t.Errorf("optTimeCol.Scan(micros) = %v, %v; want %v", got, err, want)
	}
}

func TestWrap(t *testing.T) {
	errUnique := errors.New("unique violation")
	d := &Dialect{
		Name: "test",
		Classify: func(err error) (string, string) {
			if errors.Is(err, errUnique) {
				return warden.ECONFLICT, "a record with this name already exists"
			}
			return "", ""
		},
	}
	if err := d.Wrap("test.Op", nil); err != nil {
		t.Errorf("Wrap(nil) = %v, want nil", err)
	}
	err := d.Wrap("test.Org", notFound("org %q not found", "acme"))
	if got, want := err.Error(), `test.Org: org "acme" not found`; got != want || warden.ErrorKind(err) != warden.ENOTFOUND {
		t.Errorf("Wrap(notFound) = %q (%s), want %q (not_found)", got, warden.ErrorKind(err), want)
	}
	err = d.Wrap("test.UpsertOrg", errUnique)
	if warden.ErrorKind(err) != warden.ECONFLICT || !errors.Is(err, errUnique) {
		t.Errorf("Wrap(unique) = %v (%s), want a conflict wrapping the driver error", err, warden.ErrorKind(err))
	}
	err = d.Wrap("test.Orgs", errors.New("disk on fire"))
	if warden.ErrorKind(err) != warden.EINTERNAL || err.Error() != "test.Orgs: disk on fire" {
		t.Errorf("Wrap(other) = %v (%s), want an internal error", err, warden.ErrorKind(err))
	}
}

func TestLists(t *testing.T) {
	for _, in := range [][]string{nil, {}, {"a", "b"}} {
		s, err := encodeList(in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := decodeList[string](s)
		if err != nil {
			t.Fatal(err)
		}
		if len(in) == 0 && (s != "[]" || out != nil) {
			t.Errorf("empty list %#v stored as %q, read back as %#v; want [] and nil", in, s, out)
		}
		if len(in) > 0 && len(out) != len(in) {
			t.Errorf("list %q read back as %q", in, out)
		}
	}
}

func TestWhere(t *testing.T) {
	for _, numbered := range []bool{false, true} {
		s := New(Config{Dialect: &Dialect{NumberedParams: numbered}})
		w := s.where()
		if got := w.String(); got != "" {
			t.Errorf("empty where = %q, want \"\"", got)
		}
		w.add("org = ?", "acme")
		w.add("checked_at >= ?", int64(7))
		want := " WHERE org = ? AND checked_at >= ?"
		if numbered {
			want = " WHERE org = $1 AND checked_at >= $2"
		}
		if got := w.String(); got != want || len(w.args) != 2 {
			t.Errorf("where (numbered %v) = %q with %d args, want %q with 2", numbered, got, len(w.args), want)
		}
		const query = "DELETE FROM orgs WHERE name = ?"
		want = query
		if numbered {
			want = "DELETE FROM orgs WHERE name = $1"
		}
		for range 2 { // the second time from the cache
			if got := s.q(query); got != want {
				t.Errorf("q(%q) (numbered %v) = %q, want %q", query, numbered, got, want)
			}
		}
	}
}
