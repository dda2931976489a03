package emulator

// Loading and validating seeds (the YAML/JSON form of Seed).
//
// ParseSeed decodes with internal/strictyaml, so that every problem names
// its line, unknown keys are errors, and all problems (decoding and
// validation) are reported together, sorted by line.

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/wardenhq/warden/internal/strictyaml"
	"gopkg.in/yaml.v3"
)

// Defaults that Validate fills in. A zero dailyApiRequests,
// sessionTimeoutMinutes, maxLoginAttempts or lockoutMinutes in a seed means
// "use the default" (none of them can usefully be zero); passwordExpiresDays
// is a pointer so that an explicit 0 keeps its meaning "never expires".
const (
	seedDefaultEdition               = "Enterprise"
	seedDefaultDailyAPIRequests      = 100000
	seedDefaultSessionTimeoutMinutes = 120
	seedDefaultPasswordExpiresDays   = 90
	seedDefaultMaxLoginAttempts      = 10
	seedDefaultLockoutMinutes        = 15
	seedDefaultUserLicense           = "Salesforce"
	seedDefaultPermittedUsers        = "all"
	seedDefaultLoginStatus           = "Success"
	seedDefaultLoginType             = "Remote Access 2.0"
	seedDefaultSourceIP              = "127.0.0.1"
	seedDefaultAuditSection          = "Manage Users"
)

// SeedProblem is one problem found in a seed: File is the name given to
// ParseSeed ("" from Validate on a seed built in Go), Line is 1-based (0
// when unknown), Path is where in the seed, e.g. orgs[0].users[2].profile
// ("" when Msg names it). String formats it as "file:line: path: message".
type SeedProblem = strictyaml.Problem

// SeedError is the error ParseSeed, LoadSeedFile and Validate return: every
// problem found (up to 200, then a count of the rest), sorted by line.
// Error() gives one problem per line.
type SeedError = strictyaml.Error

// seedYAMLOptions name the document in messages about it as a whole.
var seedYAMLOptions = strictyaml.Options{Name: "seed", Want: "a mapping with the key orgs"}

// ParseSeed decodes a seed in YAML or JSON. name is used in error messages (a
// file name). Decoding is strict: unknown keys, duplicate keys and values of
// the wrong type are errors. The seed is then validated with the same rules
// as Validate, which also fills in defaults. The error, if any, is a
// *SeedError listing every problem with its line.
func ParseSeed(data []byte, name string) (*Seed, error) {
	if name == "" {
		name = "seed"
	}
	var s Seed
	doc, err := strictyaml.Decode(data, name, &s, seedYAMLOptions)
	if doc == nil {
		return nil, err
	}
	v := &seedValidator{doc: doc, problems: doc.Problems()}
	v.run(&s)
	if err := strictyaml.Join(v.problems); err != nil {
		return nil, err
	}
	return &s, nil
}

// LoadSeedFile reads and parses a seed file (YAML or JSON). Error messages
// name the file as given.
func LoadSeedFile(path string) (*Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseSeed(data, path)
}

// Validate checks references and values and fills defaults (idempotent).
// ParseSeed calls it. On a seed built in Go (like Demo's) problems carry a
// path but no line. The error, if any, is a *SeedError.
//
// Defaults: edition "Enterprise"; dailyApiRequests 100000 (0 means the
// default); settings soapLoginAllowed and usernamePasswordFlowAllowed true,
// sessionTimeoutMinutes 120, passwordExpiresDays 90 (an explicit 0 means
// never), maxLoginAttempts 10, lockoutMinutes 15 (for these three, 0 means
// the default); profile userLicense "Salesforce"; permission set label = name;
// user lastName = the part of the username before '@', email = username,
// active true; connected app permittedUsers "all"; login history status
// "Success", loginType "Remote Access 2.0", sourceIp "127.0.0.1"; audit trail
// section "Manage Users" and by = the org's first user with ManageUsers; org
// id generated from the org name (stable across restarts), and a 15-character
// org id is extended to its 18-character form. Times that default to the
// emulator's clock (lastPasswordChange, issuedAt) stay nil. References to
// users are case-insensitive, as Salesforce usernames are, and are rewritten
// to the username's spelling in the seed.
func (s *Seed) Validate() error {
	if s == nil {
		return strictyaml.Join([]SeedProblem{{Msg: "nil seed"}})
	}
	v := &seedValidator{}
	v.run(s)
	return strictyaml.Join(v.problems)
}

