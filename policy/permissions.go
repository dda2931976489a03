package policy

import (
	"sort"
	"strings"
)

// permissionLabels are the system permissions Warden reads, by the name of
// their Profile / PermissionSet field without the "Permissions" prefix
// (ApiEnabled is PermissionsApiEnabled), with their Setup labels. Every
// name is a real PermissionSet field (the same list the emulator serves);
// labels are for reports only.
var permissionLabels = map[string]string{
	"ActivateContract":             "Activate Contracts",
	"ActivateOrder":                "Activate Orders",
	"ApexRestServices":             "Apex REST Services",
	"ApiEnabled":                   "API Enabled",
	"ApiUserOnly":                  "API Only User",
	"AssignPermissionSets":         "Assign Permission Sets",
	"AuthorApex":                   "Author Apex",
	"BulkApiHardDelete":            "Bulk API Hard Delete",
	"BypassMFAForUiLogins":         "Waive Multi-Factor Authentication for Exempt Users",
	"ChatterInternalUser":          "Chatter Internal User",
	"ClientSecretRotation":         "Rotate Connected App Consumer Secrets",
	"ConvertLeads":                 "Convert Leads",
	"CreateCustomizeDashboards":    "Create and Customize Dashboards",
	"CreateCustomizeFilters":       "Create and Customize List Views",
	"CreateCustomizeReports":       "Create and Customize Reports",
	"CustomizeApplication":         "Customize Application",
	"DataExport":                   "Weekly Data Export",
	"DelegatedTwoFactor":           "Manage Multi-Factor Authentication in User Interface",
	"DeployChangeSets":             "Deploy Change Sets",
	"EditEvent":                    "Edit Events",
	"EditPublicDocuments":          "Manage Public Documents",
	"EditReadonlyFields":           "Edit Read Only Fields",
	"EditTask":                     "Edit Tasks",
	"EmailMass":                    "Mass Email",
	"EmailSingle":                  "Send Email",
	"ExportReport":                 "Export Reports",
	"ForceTwoFactor":               "Multi-Factor Authentication for User Interface Logins",
	"ImportCustomObjects":          "Import Custom Objects",
	"ImportLeads":                  "Import Leads",
	"InstallPackaging":             "Download AppExchange Packages",
	"LightningExperienceUser":      "Lightning Experience User",
	"ManageAuthProviders":          "Manage Auth. Providers",
	"ManageCertificates":           "Manage Certificates",
	"ManageCustomPermissions":      "Manage Custom Permissions",
	"ManageDataIntegrations":       "Manage Data Integrations",
	"ManageEncryptionKeys":         "Manage Encryption Keys",
	"ManageHealthCheck":            "Manage Health Check",
	"ManageInternalUsers":          "Manage Internal Users",
	"ManageIpAddresses":            "Manage IP Addresses",
	"ManageLoginAccessPolicies":    "Manage Login Access Policies",
	"ManagePasswordPolicies":       "Manage Password Policies",
	"ManageProfilesPermissionsets": "Manage Profiles and Permission Sets",
	"ManageReleaseUpdates":         "Manage Release Updates",
	"ManageRemoteAccess":           "Manage Connected Apps",
	"ManageRoles":                  "Manage Roles",
	"ManageSessionPermissionSets":  "Manage Session Permission Set Activations",
	"ManageSharing":                "Manage Sharing",
	"ManageTwoFactor":              "Manage Multi-Factor Authentication in API",
	"ManageUsers":                  "Manage Users",
	"ModifyAllData":                "Modify All Data",
	"ModifyMetadata":               "Modify Metadata Through Metadata API Functions",
	"PasswordNeverExpires":         "Password Never Expires",
	"QueryAllFiles":                "Query All Files",
	"ResetPasswords":               "Reset User Passwords and Unlock Users",
	"RunFlow":                      "Run Flows",
	"RunReports":                   "Run Reports",
	"ScheduleReports":              "Schedule Reports",
	"SkipIdentityConfirmation":     "Skip Identity Confirmation",
	"TransactionSecurityExempt":    "Exempt from Transaction Security",
	"TransferAnyEntity":            "Transfer Record",
	"TwoFactorApi":                 "Multi-Factor Authentication for API Logins",
	"ViewAllActivities":            "View All Activities",
	"ViewAllData":                  "View All Data",
	"ViewAllProfiles":              "View All Profiles",
	"ViewAllUsers":                 "View All Users",
	"ViewDataLeakageEvents":        "View Threat Detection Events",
	"ViewEncryptedData":            "View Encrypted Data",
	"ViewEventLogFiles":            "View Event Log Files",
	"ViewHealthCheck":              "View Health Check",
	"ViewPlatformEvents":           "View Platform Events",
	"ViewRoles":                    "View Roles and Role Hierarchy",
	"ViewSetup":                    "View Setup and Configuration",
	"ViewUserPII":                  "View User PII",
}

