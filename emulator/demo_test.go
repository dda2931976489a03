package emulator

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var demoTestNow = time.Date(2026, 3, 10, 14, 30, 15, 0, time.UTC)

// demoFacts answers questions about a demo seed.
type demoFacts struct {
	t   *testing.T
	s   *Seed
	now time.Time
}

type demoUserRef struct {
	org  *SeedOrg
	user *SeedUser
}

func (f demoFacts) users() []demoUserRef {
	var out []demoUserRef
	for i := range f.s.Orgs {
		o := &f.s.Orgs[i]
		for j := range o.Users {
			out = append(out, demoUserRef{o, &o.Users[j]})
		}
	}
	return out
}

func (f demoFacts) profile(r demoUserRef) *SeedProfile {
	for i := range r.org.Profiles {
		if r.org.Profiles[i].Name == r.user.Profile {
			return &r.org.Profiles[i]
		}
	}
	f.t.Fatalf("%s: no profile %q", r.user.Username, r.user.Profile)
	return nil
}

func (f demoFacts) perms(r demoUserRef) map[string]bool { return seedUserPermissions(r.org, r.user) }

func (f demoFacts) rows(r demoUserRef) []SeedLoginHistory {
	var out []SeedLoginHistory
	for _, h := range r.org.LoginHistory {
		if h.User == r.user.Username {
			out = append(out, h)
		}
	}
	return out
}

func (f demoFacts) audit(r demoUserRef, action string) *SeedAuditTrailItem {
	for i, a := range r.org.AuditTrail {
		if a.Action == action && strings.Contains(a.Display, r.user.Username) {
			return &r.org.AuditTrail[i]
		}
	}
	return nil
}

func (f demoFacts) isAdmin(r demoUserRef) bool { return r.user.Profile == "System Administrator" }

func (f demoFacts) healthy(r demoUserRef) bool {
	u := r.user
	return *u.Active && !u.Frozen && !u.PasswordLocked && f.perms(r)["ApiEnabled"]
}

