package emulator

import "time"

// Seed is the initial state of an emulator: every org it serves, with
// profiles, permission sets, users, connected apps and pre-issued refresh
// tokens. Its YAML/JSON form is documented in docs/emulator.md and is exactly
// the format of shared/examples/emulator-seed.yaml.
type Seed struct {
	Orgs []SeedOrg `yaml:"orgs" json:"orgs"`
}

// SeedOrg is one org in a Seed.
type SeedOrg struct {
	ID               string               `yaml:"id" json:"id"` // 18 chars starting 00D; generated when empty
	Name             string               `yaml:"name" json:"name"`
	Edition          string               `yaml:"edition" json:"edition"`                   // default "Enterprise"
	DailyAPIRequests int                  `yaml:"dailyApiRequests" json:"dailyApiRequests"` // default 100000
	Settings         SeedSettings         `yaml:"settings" json:"settings"`
	Profiles         []SeedProfile        `yaml:"profiles" json:"profiles"`
	PermissionSets   []SeedPermissionSet  `yaml:"permissionSets" json:"permissionSets"`
	Users            []SeedUser           `yaml:"users" json:"users"`
	ConnectedApps    []SeedConnectedApp   `yaml:"connectedApps" json:"connectedApps"`
	RefreshTokens    []SeedRefreshToken   `yaml:"refreshTokens" json:"refreshTokens"`
	LoginHistory     []SeedLoginHistory   `yaml:"loginHistory" json:"loginHistory"`
	AuditTrail       []SeedAuditTrailItem `yaml:"auditTrail" json:"auditTrail"`
}

// SeedSettings are org-wide security settings.
type SeedSettings struct {
	SOAPLoginAllowed            *bool         `yaml:"soapLoginAllowed" json:"soapLoginAllowed"`                       // default true
	UsernamePasswordFlowAllowed *bool         `yaml:"usernamePasswordFlowAllowed" json:"usernamePasswordFlowAllowed"` // default true
	SessionTimeoutMinutes       int           `yaml:"sessionTimeoutMinutes" json:"sessionTimeoutMinutes"`             // default 120
	PasswordExpiresDays         *int          `yaml:"passwordExpiresDays" json:"passwordExpiresDays"`                 // default 90; 0 = never
	MaxLoginAttempts            int           `yaml:"maxLoginAttempts" json:"maxLoginAttempts"`                       // default 10
	LockoutMinutes              int           `yaml:"lockoutMinutes" json:"lockoutMinutes"`                           // default 15
	TrustedIPRanges             []SeedIPRange `yaml:"trustedIpRanges" json:"trustedIpRanges"`
}

// SeedIPRange is an inclusive IPv4 or IPv6 address range.
type SeedIPRange struct {
	Start string `yaml:"start" json:"start"`
	End   string `yaml:"end" json:"end"`
}

// SeedProfile is a profile. Permissions are system permission names without
// the "Permissions" prefix (ApiEnabled, ModifyAllData, ...).
type SeedProfile struct {
	Name                 string              `yaml:"name" json:"name"`
	UserLicense          string              `yaml:"userLicense" json:"userLicense"` // default "Salesforce"
	Permissions          []string            `yaml:"permissions" json:"permissions"`
	Objects              map[string][]string `yaml:"objects" json:"objects"` // object -> [Read, Create, Edit, Delete, ViewAll, ModifyAll]
	PasswordNeverExpires bool                `yaml:"passwordNeverExpires" json:"passwordNeverExpires"`
	LoginIPRanges        []SeedIPRange       `yaml:"loginIpRanges" json:"loginIpRanges"`
	LoginHours           map[string]string   `yaml:"loginHours" json:"loginHours"` // weekday (lower case) -> "HH:MM-HH:MM"; days absent = no login that day, map absent = any time
}

// SeedPermissionSet is a permission set not owned by a profile.
type SeedPermissionSet struct {
	Name        string              `yaml:"name" json:"name"`
	Label       string              `yaml:"label" json:"label"`     // default Name
	License     string              `yaml:"license" json:"license"` // permission set licence; empty = none
	Permissions []string            `yaml:"permissions" json:"permissions"`
	Objects     map[string][]string `yaml:"objects" json:"objects"`
}

