package monitor

import (
	"context"
	"encoding/json"
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
	ids       map[string]string    // username (lower) -> user id
	logins    map[string][]Login   // user id -> attempts seen, newest first, last hour plus the latest
	seen      map[string]time.Time // LoginHistory id -> login time, for de-duplication
	lastSweep time.Time
	changes   []Change
}

func newOrgState() *orgState {
	return &orgState{ids: map[string]string{}, logins: map[string][]Login{}, seen: map[string]time.Time{}}
}

// sweepQueries builds the composite subrequests of one sweep.
func sweepQueries(targets []Target, st *orgState, now time.Time) []salesforce.Subrequest {
	names := make([]string, 0, len(targets))
	var ids []string
	needObjects := map[string]bool{}
	refresh := false
	for _, t := range targets {
		names = append(names, quote(t.Username))
		if id := st.ids[strings.ToLower(t.Username)]; id != "" {
			ids = append(ids, quote(id))
		}
		for _, n := range t.Needs {
			needObjects[quote(n.Object)] = true
		}
		refresh = refresh || t.Credential == warden.CredentialRefreshToken
	}
	inNames := "(" + strings.Join(names, ",") + ")"
	reqs := []salesforce.Subrequest{
		salesforce.QueryRequest("users", "SELECT Id, Username, IsActive, Profile.Name, LastPasswordChangeDate FROM User WHERE Username IN "+inNames),
		salesforce.QueryRequest("userLogins", "SELECT UserId, IsFrozen, IsPasswordLocked FROM UserLogin WHERE UserId IN (SELECT Id FROM User WHERE Username IN "+inNames+")"),
		salesforce.QueryRequest("grants", "SELECT AssigneeId, PermissionSetId, PermissionSet.Name, PermissionSet.Label, PermissionSet.IsOwnedByProfile, PermissionSet.Profile.Name, "+
			"PermissionSet.PermissionsApiEnabled, PermissionSet.PermissionsPasswordNeverExpires, PermissionSet.PermissionsViewAllData, PermissionSet.PermissionsModifyAllData "+
			"FROM PermissionSetAssignment WHERE Assignee.Username IN "+inNames),
	}
	if len(needObjects) > 0 {
		reqs = append(reqs, salesforce.QueryRequest("objects", "SELECT ParentId, SobjectType, PermissionsRead, PermissionsCreate, PermissionsEdit, PermissionsDelete, PermissionsViewAllRecords, PermissionsModifyAllRecords "+
			"FROM ObjectPermissions WHERE ParentId IN (SELECT PermissionSetId FROM PermissionSetAssignment WHERE Assignee.Username IN "+inNames+") AND SobjectType IN ("+strings.Join(sortedKeys(needObjects), ",")+")"))
	}
	// Login history since the last sweep (with overlap), by user id: the
	// fields Salesforce lets us filter on are UserId and LoginTime.
	if len(ids) > 0 {
		since := st.lastSweep.Add(-time.Minute)
		if st.lastSweep.IsZero() {
			since = now.Add(-24 * time.Hour) // a day, to see how each user logs in
		}
		reqs = append(reqs, salesforce.QueryRequest("history", "SELECT Id, UserId, LoginTime, Status, LoginType, ApiType, Application, SourceIp FROM LoginHistory WHERE UserId IN ("+
			strings.Join(ids, ",")+") AND LoginTime >= "+since.UTC().Format("2006-01-02T15:04:05Z")+" ORDER BY LoginTime DESC"))
	}
	auditSince := st.lastSweep.Add(-time.Minute)
	if st.lastSweep.IsZero() {
		auditSince = now.Add(-30 * 24 * time.Hour)
	}
	reqs = append(reqs, salesforce.QueryRequest("audit", "SELECT Action, Display, CreatedDate, CreatedBy.Username FROM SetupAuditTrail WHERE CreatedDate >= "+
		auditSince.UTC().Format("2006-01-02T15:04:05Z")+" ORDER BY CreatedDate DESC LIMIT 500"))
	if refresh && len(ids) > 0 {
		reqs = append(reqs,
			salesforce.QueryRequest("tokens", "SELECT UserId, AppName, CreatedDate, LastUsedDate FROM OauthToken WHERE UserId IN ("+strings.Join(ids, ",")+")"),
			salesforce.QueryRequest("apps", "SELECT Name, OptionsRefreshTokenValidityMetric, RefreshTokenValidityPeriod FROM ConnectedApplication"))
	}
	return reqs
}

var soqlEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