// find returns the users with a property; it fails the test when none has it.
func (f demoFacts) find(state string, pred func(demoUserRef) bool) []demoUserRef {
	f.t.Helper()
	var out []demoUserRef
	for _, r := range f.users() {
		if !f.isAdmin(r) && pred(r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		f.t.Errorf("no demo user is %s", state)
	} else {
		names := make([]string, len(out))
		for i, r := range out {
			names[i] = r.user.Username
		}
		f.t.Logf("%s: %s", state, strings.Join(names, ", "))
	}
	return out
}

// demoOutsideHours reports whether profile p forbids logging in at t (UTC).
func demoOutsideHours(t *testing.T, p *SeedProfile, at time.Time) bool {
	if p.LoginHours == nil {
		return false
	}
	at = at.UTC()
	window, ok := p.LoginHours[strings.ToLower(at.Weekday().String())]
	if !ok {
		return true
	}
	start, end, msg := seedParseWindow(window)
	if msg != "" {
		t.Fatalf("profile %s: %s", p.Name, msg)
	}
	minute := at.Hour()*60 + at.Minute()
	return minute < start || minute >= end
}

func TestDemo(t *testing.T) {
	now := demoTestNow
	s, key, err := Demo(now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("demo does not validate: %v", err)
	}
	f := demoFacts{t, s, now}
	if len(s.Orgs) < 2 || s.Orgs[0].ID != DemoAcmeOrgID || s.Orgs[1].ID != DemoGlobexOrgID {
		t.Fatalf("orgs: %d, ids %q %q", len(s.Orgs), s.Orgs[0].ID, s.Orgs[1].ID)
	}

	nonAdmins := 0
	for _, r := range f.users() {
		if r.user.Password == "" || r.user.SecurityToken == "" {
			t.Errorf("%s has no password or security token", r.user.Username)
		}
		if len(f.rows(r)) == 0 {
			t.Errorf("%s has no login history", r.user.Username)
		}
		if !f.isAdmin(r) {
			nonAdmins++
		}
	}
	if nonAdmins < 12 {
		t.Errorf("%d non-admin users, want >= 12", nonAdmins)
	}

	// One admin per org, and a Warden app with the demo certificate.
	for i := range s.Orgs {
		o := &s.Orgs[i]
		short := strings.ToLower(strings.Fields(o.Name)[0])
		admin := "admin@" + short + ".demo"
		if i := slices.IndexFunc(o.Users, func(u SeedUser) bool { return u.Username == admin }); i < 0 || o.Users[i].Profile != "System Administrator" {
			t.Errorf("org %s: no System Administrator %s", o.Name, admin)
		}
		i := slices.IndexFunc(o.ConnectedApps, func(a SeedConnectedApp) bool { return a.Name == "Warden" })
		if i < 0 {
			t.Errorf("org %s has no Warden app", o.Name)
			continue
		}
		app := o.ConnectedApps[i]
		if app.ConsumerKey != "warden-demo-"+short || app.PermittedUsers != "all" {
			t.Errorf("org %s: Warden app %+v", o.Name, app)
		}
		demoCheckCertificate(t, app.Certificate, key)
	}

	// 1. Healthy, least-privileged.
	f.find("healthy and least-privileged", func(r demoUserRef) bool {
		p, perms := f.profile(r), f.perms(r)
		return p.UserLicense == "Salesforce Integration" && p.Name == "Minimum Access - API Only Integrations" &&
			len(r.user.PermissionSets) > 0 && f.healthy(r) &&
			!perms["ViewAllData"] && !perms["ModifyAllData"] && !perms["ManageUsers"]
	})
	// 2. Cloned from an admin profile.
	f.find("a cloned admin", func(r demoUserRef) bool {
		p := f.profile(r)
		return slices.Contains(p.Permissions, "ViewAllData") && slices.Contains(p.Permissions, "ModifyAllData") &&
			slices.Contains(p.Permissions, "ManageUsers") && f.audit(r, "changedprofileforuser") != nil
	})
	// 3. Frozen, with "User is Frozen" attempts after the freeze.
	f.find("frozen", func(r demoUserRef) bool {
		a := f.audit(r, "frozeuser")
		if !r.user.Frozen || a == nil {
			return false
		}
		for _, h := range f.rows(r) {
			if h.Time.After(a.Time) != (h.Status == "User is Frozen") {
				return false
			}
		}
		return true
	})
	// 4. Deactivated, with "User is Inactive" attempts after.
	f.find("deactivated", func(r demoUserRef) bool {
		a := f.audit(r, "deactivateduser")
		if *r.user.Active || a == nil {
			return false
		}
		for _, h := range f.rows(r) {
			if h.Time.After(a.Time) != (h.Status == "User is Inactive") {
				return false
			}
		}
		return true
	})
	// 5. Password expiring in about 7 days.
	expiring := 0
	for _, r := range f.users() {
		days := *r.org.Settings.PasswordExpiresDays
		if days == 0 || f.profile(r).PasswordNeverExpires || f.perms(r)["PasswordNeverExpires"] || r.user.LastPasswordChange == nil {
			continue
		}
		expires := r.user.LastPasswordChange.AddDate(0, 0, days)
		if expires.Before(now.Add(30 * demoDay)) {
			expiring++
			if left := expires.Sub(now); left < 6*demoDay || left > 8*demoDay || days != 90 ||
				!r.user.LastPasswordChange.Equal(now.Add(-83*demoDay)) {
				t.Errorf("%s: password expires in %v (policy %d days)", r.user.Username, left, days)
			}
		}
	}
	if expiring != 1 {
		t.Errorf("%d users have passwords expiring within 30 days, want 1", expiring)
	}
	// 6. Refresh token about to expire.
	f.find("holding a refresh token about to expire", func(r demoUserRef) bool {
		for _, rt := range r.org.RefreshTokens {
			if rt.User != r.user.Username || rt.IssuedAt == nil {
				continue
			}
			for _, a := range r.org.ConnectedApps {
				if a.Name == rt.App && a.RefreshTokenPolicy.ExpireAfterHours == 720 &&
					rt.IssuedAt.Equal(now.Add(-719*time.Hour)) && f.healthy(r) {
					return true
				}
			}
		}
		return false
	})
	// 7. Outside its login hours, having logged in inside them before.
	f.find("outside its login hours", func(r demoUserRef) bool {
		p := f.profile(r)
		if !demoOutsideHours(t, p, now) {
			return false
		}
		rows := f.rows(r)
		for _, h := range rows {
			if demoOutsideHours(t, p, h.Time) {
				return false
			}
		}
		return len(rows) >= 25
	})
	// 8. Logging in per request, near the hourly limit.
	f.find("logging in per request", func(r demoUserRef) bool {
		n := 0
		for _, h := range f.rows(r) {
			if h.Time.After(now.Add(-time.Hour)) && h.Status == "Success" && h.LoginType == "Remote Access 2.0" &&
				slices.ContainsFunc(r.org.ConnectedApps, func(a SeedConnectedApp) bool { return a.Name == h.Application }) {
				n++
			}
		}
		return n >= 3000 && n < 3600
	})
	// 9. Still on SOAP login, in an org that allows it.
	f.find("on SOAP login", func(r demoUserRef) bool {
		rows := f.rows(r)
		for _, h := range rows {
			if h.LoginType != "Partner Product" || h.APIType != "SOAP Partner" || h.Status != "Success" {
				return false
			}
		}
		return len(rows) > 0 && *r.org.Settings.SOAPLoginAllowed && f.healthy(r)
	})
	// 10. Password locked after invalid passwords.
	f.find("password locked", func(r demoUserRef) bool {
		rows := f.rows(r)
		if !r.user.PasswordLocked || len(rows) < 2 || rows[len(rows)-1].Status != "Password Lockout" {
			return false
		}
		first := slices.IndexFunc(rows, func(h SeedLoginHistory) bool { return h.Status == "Password Lockout" })
		invalid := 0
		for _, h := range rows[:first] {
			if h.Status == "Invalid Password" {
				invalid++
			}
		}
		return first > 0 && rows[first-1].Status == "Invalid Password" && invalid == r.org.Settings.MaxLoginAttempts-1 &&
			f.audit(r, "resetpassword") != nil
	})
	// 11. API permission missing from profile and permission sets.
	f.find("missing API Enabled", func(r demoUserRef) bool {
		return !f.perms(r)["ApiEnabled"] && *r.user.Active && !r.user.Frozen && f.audit(r, "PermSetUnassign") != nil
	})
	// 12. Healthy JWT and client-credentials users.
	f.find("a healthy JWT bearer user", func(r demoUserRef) bool {
		for _, a := range r.org.ConnectedApps {
			if a.Certificate != "" && a.PermittedUsers == "admin_approved" && f.healthy(r) &&
				slices.ContainsFunc(a.PreAuthorizedPermSets, func(ps string) bool { return slices.Contains(r.user.PermissionSets, ps) }) {
				demoCheckCertificate(t, a.Certificate, key)
				return true
			}
		}
		return false
	})
	f.find("a healthy client-credentials run-as user", func(r demoUserRef) bool {
		for _, a := range r.org.ConnectedApps {
			if a.ClientCredentialsUser == r.user.Username && a.Certificate != "" && f.healthy(r) {
				return true
			}
		}
		return false
	})

	// History and audit trail: the last 30 days, real action codes, by admins.
	actions := []string{"createduser", "frozeuser", "deactivateduser", "PermSetAssign", "PermSetUnassign",
		"changedprofileforuser", "resetpassword", "changedpassword"}
	total := 0
	for _, o := range s.Orgs {
		total += len(o.LoginHistory)
		for _, h := range o.LoginHistory {
			if !h.Time.Before(now) || h.Time.Before(now.Add(-30*demoDay-time.Minute)) {
				t.Errorf("%s: login at %v is not in the last 30 days", h.User, h.Time)
			}
		}
		for _, a := range o.AuditTrail {
			if !slices.Contains(actions, a.Action) || !strings.HasPrefix(a.By, "admin@") || a.Display == "" ||
				!a.Time.Before(now) || a.Time.Before(now.Add(-30*demoDay)) {
				t.Errorf("audit trail row %+v", a)
			}
		}
	}
	if total >= 20000 {
		t.Errorf("%d login history rows, want < 20000", total)
	}
	t.Logf("%d login history rows", total)
}

func demoCheckCertificate(t *testing.T, certPEM string, key *rsa.PrivateKey) {
	t.Helper()
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil {
		t.Fatal("no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if pub, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		t.Error("the certificate is not for the returned key")
	}
	if key.N.BitLen() != 2048 {
		t.Errorf("key has %d bits, want 2048", key.N.BitLen())
	}
}

// TestDemoLoginHours checks that the login-hours user is outside its hours
// whatever the time of day, and that its past logins were inside them.
func TestDemoLoginHours(t *testing.T) {
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	for h := range 24 {
		for _, m := range []time.Duration{0, 30*time.Minute + 7*time.Second, 59*time.Minute + 59*time.Second} {
			now := day.Add(time.Duration(h)*time.Hour + m)
			s := demoSeed(now, "")
			found := false
			for i := range s.Orgs {
				o := &s.Orgs[i]
				for j := range o.Users {
					u := &o.Users[j]
					p := o.Profiles[slices.IndexFunc(o.Profiles, func(p SeedProfile) bool { return p.Name == u.Profile })]
					if p.LoginHours == nil {
						continue
					}
					found = true
					if len(p.LoginHours) != 7 {
						t.Errorf("now %v: %s has login hours on %d days, want 7", now, u.Username, len(p.LoginHours))
					}
					if !demoOutsideHours(t, &p, now) {
						t.Errorf("now %v: %s is inside its login hours %v", now, u.Username, p.LoginHours)
					}
					for _, row := range o.LoginHistory {
						if row.User == u.Username && demoOutsideHours(t, &p, row.Time) {
							t.Errorf("now %v: %s logged in at %v, outside its hours", now, u.Username, row.Time)
						}
					}
				}
			}
			if !found {
				t.Fatalf("now %v: no user has login hours", now)
			}
		}
	}
}

// TestDemoDeterministic: apart from the key, the demo depends only on now.
func TestDemoDeterministic(t *testing.T) {
	now := demoTestNow.Add(123456789 * time.Nanosecond)
	a, b := demoSeed(now, "cert"), demoSeed(now, "cert")
	if !reflect.DeepEqual(a, b) {
		t.Error("demoSeed is not deterministic")
	}
	// A Go-built seed validates without lines in its messages.
	a.Orgs[0].Users[0].Profile = "Nope"
	err := a.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), `orgs[0].users[0].profile: profile "Nope" not found in org "Acme Corp"`) {
		t.Errorf("got %v", err)
	}
}