// ---------------------------------------------------------------------------
// Decoding

const seedPolicyHelp = "use valid_until_revoked, {expireAfterHours: N} or {idleHours: N}"

// UnmarshalStrict decodes a refresh token policy written as
// valid_until_revoked or as a mapping with one of expireAfterHours or
// idleHours.
func (p *RefreshTokenPolicy) UnmarshalStrict(n *yaml.Node, decode func(any) error) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Value != "valid_until_revoked" {
			return fmt.Errorf("%q is not a refresh token policy (%s)", n.Value, seedPolicyHelp)
		}
		*p = RefreshTokenPolicy{}
		return nil
	case yaml.MappingNode:
	default:
		return fmt.Errorf("expected a refresh token policy (%s), found %s", seedPolicyHelp, strictyaml.Describe(n))
	}
	var m struct {
		ExpireAfterHours *seedHours `yaml:"expireAfterHours"`
		IdleHours        *seedHours `yaml:"idleHours"`
	}
	if err := decode(&m); err != nil {
		return err
	}
	if (m.ExpireAfterHours == nil) == (m.IdleHours == nil) {
		return fmt.Errorf("give exactly one of expireAfterHours or idleHours (%s)", seedPolicyHelp)
	}
	*p = RefreshTokenPolicy{}
	if m.ExpireAfterHours != nil {
		p.ExpireAfterHours = int(*m.ExpireAfterHours)
	} else {
		p.IdleHours = int(*m.IdleHours)
	}
	return nil
}

// seedHours is a positive number of hours in a refresh token policy.
type seedHours int

// UnmarshalStrict decodes an integer and checks that it is positive.
func (h *seedHours) UnmarshalStrict(n *yaml.Node, decode func(any) error) error {
	var i int
	if err := decode(&i); err != nil {
		return err
	}
	if i <= 0 {
		return fmt.Errorf("must be a positive number of hours, got %d", i)
	}
	*h = seedHours(i)
	return nil
}

// ---------------------------------------------------------------------------
// Validation

type seedValidator struct {
	doc      *strictyaml.Doc // nil for seeds built in Go: no file, no lines
	problems []SeedProblem
	memo     map[string]string // results of costly checks (aliases can repeat a value many times)
}

// memoized returns f(), computed once per key.
func (v *seedValidator) memoized(key string, f func() string) string {
	if r, ok := v.memo[key]; ok {
		return r
	}
	if v.memo == nil {
		v.memo = map[string]string{}
	}
	r := f()
	v.memo[key] = r
	return r
}

// line returns the line of path, or of its nearest ancestor with a line.
func (v *seedValidator) line(path string) int { return v.doc.Line(path) }

// add records a problem at path, unless decoding path already failed.
func (v *seedValidator) add(path, format string, args ...any) {
	if v.doc.Failed(path) {
		return
	}
	v.problems = append(v.problems, v.doc.Problem(path, format, args...))
}

// ref names path for "also ..." messages, with its line when known.
func (v *seedValidator) ref(path string) string {
	if l := v.line(path); l > 0 {
		return fmt.Sprintf("%s at line %d", path, l)
	}
	return path
}

// seedOrgRefs are the names an org's records can refer to.
type seedOrgRefs struct {
	org      *SeedOrg
	profiles map[string]string // name -> path
	permSets map[string]string // name -> path
	users    map[string]string // lower-case username -> username as written
	apps     map[string]string // name -> path
	hints    map[string]string // cached seedListHint results, by what
}

// hint lists the names in m for a "not found" message. Every name is
// registered before the first lookup, so the result is computed once.
func (r *seedOrgRefs) hint(what string, m map[string]string) string {
	if h, ok := r.hints[what]; ok {
		return h
	}
	if r.hints == nil {
		r.hints = map[string]string{}
	}
	h := seedListHint(what, seedKeys(m))
	r.hints[what] = h
	return h
}