// permissionNames is the sorted catalogue.
var permissionNames = func() []string {
	out := make([]string, 0, len(permissionLabels))
	for n := range permissionLabels {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}()

// KnownPermissions returns the names of the system permissions Warden knows and
// reads (field names without the "Permissions" prefix), sorted.
func KnownPermissions() []string { return append([]string(nil), permissionNames...) }

// PermissionLabel returns the Setup label of a system permission ("Modify
// All Data" for ModifyAllData), or the name itself when it is unknown.
func PermissionLabel(name string) string {
	if l, ok := permissionLabels[name]; ok {
		return l
	}
	return name
}

// knownPermission reports whether name is in the catalogue.
func knownPermission(name string) bool {
	_, ok := permissionLabels[name]
	return ok
}

// Access is a set of object permissions.
type Access uint8

// Object permissions, as on ObjectPermissions (PermissionsRead, ...).
const (
	AccessRead Access = 1 << iota
	AccessCreate
	AccessEdit
	AccessDelete
	AccessViewAll
	AccessModifyAll
)

var accessNames = []struct {
	a     Access
	name  string
	field string
}{
	{AccessRead, "Read", "PermissionsRead"},
	{AccessCreate, "Create", "PermissionsCreate"},
	{AccessEdit, "Edit", "PermissionsEdit"},
	{AccessDelete, "Delete", "PermissionsDelete"},
	{AccessViewAll, "ViewAll", "PermissionsViewAllRecords"},
	{AccessModifyAll, "ModifyAll", "PermissionsModifyAllRecords"},
}

// ParseAccess reads one object permission name (Read, Create, Edit, Delete,
// ViewAll, ModifyAll; case-insensitive).
func ParseAccess(s string) (Access, bool) {
	for _, n := range accessNames {
		if strings.EqualFold(n.name, s) || strings.EqualFold(n.field, s) {
			return n.a, true
		}
	}
	return 0, false
}

// AccessOf parses a list of object permission names, ignoring unknown ones,
// and closes the result under Salesforce's implications.
func AccessOf(names []string) Access {
	var a Access
	for _, n := range names {
		if x, ok := ParseAccess(n); ok {
			a |= x
		}
	}
	return a.Closed()
}

// Closed adds the permissions Salesforce requires alongside those in a:
// every permission needs Read, Delete needs Edit, Modify All needs Edit,
// Delete and View All.
func (a Access) Closed() Access {
	if a == 0 {
		return 0
	}
	a |= AccessRead
	if a&AccessModifyAll != 0 {
		a |= AccessEdit | AccessDelete | AccessViewAll
	}
	if a&AccessDelete != 0 {
		a |= AccessEdit
	}
	return a
}

// Has reports whether every permission of b is in a.
func (a Access) Has(b Access) bool { return a&b == b }

// Names lists the permissions in a, in the canonical order.
func (a Access) Names() []string {
	var out []string
	for _, n := range accessNames {
		if a&n.a != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// String is "Read, Edit" (or "none").
func (a Access) String() string {
	if a == 0 {
		return "none"
	}
	return strings.Join(a.Names(), ", ")
}

// fields returns the ObjectPermissions booleans for a.
func (a Access) fields() map[string]any {
	out := make(map[string]any, len(accessNames))
	for _, n := range accessNames {
		out[n.field] = a&n.a != 0
	}
	return out
}
