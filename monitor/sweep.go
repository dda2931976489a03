package monitor

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// Target is one integration user a sweep reads.
type Target struct {
	Username   string
	Credential warden.CredentialKind
	// Owner is the owning team; Dependents the applications affected when
	// the user breaks (both named in alerts).
	Owner      string
	Dependents []warden.AffectedApp
	// Needs is the object access the user's dependents declare.
	Needs []warden.ObjectAccess
	// CredentialVersion changes whenever the user's credential does; a
	// change lifts the hold on a credential that Salesforce rejected.
	CredentialVersion string
}

// orgState is what the monitor remembers about an org between sweeps.
type orgState struct {
	ids       map[string]string         // username (lower) -> user id
	logins    map[string][]warden.Login // user id -> attempts seen, newest first, last hour plus the latest
	seen      map[string]time.Time      // LoginHistory id -> login time, for de-duplication
	lastSweep time.Time
	changes   []warden.SetupChange
	// freshLogins and freshChanges are the rows read for the first time
	// since the activity hook last took them.
	freshLogins  []warden.Login
	freshChanges []warden.SetupChange
}

func newOrgState() *orgState {
	return &orgState{ids: map[string]string{}, logins: map[string][]warden.Login{}, seen: map[string]time.Time{}}
}

// sweepPermissions are the system permissions a sweep reads.
var sweepPermissions = []string{"ApiEnabled", "PasswordNeverExpires", "ViewAllData", "ModifyAllData"}

// reads are the results of one sweep's readers; the optional ones are nil
// when the sweep does not read them.
type reads struct {
	users   *salesforce.Rows[salesforce.User]
	logins  *salesforce.Rows[salesforce.UserLogin]
	grants  *salesforce.Rows[salesforce.PermissionSetAssignment]
	objects *salesforce.Rows[salesforce.ObjectPermission] // when a target needs objects
	history *salesforce.Rows[warden.Login]                // once user ids are known
	audit   *salesforce.Rows[warden.SetupChange]
	tokens  *salesforce.Rows[salesforce.OAuthToken]   // for refresh-token users
	apps    *salesforce.Rows[salesforce.ConnectedApp] // with tokens
}

// err returns the first failed read.
func (r *reads) err() error {
	for _, err := range []error{r.users.Err, r.logins.Err, r.grants.Err, errOf(r.objects), errOf(r.history), r.audit.Err, errOf(r.tokens), errOf(r.apps)} {
		if err != nil {
			return err
		}
	}
	return nil
}

func errOf[T any](r *salesforce.Rows[T]) error {
	if r == nil {
		return nil
	}
	return r.Err
}

// records returns the rows of an optional read (nil when not read).
func records[T any](r *salesforce.Rows[T]) []T {
	if r == nil {
		return nil
	}
	return r.Records
}

