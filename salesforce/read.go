package salesforce

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// Reader is a typed query: the SOQL that reads one kind of record, with
// the fields Warden uses, and how to decode each row into a T. A reader
// runs on its own (Read), following every page of the result, or goes
// into a Batch with other readers, so that reading all of an org's state
// still costs one composite request. The constructors (Users,
// LoginHistory, ...) take the query's WHERE, ORDER BY and LIMIT clauses,
// with every value put in by Quote, QuoteList or DateTime.
type Reader[T any] struct {
	object string
	soql   string
	decode func(json.RawMessage) (T, error)
}

func newReader[T any](object, fields, clauses string, decode func(json.RawMessage) (T, error)) Reader[T] {
	q := "SELECT " + fields + " FROM " + object
	if c := strings.TrimSpace(clauses); c != "" {
		q += " " + c
	}
	return Reader[T]{object: object, soql: q, decode: decode}
}

// SOQL returns the reader's query.
func (r Reader[T]) SOQL() string { return r.soql }

// Read runs the query on s and returns every row, following
// nextRecordsUrl through all pages (one request per page).
func (r Reader[T]) Read(ctx context.Context, s *Session) ([]T, error) {
	out := []T{}
	_, _, err := s.follow(ctx, "salesforce.Read("+r.object+")", nil, nil, "query?q="+url.QueryEscape(r.soql), nil, r.collect(&out))
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (r Reader[T]) collect(out *[]T) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		v, err := r.decode(raw)
		if err != nil {
			return err
		}
		*out = append(*out, v)
		return nil
	}
}

// maxPrealloc bounds the rows a reader allocates room for up front from a
// result's totalSize (which the server sends, so it is not trusted
// further).
const maxPrealloc = 2000

// AddTo puts the query into b under the reference ref (unique within b).
// Its rows are in the returned Rows once b.Send returns.
func (r Reader[T]) AddTo(b *Batch, ref string) *Rows[T] {
	rows := &Rows[T]{}
	b.add(QueryRequest(ref, r.soql), func(ctx context.Context, s *Session, resp *SubResponse) error {
		var first page
		if err := resp.Decode(&first); err != nil {
			rows.Err = err
			return nil
		}
		var before func(read, total int)
		if b.Progress != nil {
			before = func(read, total int) { b.Progress(ref, read, total) }
		}
		out := make([]T, 0, min(max(first.TotalSize, len(first.Records)), maxPrealloc))
		total, n, err := s.follow(ctx, resp.op+"["+ref+"]", nil, &first, "", before, r.collect(&out))
		b.requests += n
		switch {
		case err != nil && n == 0: // the composite answer itself is unreadable
			rows.Err = err
		case err != nil:
			return err
		default:
			rows.Records, rows.Total = out, total
		}
		return nil
	})
	return rows
}

// Rows is the outcome of one reader of a Batch.
type Rows[T any] struct {
	// Records are every row of the result, all pages read.
	Records []T
	// Total is the result's totalSize.
	Total int
	// Err is the subrequest's own failure (INVALID_FIELD, a missing
	// permission, ...), when it failed; Records is then empty.
	Err error
}

// Batch sends readers, and other subrequests, in one composite request.
// Each query's first page comes back in the composite answer; a result
// with more pages is completed by the paging loop of Session.Query, one
// request per further page. The zero Batch is ready to use; send it once.
type Batch struct {
	// Progress, when set, is told before each further page is read: the
	// reader's reference, the rows read so far and the result's total.
	Progress func(ref string, read, total int)

	reqs     []Subrequest
	takes    []func(ctx context.Context, s *Session, r *SubResponse) error
	requests int
}

func (b *Batch) add(r Subrequest, take func(ctx context.Context, s *Session, r *SubResponse) error) {
	b.reqs = append(b.reqs, r)
	b.takes = append(b.takes, take)
}

// Request puts a subrequest that is not a query (a sObject resource, say)
// into b. Its answer is in the returned SubResponse once Send returns.
func (b *Batch) Request(r Subrequest) *SubResponse {
	out := &SubResponse{}
	b.add(r, func(_ context.Context, _ *Session, resp *SubResponse) error {
		*out = *resp
		return nil
	})
	return out
}

