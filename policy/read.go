package policy

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// ReadOptions say what Read needs beyond users, grants and licences.
type ReadOptions struct {
	// Profiles are profile names whose own permission sets (and object
	// permissions) to read: the preferred profiles a fix may move users to.
	Profiles []string
	// HistorySince reads successful and failed logins since then (zero:
	// none).
	HistorySince time.Time
	// AuditSince reads setup audit trail rows since then (zero: none).
	AuditSince time.Time
	// Tokens reads OAuth tokens to count users per connected app.
	Tokens bool

	perms []string // permission fields to read (default: the catalogue)
}

type queryPage struct {
	TotalSize      int                 `json:"totalSize"`
	Done           bool                `json:"done"`
	NextRecordsURL string              `json:"nextRecordsUrl"`
	Records        []salesforce.Record `json:"records"`
}

// quote returns a SOQL string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func inList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = quote(v)
	}
	return "(" + strings.Join(q, ",") + ")"
}

func soqlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func permFields(prefix string, names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + "Permissions" + n
	}
	return strings.Join(out, ", ")
}

const objectFields = "Id, ParentId, SobjectType, PermissionsRead, PermissionsCreate, PermissionsEdit, PermissionsDelete, PermissionsViewAllRecords, PermissionsModifyAllRecords"

// Queries returns the composite subrequests Read sends for usernames.
func Queries(usernames []string, opts ReadOptions) []salesforce.Subrequest {
	in := inList(usernames)
	reqs := []salesforce.Subrequest{
		salesforce.QueryRequest("users", "SELECT Id, Username, IsActive, ProfileId, Profile.Name, Profile.UserLicense.Name, LastPasswordChangeDate FROM User WHERE Username IN "+in),
		salesforce.QueryRequest("assignments", "SELECT Id, AssigneeId, PermissionSetId, PermissionSetGroupId, PermissionSet.Name, PermissionSet.Label, PermissionSet.Type, "+
			"PermissionSet.IsOwnedByProfile, PermissionSet.ProfileId, PermissionSet.Profile.Name, PermissionSet.LicenseId, "+permFields("PermissionSet.", opts.permissions())+
			" FROM PermissionSetAssignment WHERE Assignee.Username IN "+in),
		salesforce.QueryRequest("objects", "SELECT "+objectFields+" FROM ObjectPermissions WHERE ParentId IN (SELECT PermissionSetId FROM PermissionSetAssignment WHERE Assignee.Username IN "+in+")"),
		salesforce.QueryRequest("psls", "SELECT Id, DeveloperName, MasterLabel FROM PermissionSetLicense"),
		salesforce.QueryRequest("pslAssigns", "SELECT AssigneeId, PermissionSetLicenseId, PermissionSetLicense.MasterLabel FROM PermissionSetLicenseAssign WHERE Assignee.Username IN "+in),
	}
	if len(opts.Profiles) > 0 {
		pin := inList(opts.Profiles)
		reqs = append(reqs,
			salesforce.QueryRequest("profiles", "SELECT Id, Name, Label, ProfileId, Profile.Name, Profile.UserLicense.Name, "+permFields("", opts.permissions())+
				" FROM PermissionSet WHERE IsOwnedByProfile = true AND Profile.Name IN "+pin),
			salesforce.QueryRequest("profileObjects", "SELECT "+objectFields+" FROM ObjectPermissions WHERE Parent.IsOwnedByProfile = true AND Parent.Profile.Name IN "+pin))
	}
	if !opts.HistorySince.IsZero() {
		// LoginHistory can be filtered on UserId and LoginTime only.
		reqs = append(reqs, salesforce.QueryRequest("history", "SELECT UserId, LoginTime, Status, SourceIp, LoginType FROM LoginHistory WHERE UserId IN (SELECT Id FROM User WHERE Username IN "+
			in+") AND LoginTime >= "+soqlTime(opts.HistorySince)+" ORDER BY LoginTime DESC"))
	}
	if !opts.AuditSince.IsZero() {
		reqs = append(reqs, salesforce.QueryRequest("audit", "SELECT Action, Display, CreatedDate, CreatedBy.Username FROM SetupAuditTrail WHERE CreatedDate >= "+
			soqlTime(opts.AuditSince)+" ORDER BY CreatedDate DESC LIMIT 500"))
	}
	if opts.Tokens {
		reqs = append(reqs, salesforce.QueryRequest("tokens", "SELECT UserId, AppName FROM OauthToken"))
	}
	return reqs
}

func (o ReadOptions) permissions() []string {
	if o.perms != nil {
		return o.perms
	}
	return queryPermissions()
}

