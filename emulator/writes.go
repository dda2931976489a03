package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode"

	"github.com/wardenhq/warden/emulator/soql"
)

// dmlError is a failed create, update or delete, in REST error terms.
type dmlError struct {
	status int
	apiError
}

func dmlErr(status int, code, msg string, fields ...string) *dmlError {
	return &dmlError{status: status, apiError: apiError{Message: msg, ErrorCode: code, Fields: fields}}
}

func insufficientAccess() *dmlError {
	return dmlErr(http.StatusBadRequest, "INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id")
}

// input is a decoded record body, keyed by canonical field name.
type input map[string]any

func validFieldName(k string) bool {
	if k == "" || !unicode.IsLetter(rune(k[0])) {
		return false
	}
	for _, r := range k {
		if !(r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) || r > unicode.MaxASCII {
			return false
		}
	}
	return true
}

func (in input) str(k string) (string, bool) {
	v, ok := in[k]
	if !ok || v == nil {
		return "", ok
	}
	s, isStr := v.(string)
	if !isStr {
		return fmt.Sprint(v), true
	}
	return s, true
}

func (in input) boolean(k string) (bool, bool, *dmlError) {
	v, ok := in[k]
	if !ok {
		return false, false, nil
	}
	b, isBool := v.(bool)
	if !isBool {
		return false, true, dmlErr(http.StatusBadRequest, "JSON_PARSER_ERROR", fmt.Sprintf("Cannot deserialize instance of boolean from %v value for field %s", v, k), k)
	}
	return b, true, nil
}

// audit appends a SetupAuditTrail row. Callers hold s.mu.
func (s *Server) audit(o *org, by *user, action, display string) {
	row := &auditRow{id: s.newID(o, prefixAuditTrail), action: action, section: "Manage Users", display: display, at: s.now()}
	if strings.HasPrefix(action, "PermSet") {
		row.section = "Manage Users"
	}
	if by != nil {
		row.byID = by.id
	}
	o.audit = append(o.audit, row)
	o.touch()
}

func (s *Server) create(q *request, schema *soql.Object) {
	var body map[string]any
	if !decodeBody(q, &body) {
		return
	}
	id, err := s.doCreate(q, schema, body)
	if err != nil {
		writeJSON(q.w, err.status, []apiError{err.apiError})
		return
	}
	writeJSON(q.w, http.StatusCreated, saveResult{ID: id, Success: true, Errors: []saveError{}})
}

func (s *Server) update(q *request, schema *soql.Object, id string) {
	var body map[string]any
	if !decodeBody(q, &body) {
		return
	}
	if err := s.doUpdate(q, schema, id, body); err != nil {
		writeJSON(q.w, err.status, []apiError{err.apiError})
		return
	}
	q.w.WriteHeader(http.StatusNoContent)
}

func (s *Server) delete(q *request, schema *soql.Object, id string) {
	if err := s.doDelete(q, schema, id); err != nil {
		writeJSON(q.w, err.status, []apiError{err.apiError})
		return
	}
	q.w.WriteHeader(http.StatusNoContent)
}

type saveResult struct {
	ID      string      `json:"id,omitempty"`
	Success bool        `json:"success"`
	Errors  []saveError `json:"errors"`
}

// saveError is an error in a SaveResult: sObject collections name the code
// statusCode, not errorCode, and always send fields.
type saveError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
}

func (e *dmlError) saveError() saveError {
	fields := e.Fields
	if fields == nil {
		fields = []string{}
	}
	return saveError{StatusCode: e.ErrorCode, Message: e.Message, Fields: fields}
}

// defOf returns the model of a schema's object in org o.
func defOf(o *org, schema *soql.Object) *objectDef { return o.def(strings.ToLower(schema.Name)) }

// extras moves the values of in not named in handled into dst, so that
// every field a write accepts is stored.
func extras(dst *soql.Row, in input, handled ...string) (changed []string) {
	for _, k := range sortedKeys(in) {
		if slices.Contains(handled, k) || strings.HasPrefix(k, "Permissions") && slices.Contains(handled, "Permissions*") {
			continue
		}
		if *dst == nil {
			*dst = soql.Row{}
		}
		(*dst)[k] = in[k]
		changed = append(changed, k)
	}
	return changed
}

