// Package policy turns least-privilege guidance for Salesforce integration
// users into policy as code, audits every integration user against it,
// reports drift between audits, plans (and applies) the permission
// changes that bring a user back to policy, and provisions new integration
// users correctly.
//
// A policy is YAML. The built-in baseline (Baseline) encodes the guidance:
// API Enabled and API Only, no admin or Setup permissions, access through
// permission sets limited to what the user's dependents declare, the
// Salesforce Integration licence with the "Minimum Access - API Only
// Integrations" profile, login IP ranges and hours, the MFA waiver only
// where required, "password never expires" only under a rotation schedule,
// one user per connected app and no password credentials past the
// retirement of password logins. A policy file (Load) extends or overrides
// it for every org, for one org or for one user; docs/policy.md documents
// the format and every rule.
//
// Audits read state with one composite API request per org (Read), resolve
// every grant to the profile, permission set or permission set group it
// comes from, and score each user in the spirit of Salesforce Health Check.
package policy

import (
	_ "embed"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/internal/strictyaml"
)

// Level is a rule's severity, or "off" to disable the rule.
type Level string

// Off disables a rule.
const Off Level = "off"

// UnmarshalNode accepts info, low, medium, high, critical and off.
func (l *Level) UnmarshalNode(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a severity (info, low, medium, high, critical or off), found %s", strictyaml.Describe(n))
	}
	v := Level(strings.ToLower(strings.TrimSpace(n.Value)))
	if v != Off && warden.Severity(v).Rank() < 0 {
		hint := ""
		if s := strictyaml.Suggest(n.Value, []string{"info", "low", "medium", "high", "critical", "off"}); s != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", s)
		}
		return fmt.Errorf("%q is not a severity: use info, low, medium, high, critical or off%s", n.Value, hint)
	}
	*l = v
	return nil
}

// Severity returns the level as a severity ("" when off or unset).
func (l Level) Severity() warden.Severity {
	if l == Off {
		return ""
	}
	return warden.Severity(l)
}

// Rule is a severity with the reason the rule exists.
type Rule struct {
	Severity  Level  `yaml:"severity,omitempty"`
	Rationale string `yaml:"rationale,omitempty"`
}

// On reports whether the rule is enabled.
func (r Rule) On() bool { return r.Severity != "" && r.Severity != Off }

func (r *Rule) merge(o *Rule) {
	if o == nil {
		return
	}
	if o.Severity != "" {
		r.Severity = o.Severity
	}
	if o.Rationale != "" {
		r.Rationale = o.Rationale
	}
}

// Days is a duration written as "90d", "12w" or a Go duration ("2160h").
type Days time.Duration

// UnmarshalNode reads "90d", "2w" or "720h".
func (d *Days) UnmarshalNode(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a duration such as 90d or 2160h, found %s", strictyaml.Describe(n))
	}
	v, err := parseDays(n.Value)
	if err != nil {
		return err
	}
	*d = Days(v)
	return nil
}

func parseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if num, ok := strings.CutSuffix(s, suffix); ok {
			n, err := strconv.Atoi(num)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("%q is not a duration (use 90d, 2w or 2160h)", s)
			}
			return time.Duration(n) * unit, nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a duration (use 90d, 2w or 2160h)", s)
	}
	return v, nil
}

// IPRange is an inclusive address range, written as a CIDR prefix
// (198.51.100.0/24), a range (10.0.0.1-10.0.0.9) or one address.
type IPRange struct {
	Start, End netip.Addr
	text       string
}

// ParseIPRange reads a CIDR prefix, an a-b range or a single address.
func ParseIPRange(s string) (IPRange, error) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		p = p.Masked()
		return IPRange{Start: p.Addr(), End: lastAddr(p), text: s}, nil
	}
	if a, b, ok := strings.Cut(s, "-"); ok {
		x, err1 := netip.ParseAddr(strings.TrimSpace(a))
		y, err2 := netip.ParseAddr(strings.TrimSpace(b))
		if err1 != nil || err2 != nil || x.BitLen() != y.BitLen() || y.Less(x) {
			return IPRange{}, fmt.Errorf("%q is not an address range (write 10.0.0.1-10.0.0.9 with the lower address first)", s)
		}
		return IPRange{Start: x.Unmap(), End: y.Unmap(), text: s}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return IPRange{}, fmt.Errorf("%q is not an IP address, CIDR prefix (198.51.100.0/24) or range (10.0.0.1-10.0.0.9)", s)
	}
	return IPRange{Start: a.Unmap(), End: a.Unmap(), text: s}, nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				b[i] |= 1 << (7 - j)
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a.Unmap()
}