// unknownColumn matches the INVALID_FIELD message of a permission field
// the org does not have (an edition or feature without it).
var unknownColumn = regexp.MustCompile(`No such column 'Permissions(\w+)'`)

// Read reads the state of the named users of one org with one composite
// API request (plus one per extra page of a long result). A system
// permission the org does not know (INVALID_FIELD) is dropped and the
// request sent again; OrgState.Unreadable lists it.
func Read(ctx context.Context, s *salesforce.Session, org string, usernames []string, opts ReadOptions) (*OrgState, error) {
	var dropped []string
	for attempt := 0; ; attempt++ {
		st, err := read(ctx, s, org, usernames, opts)
		if st != nil {
			st.Requests += attempt
			st.Unreadable = dropped
		}
		m := unknownColumn.FindStringSubmatch(warden.ErrorMessage(err))
		if err == nil || m == nil || attempt >= 5 {
			return st, err
		}
		dropped = append(dropped, m[1])
		var keep []string
		for _, p := range opts.permissions() {
			if p != m[1] {
				keep = append(keep, p)
			}
		}
		opts.perms = keep
	}
}

func read(ctx context.Context, s *salesforce.Session, org string, usernames []string, opts ReadOptions) (*OrgState, error) {
	st := &OrgState{Org: org, Users: map[string]*UserState{}, Profiles: map[string]*Source{}, ProfileLicences: map[string]string{},
		AppUsers: map[string]map[string]bool{}, SetUsers: map[string][]string{}}
	for _, u := range usernames {
		st.Users[strings.ToLower(u)] = &UserState{Org: org, Username: u, PSLs: map[string]string{}}
	}
	if len(usernames) == 0 {
		return st, nil
	}
	st.Requests++
	resps, err := s.Composite(ctx, false, Queries(usernames, opts))
	if err != nil {
		return nil, err
	}
	pages := map[string]*queryPage{}
	for i := range resps {
		var p queryPage
		if err := resps[i].Decode(&p); err != nil {
			return nil, fmt.Errorf("policy.Read %s: %w", resps[i].ReferenceID, err)
		}
		n, err := morePages(ctx, s, &p)
		st.Requests += n
		if err != nil {
			return nil, err
		}
		pages[resps[i].ReferenceID] = &p
	}
	if tok, err := s.Token(ctx); err == nil {
		st.OrgID = tok.OrgID
	}
	build(st, pages, opts.permissions())
	return st, nil
}

// morePages follows nextRecordsUrl and returns the requests it made.
func morePages(ctx context.Context, s *salesforce.Session, p *queryPage) (int, error) {
	n := 0
	for !p.Done && p.NextRecordsURL != "" {
		var next queryPage
		n++
		if err := s.Do(ctx, http.MethodGet, p.NextRecordsURL, nil, &next); err != nil {
			return n, err
		}
		p.Records = append(p.Records, next.Records...)
		p.Done, p.NextRecordsURL = next.Done, next.NextRecordsURL
	}
	return n, nil
}

func recordsOf(pages map[string]*queryPage, ref string) []salesforce.Record {
	if p := pages[ref]; p != nil {
		return p.Records
	}
	return nil
}

func perms(r salesforce.Record, prefix string, names []string) map[string]bool {
	out := map[string]bool{}
	for _, n := range names {
		if r.Bool(prefix + "Permissions" + n) {
			out[n] = true
		}
	}
	return out
}

func objectGrant(r salesforce.Record) *ObjectGrant {
	var a Access
	for _, n := range accessNames {
		if r.Bool(n.field) {
			a |= n.a
		}
	}
	return &ObjectGrant{ID: r.ID(), Object: r.String("SobjectType"), Access: a}
}

