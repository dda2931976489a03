package inventory

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/wardenhq/warden"
)

// Declared is the inventory a configuration file declares: what a sync
// makes the store hold. Facts learnt from Salesforce (org ids, instance
// URLs, user ids, discovery reasons) and timestamps are left zero; a sync
// keeps the stored ones.
type Declared struct {
	Orgs        []*warden.Org
	Credentials []*warden.Credential
	Owners      []*warden.Owner
	Users       []*warden.IntegrationUser
	Dependents  []*warden.Dependent
}

// SyncStore is the part of warden.Store that PlanSync and Apply use.
type SyncStore interface {
	Store
	warden.DeclaredService
}

// Action is what a sync does to one inventory item.
type Action string

// Actions of a sync plan.
const (
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
)

// Change is one step of a sync plan.
type Change struct {
	Action Action `json:"action"`
	warden.ItemKey
	// Fields names what an update changes, with the configuration's key
	// names ("loginUrl", "owner").
	Fields []string `json:"fields,omitempty"`
	// Adopted is set on an update of an item a CLI command added that the
	// configuration now declares: from now on the configuration manages
	// it (and removing it from the file deletes it).
	Adopted bool `json:"adopted,omitempty"`
	// Cascade names the deleted item whose deletion takes this one with it
	// (the user of a dependent, the org of a user); such an item need not
	// have been declared.
	Cascade string `json:"cascade,omitempty"`

	org        *warden.Org
	credential *warden.Credential
	owner      *warden.Owner
	user       *warden.IntegrationUser
	dependent  *warden.Dependent
}

// String describes the change on one line.
func (c Change) String() string {
	s := string(c.Action) + " " + c.ItemKey.String()
	switch {
	case c.Adopted && len(c.Fields) > 0:
		s += " (now managed by the configuration; changes " + strings.Join(c.Fields, ", ") + ")"
	case c.Adopted:
		s += " (now managed by the configuration)"
	case len(c.Fields) > 0:
		s += " (" + strings.Join(c.Fields, ", ") + ")"
	case c.Cascade != "":
		s += " (with " + c.Cascade + ")"
	}
	return s
}

// Plan is what a sync changes in the store to make it hold the declared
// inventory: creations and updates in the order orgs, credentials,
// owners, users, dependents, then deletions in the reverse order.
type Plan struct {
	// Changes are the steps, in the order Apply takes them.
	Changes []Change `json:"changes"`
	// Create, Update and Delete count the changes of each action.
	Create int `json:"create"`
	Update int `json:"update"`
	Delete int `json:"delete"`

	declared []warden.ItemKey // the keys the declared inventory has
	previous []warden.ItemKey // the keys the store recorded as declared
}

// Empty reports whether the plan changes no item. (Apply may still
// update the record of what is declared, dropping items that are gone.)
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Summary counts the changes: "2 to create, 1 to update, 3 to delete", or
// "no changes".
func (p *Plan) Summary() string {
	if len(p.Changes) == 0 {
		return "no changes"
	}
	return fmt.Sprintf("%d to create, %d to update, %d to delete", p.Create, p.Update, p.Delete)
}