func (v *seedValidator) run(s *Seed) {
	if len(s.Orgs) == 0 {
		v.add("orgs", "at least one org is required")
		return
	}
	// Which org each username belongs to, for hints in "not found" messages.
	userOrg := map[string]string{}
	for i := range s.Orgs {
		for _, u := range s.Orgs[i].Users {
			if _, ok := userOrg[strings.ToLower(u.Username)]; !ok {
				userOrg[strings.ToLower(u.Username)] = s.Orgs[i].Name
			}
		}
	}
	orgNames := map[string]string{}
	orgIDs := map[string]string{} // 15-char id -> path
	usernames := map[string]string{}
	consumerKeys := map[string]string{}
	tokens := map[string]string{}
	for i := range s.Orgs {
		o := &s.Orgs[i]
		p := fmt.Sprintf("orgs[%d]", i)
		if o.ID != "" {
			id, msg := seedNormalizeOrgID(o.ID)
			if msg != "" {
				v.add(p+".id", "%s", msg)
			} else {
				o.ID = id
				if other, dup := orgIDs[id[:15]]; dup {
					v.add(p+".id", "duplicate org id %q (also %s)", id, v.ref(other))
				} else {
					orgIDs[id[:15]] = p + ".id"
				}
			}
		}
		if strings.TrimSpace(o.Name) == "" {
			v.add(p+".name", "is required")
		} else if other, dup := orgNames[o.Name]; dup {
			v.add(p+".name", "duplicate org name %q (also %s)", o.Name, v.ref(other))
		} else {
			orgNames[o.Name] = p + ".name"
		}
		if o.Edition == "" {
			o.Edition = seedDefaultEdition
		}
		switch {
		case o.DailyAPIRequests < 0:
			v.add(p+".dailyApiRequests", "must be >= 0 (0 means the default, %d), got %d", seedDefaultDailyAPIRequests, o.DailyAPIRequests)
		case o.DailyAPIRequests == 0:
			o.DailyAPIRequests = seedDefaultDailyAPIRequests
		}
		v.settings(p+".settings", &o.Settings)

		refs := &seedOrgRefs{org: o, profiles: map[string]string{}, permSets: map[string]string{}, users: map[string]string{}, apps: map[string]string{}}
		for j := range o.Profiles {
			v.profile(fmt.Sprintf("%s.profiles[%d]", p, j), &o.Profiles[j], refs)
		}
		for j := range o.PermissionSets {
			v.permissionSet(fmt.Sprintf("%s.permissionSets[%d]", p, j), &o.PermissionSets[j], refs)
		}
		for j := range o.Users {
			v.user(fmt.Sprintf("%s.users[%d]", p, j), &o.Users[j], refs, usernames)
		}
		findUser := func(path, username string) (string, bool) {
			if strings.TrimSpace(username) == "" {
				v.add(path, "is required")
				return "", false
			}
			if canon, ok := refs.users[strings.ToLower(username)]; ok {
				return canon, true
			}
			hint := ""
			if other, ok := userOrg[strings.ToLower(username)]; ok && other != o.Name {
				hint = fmt.Sprintf(" (it is a user of org %q)", other)
			}
			v.add(path, "user %q not found in org %q%s", username, o.Name, hint)
			return "", false
		}
		for j := range o.ConnectedApps {
			v.connectedApp(fmt.Sprintf("%s.connectedApps[%d]", p, j), &o.ConnectedApps[j], refs, consumerKeys, findUser)
		}
		for j := range o.RefreshTokens {
			rp := fmt.Sprintf("%s.refreshTokens[%d]", p, j)
			t := &o.RefreshTokens[j]
			if canon, ok := findUser(rp+".user", t.User); ok {
				t.User = canon
			}
			switch {
			case t.App == "":
				v.add(rp+".app", "is required")
			case refs.apps[t.App] == "":
				v.add(rp+".app", "connected app %q not found in org %q%s", t.App, o.Name, refs.hint("connected apps", refs.apps))
			}
			switch {
			case t.Token == "":
				v.add(rp+".token", "is required")
			case tokens[t.Token] != "":
				v.add(rp+".token", "duplicate refresh token (also %s)", v.ref(tokens[t.Token]))
			default:
				tokens[t.Token] = rp + ".token"
			}
		}
		for j := range o.LoginHistory {
			hp := fmt.Sprintf("%s.loginHistory[%d]", p, j)
			h := &o.LoginHistory[j]
			if canon, ok := findUser(hp+".user", h.User); ok {
				h.User = canon
			}
			if h.Time.IsZero() {
				v.add(hp+".time", "is required")
			}
			if h.Status == "" {
				h.Status = seedDefaultLoginStatus
			}
			if h.LoginType == "" {
				h.LoginType = seedDefaultLoginType
			}
			if h.SourceIP == "" {
				h.SourceIP = seedDefaultSourceIP
			} else if a, err := netip.ParseAddr(h.SourceIP); err != nil || a.Zone() != "" {
				v.add(hp+".sourceIp", "%q is not an IP address", h.SourceIP)
			}
		}
		defaultBy, defaultByDone := "", false
		for j := range o.AuditTrail {
			ap := fmt.Sprintf("%s.auditTrail[%d]", p, j)
			a := &o.AuditTrail[j]
			if a.Time.IsZero() {
				v.add(ap+".time", "is required")
			}
			if strings.TrimSpace(a.Action) == "" {
				v.add(ap+".action", "is required")
			}
			if a.Section == "" {
				a.Section = seedDefaultAuditSection
			}
			if a.By == "" {
				if !defaultByDone {
					defaultBy, defaultByDone = seedFirstUserWith(o, "ManageUsers"), true
				}
				if defaultBy != "" {
					a.By = defaultBy
				} else {
					v.add(ap+".by", "is required: no user of org %q has ManageUsers to default to", o.Name)
				}
			} else if canon, ok := findUser(ap+".by", a.By); ok {
				a.By = canon
			}
		}
	}
	// Generate the missing org ids last, so they cannot collide with given ones.
	for i := range s.Orgs {
		o := &s.Orgs[i]
		if o.ID != "" {
			continue
		}
		for n := 0; ; n++ {
			id := seedGenerateOrgID(o.Name, n)
			if _, dup := orgIDs[id[:15]]; !dup {
				o.ID = id
				orgIDs[id[:15]] = fmt.Sprintf("orgs[%d].id", i)
				break
			}
		}
	}
}

