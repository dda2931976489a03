package emulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/strictyaml"
)

// seedDoc joins lines with newlines, so that the index of a line in the call
// plus one is its line number.
func seedDoc(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func TestParseSeedExample(t *testing.T) {
	yamlSeed, err := LoadSeedFile("testdata/seeds/example.yaml")
	if err != nil {
		t.Fatalf("example.yaml: %v", err)
	}
	jsonSeed, err := LoadSeedFile("testdata/seeds/example.json")
	if err != nil {
		t.Fatalf("example.json: %v", err)
	}
	if !reflect.DeepEqual(yamlSeed, jsonSeed) {
		t.Errorf("example.yaml and example.json decode differently:\nyaml %+v\njson %+v", yamlSeed, jsonSeed)
	}
	s := yamlSeed
	if len(s.Orgs) != 1 {
		t.Fatalf("orgs: got %d, want 1", len(s.Orgs))
	}
	o := s.Orgs[0]
	if o.ID != "00D5g000000EmuAEAS" || o.Name != "Acme Corp" || o.DailyAPIRequests != 100000 {
		t.Errorf("org: got id %q name %q daily %d", o.ID, o.Name, o.DailyAPIRequests)
	}
	if got := *o.Settings.PasswordExpiresDays; got != 90 {
		t.Errorf("passwordExpiresDays = %d, want 90", got)
	}
	if got := o.Settings.TrustedIPRanges; len(got) != 1 || got[0] != (SeedIPRange{"127.0.0.1", "127.0.0.1"}) {
		t.Errorf("trustedIpRanges = %v", got)
	}
	if got := o.Profiles[2].LoginHours["friday"]; got != "06:00-20:00" {
		t.Errorf("loginHours.friday = %q", got)
	}
	if got := o.PermissionSets[0].Objects["Invoice__c"]; !slices.Equal(got, []string{"Read", "Create", "Edit"}) {
		t.Errorf("Invoice__c = %v", got)
	}
	if got := o.PermissionSets[1].Label; got != "GIS_Sync" {
		t.Errorf("default label = %q, want GIS_Sync", got)
	}
	gis := o.Users[2]
	if gis.Email != "gis@acme.example" || *gis.Active != true || gis.Frozen {
		t.Errorf("gis user: %+v", gis)
	}
	if want := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC); gis.LastPasswordChange == nil || !gis.LastPasswordChange.Equal(want) {
		t.Errorf("lastPasswordChange = %v, want %v", gis.LastPasswordChange, want)
	}
	if o.Users[0].LastPasswordChange != nil {
		t.Errorf("lastPasswordChange must stay nil when absent")
	}
	app := o.ConnectedApps[0]
	if app.RefreshTokenPolicy != (RefreshTokenPolicy{}) || app.ClientCredentialsUser != "invoice.ar@acme.example" || app.PermittedUsers != "all" {
		t.Errorf("app: %+v", app)
	}
	if rt := o.RefreshTokens[0]; rt.IssuedAt != nil || rt.Token != "5Aep861EmuRefreshTokenForAdminAcme" {
		t.Errorf("refresh token: %+v", rt)
	}
}