// PlanSync compares the declared inventory with the store and returns the
// changes that Apply would make. Items that the store records as declared
// by an earlier sync and that d no longer declares are deleted, with what
// the store deletes along with them (the dependents of a user; the users,
// credentials and dependents of an org). Items added by CLI commands are
// never deleted unless such a deletion takes them along. PlanSync only
// reads.
func PlanSync(ctx context.Context, store SyncStore, d Declared) (*Plan, error) {
	s, err := readInventory(ctx, store)
	if err != nil {
		return nil, err
	}
	p := &Plan{Changes: []Change{}, previous: s.previous}
	wasDeclared := map[warden.ItemKey]bool{}
	for _, k := range s.previous {
		wasDeclared[k] = true
	}
	now := map[warden.ItemKey]bool{}
	add := func(k warden.ItemKey, exists bool, fields []string, c Change) {
		now[k] = true
		p.declared = append(p.declared, k)
		c.ItemKey = k
		switch {
		case !exists:
			c.Action = ActionCreate
		case len(fields) > 0 || !wasDeclared[k]:
			c.Action, c.Fields, c.Adopted = ActionUpdate, fields, !wasDeclared[k]
		default:
			return
		}
		p.Changes = append(p.Changes, c)
	}

	for _, o := range d.Orgs {
		k := warden.ItemKey{Kind: warden.ItemOrg, Name: o.Name}
		want := *o
		old := s.orgs[o.Name]
		if old != nil {
			want.OrgID, want.InstanceURL = old.OrgID, old.InstanceURL
		}
		add(k, old != nil, orgFields(old, &want), Change{org: &want})
	}
	for _, c := range d.Credentials {
		k := warden.ItemKey{Kind: warden.ItemCredential, Name: c.Name}
		want := *c
		old := s.credentials[c.Name]
		if old != nil {
			want.RotatedAt = old.RotatedAt
		}
		add(k, old != nil, credentialFields(old, &want), Change{credential: &want})
	}
	for _, o := range d.Owners {
		k := warden.ItemKey{Kind: warden.ItemOwner, Name: o.Team}
		want := *o
		old := s.owners[o.Team]
		var fields []string
		if old != nil && !slices.Equal(old.Contacts, want.Contacts) {
			fields = []string{"contacts"}
		}
		add(k, old != nil, fields, Change{owner: &want})
	}
	for _, u := range d.Users {
		k := warden.ItemKey{Kind: warden.ItemUser, Org: u.Org, Name: u.Username}
		want := *u
		old := s.users[k]
		if old != nil {
			want.UserID, want.Reasons = old.UserID, old.Reasons
		}
		add(k, old != nil, userFields(old, &want), Change{user: &want})
	}
	for _, dep := range d.Dependents {
		k := warden.ItemKey{Kind: warden.ItemDependent, Org: dep.Org, Name: dep.Name}
		want := *dep
		old := s.dependents[k]
		add(k, old != nil, dependentFields(old, &want), Change{dependent: &want})
	}

	// Deletions: what an earlier sync declared, the file no longer does,
	// and the store still holds; then what goes with them.
	gone := map[warden.ItemKey]string{} // deleted item -> the item it goes with ("" for itself)
	for _, k := range s.previous {
		if !now[k] && s.exists(k) {
			gone[k] = ""
		}
	}
	cascade := func(k warden.ItemKey, with warden.ItemKey) {
		if _, ok := gone[k]; !ok && !now[k] {
			gone[k] = with.String()
		}
	}
	for k := range gone {
		if k.Kind != warden.ItemOrg {
			continue
		}
		for _, c := range s.credentials {
			if c.Org == k.Name {
				cascade(warden.ItemKey{Kind: warden.ItemCredential, Name: c.Name}, k)
			}
		}
		for uk := range s.users {
			if uk.Org == k.Name {
				cascade(uk, k)
			}
		}
		for dk := range s.dependents {
			if dk.Org == k.Name {
				cascade(dk, k)
			}
		}
	}
	for k, with := range gone {
		if k.Kind != warden.ItemUser || with != "" {
			continue
		}
		for dk, dep := range s.dependents {
			if dk.Org == k.Org && dep.Username == k.Name {
				cascade(dk, k)
			}
		}
	}
	var deletes []Change
	for k, with := range gone {
		deletes = append(deletes, Change{Action: ActionDelete, ItemKey: k, Cascade: with})
	}
	rank := map[warden.ItemKind]int{}
	for i, kind := range warden.ItemKinds {
		rank[kind] = len(warden.ItemKinds) - i // deletions run dependents first
	}
	sort.Slice(deletes, func(i, j int) bool {
		a, b := deletes[i], deletes[j]
		if rank[a.Kind] != rank[b.Kind] {
			return rank[a.Kind] < rank[b.Kind]
		}
		if a.Org != b.Org {
			return a.Org < b.Org
		}
		return a.Name < b.Name
	})
	p.Changes = append(p.Changes, deletes...)
	for _, c := range p.Changes {
		switch c.Action {
		case ActionCreate:
			p.Create++
		case ActionUpdate:
			p.Update++
		case ActionDelete:
			p.Delete++
		}
	}
	return p, nil
}

