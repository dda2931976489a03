package policy

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// Rule ids that are not per permission or per credential kind.
const (
	RuleUserNotFound       = "user.notFound"
	RuleUnlisted           = "permission.unlisted"
	RuleMFAWaiver          = "mfa.waiver"
	RuleObjectExcess       = "object.excess"
	RuleObjectMissing      = "object.missing"
	RuleObjectUndeclared   = "object.undeclared"
	RuleLicenceAllowed     = "licence.allowed"
	RuleLicencePreferred   = "licence.preferred"
	RuleProfileForbidden   = "profile.forbidden"
	RuleProfilePreferred   = "profile.preferred"
	RuleIPRequired         = "loginIpRanges.required"
	RuleIPOutside          = "loginIpRanges.outside"
	RuleHoursRequired      = "loginHours.required"
	RuleHoursOutside       = "loginHours.outside"
	RulePasswordNever      = "password.neverExpires"
	RuleAppUsers           = "connectedApp.maxUsers"
	RuleSnapshot           = "audit.snapshot"
	prefixRequired         = "permission.required."
	prefixForbidden        = "permission.forbidden."
	prefixCredentialForbid = "credential.forbidden."
)

// RuleInfo describes a rule for reports (SARIF rules, HTML).
type RuleInfo struct {
	ID        string          `json:"id"`
	Title     string          `json:"title"`
	Severity  warden.Severity `json:"severity"`
	Rationale string          `json:"rationale"`
}

// Check is one evaluated rule; scores count them.
type Check struct {
	Rule     string          `json:"rule"`
	Severity warden.Severity `json:"severity"`
	Passed   bool            `json:"passed"`
}

// violation is a finding with what a fix needs to know.
type violation struct {
	f       *warden.Finding
	perm    string // permission to remove (forbidden, unlisted, MFA waiver) or add (required)
	object  string // lower-case object
	excess  Access // object access to remove
	missing Access // object access to add
	sources []*Source
}

// Evaluation is the outcome of auditing one user.
type Evaluation struct {
	Org      string `json:"org"`
	Username string `json:"username"`
	// Findings are the rule violations, most severe first.
	Findings []*warden.Finding `json:"findings"`
	Checks   []Check           `json:"-"`
	// Rules describes every rule evaluated.
	Rules map[string]RuleInfo `json:"-"`
	Score int                 `json:"score"`
	Grade string              `json:"grade"`

	violations []*violation
}

type evaluator struct {
	p   *Effective
	s   *Subject
	u   *UserState
	o   *OrgState
	now time.Time
	ev  *Evaluation
}

// Evaluate audits one user's state against its effective policy. It is a
// pure function: the state comes from Read (or a test).
func Evaluate(p *Effective, s *Subject, u *UserState, o *OrgState, now time.Time) *Evaluation {
	e := &evaluator{p: p, s: s, u: u, o: o, now: now,
		ev: &Evaluation{Org: s.Org, Username: s.Username, Rules: map[string]RuleInfo{}}}
	e.run()
	ev := e.ev
	sort.SliceStable(ev.violations, func(i, j int) bool {
		return ev.violations[i].f.Severity.Rank() > ev.violations[j].f.Severity.Rank()
	})
	for _, v := range ev.violations {
		ev.Findings = append(ev.Findings, v.f)
	}
	ev.Score, ev.Grade = Score(ev.Checks)
	return ev
}

// check registers a rule and records its outcome (info rules are not
// scored).
func (e *evaluator) check(id, title string, r Rule, passed bool) {
	sev := r.Severity.Severity()
	e.ev.Rules[id] = RuleInfo{ID: id, Title: title, Severity: sev, Rationale: r.Rationale}
	if sev != warden.SeverityInfo {
		e.ev.Checks = append(e.ev.Checks, Check{Rule: id, Severity: sev, Passed: passed})
	}
}

// fail records a finding. subject is the key part of the evidence (what
// the finding is about); evidence says what was seen.
func (e *evaluator) fail(id string, r Rule, subject, evidence, fix string, v *violation) *violation {
	return e.failSev(id, r.Severity.Severity(), subject, evidence, fix, v)
}