// Len returns the number of subrequests in b.
func (b *Batch) Len() int { return len(b.reqs) }

// Requests returns the number of API requests Send made: the composite
// request and one per further page.
func (b *Batch) Requests() int { return b.requests }

// Send sends b's subrequests in one composite request (not all-or-none)
// and fills in each reader's Rows, reading further pages as needed. It
// fails when the composite request as a whole fails or reading a further
// page fails; a subrequest's own failure is only in its Rows.Err (or its
// SubResponse).
func (b *Batch) Send(ctx context.Context, s *Session) error {
	b.requests++
	resps, err := s.Composite(ctx, false, b.reqs)
	if err != nil {
		return err
	}
	byRef := make(map[string]*SubResponse, len(resps))
	for i := range resps {
		byRef[resps[i].ReferenceID] = &resps[i]
	}
	for i, take := range b.takes {
		r := byRef[b.reqs[i].ReferenceID]
		if r == nil {
			r = &SubResponse{ReferenceID: b.reqs[i].ReferenceID, op: "salesforce.Composite", missing: true}
		}
		if err := take(ctx, s, r); err != nil {
			return err
		}
	}
	return nil
}

// User is a User row.
type User struct {
	ID       string
	Username string
	// Name is the user's full name.
	Name     string
	IsActive bool
	// ProfileID and ProfileName name the user's profile; UserLicense and
	// UserLicenseKey (its LicenseDefinitionKey) the profile's user licence.
	ProfileID          string
	ProfileName        string
	UserLicense        string
	UserLicenseKey     string
	LastPasswordChange time.Time
	LastLogin          time.Time
}

// Users reads User rows.
func Users(clauses string) Reader[User] {
	return newReader("User", "Id, Username, Name, IsActive, ProfileId, Profile.Name, Profile.UserLicense.Name, "+
		"Profile.UserLicense.LicenseDefinitionKey, LastPasswordChangeDate, LastLoginDate", clauses, func(raw json.RawMessage) (User, error) {
		var row struct {
			ID        text  `json:"Id"`
			Username  text  `json:"Username"`
			Name      text  `json:"Name"`
			IsActive  flag  `json:"IsActive"`
			ProfileID text  `json:"ProfileId"`
			Changed   stamp `json:"LastPasswordChangeDate"`
			LastLogin stamp `json:"LastLoginDate"`
			Profile   *struct {
				Name        text `json:"Name"`
				UserLicense *struct {
					Name text `json:"Name"`
					Key  text `json:"LicenseDefinitionKey"`
				} `json:"UserLicense"`
			} `json:"Profile"`
		}
		if err := json.Unmarshal(raw, &row); err != nil {
			return User{}, err
		}
		u := User{ID: string(row.ID), Username: string(row.Username), Name: string(row.Name), IsActive: bool(row.IsActive),
			ProfileID: string(row.ProfileID), LastPasswordChange: time.Time(row.Changed), LastLogin: time.Time(row.LastLogin)}
		if p := row.Profile; p != nil {
			u.ProfileName = string(p.Name)
			if l := p.UserLicense; l != nil {
				u.UserLicense, u.UserLicenseKey = string(l.Name), string(l.Key)
			}
		}
		return u, nil
	})
}

// UserLogin is a UserLogin row: whether a user is frozen or locked out.
// Reading it needs Manage Users.
type UserLogin struct {
	ID               string
	UserID           string
	IsFrozen         bool
	IsPasswordLocked bool
	// LastModified is when the row last changed (a freeze, say).
	LastModified time.Time
}

// UserLogins reads UserLogin rows.
func UserLogins(clauses string) Reader[UserLogin] {
	return newReader("UserLogin", "Id, UserId, IsFrozen, IsPasswordLocked, LastModifiedDate", clauses, func(raw json.RawMessage) (UserLogin, error) {
		var row struct {
			ID       text  `json:"Id"`
			UserID   text  `json:"UserId"`
			Frozen   flag  `json:"IsFrozen"`
			Locked   flag  `json:"IsPasswordLocked"`
			Modified stamp `json:"LastModifiedDate"`
		}
		err := json.Unmarshal(raw, &row)
		return UserLogin{ID: string(row.ID), UserID: string(row.UserID), IsFrozen: bool(row.Frozen), IsPasswordLocked: bool(row.Locked),
			LastModified: time.Time(row.Modified)}, err
	})
}