func (v *seedValidator) settings(p string, st *SeedSettings) {
	if st.SOAPLoginAllowed == nil {
		st.SOAPLoginAllowed = seedPtr(true)
	}
	if st.UsernamePasswordFlowAllowed == nil {
		st.UsernamePasswordFlowAllowed = seedPtr(true)
	}
	v.defaultInt(p+".sessionTimeoutMinutes", &st.SessionTimeoutMinutes, seedDefaultSessionTimeoutMinutes)
	if st.PasswordExpiresDays == nil {
		st.PasswordExpiresDays = seedPtr(seedDefaultPasswordExpiresDays)
	} else if *st.PasswordExpiresDays < 0 {
		v.add(p+".passwordExpiresDays", "must be >= 0 (0 means passwords never expire), got %d", *st.PasswordExpiresDays)
	}
	v.defaultInt(p+".maxLoginAttempts", &st.MaxLoginAttempts, seedDefaultMaxLoginAttempts)
	v.defaultInt(p+".lockoutMinutes", &st.LockoutMinutes, seedDefaultLockoutMinutes)
	for k, r := range st.TrustedIPRanges {
		v.ipRange(fmt.Sprintf("%s.trustedIpRanges[%d]", p, k), r)
	}
}

func (v *seedValidator) defaultInt(path string, x *int, def int) {
	switch {
	case *x < 0:
		v.add(path, "must be >= 0 (0 means the default, %d), got %d", def, *x)
	case *x == 0:
		*x = def
	}
}

func seedPtr[T any](x T) *T { return &x }

func (v *seedValidator) profile(p string, pr *SeedProfile, refs *seedOrgRefs) {
	if strings.TrimSpace(pr.Name) == "" {
		v.add(p+".name", "is required")
	} else if other, dup := refs.profiles[pr.Name]; dup {
		v.add(p+".name", "duplicate profile name %q (also %s)", pr.Name, v.ref(other))
	} else {
		refs.profiles[pr.Name] = p + ".name"
	}
	if pr.UserLicense == "" {
		pr.UserLicense = seedDefaultUserLicense
	}
	v.systemPermissions(p+".permissions", pr.Permissions)
	v.objects(p+".objects", pr.Objects)
	for k, r := range pr.LoginIPRanges {
		v.ipRange(fmt.Sprintf("%s.loginIpRanges[%d]", p, k), r)
	}
	for _, day := range seedKeys(pr.LoginHours) {
		dp := p + ".loginHours." + day
		if !slices.Contains(seedWeekdays, day) {
			hint := v.memoized("day\x00"+day, func() string {
				if s := seedSuggest(day, seedWeekdays); s != "" {
					return fmt.Sprintf("; did you mean %q?", s)
				}
				return ""
			})
			v.add(dp, "unknown weekday %q (want monday, tuesday, wednesday, thursday, friday, saturday or sunday%s)", day, hint)
			continue
		}
		if _, _, msg := seedParseWindow(pr.LoginHours[day]); msg != "" {
			v.add(dp, "%s", msg)
		}
	}
}