func TestParseSeedDefaults(t *testing.T) {
	s, err := ParseSeed([]byte(seedDoc(
		"orgs:",
		"  - name: Acme",
		"    profiles:",
		"      - name: Admin",
		"        permissions: [ManageUsers]",
		"    permissionSets:",
		"      - name: PS",
		"    users:",
		"      - username: Bob.Admin@acme.test",
		"        profile: Admin",
		"    connectedApps:",
		"      - name: App",
		"        consumerKey: k",
		"        refreshTokenPolicy: {idleHours: 12}",
		"    refreshTokens:",
		"      - {user: bob.admin@ACME.test, app: App, token: t1, issuedAt: 2026-02-01}",
		"    loginHistory:",
		"      - {user: bob.admin@acme.test, time: 2026-02-01T10:00:00+01:00}",
		"    auditTrail:",
		"      - {time: 2026-02-01, action: createduser}",
	)), "d.yaml")
	if err != nil {
		t.Fatal(err)
	}
	o := s.Orgs[0]
	if o.Edition != "Enterprise" || o.DailyAPIRequests != 100000 {
		t.Errorf("edition %q daily %d", o.Edition, o.DailyAPIRequests)
	}
	st := o.Settings
	if !*st.SOAPLoginAllowed || !*st.UsernamePasswordFlowAllowed || st.SessionTimeoutMinutes != 120 ||
		*st.PasswordExpiresDays != 90 || st.MaxLoginAttempts != 10 || st.LockoutMinutes != 15 {
		t.Errorf("settings defaults: %+v", st)
	}
	if o.Profiles[0].UserLicense != "Salesforce" || o.PermissionSets[0].Label != "PS" {
		t.Errorf("profile/permission set defaults: %+v %+v", o.Profiles[0], o.PermissionSets[0])
	}
	u := o.Users[0]
	if u.LastName != "Bob.Admin" || u.Email != "Bob.Admin@acme.test" || u.Active == nil || !*u.Active || u.LastPasswordChange != nil {
		t.Errorf("user defaults: %+v", u)
	}
	if a := o.ConnectedApps[0]; a.PermittedUsers != "all" || a.RefreshTokenPolicy != (RefreshTokenPolicy{IdleHours: 12}) {
		t.Errorf("app: %+v", a)
	}
	if rt := o.RefreshTokens[0]; rt.User != "Bob.Admin@acme.test" || !rt.IssuedAt.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("refresh token: %+v", rt)
	}
	h := o.LoginHistory[0]
	if h.Status != "Success" || h.LoginType != "Remote Access 2.0" || h.SourceIP != "127.0.0.1" || h.User != "Bob.Admin@acme.test" ||
		!h.Time.Equal(time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("login history: %+v", h)
	}
	if a := o.AuditTrail[0]; a.Section != "Manage Users" || a.By != "Bob.Admin@acme.test" {
		t.Errorf("audit trail: %+v", a)
	}
	if len(o.ID) != 18 || !strings.HasPrefix(o.ID, "00D") {
		t.Errorf("generated id %q", o.ID)
	}
	if id, msg := seedNormalizeOrgID(o.ID); msg != "" || id != o.ID {
		t.Errorf("generated id %q is not valid: %s", o.ID, msg)
	}

	// The generated id is a function of the name only.
	again, err := ParseSeed([]byte("orgs:\n  - {name: Other}\n  - {name: Acme}\n"), "d2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if again.Orgs[1].ID != o.ID || again.Orgs[0].ID == o.ID {
		t.Errorf("generated ids: %q then %q, %q", o.ID, again.Orgs[0].ID, again.Orgs[1].ID)
	}

	// Validate is idempotent.
	if err := again.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := again.Validate(); err != nil {
		t.Fatal(err)
	}
	fresh, _ := ParseSeed([]byte("orgs:\n  - {name: Other}\n  - {name: Acme}\n"), "d2.yaml")
	if !reflect.DeepEqual(fresh, again) {
		t.Errorf("Validate changed a validated seed:\n%+v\n%+v", fresh, again)
	}
}

func TestParseSeedProblemCap(t *testing.T) {
	lines := []string{"orgs:", "  - name: A", "    users:"}
	for range 250 {
		lines = append(lines, "      - {username: bad}")
	}
	_, err := ParseSeed([]byte(seedDoc(lines...)), "c.yaml")
	var se *SeedError
	if !errors.As(err, &se) {
		t.Fatalf("got %v", err)
	}
	// 749 problems: every username is malformed and every profile missing,
	// and 249 usernames are duplicates.
	if len(se.Problems) != 201 || se.Problems[200].String() != "c.yaml: ... and 549 more problems" ||
		se.Problems[0].String() != `c.yaml:4: orgs[0].users[0].username: "bad" is not email-shaped (want name@domain.tld)` {
		t.Errorf("got %d problems, first %q, last %q", len(se.Problems), se.Problems[0], se.Problems[len(se.Problems)-1])
	}
}

func TestLoadSeedFileMissing(t *testing.T) {
	if _, err := LoadSeedFile("testdata/seeds/no-such-file.yaml"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want a not-exist error", err)
	}
}

func TestParseSeedExplicitZeroes(t *testing.T) {
	s, err := ParseSeed([]byte(seedDoc(
		"orgs:",
		"  - id: 00D5g000000EmuA",
		"    name: Acme",
		"    dailyApiRequests: 0",
		"    settings: {passwordExpiresDays: 0, soapLoginAllowed: false}",
	)), "z.yaml")
	if err != nil {
		t.Fatal(err)
	}
	o := s.Orgs[0]
	if o.ID != "00D5g000000EmuAEAS" {
		t.Errorf("15-character id not extended: %q", o.ID)
	}
	if o.DailyAPIRequests != 100000 || *o.Settings.PasswordExpiresDays != 0 || *o.Settings.SOAPLoginAllowed {
		t.Errorf("got daily %d, passwordExpiresDays %d, soap %v", o.DailyAPIRequests, *o.Settings.PasswordExpiresDays, *o.Settings.SOAPLoginAllowed)
	}
}