// PermissionSet is a PermissionSet row with the system permissions asked
// for. A profile's own permission set has IsOwnedByProfile set and names
// its profile.
type PermissionSet struct {
	ID    string
	Name  string
	Label string
	// Type is "Regular", "Profile", "Group", ... (newer API versions).
	Type             string
	IsOwnedByProfile bool
	ProfileID        string
	ProfileName      string
	// ProfileUserLicense is the profile's user licence (PermissionSets
	// only).
	ProfileUserLicense string
	// LicenseID is the permission set licence the set needs.
	LicenseID string
	// Permissions holds the granted system permissions among those asked
	// for, by name without the "Permissions" prefix ("ApiEnabled").
	Permissions map[string]bool
}

// permissionFields returns the fields of the named system permissions.
func permissionFields(prefix string, names []string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(", ")
		b.WriteString(prefix)
		b.WriteString("Permissions")
		b.WriteString(n)
	}
	return b.String()
}

// permissionSetOf reads a PermissionSet from its JSON object. The fixed
// fields decode into a struct, the asked-for system permissions into a map
// of flags: two passes over the bytes, none over copies of them (a sweep
// reads one of these per permission set of every user).
func permissionSetOf(raw json.RawMessage, perms []string) (PermissionSet, error) {
	ps := PermissionSet{Permissions: map[string]bool{}}
	if len(raw) == 0 || string(raw) == "null" {
		return ps, nil
	}
	var row struct {
		ID               text `json:"Id"`
		Name             text `json:"Name"`
		Label            text `json:"Label"`
		Type             text `json:"Type"`
		IsOwnedByProfile flag `json:"IsOwnedByProfile"`
		ProfileID        text `json:"ProfileId"`
		LicenseID        text `json:"LicenseId"`
		Profile          *struct {
			Name        text                 `json:"Name"`
			UserLicense *struct{ Name text } `json:"UserLicense"`
		} `json:"Profile"`
	}
	if err := json.Unmarshal(raw, &row); err != nil {
		return ps, err
	}
	ps.ID, ps.Name, ps.Label, ps.Type = string(row.ID), string(row.Name), string(row.Label), string(row.Type)
	ps.IsOwnedByProfile, ps.ProfileID, ps.LicenseID = bool(row.IsOwnedByProfile), string(row.ProfileID), string(row.LicenseID)
	if p := row.Profile; p != nil {
		ps.ProfileName = string(p.Name)
		if p.UserLicense != nil {
			ps.ProfileUserLicense = string(p.UserLicense.Name)
		}
	}
	if len(perms) == 0 {
		return ps, nil
	}
	var flags map[string]flag // flag takes any JSON value: objects and strings read as false
	if err := json.Unmarshal(raw, &flags); err != nil {
		return ps, err
	}
	for _, n := range perms {
		if flags["Permissions"+n] {
			ps.Permissions[n] = true
		}
	}
	return ps, nil
}

// PermissionSets reads PermissionSet rows with the system permissions
// perms (names without the "Permissions" prefix).
func PermissionSets(perms []string, clauses string) Reader[PermissionSet] {
	perms = append([]string(nil), perms...)
	return newReader("PermissionSet", "Id, Name, Label, Type, IsOwnedByProfile, ProfileId, Profile.Name, Profile.UserLicense.Name, LicenseId"+
		permissionFields("", perms), clauses, func(raw json.RawMessage) (PermissionSet, error) {
		return permissionSetOf(raw, perms)
	})
}

// PermissionSetAssignment is a PermissionSetAssignment row: a permission
// set (or, for a profile, its own permission set; or a permission set
// group) granted to a user, with the set's fields.
type PermissionSetAssignment struct {
	ID               string
	AssigneeID       string
	AssigneeUsername string
	PermissionSetID  string
	// PermissionSetGroupID is set when the assignment grants a group.
	PermissionSetGroupID string
	PermissionSet        PermissionSet
}