func (v *seedValidator) permissionSet(p string, ps *SeedPermissionSet, refs *seedOrgRefs) {
	if strings.TrimSpace(ps.Name) == "" {
		v.add(p+".name", "is required")
	} else if other, dup := refs.permSets[ps.Name]; dup {
		v.add(p+".name", "duplicate permission set name %q (also %s)", ps.Name, v.ref(other))
	} else {
		refs.permSets[ps.Name] = p + ".name"
	}
	if ps.Label == "" {
		ps.Label = ps.Name
	}
	v.systemPermissions(p+".permissions", ps.Permissions)
	v.objects(p+".objects", ps.Objects)
}

func (v *seedValidator) user(p string, u *SeedUser, refs *seedOrgRefs, usernames map[string]string) {
	o := refs.org
	switch {
	case strings.TrimSpace(u.Username) == "":
		v.add(p+".username", "is required")
	case !seedEmailShaped(u.Username):
		v.add(p+".username", "%q is not email-shaped (want name@domain.tld)", u.Username)
	}
	if u.Username != "" {
		lower := strings.ToLower(u.Username)
		if other, dup := usernames[lower]; dup {
			v.add(p+".username", "duplicate username %q (also %s; usernames are unique across all orgs)", u.Username, v.ref(other))
		} else {
			usernames[lower] = p + ".username"
		}
		if _, dup := refs.users[lower]; !dup {
			refs.users[lower] = u.Username
		}
	}
	if u.LastName == "" {
		local, _, _ := strings.Cut(u.Username, "@")
		u.LastName = local
	}
	if u.Email == "" {
		u.Email = u.Username
	} else if u.Email != u.Username && !seedEmailShaped(u.Email) {
		v.add(p+".email", "%q is not an email address", u.Email)
	}
	switch {
	case u.Profile == "":
		v.add(p+".profile", "is required")
	case refs.profiles[u.Profile] == "":
		v.add(p+".profile", "profile %q not found in org %q%s", u.Profile, o.Name, refs.hint("profiles", refs.profiles))
	}
	assigned := map[string]bool{}
	for k, name := range u.PermissionSets {
		pp := fmt.Sprintf("%s.permissionSets[%d]", p, k)
		switch {
		case refs.permSets[name] == "":
			v.add(pp, "permission set %q not found in org %q%s", name, o.Name, refs.hint("permission sets", refs.permSets))
		case assigned[name]:
			v.add(pp, "permission set %q is assigned twice", name)
		}
		assigned[name] = true
	}
	if u.Active == nil {
		u.Active = seedPtr(true)
	}
}

func (v *seedValidator) connectedApp(p string, a *SeedConnectedApp, refs *seedOrgRefs, consumerKeys map[string]string, findUser func(path, username string) (string, bool)) {
	o := refs.org
	if strings.TrimSpace(a.Name) == "" {
		v.add(p+".name", "is required")
	} else if other, dup := refs.apps[a.Name]; dup {
		v.add(p+".name", "duplicate connected app name %q (also %s)", a.Name, v.ref(other))
	} else {
		refs.apps[a.Name] = p + ".name"
	}
	switch {
	case strings.TrimSpace(a.ConsumerKey) == "":
		v.add(p+".consumerKey", "is required")
	case consumerKeys[a.ConsumerKey] != "":
		v.add(p+".consumerKey", "duplicate consumer key %q (also %s; consumer keys are unique across all orgs)", a.ConsumerKey, v.ref(consumerKeys[a.ConsumerKey]))
	default:
		consumerKeys[a.ConsumerKey] = p + ".consumerKey"
	}
	if a.CallbackURL != "" {
		if u, err := url.Parse(a.CallbackURL); err != nil || u.Scheme == "" {
			v.add(p+".callbackUrl", "%q is not an absolute URL", a.CallbackURL)
		}
	}
	if a.Certificate != "" {
		if msg := v.memoized("cert\x00"+a.Certificate, func() string { return seedCheckCertificate(a.Certificate) }); msg != "" {
			v.add(p+".certificate", "%s", msg)
		}
	}
	switch a.PermittedUsers {
	case "":
		a.PermittedUsers = seedDefaultPermittedUsers
	case "all", "admin_approved":
	default:
		v.add(p+".permittedUsers", "%q is not all or admin_approved", a.PermittedUsers)
	}
	for k, name := range a.PreAuthorizedProfiles {
		if refs.profiles[name] == "" {
			v.add(fmt.Sprintf("%s.preAuthorizedProfiles[%d]", p, k), "profile %q not found in org %q%s", name, o.Name, refs.hint("profiles", refs.profiles))
		}
	}
	for k, name := range a.PreAuthorizedPermSets {
		if refs.permSets[name] == "" {
			v.add(fmt.Sprintf("%s.preAuthorizedPermissionSets[%d]", p, k), "permission set %q not found in org %q%s", name, o.Name, refs.hint("permission sets", refs.permSets))
		}
	}
	if a.RefreshTokenPolicy.ExpireAfterHours < 0 {
		v.add(p+".refreshTokenPolicy.expireAfterHours", "must be a positive number of hours, got %d", a.RefreshTokenPolicy.ExpireAfterHours)
	}
	if a.RefreshTokenPolicy.IdleHours < 0 {
		v.add(p+".refreshTokenPolicy.idleHours", "must be a positive number of hours, got %d", a.RefreshTokenPolicy.IdleHours)
	}
	if a.ClientCredentialsUser != "" {
		if canon, ok := findUser(p+".clientCredentialsUser", a.ClientCredentialsUser); ok {
			a.ClientCredentialsUser = canon
		}
	}
}