// sweepBatch puts the readers of one sweep into a batch.
func sweepBatch(targets []Target, st *orgState, now time.Time) (*salesforce.Batch, *reads) {
	names := make([]string, 0, len(targets))
	var ids []string
	needObjects := map[string]bool{}
	refresh := false
	for _, t := range targets {
		names = append(names, t.Username)
		if id := st.ids[strings.ToLower(t.Username)]; id != "" {
			ids = append(ids, id)
		}
		for _, n := range t.Needs {
			needObjects[n.Object] = true
		}
		refresh = refresh || t.Credential == warden.CredentialRefreshToken
	}
	inNames := salesforce.QuoteList(names)
	b := &salesforce.Batch{}
	r := &reads{
		users:  salesforce.Users("WHERE Username IN "+inNames).AddTo(b, "users"),
		logins: salesforce.UserLogins("WHERE UserId IN (SELECT Id FROM User WHERE Username IN "+inNames+")").AddTo(b, "userLogins"),
		grants: salesforce.PermissionSetAssignments(sweepPermissions, "WHERE Assignee.Username IN "+inNames).AddTo(b, "grants"),
	}
	if len(needObjects) > 0 {
		r.objects = salesforce.ObjectPermissions("WHERE ParentId IN (SELECT PermissionSetId FROM PermissionSetAssignment WHERE Assignee.Username IN "+
			inNames+") AND SobjectType IN "+salesforce.QuoteList(sortedKeys(needObjects))).AddTo(b, "objects")
	}
	// Login history since the last sweep (with overlap), by user id: the
	// fields Salesforce lets us filter on are UserId and LoginTime.
	if len(ids) > 0 {
		since := st.lastSweep.Add(-time.Minute)
		if st.lastSweep.IsZero() {
			since = now.Add(-24 * time.Hour) // a day, to see how each user logs in
		}
		r.history = salesforce.LoginHistory("WHERE UserId IN "+salesforce.QuoteList(ids)+" AND LoginTime >= "+salesforce.DateTime(since)+
			" ORDER BY LoginTime DESC").AddTo(b, "history")
	}
	auditSince := st.lastSweep.Add(-time.Minute)
	if st.lastSweep.IsZero() {
		auditSince = now.Add(-30 * 24 * time.Hour)
	}
	r.audit = salesforce.SetupAuditTrail("WHERE CreatedDate >= "+salesforce.DateTime(auditSince)+" ORDER BY CreatedDate DESC LIMIT 500").AddTo(b, "audit")
	if refresh && len(ids) > 0 {
		r.tokens = salesforce.OAuthTokens("WHERE UserId IN "+salesforce.QuoteList(ids)).AddTo(b, "tokens")
		r.apps = salesforce.ConnectedApps("").AddTo(b, "apps")
	}
	return b, r
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sweep reads the state of targets with one composite request. The first
// sweep of an org (or of a new user) first reads the users' ids, which the
// login-history and token queries need: one more request. A result with
// more than one page costs a request per extra page. It returns an
// observation per target and how many API requests it made.
func sweep(ctx context.Context, s *salesforce.Session, org string, targets []Target, st *orgState, now time.Time, expiresDays int) (map[string]*Observation, int, error) {
	requests := 0
	if unknown := st.unknownIDs(targets); len(unknown) > 0 {
		requests++
		users, err := salesforce.Users("WHERE Username IN "+salesforce.QuoteList(unknown)).Read(ctx, s)
		if err != nil {
			return nil, requests, err
		}
		for _, u := range users {
			st.ids[strings.ToLower(u.Username)] = u.ID
		}
	}
	b, r := sweepBatch(targets, st, now)
	err := b.Send(ctx, s)
	requests += b.Requests()
	if err == nil {
		err = r.err()
	}
	if err != nil {
		return nil, requests, err
	}
	for _, u := range r.users.Records {
		st.ids[strings.ToLower(u.Username)] = u.ID
	}
	st.freshLogins, st.freshChanges = nil, nil // untaken rows of an earlier sweep are dropped
	obs := buildObservations(org, targets, r, st, now, expiresDays)
	st.lastSweep = now
	return obs, requests, nil
}

// unknownIDs returns the usernames whose user ids are not known yet.
func (st *orgState) unknownIDs(targets []Target) []string {
	var out []string
	for _, t := range targets {
		if _, ok := st.ids[strings.ToLower(t.Username)]; !ok {
			out = append(out, t.Username)
			st.ids[strings.ToLower(t.Username)] = "" // asked once; absent users stay ""
		}
	}
	return out
}

func buildObservations(org string, targets []Target, r *reads, st *orgState, now time.Time, expiresDays int) map[string]*Observation {
	byID := map[string]*Observation{}
	out := make(map[string]*Observation, len(targets))
	for _, t := range targets {
		o := &Observation{Org: org, Username: t.Username, Credential: t.Credential, Needs: t.Needs, Now: now,
			PasswordExpiresDays: expiresDays, Objects: map[string]map[string]bool{}}
		out[strings.ToLower(t.Username)] = o
	}
	for _, u := range r.users.Records {
		o := out[strings.ToLower(u.Username)]
		if o == nil {
			continue
		}
		o.Found, o.UserID, o.Active = true, u.ID, u.IsActive
		o.ProfileName = u.ProfileName
		o.LastPasswordChange = u.LastPasswordChange
		o.LastLogin = u.LastLogin
		byID[o.UserID] = o
	}
	for _, l := range r.logins.Records {
		if o := byID[l.UserID]; o != nil {
			o.Frozen, o.Locked = l.IsFrozen, l.IsPasswordLocked
		}
	}
	setsOf := map[string][]*Observation{} // permission set id -> users
	allObjects := map[*Observation]bool{}
	for _, a := range r.grants.Records {
		o := byID[a.AssigneeID]
		if o == nil {
			continue
		}
		ps := a.PermissionSet
		source := "permission set " + ps.Name
		if ps.IsOwnedByProfile {
			source = "profile " + o.ProfileName
		}
		g := Grant{Source: source}
		for _, p := range sweepPermissions {
			if ps.Permissions[p] {
				g.Permissions = append(g.Permissions, p)
			}
		}
		o.APIEnabled = o.APIEnabled || ps.Permissions["ApiEnabled"]
		o.PasswordNeverExpires = o.PasswordNeverExpires || ps.Permissions["PasswordNeverExpires"]
		if ps.Permissions["ViewAllData"] || ps.Permissions["ModifyAllData"] {
			allObjects[o] = true
		}
		o.Grants = append(o.Grants, g)
		setsOf[a.PermissionSetID] = append(setsOf[a.PermissionSetID], o)
	}
	for _, p := range records(r.objects) {
		obj := strings.ToLower(p.Object)
		for _, o := range setsOf[p.ParentID] {
			have := o.Objects[obj]
			if have == nil {
				have = map[string]bool{}
				o.Objects[obj] = have
			}
			for _, a := range []struct {
				on bool
				op string
			}{{p.Read, "read"}, {p.Create, "create"}, {p.Edit, "edit"}, {p.Delete, "delete"}, {p.ViewAllRecords, "viewall"}, {p.ModifyAllRecords, "modifyall"}} {
				if a.on {
					have[a.op] = true
				}
			}
		}
	}
	for o := range allObjects {
		for _, n := range o.Needs {
			o.Objects[strings.ToLower(n.Object)] = map[string]bool{"read": true, "create": true, "edit": true, "delete": true, "viewall": true, "modifyall": true}
		}
	}
	if r.history != nil {
		st.mergeLogins(r.history.Records, now)
	}
	for id, o := range byID {
		o.Logins = st.logins[id]
		for _, l := range o.Logins {
			if now.Sub(l.Time) <= time.Hour {
				o.LoginsLastHour++
			}
		}
	}
	st.mergeChanges(r.audit.Records, now)
	for _, o := range out {
		needle := strings.ToLower(o.Username)
		for _, c := range st.changes {
			if strings.Contains(strings.ToLower(c.Display), needle) {
				o.Changes = append(o.Changes, c)
			}
		}
	}
	if r.tokens != nil && r.apps != nil {
		validity := map[string]time.Duration{}
		for _, a := range r.apps.Records {
			if a.RefreshTokenValidityMetric == "Hours" && a.RefreshTokenValidityPeriod > 0 {
				validity[a.Name] = time.Duration(a.RefreshTokenValidityPeriod) * time.Hour
			}
		}
		for _, tk := range r.tokens.Records {
			o := byID[tk.UserID]
			if o != nil {
				if o.RefreshTokens == nil {
					o.RefreshTokens = map[string]int{}
				}
				o.RefreshTokens[tk.AppName]++
			}
			if o == nil || validity[tk.AppName] == 0 {
				continue
			}
			exp := tk.Created.Add(validity[tk.AppName])
			if o.RefreshTokenExpires.IsZero() || exp.After(o.RefreshTokenExpires) {
				o.RefreshTokenExpires = exp
			}
		}
	}
	return out
}

// mergeLogins adds new LoginHistory rows and forgets those older than an
// hour (keeping each user's latest attempt).
func (st *orgState) mergeLogins(rows []warden.Login, now time.Time) {
	for _, l := range rows {
		if _, dup := st.seen[l.ID]; dup {
			continue
		}
		st.seen[l.ID] = l.Time
		st.logins[l.UserID] = append(st.logins[l.UserID], l)
		st.freshLogins = append(st.freshLogins, l)
	}
	cut := now.Add(-time.Hour)
	for uid, ls := range st.logins {
		sort.SliceStable(ls, func(i, j int) bool { return ls[i].Time.After(ls[j].Time) })
		n := len(ls)
		for n > 1 && ls[n-1].Time.Before(cut) {
			n--
		}
		st.logins[uid] = ls[:n]
	}
	for id, at := range st.seen {
		if at.Before(cut.Add(-time.Hour)) {
			delete(st.seen, id)
		}
	}
}

// mergeChanges keeps the audit rows of the past 30 days, newest first.
func (st *orgState) mergeChanges(rows []warden.SetupChange, now time.Time) {
	seen := map[string]bool{}
	for _, c := range st.changes {
		seen[c.Time.String()+c.Display] = true
	}
	for _, c := range rows {
		if !seen[c.Time.String()+c.Display] {
			st.changes = append(st.changes, c)
			st.freshChanges = append(st.freshChanges, c)
		}
	}
	sort.SliceStable(st.changes, func(i, j int) bool { return st.changes[i].Time.After(st.changes[j].Time) })
	cut := now.Add(-30 * 24 * time.Hour)
	n := len(st.changes)
	for n > 0 && st.changes[n-1].Time.Before(cut) {
		n--
	}
	st.changes = st.changes[:n]
}