// Contains reports whether a is in the range.
func (r IPRange) Contains(a netip.Addr) bool {
	a = a.Unmap()
	return a.BitLen() == r.Start.BitLen() && r.Start.Compare(a) <= 0 && a.Compare(r.End) <= 0
}

// String returns the range as written.
func (r IPRange) String() string {
	if r.text != "" {
		return r.text
	}
	return r.Start.String() + "-" + r.End.String()
}

// UnmarshalNode reads the range.
func (r *IPRange) UnmarshalNode(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected an IP range such as 198.51.100.0/24, found %s", strictyaml.Describe(n))
	}
	v, err := ParseIPRange(n.Value)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Span is a daily login window, "06:00-20:00", in minutes since midnight
// [Start, End).
type Span struct{ Start, End int }

// ParseSpan reads "HH:MM-HH:MM".
func ParseSpan(s string) (Span, error) {
	var h1, m1, h2, m2 int
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d:%d-%d:%d", &h1, &m1, &h2, &m2); err != nil ||
		h1 < 0 || h1 > 24 || h2 < 0 || h2 > 24 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 || h1*60+m1 >= h2*60+m2 || h2*60+m2 > 24*60 {
		return Span{}, fmt.Errorf("%q is not a login window (write HH:MM-HH:MM, start before end, e.g. 06:00-20:00)", s)
	}
	return Span{h1*60 + m1, h2*60 + m2}, nil
}

// String is "06:00-20:00".
func (s Span) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", s.Start/60, s.Start%60, s.End/60, s.End%60)
}

// UnmarshalNode reads the span.
func (s *Span) UnmarshalNode(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a login window such as 06:00-20:00, found %s", strictyaml.Describe(n))
	}
	v, err := ParseSpan(n.Value)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Permissions are the system permission rules. A permission is in at most
// one class: the most specific layer that names it decides.
type Permissions struct {
	// Required permissions must be granted (API Enabled, API Only User).
	Required map[string]Rule `yaml:"required,omitempty"`
	// Forbidden permissions must not be granted.
	Forbidden map[string]Rule `yaml:"forbidden,omitempty"`
	// Allowed permissions may be granted.
	Allowed []string `yaml:"allowed,omitempty"`
	// Unlisted is the rule for granted permissions in none of the lists.
	Unlisted *Rule `yaml:"unlisted,omitempty"`
}

// Objects are the object permission rules. A user's allowed object access
// is what its dependents declare (warden.Dependent.Objects) plus Allow.
type Objects struct {
	// Excess: access beyond the allowed access.
	Excess *Rule `yaml:"excess,omitempty"`
	// Missing: declared access that is not granted.
	Missing *Rule `yaml:"missing,omitempty"`
	// Undeclared: no dependent declares what the user needs, so object
	// access cannot be checked.
	Undeclared *Rule `yaml:"undeclared,omitempty"`
	// Allow adds access beyond what dependents declare: object -> access
	// (Read, Create, Edit, Delete, ViewAll, ModifyAll). Layers add up.
	Allow map[string][]string `yaml:"allow,omitempty"`
}

// NamesRule is a rule about a list of names.
type NamesRule struct {
	Names     []string `yaml:"names,omitempty"`
	Severity  Level    `yaml:"severity,omitempty"`
	Rationale string   `yaml:"rationale,omitempty"`
}

// NameRule is a rule about one name.
type NameRule struct {
	Name      string `yaml:"name,omitempty"`
	Severity  Level  `yaml:"severity,omitempty"`
	Rationale string `yaml:"rationale,omitempty"`
}

