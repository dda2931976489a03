package emulator

import (
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden/emulator/soql"
)

// objectDef is an sObject type the emulator serves: its fields, who may see
// it, and where its rows come from. The SOQL schema and describe are
// derived from fields (see schema.go).
type objectDef struct {
	name, label, plural, prefix string
	fields                      []fieldDef
	byLower                     map[string]*fieldDef
	schema                      *soql.Object
	visible                     func(u *user) bool // nil: every API user (stored objects: the object's Read permission)
	rows                        func(o *org) []soql.Row
	// ops are the writes the object accepts (writes.go): c(reate),
	// u(pdate), d(elete).
	ops string
	// stored objects keep the records written through the API (Account,
	// Contact, custom objects) in org.records.
	stored bool
	// custom objects (X__c) learn custom fields (Y__c) from writes.
	custom bool
	// writePerm, when set, is the system permission a write to a stored
	// object needs instead of the object's Create/Edit/Delete permission.
	writePerm string
	// defaults are the values a create fills in when the body has none.
	defaults map[string]any
	// tooling objects are served by the Tooling API too.
	tooling bool
}

// sfTime is the form Salesforce uses for datetimes in JSON and SOAP.
const sfTime = "2006-01-02T15:04:05.000+0000"

// objects are the built-in sObject types, keyed by lower-case name.
var objects = map[string]*objectDef{}