func (e *evaluator) failSev(id string, sev warden.Severity, subject, evidence, fix string, v *violation) *violation {
	if v == nil {
		v = &violation{}
	}
	v.f = &warden.Finding{Org: e.s.Org, Username: e.s.Username, Rule: id, Severity: sev,
		Evidence: subject + ": " + evidence, Source: sourceNames(v.sources), Fix: fix, FoundAt: e.now}
	e.ev.violations = append(e.ev.violations, v)
	return v
}

func (e *evaluator) run() {
	u, p := e.u, e.p
	if !u.Found {
		r := Rule{Severity: "high", Rationale: "Warden audits the users of its inventory; a user that does not exist cannot be checked."}
		e.check(RuleUserNotFound, "Integration user not found", r, false)
		e.fail(RuleUserNotFound, r, u.Username, fmt.Sprintf("no user with this username in org %s", u.Org),
			"Correct the username in warden.yaml, or create the user (warden provision).", nil)
		return
	}
	grants := u.PermissionGrants()
	prof := u.profile()
	profName := u.Profile

	// Required permissions.
	for _, name := range p.Required() {
		r := p.required[name]
		if !r.On() {
			continue
		}
		id := prefixRequired + name
		ok := len(grants[name]) > 0
		e.check(id, "Required permission: "+PermissionLabel(name), r, ok)
		if !ok {
			e.fail(id, r, name, fmt.Sprintf("%s is not granted by any source (%s)", PermissionLabel(name), sourceNames(u.Sources)),
				fmt.Sprintf("Grant %s through the user's dedicated permission set.", PermissionLabel(name)), &violation{perm: name})
		}
	}
	// Forbidden permissions and the MFA waiver.
	for _, name := range p.Forbidden() {
		r := p.forbidden[name]
		if !r.On() || (name == "BypassMFAForUiLogins" && p.MFAWaiver.On()) {
			continue
		}
		id := prefixForbidden + name
		srcs := grants[name]
		e.check(id, "Forbidden permission: "+PermissionLabel(name), r, len(srcs) == 0)
		if len(srcs) > 0 {
			e.fail(id, r, name, PermissionLabel(name)+" is granted via "+sourceNames(srcs), removeFix(name, srcs, p, true), &violation{perm: name, sources: srcs})
		}
	}
	if r := p.MFAWaiver; r.On() {
		srcs := grants["BypassMFAForUiLogins"]
		ok := len(srcs) == 0 || p.MFAWaiverAllowed
		e.check(RuleMFAWaiver, "MFA waiver without a declared need", r, ok)
		if !ok {
			e.fail(RuleMFAWaiver, r, "BypassMFAForUiLogins", PermissionLabel("BypassMFAForUiLogins")+" is granted via "+sourceNames(srcs)+" and the policy does not allow it for this user",
				removeFix("BypassMFAForUiLogins", srcs, p, true)+" If a login truly needs the waiver, set mfaWaiver.allowed: true for this user in the policy.",
				&violation{perm: "BypassMFAForUiLogins", sources: srcs})
		}
	}
	// Unlisted permissions.
	if r := p.Unlisted; r.On() {
		var unlisted []string
		for name := range grants {
			if p.classOf(name) == classNone {
				unlisted = append(unlisted, name)
			}
		}
		sort.Strings(unlisted)
		e.check(RuleUnlisted, "Permission not allowed by the policy", r, len(unlisted) == 0)
		for _, name := range unlisted {
			srcs := grants[name]
			e.fail(RuleUnlisted, r, name, PermissionLabel(name)+" is granted via "+sourceNames(srcs)+" but the policy neither requires nor allows it",
				removeFix(name, srcs, p, false)+" Or allow it in the policy (permissions.allowed) with the reason.", &violation{perm: name, sources: srcs})
		}
	}
	e.objects()
	// Licence and profile.
	if r := p.LicenceAllowed; r.rule().On() && len(r.Names) > 0 {
		ok := containsFold(r.Names, u.Licence)
		e.check(RuleLicenceAllowed, "User licence not allowed", r.rule(), ok)
		if !ok {
			e.fail(RuleLicenceAllowed, r.rule(), "licence", fmt.Sprintf("user licence %q (profile %s) is not one of %s", u.Licence, profName, strings.Join(r.Names, ", ")),
				profileFix(p), &violation{sources: []*Source{prof}})
		}
	}
	if r := p.LicencePreferred; r.rule().On() && r.Name != "" {
		ok := strings.EqualFold(r.Name, u.Licence)
		e.check(RuleLicencePreferred, "Not on the preferred user licence", r.rule(), ok)
		if !ok {
			e.fail(RuleLicencePreferred, r.rule(), "licence", fmt.Sprintf("user licence %q, not %s", u.Licence, r.Name), "The licence follows the profile: see profile.preferred.", &violation{sources: []*Source{prof}})
		}
	}
	if r := p.ProfileForbidden; r.rule().On() && len(r.Names) > 0 {
		ok := !containsFold(r.Names, profName)
		e.check(RuleProfileForbidden, "Forbidden profile", r.rule(), ok)
		if !ok {
			e.fail(RuleProfileForbidden, r.rule(), "profile", fmt.Sprintf("profile %s is forbidden for integration users", profName), profileFix(p), &violation{sources: []*Source{prof}})
		}
	}
	if r := p.ProfilePreferred; r.rule().On() && r.Name != "" {
		ok := strings.EqualFold(r.Name, profName)
		e.check(RuleProfilePreferred, "Not on the preferred profile", r.rule(), ok)
		if !ok {
			e.fail(RuleProfilePreferred, r.rule(), "profile", fmt.Sprintf("%s, not %s", profName, r.Name), preferredFix(p, profName), &violation{sources: []*Source{prof}})
		}
	}
	e.logins()
	e.password(grants)
	e.apps()
	e.credential()
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func profileFix(p *Effective) string {
	if p.ProfilePreferred.Name == "" {
		return "Move the user to a minimal integration profile and grant its access through a dedicated permission set (warden fix --plan)."
	}
	return fmt.Sprintf("Move the user to profile %s and grant its access through a dedicated permission set (warden fix --plan).", p.ProfilePreferred.Name)
}

// preferredFix is the fix of a profile that is allowed but not the
// preferred one: a move warden fix does not make by itself.
func preferredFix(p *Effective, profile string) string {
	return fmt.Sprintf("When convenient, give the user a dedicated permission set with what it needs and move it to profile %s (the licence follows the profile), "+
		"after checking that %s restricts login IP ranges and hours as %s does (the REST API cannot read them). warden fix makes this move itself only off profiles that grant forbidden access.",
		p.ProfilePreferred.Name, p.ProfilePreferred.Name, profile)
}

// removeFix says how to remove a permission from its sources; move says
// whether a profile granting it warrants moving the user off the profile
// (forbidden permissions) or only editing it (unlisted ones).
func removeFix(perm string, srcs []*Source, p *Effective, move bool) string {
	var parts []string
	for _, s := range srcs {
		switch {
		case s.Kind == KindProfile && move:
			parts = append(parts, fmt.Sprintf("move the user off profile %s (%s)", s.Name, strings.TrimSuffix(profileFix(p), ".")))
		case s.Kind == KindProfile:
			parts = append(parts, fmt.Sprintf("remove %s from profile %s (Setup > Profiles; its other users lose it too)", PermissionLabel(perm), s.Name))
		case s.Kind == KindGroup:
			parts = append(parts, fmt.Sprintf("unassign %s or mute %s in it", s, PermissionLabel(perm)))
		default:
			parts = append(parts, fmt.Sprintf("remove %s from %s (PermissionSet.Permissions%s = false)", PermissionLabel(perm), s, perm))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	txt := strings.Join(parts, "; ")
	return strings.ToUpper(txt[:1]) + txt[1:] + "."
}

func (e *evaluator) objects() {
	p, u := e.p, e.u
	need, declared := needs(e.s, p)
	if !declared {
		if r := p.ObjectUndeclared; r.On() {
			e.check(RuleObjectUndeclared, "Object needs not declared", r, false)
			e.fail(RuleObjectUndeclared, r, "objects", "no dependent declares the object access this user needs, so excess access cannot be told from needed access",
				"Declare the objects and access each application needs (dependents[].objects in warden.yaml).", nil)
		}
		return
	}
	have := u.ObjectAccess()
	bySource := u.ObjectSources()
	grants := u.PermissionGrants()
	all := Access(0)
	if len(grants["ViewAllData"]) > 0 {
		all |= AccessRead | AccessViewAll
	}
	if len(grants["ModifyAllData"]) > 0 {
		all |= AccessRead | AccessCreate | AccessEdit | AccessDelete | AccessViewAll | AccessModifyAll
	}
	objs := map[string]bool{}
	for k := range have {
		objs[k] = true
	}
	for k := range need {
		objs[k] = true
	}
	keys := sortedKeys(objs)
	if r := p.ObjectExcess; r.On() {
		failed := false
		for _, k := range keys {
			excess := have[k] &^ need[k].Access
			if excess == 0 {
				continue
			}
			failed = true
			var srcs []*Source
			for _, n := range accessNames {
				if excess&n.a != 0 {
					for _, s := range bySource[k][n.a] {
						if !containsSource(srcs, s) {
							srcs = append(srcs, s)
						}
					}
				}
			}
			name := u.objectName(k)
			beyond := "no application declares access to " + name
			if need[k].Access != 0 {
				beyond = "the applications declare only " + need[k].Access.String()
			}
			e.fail(RuleObjectExcess, r, name, fmt.Sprintf("%s granted via %s, but %s", excess, sourceNames(srcs), beyond),
				objectFix(name, need[k].Access, srcs), &violation{object: k, excess: excess, sources: srcs})
		}
		e.check(RuleObjectExcess, "Object access beyond declared needs", r, !failed)
	}
	if r := p.ObjectMissing; r.On() {
		failed := false
		for _, k := range keys {
			if need[k].Access == 0 {
				continue
			}
			missing := need[k].Access &^ (have[k] | all)
			if missing == 0 {
				continue
			}
			failed = true
			e.fail(RuleObjectMissing, r, need[k].Object, fmt.Sprintf("%s declared by the user's applications but not granted (granted: %s)", missing, have[k]),
				fmt.Sprintf("Grant %s on %s through the user's dedicated permission set.", missing, need[k].Object), &violation{object: k, missing: missing})
		}
		e.check(RuleObjectMissing, "Declared object access missing", r, !failed)
	}
}

func containsSource(list []*Source, s *Source) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func objectFix(object string, keep Access, srcs []*Source) string {
	var parts []string
	for _, s := range srcs {
		switch {
		case s.Kind == KindProfile:
			parts = append(parts, fmt.Sprintf("reduce the %s object permissions of profile %s to %s (its other users are affected too), or move the user to a minimal profile", object, s.Name, keep))
		case s.Kind == KindGroup:
			parts = append(parts, "unassign "+s.String())
		case keep == 0:
			parts = append(parts, fmt.Sprintf("delete the %s object permissions of %s", object, s))
		default:
			parts = append(parts, fmt.Sprintf("reduce the %s object permissions of %s to %s", object, s, keep))
		}
	}
	txt := strings.Join(parts, "; ")
	if txt == "" {
		return ""
	}
	return strings.ToUpper(txt[:1]) + txt[1:] + "."
}

// logins checks declared IP ranges and hours against LoginHistory.
func (e *evaluator) logins() {
	p, u := e.p, e.u
	prof := u.Profile
	if r := p.IPRequired; r.On() {
		ok := len(p.IPAllowed) > 0
		e.check(RuleIPRequired, "Login IP ranges not declared", r, ok)
		if !ok {
			e.fail(RuleIPRequired, r, "loginIpRanges", fmt.Sprintf("no allowed login IP ranges are declared for this user; whether profile %s restricts login IP ranges is not checkable via REST (Salesforce exposes Profile.loginIpRanges only in the Metadata API)", prof),
				fmt.Sprintf("Set Login IP Ranges on profile %s to the integration's egress addresses (Setup > Profiles > %s > Login IP Ranges), and declare them in the policy (loginIpRanges.allowed) so Warden checks every login against them.", prof, prof), nil)
		}
	}
	since := e.now.Add(-p.LoginHistory)
	if r := p.IPOutside; r.On() && len(p.IPAllowed) > 0 {
		type hit struct {
			n    int
			last time.Time
		}
		hits := map[string]*hit{}
		for _, l := range u.Logins {
			if !strings.EqualFold(l.Status, "Success") || l.Time.Before(since) {
				continue
			}
			a, ok := parseIP(l.SourceIP)
			if ok && inRanges(p.IPAllowed, a) {
				continue
			}
			h := hits[l.SourceIP]
			if h == nil {
				h = &hit{}
				hits[l.SourceIP] = h
			}
			h.n++
			if l.Time.After(h.last) {
				h.last = l.Time
			}
		}
		e.check(RuleIPOutside, "Login from outside the allowed IP ranges", r, len(hits) == 0)
		for _, ip := range sortedKeys(hits) {
			h := hits[ip]
			e.fail(RuleIPOutside, r, ip, fmt.Sprintf("%d successful login(s) in the last %s from outside the allowed ranges %s, the last at %s",
				h.n, days(p.LoginHistory), rangesText(p.IPAllowed), h.last.UTC().Format(time.RFC3339)),
				fmt.Sprintf("Find out who logs in from %s. Restrict profile %s's Login IP Ranges to the declared ranges; if %s is a legitimate egress address, add it to loginIpRanges.allowed.", ip, prof, ip), nil)
		}
	}
	if r := p.HoursRequired; r.On() {
		ok := len(p.Hours) > 0
		e.check(RuleHoursRequired, "Login hours not declared", r, ok)
		if !ok {
			e.fail(RuleHoursRequired, r, "loginHours", fmt.Sprintf("no login hours are declared for this user; whether profile %s restricts login hours is not checkable via REST (Profile.loginHours is Metadata API only)", prof),
				fmt.Sprintf("Set Login Hours on profile %s to when the integration runs, and declare them in the policy (loginHours.allowed).", prof), nil)
		}
	}
	if r := p.HoursOutside; r.On() && len(p.Hours) > 0 {
		n := 0
		var last time.Time
		for _, l := range u.Logins {
			if !strings.EqualFold(l.Status, "Success") || l.Time.Before(since) {
				continue
			}
			t := l.Time.In(p.HoursZone)
			sp, ok := p.Hours[t.Weekday()]
			m := t.Hour()*60 + t.Minute()
			if ok && m >= sp.Start && m < sp.End {
				continue
			}
			n++
			if l.Time.After(last) {
				last = l.Time
			}
		}
		e.check(RuleHoursOutside, "Login outside the allowed hours", r, n == 0)
		if n > 0 {
			e.fail(RuleHoursOutside, r, "loginHours", fmt.Sprintf("%d successful login(s) in the last %s outside the declared hours (%s), the last at %s",
				n, days(p.LoginHistory), hoursText(p), last.In(p.HoursZone).Format(time.RFC3339)),
				fmt.Sprintf("Set Login Hours on profile %s to the declared hours, or widen loginHours.allowed if the integration legitimately runs then.", prof), nil)
		}
	}
}

func inRanges(rs []IPRange, a netip.Addr) bool {
	for _, r := range rs {
		if r.Contains(a) {
			return true
		}
	}
	return false
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "day"
		}
		return fmt.Sprintf("%d days", n)
	}
	return d.String()
}

func rangesText(rs []IPRange) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return strings.Join(out, ", ")
}