// build turns query results into the org state.
func build(st *OrgState, pages map[string]*queryPage, names []string) {
	byID := map[string]*UserState{}
	for _, r := range recordsOf(pages, "users") {
		u := st.Users[strings.ToLower(r.String("Username"))]
		if u == nil {
			continue
		}
		u.Found, u.UserID, u.Active = true, r.ID(), r.Bool("IsActive")
		u.Profile, u.ProfileID, u.Licence = r.String("Profile.Name"), r.String("ProfileId"), r.String("Profile.UserLicense.Name")
		u.LastPasswordChange = r.Time("LastPasswordChangeDate")
		byID[u.UserID] = u
	}
	setsByID := map[string][]*Source{}
	for _, r := range recordsOf(pages, "assignments") {
		u := byID[r.String("AssigneeId")]
		if u == nil {
			continue
		}
		src := &Source{ID: r.String("PermissionSetId"), Name: r.String("PermissionSet.Name"), Label: r.String("PermissionSet.Label"),
			LicenseID: r.String("PermissionSet.LicenseId"), Perms: perms(r, "PermissionSet.", names), Objects: map[string]*ObjectGrant{}}
		switch {
		case r.Bool("PermissionSet.IsOwnedByProfile"):
			src.Kind, src.Name, src.Label, src.ProfileID = KindProfile, r.String("PermissionSet.Profile.Name"), r.String("PermissionSet.Profile.Name"), r.String("PermissionSet.ProfileId")
			src.LicenseID = ""
		case !r.IsNull("PermissionSetGroupId") || strings.EqualFold(r.String("PermissionSet.Type"), "Group"):
			src.Kind, src.AssignmentID = KindGroup, r.ID()
		default:
			src.Kind, src.AssignmentID = KindSet, r.ID()
		}
		u.Sources = append(u.Sources, src)
		setsByID[src.ID] = append(setsByID[src.ID], src)
	}
	for _, u := range st.Users {
		sort.SliceStable(u.Sources, func(i, j int) bool {
			a, b := u.Sources[i], u.Sources[j]
			if (a.Kind == KindProfile) != (b.Kind == KindProfile) {
				return a.Kind == KindProfile
			}
			return a.Name < b.Name
		})
	}
	for _, r := range recordsOf(pages, "objects") {
		g := objectGrant(r)
		for _, src := range setsByID[r.String("ParentId")] {
			src.Objects[strings.ToLower(g.Object)] = g
		}
	}
	for _, r := range recordsOf(pages, "psls") {
		st.PSLs = append(st.PSLs, PSL{ID: r.ID(), DeveloperName: r.String("DeveloperName"), Label: r.String("MasterLabel")})
	}
	for _, r := range recordsOf(pages, "pslAssigns") {
		if u := byID[r.String("AssigneeId")]; u != nil {
			u.PSLs[r.String("PermissionSetLicenseId")] = r.String("PermissionSetLicense.MasterLabel")
		}
	}
	profByPS := map[string]*Source{}
	for _, r := range recordsOf(pages, "profiles") {
		name := r.String("Profile.Name")
		src := &Source{Kind: KindProfile, ID: r.ID(), Name: name, Label: name, ProfileID: r.String("ProfileId"),
			Perms: perms(r, "", names), Objects: map[string]*ObjectGrant{}}
		st.Profiles[strings.ToLower(name)] = src
		st.ProfileLicences[strings.ToLower(name)] = r.String("Profile.UserLicense.Name")
		profByPS[src.ID] = src
	}
	for _, r := range recordsOf(pages, "profileObjects") {
		if src := profByPS[r.String("ParentId")]; src != nil {
			g := objectGrant(r)
			src.Objects[strings.ToLower(g.Object)] = g
		}
	}
	for _, r := range recordsOf(pages, "history") {
		if u := byID[r.String("UserId")]; u != nil {
			u.Logins = append(u.Logins, Login{Time: r.Time("LoginTime"), Status: r.String("Status"), SourceIP: r.String("SourceIp"), Type: r.String("LoginType")})
		}
	}
	for _, r := range recordsOf(pages, "audit") {
		st.Changes = append(st.Changes, SetupChange{Time: r.Time("CreatedDate"), Action: r.String("Action"), Display: r.String("Display"), By: r.String("CreatedBy.Username")})
	}
	for _, r := range recordsOf(pages, "tokens") {
		app, uid := r.String("AppName"), r.String("UserId")
		if st.AppUsers[app] == nil {
			st.AppUsers[app] = map[string]bool{}
		}
		st.AppUsers[app][uid] = true
		if u := byID[uid]; u != nil && !contains(u.Apps, app) {
			u.Apps = append(u.Apps, app)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ReadSetUsers reads who is assigned each of the given custom permission
// sets (one request), so a fix knows which sets are shared.
func ReadSetUsers(ctx context.Context, s *salesforce.Session, st *OrgState, setIDs []string) error {
	var ask []string
	for _, id := range setIDs {
		if _, ok := st.SetUsers[id]; !ok {
			ask = append(ask, id)
		}
	}
	if len(ask) == 0 {
		return nil
	}
	sort.Strings(ask)
	st.Requests++
	res, err := s.Query(ctx, "SELECT PermissionSetId, Assignee.Username FROM PermissionSetAssignment WHERE PermissionSetId IN "+inList(ask), nil)
	if err != nil {
		return err
	}
	for _, id := range ask {
		st.SetUsers[id] = []string{}
	}
	for _, r := range res.Records {
		id := r.String("PermissionSetId")
		for _, want := range ask {
			if strings.EqualFold(want, id) || (len(id) >= 15 && len(want) >= 15 && id[:15] == want[:15]) {
				st.SetUsers[want] = append(st.SetUsers[want], r.String("Assignee.Username"))
			}
		}
	}
	return nil
}