func define(d *objectDef, spec ...string) {
	d.fields = parseFields(strings.Join(spec, "\n"))
	if d.label == "" {
		d.label = d.name
	}
	if d.plural == "" {
		d.plural = d.label + "s"
	}
	d.finish()
	objects[strings.ToLower(d.name)] = d
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

// permissionSpec is the Permissions* checkbox of every system permission.
func permissionSpec(flags string) string {
	var b strings.Builder
	for i, p := range SystemPermissions {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("Permissions" + p)
	}
	return b.String() + " boolean " + flags
}

// Field specifications shared by several objects.
const (
	idSpec        = "Id id"
	isDeletedSpec = "IsDeleted boolean ro"
	ownerSpec     = "OwnerId ref nn ref:User/Owner"
	addressSpec   = `%[1]sStreet textarea(255)
%[1]sCity string(40)
%[1]sState string(80)
%[1]sPostalCode string(20)
%[1]sCountry string(80)`
)

func address(prefix string) string { return fmt.Sprintf(addressSpec, prefix) }

// customFieldsSpec are the fields every custom object starts with.
const customFieldsSpec = idSpec + "\n" + isDeletedSpec + "\nName string(80) req\n" + ownerSpec + auditFields

func init() {
	all := func(*user) bool { return true }
	define(&objectDef{name: "Organization", prefix: prefixOrg, rows: orgRows}, idSpec, `
Name string(80)
InstanceName string(5)
NamespacePrefix string(15)
OrganizationType,TimeZoneSidKey,LanguageLocaleKey,DefaultLocaleSidKey picklist
Division,Country string(80)
IsSandbox boolean
TrialExpirationDate datetime`, auditFields)
	define(&objectDef{name: "User", prefix: prefixUser, ops: "cu", tooling: true, rows: userRows}, idSpec, `
Username string(80) req
LastName string(80) req
FirstName string(40)
MiddleName string(40)
Name string(121) ro
Email email(128) req
Alias string(8) req
CommunityNickname string(40)
Title string(80)
CompanyName,Department,Division string(80)
EmployeeNumber string(20)
Phone,MobilePhone,Fax phone(40)
Extension string(40)
AboutMe textarea(1000)
IsActive boolean
ProfileId ref req ref:Profile
UserRoleId ref ref:UserRole
ManagerId ref ref:User/Manager
DelegatedApproverId ref
UserType picklist ro
FederationIdentifier string(512)
TimeZoneSidKey,LocaleSidKey,EmailEncodingKey,LanguageLocaleKey picklist req
UserPermissionsMarketingUser,UserPermissionsOfflineUser,UserPermissionsMobileUser,UserPermissionsSFContentUser boolean
UserPermissionsKnowledgeUser,UserPermissionsInteractionUser,UserPermissionsSupportUser boolean
LastLoginDate,LastPasswordChangeDate datetime ro`, address(""), auditFields)
	define(&objectDef{name: "UserLogin", label: "User Login", prefix: prefixUserLogin, ops: "u", rows: userLoginRows,
		visible: needs("ManageUsers", "ManageInternalUsers")}, idSpec, `
UserId ref ro ref:User
IsFrozen,IsPasswordLocked boolean
LastModifiedDate datetime ro nn
LastModifiedById ref ro nn ref:User`)
	define(&objectDef{name: "UserRole", label: "Role", prefix: prefixUserRole, ops: "cud", stored: true, visible: all, writePerm: "ManageUsers"}, idSpec, `
Name string(80) req
DeveloperName string(80)
ParentRoleId ref ref:UserRole/ParentRole
RollupDescription string(80)
OpportunityAccessForAccountOwner,CaseAccessForAccountOwner,ContactAccessForAccountOwner picklist
PortalType picklist ro`, auditFields)
	define(&objectDef{name: "Profile", prefix: prefixProfile, tooling: true, rows: profileRows}, idSpec, `
Name string(255)
UserLicenseId ref ref:UserLicense
UserType picklist
Description textarea(255)`, auditFields, permissionSpec(""))
	define(&objectDef{name: "PermissionSet", label: "Permission Set", prefix: prefixPermissionSet, ops: "cud", tooling: true, rows: permSetRows}, idSpec, `
Name string(80) co req
Label string(80) req
LicenseId ref co ref:PermissionSetLicense/License
ProfileId ref ro ref:Profile
PermissionSetGroupId ref ro
NamespacePrefix string(15) ro
Type picklist ro
Description textarea(255)
IsOwnedByProfile,IsCustom,HasActivationRequired boolean ro`, auditFields, permissionSpec(""))
	define(&objectDef{name: "PermissionSetAssignment", label: "Permission Set Assignment", prefix: prefixAssignment, ops: "cd",
		tooling: true, rows: assignmentRows}, idSpec, `
AssigneeId ref co req ref:User/Assignee
PermissionSetId ref co req ref:PermissionSet
PermissionSetGroupId ref ro
IsActive boolean ro
ExpirationDate datetime ro
SystemModstamp datetime ro nn`)
	define(&objectDef{name: "PermissionSetLicense", label: "Permission Set License", prefix: prefixPSL, rows: pslRows}, idSpec, `
DeveloperName,MasterLabel string(80)
PermissionSetLicenseKey string(255)
Status picklist
TotalLicenses,UsedLicenses int
ExpirationDate date`, auditFields)
	define(&objectDef{name: "PermissionSetLicenseAssign", label: "Permission Set License Assignment", prefix: prefixPSLAssign,
		ops: "cd", rows: pslAssignRows}, idSpec, `
AssigneeId ref co req ref:User/Assignee
PermissionSetLicenseId ref co req ref:PermissionSetLicense`, auditFields)
	define(&objectDef{name: "UserLicense", label: "User License", prefix: prefixUserLicense, rows: licenseRows}, idSpec, `
Name,MasterLabel,LicenseDefinitionKey string(80)
Status picklist
TotalLicenses,UsedLicenses int`, auditFields)
	define(&objectDef{name: "ObjectPermissions", label: "Object Permissions", plural: "Object Permissions", prefix: prefixObjectPermission,
		ops: "cud", rows: objectPermRows}, idSpec, `
ParentId ref co req ref:PermissionSet/Parent
SobjectType picklist(40) co req
PermissionsRead,PermissionsCreate,PermissionsEdit,PermissionsDelete,PermissionsViewAllRecords,PermissionsModifyAllRecords boolean`, auditFields)
	define(&objectDef{name: "LoginHistory", label: "Login History", plural: "Login History", prefix: prefixLoginHistory, rows: historyRows,
		visible: needs("ManageUsers", "ManageInternalUsers", "ViewAllData")}, idSpec, `
UserId ref ro ref:User
AuthenticationServiceId,LoginGeoId ref ro
LoginType picklist ro
SourceIp string(39) ro
LoginUrl string(120) ro
TlsProtocol,CipherSuite picklist ro
Browser,Platform,ClientVersion,ApiType,ApiVersion string(64) ro
Status string(128) ro
Application string(255) ro
CountryIso picklist ro
LoginSubType picklist ro
LoginTime datetime ro nn`)
	define(&objectDef{name: "SetupAuditTrail", label: "Setup Audit Trail", plural: "Setup Audit Trail", prefix: prefixAuditTrail, rows: auditRows,
		visible: needs("ViewSetup", "ManageUsers")}, idSpec, `
Action,Section string(120) ro
Display string(1000) ro
DelegateUser string(80) ro
ResponsibleNamespacePrefix string(15) ro
CreatedByContext,CreatedByIssuer string(255) ro
CreatedDate datetime ro nn
CreatedById ref ro ref:User`)
	define(&objectDef{name: "ConnectedApplication", label: "Connected Application", prefix: prefixConnectedApp, rows: appRows,
		visible: needs("ViewSetup", "ManageUsers")}, idSpec, `
Name string(255)
OptionsRefreshTokenValidityMetric picklist
StartUrl url(255)
OptionsAllowAdminApprovedUsersOnly,OptionsHasSessionLevelPolicy boolean
RefreshTokenValidityPeriod,MobileSessionTimeout int`, auditFields)
	define(&objectDef{name: "OauthToken", label: "OAuth Token", prefix: prefixOauthToken, rows: oauthRows, visible: needs("ManageUsers")}, idSpec, `
UserId ref ref:User
AppMenuItemId ref
AppName string(255)
CreatedDate,LastUsedDate datetime
UseCount int`)
	define(&objectDef{name: "LoginIp", label: "Login IP", prefix: prefixLoginIP, rows: loginIPRows, visible: needs("ManageUsers")}, idSpec, `
UsersId ref ref:User/Users
SourceIp string(39)
ChallengeMethod string(40)
IsAuthenticated boolean
CreatedDate,ChallengeSentDate datetime`)
	define(&objectDef{name: "ApexClass", label: "Apex Class", prefix: prefixApexClass, tooling: true, rows: noRows}, idSpec, `
NamespacePrefix string(15)
Name string(255)
ApiVersion double
Status picklist
IsValid boolean
BodyCrc double
Body textarea(1000000)
LengthWithoutComments int
ManageableState picklist`, auditFields)
	define(&objectDef{name: "ApexTrigger", label: "Apex Trigger", prefix: prefixApexTrigger, tooling: true, rows: noRows}, idSpec, `
NamespacePrefix string(15)
Name string(255)
TableEnumOrId picklist(40)
ApiVersion double
Status picklist
IsValid boolean
Body textarea(1000000)
LengthWithoutComments int
ManageableState picklist`, auditFields)

	// Business objects: their records are stored as written.
	define(&objectDef{name: "Account", prefix: prefixAccount, ops: "cud", stored: true}, idSpec, isDeletedSpec, `
Name string(255) req
Type picklist pick:Prospect|Customer_-_Direct|Customer_-_Channel|Channel_Partner_/_Reseller|Installation_Partner|Technology_Partner|Other
ParentId ref ref:Account/Parent
Phone,Fax phone(40)
AccountNumber string(40)
Website url(255)
Industry picklist pick:Agriculture|Banking|Chemicals|Communications|Construction|Education|Electronics|Energy|Engineering|Finance|Government|Healthcare|Insurance|Manufacturing|Media|Retail|Technology|Telecommunications|Transportation|Utilities|Other
AnnualRevenue currency
NumberOfEmployees int
Description textarea(32000)`, address("Billing"), address("Shipping"), ownerSpec, auditFields)
	define(&objectDef{name: "Contact", prefix: prefixContact, ops: "cud", stored: true}, idSpec, isDeletedSpec, `
AccountId ref ref:Account
LastName string(80) req
FirstName string(40)
Salutation picklist pick:Mr.|Ms.|Mrs.|Dr.|Prof.
Name string(121) ro
Title string(128)
Department string(80)
Email email(80)
Phone,MobilePhone phone(40)
Birthdate date
LeadSource picklist pick:Web|Phone_Inquiry|Partner_Referral|Purchased_List|Other
ReportsToId ref ref:Contact/ReportsTo
Description textarea(32000)`, address("Mailing"), ownerSpec, auditFields)
	define(&objectDef{name: "Opportunity", plural: "Opportunities", prefix: prefixOpportunity, ops: "cud", stored: true,
		defaults: map[string]any{"IsClosed": false, "IsWon": false}}, idSpec, isDeletedSpec, `
AccountId ref ref:Account
Name string(120) req
StageName picklist(255) req pick:Prospecting|Qualification|Needs_Analysis|Value_Proposition|Proposal/Price_Quote|Negotiation/Review|Closed_Won|Closed_Lost
CloseDate date req
Amount currency
Probability percent
Type picklist pick:Existing_Customer_-_Upgrade|Existing_Customer_-_Replacement|Existing_Customer_-_Downgrade|New_Customer
LeadSource picklist pick:Web|Phone_Inquiry|Partner_Referral|Purchased_List|Other
NextStep string(255)
Description textarea(32000)
IsClosed,IsWon boolean ro`, ownerSpec, auditFields)
	define(&objectDef{name: "Case", prefix: prefixCase, ops: "cud", stored: true,
		defaults: map[string]any{"Status": "New", "Priority": "Medium", "IsClosed": false}}, idSpec, isDeletedSpec, `
CaseNumber string(30) ro nn
AccountId ref ref:Account
ContactId ref ref:Contact
Subject string(255)
Description textarea(32000)
Status picklist nn pick:New|Working|Escalated|Closed
Priority picklist pick:High|Medium|Low
Origin picklist pick:Phone|Email|Web
Type picklist pick:Mechanical|Electrical|Electronic|Structural|Other
Reason picklist
SuppliedEmail email(80)
IsClosed boolean ro
ClosedDate datetime ro`, ownerSpec, auditFields)
	define(&objectDef{name: "Lead", prefix: prefixLead, ops: "cud", stored: true,
		defaults: map[string]any{"Status": "Open - Not Contacted", "IsConverted": false}}, idSpec, isDeletedSpec, `
LastName string(80) req
FirstName string(40)
Name string(121) ro
Company string(255) req
Title string(128)
Email email(80)
Phone phone(40)
Status picklist nn pick:Open_-_Not_Contacted|Working_-_Contacted|Closed_-_Converted|Closed_-_Not_Converted
LeadSource picklist pick:Web|Phone_Inquiry|Partner_Referral|Purchased_List|Other
Industry picklist
Rating picklist pick:Hot|Warm|Cold
Description textarea(32000)
IsConverted boolean ro`, address(""), ownerSpec, auditFields)
}

func noRows(*org) []soql.Row { return nil }

// can reports whether the object accepts a write: 'c', 'u' or 'd'.
func (d *objectDef) can(op byte) bool { return strings.IndexByte(d.ops, op) >= 0 }

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
		for k, v := range u.extra {
			out[len(out)-1][k] = v
		}
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
		for k, v := range ps.extra {
			row[k] = v
		}
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
	// all includes deleted records (queryAll).
	all bool
	// tooling restricts the objects to those of the Tooling API.
	tooling bool
}

