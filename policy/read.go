package policy

import (
	"context"
	"fmt"
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

// orgReads are the readers of one Read, in the order their failures are
// reported; the optional ones are nil when not asked for.
type orgReads struct {
	users          *salesforce.Rows[salesforce.User]
	assignments    *salesforce.Rows[salesforce.PermissionSetAssignment]
	objects        *salesforce.Rows[salesforce.ObjectPermission]
	psls           *salesforce.Rows[salesforce.PermissionSetLicense]
	pslAssigns     *salesforce.Rows[salesforce.PermissionSetLicenseAssignment]
	profiles       *salesforce.Rows[salesforce.PermissionSet]
	profileObjects *salesforce.Rows[salesforce.ObjectPermission]
	history        *salesforce.Rows[warden.Login]
	audit          *salesforce.Rows[warden.SetupChange]
	tokens         *salesforce.Rows[salesforce.OAuthToken]
	// errs are the reads' errors by reference, in request order.
	errs []func() (string, error)
}

// add records a reader's reference so that its failure is reported.
func add[T any](r *orgReads, ref string, rows *salesforce.Rows[T]) *salesforce.Rows[T] {
	r.errs = append(r.errs, func() (string, error) { return ref, rows.Err })
	return rows
}

// queries puts the readers of Read for usernames into b.
func queries(b *salesforce.Batch, usernames []string, opts ReadOptions) *orgReads {
	in := salesforce.QuoteList(usernames)
	r := &orgReads{}
	r.users = add(r, "users", salesforce.Users("WHERE Username IN "+in).AddTo(b, "users"))
	r.assignments = add(r, "assignments", salesforce.PermissionSetAssignments(opts.permissions(), "WHERE Assignee.Username IN "+in).AddTo(b, "assignments"))
	r.objects = add(r, "objects", salesforce.ObjectPermissions("WHERE ParentId IN (SELECT PermissionSetId FROM PermissionSetAssignment WHERE Assignee.Username IN "+
		in+")").AddTo(b, "objects"))
	r.psls = add(r, "psls", salesforce.PermissionSetLicenses("").AddTo(b, "psls"))
	r.pslAssigns = add(r, "pslAssigns", salesforce.PermissionSetLicenseAssignments("WHERE Assignee.Username IN "+in).AddTo(b, "pslAssigns"))
	if len(opts.Profiles) > 0 {
		pin := salesforce.QuoteList(opts.Profiles)
		r.profiles = add(r, "profiles", salesforce.PermissionSets(opts.permissions(), "WHERE IsOwnedByProfile = true AND Profile.Name IN "+pin).AddTo(b, "profiles"))
		r.profileObjects = add(r, "profileObjects", salesforce.ObjectPermissions("WHERE Parent.IsOwnedByProfile = true AND Parent.Profile.Name IN "+pin).AddTo(b, "profileObjects"))
	}
	if !opts.HistorySince.IsZero() {
		// LoginHistory can be filtered on UserId and LoginTime only.
		r.history = add(r, "history", salesforce.LoginHistory("WHERE UserId IN (SELECT Id FROM User WHERE Username IN "+in+") AND LoginTime >= "+
			salesforce.DateTime(opts.HistorySince)+" ORDER BY LoginTime DESC").AddTo(b, "history"))
	}
	if !opts.AuditSince.IsZero() {
		r.audit = add(r, "audit", salesforce.SetupAuditTrail("WHERE CreatedDate >= "+salesforce.DateTime(opts.AuditSince)+
			" ORDER BY CreatedDate DESC LIMIT 500").AddTo(b, "audit"))
	}
	if opts.Tokens {
		r.tokens = add(r, "tokens", salesforce.OAuthTokens("").AddTo(b, "tokens"))
	}
	return r
}

// records returns the rows of an optional read (nil when not read).
func records[T any](r *salesforce.Rows[T]) []T {
	if r == nil {
		return nil
	}
	return r.Records
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
	var b salesforce.Batch
	r := queries(&b, usernames, opts)
	err := b.Send(ctx, s)
	st.Requests += b.Requests()
	if err != nil {
		return nil, err
	}
	for _, e := range r.errs {
		if ref, err := e(); err != nil {
			return nil, fmt.Errorf("policy.Read %s: %w", ref, err)
		}
	}
	if tok, err := s.Token(ctx); err == nil {
		st.OrgID = tok.OrgID
	}
	build(st, r)
	return st, nil
}

func objectGrant(p salesforce.ObjectPermission) *ObjectGrant {
	var a Access
	for _, x := range []struct {
		on bool
		a  Access
	}{{p.Read, AccessRead}, {p.Create, AccessCreate}, {p.Edit, AccessEdit}, {p.Delete, AccessDelete},
		{p.ViewAllRecords, AccessViewAll}, {p.ModifyAllRecords, AccessModifyAll}} {
		if x.on {
			a |= x.a
		}
	}
	return &ObjectGrant{ID: p.ID, Object: p.Object, Access: a}
}

// build turns query results into the org state.
func build(st *OrgState, r *orgReads) {
	byID := map[string]*UserState{}
	for _, su := range r.users.Records {
		u := st.Users[strings.ToLower(su.Username)]
		if u == nil {
			continue
		}
		u.Found, u.UserID, u.Active = true, su.ID, su.IsActive
		u.Profile, u.ProfileID, u.Licence = su.ProfileName, su.ProfileID, su.UserLicense
		u.LastPasswordChange = su.LastPasswordChange
		byID[u.UserID] = u
	}
	setsByID := map[string][]*Source{}
	for _, a := range r.assignments.Records {
		u := byID[a.AssigneeID]
		if u == nil {
			continue
		}
		ps := a.PermissionSet
		src := &Source{ID: a.PermissionSetID, Name: ps.Name, Label: ps.Label, LicenseID: ps.LicenseID, Perms: ps.Permissions, Objects: map[string]*ObjectGrant{}}
		switch {
		case ps.IsOwnedByProfile:
			src.Kind, src.Name, src.Label, src.ProfileID = KindProfile, ps.ProfileName, ps.ProfileName, ps.ProfileID
			src.LicenseID = ""
		case a.PermissionSetGroupID != "" || strings.EqualFold(ps.Type, "Group"):
			src.Kind, src.AssignmentID = KindGroup, a.ID
		default:
			src.Kind, src.AssignmentID = KindSet, a.ID
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
	for _, p := range r.objects.Records {
		g := objectGrant(p)
		for _, src := range setsByID[p.ParentID] {
			src.Objects[strings.ToLower(g.Object)] = g
		}
	}
	for _, l := range r.psls.Records {
		st.PSLs = append(st.PSLs, PSL{ID: l.ID, DeveloperName: l.DeveloperName, Label: l.MasterLabel})
	}
	for _, a := range r.pslAssigns.Records {
		if u := byID[a.AssigneeID]; u != nil {
			u.PSLs[a.PermissionSetLicenseID] = a.LicenseLabel
		}
	}
	profByPS := map[string]*Source{}
	for _, ps := range records(r.profiles) {
		name := ps.ProfileName
		src := &Source{Kind: KindProfile, ID: ps.ID, Name: name, Label: name, ProfileID: ps.ProfileID,
			Perms: ps.Permissions, Objects: map[string]*ObjectGrant{}}
		st.Profiles[strings.ToLower(name)] = src
		st.ProfileLicences[strings.ToLower(name)] = ps.ProfileUserLicense
		profByPS[src.ID] = src
	}
	for _, p := range records(r.profileObjects) {
		if src := profByPS[p.ParentID]; src != nil {
			g := objectGrant(p)
			src.Objects[strings.ToLower(g.Object)] = g
		}
	}
	for _, l := range records(r.history) {
		if u := byID[l.UserID]; u != nil {
			u.Logins = append(u.Logins, l)
		}
	}
	st.Changes = append(st.Changes, records(r.audit)...)
	for _, t := range records(r.tokens) {
		if st.AppUsers[t.AppName] == nil {
			st.AppUsers[t.AppName] = map[string]bool{}
		}
		st.AppUsers[t.AppName][t.UserID] = true
		if u := byID[t.UserID]; u != nil && !contains(u.Apps, t.AppName) {
			u.Apps = append(u.Apps, t.AppName)
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
	grants, err := salesforce.PermissionSetAssignments(nil, "WHERE PermissionSetId IN "+salesforce.QuoteList(ask)).Read(ctx, s)
	if err != nil {
		return err
	}
	for _, id := range ask {
		st.SetUsers[id] = []string{}
	}
	for _, g := range grants {
		id := g.PermissionSetID
		for _, want := range ask {
			if strings.EqualFold(want, id) || (len(id) >= 15 && len(want) >= 15 && id[:15] == want[:15]) {
				st.SetUsers[want] = append(st.SetUsers[want], g.AssigneeUsername)
			}
		}
	}
	return nil
}