// Licence rules: the user licence of the user's profile.
type Licence struct {
	// Allowed lists the acceptable user licences.
	Allowed *NamesRule `yaml:"allowed,omitempty"`
	// Preferred is the licence integration users should have.
	Preferred *NameRule `yaml:"preferred,omitempty"`
}

// Profile rules.
type Profile struct {
	// Forbidden profiles (System Administrator).
	Forbidden *NamesRule `yaml:"forbidden,omitempty"`
	// Preferred is the profile integration users should have; warden fix
	// moves users to it.
	Preferred *NameRule `yaml:"preferred,omitempty"`
}

// LoginIPRanges rules. Salesforce exposes profile login IP ranges only
// through the Metadata API, so Warden checks the logins it sees in
// LoginHistory against the declared ranges instead.
type LoginIPRanges struct {
	// Required: allowed ranges must be declared (and set on the profile).
	Required *Rule `yaml:"required,omitempty"`
	// Allowed are the integration's egress ranges.
	Allowed []IPRange `yaml:"allowed,omitempty"`
	// Outside: a successful login came from outside the allowed ranges.
	Outside *Rule `yaml:"outside,omitempty"`
}

// LoginHours rules, checked like LoginIPRanges against LoginHistory.
type LoginHours struct {
	Required *Rule `yaml:"required,omitempty"`
	// TimeZone of the windows (an IANA name; default UTC).
	TimeZone string `yaml:"timeZone,omitempty"`
	// Allowed windows by lower-case weekday; days left out allow no login.
	Allowed map[string]Span `yaml:"allowed,omitempty"`
	Outside *Rule           `yaml:"outside,omitempty"`
}

// PasswordNeverExpires allows "Password Never Expires" for users that log
// in with a password only when the password is rotated at least every
// RotationEvery.
type PasswordNeverExpires struct {
	RotationEvery *Days  `yaml:"rotationEvery,omitempty"`
	Severity      Level  `yaml:"severity,omitempty"`
	Rationale     string `yaml:"rationale,omitempty"`
}

// MFAWaiver rules for the "Waive Multi-Factor Authentication for Exempt
// Users" permission (BypassMFAForUiLogins).
type MFAWaiver struct {
	// Allowed says the user truly needs the waiver.
	Allowed   *bool  `yaml:"allowed,omitempty"`
	Severity  Level  `yaml:"severity,omitempty"`
	Rationale string `yaml:"rationale,omitempty"`
}

// ConnectedApps limits how many users share one connected app.
type ConnectedApps struct {
	MaxUsers  *int   `yaml:"maxUsers,omitempty"`
	Severity  Level  `yaml:"severity,omitempty"`
	Rationale string `yaml:"rationale,omitempty"`
}

// CredentialRule forbids a credential kind, from a date on when From is
// set (before it, audits report an info reminder).
type CredentialRule struct {
	From      *time.Time `yaml:"from,omitempty"`
	Severity  Level      `yaml:"severity,omitempty"`
	Rationale string     `yaml:"rationale,omitempty"`
}

// Credentials rules by credential kind (jwt, client_credentials,
// refresh_token, password).
type Credentials struct {
	Forbidden map[string]CredentialRule `yaml:"forbidden,omitempty"`
}

// Policy is one layer of policy: the baseline, a file's global part, an
// org's or a user's overrides. Unset parts leave the layer below in force.
type Policy struct {
	Permissions   *Permissions   `yaml:"permissions,omitempty"`
	Objects       *Objects       `yaml:"objects,omitempty"`
	Licence       *Licence       `yaml:"licence,omitempty"`
	Profile       *Profile       `yaml:"profile,omitempty"`
	LoginIPRanges *LoginIPRanges `yaml:"loginIpRanges,omitempty"`
	LoginHours    *LoginHours    `yaml:"loginHours,omitempty"`
	// LoginHistory is how far back audits read logins (default 7d).
	LoginHistory         *Days                 `yaml:"loginHistory,omitempty"`
	PasswordNeverExpires *PasswordNeverExpires `yaml:"passwordNeverExpires,omitempty"`
	MFAWaiver            *MFAWaiver            `yaml:"mfaWaiver,omitempty"`
	ConnectedApps        *ConnectedApps        `yaml:"connectedApps,omitempty"`
	Credentials          *Credentials          `yaml:"credentials,omitempty"`
}

