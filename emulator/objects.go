package emulator

import (
	"strings"
	"time"

	"github.com/wardenhq/warden/emulator/soql"
)

// objectDef is an sObject type the emulator serves: its schema, who may see
// it, and how its rows are built from the org's state.
type objectDef struct {
	schema   *soql.Object
	label    string
	prefix   string
	visible  func(u *user) bool // nil: every API user
	rows     func(o *org) []soql.Row
	writable bool // create/update/delete handled in writes.go
}

func f(name string, t soql.Type) soql.Field { return soql.Field{Name: name, Type: t} }

func fields(t soql.Type, names ...string) []soql.Field {
	out := make([]soql.Field, len(names))
	for i, n := range names {
		out[i] = f(n, t)
	}
	return out
}

func rel(name, field, target string) soql.Relationship {
	return soql.Relationship{Name: name, Field: field, Target: target}
}

func permissionFields() []soql.Field {
	return fields(soql.TypeBool, prefixed("Permissions", SystemPermissions)...)
}

func prefixed(p string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	return out
}

func concat(parts ...[]soql.Field) []soql.Field {
	var out []soql.Field
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func needs(perms ...string) func(u *user) bool {
	return func(u *user) bool {
		for _, p := range perms {
			if u.hasPerm(p) {
				return true
			}
		}
		return false
	}
}

// sfTime is the form Salesforce uses for datetimes in JSON and SOAP.
const sfTime = "2006-01-02T15:04:05.000+0000"

// objects are the built-in sObject types, keyed by lower-case name.
var objects = map[string]*objectDef{}

func define(d *objectDef) { objects[strings.ToLower(d.schema.Name)] = d }

func init() {
	audit := fields(soql.TypeDateTime, "CreatedDate", "LastModifiedDate", "SystemModstamp")
	define(&objectDef{label: "Organization", prefix: prefixOrg, schema: &soql.Object{Name: "Organization",
		Fields: concat(fields(soql.TypeID, "Id"), fields(soql.TypeString, "Name", "InstanceName", "NamespacePrefix",
			"OrganizationType", "TimeZoneSidKey", "LanguageLocaleKey", "DefaultLocaleSidKey", "Division", "Country"),
			fields(soql.TypeBool, "IsSandbox"), fields(soql.TypeDate, "TrialExpirationDate"), audit)},
		rows: orgRows})
	define(&objectDef{label: "User", prefix: prefixUser, writable: true, schema: &soql.Object{Name: "User",
		Fields: concat(fields(soql.TypeID, "Id", "ProfileId", "UserRoleId", "CreatedById", "LastModifiedById", "ManagerId"),
			fields(soql.TypeString, "Username", "FirstName", "LastName", "Name", "Email", "Alias", "CommunityNickname",
				"UserType", "FederationIdentifier", "TimeZoneSidKey", "LocaleSidKey", "LanguageLocaleKey", "EmailEncodingKey",
				"Title", "Department", "CompanyName"),
			fields(soql.TypeBool, "IsActive", "UserPermissionsMarketingUser", "UserPermissionsOfflineUser",
				"UserPermissionsMobileUser", "UserPermissionsSFContentUser", "UserPermissionsKnowledgeUser",
				"UserPermissionsInteractionUser", "UserPermissionsSupportUser"),
			fields(soql.TypeDateTime, "LastLoginDate", "LastPasswordChangeDate"), audit),
		Relationships: []soql.Relationship{rel("Profile", "ProfileId", "Profile"), rel("CreatedBy", "CreatedById", "User"),
			rel("LastModifiedBy", "LastModifiedById", "User"), rel("Manager", "ManagerId", "User")}},
		rows: userRows})
	define(&objectDef{label: "User Login", prefix: prefixUserLogin, writable: true, visible: needs("ManageUsers", "ManageInternalUsers"),
		schema: &soql.Object{Name: "UserLogin",
			Fields: concat(fields(soql.TypeID, "Id", "UserId", "LastModifiedById"), fields(soql.TypeBool, "IsFrozen", "IsPasswordLocked"),
				fields(soql.TypeDateTime, "LastModifiedDate")),
			Relationships: []soql.Relationship{rel("User", "UserId", "User")}},
		rows: userLoginRows})
	define(&objectDef{label: "Profile", prefix: prefixProfile, schema: &soql.Object{Name: "Profile",
		Fields: concat(fields(soql.TypeID, "Id", "UserLicenseId", "CreatedById", "LastModifiedById"),
			fields(soql.TypeString, "Name", "UserType", "Description"), audit, permissionFields()),
		Relationships: []soql.Relationship{rel("UserLicense", "UserLicenseId", "UserLicense")}},
		rows: profileRows})
	define(&objectDef{label: "Permission Set", prefix: prefixPermissionSet, writable: true, schema: &soql.Object{Name: "PermissionSet",
		Fields: concat(fields(soql.TypeID, "Id", "LicenseId", "ProfileId", "PermissionSetGroupId", "CreatedById", "LastModifiedById"),
			fields(soql.TypeString, "Name", "Label", "NamespacePrefix", "Type", "Description"),
			fields(soql.TypeBool, "IsOwnedByProfile", "IsCustom", "HasActivationRequired"), audit, permissionFields()),
		Relationships: []soql.Relationship{rel("Profile", "ProfileId", "Profile"), rel("License", "LicenseId", "PermissionSetLicense")}},
		rows: permSetRows})
	define(&objectDef{label: "Permission Set Assignment", prefix: prefixAssignment, writable: true, schema: &soql.Object{Name: "PermissionSetAssignment",
		Fields: concat(fields(soql.TypeID, "Id", "AssigneeId", "PermissionSetId", "PermissionSetGroupId"),
			fields(soql.TypeBool, "IsActive"), fields(soql.TypeDateTime, "ExpirationDate", "SystemModstamp")),
		Relationships: []soql.Relationship{rel("Assignee", "AssigneeId", "User"), rel("PermissionSet", "PermissionSetId", "PermissionSet")}},
		rows: assignmentRows})
	define(&objectDef{label: "Permission Set License", prefix: prefixPSL, schema: &soql.Object{Name: "PermissionSetLicense",
		Fields: concat(fields(soql.TypeID, "Id"), fields(soql.TypeString, "DeveloperName", "MasterLabel", "PermissionSetLicenseKey", "Status"),
			fields(soql.TypeInt, "TotalLicenses", "UsedLicenses"), fields(soql.TypeDate, "ExpirationDate"), audit)},
		rows: pslRows})
	define(&objectDef{label: "Permission Set License Assignment", prefix: prefixPSLAssign, writable: true, schema: &soql.Object{Name: "PermissionSetLicenseAssign",
		Fields:        concat(fields(soql.TypeID, "Id", "AssigneeId", "PermissionSetLicenseId"), audit),
		Relationships: []soql.Relationship{rel("Assignee", "AssigneeId", "User"), rel("PermissionSetLicense", "PermissionSetLicenseId", "PermissionSetLicense")}},
		rows: pslAssignRows})
	define(&objectDef{label: "User License", prefix: prefixUserLicense, schema: &soql.Object{Name: "UserLicense",
		Fields: concat(fields(soql.TypeID, "Id"), fields(soql.TypeString, "Name", "MasterLabel", "LicenseDefinitionKey", "Status"),
			fields(soql.TypeInt, "TotalLicenses", "UsedLicenses"), audit)},
		rows: licenseRows})
	define(&objectDef{label: "Object Permissions", prefix: prefixObjectPermission, writable: true, schema: &soql.Object{Name: "ObjectPermissions",
		Fields: concat(fields(soql.TypeID, "Id", "ParentId"), fields(soql.TypeString, "SobjectType"),
			fields(soql.TypeBool, "PermissionsRead", "PermissionsCreate", "PermissionsEdit", "PermissionsDelete",
				"PermissionsViewAllRecords", "PermissionsModifyAllRecords"), audit),
		Relationships: []soql.Relationship{rel("Parent", "ParentId", "PermissionSet")}},
		rows: objectPermRows})
	define(&objectDef{label: "Login History", prefix: prefixLoginHistory, visible: needs("ManageUsers", "ManageInternalUsers", "ViewAllData"),
		schema: &soql.Object{Name: "LoginHistory",
			Fields: concat(fields(soql.TypeID, "Id", "UserId", "AuthenticationServiceId", "LoginGeoId"),
				fields(soql.TypeString, "LoginType", "SourceIp", "LoginUrl", "TlsProtocol", "CipherSuite", "Browser", "Platform",
					"Status", "Application", "ClientVersion", "ApiType", "ApiVersion", "CountryIso", "LoginSubType"),
				fields(soql.TypeDateTime, "LoginTime"))},
		rows: historyRows})
	define(&objectDef{label: "Setup Audit Trail", prefix: prefixAuditTrail, visible: needs("ViewSetup", "ManageUsers"),
		schema: &soql.Object{Name: "SetupAuditTrail",
			Fields: concat(fields(soql.TypeID, "Id", "CreatedById"), fields(soql.TypeString, "Action", "Section", "Display",
				"DelegateUser", "ResponsibleNamespacePrefix", "CreatedByContext", "CreatedByIssuer"), fields(soql.TypeDateTime, "CreatedDate")),
			Relationships: []soql.Relationship{rel("CreatedBy", "CreatedById", "User")}},
		rows: auditRows})
	define(&objectDef{label: "Connected Application", prefix: prefixConnectedApp, visible: needs("ViewSetup", "ManageUsers"),
		schema: &soql.Object{Name: "ConnectedApplication",
			Fields: concat(fields(soql.TypeID, "Id"), fields(soql.TypeString, "Name", "OptionsRefreshTokenValidityMetric", "StartUrl"),
				fields(soql.TypeBool, "OptionsAllowAdminApprovedUsersOnly", "OptionsHasSessionLevelPolicy"),
				fields(soql.TypeInt, "RefreshTokenValidityPeriod", "MobileSessionTimeout"), audit)},
		rows: appRows})
	define(&objectDef{label: "OAuth Token", prefix: prefixOauthToken, visible: needs("ManageUsers"),
		schema: &soql.Object{Name: "OauthToken",
			Fields: concat(fields(soql.TypeID, "Id", "UserId", "AppMenuItemId"), fields(soql.TypeString, "AppName"),
				fields(soql.TypeDateTime, "CreatedDate", "LastUsedDate"), fields(soql.TypeInt, "UseCount")),
			Relationships: []soql.Relationship{rel("User", "UserId", "User")}},
		rows: oauthRows})
	define(&objectDef{label: "Login IP", prefix: prefixLoginIP, visible: needs("ManageUsers"),
		schema: &soql.Object{Name: "LoginIp",
			Fields: concat(fields(soql.TypeID, "Id", "UsersId"), fields(soql.TypeString, "SourceIp", "ChallengeMethod"),
				fields(soql.TypeBool, "IsAuthenticated"), fields(soql.TypeDateTime, "CreatedDate", "ChallengeSentDate")),
			Relationships: []soql.Relationship{rel("Users", "UsersId", "User")}},
		rows: loginIPRows})
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func orgRows(o *org) []soql.Row {
	return []soql.Row{{"Id": o.id, "Name": o.name, "InstanceName": o.instanceName, "NamespacePrefix": nil,
		"OrganizationType": o.settings.organizationTypeName, "TimeZoneSidKey": o.settings.timeZoneSidKey,
		"LanguageLocaleKey": o.settings.defaultLanguageKey, "DefaultLocaleSidKey": o.settings.defaultLocaleSidKey,
		"IsSandbox": strings.Contains(strings.ToLower(o.edition), "sandbox"), "TrialExpirationDate": nil,
		"CreatedDate": o.created, "LastModifiedDate": o.created, "SystemModstamp": o.created}}
}

func userRows(o *org) []soql.Row {
	out := make([]soql.Row, 0, len(o.users))
	for _, u := range o.users {
		out = append(out, soql.Row{"Id": u.id, "Username": u.username, "FirstName": u.first, "LastName": u.last,
			"Name": u.name(), "Email": u.email, "Alias": u.alias, "CommunityNickname": u.alias, "IsActive": u.active,
			"ProfileId": u.profile.id, "UserRoleId": nil, "UserType": u.userType, "FederationIdentifier": u.federationID,
			"TimeZoneSidKey": u.timeZone, "LocaleSidKey": "en_US", "LanguageLocaleKey": "en_US", "EmailEncodingKey": "UTF-8",
			"LastLoginDate": timeOrNil(u.lastLogin), "LastPasswordChangeDate": timeOrNil(u.lastPasswordChange),
			"CreatedDate": u.created, "LastModifiedDate": u.modified, "SystemModstamp": u.modified,
			"CreatedById": u.createdByID, "LastModifiedById": u.modifiedByID,
			"UserPermissionsMarketingUser": false, "UserPermissionsOfflineUser": false, "UserPermissionsMobileUser": false,
			"UserPermissionsSFContentUser": false, "UserPermissionsKnowledgeUser": false,
			"UserPermissionsInteractionUser": false, "UserPermissionsSupportUser": false})
	}
	return out
}

func userLoginRows(o *org) []soql.Row {
	out := make([]soql.Row, 0, len(o.users))
	for _, u := range o.users {
		out = append(out, soql.Row{"Id": u.loginID, "UserId": u.id, "IsFrozen": u.frozen, "IsPasswordLocked": u.locked,
			"LastModifiedDate": u.modified, "LastModifiedById": u.modifiedByID})
	}
	return out
}

func putPerms(row soql.Row, perms map[string]bool) {
	for _, p := range SystemPermissions {
		row["Permissions"+p] = perms[p]
	}
}

func profileRows(o *org) []soql.Row {
	out := make([]soql.Row, 0, len(o.profiles))
	for _, p := range o.profiles {
		row := soql.Row{"Id": p.id, "Name": p.name, "UserLicenseId": p.license.id, "UserType": "Standard",
			"Description": p.description, "CreatedDate": o.created, "LastModifiedDate": p.ps.created, "SystemModstamp": p.ps.created}
		putPerms(row, p.ps.perms)
		out = append(out, row)
	}
	return out
}

func permSetRows(o *org) []soql.Row {
	out := make([]soql.Row, 0, len(o.permSets))
	for _, ps := range o.permSets {
		row := soql.Row{"Id": ps.id, "Name": ps.name, "Label": ps.label, "IsOwnedByProfile": ps.profile != nil,
			"IsCustom": ps.profile == nil, "HasActivationRequired": false, "NamespacePrefix": nil,
			"CreatedDate": ps.created, "LastModifiedDate": ps.created, "SystemModstamp": ps.created}
		if ps.profile != nil {
			row["ProfileId"] = ps.profile.id
			row["LicenseId"] = ps.profile.license.id
			row["Type"] = "Profile"
		} else {
			row["Type"] = "Regular"
			if ps.license != nil {
				row["LicenseId"] = ps.license.id
			}
		}
		putPerms(row, ps.perms)
		out = append(out, row)
	}
	return out
}

func assignmentRows(o *org) []soql.Row {
	out := make([]soql.Row, 0, len(o.assigns)+len(o.users))
	// Salesforce lists every user's profile permission set as an
	// assignment too.
	for _, u := range o.users {
		out = append(out, soql.Row{"Id": makeID(prefixAssignment, "PROF", idSeq(u.id)), "AssigneeId": u.id,
			"PermissionSetId": u.profile.ps.id, "IsActive": true, "SystemModstamp": u.created})
	}
	for _, a := range o.assigns {
		out = append(out, soql.Row{"Id": a.id, "AssigneeId": a.user.id, "PermissionSetId": a.ps.id, "IsActive": true, "SystemModstamp": a.created})
	}
	return out
}

// idSeq recovers a stable number from an id, for derived ids.
func idSeq(id string) uint64 {
	var n uint64
	for i := 7; i < 15 && i < len(id); i++ {
		n = n*62 + uint64(strings.IndexByte(base62, id[i]))
	}
	return n
}

func pslRows(o *org) []soql.Row {
	out := make([]soql.Row, 0, len(o.psls))
	for _, l := range o.psls {
		used := 0
		for _, a := range o.pslAssign {
			if a.psl == l {
				used++
			}
		}
		out = append(out, soql.Row{"Id": l.id, "DeveloperName": l.developerName, "MasterLabel": l.label,
			"PermissionSetLicenseKey": l.key, "Status": "Active", "TotalLicenses": int64(l.total), "UsedLicenses": int64(used),
			"CreatedDate": o.created, "LastModifiedDate": o.created, "SystemModstamp": o.created})
	}
	return out
}

func pslAssignRows(o *org) []soql.Row {
	out := make([]soql.Row, 0, len(o.pslAssign))
	for _, a := range o.pslAssign {
		out = append(out, soql.Row{"Id": a.id, "AssigneeId": a.user.id, "PermissionSetLicenseId": a.psl.id,
			"CreatedDate": a.user.created, "LastModifiedDate": a.user.created, "SystemModstamp": a.user.created})
	}
	return out
}

func licenseRows(o *org) []soql.Row {
	out := make([]soql.Row, 0, len(o.licenses))
	for _, l := range o.licenses {
		used := 0
		for _, u := range o.users {
			if u.profile.license == l && u.active {
				used++
			}
		}
		out = append(out, soql.Row{"Id": l.id, "Name": l.name, "MasterLabel": l.name, "LicenseDefinitionKey": l.key,
			"Status": "Active", "TotalLicenses": int64(l.total), "UsedLicenses": int64(used),
			"CreatedDate": o.created, "LastModifiedDate": o.created, "SystemModstamp": o.created})
	}
	return out
}

func objectPermRows(o *org) []soql.Row {
	var out []soql.Row
	for _, ps := range o.permSets {
		for _, name := range sortedKeys(ps.objects) {
			oa := ps.objects[name]
			out = append(out, soql.Row{"Id": oa.id, "ParentId": ps.id, "SobjectType": objectName(o, name),
				"PermissionsRead": oa.read, "PermissionsCreate": oa.create, "PermissionsEdit": oa.edit,
				"PermissionsDelete": oa.del, "PermissionsViewAllRecords": oa.viewAll, "PermissionsModifyAllRecords": oa.modifyAll,
				"CreatedDate": ps.created, "LastModifiedDate": ps.created, "SystemModstamp": ps.created})
		}
	}
	return out
}

// objectName returns the canonical name of an object known by lower-case name.
func objectName(o *org, lower string) string {
	if d := objects[lower]; d != nil {
		return d.schema.Name
	}
	if do := o.records[lower]; do != nil {
		return do.name
	}
	return lower
}

func historyRows(o *org) []soql.Row {
	out := make([]soql.Row, 0, len(o.history))
	for _, h := range o.history {
		out = append(out, soql.Row{"Id": h.id, "UserId": h.userID, "LoginTime": h.at, "LoginType": h.loginType,
			"SourceIp": h.sourceIP, "LoginUrl": h.loginURL, "TlsProtocol": h.tlsV, "CipherSuite": h.cipher,
			"Browser": h.browser, "Platform": h.platform, "Status": h.status, "Application": h.application,
			"ClientVersion": "N/A", "ApiType": orNA(h.apiType), "ApiVersion": h.apiVersion, "CountryIso": h.countryIso,
			"LoginSubType": nil, "AuthenticationServiceId": nil, "LoginGeoId": nil})
	}
	return out
}

func orNA(s string) string {
	if s == "" {
		return "N/A"
	}
	return s
}

func auditRows(o *org) []soql.Row {
	out := make([]soql.Row, 0, len(o.audit))
	for _, a := range o.audit {
		out = append(out, soql.Row{"Id": a.id, "Action": a.action, "Section": a.section, "Display": a.display,
			"CreatedDate": a.at, "CreatedById": a.byID, "DelegateUser": a.delegate})
	}
	return out
}

func appRows(o *org) []soql.Row {
	out := make([]soql.Row, 0, len(o.apps))
	for _, a := range o.apps {
		metric, period := "Infinite", int64(0)
		switch {
		case a.expireAfter > 0:
			metric, period = "Hours", int64(a.expireAfter/time.Hour)
		case a.idle > 0:
			metric, period = "Hours", int64(a.idle/time.Hour)
		}
		out = append(out, soql.Row{"Id": a.id, "Name": a.name, "OptionsAllowAdminApprovedUsersOnly": a.adminApproved,
			"OptionsHasSessionLevelPolicy": false, "OptionsRefreshTokenValidityMetric": metric,
			"RefreshTokenValidityPeriod": period, "MobileSessionTimeout": nil, "StartUrl": nil,
			"CreatedDate": a.created, "LastModifiedDate": a.created, "SystemModstamp": a.created})
	}
	return out
}

func oauthRows(o *org) []soql.Row {
	var out []soql.Row
	for _, t := range o.oauth {
		if t.revoked || t.rotated {
			continue
		}
		out = append(out, soql.Row{"Id": t.id, "UserId": t.user.id, "AppName": t.app.name, "AppMenuItemId": nil,
			"CreatedDate": t.issued, "LastUsedDate": t.lastUsed, "UseCount": int64(t.useCount)})
	}
	return out
}

func loginIPRows(o *org) []soql.Row {
	out := make([]soql.Row, 0, len(o.loginIPs))
	for _, l := range o.loginIPs {
		out = append(out, soql.Row{"Id": l.id, "UsersId": l.userID, "SourceIp": l.sourceIP, "IsAuthenticated": true,
			"CreatedDate": l.created, "ChallengeSentDate": l.created, "ChallengeMethod": "Email"})
	}
	return out
}

// view is an org seen by one user: the soql.Source queries run against.
type view struct {
	o *org
	u *user
}

// Object implements soql.Source. Objects the user may not see do not exist
// for it, as in Salesforce (INVALID_TYPE).
func (v view) Object(name string) (*soql.Object, bool) {
	lower := strings.ToLower(name)
	if d := objects[lower]; d != nil {
		if d.visible != nil && v.u != nil && !d.visible(v.u) {
			return nil, false
		}
		return d.schema, true
	}
	if do := v.o.records[lower]; do != nil {
		if v.u != nil && !v.u.objectAccess(do.name).read {
			return nil, false
		}
		return &soql.Object{Name: do.name, Fields: do.fields, Relationships: dataRelationships}, true
	}
	return nil, false
}

// Rows implements soql.Source.
func (v view) Rows(object string) []soql.Row { return v.o.rowsOf(object) }

// Lookup implements soql.Source.
func (v view) Lookup(object, id string) (soql.Row, bool) {
	v.o.rowsOf(object)
	row, ok := v.o.index[object][normID(id)]
	return row, ok
}

// rowsOf returns the cached rows of an object, building them after a change.
func (o *org) rowsOf(object string) []soql.Row {
	if rows, ok := o.rows[object]; ok {
		return rows
	}
	if o.rows == nil {
		o.rows, o.index = map[string][]soql.Row{}, map[string]map[string]soql.Row{}
	}
	var rows []soql.Row
	if d := objects[strings.ToLower(object)]; d != nil {
		rows = d.rows(o)
	} else if do := o.records[strings.ToLower(object)]; do != nil {
		rows = do.rows
	}
	idx := make(map[string]soql.Row, len(rows))
	for _, r := range rows {
		if id, ok := r["Id"].(string); ok {
			idx[id] = r
		}
	}
	o.rows[object], o.index[object] = rows, idx
	return rows
}

// dataRelationships are the parent relationships every business object has.
var dataRelationships = []soql.Relationship{rel("Owner", "OwnerId", "User"), rel("CreatedBy", "CreatedById", "User"),
	rel("LastModifiedBy", "LastModifiedById", "User")}

// standardDataFields are the fields every business object starts with.
func standardDataFields(name string) []soql.Field {
	fs := concat(fields(soql.TypeID, "Id", "OwnerId", "CreatedById", "LastModifiedById"), fields(soql.TypeString, "Name"),
		fields(soql.TypeBool, "IsDeleted"), fields(soql.TypeDateTime, "CreatedDate", "LastModifiedDate", "SystemModstamp"))
	if name == "Contact" {
		fs = append(fs, fields(soql.TypeString, "FirstName", "LastName", "Email")...)
		fs = append(fs, f("AccountId", soql.TypeID))
	}
	return fs
}

// ensureObject registers a business object (Account, Invoice__c, ...) in
// the org unless it is a built-in setup object.
func (s *Server) ensureObject(o *org, name string) *dataObject {
	lower := strings.ToLower(name)
	if objects[lower] != nil {
		return nil
	}
	if do := o.records[lower]; do != nil {
		return do
	}
	do := &dataObject{name: name, fields: standardDataFields(name)}
	o.records[lower] = do
	return do
}