func (v *seedValidator) systemPermissions(path string, perms []string) {
	for k, perm := range perms {
		if !IsSystemPermission(perm) {
			hint := ""
			if len(v.problems) < strictyaml.MaxProblems { // hints past the cap would not be shown
				hint = v.memoized("perm\x00"+perm, func() string { return seedPermissionHint(perm) })
			}
			v.add(fmt.Sprintf("%s[%d]", path, k), "unknown system permission %q%s", perm, hint)
		}
	}
}

var seedObjectNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

func (v *seedValidator) objects(path string, objs map[string][]string) {
	for _, name := range seedKeys(objs) {
		op := path + "." + name
		if !seedObjectNameRE.MatchString(name) {
			v.add(op, "%q is not an object API name", name)
			continue
		}
		for k, perm := range objs[name] {
			if slices.Contains(ObjectPermissionNames, perm) {
				continue
			}
			hint := v.memoized("objperm\x00"+perm, func() string {
				if s := seedSuggest(perm, ObjectPermissionNames); s != "" {
					return fmt.Sprintf("; did you mean %q?", s)
				}
				return ""
			})
			v.add(fmt.Sprintf("%s[%d]", op, k), "unknown object permission %q (want Read, Create, Edit, Delete, ViewAll or ModifyAll%s)", perm, hint)
		}
	}
}

func (v *seedValidator) ipRange(p string, r SeedIPRange) {
	start, okStart := v.ip(p+".start", r.Start)
	end, okEnd := v.ip(p+".end", r.End)
	if !okStart || !okEnd {
		return
	}
	switch {
	case start.Is4() != end.Is4():
		v.add(p, "start %s and end %s are different IP versions", start, end)
	case end.Less(start):
		v.add(p, "start %s is after end %s", start, end)
	}
}

func (v *seedValidator) ip(path, s string) (netip.Addr, bool) {
	if s == "" {
		v.add(path, "is required")
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		v.add(path, "%q is not an IP address", s)
		return netip.Addr{}, false
	}
	return a, true
}

// ---------------------------------------------------------------------------
// Helpers

var seedWeekdays = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// seedParseWindow parses a login-hours window "HH:MM-HH:MM" into minutes
// since midnight, start inclusive and end exclusive; start must be before end
// (a window cannot cross midnight: split it over two days). msg is non-empty
// when s is malformed.
func seedParseWindow(s string) (start, end int, msg string) {
	bad := fmt.Sprintf("%q is not a time window (want HH:MM-HH:MM, e.g. 06:00-20:00)", s)
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, bad
	}
	start, ok1 := seedParseClock(a)
	end, ok2 := seedParseClock(b)
	if !ok1 || !ok2 {
		return 0, 0, bad
	}
	if start >= end {
		return 0, 0, fmt.Sprintf("%q: start must be before end", s)
	}
	return start, end, ""
}

func seedParseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