func TestParseSeedAliasesAndMerge(t *testing.T) {
	s, err := ParseSeed([]byte(seedDoc(
		"x-api: &api [ApiEnabled, ApiUserOnly]",
		"orgs:",
		"  - name: Acme",
		"    profiles:",
		"      - &base {name: Base, permissions: *api, passwordNeverExpires: true}",
		"      - <<: *base",
		"        name: Derived",
	)), "m.yaml")
	if err == nil {
		t.Fatalf("x-api is not a seed key: want an error, got %+v", s)
	}
	if want := `m.yaml:1: unknown key "x-api" at the top level (known keys: orgs)`; err.Error() != want {
		t.Fatalf("got\n%s\nwant\n%s", err, want)
	}
	s, err = ParseSeed([]byte(seedDoc(
		"orgs:",
		"  - name: Acme",
		"    profiles:",
		"      - &base {name: Base, permissions: &api [ApiEnabled, ApiUserOnly], passwordNeverExpires: true}",
		"      - <<: *base",
		"        name: Derived",
		"      - {name: Third, permissions: *api}",
	)), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := s.Orgs[0].Profiles
	if p[1].Name != "Derived" || !p[1].PasswordNeverExpires || !slices.Equal(p[1].Permissions, []string{"ApiEnabled", "ApiUserOnly"}) ||
		!slices.Equal(p[2].Permissions, p[0].Permissions) {
		t.Errorf("profiles: %+v", p)
	}
}

func TestParseSeedJSON(t *testing.T) {
	// JSON escapes YAML lacks, tabs for indentation, a BOM.
	data := "\ufeff{\n\t\"orgs\": [\n\t\t{\"name\": \"Acme\\/\\ud83d\\ude00\\u00e9\\n\", \"dailyApiRequests\": 5}\n\t]\n}\n"
	s, err := ParseSeed([]byte(data), "j.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Orgs[0].Name; got != "Acme/😀é\n" {
		t.Errorf("name = %q", got)
	}
	_, err = ParseSeed([]byte("{\n  \"orgs\": [\n    {\"name\": \"Acme\", \"dailyApiRequests\": \"lots\", \"frozen\": true}\n  ]\n}\n"), "j.json")
	want := seedDoc(
		`j.json:3: orgs[0].dailyApiRequests: "lots" is not an integer`,
		`j.json:3: unknown key "frozen" in orgs[0] (known keys: id, name, edition, dailyApiRequests, settings, profiles, permissionSets, users, connectedApps, refreshTokens, loginHistory, auditTrail)`,
	)
	if err == nil || err.Error()+"\n" != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

// seedTestECDSACert returns a PEM certificate with an ECDSA key, indented for
// a YAML block scalar.
func seedTestECDSACert(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ec"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestParseSeedErrors(t *testing.T) {
	ecCert := seedTestECDSACert(t)
	ecLines := strings.Split(strings.TrimSpace(ecCert), "\n")
	for i := range ecLines {
		ecLines[i] = "          " + ecLines[i]
	}
	ecBlock := strings.Join(ecLines, "\n")

	tests := []struct {
		name string
		in   string
		want []string // one per line of the error
	}{
		// yaml.v3 reports these three at the start of the enclosing block
		// (lines 2, 1 and 3); ParseSeed finds the real line.
		{"syntax: unclosed flow", seedDoc("orgs:", "  - name: Acme", "    dailyApiRequests: [1, 2", "    edition: X"),
			[]string{`s.yaml:3: did not find expected ',' or ']'`}},
		{"syntax: bad indentation", seedDoc("orgs:", "  - name: Acme", "    users:", "      - username: a@a.test", "     profile: b"),
			[]string{`s.yaml:5: did not find expected key`}},
		{"syntax: bad indentation in list", seedDoc("orgs:", "  - name: Acme", "    users:", "      - username: a@a.test",
			"        profile: b", "       x: 1", "    edition: E"),
			[]string{`s.yaml:6: did not find expected '-' indicator`}},
		{"syntax: scanner error", seedDoc("orgs:", "  - name: Acme", "    edition: @x"),
			[]string{`s.yaml:3: found character that cannot start any token`}},
		{"syntax: tab indentation", "orgs:\n\t- name: A\n",
			[]string{`s.yaml:2: found character that cannot start any token`}},
		{"empty", "", []string{`s.yaml:1: empty seed: want a mapping with the key orgs`}},
		{"comments only", "# nothing\n", []string{`s.yaml:1: empty seed: want a mapping with the key orgs`}},
		{"null document", "---\n~\n", []string{`s.yaml:2: empty seed: want a mapping with the key orgs`}},
		{"two documents", seedDoc("orgs: [{name: A}]", "---", "orgs: [{name: B}]"),
			[]string{`s.yaml:2: more than one YAML document: a seed is a single document`}},
		{"root is a list", "- a\n", []string{`s.yaml:1: expected a mapping with the key orgs, found a list`}},
		{"no orgs", "orgs: []\n", []string{`s.yaml:1: orgs: at least one org is required`}},
		{"orgs not a list", "orgs: {name: A}\n", []string{`s.yaml:1: orgs: expected a list, found a mapping`}},
		{"unknown key with suggestion", seedDoc(
			"orgs:",
			"  - name: Acme",
			"    profiles: [{name: P}]",
			"    users:",
			"      - username: a@acme.test",
			"        profile: P",
			"        frozn: true",
		), []string{`s.yaml:7: unknown key "frozn" in orgs[0].users[0] (known keys: username, firstName, lastName, email, profile, permissionSets, password, securityToken, frozen, active, passwordLocked, lastPasswordChange; did you mean "frozen"?)`}},
		{"unknown top-level key", "org: []\norgs: [{name: A}]\n",
			[]string{`s.yaml:1: unknown key "org" at the top level (known keys: orgs; did you mean "orgs"?)`}},
		{"duplicate key", seedDoc("orgs:", "  - name: A", "    edition: X", "    name: B"),
			[]string{`s.yaml:4: duplicate key "name" in orgs[0] (first at line 2)`}},
		{"not an integer", seedDoc("orgs:", "  - name: A", "    dailyApiRequests: lots"),
			[]string{`s.yaml:3: orgs[0].dailyApiRequests: "lots" is not an integer`}},
		{"quoted integer", seedDoc("orgs:", "  - name: A", `    dailyApiRequests: "5"`),
			[]string{`s.yaml:3: orgs[0].dailyApiRequests: "5" is not an integer`}},
		{"float for integer", seedDoc("orgs:", "  - name: A", "    dailyApiRequests: 1.5"),
			[]string{`s.yaml:3: orgs[0].dailyApiRequests: "1.5" is not an integer`}},
		{"integer out of range", seedDoc("orgs:", "  - name: A", "    dailyApiRequests: 99999999999"),
			[]string{`s.yaml:3: orgs[0].dailyApiRequests: "99999999999" is out of range`}},
		{"list for integer", seedDoc("orgs:", "  - name: A", "    dailyApiRequests: [1]"),
			[]string{`s.yaml:3: orgs[0].dailyApiRequests: expected an integer, found a list`}},
		{"not a boolean", seedDoc("orgs:", "  - name: A", "    settings:", "      soapLoginAllowed: yes"),
			[]string{`s.yaml:4: orgs[0].settings.soapLoginAllowed: "yes" is not a boolean (use true or false)`}},
		{"mapping for string", seedDoc("orgs:", "  - name: {first: A}"),
			[]string{`s.yaml:2: orgs[0].name: expected a string, found a mapping`}},
		{"scalar for mapping", seedDoc("orgs:", "  - name: A", "    settings: strict"),
			[]string{`s.yaml:3: orgs[0].settings: expected a mapping, found "strict"`}},
		{"scalar for list", seedDoc("orgs:", "  - name: A", "    profiles: Admin"),
			[]string{`s.yaml:3: orgs[0].profiles: expected a list, found "Admin"`}},
		{"map keys must be strings", seedDoc("orgs:", "  - name: A", "    profiles:", "      - name: P", "        objects: {[a]: [Read]}"),
			[]string{`s.yaml:5: keys in orgs[0].profiles[0].objects must be strings`}},
		{"bad time", seedDoc(
			"orgs:",
			"  - name: A",
			"    profiles: [{name: P}]",
			"    users:",
			"      - {username: a@a.test, profile: P, lastPasswordChange: yesterday}",
		), []string{`s.yaml:5: orgs[0].users[0].lastPasswordChange: "yesterday" is not a time (use RFC 3339, e.g. 2026-01-05T00:00:00Z, or a date, e.g. 2026-01-05)`}},
		{"refresh token policies", seedDoc(
			"orgs:",
			"  - name: A",
			"    connectedApps:",
			"      - {name: A1, consumerKey: k1, refreshTokenPolicy: forever}",
			"      - {name: A2, consumerKey: k2, refreshTokenPolicy: {expireAfterHours: 1, idleHours: 2}}",
			"      - {name: A3, consumerKey: k3, refreshTokenPolicy: {expireAfterHours: 0}}",
			"      - {name: A4, consumerKey: k4, refreshTokenPolicy: {expireAfter: 5}}",
			"      - {name: A5, consumerKey: k5, refreshTokenPolicy: [1]}",
		), []string{
			`s.yaml:4: orgs[0].connectedApps[0].refreshTokenPolicy: "forever" is not a refresh token policy (use valid_until_revoked, {expireAfterHours: N} or {idleHours: N})`,
			`s.yaml:5: orgs[0].connectedApps[1].refreshTokenPolicy: give exactly one of expireAfterHours or idleHours (use valid_until_revoked, {expireAfterHours: N} or {idleHours: N})`,
			`s.yaml:6: orgs[0].connectedApps[2].refreshTokenPolicy.expireAfterHours: must be a positive number of hours, got 0`,
			`s.yaml:7: unknown key "expireAfter" in orgs[0].connectedApps[3].refreshTokenPolicy (known keys: expireAfterHours, idleHours)`,
			`s.yaml:8: orgs[0].connectedApps[4].refreshTokenPolicy: expected a refresh token policy (use valid_until_revoked, {expireAfterHours: N} or {idleHours: N}), found a list`,
		}},
		{"org ids", seedDoc(
			"orgs:",
			"  - {name: A, id: 00X5g000000EmuAEAS}",
			"  - {name: B, id: 00D5g000000EmuAXXX}",
			"  - {name: C, id: 00D5g000000EmuA}",
			"  - {name: D, id: 00D5g000000EmuAEAS}",
			"  - {name: E, id: 00D5g000000Emu-EAS}",
		), []string{
			`s.yaml:2: orgs[0].id: "00X5g000000EmuAEAS" is not an org id (want 15 or 18 letters and digits starting with 00D)`,
			`s.yaml:3: orgs[1].id: "00D5g000000EmuAXXX" has a wrong checksum suffix "XXX": the 18-character form of 00D5g000000EmuA is 00D5g000000EmuAEAS`,
			`s.yaml:5: orgs[3].id: duplicate org id "00D5g000000EmuAEAS" (also orgs[2].id at line 4)`,
			`s.yaml:6: orgs[4].id: "00D5g000000Emu-EAS" is not an org id (want 15 or 18 letters and digits starting with 00D)`,
		}},
		{"org names and numbers", seedDoc(
			"orgs:",
			"  - name: A",
			"    dailyApiRequests: -1",
			"    settings: {sessionTimeoutMinutes: -5, passwordExpiresDays: -1, maxLoginAttempts: -2, lockoutMinutes: -3}",
			"  - name: A",
			"  - edition: Developer",
		), []string{
			`s.yaml:3: orgs[0].dailyApiRequests: must be >= 0 (0 means the default, 100000), got -1`,
			`s.yaml:4: orgs[0].settings.sessionTimeoutMinutes: must be >= 0 (0 means the default, 120), got -5`,
			`s.yaml:4: orgs[0].settings.passwordExpiresDays: must be >= 0 (0 means passwords never expire), got -1`,
			`s.yaml:4: orgs[0].settings.maxLoginAttempts: must be >= 0 (0 means the default, 10), got -2`,
			`s.yaml:4: orgs[0].settings.lockoutMinutes: must be >= 0 (0 means the default, 15), got -3`,
			`s.yaml:5: orgs[1].name: duplicate org name "A" (also orgs[0].name at line 2)`,
			`s.yaml:6: orgs[2].name: is required`,
		}},
		{"ip ranges", seedDoc(
			"orgs:",
			"  - name: A",
			"    settings:",
			"      trustedIpRanges:",
			"        - {start: 10.0.0.9, end: 10.0.0.1}",
			"        - {start: 10.0.0.1, end: '::1'}",
			"        - {start: 10.0.0, end: 10.0.0.1}",
			"        - {start: 10.0.0.1}",
			"    profiles:",
			"      - name: P",
			"        loginIpRanges: [{start: 'fe80::1%eth0', end: 'fe80::2'}]",
		), []string{
			`s.yaml:5: orgs[0].settings.trustedIpRanges[0]: start 10.0.0.9 is after end 10.0.0.1`,
			`s.yaml:6: orgs[0].settings.trustedIpRanges[1]: start 10.0.0.1 and end ::1 are different IP versions`,
			`s.yaml:7: orgs[0].settings.trustedIpRanges[2].start: "10.0.0" is not an IP address`,
			`s.yaml:8: orgs[0].settings.trustedIpRanges[3].end: is required`,
			`s.yaml:11: orgs[0].profiles[0].loginIpRanges[0].start: "fe80::1%eth0" is not an IP address`,
		}},
		{"profiles and permissions", seedDoc(
			"orgs:",
			"  - name: A",
			"    profiles:",
			"      - name: P",
			"        permissions: [ApiEnabled, ViewAllDatas, PermissionsModifyAllData, WeeklyDataExport, Frobnicate]",
			"        objects:",
			"          Account: [Read, Raed, Write]",
			"          Bad Name: [Read]",
			"        loginHours: {mon: 06:00-20:00, tuesday: 20:00-06:00, wednesday: 6-20, thursday: 06:00-24:00, fridya: 00:00-01:00}",
			"      - name: P",
			"      - userLicense: Salesforce",
			"    permissionSets:",
			"      - {name: S}",
			"      - {name: S, permissions: [apienabled]}",
		), []string{
			`s.yaml:5: orgs[0].profiles[0].permissions[1]: unknown system permission "ViewAllDatas" (did you mean "ViewAllData"?)`,
			`s.yaml:5: orgs[0].profiles[0].permissions[2]: unknown system permission "PermissionsModifyAllData" (write it without the "Permissions" prefix: "ModifyAllData")`,
			`s.yaml:5: orgs[0].profiles[0].permissions[3]: unknown system permission "WeeklyDataExport" (did you mean "DataExport"?)`,
			`s.yaml:5: orgs[0].profiles[0].permissions[4]: unknown system permission "Frobnicate"`,
			`s.yaml:7: orgs[0].profiles[0].objects.Account[1]: unknown object permission "Raed" (want Read, Create, Edit, Delete, ViewAll or ModifyAll; did you mean "Read"?)`,
			`s.yaml:7: orgs[0].profiles[0].objects.Account[2]: unknown object permission "Write" (want Read, Create, Edit, Delete, ViewAll or ModifyAll)`,
			`s.yaml:8: orgs[0].profiles[0].objects.Bad Name: "Bad Name" is not an object API name`,
			`s.yaml:9: orgs[0].profiles[0].loginHours.fridya: unknown weekday "fridya" (want monday, tuesday, wednesday, thursday, friday, saturday or sunday; did you mean "friday"?)`,
			`s.yaml:9: orgs[0].profiles[0].loginHours.mon: unknown weekday "mon" (want monday, tuesday, wednesday, thursday, friday, saturday or sunday)`,
			`s.yaml:9: orgs[0].profiles[0].loginHours.thursday: "06:00-24:00" is not a time window (want HH:MM-HH:MM, e.g. 06:00-20:00)`,
			`s.yaml:9: orgs[0].profiles[0].loginHours.tuesday: "20:00-06:00": start must be before end`,
			`s.yaml:9: orgs[0].profiles[0].loginHours.wednesday: "6-20" is not a time window (want HH:MM-HH:MM, e.g. 06:00-20:00)`,
			`s.yaml:10: orgs[0].profiles[1].name: duplicate profile name "P" (also orgs[0].profiles[0].name at line 4)`,
			`s.yaml:11: orgs[0].profiles[2].name: is required`,
			`s.yaml:14: orgs[0].permissionSets[1].name: duplicate permission set name "S" (also orgs[0].permissionSets[0].name at line 13)`,
			`s.yaml:14: orgs[0].permissionSets[1].permissions[0]: unknown system permission "apienabled" (did you mean "ApiEnabled"?)`,
		}},
		{"users", seedDoc(
			"orgs:",
			"  - name: A",
			"    profiles: [{name: P}]",
			"    permissionSets: [{name: S}]",
			"    users:",
			"      - {username: bob, profile: P}",
			"      - {username: a@a.test, profile: Admin, permissionSets: [S, T, S], email: not-an-email}",
			"      - {profile: P}",
			"      - {username: c@a.test}",
			"  - name: B",
			"    profiles: [{name: P}]",
			"    users:",
			"      - {username: A@A.TEST, profile: P}",
		), []string{
			`s.yaml:6: orgs[0].users[0].username: "bob" is not email-shaped (want name@domain.tld)`,
			`s.yaml:7: orgs[0].users[1].email: "not-an-email" is not an email address`,
			`s.yaml:7: orgs[0].users[1].profile: profile "Admin" not found in org "A" (profiles: P)`,
			`s.yaml:7: orgs[0].users[1].permissionSets[1]: permission set "T" not found in org "A" (permission sets: S)`,
			`s.yaml:7: orgs[0].users[1].permissionSets[2]: permission set "S" is assigned twice`,
			`s.yaml:8: orgs[0].users[2].username: is required`,
			`s.yaml:9: orgs[0].users[3].profile: is required`,
			`s.yaml:13: orgs[1].users[0].username: duplicate username "A@A.TEST" (also orgs[0].users[1].username at line 7; usernames are unique across all orgs)`,
		}},
		{"connected apps", seedDoc(
			"orgs:",
			"  - name: A",
			"    profiles: [{name: P}]",
			"    users: [{username: a@a.test, profile: P}]",
			"    connectedApps:",
			"      - {name: App, consumerKey: k, permittedUsers: everyone, callbackUrl: not a url}",
			"      - name: App",
			"        consumerKey: k2",
			"        preAuthorizedProfiles: [Q]",
			"        preAuthorizedPermissionSets: [S]",
			"        clientCredentialsUser: b@b.test",
			"        certificate: junk",
			"      - name: EC",
			"        consumerKey: k3",
			"        certificate: |",
			ecBlock,
			"      - {consumerKey: ''}",
			"  - name: B",
			"    profiles: [{name: P}]",
			"    users: [{username: b@b.test, profile: P}]",
			"    connectedApps: [{name: App, consumerKey: k}]",
		), []string{
			`s.yaml:6: orgs[0].connectedApps[0].callbackUrl: "not a url" is not an absolute URL`,
			`s.yaml:6: orgs[0].connectedApps[0].permittedUsers: "everyone" is not all or admin_approved`,
			`s.yaml:7: orgs[0].connectedApps[1].name: duplicate connected app name "App" (also orgs[0].connectedApps[0].name at line 6)`,
			`s.yaml:9: orgs[0].connectedApps[1].preAuthorizedProfiles[0]: profile "Q" not found in org "A" (profiles: P)`,
			`s.yaml:10: orgs[0].connectedApps[1].preAuthorizedPermissionSets[0]: permission set "S" not found in org "A" (the org has no permission sets)`,
			`s.yaml:11: orgs[0].connectedApps[1].clientCredentialsUser: user "b@b.test" not found in org "A" (it is a user of org "B")`,
			`s.yaml:12: orgs[0].connectedApps[1].certificate: no PEM certificate found (want a -----BEGIN CERTIFICATE----- block)`,
			`s.yaml:15: orgs[0].connectedApps[2].certificate: the certificate's public key is ECDSA; the JWT bearer flow needs RSA`,
			seedLine(16+len(ecLines)) + `orgs[0].connectedApps[3].name: is required`,
			seedLine(16+len(ecLines)) + `orgs[0].connectedApps[3].consumerKey: is required`,
			seedLine(20+len(ecLines)) + `orgs[1].connectedApps[0].consumerKey: duplicate consumer key "k" (also orgs[0].connectedApps[0].consumerKey at line 6; consumer keys are unique across all orgs)`,
		}},
		{"tokens history audit", seedDoc(
			"orgs:",
			"  - name: A",
			"    profiles: [{name: P}]",
			"    users: [{username: a@a.test, profile: P}]",
			"    connectedApps: [{name: App, consumerKey: k}]",
			"    refreshTokens:",
			"      - {user: a@a.test, app: App, token: t}",
			"      - {user: x@a.test, app: Nope, token: t}",
			"      - {user: a@a.test}",
			"    loginHistory:",
			"      - {user: a@a.test, sourceIp: somewhere, time: 2026-01-01}",
			"      - {user: z@a.test}",
			"    auditTrail:",
			"      - {time: 2026-01-01}",
			"      - {time: 2026-01-01, action: frozeuser, by: nobody@a.test}",
		), []string{
			`s.yaml:8: orgs[0].refreshTokens[1].user: user "x@a.test" not found in org "A"`,
			`s.yaml:8: orgs[0].refreshTokens[1].app: connected app "Nope" not found in org "A" (connected apps: App)`,
			`s.yaml:8: orgs[0].refreshTokens[1].token: duplicate refresh token (also orgs[0].refreshTokens[0].token at line 7)`,
			`s.yaml:9: orgs[0].refreshTokens[2].app: is required`,
			`s.yaml:9: orgs[0].refreshTokens[2].token: is required`,
			`s.yaml:11: orgs[0].loginHistory[0].sourceIp: "somewhere" is not an IP address`,
			`s.yaml:12: orgs[0].loginHistory[1].user: user "z@a.test" not found in org "A"`,
			`s.yaml:12: orgs[0].loginHistory[1].time: is required`,
			`s.yaml:14: orgs[0].auditTrail[0].action: is required`,
			`s.yaml:14: orgs[0].auditTrail[0].by: is required: no user of org "A" has ManageUsers to default to`,
			`s.yaml:15: orgs[0].auditTrail[1].by: user "nobody@a.test" not found in org "A"`,
		}},
		{"type errors do not cascade", seedDoc(
			"orgs:",
			"  - name: A",
			"    profiles: [{name: P}]",
			"    users:",
			"      - {username: a@a.test, profile: [P]}",
		), []string{`s.yaml:5: orgs[0].users[0].profile: expected a string, found a list`}},
		{"alias bomb", seedAliasBomb(), []string{`s.yaml:7: seed too large: aliases expand it beyond 200000 nodes`}},
		{"bad merge", seedDoc("orgs:", "  - <<: 5", "    name: A"),
			[]string{`s.yaml:2: a merge key (<<) needs a mapping or a list of mappings`}},
		{"all errors sorted by line", seedDoc(
			"orgs:",
			"  - name: A",
			"    users:",
			"      - {username: a@a.test, profile: P}",
			"    dailyApiRequests: x",
			"    frozen: true",
		), []string{
			`s.yaml:4: orgs[0].users[0].profile: profile "P" not found in org "A" (the org has no profiles)`,
			`s.yaml:5: orgs[0].dailyApiRequests: "x" is not an integer`,
			`s.yaml:6: unknown key "frozen" in orgs[0] (known keys: id, name, edition, dailyApiRequests, settings, profiles, permissionSets, users, connectedApps, refreshTokens, loginHistory, auditTrail)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSeed([]byte(tt.in), "s.yaml")
			if err == nil {
				t.Fatalf("no error; seed %+v", s)
			}
			if s != nil {
				t.Errorf("got a seed along with the error")
			}
			var se *SeedError
			if !errors.As(err, &se) {
				t.Fatalf("error is %T, not *SeedError", err)
			}
			got := strings.Split(err.Error(), "\n")
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// seedAliasBomb is a small document that aliases expand to a million nodes:
// 200 orgs of 50 users of 100 permission sets.
func seedAliasBomb() string {
	lines := []string{
		"orgs:",
		"  - &org",
		"    name: A",
		"    profiles: [{name: P}]",
		"    permissionSets: [{name: S}]",
		"    users:",
		"      - &u {username: a@a.test, profile: P, permissionSets: [" + strings.Repeat("S, ", 99) + "S]}",
	}
	for range 49 {
		lines = append(lines, "      - *u")
	}
	for range 199 {
		lines = append(lines, "  - *org")
	}
	return seedDoc(lines...)
}

func seedLine(n int) string { return fmt.Sprintf("s.yaml:%d: ", n) }

// TestSeedDecoderSupportsSeedTypes fails when seed.go gains a field of a
// type the decoder does not handle, or one without a yaml tag.
func TestSeedDecoderSupportsSeedTypes(t *testing.T) {
	if err := strictyaml.Check(reflect.TypeFor[Seed]()); err != nil {
		t.Error(err)
	}
}

func TestValidateWithoutLines(t *testing.T) {
	s := &Seed{Orgs: []SeedOrg{{
		Name:     "Acme",
		Profiles: []SeedProfile{{Name: "P"}},
		Users:    []SeedUser{{Username: "a@acme.test", Profile: "Q"}},
	}}}
	err := s.Validate()
	want := `orgs[0].users[0].profile: profile "Q" not found in org "Acme" (profiles: P)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if err := (&Seed{}).Validate(); err == nil || err.Error() != "orgs: at least one org is required" {
		t.Errorf("empty seed: got %v", err)
	}
	var nilSeed *Seed
	if err := nilSeed.Validate(); err == nil {
		t.Errorf("nil seed validated")
	}
}

func TestIDChecksum(t *testing.T) {
	for id15, want := range map[string]string{
		"00D5g000000EmuA": "00D5g000000EmuAEAS",
		"001000000000000": "001000000000000AAA",
		"ABCDEABCDEABCDE": "ABCDEABCDEABCDE555",
	} {
		if got := idChecksum(id15); got != want {
			t.Errorf("idChecksum(%s) = %s, want %s", id15, got, want)
		}
	}
}

func TestSystemPermissions(t *testing.T) {
	if !slices.IsSorted(SystemPermissions) {
		t.Error("SystemPermissions is not sorted")
	}
	if len(slices.Compact(slices.Clone(SystemPermissions))) != len(SystemPermissions) {
		t.Error("SystemPermissions has duplicates")
	}
	for _, p := range []string{"ApiEnabled", "ApiUserOnly", "ViewAllData", "ModifyAllData", "ManageUsers", "ManageInternalUsers",
		"ResetPasswords", "PasswordNeverExpires", "TwoFactorApi", "ForceTwoFactor", "BypassMFAForUiLogins", "ManageIpAddresses",
		"ManageLoginAccessPolicies", "AssignPermissionSets", "ManageProfilesPermissionsets", "CustomizeApplication",
		"ModifyMetadata", "AuthorApex", "ManageRemoteAccess", "ViewSetup", "ViewEventLogFiles", "RunReports", "EditTask",
		"TransferAnyEntity", "BulkApiHardDelete", "ManageRoles", "ManageEncryptionKeys", "ViewEncryptedData",
		"ManageTwoFactor", "DataExport", "DeployChangeSets", "LightningExperienceUser"} {
		if !IsSystemPermission(p) {
			t.Errorf("%s is not a system permission", p)
		}
	}
	for _, p := range []string{"", "PermissionsApiEnabled", "apienabled", "Read"} {
		if IsSystemPermission(p) {
			t.Errorf("%q is a system permission", p)
		}
	}
}

// TestFuzzCorpus makes sure the checked-in corpus covers both outcomes.
func TestFuzzCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/fuzz/FuzzParseSeed/*")
	if err != nil || len(files) < 10 {
		t.Fatalf("want >= 10 corpus files, got %d (%v)", len(files), err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), "go test fuzz v1\n[]byte(") {
			t.Errorf("%s is not a go fuzz v1 []byte file", f)
		}
	}
}

func FuzzParseSeed(f *testing.F) {
	for _, name := range []string{"testdata/seeds/example.yaml", "testdata/seeds/example.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSeed(data, "fuzz.yaml")
		if err != nil {
			var se *SeedError
			if s != nil || !errors.As(err, &se) || len(se.Problems) == 0 || err.Error() == "" {
				t.Fatalf("bad failure: seed %v, error %T %v", s, err, err)
			}
			return
		}
		// Validate has run: defaults are filled in...
		for i, o := range s.Orgs {
			if len(o.ID) != 18 || o.Edition == "" || o.DailyAPIRequests <= 0 || o.Settings.SOAPLoginAllowed == nil ||
				o.Settings.PasswordExpiresDays == nil || o.Settings.MaxLoginAttempts <= 0 {
				t.Fatalf("orgs[%d] lacks defaults: %+v", i, o)
			}
			for _, u := range o.Users {
				if u.Active == nil || u.Email == "" {
					t.Fatalf("user lacks defaults: %+v", u)
				}
			}
		}
		// ... and running it again changes nothing.
		if err := s.Validate(); err != nil {
			t.Fatalf("second Validate: %v", err)
		}
		if fresh, err := ParseSeed(data, "fuzz.yaml"); err != nil || !reflect.DeepEqual(fresh, s) {
			t.Fatalf("second Validate changed the seed (or parsing is not deterministic): %v", err)
		}
	})
}
