package activity_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/activity"
)

func TestLegacy(t *testing.T) {
	switched := t0.Add(-time.Hour)
	soap := func(id, ip, version string, at time.Time) warden.Login {
		return warden.Login{ID: id, UserID: "005A", Time: at, Status: "Success", LoginType: "Other Apex API", APIType: "SOAP Partner", APIVersion: version, SourceIP: ip}
	}
	oauth := func(id, user, ip string, at time.Time) warden.Login {
		return warden.Login{ID: id, UserID: user, Time: at, Status: "Success", LoginType: "Remote Access 2.0", Application: "Sync", SourceIP: ip}
	}
	tests := []struct {
		name   string
		cred   *warden.Credential
		logins []warden.Login
		want   []string // method, then words of the deadline and reason
		own    bool     // the logins from 127.0.0.1 are Warden's own checks
	}{
		{"SOAP client on API 62", &warden.Credential{Name: "a-pw", Kind: warden.CredentialPassword},
			[]warden.Login{soap("1", "198.51.100.1", "62.0", t0), soap("2", "198.51.100.1", "58.0", t0.Add(-time.Hour))},
			[]string{"soap_login Summer '27|62.0|SOAP API logins"}, false},
		{"SOAP on API 30 is past its retirement", &warden.Credential{Name: "a-pw", Kind: warden.CredentialPassword},
			[]warden.Login{soap("1", "198.51.100.1", "30.0", t0)}, []string{"soap_login retired in Summer '25"}, false},
		{"username-password flow", &warden.Credential{Name: "a-pw", Kind: warden.CredentialPassword, ClientID: "key"},
			[]warden.Login{oauth("1", "005A", "198.51.100.2", t0)}, []string{"oauth_password username-password flow|a-pw"}, false},
		{"a password credential without logins", &warden.Credential{Name: "a-pw", Kind: warden.CredentialPassword}, nil,
			[]string{"soap_login no login was seen"}, false},
		{"moved to JWT: old SOAP rows are history", &warden.Credential{Name: "a-jwt", Kind: warden.CredentialJWT, CreatedAt: switched},
			[]warden.Login{soap("1", "198.51.100.1", "62.0", switched.Add(-time.Minute)), oauth("2", "005A", "198.51.100.1", t0)}, nil, false},
		{"moved to JWT, but a source still uses SOAP", &warden.Credential{Name: "a-jwt", Kind: warden.CredentialJWT, CreatedAt: switched},
			[]warden.Login{soap("1", "198.51.100.9", "62.0", t0), oauth("2", "005A", "198.51.100.1", t0)},
			[]string{"soap_login a dependent still uses the old one|198.51.100.9"}, false},
		{"a SOAP source that moved to OAuth", &warden.Credential{Name: "a-jwt", Kind: warden.CredentialJWT},
			[]warden.Login{soap("1", "198.51.100.1", "62.0", t0.Add(-time.Hour)), oauth("2", "005A", "198.51.100.1", t0)}, nil, false},
		{"Warden's own SOAP checks are listed apart", &warden.Credential{Name: "a-pw", Kind: warden.CredentialPassword},
			[]warden.Login{soap("1", "127.0.0.1", "64.0", t0), soap("2", "198.51.100.1", "62.0", t0.Add(-time.Hour))},
			[]string{"soap_login SOAP API logins|198.51.100.1|62.0"}, true},
		{"only Warden's own checks", &warden.Credential{Name: "a-pw", Kind: warden.CredentialPassword},
			[]warden.Login{soap("1", "127.0.0.1", "64.0", t0)}, []string{"soap_login only Warden's own checks"}, true},
		{"moved to JWT: Warden's own SOAP check is not a dependent", &warden.Credential{Name: "a-jwt", Kind: warden.CredentialJWT, CreatedAt: switched},
			[]warden.Login{soap("1", "127.0.0.1", "62.0", t0)}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := activity.LegacyUser{Org: "acme", Username: "a@acme.example", Credential: tt.cred, Dependents: []string{"Sync"}}
			if tt.own {
				u.Own = func(l *warden.Login) bool { return l.SourceIP == "127.0.0.1" }
			}
			got := activity.Legacy([]activity.LegacyUser{u}, map[string]string{"acme/a@acme.example": "005A"}, tt.logins)
			if len(got) != len(tt.want) {
				t.Fatalf("Legacy = %+v, want %d entries", got, len(tt.want))
			}
			for i, w := range tt.want {
				method, words, _ := strings.Cut(w, " ")
				text := got[i].Deadline + " " + got[i].Reason
				for _, c := range got[i].Clients {
					text += " " + c.SourceIP
					if c.SourceIP == "127.0.0.1" {
						t.Errorf("Warden's own check is listed as a client: %+v", c)
					}
				}
				if tt.own && (len(got[i].WardenChecks) != 1 || got[i].WardenChecks[0].SourceIP != "127.0.0.1" || got[i].WardenChecks[0].Logins != 1) {
					t.Errorf("WardenChecks = %+v, want the one from 127.0.0.1", got[i].WardenChecks)
				}
				if got[i].Method != method {
					t.Errorf("method %s, want %s", got[i].Method, method)
				}
				for _, word := range strings.Split(words, "|") {
					if !strings.Contains(text+" "+got[i].APIVersion, word) {
						t.Errorf("%q does not say %q", text, word)
					}
				}
			}
		})
	}
}

// TestOwnLogins feeds a sweep with one of Warden's own credential checks
// through the rules: the stored state then tells Warden's logins from the
// same source apart from the client's, across a restart (a new state read).
func TestOwnLogins(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "warden.db"))
	e := activity.New(activity.Options{Store: db})
	check := warden.Login{ID: "w1", UserID: "005A", Time: t0, Status: "Success", LoginType: "Other Apex API", APIType: "SOAP Partner", SourceIP: "127.0.0.1",
		Application: "(Other Apex API)"}
	client := warden.Login{ID: "c1", UserID: "005A", Time: t0, Status: "Success", LoginType: "Partner Product", APIType: "SOAP Partner", SourceIP: "198.51.100.1"}
	s := &warden.ActivitySweep{Org: "acme", At: t0, Users: []warden.ActivityUser{{Username: "A@acme.example", UserID: "005A", Active: true}},
		Logins: []warden.Login{client}, Own: []warden.Login{check}}
	if _, err := e.Analyze(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	st, err := db.ActivityState(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if activity.OwnLogins(st, "b@acme.example") != nil {
		t.Error("another user has Warden's logins")
	}
	own := activity.OwnLogins(st, "a@acme.example")
	if own == nil {
		t.Fatal("no own logins recorded")
	}
	later := check
	later.ID, later.Time = "w2", t0.Add(time.Hour)
	for _, tt := range []struct {
		l    warden.Login
		want bool
	}{{check, true}, {later, true}, {client, false}} {
		if got := own(&tt.l); got != tt.want {
			t.Errorf("own(%s from %s) = %v, want %v", tt.l.LoginType, tt.l.SourceIP, got, tt.want)
		}
	}
}