func quote(s string) string { return "'" + soqlEscaper.Replace(s) + "'" }

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type queryPage struct {
	TotalSize      int                 `json:"totalSize"`
	Done           bool                `json:"done"`
	NextRecordsURL string              `json:"nextRecordsUrl"`
	Records        []salesforce.Record `json:"records"`
}

// sweep reads the state of targets with one composite request. The first
// sweep of an org (or of a new user) first reads the users' ids, which the
// login-history and token queries need: one more request. Login history
// with more than one page costs a request per extra page. It returns an
// observation per target and how many API requests it made.
func sweep(ctx context.Context, s *salesforce.Session, org string, targets []Target, st *orgState, now time.Time, expiresDays int) (map[string]*Observation, int, error) {
	requests := 0
	if unknown := st.unknownIDs(targets); len(unknown) > 0 {
		requests++
		res, err := s.Query(ctx, "SELECT Id, Username FROM User WHERE Username IN ("+strings.Join(unknown, ",")+")", nil)
		if err != nil {
			return nil, requests, err
		}
		for _, r := range res.Records {
			st.ids[strings.ToLower(r.String("Username"))] = r.ID()
		}
	}
	reqs := sweepQueries(targets, st, now)
	requests++
	resps, err := s.Composite(ctx, false, reqs)
	if err != nil {
		return nil, requests, err
	}
	pages := map[string]*queryPage{}
	for i := range resps {
		var p queryPage
		if err := resps[i].Decode(&p); err != nil {
			return nil, requests, err
		}
		pages[resps[i].ReferenceID] = &p
	}
	for _, r := range pages["users"].Records {
		st.ids[strings.ToLower(r.String("Username"))] = r.ID()
	}
	if p := pages["history"]; p != nil {
		n, err := morePages(ctx, s, p)
		requests += n
		if err != nil {
			return nil, requests, err
		}
	}
	obs := buildObservations(org, targets, pages, st, now, expiresDays)
	st.lastSweep = now
	return obs, requests, nil
}

// unknownIDs returns the quoted usernames whose user ids are not known yet.
func (st *orgState) unknownIDs(targets []Target) []string {
	var out []string
	for _, t := range targets {
		if _, ok := st.ids[strings.ToLower(t.Username)]; !ok {
			out = append(out, quote(t.Username))
			st.ids[strings.ToLower(t.Username)] = "" // asked once; absent users stay ""
		}
	}
	return out
}

// morePages follows nextRecordsUrl of a composite query result and returns
// the number of requests it made.
func morePages(ctx context.Context, s *salesforce.Session, p *queryPage) (int, error) {
	n := 0
	for !p.Done && p.NextRecordsURL != "" {
		var next queryPage
		n++
		if err := s.Do(ctx, "GET", p.NextRecordsURL, nil, &next); err != nil {
			return n, err
		}
		p.Records = append(p.Records, next.Records...)
		p.Done, p.NextRecordsURL = next.Done, next.NextRecordsURL
	}
	return n, nil
}

