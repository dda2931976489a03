package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// Change is one write a plan makes through the REST API.
type Change struct {
	// Op is create, update or delete.
	Op string `json:"op"`
	// Object is the sObject type: User, PermissionSet, ObjectPermissions,
	// PermissionSetAssignment or PermissionSetLicenseAssign.
	Object string `json:"object"`
	// ID is the record updated or deleted.
	ID string `json:"id,omitempty"`
	// Ref names a created record so later changes can refer to its id as
	// @{ref.id}.
	Ref    string         `json:"ref,omitempty"`
	Fields map[string]any `json:"fields,omitempty"`
	// Summary says what the change does, in an admin's words.
	Summary string `json:"summary"`
	// Result is the created record's id after Apply; Error why it failed.
	Result string `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`

	touches string   // the source id it changes, "profile" or "dedicated"
	perms   []string // the permissions it removes (from touches)
	object  string   // the lower-case object whose permissions it changes
}

// fixes reports whether the change addresses violation v.
func (c *Change) fixes(v *violation) bool {
	switch c.touches {
	case "profile":
		return v.perm != "" && len(v.sources) == 0 || v.missing != 0 || fromProfile(v) ||
			v.f.Rule == RuleProfileForbidden || v.f.Rule == RuleProfilePreferred || v.f.Rule == RuleLicenceAllowed || v.f.Rule == RuleLicencePreferred
	case "dedicated":
		if c.object != "" {
			return v.missing != 0 && c.object == v.object
		}
		return v.perm != "" && len(v.sources) == 0 || v.missing != 0
	}
	held := false
	for _, s := range v.sources {
		held = held || (s != nil && s.ID == c.touches)
	}
	if !held {
		return false
	}
	switch {
	case len(c.perms) == 0 && c.object == "":
		return true // an unassignment fixes everything the set grants
	case v.perm != "":
		return contains(c.perms, v.perm)
	case v.excess != 0:
		return c.object == v.object
	}
	return false
}

func fromProfile(v *violation) bool {
	for _, s := range v.sources {
		if s != nil && s.Kind == KindProfile {
			return true
		}
	}
	return false
}

// Plan is the minimal set of permission changes that brings one user to
// policy.
type Plan struct {
	Org      string    `json:"org"`
	Username string    `json:"username"`
	Changes  []*Change `json:"changes"`
	// Remaining are the findings the changes do not clear: they need a
	// manual step (their Fix says which).
	Remaining []*warden.Finding `json:"remaining"`
	// Problems say why something could not be planned.
	Problems []string `json:"problems,omitempty"`
	// Notes are what to check by hand after the changes.
	Notes []string `json:"notes,omitempty"`
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// DedicatedSetName is the API name of the permission set Warden creates
// for a user: "Warden_" and the username's local part, with characters
// Salesforce refuses replaced by '_'.
func DedicatedSetName(username string) string {
	local, _, _ := strings.Cut(username, "@")
	var b strings.Builder
	b.WriteString("Warden_")
	last := '_'
	for _, r := range local {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			r = '_'
		}
		if r == '_' && last == '_' {
			continue
		}
		b.WriteRune(r)
		last = r
	}
	name := strings.TrimRight(b.String(), "_")
	if len(name) > 80 {
		name = strings.TrimRight(name[:80], "_")
	}
	return name
}

// integrationLicence is the user licence whose permission sets must be
// built on the Salesforce API Integration permission set licence.
const integrationLicence = "Salesforce Integration"

// edit is what a fix changes on one custom source.
type edit struct {
	src     *Source
	perms   map[string]bool   // permissions to remove
	objects map[string]Access // lower object -> access to keep (0 deletes the row)
}