func hoursText(p *Effective) string {
	var out []string
	for d := time.Sunday; d <= time.Saturday; d++ {
		if sp, ok := p.Hours[d]; ok {
			out = append(out, strings.ToLower(d.String()[:3])+" "+sp.String())
		}
	}
	return strings.Join(out, ", ") + " " + p.HoursZone.String()
}

func (e *evaluator) password(grants map[string][]*Source) {
	p, u := e.p, e.u
	r := p.PasswordNever
	if !r.On() {
		return
	}
	srcs := grants["PasswordNeverExpires"]
	usesPassword := e.s.Credential == nil || e.s.Credential.Kind == warden.CredentialPassword
	ok := true
	age := time.Duration(0)
	if len(srcs) > 0 && usesPassword && p.RotationEvery > 0 {
		if u.LastPasswordChange.IsZero() {
			ok = false
		} else {
			age = e.now.Sub(u.LastPasswordChange)
			ok = age <= p.RotationEvery
		}
	}
	e.check(RulePasswordNever, "Password never expires without rotation", r, ok)
	if ok {
		return
	}
	changed := "never"
	if !u.LastPasswordChange.IsZero() {
		changed = fmt.Sprintf("%s (%d days ago)", u.LastPasswordChange.UTC().Format("2006-01-02"), int(age.Hours()/24))
	}
	e.fail(RulePasswordNever, r, "PasswordNeverExpires", fmt.Sprintf("%s is granted via %s, the user logs in with a password, and the password was last changed %s: longer ago than the rotation schedule of %s",
		PermissionLabel("PasswordNeverExpires"), sourceNames(srcs), changed, days(p.RotationEvery)),
		fmt.Sprintf("Change the password now and at least every %s (set it in Salesforce, store it with the new security token in the credential's secret, and update the dependents warden impact lists), or move the integration to JWT bearer or client credentials (warden provision).", days(p.RotationEvery)),
		&violation{sources: srcs})
}