// def returns the definition of an object known by lower-case name: a
// built-in one or a custom object of the org.
func (o *org) def(lower string) *objectDef {
	if d := objects[lower]; d != nil {
		return d
	}
	if do := o.records[lower]; do != nil {
		return do.def
	}
	return nil
}

// Object implements soql.Source. Objects the user may not see do not exist
// for it, as in Salesforce (INVALID_TYPE).
func (v view) Object(name string) (*soql.Object, bool) {
	d := v.o.def(strings.ToLower(name))
	if d == nil || v.tooling && !d.tooling || !v.visible(d) {
		return nil, false
	}
	return d.schema, true
}

// visible reports whether the view's user may see an object.
func (v view) visible(d *objectDef) bool {
	switch {
	case v.u == nil:
		return true
	case d.visible != nil:
		return d.visible(v.u)
	case d.stored:
		return v.u.objectAccess(d.name).read
	}
	return true
}

// Rows implements soql.Source.
func (v view) Rows(object string) []soql.Row {
	if v.all {
		return v.o.allRowsOf(object)
	}
	return v.o.rowsOf(object)
}

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
	if do := o.records[strings.ToLower(object)]; do != nil {
		rows = do.rows
	} else if d := objects[strings.ToLower(object)]; d != nil && d.rows != nil {
		rows = d.rows(o)
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

// allRowsOf returns the rows of an object and its deleted records (the
// recycle bin), for queryAll.
func (o *org) allRowsOf(object string) []soql.Row {
	do := o.records[strings.ToLower(object)]
	if do == nil || len(do.deleted) == 0 {
		return o.rowsOf(object)
	}
	key := object + "\x00all"
	if rows, ok := o.rows[key]; ok {
		return rows
	}
	live := o.rowsOf(object)
	rows := make([]soql.Row, 0, len(live)+len(do.deleted))
	rows = append(append(rows, live...), do.deleted...)
	o.rows[key] = rows
	return rows
}

// ensureObject registers a business object (Account, Invoice__c, ...) in
// the org unless it is a built-in setup object.
func (s *Server) ensureObject(o *org, name string) *dataObject {
	lower := strings.ToLower(name)
	if d := objects[lower]; d != nil && !d.stored {
		return nil
	}
	if do := o.records[lower]; do != nil {
		return do
	}
	d := objects[lower]
	if d == nil {
		d = &objectDef{name: name, label: strings.ReplaceAll(strings.TrimSuffix(name, "__c"), "_", " "), ops: "cud", stored: true,
			custom: true, prefix: fmt.Sprintf("a%02d", o.customObjects), fields: parseFields(customFieldsSpec)}
		d.plural = d.label + "s"
		o.customObjects++
		d.finish()
	}
	do := &dataObject{name: d.name, def: d}
	o.records[lower] = do
	return do
}