// PlanFix computes the changes that bring a user to policy: move it off a
// profile that grants a forbidden permission, is forbidden or has a licence
// the policy does not allow (to the preferred profile; profiles are shared,
// so they are never edited),
// remove forbidden or unlisted permissions and excess object access from
// permission sets only it holds (unassign shared sets and groups instead),
// and put whatever required permission or declared object access is then
// missing into a dedicated permission set (on the Salesforce API
// Integration permission set licence for Salesforce Integration users).
// Changes that add access come first, so the user never loses what it
// needs. ev must be Evaluate's result for the same state; PlanFix fills
// in the Fix of its findings from the plan.
func PlanFix(p *Effective, s *Subject, u *UserState, o *OrgState, ev *Evaluation, now time.Time) *Plan {
	pl := &Plan{Org: s.Org, Username: s.Username, Changes: []*Change{}, Remaining: []*warden.Finding{}}
	if !u.Found {
		pl.Remaining = append(pl.Remaining, ev.Findings...)
		return pl
	}
	need, _ := needs(s, p)
	prof := u.profile()
	moveProfile := false
	edits := map[string]*edit{}
	editOf := func(src *Source) *edit {
		e := edits[src.ID]
		if e == nil {
			e = &edit{src: src, perms: map[string]bool{}, objects: map[string]Access{}}
			edits[src.ID] = e
		}
		return e
	}
	for _, v := range ev.violations {
		switch v.f.Rule {
		case RuleProfileForbidden, RuleLicenceAllowed:
			moveProfile = true
			continue
		case RuleProfilePreferred, RuleLicencePreferred:
			// A preference alone moves nobody: a move changes the licence
			// and may drop login IP ranges and hours Warden cannot see.
			continue
		}
		// Forbidden permissions move the user off a profile that grants
		// them; unlisted ones and excess object access on a profile are
		// left to a person (profiles are shared, and a move has costs).
		forbidden := strings.HasPrefix(v.f.Rule, prefixForbidden) || v.f.Rule == RuleMFAWaiver
		if v.perm != "" && len(v.sources) > 0 && v.f.Rule != RulePasswordNever {
			for _, src := range v.sources {
				if src.Kind == KindProfile {
					moveProfile = moveProfile || forbidden
				} else {
					editOf(src).perms[v.perm] = true
				}
			}
		}
		if v.excess != 0 {
			for _, src := range v.sources {
				if src.Kind == KindProfile {
					continue
				} else if g := src.Objects[v.object]; g != nil {
					editOf(src).objects[v.object] = g.Access & need[v.object].Access
				}
			}
		}
	}

	// The profile the user ends up with.
	newProf, newLicence := prof, u.Licence
	var profileChange *Change
	if moveProfile {
		name := p.ProfilePreferred.Name
		target := o.Profiles[strings.ToLower(name)]
		switch {
		case name == "":
			pl.Problems = append(pl.Problems, "the policy names no preferred profile (profile.preferred) to move the user to")
		case target == nil:
			pl.Problems = append(pl.Problems, fmt.Sprintf("the preferred profile %q does not exist in org %s", name, s.Org))
		case prof != nil && target.ProfileID == prof.ProfileID:
		default:
			if bad := forbiddenIn(p, target); len(bad) > 0 {
				pl.Problems = append(pl.Problems, fmt.Sprintf("the preferred profile %s itself grants %s; fix that profile first", name, strings.Join(bad, ", ")))
				break
			}
			newProf, newLicence = target, o.ProfileLicences[strings.ToLower(name)]
			from := u.Profile
			pl.Notes = append(pl.Notes, fmt.Sprintf("profile %s may restrict login IP ranges and hours, which the REST API cannot read: check that %s restricts %s's logins as before (Setup > Profiles > %s > Login IP Ranges, Login Hours).", from, target.Name, s.Username, target.Name))
			profileChange = &Change{Op: "update", Object: "User", ID: u.UserID, Fields: map[string]any{"ProfileId": target.ProfileID}, touches: "profile",
				Summary: fmt.Sprintf("move %s from profile %s to profile %s (user licence %s)", s.Username, from, target.Name, orUnknown(newLicence))}
		}
	}

	// Custom sources: edit what only this user holds, unassign the rest.
	var removals []*Change
	kept := []*Source{}
	if newProf != nil {
		kept = append(kept, newProf)
	}
	for _, src := range u.Sources {
		if src.Kind == KindProfile {
			continue
		}
		e := edits[src.ID]
		if e == nil {
			kept = append(kept, src)
			continue
		}
		if shared, others := setShared(o, src, s.Username); shared {
			why := "it is a permission set group"
			if src.Kind == KindSet {
				why = "it is shared"
				if len(others) > 0 {
					why = fmt.Sprintf("it is shared with %s", strings.Join(others, ", "))
				}
			}
			removals = append(removals, &Change{Op: "delete", Object: "PermissionSetAssignment", ID: src.AssignmentID, touches: src.ID,
				Summary: fmt.Sprintf("unassign %s from %s (%s; what the user needs from it moves to its dedicated permission set)", src, s.Username, why)})
			continue
		}
		clone := cloneSource(src)
		if len(e.perms) > 0 {
			fields := map[string]any{}
			var labels []string
			for _, perm := range sortedKeys(e.perms) {
				fields["Permissions"+perm] = false
				delete(clone.Perms, perm)
				labels = append(labels, PermissionLabel(perm))
			}
			removals = append(removals, &Change{Op: "update", Object: "PermissionSet", ID: src.ID, Fields: fields, touches: src.ID,
				perms: sortedKeys(e.perms), Summary: fmt.Sprintf("remove %s from %s", strings.Join(labels, ", "), src)})
		}
		for _, obj := range sortedKeys(e.objects) {
			g := src.Objects[obj]
			keep := e.objects[obj]
			if keep == 0 {
				delete(clone.Objects, obj)
				removals = append(removals, &Change{Op: "delete", Object: "ObjectPermissions", ID: g.ID, touches: src.ID, object: obj,
					Summary: fmt.Sprintf("delete the %s object permissions (%s) of %s", g.Object, g.Access, src)})
				continue
			}
			clone.Objects[obj] = &ObjectGrant{ID: g.ID, Object: g.Object, Access: keep}
			removals = append(removals, &Change{Op: "update", Object: "ObjectPermissions", ID: g.ID, Fields: keep.fields(), touches: src.ID, object: obj,
				Summary: fmt.Sprintf("reduce the %s object permissions of %s from %s to %s", g.Object, src, g.Access, keep)})
		}
		kept = append(kept, clone)
	}

	// What is missing afterwards goes into the dedicated permission set.
	sim := *u
	sim.Sources = kept
	if newProf != nil {
		sim.Profile, sim.ProfileID, sim.Licence = newProf.Name, newProf.ProfileID, newLicence
	}
	var additions []*Change
	missingPerms, missingObjs := missingAfter(p, &sim, need)
	// Access missing on an object that a set held only by this user
	// already covers is added to that set's row: one change, no new set.
	for _, obj := range sortedKeys(missingObjs) {
		for i, src := range sim.Sources {
			g := src.Objects[obj]
			if src.Kind != KindSet || g == nil {
				continue
			}
			if shared, _ := setShared(o, src, s.Username); shared {
				continue
			}
			acc := (g.Access | missingObjs[obj]).Closed()
			additions = append(additions, &Change{Op: "update", Object: "ObjectPermissions", ID: g.ID, Fields: acc.fields(), touches: "dedicated", object: obj,
				Summary: fmt.Sprintf("grant %s on %s in %s (now %s)", missingObjs[obj], g.Object, src, acc)})
			clone := cloneSource(src)
			clone.Objects[obj].Access = acc
			sim.Sources[i] = clone
			delete(missingObjs, obj)
			break
		}
	}
	if len(missingPerms) > 0 || len(missingObjs) > 0 {
		additions = append(additions, dedicatedChanges(s, &sim, o, missingPerms, missingObjs, need, newLicence, pl)...)
	}
	pl.Changes = append(pl.Changes, additions...)
	if profileChange != nil {
		pl.Changes = append(pl.Changes, profileChange)
	}
	pl.Changes = append(pl.Changes, removals...)

	// What the plan leaves, and the fix text of what it clears.
	after := Evaluate(p, s, &sim, o, now)
	left := map[string]bool{}
	for _, f := range after.Findings {
		left[findingKey(f)] = true
		pl.Remaining = append(pl.Remaining, f)
	}
	for _, v := range ev.violations {
		if left[findingKey(v.f)] {
			continue
		}
		var sums []string
		for _, c := range pl.Changes {
			if c.fixes(v) {
				sums = append(sums, c.Summary)
			}
		}
		if len(sums) > 0 {
			v.f.Fix = "warden fix: " + strings.Join(sums, "; ") + "."
		}
	}
	return pl
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// forbiddenIn lists the forbidden permissions a source grants.
func forbiddenIn(p *Effective, src *Source) []string {
	var out []string
	for perm, ok := range src.Perms {
		if ok && p.classOf(perm) == classForbidden {
			out = append(out, perm)
		}
	}
	sort.Strings(out)
	return out
}

// setShared reports whether a custom source is a group or assigned to
// other users too (unknown counts as shared, to be safe).
func setShared(o *OrgState, src *Source, username string) (bool, []string) {
	if src.Kind == KindGroup {
		return true, nil
	}
	users, known := o.SetUsers[src.ID]
	if !known {
		return true, nil
	}
	var others []string
	for _, x := range users {
		if !strings.EqualFold(x, username) {
			others = append(others, x)
		}
	}
	sort.Strings(others)
	return len(others) > 0, others
}

func cloneSource(s *Source) *Source {
	c := *s
	c.Perms = map[string]bool{}
	for k, v := range s.Perms {
		c.Perms[k] = v
	}
	c.Objects = map[string]*ObjectGrant{}
	for k, v := range s.Objects {
		g := *v
		c.Objects[k] = &g
	}
	return &c
}

// missingAfter lists the required permissions and declared object access
// a state lacks.
func missingAfter(p *Effective, u *UserState, need map[string]ObjectAllow) ([]string, map[string]Access) {
	grants := u.PermissionGrants()
	var perms []string
	for _, name := range p.Required() {
		if p.required[name].On() && len(grants[name]) == 0 {
			perms = append(perms, name)
		}
	}
	have := u.ObjectAccess()
	objs := map[string]Access{}
	for k, n := range need {
		if m := n.Access &^ have[k]; m != 0 {
			objs[k] = m
		}
	}
	return perms, objs
}

// dedicatedChanges creates (or extends) the user's dedicated permission
// set with the missing permissions and object access, and assigns it. It
// updates sim to include the grants.
func dedicatedChanges(s *Subject, sim *UserState, o *OrgState, perms []string, objs map[string]Access, need map[string]ObjectAllow, licence string, pl *Plan) []*Change {
	name := DedicatedSetName(s.Username)
	var out []*Change
	var existing *Source
	for _, src := range sim.Sources {
		if src.Kind == KindSet && strings.EqualFold(src.Name, name) {
			existing = src
		}
	}
	var psl *PSL
	if strings.EqualFold(licence, integrationLicence) {
		if psl = o.psl(licenceAPIPS); psl == nil {
			psl = o.psl("Salesforce API Integration")
		}
		if psl == nil {
			pl.Problems = append(pl.Problems, "the org has no Salesforce API Integration permission set licence for the dedicated permission set")
		} else if _, ok := sim.PSLs[psl.ID]; !ok && (existing == nil || existing.LicenseID == psl.ID) {
			out = append(out, &Change{Op: "create", Object: "PermissionSetLicenseAssign", Ref: "psl", touches: "dedicated",
				Fields:  map[string]any{"AssigneeId": sim.UserID, "PermissionSetLicenseId": psl.ID},
				Summary: fmt.Sprintf("assign the permission set licence %s to %s", psl.Label, s.Username)})
		}
	}
	labels := make([]string, len(perms))
	for i, p := range perms {
		labels[i] = PermissionLabel(p)
	}
	target := existing
	parent := ""
	if existing == nil {
		fields := map[string]any{"Name": name, "Label": truncate("Warden: "+s.Username, 80),
			"Description": truncate("Access of integration user "+s.Username+", managed by Warden.", 255)}
		if psl != nil {
			fields["LicenseId"] = psl.ID
		}
		for _, p := range perms {
			fields["Permissions"+p] = true
		}
		what := "no system permissions"
		if len(labels) > 0 {
			what = strings.Join(labels, ", ")
		}
		out = append(out, &Change{Op: "create", Object: "PermissionSet", Ref: "dedicated", Fields: fields, touches: "dedicated",
			Summary: fmt.Sprintf("create permission set %s with %s", name, what)})
		target = &Source{Kind: KindSet, ID: "@{dedicated.id}", Name: name, Label: fields["Label"].(string), Perms: map[string]bool{}, Objects: map[string]*ObjectGrant{}}
		if psl != nil {
			target.LicenseID = psl.ID
		}
		parent = "@{dedicated.id}"
		sim.Sources = append(sim.Sources, target)
	} else {
		parent = existing.ID
		if len(perms) > 0 {
			fields := map[string]any{}
			for _, p := range perms {
				fields["Permissions"+p] = true
			}
			out = append(out, &Change{Op: "update", Object: "PermissionSet", ID: existing.ID, Fields: fields, touches: "dedicated",
				Summary: fmt.Sprintf("add %s to permission set %s", strings.Join(labels, ", "), name)})
		}
	}
	for _, p := range perms {
		target.Perms[p] = true
	}
	for i, obj := range sortedKeys(objs) {
		objName := need[obj].Object
		if g := target.Objects[obj]; g != nil && existing != nil {
			acc := (g.Access | objs[obj]).Closed()
			out = append(out, &Change{Op: "update", Object: "ObjectPermissions", ID: g.ID, Fields: acc.fields(), touches: "dedicated", object: obj,
				Summary: fmt.Sprintf("grant %s on %s in permission set %s", acc, objName, name)})
			g.Access = acc
			continue
		}
		acc := objs[obj].Closed()
		fields := acc.fields()
		fields["ParentId"], fields["SobjectType"] = parent, objName
		out = append(out, &Change{Op: "create", Object: "ObjectPermissions", Ref: fmt.Sprintf("obj%d", i), Fields: fields, touches: "dedicated", object: obj,
			Summary: fmt.Sprintf("grant %s on %s in permission set %s", acc, objName, name)})
		target.Objects[obj] = &ObjectGrant{ID: fmt.Sprintf("@{obj%d.id}", i), Object: objName, Access: acc}
	}
	if existing == nil {
		out = append(out, &Change{Op: "create", Object: "PermissionSetAssignment", Ref: "assign", touches: "dedicated",
			Fields:  map[string]any{"AssigneeId": sim.UserID, "PermissionSetId": "@{dedicated.id}"},
			Summary: fmt.Sprintf("assign permission set %s to %s", name, s.Username)})
	}
	if psl != nil {
		if sim.PSLs == nil {
			sim.PSLs = map[string]string{}
		}
		sim.PSLs[psl.ID] = psl.Label
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// findingKey identifies a finding across audits: its rule and what it is
// about (the evidence up to the first ": ").
func findingKey(f *warden.Finding) string {
	subject, _, _ := strings.Cut(f.Evidence, ": ")
	return f.Rule + "|" + strings.ToLower(subject)
}

// Apply performs the plan's changes through the REST API, in order, in
// composite requests of up to 25 changes with allOrNone (a failure rolls
// the request back), so that created records can be referred to by later
// changes. It records each change's result or error in the plan and
// returns the first failure. logf, when not nil, is told about each change.
func Apply(ctx context.Context, s *salesforce.Session, pl *Plan, logf func(c *Change)) error {
	ids := map[string]string{} // ref -> id, across batches
	for start := 0; start < len(pl.Changes); start += salesforce.MaxSubrequests {
		end := min(start+salesforce.MaxSubrequests, len(pl.Changes))
		batch := pl.Changes[start:end]
		reqs := make([]salesforce.Subrequest, 0, len(batch))
		inBatch := map[string]bool{}
		for i, c := range batch {
			ref := c.Ref
			if ref == "" {
				ref = fmt.Sprintf("change%d", start+i)
			}
			fields := resolveIDs(c.Fields, ids, inBatch)
			path := "sobjects/" + c.Object
			method := "POST"
			switch c.Op {
			case "update":
				method, path = "PATCH", path+"/"+resolveID(c.ID, ids)
			case "delete":
				method, path, fields = "DELETE", path+"/"+resolveID(c.ID, ids), nil
			}
			sub := salesforce.Subrequest{Method: method, URL: path, ReferenceID: ref}
			if fields != nil {
				sub.Body = fields
			}
			reqs = append(reqs, sub)
			inBatch[ref] = true
		}
		resps, err := s.Composite(ctx, true, reqs)
		if err != nil {
			return err
		}
		// The change that failed, not the ones halted or rolled back
		// because of it (allOrNone), explains the failure.
		var first, halted error
		for i, r := range resps {
			if i >= len(batch) {
				break
			}
			c := batch[i]
			if err := r.Err(); err != nil {
				c.Error = warden.ErrorMessage(err)
				var se *salesforce.Error
				switch {
				case errors.As(err, &se) && (se.Code == "PROCESSING_HALTED" || se.Code == "ALL_OR_NONE_OPERATION_ROLLED_BACK"):
					if halted == nil {
						halted = fmt.Errorf("%s: %w", c.Summary, err)
					}
				case first == nil:
					first = fmt.Errorf("%s: %w", c.Summary, err)
				}
			} else if c.Op == "create" {
				var out struct {
					ID string `json:"id"`
				}
				json.Unmarshal(r.Body, &out)
				c.Result = out.ID
				if c.Ref != "" {
					ids[c.Ref] = out.ID
				}
			} else {
				c.Result = "ok"
			}
			if logf != nil {
				logf(c)
			}
		}
		if first == nil {
			first = halted
		}
		if first != nil {
			return &warden.Error{Kind: warden.ECONFLICT, Op: "policy.Apply", Message: "a change failed (with allOrNone, Salesforce rolls back the changes sent with it; run warden fix --plan to see what is left): " + warden.ErrorMessage(first), Err: first}
		}
	}
	return nil
}

// resolveID turns "@{ref.id}" into an id created by an earlier batch.
func resolveID(v string, ids map[string]string) string {
	if ref, ok := strings.CutPrefix(v, "@{"); ok {
		ref = strings.TrimSuffix(strings.TrimSuffix(ref, "}"), ".id")
		if id, ok := ids[ref]; ok {
			return id
		}
	}
	return v
}

// resolveIDs replaces references to records created in earlier batches;
// references within the batch stay for the composite API to resolve.
func resolveIDs(fields map[string]any, ids map[string]string, inBatch map[string]bool) map[string]any {
	if fields == nil {
		return nil
	}
	out := make(map[string]any, len(fields))
	for k, v := range fields {
		if s, ok := v.(string); ok && strings.HasPrefix(s, "@{") {
			ref := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(s, "@{"), "}"), ".id")
			if !inBatch[ref] {
				v = resolveID(s, ids)
			}
		}
		out[k] = v
	}
	return out
}