// PermissionSetAssignments reads PermissionSetAssignment rows with their
// permission set's fields and the system permissions perms (names without
// the "Permissions" prefix).
func PermissionSetAssignments(perms []string, clauses string) Reader[PermissionSetAssignment] {
	perms = append([]string(nil), perms...)
	return newReader("PermissionSetAssignment", "Id, AssigneeId, Assignee.Username, PermissionSetId, PermissionSetGroupId, "+
		"PermissionSet.Name, PermissionSet.Label, PermissionSet.Type, PermissionSet.IsOwnedByProfile, PermissionSet.ProfileId, "+
		"PermissionSet.Profile.Name, PermissionSet.LicenseId"+permissionFields("PermissionSet.", perms), clauses,
		func(raw json.RawMessage) (PermissionSetAssignment, error) {
			var row struct {
				ID            text                     `json:"Id"`
				AssigneeID    text                     `json:"AssigneeId"`
				SetID         text                     `json:"PermissionSetId"`
				GroupID       text                     `json:"PermissionSetGroupId"`
				Assignee      *struct{ Username text } `json:"Assignee"`
				PermissionSet json.RawMessage          `json:"PermissionSet"`
			}
			if err := json.Unmarshal(raw, &row); err != nil {
				return PermissionSetAssignment{}, err
			}
			ps, err := permissionSetOf(row.PermissionSet, perms)
			if err != nil {
				return PermissionSetAssignment{}, err
			}
			if ps.ID == "" {
				ps.ID = string(row.SetID)
			}
			a := PermissionSetAssignment{ID: string(row.ID), AssigneeID: string(row.AssigneeID), PermissionSetID: string(row.SetID),
				PermissionSetGroupID: string(row.GroupID), PermissionSet: ps}
			if row.Assignee != nil {
				a.AssigneeUsername = string(row.Assignee.Username)
			}
			return a, nil
		})
}

// ObjectPermission is an ObjectPermissions row: the access one permission
// set (ParentID) grants to one object.
type ObjectPermission struct {
	ID       string
	ParentID string
	// Object is the SobjectType, such as "Account" or "Invoice__c".
	Object                           string
	Read, Create, Edit, Delete       bool
	ViewAllRecords, ModifyAllRecords bool
}

// ObjectPermissions reads ObjectPermissions rows.
func ObjectPermissions(clauses string) Reader[ObjectPermission] {
	return newReader("ObjectPermissions", "Id, ParentId, SobjectType, PermissionsRead, PermissionsCreate, PermissionsEdit, "+
		"PermissionsDelete, PermissionsViewAllRecords, PermissionsModifyAllRecords", clauses, func(raw json.RawMessage) (ObjectPermission, error) {
		var row struct {
			ID        text `json:"Id"`
			ParentID  text `json:"ParentId"`
			Object    text `json:"SobjectType"`
			Read      flag `json:"PermissionsRead"`
			Create    flag `json:"PermissionsCreate"`
			Edit      flag `json:"PermissionsEdit"`
			Delete    flag `json:"PermissionsDelete"`
			ViewAll   flag `json:"PermissionsViewAllRecords"`
			ModifyAll flag `json:"PermissionsModifyAllRecords"`
		}
		err := json.Unmarshal(raw, &row)
		return ObjectPermission{ID: string(row.ID), ParentID: string(row.ParentID), Object: string(row.Object),
			Read: bool(row.Read), Create: bool(row.Create), Edit: bool(row.Edit), Delete: bool(row.Delete),
			ViewAllRecords: bool(row.ViewAll), ModifyAllRecords: bool(row.ModifyAll)}, err
	})
}