// fileDoc is a policy file: a global layer plus per-org and per-user ones.
type fileDoc struct {
	// Baseline is builtin (default) or none.
	Baseline             string                `yaml:"baseline"`
	Permissions          *Permissions          `yaml:"permissions"`
	Objects              *Objects              `yaml:"objects"`
	Licence              *Licence              `yaml:"licence"`
	Profile              *Profile              `yaml:"profile"`
	LoginIPRanges        *LoginIPRanges        `yaml:"loginIpRanges"`
	LoginHours           *LoginHours           `yaml:"loginHours"`
	LoginHistory         *Days                 `yaml:"loginHistory"`
	PasswordNeverExpires *PasswordNeverExpires `yaml:"passwordNeverExpires"`
	MFAWaiver            *MFAWaiver            `yaml:"mfaWaiver"`
	ConnectedApps        *ConnectedApps        `yaml:"connectedApps"`
	Credentials          *Credentials          `yaml:"credentials"`
	Orgs                 map[string]*Policy    `yaml:"orgs"`
	Users                map[string]*Policy    `yaml:"users"`
}

func (f *fileDoc) global() *Policy {
	return &Policy{Permissions: f.Permissions, Objects: f.Objects, Licence: f.Licence, Profile: f.Profile,
		LoginIPRanges: f.LoginIPRanges, LoginHours: f.LoginHours, LoginHistory: f.LoginHistory,
		PasswordNeverExpires: f.PasswordNeverExpires, MFAWaiver: f.MFAWaiver, ConnectedApps: f.ConnectedApps, Credentials: f.Credentials}
}

// Set is a loaded policy: its layers, from the baseline to per-user
// overrides. For resolves the policy of one user.
type Set struct {
	// Source names where the policy came from: "builtin" or a file name.
	Source string
	base   *Policy // nil when the file says baseline: none
	global *Policy
	orgs   map[string]*Policy
	users  map[string]*Policy // "username" or "org/username", lower case
}

//go:embed baseline.yaml
var baselineYAML []byte

var builtin = func() *Set {
	s, err := parse(baselineYAML, "baseline.yaml", nil)
	if err != nil {
		panic("policy: the built-in baseline is invalid: " + err.Error())
	}
	return &Set{Source: "builtin", base: s.global}
}()

// Baseline returns the built-in baseline policy.
func Baseline() *Set { return builtin }

// BaselineYAML returns the text of the built-in baseline.
func BaselineYAML() []byte { return append([]byte(nil), baselineYAML...) }

// Load reads a policy file. The error names every problem with its line.
func Load(path string) (*Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		kind := warden.EINVALID
		if os.IsNotExist(err) {
			kind = warden.ENOTFOUND
		}
		return nil, &warden.Error{Kind: kind, Op: "policy.Load", Message: fmt.Sprintf("cannot read policy %s: %v", path, err), Err: err}
	}
	return Parse(data, path)
}

// Parse parses a policy file (file names it in problems). Decoding is
// strict: unknown keys, values of the wrong type, unknown permissions,
// severities, credential kinds, object permissions, IP ranges and login
// windows are all reported at once, each with its line. The result is an
// EINVALID *warden.Error wrapping a *strictyaml.Error.
func Parse(data []byte, file string) (*Set, error) {
	s, err := parse(data, file, builtin)
	if err != nil {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: "policy.Parse", Message: err.Error(), Err: err}
	}
	return s, nil
}