// seedEmailShaped reports whether s looks like name@domain.tld (Salesforce
// usernames must).
func seedEmailShaped(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || len(s) > 254 {
		return false
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return false
	}
	for _, c := range []byte(local) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`@<>()[]\,;:"`, c) >= 0 {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range []byte(l) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// seedCheckCertificate returns what is wrong with a connected app's PEM
// certificate, or "". Like the emulator, it also takes a PEM PUBLIC KEY.
func seedCheckCertificate(text string) string {
	rest := []byte(text)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return "no PEM certificate found (want a -----BEGIN CERTIFICATE----- block)"
		}
		switch block.Type {
		case "CERTIFICATE":
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return "invalid certificate: " + err.Error()
			}
			if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
				return fmt.Sprintf("the certificate's public key is %s; the JWT bearer flow needs RSA", cert.PublicKeyAlgorithm)
			}
			return ""
		case "PUBLIC KEY":
			key, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return "invalid public key: " + err.Error()
			}
			if _, ok := key.(*rsa.PublicKey); !ok {
				return fmt.Sprintf("the public key is %T; the JWT bearer flow needs RSA", key)
			}
			return ""
		}
	}
}

// seedUserPermissions returns the system permissions of user u in org o:
// its profile's and its permission sets'.
func seedUserPermissions(o *SeedOrg, u *SeedUser) map[string]bool {
	perms := map[string]bool{}
	for _, p := range o.Profiles {
		if p.Name == u.Profile {
			for _, x := range p.Permissions {
				perms[x] = true
			}
		}
	}
	assigned := map[string]bool{}
	for _, name := range u.PermissionSets {
		assigned[name] = true
	}
	for _, ps := range o.PermissionSets {
		if assigned[ps.Name] {
			for _, x := range ps.Permissions {
				perms[x] = true
			}
		}
	}
	return perms
}

// seedFirstUserWith returns the first user of o who has perm, or "".
func seedFirstUserWith(o *SeedOrg, perm string) string {
	profiles, sets := map[string]bool{}, map[string]bool{}
	for _, p := range o.Profiles {
		if slices.Contains(p.Permissions, perm) {
			profiles[p.Name] = true
		}
	}
	for _, ps := range o.PermissionSets {
		if slices.Contains(ps.Permissions, perm) {
			sets[ps.Name] = true
		}
	}
	for _, u := range o.Users {
		if profiles[u.Profile] || slices.ContainsFunc(u.PermissionSets, func(name string) bool { return sets[name] }) {
			return u.Username
		}
	}
	return ""
}

// seedNormalizeOrgID checks an org id and returns its 18-character form, or a
// message saying what is wrong with it.
func seedNormalizeOrgID(id string) (string, string) {
	valid := (len(id) == 15 || len(id) == 18) && strings.HasPrefix(id, "00D")
	for _, c := range []byte(id) {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			valid = false
		}
	}
	if !valid {
		return "", fmt.Sprintf("%q is not an org id (want 15 or 18 letters and digits starting with 00D)", id)
	}
	full := idChecksum(id[:15])
	if len(id) == 18 && id != full {
		return "", fmt.Sprintf("%q has a wrong checksum suffix %q: the 18-character form of %s is %s", id, id[15:], id[:15], full)
	}
	return full, ""
}

// seedGenerateOrgID derives an org id from the org's name, so the same seed
// always gives the same ids. attempt > 0 only after a collision.
func seedGenerateOrgID(name string, attempt int) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	sum := sha256.Sum256(fmt.Appendf(nil, "warden-emulator-org\x00%s\x00%d", name, attempt))
	id := []byte("00D")
	for _, b := range sum[:12] {
		id = append(id, digits[int(b)%len(digits)])
	}
	return idChecksum(string(id))
}

func seedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// seedListHint lists the names that do exist, for "not found" messages.
func seedListHint(what string, names []string) string {
	if len(names) == 0 {
		return fmt.Sprintf(" (the org has no %s)", what)
	}
	const shown = 10
	more := ""
	if len(names) > shown {
		more = fmt.Sprintf(", ... (%d more)", len(names)-shown)
		names = names[:shown]
	}
	return fmt.Sprintf(" (%s: %s%s)", what, strings.Join(names, ", "), more)
}

// seedSuggest returns the candidate closest to word if it is a likely typo,
// else "" (see strictyaml.Suggest).
func seedSuggest(word string, candidates []string) string {
	return strictyaml.Suggest(word, candidates)
}