// Apply makes the changes of p, which PlanSync made from the same store,
// and records the declared items. It is safe to interrupt: the items
// recorded as declared are first the union of the old and the new ones,
// so that the next sync still deletes what this one did not get to.
// Deleting an item that is already gone is not an error.
func Apply(ctx context.Context, store SyncStore, p *Plan) error {
	if err := store.SetDeclared(ctx, union(p.previous, p.declared)); err != nil {
		return err
	}
	for _, c := range p.Changes {
		var err error
		switch {
		case c.org != nil:
			err = store.UpsertOrg(ctx, c.org)
		case c.credential != nil:
			err = store.UpsertCredential(ctx, c.credential)
		case c.owner != nil:
			err = store.UpsertOwner(ctx, c.owner)
		case c.user != nil:
			err = store.UpsertUser(ctx, c.user)
		case c.dependent != nil:
			err = store.UpsertDependent(ctx, c.dependent)
		case c.Action == ActionDelete:
			err = deleteItem(ctx, store, c.ItemKey)
			if warden.ErrorKind(err) == warden.ENOTFOUND {
				err = nil // gone with an item deleted before it
			}
		}
		if err != nil {
			return fmt.Errorf("inventory sync: %s: %w", c, err)
		}
	}
	return store.SetDeclared(ctx, p.declared)
}

// Sync plans and applies in one call and returns the plan it applied.
func Sync(ctx context.Context, store SyncStore, d Declared) (*Plan, error) {
	p, err := PlanSync(ctx, store, d)
	if err != nil {
		return nil, err
	}
	if p.Empty() && sameKeys(p.declared, p.previous) {
		return p, nil
	}
	return p, Apply(ctx, store, p)
}

func deleteItem(ctx context.Context, store SyncStore, k warden.ItemKey) error {
	switch k.Kind {
	case warden.ItemOrg:
		return store.DeleteOrg(ctx, k.Name)
	case warden.ItemCredential:
		return store.DeleteCredential(ctx, k.Name)
	case warden.ItemOwner:
		return store.DeleteOwner(ctx, k.Name)
	case warden.ItemUser:
		return store.DeleteUser(ctx, k.Org, k.Name)
	case warden.ItemDependent:
		return store.DeleteDependent(ctx, k.Org, k.Name)
	}
	return warden.Errorf(warden.EINTERNAL, "inventory sync: unknown item kind %q", k.Kind)
}

// stored is the store's inventory, indexed.
type stored struct {
	orgs        map[string]*warden.Org
	credentials map[string]*warden.Credential
	owners      map[string]*warden.Owner
	users       map[warden.ItemKey]*warden.IntegrationUser
	dependents  map[warden.ItemKey]*warden.Dependent
	previous    []warden.ItemKey
}