func parse(data []byte, file string, base *Set) (*Set, error) {
	var f fileDoc
	doc, err := strictyaml.Decode(data, file, &f, strictyaml.Options{Name: "policy",
		Want: "a mapping with keys such as permissions, objects, licence, profile, orgs and users"})
	if doc == nil {
		return nil, err
	}
	v := &validator{doc: doc}
	switch f.Baseline {
	case "", "builtin", "none":
	default:
		doc.Add("baseline", "%q is not builtin or none", f.Baseline)
	}
	v.layer("", f.global())
	for _, org := range sortedKeys(f.Orgs) {
		v.layer("orgs."+org, f.Orgs[org])
	}
	for _, u := range sortedKeys(f.Users) {
		v.layer("users."+u, f.Users[u])
	}
	if err := doc.Err(); err != nil {
		return nil, err
	}
	s := &Set{Source: file, global: f.global(), orgs: map[string]*Policy{}, users: map[string]*Policy{}}
	if base != nil && f.Baseline != "none" {
		s.base = base.base
	}
	for k, p := range f.Orgs {
		s.orgs[k] = p
	}
	for k, p := range f.Users {
		s.users[strings.ToLower(k)] = p
	}
	return s, nil
}

// validator checks the values Decode cannot: names, kinds and time zones.
type validator struct{ doc *strictyaml.Doc }

func (v *validator) perm(path, name string) {
	if knownPermission(name) {
		return
	}
	hint := ""
	if rest, ok := strings.CutPrefix(name, "Permissions"); ok && knownPermission(rest) {
		hint = fmt.Sprintf(" (write it without the \"Permissions\" prefix: %q)", rest)
	} else if s := strictyaml.Suggest(name, permissionNames); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	v.doc.Add(path, "unknown system permission %q%s; see docs/policy.md for the permissions Warden reads", name, hint)
}