// LoginHistory reads LoginHistory rows. Salesforce filters LoginHistory
// on UserId and LoginTime (not on Status or SourceIp), and reading other
// users' rows needs Manage Users or Monitor Login History.
func LoginHistory(clauses string) Reader[warden.Login] {
	return newReader("LoginHistory", "Id, UserId, LoginTime, Status, LoginType, ApiType, ApiVersion, Application, ClientVersion, "+
		"SourceIp, LoginUrl, Browser, Platform, CountryIso, TlsProtocol, CipherSuite", clauses, func(raw json.RawMessage) (warden.Login, error) {
		var row struct {
			ID            text  `json:"Id"`
			UserID        text  `json:"UserId"`
			Time          stamp `json:"LoginTime"`
			Status        text  `json:"Status"`
			LoginType     text  `json:"LoginType"`
			APIType       text  `json:"ApiType"`
			APIVersion    text  `json:"ApiVersion"`
			Application   text  `json:"Application"`
			ClientVersion text  `json:"ClientVersion"`
			SourceIP      text  `json:"SourceIp"`
			LoginURL      text  `json:"LoginUrl"`
			Browser       text  `json:"Browser"`
			Platform      text  `json:"Platform"`
			CountryISO    text  `json:"CountryIso"`
			TLSProtocol   text  `json:"TlsProtocol"`
			CipherSuite   text  `json:"CipherSuite"`
		}
		err := json.Unmarshal(raw, &row)
		return warden.Login{ID: string(row.ID), UserID: string(row.UserID), Time: time.Time(row.Time), Status: string(row.Status),
			LoginType: string(row.LoginType), APIType: string(row.APIType), APIVersion: string(row.APIVersion),
			Application: string(row.Application), ClientVersion: string(row.ClientVersion), SourceIP: string(row.SourceIP),
			LoginURL: string(row.LoginURL), Browser: string(row.Browser), Platform: string(row.Platform),
			CountryISO: string(row.CountryISO), TLSProtocol: string(row.TLSProtocol), CipherSuite: string(row.CipherSuite)}, err
	})
}

// SetupAuditTrail reads SetupAuditTrail rows.
func SetupAuditTrail(clauses string) Reader[warden.SetupChange] {
	return newReader("SetupAuditTrail", "Id, Action, Section, Display, CreatedDate, CreatedById, CreatedBy.Username, "+
		"DelegateUser, ResponsibleNamespacePrefix", clauses, func(raw json.RawMessage) (warden.SetupChange, error) {
		var row struct {
			ID        text                     `json:"Id"`
			Action    text                     `json:"Action"`
			Section   text                     `json:"Section"`
			Display   text                     `json:"Display"`
			Created   stamp                    `json:"CreatedDate"`
			ByID      text                     `json:"CreatedById"`
			By        *struct{ Username text } `json:"CreatedBy"`
			Delegate  text                     `json:"DelegateUser"`
			Namespace text                     `json:"ResponsibleNamespacePrefix"`
		}
		err := json.Unmarshal(raw, &row)
		c := warden.SetupChange{ID: string(row.ID), Time: time.Time(row.Created), Action: string(row.Action), Section: string(row.Section),
			Display: string(row.Display), ByID: string(row.ByID), DelegateUser: string(row.Delegate), Namespace: string(row.Namespace)}
		if row.By != nil {
			c.By = string(row.By.Username)
		}
		return c, err
	})
}

// OAuthToken is an OauthToken row: a connected app a user authorized,
// holding a refresh token. Reading it needs Manage Users.
type OAuthToken struct {
	ID       string
	UserID   string
	AppName  string
	Created  time.Time
	LastUsed time.Time
	UseCount int
}

// OAuthTokens reads OauthToken rows.
func OAuthTokens(clauses string) Reader[OAuthToken] {
	return newReader("OauthToken", "Id, UserId, AppName, CreatedDate, LastUsedDate, UseCount", clauses, func(raw json.RawMessage) (OAuthToken, error) {
		var row struct {
			ID       text   `json:"Id"`
			UserID   text   `json:"UserId"`
			AppName  text   `json:"AppName"`
			Created  stamp  `json:"CreatedDate"`
			LastUsed stamp  `json:"LastUsedDate"`
			UseCount number `json:"UseCount"`
		}
		err := json.Unmarshal(raw, &row)
		return OAuthToken{ID: string(row.ID), UserID: string(row.UserID), AppName: string(row.AppName), Created: time.Time(row.Created),
			LastUsed: time.Time(row.LastUsed), UseCount: int(row.UseCount)}, err
	})
}

// ConnectedApp is a ConnectedApplication row: a connected app's OAuth
// policies.
type ConnectedApp struct {
	ID   string
	Name string
	// RefreshTokenValidityMetric is the unit of RefreshTokenValidityPeriod
	// ("Hours", "Days", "Months") or "Infinite" when refresh tokens last
	// until revoked.
	RefreshTokenValidityMetric string
	RefreshTokenValidityPeriod int
	// AdminApprovedUsersOnly is set when only pre-authorized users may use
	// the app.
	AdminApprovedUsersOnly bool
}