// canWrite reports whether u may create, edit or delete records of a stored
// object.
func canWrite(u *user, d *objectDef, op byte) bool {
	if d.writePerm != "" {
		return u.hasPerm(d.writePerm)
	}
	oa := u.objectAccess(d.name)
	switch op {
	case 'c':
		return oa.create
	case 'e':
		return oa.edit
	}
	return oa.del
}

// userFields are the User fields with dedicated state; the others are kept
// in user.extra.
var userFields = []string{"Username", "FirstName", "LastName", "Email", "Alias", "FederationIdentifier", "TimeZoneSidKey", "IsActive", "ProfileId"}

// doCreate inserts one record. Callers hold s.mu.
func (s *Server) doCreate(q *request, schema *soql.Object, body map[string]any) (string, *dmlError) {
	o, u := q.o, q.u
	d := defOf(o, schema)
	if d == nil || !d.can('c') {
		return "", dmlErr(http.StatusBadRequest, "INVALID_TYPE_FOR_OPERATION", "entity type cannot be inserted: "+schema.Name)
	}
	in, derr := checkWrite(o, d, body, true)
	if derr != nil {
		return "", derr
	}
	defer o.touch()
	switch d.name {
	case "User":
		if !u.hasPerm("ManageUsers") {
			return "", insufficientAccess()
		}
		if err := missingRequired(d, in); err != nil {
			return "", err
		}
		name, _ := in.str("Username")
		if s.userByName[strings.ToLower(name)] != nil {
			return "", dmlErr(http.StatusBadRequest, "DUPLICATE_USERNAME", "Duplicate Username.<br>The username already exists in this or another Salesforce organization. Usernames must be unique across all Salesforce organizations.", "Username")
		}
		pid, _ := in.str("ProfileId")
		p := profileByID(o, pid)
		if p == nil {
			return "", dmlErr(http.StatusBadRequest, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", "ProfileId")
		}
		nu := &user{id: s.newID(o, prefixUser), loginID: s.newID(o, prefixUserLogin), username: name, org: o, profile: p,
			active: true, token: strings.ToUpper(randToken(18))[:24], created: q.now, modified: q.now, lastPasswordChange: q.now,
			forceExpired: true, timeZone: "GMT", userType: "Standard", createdByID: u.id, modifiedByID: u.id}
		nu.first, _ = in.str("FirstName")
		nu.last, _ = in.str("LastName")
		nu.email, _ = in.str("Email")
		nu.alias, _ = in.str("Alias")
		nu.federationID, _ = in.str("FederationIdentifier")
		if tz, _ := in.str("TimeZoneSidKey"); tz != "" {
			nu.timeZone = tz
		}
		if b, ok, err := in.boolean("IsActive"); err != nil {
			return "", err
		} else if ok {
			nu.active = b
		}
		extras(&nu.extra, in, userFields...)
		s.userByName[strings.ToLower(name)] = nu
		o.users = append(o.users, nu)
		s.audit(o, u, "createduser", fmt.Sprintf("Created new user %s", name))
		s.userChanged(o, nu, "CREATE", fieldNames(schema))
		return nu.id, nil
	case "PermissionSet":
		if !u.hasPerm("ManageProfilesPermissionsets") {
			return "", insufficientAccess()
		}
		if err := missingRequired(d, in); err != nil {
			return "", err
		}
		name, _ := in.str("Name")
		if !validFieldName(name) || strings.Contains(name, "__") {
			return "", dmlErr(http.StatusBadRequest, "FIELD_INTEGRITY_EXCEPTION", "The API Name can only contain underscores and alphanumeric characters. It must be unique, begin with a letter, not include spaces, not end with an underscore, and not contain two consecutive underscores.", "Name")
		}
		if o.permSetByName(name) != nil {
			return "", dmlErr(http.StatusBadRequest, "DUPLICATE_DEVELOPER_NAME", "The API Name you entered is already in use. Specify a different API Name.", "Name")
		}
		label, _ := in.str("Label")
		var lic *permSetLicense
		if lid, _ := in.str("LicenseId"); lid != "" {
			if lic = pslByID(o, lid); lic == nil {
				return "", dmlErr(http.StatusBadRequest, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", "LicenseId")
			}
		}
		ps := s.newPermSet(o, name, label, nil, nil, q.now)
		ps.license = lic
		extras(&ps.extra, in, "Name", "Label", "LicenseId", "Permissions*")
		s.audit(o, u, "PermSetCreate", fmt.Sprintf("Created permission set %s", label))
		if err := s.setPerms(q, ps, in); err != nil {
			return "", err
		}
		return ps.id, nil
	case "SetupEntityAccess": // migrate.go
		if err := missingRequired(d, in); err != nil {
			return "", err
		}
		return s.createSetupEntityAccess(q, in)
	case "PermissionSetAssignment":
		if !u.hasPerm("AssignPermissionSets") && !u.hasPerm("ManageUsers") {
			return "", insufficientAccess()
		}
		if err := missingRequired(d, in); err != nil {
			return "", err
		}
		aid, _ := in.str("AssigneeId")
		pid, _ := in.str("PermissionSetId")
		target, ps := o.userByID(aid), permSetByID(o, pid)
		if target == nil || ps == nil || ps.profile != nil {
			return "", dmlErr(http.StatusBadRequest, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", "AssigneeId", "PermissionSetId")
		}
		if o.assigned(target, ps) != nil {
			return "", dmlErr(http.StatusBadRequest, "DUPLICATE_VALUE", "duplicate value found: AssigneeId duplicates value on record with id: "+o.assigned(target, ps).id)
		}
		if ps.license != nil && !hasPSLAssign(o, target, ps.license) {
			return "", dmlErr(http.StatusBadRequest, "FIELD_INTEGRITY_EXCEPTION", fmt.Sprintf("The user license doesn't allow the permission set %s: assign the permission set license %s first", ps.name, ps.license.label), "PermissionSetId")
		}
		a := &assignment{id: s.newID(o, prefixAssignment), user: target, ps: ps, created: q.now}
		o.assigns = append(o.assigns, a)
		s.audit(o, u, "PermSetAssign", fmt.Sprintf("Permission set %s: assigned to user %s", ps.label, target.username))
		return a.id, nil
	case "PermissionSetLicenseAssign":
		if !u.hasPerm("ManageUsers") {
			return "", insufficientAccess()
		}
		if err := missingRequired(d, in); err != nil {
			return "", err
		}
		aid, _ := in.str("AssigneeId")
		lid, _ := in.str("PermissionSetLicenseId")
		target, l := o.userByID(aid), pslByID(o, lid)
		if target == nil || l == nil {
			return "", dmlErr(http.StatusBadRequest, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", "AssigneeId", "PermissionSetLicenseId")
		}
		if hasPSLAssign(o, target, l) {
			return "", dmlErr(http.StatusBadRequest, "DUPLICATE_VALUE", "duplicate value found: AssigneeId")
		}
		a := &pslAssignment{id: s.newID(o, prefixPSLAssign), user: target, psl: l}
		o.pslAssign = append(o.pslAssign, a)
		s.audit(o, u, "PermSetLicenseAssign", fmt.Sprintf("Permission set license %s: assigned to user %s", l.label, target.username))
		return a.id, nil
	case "ObjectPermissions":
		if !u.hasPerm("ManageProfilesPermissionsets") {
			return "", insufficientAccess()
		}
		if err := missingRequired(d, in); err != nil {
			return "", err
		}
		pid, _ := in.str("ParentId")
		obj, _ := in.str("SobjectType")
		ps := permSetByID(o, pid)
		if ps == nil {
			return "", dmlErr(http.StatusBadRequest, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", "ParentId")
		}
		if ps.objects[strings.ToLower(obj)] != nil {
			return "", dmlErr(http.StatusBadRequest, "DUPLICATE_VALUE", "duplicate value found: SobjectType", "SobjectType")
		}
		s.ensureObject(o, obj)
		oa := &objectAccess{id: s.newID(o, prefixObjectPermission)}
		ps.objects[strings.ToLower(obj)] = oa
		if err := s.setObjectPerms(q, ps, obj, oa, in); err != nil {
			delete(ps.objects, strings.ToLower(obj))
			return "", err
		}
		return oa.id, nil
	}
	do := s.ensureObject(o, d.name)
	if !canWrite(u, d, 'c') {
		return "", insufficientAccess()
	}
	if err := missingRequired(d, in); err != nil {
		return "", err
	}
	row := soql.Row{"Id": s.newID(o, d.prefix), "OwnerId": u.id, "CreatedById": u.id, "LastModifiedById": u.id,
		"CreatedDate": q.now, "LastModifiedDate": q.now, "SystemModstamp": q.now}
	for _, fd := range d.fields {
		if fd.kind == "boolean" {
			row[fd.name] = false
		}
	}
	for k, v := range d.defaults {
		row[k] = v
	}
	if d.name == "Case" {
		row["CaseNumber"] = fmt.Sprintf("%08d", 1000+len(do.rows)+len(do.deleted)+1)
	}
	for k, v := range in {
		row[k] = v
	}
	derive(d, row)
	do.rows = append(do.rows, row)
	return row["Id"].(string), nil
}

// derive fills the fields Salesforce computes from others.
func derive(d *objectDef, row soql.Row) {
	if d.name == "Contact" || d.name == "Lead" {
		first, _ := row["FirstName"].(string)
		last, _ := row["LastName"].(string)
		row["Name"] = strings.TrimSpace(first + " " + last)
	}
	if d.name == "Opportunity" {
		stage, _ := row["StageName"].(string)
		row["IsClosed"] = strings.HasPrefix(stage, "Closed")
		row["IsWon"] = stage == "Closed Won"
	}
}

// setPerms applies Permissions* booleans from a body to a permission set,
// recording an audit row for each change.
func (s *Server) setPerms(q *request, ps *permSet, in input) *dmlError {
	for _, k := range sortedKeys(in) {
		if !strings.HasPrefix(k, "Permissions") {
			continue
		}
		b, _, err := in.boolean(k)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(k, "Permissions")
		if ps.perms[name] == b {
			continue
		}
		ps.perms[name] = b
		action, verb := "PermSetEnableUserPerm", "enabled"
		if !b {
			action, verb = "PermSetDisableUserPerm", "disabled"
		}
		owner := "Permission set " + ps.label
		if ps.profile != nil {
			owner = "Profile " + ps.profile.name
			action = "profileSystemPermChange"
		}
		s.audit(q.o, q.u, action, fmt.Sprintf("%s: system permission %s was %s", owner, name, verb))
	}
	return nil
}

func (s *Server) setObjectPerms(q *request, ps *permSet, obj string, oa *objectAccess, in input) *dmlError {
	flags := []struct {
		field, op string
	}{{"PermissionsRead", "Read"}, {"PermissionsCreate", "Create"}, {"PermissionsEdit", "Edit"}, {"PermissionsDelete", "Delete"},
		{"PermissionsViewAllRecords", "ViewAll"}, {"PermissionsModifyAllRecords", "ModifyAll"}}
	var changed []string
	for _, fl := range flags {
		b, ok, err := in.boolean(fl.field)
		if err != nil {
			return err
		}
		if ok {
			setObjectOp(oa, fl.op, b)
			changed = append(changed, fmt.Sprintf("%s=%t", fl.op, b))
		}
	}
	if len(changed) > 0 {
		s.audit(q.o, q.u, "PermSetObjectPermChange", fmt.Sprintf("Permission set %s: object permissions for %s changed: %s", ps.label, obj, strings.Join(changed, ", ")))
	}
	return nil
}

// doUpdate changes one record. Callers hold s.mu.
func (s *Server) doUpdate(q *request, schema *soql.Object, id string, body map[string]any) *dmlError {
	o, u := q.o, q.u
	d := defOf(o, schema)
	if d == nil || !d.can('u') {
		return dmlErr(http.StatusBadRequest, "INVALID_TYPE_FOR_OPERATION", "entity type cannot be updated: "+schema.Name)
	}
	in, derr := checkWrite(o, d, body, false)
	if derr != nil {
		return derr
	}
	defer o.touch()
	switch d.name {
	case "User":
		target := o.userByID(id)
		if target == nil {
			return dmlErr(http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		}
		if target != u && !u.hasPerm("ManageUsers") {
			return insufficientAccess()
		}
		return s.updateUser(q, target, in)
	case "UserLogin":
		var target *user
		for _, x := range o.users {
			if x.loginID == normID(id) {
				target = x
			}
		}
		if target == nil {
			return dmlErr(http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		}
		if !u.hasPerm("ManageUsers") {
			return insufficientAccess()
		}
		if b, ok, err := in.boolean("IsPasswordLocked"); err != nil {
			return err
		} else if ok && b {
			return notWritable("IsPasswordLocked")
		} else if ok {
			s.setLocked(target, false, u)
		}
		if b, ok, err := in.boolean("IsFrozen"); err != nil {
			return err
		} else if ok {
			s.setFrozen(target, b, u)
		}
		return nil
	case "PermissionSet":
		ps := permSetByID(o, id)
		if ps == nil {
			return dmlErr(http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		}
		if !u.hasPerm("ManageProfilesPermissionsets") {
			return insufficientAccess()
		}
		if l, ok := in.str("Label"); ok && l != "" {
			ps.label = l
		}
		extras(&ps.extra, in, "Label", "Permissions*")
		return s.setPerms(q, ps, in)
	case "ObjectPermissions":
		ps, obj, oa := objectPermByID(o, id)
		if oa == nil {
			return dmlErr(http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		}
		if !u.hasPerm("ManageProfilesPermissionsets") {
			return insufficientAccess()
		}
		return s.setObjectPerms(q, ps, obj, oa, in)
	}
	do := o.records[strings.ToLower(d.name)]
	var row soql.Row
	if do != nil {
		row = findRow(do, id)
	}
	if row == nil {
		return dmlErr(http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
	if !canWrite(u, d, 'e') {
		return insufficientAccess()
	}
	for k, v := range in {
		row[k] = v
	}
	derive(d, row)
	row["LastModifiedDate"], row["SystemModstamp"], row["LastModifiedById"] = q.now, q.now, u.id
	return nil
}

func findRow(do *dataObject, id string) soql.Row {
	id = normID(id)
	for _, r := range do.rows {
		if r["Id"] == id {
			return r
		}
	}
	return nil
}

func (s *Server) updateUser(q *request, target *user, in input) *dmlError {
	o, by := q.o, q.u
	var changed []string
	for _, k := range sortedKeys(in) {
		v, _ := in.str(k)
		switch k {
		case "FirstName":
			target.first = v
		case "LastName":
			target.last = v
		case "Email":
			target.email = v
		case "Alias":
			target.alias = v
		case "FederationIdentifier":
			target.federationID = v
		case "TimeZoneSidKey":
			target.timeZone = v
		case "Username":
			if other := s.userByName[strings.ToLower(v)]; other != nil && other != target {
				return dmlErr(http.StatusBadRequest, "DUPLICATE_USERNAME", "Duplicate Username.", "Username")
			}
			delete(s.userByName, strings.ToLower(target.username))
			target.username = v
			s.userByName[strings.ToLower(v)] = target
		case "IsActive":
			b, _, err := in.boolean(k)
			if err != nil {
				return err
			}
			if b != target.active {
				s.setActive(target, b, by)
			}
			continue
		case "ProfileId":
			p := profileByID(o, v)
			if p == nil {
				return dmlErr(http.StatusBadRequest, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", "ProfileId")
			}
			if p != target.profile {
				s.setProfile(target, p, by)
			}
			continue
		default:
			// Every other updateable field (checkWrite refused the rest)
			// is stored as written.
			if target.extra == nil {
				target.extra = soql.Row{}
			}
			target.extra[k] = in[k]
		}
		changed = append(changed, k)
	}
	if len(changed) > 0 {
		target.modified, target.modifiedByID = s.now(), by.id
		s.userChanged(o, target, "UPDATE", changed)
	}
	return nil
}

func (s *Server) setActive(u *user, active bool, by *user) {
	u.active = active
	u.modified = s.now()
	if active {
		s.audit(u.org, by, "activateduser", "Activated user "+u.username)
	} else {
		s.audit(u.org, by, "deactivateduser", "Deactivated user "+u.username)
		s.revokeUser(u)
	}
	s.userChanged(u.org, u, "UPDATE", []string{"IsActive"})
}

func (s *Server) setFrozen(u *user, frozen bool, by *user) {
	if u.frozen == frozen {
		return
	}
	u.frozen = frozen
	if frozen {
		s.audit(u.org, by, "frozeuser", "Froze user "+u.username)
	} else {
		s.audit(u.org, by, "unfrozeuser", "Unfroze user "+u.username)
	}
	u.org.touch()
}

func (s *Server) setLocked(u *user, locked bool, by *user) {
	if u.locked == locked {
		return
	}
	u.locked, u.failedAttempts = locked, 0
	if locked {
		u.lockedAt = s.now()
	} else {
		s.audit(u.org, by, "unlockeduser", "Unlocked user "+u.username)
	}
	u.org.touch()
}

func (s *Server) setProfile(u *user, p *profile, by *user) {
	old := u.profile
	u.profile = p
	u.modified = s.now()
	s.audit(u.org, by, "changedprofileforuser", fmt.Sprintf("Changed profile for user %s from %s to %s", u.username, old.name, p.name))
	s.userChanged(u.org, u, "UPDATE", []string{"ProfileId"})
}

// doDelete removes one record. Callers hold s.mu.
func (s *Server) doDelete(q *request, schema *soql.Object, id string) *dmlError {
	o, u := q.o, q.u
	id = normID(id)
	if d := defOf(o, schema); d == nil || !d.can('d') {
		return dmlErr(http.StatusBadRequest, "INVALID_TYPE_FOR_OPERATION", "entity type cannot be deleted: "+schema.Name)
	}
	defer o.touch()
	switch schema.Name {
	case "PermissionSetAssignment":
		if !u.hasPerm("AssignPermissionSets") && !u.hasPerm("ManageUsers") {
			return insufficientAccess()
		}
		for i, a := range o.assigns {
			if a.id == id {
				o.assigns = append(o.assigns[:i], o.assigns[i+1:]...)
				s.audit(o, u, "PermSetUnassign", fmt.Sprintf("Permission set %s: unassigned from user %s", a.ps.label, a.user.username))
				return nil
			}
		}
	case "PermissionSetLicenseAssign":
		if !u.hasPerm("ManageUsers") {
			return insufficientAccess()
		}
		for i, a := range o.pslAssign {
			if a.id == id {
				o.pslAssign = append(o.pslAssign[:i], o.pslAssign[i+1:]...)
				s.audit(o, u, "PermSetLicenseUnassign", fmt.Sprintf("Permission set license %s: unassigned from user %s", a.psl.label, a.user.username))
				return nil
			}
		}
	case "PermissionSet":
		if !u.hasPerm("ManageProfilesPermissionsets") {
			return insufficientAccess()
		}
		ps := permSetByID(o, id)
		if ps == nil {
			break
		}
		if ps.profile != nil {
			return dmlErr(http.StatusBadRequest, "DELETE_FAILED", "You can't delete a permission set owned by a profile.")
		}
		for _, a := range o.assigns {
			if a.ps == ps {
				return dmlErr(http.StatusBadRequest, "DELETE_FAILED", "This permission set is assigned to users and can't be deleted.")
			}
		}
		for i, x := range o.permSets {
			if x == ps {
				o.permSets = append(o.permSets[:i], o.permSets[i+1:]...)
			}
		}
		s.audit(o, u, "PermSetDelete", "Deleted permission set "+ps.label)
		return nil
	case "ObjectPermissions":
		if !u.hasPerm("ManageProfilesPermissionsets") {
			return insufficientAccess()
		}
		ps, obj, oa := objectPermByID(o, id)
		if oa != nil {
			delete(ps.objects, strings.ToLower(obj))
			s.audit(o, u, "PermSetObjectPermChange", fmt.Sprintf("Permission set %s: object permissions for %s removed", ps.label, obj))
			return nil
		}
	default:
		do := o.records[strings.ToLower(schema.Name)]
		if do == nil {
			return dmlErr(http.StatusBadRequest, "INVALID_TYPE_FOR_OPERATION", "entity type cannot be deleted: "+schema.Name)
		}
		if !canWrite(u, do.def, 'd') {
			return insufficientAccess()
		}
		for i, r := range do.rows {
			if r["Id"] == id {
				// Into the recycle bin: only queryAll sees it from now on.
				do.rows = slices.Delete(slices.Clone(do.rows), i, i+1)
				r["IsDeleted"], r["LastModifiedDate"], r["SystemModstamp"], r["LastModifiedById"] = true, q.now, q.now, u.id
				do.deleted = append(do.deleted, r)
				return nil
			}
		}
	}
	return dmlErr(http.StatusNotFound, "ENTITY_IS_DELETED", "entity is deleted")
}

func profileByID(o *org, id string) *profile {
	id = normID(id)
	for _, p := range o.profiles {
		if p.id == id {
			return p
		}
	}
	return nil
}

func permSetByID(o *org, id string) *permSet {
	id = normID(id)
	for _, ps := range o.permSets {
		if ps.id == id {
			return ps
		}
	}
	return nil
}

func pslByID(o *org, id string) *permSetLicense {
	id = normID(id)
	for _, l := range o.psls {
		if l.id == id {
			return l
		}
	}
	return nil
}

func objectPermByID(o *org, id string) (*permSet, string, *objectAccess) {
	id = normID(id)
	for _, ps := range o.permSets {
		for name, oa := range ps.objects {
			if oa.id == id {
				return ps, objectName(o, name), oa
			}
		}
	}
	return nil, "", nil
}

// password serves /sobjects/User/{id}/password.
func (s *Server) password(q *request, id string) {
	target := q.o.userByID(id)
	if target == nil {
		notFound(q)
		return
	}
	if target != q.u && !q.u.hasPerm("ManageUsers") && !q.u.hasPerm("ResetPasswords") {
		restError(q.w, http.StatusForbidden, "INSUFFICIENT_ACCESS", "You do not have permission to view this record.")
		return
	}
	switch q.r.Method {
	case http.MethodGet, http.MethodHead:
		writeJSON(q.w, http.StatusOK, map[string]bool{"isExpired": target.passwordExpired(q.now)})
	case http.MethodPost:
		var body struct{ NewPassword *string }
		if !decodeBody(q, &body) {
			return
		}
		if body.NewPassword == nil {
			restError(q.w, http.StatusBadRequest, "REQUIRED_FIELD_MISSING", "Required fields are missing: [NewPassword]")
			return
		}
		if msg := passwordPolicy(target, *body.NewPassword); msg != "" {
			restError(q.w, http.StatusBadRequest, "INVALID_NEW_PASSWORD", msg)
			return
		}
		s.setPassword(target, *body.NewPassword, q.u)
		q.w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		writeJSON(q.w, http.StatusOK, map[string]string{"NewPassword": s.resetPassword(target, q.u)})
	default:
		methodNotAllowed(q)
	}
}

// passwordPolicy returns why a new password is refused, or "".
func passwordPolicy(u *user, pw string) string {
	hasLetter, hasDigit := false, false
	for _, r := range pw {
		hasLetter = hasLetter || unicode.IsLetter(r)
		hasDigit = hasDigit || unicode.IsDigit(r)
	}
	switch {
	case len(pw) < 8:
		return "Your password must be at least 8 characters long."
	case !hasLetter || !hasDigit:
		return "Your password must include letters and numbers."
	case secretEqual(pw, u.password):
		return "You cannot reuse this old password."
	}
	return ""
}

// setPassword changes a user's password; Salesforce then issues a new
// security token and e-mails it to the user.
func (s *Server) setPassword(u *user, pw string, by *user) {
	u.password, u.forceExpired, u.failedAttempts, u.locked = pw, false, 0, false
	u.lastPasswordChange = s.now()
	u.token = newSecurityToken()
	if by == u {
		s.audit(u.org, by, "changedownpassword", "Changed own password")
	} else {
		s.audit(u.org, by, "changedpassword", "Changed password for user "+u.username)
	}
	s.deliver(u, "Your new Salesforce security token",
		fmt.Sprintf("Dear %s,\n\nYour password was changed, so Salesforce issued a new security token for %s.\n\nSecurity token (case-sensitive): %s\n", u.name(), u.username, u.token),
		"", u.token)
	for k, sess := range s.sessions {
		if sess.user == u && sess.expiredPassword {
			delete(s.sessions, k)
		}
	}
}

// resetPassword sets a temporary password that must be changed at next
// login, issues a new security token, revokes the user's OAuth tokens, and
// e-mails the user. It returns the temporary password.
func (s *Server) resetPassword(u *user, by *user) string {
	tmp := "Tmp" + strings.ToUpper(randToken(6))[:6] + "9a"
	u.password, u.forceExpired, u.failedAttempts, u.locked = tmp, true, 0, false
	u.lastPasswordChange = s.now()
	u.token = newSecurityToken()
	s.revokeUser(u)
	s.audit(u.org, by, "resetpassword", "Reset password for user "+u.username)
	s.deliver(u, "Salesforce password reset",
		fmt.Sprintf("Dear %s,\n\nYour Salesforce password was reset by an administrator.\n\nUsername: %s\nTemporary password: %s\n\nYou must change it when you next log in. A new security token was issued:\nSecurity token (case-sensitive): %s\n", u.name(), u.username, tmp, u.token),
		tmp, u.token)
	return tmp
}

func newSecurityToken() string {
	return strings.NewReplacer(".", "X", "_", "Y").Replace(randToken(18))[:24]
}

// deliver puts a message in the user's mailbox.
func (s *Server) deliver(u *user, subject, body, password, token string) {
	key := strings.ToLower(u.username)
	s.mail[key] = append(s.mail[key], Mail{To: u.email, Subject: subject, Body: body, Sent: s.now(), Password: password, SecurityToken: token})
}