func (v *validator) layer(path string, p *Policy) {
	if p == nil {
		return
	}
	at := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	if ps := p.Permissions; ps != nil {
		seen := map[string]string{}
		check := func(class, name, where string) {
			v.perm(where, name)
			if prev, dup := seen[name]; dup && prev != class {
				v.doc.Add(where, "permission %s is both %s and %s in one layer", name, prev, class)
			}
			seen[name] = class
		}
		for _, n := range sortedKeys(ps.Required) {
			check("required", n, at("permissions.required."+n))
		}
		for _, n := range sortedKeys(ps.Forbidden) {
			check("forbidden", n, at("permissions.forbidden."+n))
		}
		for i, n := range ps.Allowed {
			check("allowed", n, at(fmt.Sprintf("permissions.allowed[%d]", i)))
		}
	}
	if o := p.Objects; o != nil {
		for _, obj := range sortedKeys(o.Allow) {
			for i, a := range o.Allow[obj] {
				if _, ok := ParseAccess(a); !ok {
					v.doc.Add(at(fmt.Sprintf("objects.allow.%s[%d]", obj, i)), "%q is not an object permission (Read, Create, Edit, Delete, ViewAll, ModifyAll)", a)
				}
			}
		}
	}
	if h := p.LoginHours; h != nil {
		if h.TimeZone != "" {
			if _, err := time.LoadLocation(h.TimeZone); err != nil {
				v.doc.Add(at("loginHours.timeZone"), "%q is not a time zone (use an IANA name such as Europe/Paris, or UTC)", h.TimeZone)
			}
		}
		for _, day := range sortedKeys(h.Allowed) {
			if _, ok := weekdays[strings.ToLower(day)]; !ok {
				v.doc.Add(at("loginHours.allowed."+day), "%q is not a weekday (monday ... sunday)", day)
			}
		}
	}
	if c := p.Credentials; c != nil {
		for _, k := range sortedKeys(c.Forbidden) {
			if !warden.CredentialKind(k).Valid() {
				v.doc.Add(at("credentials.forbidden."+k), "%q is not a credential kind (jwt, client_credentials, refresh_token, password)", k)
			}
		}
	}
	if a := p.ConnectedApps; a != nil && a.MaxUsers != nil && *a.MaxUsers < 1 {
		v.doc.Add(at("connectedApps.maxUsers"), "%d must be at least 1", *a.MaxUsers)
	}
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// class is a permission's class in an effective policy.
type class uint8

const (
	classNone class = iota
	classRequired
	classForbidden
	classAllowed
)

// Effective is the policy of one user: every layer applied, every rule
// resolved.
type Effective struct {
	// Source names the policy ("builtin" or the file).
	Source string

	required  map[string]Rule
	forbidden map[string]Rule
	allowed   map[string]bool
	Unlisted  Rule

	ObjectExcess, ObjectMissing, ObjectUndeclared Rule
	// ObjectAllow is access allowed beyond dependents' declarations, by
	// lower-case object name.
	ObjectAllow map[string]ObjectAllow

	LicenceAllowed   NamesRule
	LicencePreferred NameRule
	ProfileForbidden NamesRule
	ProfilePreferred NameRule

	IPRequired Rule
	IPAllowed  []IPRange
	IPOutside  Rule

	HoursRequired Rule
	HoursZone     *time.Location
	Hours         map[time.Weekday]Span
	HoursOutside  Rule

	LoginHistory time.Duration

	RotationEvery time.Duration
	PasswordNever Rule

	MFAWaiverAllowed bool
	MFAWaiver        Rule

	MaxAppUsers int
	AppUsers    Rule

	CredentialForbidden map[warden.CredentialKind]CredentialRule
}

// ObjectAllow is allowed access to one object, with its name as written.
type ObjectAllow struct {
	Object string
	Access Access
}

// Required returns the required permissions, sorted.
func (e *Effective) Required() []string { return sortedKeys(e.required) }

// Forbidden returns the forbidden permissions, sorted.
func (e *Effective) Forbidden() []string { return sortedKeys(e.forbidden) }

// Allowed returns the explicitly allowed permissions, sorted.
func (e *Effective) Allowed() []string { return sortedKeys(e.allowed) }

// RequiredRule returns the rule of a required permission.
func (e *Effective) RequiredRule(name string) (Rule, bool) { r, ok := e.required[name]; return r, ok }

// ForbiddenRule returns the rule of a forbidden permission.
func (e *Effective) ForbiddenRule(name string) (Rule, bool) { r, ok := e.forbidden[name]; return r, ok }

// classOf returns the class of a permission.
func (e *Effective) classOf(name string) class {
	switch {
	case name == "BypassMFAForUiLogins" && e.MFAWaiver.On():
		if e.MFAWaiverAllowed {
			return classAllowed
		}
		return classForbidden
	case name == "PasswordNeverExpires" && e.PasswordNever.On():
		return classAllowed // governed by its own rule
	}
	if _, ok := e.required[name]; ok {
		return classRequired
	}
	if _, ok := e.forbidden[name]; ok {
		return classForbidden
	}
	if e.allowed[name] {
		return classAllowed
	}
	return classNone
}

// For resolves the policy of one user: the baseline, then the file's
// global part, then the org's and the user's overrides (a user layer is
// keyed by username or org/username).
func (s *Set) For(org, username string) *Effective {
	layers := []*Policy{s.base, s.global, s.orgs[org]}
	layers = append(layers, s.users[strings.ToLower(username)], s.users[strings.ToLower(org+"/"+username)])
	e := &Effective{Source: s.Source, required: map[string]Rule{}, forbidden: map[string]Rule{}, allowed: map[string]bool{},
		ObjectAllow: map[string]ObjectAllow{}, Hours: map[time.Weekday]Span{}, HoursZone: time.UTC,
		LoginHistory: 7 * 24 * time.Hour, CredentialForbidden: map[warden.CredentialKind]CredentialRule{}}
	for _, p := range layers {
		if p != nil {
			e.apply(p)
		}
	}
	return e
}

func (e *Effective) apply(p *Policy) {
	if ps := p.Permissions; ps != nil {
		set := func(name string, c class, r Rule) {
			prev, hadReq := e.required[name]
			prevF, hadForb := e.forbidden[name]
			delete(e.required, name)
			delete(e.forbidden, name)
			delete(e.allowed, name)
			switch c {
			case classRequired:
				if hadReq {
					prev.merge(&r)
					r = prev
				}
				e.required[name] = r
			case classForbidden:
				if hadForb {
					prevF.merge(&r)
					r = prevF
				}
				e.forbidden[name] = r
			case classAllowed:
				e.allowed[name] = true
			}
		}
		for n, r := range ps.Required {
			set(n, classRequired, r)
		}
		for n, r := range ps.Forbidden {
			set(n, classForbidden, r)
		}
		for _, n := range ps.Allowed {
			set(n, classAllowed, Rule{})
		}
		e.Unlisted.merge(ps.Unlisted)
	}
	if o := p.Objects; o != nil {
		e.ObjectExcess.merge(o.Excess)
		e.ObjectMissing.merge(o.Missing)
		e.ObjectUndeclared.merge(o.Undeclared)
		for obj, acc := range o.Allow {
			k := strings.ToLower(obj)
			cur := e.ObjectAllow[k]
			cur.Object = obj
			cur.Access |= AccessOf(acc)
			e.ObjectAllow[k] = cur
		}
	}
	if l := p.Licence; l != nil {
		mergeNames(&e.LicenceAllowed, l.Allowed)
		mergeName(&e.LicencePreferred, l.Preferred)
	}
	if pr := p.Profile; pr != nil {
		mergeNames(&e.ProfileForbidden, pr.Forbidden)
		mergeName(&e.ProfilePreferred, pr.Preferred)
	}
	if ip := p.LoginIPRanges; ip != nil {
		e.IPRequired.merge(ip.Required)
		e.IPOutside.merge(ip.Outside)
		if ip.Allowed != nil {
			e.IPAllowed = ip.Allowed
		}
	}
	if h := p.LoginHours; h != nil {
		e.HoursRequired.merge(h.Required)
		e.HoursOutside.merge(h.Outside)
		if h.TimeZone != "" {
			if loc, err := time.LoadLocation(h.TimeZone); err == nil {
				e.HoursZone = loc
			}
		}
		if h.Allowed != nil {
			e.Hours = map[time.Weekday]Span{}
			for d, sp := range h.Allowed {
				e.Hours[weekdays[strings.ToLower(d)]] = sp
			}
		}
	}
	if p.LoginHistory != nil {
		e.LoginHistory = time.Duration(*p.LoginHistory)
	}
	if pn := p.PasswordNeverExpires; pn != nil {
		if pn.RotationEvery != nil {
			e.RotationEvery = time.Duration(*pn.RotationEvery)
		}
		e.PasswordNever.merge(&Rule{Severity: pn.Severity, Rationale: pn.Rationale})
	}
	if m := p.MFAWaiver; m != nil {
		if m.Allowed != nil {
			e.MFAWaiverAllowed = *m.Allowed
		}
		e.MFAWaiver.merge(&Rule{Severity: m.Severity, Rationale: m.Rationale})
	}
	if a := p.ConnectedApps; a != nil {
		if a.MaxUsers != nil {
			e.MaxAppUsers = *a.MaxUsers
		}
		e.AppUsers.merge(&Rule{Severity: a.Severity, Rationale: a.Rationale})
	}
	if c := p.Credentials; c != nil {
		for k, r := range c.Forbidden {
			cur := e.CredentialForbidden[warden.CredentialKind(k)]
			if r.From != nil {
				cur.From = r.From
			}
			if r.Severity != "" {
				cur.Severity = r.Severity
			}
			if r.Rationale != "" {
				cur.Rationale = r.Rationale
			}
			e.CredentialForbidden[warden.CredentialKind(k)] = cur
		}
	}
}

func mergeNames(dst *NamesRule, src *NamesRule) {
	if src == nil {
		return
	}
	if src.Names != nil {
		dst.Names = src.Names
	}
	if src.Severity != "" {
		dst.Severity = src.Severity
	}
	if src.Rationale != "" {
		dst.Rationale = src.Rationale
	}
}

func mergeName(dst *NameRule, src *NameRule) {
	if src == nil {
		return
	}
	if src.Name != "" {
		dst.Name = src.Name
	}
	if src.Severity != "" {
		dst.Severity = src.Severity
	}
	if src.Rationale != "" {
		dst.Rationale = src.Rationale
	}
}

func (r NamesRule) rule() Rule { return Rule{Severity: r.Severity, Rationale: r.Rationale} }
func (r NameRule) rule() Rule  { return Rule{Severity: r.Severity, Rationale: r.Rationale} }
func (r CredentialRule) rule() Rule {
	return Rule{Severity: r.Severity, Rationale: r.Rationale}
}

// queryPermissions returns the permission fields an audit reads: the
// whole catalogue.
func queryPermissions() []string { return permissionNames }