func (e *evaluator) apps() {
	p, u := e.p, e.u
	r := p.AppUsers
	if !r.On() || p.MaxAppUsers < 1 {
		return
	}
	failed := false
	for _, app := range u.Apps {
		n := len(e.o.AppUsers[app])
		if n <= p.MaxAppUsers {
			continue
		}
		failed = true
		e.fail(RuleAppUsers, r, app, fmt.Sprintf("connected app %q holds OAuth tokens of %d users (at most %d allowed)", app, n, p.MaxAppUsers),
			fmt.Sprintf("Give each integration its own connected app and integration user; revoke the other users' tokens of %q.", app), nil)
	}
	if len(e.s.SharedClient)+1 > p.MaxAppUsers && e.s.Credential != nil && e.s.Credential.ClientID != "" {
		failed = true
		others := append([]string(nil), e.s.SharedClient...)
		sort.Strings(others)
		e.fail(RuleAppUsers, r, e.s.Credential.ClientID, fmt.Sprintf("the connected app (consumer key %s) of credential %s is also used by %s (at most %d user(s) allowed)",
			e.s.Credential.ClientID, e.s.Credential.Name, strings.Join(others, ", "), p.MaxAppUsers),
			"Create a connected app for each integration and move each credential to its own.", nil)
	}
	e.check(RuleAppUsers, "Connected app shared by several users", r, !failed)
}