func buildObservations(org string, targets []Target, pages map[string]*queryPage, st *orgState, now time.Time, expiresDays int) map[string]*Observation {
	byID := map[string]*Observation{}
	out := make(map[string]*Observation, len(targets))
	for _, t := range targets {
		o := &Observation{Org: org, Username: t.Username, Credential: t.Credential, Needs: t.Needs, Now: now,
			PasswordExpiresDays: expiresDays, Objects: map[string]map[string]bool{}}
		out[strings.ToLower(t.Username)] = o
	}
	for _, r := range pages["users"].Records {
		o := out[strings.ToLower(r.String("Username"))]
		if o == nil {
			continue
		}
		o.Found, o.UserID, o.Active = true, r.ID(), r.Bool("IsActive")
		o.ProfileName = r.String("Profile.Name")
		o.LastPasswordChange = r.Time("LastPasswordChangeDate")
		byID[o.UserID] = o
	}
	for _, r := range pages["userLogins"].Records {
		if o := byID[r.String("UserId")]; o != nil {
			o.Frozen, o.Locked = r.Bool("IsFrozen"), r.Bool("IsPasswordLocked")
		}
	}
	setsOf := map[string][]*Observation{} // permission set id -> users
	allObjects := map[*Observation]bool{}
	for _, r := range pages["grants"].Records {
		o := byID[r.String("AssigneeId")]
		if o == nil {
			continue
		}
		var ps struct { // decoded once: nested paths re-decode on every access
			Name                            string
			IsOwnedByProfile                bool
			PermissionsApiEnabled           bool
			PermissionsPasswordNeverExpires bool
			PermissionsViewAllData          bool
			PermissionsModifyAllData        bool
		}
		json.Unmarshal(r.Raw("PermissionSet"), &ps)
		source := "permission set " + ps.Name
		if ps.IsOwnedByProfile {
			source = "profile " + o.ProfileName
		}
		g := Grant{Source: source}
		for _, p := range []struct {
			name string
			on   bool
		}{{"ApiEnabled", ps.PermissionsApiEnabled}, {"PasswordNeverExpires", ps.PermissionsPasswordNeverExpires},
			{"ViewAllData", ps.PermissionsViewAllData}, {"ModifyAllData", ps.PermissionsModifyAllData}} {
			if p.on {
				g.Permissions = append(g.Permissions, p.name)
			}
		}
		o.APIEnabled = o.APIEnabled || ps.PermissionsApiEnabled
		o.PasswordNeverExpires = o.PasswordNeverExpires || ps.PermissionsPasswordNeverExpires
		if ps.PermissionsViewAllData || ps.PermissionsModifyAllData {
			allObjects[o] = true
		}
		o.Grants = append(o.Grants, g)
		setsOf[r.String("PermissionSetId")] = append(setsOf[r.String("PermissionSetId")], o)
	}
	if p := pages["objects"]; p != nil {
		for _, r := range p.Records {
			obj := strings.ToLower(r.String("SobjectType"))
			for _, o := range setsOf[r.String("ParentId")] {
				have := o.Objects[obj]
				if have == nil {
					have = map[string]bool{}
					o.Objects[obj] = have
				}
				for field, op := range map[string]string{"PermissionsRead": "read", "PermissionsCreate": "create", "PermissionsEdit": "edit",
					"PermissionsDelete": "delete", "PermissionsViewAllRecords": "viewall", "PermissionsModifyAllRecords": "modifyall"} {
					if r.Bool(field) {
						have[op] = true
					}
				}
			}
		}
	}
	for o := range allObjects {
		for _, n := range o.Needs {
			o.Objects[strings.ToLower(n.Object)] = map[string]bool{"read": true, "create": true, "edit": true, "delete": true, "viewall": true, "modifyall": true}
		}
	}
	if p := pages["history"]; p != nil {
		st.mergeLogins(p.Records, now)
	}
	for id, o := range byID {
		o.Logins = st.logins[id]
		for _, l := range o.Logins {
			if now.Sub(l.Time) <= time.Hour {
				o.LoginsLastHour++
			}
		}
	}
	if p := pages["audit"]; p != nil {
		st.mergeChanges(p.Records, now)
	}
	for _, o := range out {
		needle := strings.ToLower(o.Username)
		for _, c := range st.changes {
			if strings.Contains(strings.ToLower(c.Display), needle) {
				o.Changes = append(o.Changes, c)
			}
		}
	}
	if tp, ap := pages["tokens"], pages["apps"]; tp != nil && ap != nil {
		validity := map[string]time.Duration{}
		for _, a := range ap.Records {
			if a.String("OptionsRefreshTokenValidityMetric") == "Hours" && a.Int("RefreshTokenValidityPeriod") > 0 {
				validity[a.String("Name")] = time.Duration(a.Int("RefreshTokenValidityPeriod")) * time.Hour
			}
		}
		for _, tk := range tp.Records {
			o := byID[tk.String("UserId")]
			if o == nil || validity[tk.String("AppName")] == 0 {
				continue
			}
			exp := tk.Time("CreatedDate").Add(validity[tk.String("AppName")])
			if o.RefreshTokenExpires.IsZero() || exp.After(o.RefreshTokenExpires) {
				o.RefreshTokenExpires = exp
			}
		}
	}
	return out
}

// mergeLogins adds new LoginHistory rows and forgets those older than an
// hour (keeping each user's latest attempt).
func (st *orgState) mergeLogins(rows []salesforce.Record, now time.Time) {
	for _, r := range rows {
		id := r.ID()
		if _, dup := st.seen[id]; dup {
			continue
		}
		at := r.Time("LoginTime")
		st.seen[id] = at
		uid := r.String("UserId")
		st.logins[uid] = append(st.logins[uid], Login{Time: at, Status: r.String("Status"), LoginType: r.String("LoginType"),
			APIType: r.String("ApiType"), Application: r.String("Application"), SourceIP: r.String("SourceIp")})
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
func (st *orgState) mergeChanges(rows []salesforce.Record, now time.Time) {
	seen := map[string]bool{}
	for _, c := range st.changes {
		seen[c.Time.String()+c.Display] = true
	}
	for _, r := range rows {
		c := Change{Time: r.Time("CreatedDate"), Action: r.String("Action"), Display: r.String("Display"), By: r.String("CreatedBy.Username")}
		if !seen[c.Time.String()+c.Display] {
			st.changes = append(st.changes, c)
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
