package emulator

import (
	"slices"
	"strconv"
	"strings"
)

// SystemPermissions lists the system permissions a seed may grant, by the
// name of their Profile / PermissionSet field without the "Permissions"
// prefix: "ApiEnabled" is the field PermissionsApiEnabled. It is sorted
// (byte order) so IsSystemPermission can search it; keep it sorted.
//
// Every name was confirmed as a PermissionSet field in client code generated
// from a real org's describe (API v39 and v57 models), except DeployChangeSets,
// which was seen only in a third-party permission audit tool. The UI label
// "Weekly Data Export" is the field PermissionsDataExport, so its name here is
// DataExport.
var SystemPermissions = []string{
	"ActivateContract",
	"ActivateOrder",
	"ApexRestServices",
	"ApiEnabled",
	"ApiUserOnly",
	"AssignPermissionSets",
	"AuthorApex",
	"BulkApiHardDelete",
	"BypassMFAForUiLogins",
	"ChatterInternalUser",
	"ClientSecretRotation",
	"ConvertLeads",
	"CreateCustomizeDashboards",
	"CreateCustomizeFilters",
	"CreateCustomizeReports",
	"CustomizeApplication",
	"DataExport",
	"DelegatedTwoFactor",
	"DeployChangeSets",
	"EditEvent",
	"EditPublicDocuments",
	"EditReadonlyFields",
	"EditTask",
	"EmailMass",
	"EmailSingle",
	"ExportReport",
	"ForceTwoFactor",
	"ImportCustomObjects",
	"ImportLeads",
	"InstallPackaging",
	"LightningExperienceUser",
	"ManageAuthProviders",
	"ManageCertificates",
	"ManageCustomPermissions",
	"ManageDataIntegrations",
	"ManageEncryptionKeys",
	"ManageHealthCheck",
	"ManageInternalUsers",
	"ManageIpAddresses",
	"ManageLoginAccessPolicies",
	"ManagePasswordPolicies",
	"ManageProfilesPermissionsets",
	"ManageReleaseUpdates",
	"ManageRemoteAccess",
	"ManageRoles",
	"ManageSessionPermissionSets",
	"ManageSharing",
	"ManageTwoFactor",
	"ManageUsers",
	"ModifyAllData",
	"ModifyMetadata",
	"PasswordNeverExpires",
	"QueryAllFiles",
	"ResetPasswords",
	"RunFlow",
	"RunReports",
	"ScheduleReports",
	"SkipIdentityConfirmation",
	"TransactionSecurityExempt",
	"TransferAnyEntity",
	"TwoFactorApi",
	"ViewAllActivities",
	"ViewAllData",
	"ViewAllProfiles",
	"ViewAllUsers",
	"ViewDataLeakageEvents",
	"ViewEncryptedData",
	"ViewEventLogFiles",
	"ViewHealthCheck",
	"ViewPlatformEvents",
	"ViewRoles",
	"ViewSetup",
	"ViewUserPII",
}

// ObjectPermissionNames are the object permissions a seed may grant on an
// object (the ObjectPermissions fields PermissionsRead, PermissionsCreate, ...
// without the prefix).
var ObjectPermissionNames = []string{"Read", "Create", "Edit", "Delete", "ViewAll", "ModifyAll"}

// IsSystemPermission reports whether name is in SystemPermissions
// (case-sensitive, without the "Permissions" prefix).
func IsSystemPermission(name string) bool {
	_, ok := slices.BinarySearch(SystemPermissions, name)
	return ok
}

// seedPermissionAliases maps names people write for a permission to its
// field name, for error hints only.
var seedPermissionAliases = map[string]string{
	"WeeklyDataExport": "DataExport",
	"APIEnabled":       "ApiEnabled",
	"APIOnlyUser":      "ApiUserOnly",
	"ApiOnlyUser":      "ApiUserOnly",
}

// seedPermissionHint returns a parenthesised hint for an unknown system
// permission name, or "".
func seedPermissionHint(name string) string {
	if alias, ok := seedPermissionAliases[name]; ok {
		return " (did you mean " + strconv.Quote(alias) + "?)"
	}
	if rest, ok := strings.CutPrefix(name, "Permissions"); ok && IsSystemPermission(rest) {
		return " (write it without the \"Permissions\" prefix: " + strconv.Quote(rest) + ")"
	}
	if s := seedSuggest(name, SystemPermissions); s != "" {
		return " (did you mean " + strconv.Quote(s) + "?)"
	}
	return ""
}