func readInventory(ctx context.Context, store SyncStore) (*stored, error) {
	s := &stored{orgs: map[string]*warden.Org{}, credentials: map[string]*warden.Credential{}, owners: map[string]*warden.Owner{},
		users: map[warden.ItemKey]*warden.IntegrationUser{}, dependents: map[warden.ItemKey]*warden.Dependent{}}
	orgs, err := store.Orgs(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		s.orgs[o.Name] = o
	}
	creds, err := store.Credentials(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, c := range creds {
		s.credentials[c.Name] = c
	}
	owners, err := store.Owners(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range owners {
		s.owners[o.Team] = o
	}
	users, err := store.Users(ctx, warden.UserFilter{})
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		s.users[warden.ItemKey{Kind: warden.ItemUser, Org: u.Org, Name: u.Username}] = u
	}
	deps, err := store.Dependents(ctx, warden.DependentFilter{})
	if err != nil {
		return nil, err
	}
	for _, d := range deps {
		s.dependents[warden.ItemKey{Kind: warden.ItemDependent, Org: d.Org, Name: d.Name}] = d
	}
	if s.previous, err = store.Declared(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// exists reports whether the store holds the item.
func (s *stored) exists(k warden.ItemKey) bool {
	switch k.Kind {
	case warden.ItemOrg:
		return s.orgs[k.Name] != nil
	case warden.ItemCredential:
		return s.credentials[k.Name] != nil
	case warden.ItemOwner:
		return s.owners[k.Name] != nil
	case warden.ItemUser:
		return s.users[k] != nil
	case warden.ItemDependent:
		return s.dependents[k] != nil
	}
	return false
}

// fieldDiff collects the names of the fields that differ.
type fieldDiff []string

func (f *fieldDiff) check(name string, differs bool) {
	if differs {
		*f = append(*f, name)
	}
}

func orgFields(old, want *warden.Org) []string {
	if old == nil {
		return nil
	}
	var f fieldDiff
	f.check("loginUrl", old.LoginURL != want.LoginURL)
	f.check("monitoringCredential", old.MonitoringCredential != want.MonitoringCredential)
	f.check("dailyApiShare", old.DailyAPIShare != want.DailyAPIShare)
	f.check("passwordExpiresDays", old.PasswordExpiresDays != want.PasswordExpiresDays)
	return f
}

func credentialFields(old, want *warden.Credential) []string {
	if old == nil {
		return nil
	}
	var f fieldDiff
	f.check("org", old.Org != want.Org)
	f.check("kind", old.Kind != want.Kind)
	f.check("username", old.Username != want.Username)
	f.check("clientId", old.ClientID != want.ClientID)
	f.check("twinUsername", old.TwinUsername != want.TwinUsername)
	f.check("twinClientId", old.TwinClientID != want.TwinClientID)
	f.check("secret", old.Secret != want.Secret)
	return f
}

func userFields(old, want *warden.IntegrationUser) []string {
	if old == nil {
		return nil
	}
	var f fieldDiff
	f.check("credential", old.Credential != want.Credential)
	f.check("owner", old.Owner != want.Owner)
	f.check("description", old.Description != want.Description)
	return f
}

func dependentFields(old, want *warden.Dependent) []string {
	if old == nil {
		return nil
	}
	var f fieldDiff
	f.check("username", old.Username != want.Username)
	f.check("owner", old.Owner != want.Owner)
	f.check("contact", old.Contact != want.Contact)
	f.check("delivery", old.Delivery != want.Delivery)
	f.check("objects", !slices.EqualFunc(old.Objects, want.Objects, func(a, b warden.ObjectAccess) bool {
		return a.Object == b.Object && slices.Equal(a.Access, b.Access)
	}))
	f.check("target", !reflect.DeepEqual(old.Target, want.Target))
	f.check("verify", !reflect.DeepEqual(old.Verify, want.Verify))
	return f
}

// union returns the keys of a and b, each once.
func union(a, b []warden.ItemKey) []warden.ItemKey {
	seen := map[warden.ItemKey]bool{}
	var out []warden.ItemKey
	for _, k := range slices.Concat(a, b) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// sameKeys reports whether a and b hold the same keys.
func sameKeys(a, b []warden.ItemKey) bool {
	sa, sb := map[warden.ItemKey]bool{}, map[warden.ItemKey]bool{}
	for _, k := range a {
		sa[k] = true
	}
	for _, k := range b {
		sb[k] = true
	}
	if len(sa) != len(sb) {
		return false
	}
	for k := range sa {
		if !sb[k] {
			return false
		}
	}
	return true
}