// ConnectedApps reads ConnectedApplication rows.
func ConnectedApps(clauses string) Reader[ConnectedApp] {
	return newReader("ConnectedApplication", "Id, Name, OptionsRefreshTokenValidityMetric, RefreshTokenValidityPeriod, "+
		"OptionsAllowAdminApprovedUsersOnly", clauses, func(raw json.RawMessage) (ConnectedApp, error) {
		var row struct {
			ID       text   `json:"Id"`
			Name     text   `json:"Name"`
			Metric   text   `json:"OptionsRefreshTokenValidityMetric"`
			Period   number `json:"RefreshTokenValidityPeriod"`
			Approved flag   `json:"OptionsAllowAdminApprovedUsersOnly"`
		}
		err := json.Unmarshal(raw, &row)
		return ConnectedApp{ID: string(row.ID), Name: string(row.Name), RefreshTokenValidityMetric: string(row.Metric),
			RefreshTokenValidityPeriod: int(row.Period), AdminApprovedUsersOnly: bool(row.Approved)}, err
	})
}

// PermissionSetLicense is a PermissionSetLicense row.
type PermissionSetLicense struct {
	ID            string
	DeveloperName string
	MasterLabel   string
}

// PermissionSetLicenses reads PermissionSetLicense rows.
func PermissionSetLicenses(clauses string) Reader[PermissionSetLicense] {
	return newReader("PermissionSetLicense", "Id, DeveloperName, MasterLabel", clauses, func(raw json.RawMessage) (PermissionSetLicense, error) {
		var row struct {
			ID            text `json:"Id"`
			DeveloperName text `json:"DeveloperName"`
			MasterLabel   text `json:"MasterLabel"`
		}
		err := json.Unmarshal(raw, &row)
		return PermissionSetLicense{ID: string(row.ID), DeveloperName: string(row.DeveloperName), MasterLabel: string(row.MasterLabel)}, err
	})
}

// PermissionSetLicenseAssignment is a PermissionSetLicenseAssign row: a
// permission set licence granted to a user.
type PermissionSetLicenseAssignment struct {
	ID                     string
	AssigneeID             string
	PermissionSetLicenseID string
	// LicenseLabel is the licence's MasterLabel.
	LicenseLabel string
}

// PermissionSetLicenseAssignments reads PermissionSetLicenseAssign rows.
func PermissionSetLicenseAssignments(clauses string) Reader[PermissionSetLicenseAssignment] {
	return newReader("PermissionSetLicenseAssign", "Id, AssigneeId, PermissionSetLicenseId, PermissionSetLicense.MasterLabel", clauses,
		func(raw json.RawMessage) (PermissionSetLicenseAssignment, error) {
			var row struct {
				ID        text                        `json:"Id"`
				Assignee  text                        `json:"AssigneeId"`
				LicenseID text                        `json:"PermissionSetLicenseId"`
				License   *struct{ MasterLabel text } `json:"PermissionSetLicense"`
			}
			err := json.Unmarshal(raw, &row)
			a := PermissionSetLicenseAssignment{ID: string(row.ID), AssigneeID: string(row.Assignee), PermissionSetLicenseID: string(row.LicenseID)}
			if row.License != nil {
				a.LicenseLabel = string(row.License.MasterLabel)
			}
			return a, err
		})
}

// Field values as Salesforce encodes them, read as leniently as Record's
// accessors read them: null is the zero value, and a value of another
// JSON type does not fail the row.

// text is a string field; another JSON value is kept as its JSON text.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text(s)
	case string(b) != "null":
		*t = text(b)
	}
	return nil
}

// flag is a checkbox field; anything but true is false.
type flag bool

func (f *flag) UnmarshalJSON(b []byte) error {
	*f = string(b) == "true"
	return nil
}

// number is a number field, also when sent as a string.
type number float64

func (n *number) UnmarshalJSON(b []byte) error {
	var r Record = Record{"v": b}
	*n = number(r.Float("v"))
	return nil
}

// stamp is a date or datetime field; the zero time when unreadable.
type stamp time.Time

func (t *stamp) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		parsed, _ := ParseTime(s)
		*t = stamp(parsed)
	}
	return nil
}