func (e *evaluator) credential() {
	c := e.s.Credential
	if c == nil {
		return
	}
	for _, kind := range sortedKeys(credKinds(e.p.CredentialForbidden)) {
		r := e.p.CredentialForbidden[warden.CredentialKind(kind)]
		if !r.rule().On() {
			continue
		}
		id := prefixCredentialForbid + kind
		title := "Forbidden credential kind: " + kind
		if string(c.Kind) != kind {
			e.check(id, title, r.rule(), true)
			continue
		}
		if r.From != nil && e.now.Before(*r.From) {
			// Not forbidden yet: a reminder, not scored.
			left := int(r.From.Sub(e.now).Hours()/24) + 1
			info := r.rule()
			info.Severity = Level(warden.SeverityInfo)
			e.ev.Rules[id] = RuleInfo{ID: id, Title: title, Severity: r.Severity.Severity(), Rationale: r.Rationale}
			e.failSev(id, warden.SeverityInfo, kind, fmt.Sprintf("credential %s uses %s, which the policy forbids from %s (in %d days)", c.Name, kind, r.From.Format("2006-01-02"), left),
				"Migrate to JWT bearer or client credentials before then: warden provision creates a JWT credential with a fresh key pair.", nil)
			continue
		}
		e.check(id, title, r.rule(), false)
		since := ""
		if r.From != nil {
			since = " since " + r.From.Format("2006-01-02")
		}
		e.fail(id, r.rule(), kind, fmt.Sprintf("credential %s uses %s, which the policy forbids%s", c.Name, kind, since),
			"Migrate to JWT bearer or client credentials: warden provision creates a JWT credential with a fresh key pair.", nil)
	}
}

func credKinds(m map[warden.CredentialKind]CredentialRule) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[string(k)] = true
	}
	return out
}
