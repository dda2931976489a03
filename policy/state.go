package policy

import (
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// Source kinds.
const (
	KindProfile  = "profile"
	KindSet      = "permission set"
	KindGroup    = "permission set group"
	licenceAPIPS = "SalesforceAPIIntegrationPsl"
)

// Source is one place a user's access comes from: its profile, an assigned
// permission set, or an assigned permission set group.
type Source struct {
	// Kind is KindProfile, KindSet or KindGroup.
	Kind string `json:"kind"`
	// ID is the permission set's id (for a profile, its own permission set).
	ID string `json:"id"`
	// Name is the permission set's API name, or the profile's name.
	Name string `json:"name"`
	// Label is the permission set's label, or the profile's name.
	Label string `json:"label"`
	// ProfileID is the profile's id (KindProfile only).
	ProfileID string `json:"profileId,omitempty"`
	// LicenseID is the permission set licence of a permission set.
	LicenseID string `json:"licenseId,omitempty"`
	// AssignmentID is the PermissionSetAssignment of a set or group.
	AssignmentID string `json:"assignmentId,omitempty"`
	// Perms are the granted system permissions.
	Perms map[string]bool `json:"perms"`
	// Objects are the object permissions, by lower-case object name.
	Objects map[string]*ObjectGrant `json:"objects"`
}

// String names the source: "profile Legacy Integration (cloned admin)",
// "permission set GIS_Sync".
func (s *Source) String() string {
	if s.Kind == KindGroup && s.Label != "" {
		return KindGroup + " " + s.Label
	}
	return s.Kind + " " + s.Name
}

// Custom reports whether the source is a permission set or group (not a
// profile).
func (s *Source) Custom() bool { return s.Kind != KindProfile }

// ObjectGrant is one ObjectPermissions row.
type ObjectGrant struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	Access Access `json:"access"`
}

// UserState is what an audit reads about one user.
type UserState struct {
	Org      string `json:"org"`
	Username string `json:"username"`
	UserID   string `json:"userId,omitempty"`
	// Found is false when the org has no such user.
	Found              bool      `json:"found"`
	Active             bool      `json:"active"`
	Profile            string    `json:"profile"`
	ProfileID          string    `json:"profileId"`
	Licence            string    `json:"licence"`
	LastPasswordChange time.Time `json:"lastPasswordChange"`
	// Sources lists the profile first, then permission sets and groups.
	Sources []*Source `json:"sources"`
	// PSLs are the user's permission set licence assignments: licence id
	// -> label.
	PSLs   map[string]string `json:"psls,omitempty"`
	Logins []warden.Login    `json:"-"`
	// Apps are the connected apps the user holds OAuth tokens for.
	Apps []string `json:"apps,omitempty"`
}

// PermissionGrants returns every granted system permission with its
// sources, sorted by name.
func (u *UserState) PermissionGrants() map[string][]*Source {
	out := map[string][]*Source{}
	for _, s := range u.Sources {
		for p, ok := range s.Perms {
			if ok {
				out[p] = append(out[p], s)
			}
		}
	}
	return out
}

// ObjectSources returns, per lower-case object, the sources granting each
// object permission.
func (u *UserState) ObjectSources() map[string]map[Access][]*Source {
	out := map[string]map[Access][]*Source{}
	for _, s := range u.Sources {
		for obj, g := range s.Objects {
			m := out[obj]
			if m == nil {
				m = map[Access][]*Source{}
				out[obj] = m
			}
			for _, n := range accessNames {
				if g.Access&n.a != 0 {
					m[n.a] = append(m[n.a], s)
				}
			}
		}
	}
	return out
}

// ObjectAccess returns the user's effective access to each object (lower
// case), from ObjectPermissions rows.
func (u *UserState) ObjectAccess() map[string]Access {
	out := map[string]Access{}
	for _, s := range u.Sources {
		for obj, g := range s.Objects {
			out[obj] |= g.Access
		}
	}
	return out
}

// objectName returns the name of a lower-case object as Salesforce wrote it.
func (u *UserState) objectName(lower string) string {
	for _, s := range u.Sources {
		if g := s.Objects[lower]; g != nil && g.Object != "" {
			return g.Object
		}
	}
	return lower
}

// profile returns the profile source, or nil.
func (u *UserState) profile() *Source {
	for _, s := range u.Sources {
		if s.Kind == KindProfile {
			return s
		}
	}
	return nil
}

// PSL is a permission set licence of an org.
type PSL struct {
	ID            string `json:"id"`
	DeveloperName string `json:"developerName"`
	Label         string `json:"label"`
}

// OrgState is what an audit reads about one org.
type OrgState struct {
	Org   string `json:"org"`
	OrgID string `json:"orgId,omitempty"`
	// Users by lower-case username.
	Users map[string]*UserState `json:"users"`
	// Profiles are the preferred profiles' own permission sets (with
	// their objects), by lower-case profile name; Licence is set from the
	// profile's user licence.
	Profiles map[string]*Source `json:"profiles"`
	// ProfileLicences are the licences of Profiles, by lower-case name.
	ProfileLicences map[string]string `json:"profileLicences"`
	PSLs            []PSL             `json:"psls"`
	// AppUsers counts users holding OAuth tokens per connected app name:
	// app -> user ids.
	AppUsers map[string]map[string]bool `json:"-"`
	// SetUsers are the usernames assigned to each custom permission set
	// (by id), read only when a fix needs to know whether a set is shared.
	SetUsers map[string][]string `json:"-"`
	// Changes are recent setup audit trail rows, newest first.
	Changes []warden.SetupChange `json:"-"`
	// Requests is how many API requests reading the org took.
	Requests int `json:"requests"`
	// Unreadable are system permissions the org does not have (its
	// edition or features lack the field): not checked.
	Unreadable []string `json:"unreadable,omitempty"`
}

// psl returns the permission set licence with the developer name or label.
func (o *OrgState) psl(name string) *PSL {
	for i := range o.PSLs {
		if strings.EqualFold(o.PSLs[i].DeveloperName, name) || strings.EqualFold(o.PSLs[i].Label, name) {
			return &o.PSLs[i]
		}
	}
	return nil
}

// Subject is what Warden's inventory knows about a user: its credential
// and the applications that depend on it.
type Subject struct {
	Org      string
	Username string
	Owner    string
	// Credential is the user's credential (nil when the inventory has
	// none).
	Credential *warden.Credential
	// Dependents declare the object access the user needs.
	Dependents []*warden.Dependent
	// SharedClient lists other inventory users whose credentials use the
	// same connected app (client id).
	SharedClient []string
}

// needs returns the declared object access: dependents plus the policy's
// allowance, by lower-case object, and whether anything was declared.
func needs(s *Subject, p *Effective) (map[string]ObjectAllow, bool) {
	out := map[string]ObjectAllow{}
	declared := false
	for _, d := range s.Dependents {
		for _, o := range d.Objects {
			declared = true
			k := strings.ToLower(o.Object)
			cur := out[k]
			if cur.Object == "" {
				cur.Object = o.Object
			}
			cur.Access |= AccessOf(o.Access)
			out[k] = cur
		}
	}
	for k, a := range p.ObjectAllow {
		declared = true
		cur := out[k]
		if cur.Object == "" {
			cur.Object = a.Object
		}
		cur.Access |= a.Access
		out[k] = cur
	}
	return out, declared
}

func sourceNames(ss []*Source) string {
	names := make([]string, 0, len(ss))
	for _, s := range ss {
		if s != nil {
			names = append(names, s.String())
		}
	}
	sort.Strings(names)
	return strings.Join(names, "; ")
}

func parseIP(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	return a, err == nil
}