// SeedUser is a user.
type SeedUser struct {
	Username           string     `yaml:"username" json:"username"`
	FirstName          string     `yaml:"firstName" json:"firstName"`
	LastName           string     `yaml:"lastName" json:"lastName"` // default: part of username before '@'
	Email              string     `yaml:"email" json:"email"`       // default Username
	Profile            string     `yaml:"profile" json:"profile"`
	PermissionSets     []string   `yaml:"permissionSets" json:"permissionSets"`
	Password           string     `yaml:"password" json:"password"`
	SecurityToken      string     `yaml:"securityToken" json:"securityToken"`
	Frozen             bool       `yaml:"frozen" json:"frozen"`
	Active             *bool      `yaml:"active" json:"active"` // default true
	PasswordLocked     bool       `yaml:"passwordLocked" json:"passwordLocked"`
	LastPasswordChange *time.Time `yaml:"lastPasswordChange" json:"lastPasswordChange"` // default: emulator start
}

// SeedConnectedApp is a connected app (OAuth client).
type SeedConnectedApp struct {
	Name                  string             `yaml:"name" json:"name"`
	ConsumerKey           string             `yaml:"consumerKey" json:"consumerKey"`
	ConsumerSecret        string             `yaml:"consumerSecret" json:"consumerSecret"`
	CallbackURL           string             `yaml:"callbackUrl" json:"callbackUrl"`
	Certificate           string             `yaml:"certificate" json:"certificate"`       // PEM; empty = JWT bearer refused
	PermittedUsers        string             `yaml:"permittedUsers" json:"permittedUsers"` // "all" (default) | "admin_approved"
	PreAuthorizedProfiles []string           `yaml:"preAuthorizedProfiles" json:"preAuthorizedProfiles"`
	PreAuthorizedPermSets []string           `yaml:"preAuthorizedPermissionSets" json:"preAuthorizedPermissionSets"`
	RefreshTokenPolicy    RefreshTokenPolicy `yaml:"refreshTokenPolicy" json:"refreshTokenPolicy"`
	RotateRefreshTokens   bool               `yaml:"rotateRefreshTokens" json:"rotateRefreshTokens"`
	ClientCredentialsUser string             `yaml:"clientCredentialsUser" json:"clientCredentialsUser"`
}

// RefreshTokenPolicy says how long refresh tokens of a connected app live.
// In YAML it is either the string "valid_until_revoked" or a map with one of
// expireAfterHours / idleHours.
type RefreshTokenPolicy struct {
	ExpireAfterHours int `json:"expireAfterHours,omitempty"` // 0 = no absolute expiry
	IdleHours        int `json:"idleHours,omitempty"`        // 0 = no idle expiry
}

// SeedRefreshToken is a refresh token issued before the emulator starts, as
// after a completed web-server authorization.
type SeedRefreshToken struct {
	User     string     `yaml:"user" json:"user"`
	App      string     `yaml:"app" json:"app"`
	Token    string     `yaml:"token" json:"token"`
	IssuedAt *time.Time `yaml:"issuedAt" json:"issuedAt"` // default: emulator start
}

// SeedLoginHistory is a LoginHistory row to preload.
type SeedLoginHistory struct {
	User        string    `yaml:"user" json:"user"`
	Time        time.Time `yaml:"time" json:"time"`
	Status      string    `yaml:"status" json:"status"`           // default "Success"
	LoginType   string    `yaml:"loginType" json:"loginType"`     // default "Remote Access 2.0"
	APIType     string    `yaml:"apiType" json:"apiType"`         // default ""
	SourceIP    string    `yaml:"sourceIp" json:"sourceIp"`       // default "127.0.0.1"
	Application string    `yaml:"application" json:"application"` // default ""
}

// SeedAuditTrailItem is a SetupAuditTrail row to preload.
type SeedAuditTrailItem struct {
	Time    time.Time `yaml:"time" json:"time"`
	Action  string    `yaml:"action" json:"action"`
	Section string    `yaml:"section" json:"section"` // default "Manage Users"
	Display string    `yaml:"display" json:"display"`
	By      string    `yaml:"by" json:"by"` // username of the admin; default: first user with ManageUsers
}
