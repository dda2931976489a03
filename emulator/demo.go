package emulator

// The built-in demo seed: two orgs whose integration users show, between
// them, every state Warden has to recognise.

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"
)

// Org ids of the demo orgs (18-character form, valid checksums).
const (
	DemoAcmeOrgID   = "00D8c000006AcmeEAC"
	DemoGlobexOrgID = "00D8c000007GlbxEAC"
)

// Demo returns the built-in demo seed, with history relative to now, plus the
// RSA private key whose certificate is installed in the demo connected apps
// (for the JWT bearer flow).
//
// The key (2048-bit) and its self-signed certificate are generated on every
// call; everything else depends only on now. The seed has been validated, so
// defaults are filled in.
//
// Org "Acme Corp" (Enterprise, SOAP login allowed, passwords expire after 90
// days, lockout after 10 attempts):
//
//   - admin@acme.demo: System Administrator; the identity Warden monitors
//     with, through the connected app "Warden" (consumer key
//     warden-demo-acme, the demo certificate, all users permitted).
//   - invoice.sync@acme.demo: healthy and least-privileged: licence
//     "Salesforce Integration", profile "Minimum Access - API Only
//     Integrations", permission set Invoice_Sync_API with only API Enabled and
//     Account/Invoice__c access; a refresh token of app "Invoice Sync".
//   - gis.legacy@acme.demo: over-privileged: profile "Legacy Integration
//     (cloned admin)" with View All Data, Modify All Data and Manage Users,
//     switched to it 12 days ago (audit trail changedprofileforuser).
//   - marketing.sync@acme.demo: frozen 5 days ago (frozeuser); its attempts
//     since then are "User is Frozen".
//   - contracts.esign@acme.demo: its refresh token is about to expire: app
//     "Contract Signing" has refreshTokenPolicy {expireAfterHours: 720} and the
//     token was issued 719 hours ago.
//   - warehouse.batch@acme.demo: outside its login hours: profile "Batch
//     Window Integration" allows one hour a day, every day, 6 hours away from
//     now (UTC); its past logins fall inside that window.
//   - order.webhook@acme.demo: logs in per request: 3,300 successful logins in
//     the last 60 minutes, close to the 3,600 an hour Salesforce allows.
//   - legacy.soap@acme.demo: still on SOAP login(): LoginType "Partner
//     Product", ApiType "SOAP Partner"; the org still allows SOAP.
//   - etl.loader@acme.demo: password locked: an admin reset its password 20
//     minutes ago (resetpassword), the loader kept using the old one: 9
//     "Invalid Password" rows, then "Password Lockout".
//   - reporting.api@acme.demo: API permission missing: neither its profile
//     "Reporting Read Only" nor its permission set Reporting_Objects has API
//     Enabled since Reporting_API_Access was unassigned 3 days ago
//     (PermSetUnassign); its logins stop there.
//   - jwt.analytics@acme.demo: healthy JWT bearer user, created 25 days ago:
//     app "Analytics Loader" has the demo certificate and admin-approved users,
//     pre-authorized through permission set Analytics_Loader.
//
// Org "Globex Corporation" (Unlimited, SOAP login disabled):
//
//   - admin@globex.demo: System Administrator, app "Warden" with consumer key
//     warden-demo-globex and the demo certificate.
//   - erp.sync@globex.demo: healthy client-credentials run-as user of app "ERP
//     Sync" (which also has the demo certificate), created 12 days ago.
//   - support.bridge@globex.demo: deactivated 10 days ago (deactivateduser);
//     its attempts since then are "User is Inactive".
//   - hr.feed@globex.demo: password about to expire: last changed 83 days ago
//     under the org's 90-day policy, and its profile "Integration - Standard
//     Password Policy" lacks Password Never Expires.
//
// Every user has a password and security token (demoPassword and demoToken
// of its username) and login history over the last 30 days.
func Demo(now time.Time) (*Seed, *rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("emulator: demo key: %w", err)
	}
	cert, err := demoCertificate(key, now)
	if err != nil {
		return nil, nil, fmt.Errorf("emulator: demo certificate: %w", err)
	}
	s := demoSeed(now, cert)
	if err := s.Validate(); err != nil {
		return nil, nil, fmt.Errorf("emulator: demo seed: %w", err)
	}
	return s, key, nil
}

// demoCertificate returns a self-signed PEM certificate for key.
func demoCertificate(key *rsa.PrivateKey, now time.Time) (string, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial.Add(serial, big.NewInt(1)),
		Subject:               pkix.Name{CommonName: "Warden demo JWT signing", Organization: []string{"Warden demo"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

// demoPassword and demoToken are the fixed demo credentials of a user.
func demoPassword(username string) string {
	local, _, _ := strings.Cut(username, "@")
	return "Demo-" + local + "-Passw0rd!"
}

func demoToken(username string) string {
	sum := sha256.Sum256([]byte("warden-demo-token\x00" + username))
	return strings.ToUpper(hex.EncodeToString(sum[:]))[:24]
}

const demoDay = 24 * time.Hour

// demoBuilder accumulates one demo org.
type demoBuilder struct {
	now  time.Time
	cert string
	org  SeedOrg
}

func (b *demoBuilder) ago(d time.Duration) time.Time { return b.now.Add(-d) }

// user adds a user. The pointer is only valid until the next user call.
func (b *demoBuilder) user(username, first, last, profile string, permSets ...string) *SeedUser {
	b.org.Users = append(b.org.Users, SeedUser{
		Username: username, FirstName: first, LastName: last, Email: username,
		Profile: profile, PermissionSets: permSets,
		Password: demoPassword(username), SecurityToken: demoToken(username),
	})
	return &b.org.Users[len(b.org.Users)-1]
}

// app adds a connected app. The pointer is only valid until the next app call.
func (b *demoBuilder) app(name, key string) *SeedConnectedApp {
	b.org.ConnectedApps = append(b.org.ConnectedApps, SeedConnectedApp{
		Name: name, ConsumerKey: key, ConsumerSecret: key + "-secret",
		CallbackURL: "http://localhost:8080/oauth/callback",
	})
	return &b.org.ConnectedApps[len(b.org.ConnectedApps)-1]
}

func (b *demoBuilder) audit(at time.Time, action, display, by string) {
	b.org.AuditTrail = append(b.org.AuditTrail, SeedAuditTrailItem{Time: at, Action: action, Display: display, By: by})
}

func (b *demoBuilder) login(row SeedLoginHistory, at time.Time) {
	row.Time = at
	b.org.LoginHistory = append(b.org.LoginHistory, row)
}

// logins adds a row every step in [from, to), counting back from to, each
// moved earlier by a deterministic jitter of up to a quarter step.
func (b *demoBuilder) logins(row SeedLoginHistory, from, to time.Time, step time.Duration) {
	i := 0
	for t := to.Add(-step / 2); !t.Before(from); t = t.Add(-step) {
		at := t.Add(-demoJitter(row.User, i, step/4))
		if at.Before(from) {
			at = t
		}
		b.login(row, at)
		i++
	}
}

// daily adds a row every day of the last 30 at the given time of day (UTC).
func (b *demoBuilder) daily(row SeedLoginHistory, at time.Duration) {
	midnight := b.now.UTC().Truncate(demoDay)
	for d := 0; d <= 30; d++ {
		t := midnight.Add(-time.Duration(d) * demoDay).Add(at)
		if t.Before(b.now) && t.After(b.ago(30*demoDay)) {
			b.login(row, t)
		}
	}
}

func demoJitter(user string, i int, max time.Duration) time.Duration {
	if max <= time.Second {
		return 0
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", user, i))
	n := uint64(sum[0])<<24 | uint64(sum[1])<<16 | uint64(sum[2])<<8 | uint64(sum[3])
	return time.Duration(n%uint64(max/time.Second)) * time.Second
}

func (b *demoBuilder) finish() SeedOrg {
	sort.SliceStable(b.org.LoginHistory, func(i, j int) bool { return b.org.LoginHistory[i].Time.Before(b.org.LoginHistory[j].Time) })
	sort.SliceStable(b.org.AuditTrail, func(i, j int) bool { return b.org.AuditTrail[i].Time.Before(b.org.AuditTrail[j].Time) })
	return b.org
}

var demoAdminPermissions = []string{
	"ApiEnabled", "AssignPermissionSets", "AuthorApex", "CustomizeApplication", "DataExport", "EditTask",
	"ManageInternalUsers", "ManageIpAddresses", "ManageLoginAccessPolicies", "ManageProfilesPermissionsets",
	"ManageRemoteAccess", "ManageRoles", "ManageUsers", "ModifyAllData", "ModifyMetadata", "ResetPasswords",
	"RunReports", "TransferAnyEntity", "ViewAllData", "ViewEventLogFiles", "ViewSetup",
}

const (
	demoAdminProfile       = "System Administrator"
	demoIntegrationProfile = "Minimum Access - API Only Integrations"
	demoIntegrationLicense = "Salesforce Integration"
	demoAPIIntegrationPSL  = "Salesforce API Integration"
	demoClonedAdminProfile = "Legacy Integration (cloned admin)"
)

// demoSeed builds the demo seed around a given certificate, without
// validating it.
func demoSeed(now time.Time, cert string) *Seed {
	now = now.UTC()
	return &Seed{Orgs: []SeedOrg{demoAcme(now, cert), demoGlobex(now, cert)}}
}

func demoAcme(now time.Time, cert string) SeedOrg {
	b := &demoBuilder{now: now, cert: cert}
	b.org = SeedOrg{
		ID: DemoAcmeOrgID, Name: "Acme Corp", Edition: "Enterprise", DailyAPIRequests: 100000,
		Settings: SeedSettings{
			SOAPLoginAllowed: seedPtr(true), UsernamePasswordFlowAllowed: seedPtr(true),
			SessionTimeoutMinutes: 120, PasswordExpiresDays: seedPtr(90), MaxLoginAttempts: 10, LockoutMinutes: 15,
			TrustedIPRanges: []SeedIPRange{{Start: "127.0.0.1", End: "127.0.0.1"}, {Start: "10.0.0.0", End: "10.255.255.255"}},
		},
	}
	// State 7: a one-hour window 6 hours away from now, every day. The
	// window never crosses midnight: it ends at 23:59 when it starts at 23:00.
	startHour := (now.Hour() + 6) % 24
	window := fmt.Sprintf("%02d:00-%02d:00", startHour, startHour+1)
	if startHour == 23 {
		window = "23:00-23:59"
	}
	hours := map[string]string{}
	for _, day := range seedWeekdays {
		hours[day] = window
	}
	b.org.Profiles = []SeedProfile{
		{Name: demoAdminProfile, UserLicense: "Salesforce", Permissions: demoAdminPermissions},
		{Name: demoIntegrationProfile, UserLicense: demoIntegrationLicense, Permissions: []string{"ApiEnabled", "ApiUserOnly"}, PasswordNeverExpires: true},
		{Name: demoClonedAdminProfile, UserLicense: "Salesforce", PasswordNeverExpires: true, Permissions: []string{
			"ApiEnabled", "AuthorApex", "CustomizeApplication", "ManageUsers", "ModifyAllData", "PasswordNeverExpires",
			"ResetPasswords", "TransferAnyEntity", "ViewAllData", "ViewSetup"}},
		{Name: "Integration - API Only", UserLicense: "Salesforce", Permissions: []string{"ApiEnabled", "ApiUserOnly", "PasswordNeverExpires"}, PasswordNeverExpires: true},
		{Name: "Batch Window Integration", UserLicense: "Salesforce", Permissions: []string{"ApiEnabled", "ApiUserOnly", "PasswordNeverExpires"}, PasswordNeverExpires: true, LoginHours: hours},
		{Name: "Reporting Read Only", UserLicense: "Salesforce", Permissions: []string{"RunReports"}, PasswordNeverExpires: true},
	}
	b.org.PermissionSets = []SeedPermissionSet{
		{Name: "Invoice_Sync_API", Label: "Invoice Sync API", License: demoAPIIntegrationPSL, Permissions: []string{"ApiEnabled"},
			Objects: map[string][]string{"Account": {"Read"}, "Invoice__c": {"Read", "Create", "Edit"}}},
		{Name: "Analytics_Loader", Label: "Analytics Loader", License: demoAPIIntegrationPSL, Permissions: []string{"ApiEnabled"},
			Objects: map[string][]string{"Account": {"Read"}, "Opportunity": {"Read"}}},
		{Name: "GIS_Sync", Label: "GIS Sync", Objects: map[string][]string{"Account": {"Read", "Edit"}}},
		{Name: "Marketing_Sync", Label: "Marketing Sync", Objects: map[string][]string{
			"Campaign": {"Read"}, "Contact": {"Read", "Create", "Edit"}, "Lead": {"Read", "Create", "Edit"}}},
		{Name: "Contract_Signing", Label: "Contract Signing", Objects: map[string][]string{"Contract": {"Read", "Edit"}}},
		{Name: "Warehouse_Batch", Label: "Warehouse Batch", Objects: map[string][]string{"Product2": {"Read", "Edit"}}},
		{Name: "Order_Webhooks", Label: "Order Webhooks", Objects: map[string][]string{"Order": {"Read", "Create", "Edit"}}},
		{Name: "Legacy_SOAP_ETL", Label: "Legacy SOAP ETL", Objects: map[string][]string{"Account": {"Read", "Create", "Edit"}, "Contact": {"Read", "Create", "Edit"}}},
		{Name: "ETL_Loader", Label: "ETL Loader", Objects: map[string][]string{"Account": {"Read", "Create", "Edit"}, "Opportunity": {"Read", "Create", "Edit"}}},
		{Name: "Reporting_Objects", Label: "Reporting Objects", Objects: map[string][]string{"Account": {"Read"}, "Opportunity": {"Read"}}},
		{Name: "Reporting_API_Access", Label: "Reporting API Access", Permissions: []string{"ApiEnabled"}},
	}

	const admin = "admin@acme.demo"
	a := b.user(admin, "Acme", "Administrator", demoAdminProfile)
	a.LastPasswordChange = seedPtr(b.ago(30 * demoDay))
	b.daily(SeedLoginHistory{User: admin, LoginType: "Application", SourceIP: "203.0.113.10", Application: "Browser"}, 9*time.Hour+5*time.Minute)
	warden := b.app("Warden", "warden-demo-acme")
	warden.Certificate, warden.PermittedUsers = cert, "all"

	// 1. Healthy, least-privileged.
	b.user("invoice.sync@acme.demo", "Invoice", "Sync", demoIntegrationProfile, "Invoice_Sync_API")
	b.app("Invoice Sync", "demo-acme-invoice-sync")
	b.org.RefreshTokens = append(b.org.RefreshTokens, SeedRefreshToken{User: "invoice.sync@acme.demo", App: "Invoice Sync",
		Token: "5Aep861DemoAcmeInvoiceSyncRefreshToken01", IssuedAt: seedPtr(b.ago(45 * demoDay))})
	b.logins(SeedLoginHistory{User: "invoice.sync@acme.demo", SourceIP: "198.51.100.11", Application: "Invoice Sync"},
		b.ago(30*demoDay), now, 4*time.Hour)

	// 2. Cloned from an admin profile.
	b.user("gis.legacy@acme.demo", "GIS", "Legacy", demoClonedAdminProfile, "GIS_Sync")
	b.app("GIS Sync", "demo-acme-gis-sync")
	b.logins(SeedLoginHistory{User: "gis.legacy@acme.demo", SourceIP: "198.51.100.12", Application: "GIS Sync"},
		b.ago(30*demoDay), now, 6*time.Hour)
	b.audit(b.ago(12*demoDay), "changedprofileforuser",
		"Changed profile for user gis.legacy@acme.demo from "+demoIntegrationProfile+" to "+demoClonedAdminProfile, admin)

	// 3. Frozen.
	frozenAt := b.ago(5*demoDay + 3*time.Hour)
	u := b.user("marketing.sync@acme.demo", "Marketing", "Sync", "Integration - API Only", "Marketing_Sync")
	u.Frozen = true
	b.app("Marketing Sync", "demo-acme-marketing-sync")
	b.org.RefreshTokens = append(b.org.RefreshTokens, SeedRefreshToken{User: "marketing.sync@acme.demo", App: "Marketing Sync",
		Token: "5Aep861DemoAcmeMarketingSyncRefreshToken1", IssuedAt: seedPtr(b.ago(60 * demoDay))})
	row := SeedLoginHistory{User: "marketing.sync@acme.demo", SourceIP: "198.51.100.13", Application: "Marketing Sync"}
	b.logins(row, b.ago(30*demoDay), frozenAt, 6*time.Hour)
	row.Status = "User is Frozen"
	b.logins(row, frozenAt.Add(time.Minute), now, 6*time.Hour)
	b.audit(frozenAt, "frozeuser", "Froze user marketing.sync@acme.demo", admin)

	// 6. Refresh token about to expire (720-hour policy, issued 719 hours ago).
	b.user("contracts.esign@acme.demo", "Contracts", "eSign", "Integration - API Only", "Contract_Signing")
	app := b.app("Contract Signing", "demo-acme-contract-signing")
	app.RefreshTokenPolicy = RefreshTokenPolicy{ExpireAfterHours: 720}
	issued := b.ago(719 * time.Hour)
	b.org.RefreshTokens = append(b.org.RefreshTokens, SeedRefreshToken{User: "contracts.esign@acme.demo", App: "Contract Signing",
		Token: "5Aep861DemoAcmeContractSigningRefreshTok1", IssuedAt: &issued})
	b.logins(SeedLoginHistory{User: "contracts.esign@acme.demo", SourceIP: "198.51.100.14", Application: "Contract Signing"},
		issued, now, 12*time.Hour)

	// 7. Outside its login hours (see the profile above).
	b.user("warehouse.batch@acme.demo", "Warehouse", "Batch", "Batch Window Integration", "Warehouse_Batch")
	b.app("Warehouse Batch", "demo-acme-warehouse-batch")
	b.daily(SeedLoginHistory{User: "warehouse.batch@acme.demo", SourceIP: "198.51.100.15", Application: "Warehouse Batch"},
		time.Duration(startHour)*time.Hour+10*time.Minute)

	// 8. Logging in per request: 3,300 logins in the last hour, evenly spread.
	b.user("order.webhook@acme.demo", "Order", "Webhook", "Integration - API Only", "Order_Webhooks")
	b.app("Order Webhooks", "demo-acme-order-webhooks")
	row = SeedLoginHistory{User: "order.webhook@acme.demo", SourceIP: "198.51.100.16", Application: "Order Webhooks"}
	b.logins(row, b.ago(30*demoDay), b.ago(time.Hour), 6*time.Hour)
	const burst = 3300
	for i := 1; i <= burst; i++ {
		b.login(row, now.Add(-time.Duration(i)*time.Hour/(burst+1)))
	}

	// 9. Still on SOAP login().
	u = b.user("legacy.soap@acme.demo", "Legacy", "SOAP", "Integration - API Only", "Legacy_SOAP_ETL")
	changed := b.ago(15 * demoDay)
	u.LastPasswordChange = &changed
	b.logins(SeedLoginHistory{User: "legacy.soap@acme.demo", LoginType: "Partner Product", APIType: "SOAP Partner",
		SourceIP: "198.51.100.17", Application: "N/A"}, b.ago(30*demoDay), now, 6*time.Hour)
	b.audit(changed, "changedpassword", "Changed password for user legacy.soap@acme.demo", admin)

	// 10. Password locked after a reset the loader did not pick up.
	reset := b.ago(20 * time.Minute)
	u = b.user("etl.loader@acme.demo", "ETL", "Loader", "Integration - API Only", "ETL_Loader")
	u.PasswordLocked = true
	u.LastPasswordChange = &reset
	b.app("ETL Loader", "demo-acme-etl-loader")
	row = SeedLoginHistory{User: "etl.loader@acme.demo", SourceIP: "198.51.100.18", Application: "ETL Loader"}
	b.logins(row, b.ago(30*demoDay), reset, time.Hour)
	b.audit(reset, "resetpassword", "Reset password for user etl.loader@acme.demo", admin)
	row.Status = "Invalid Password"
	for i := range 9 { // the 10th attempt locks the password
		b.login(row, b.ago(15*time.Minute-time.Duration(i)*time.Minute))
	}
	row.Status = "Password Lockout"
	for _, ago := range []time.Duration{6 * time.Minute, 4 * time.Minute, 2 * time.Minute} {
		b.login(row, b.ago(ago))
	}

	// 11. API permission missing.
	unassigned := b.ago(3*demoDay + 2*time.Hour)
	b.user("reporting.api@acme.demo", "Reporting", "API", "Reporting Read Only", "Reporting_Objects")
	b.app("Reporting Connector", "demo-acme-reporting-connector")
	b.logins(SeedLoginHistory{User: "reporting.api@acme.demo", SourceIP: "198.51.100.19", Application: "Reporting Connector"},
		b.ago(30*demoDay), unassigned, 6*time.Hour)
	b.audit(unassigned, "PermSetUnassign", "Permission set Reporting_API_Access: unassigned from user reporting.api@acme.demo", admin)

	// 12a. Healthy JWT bearer user.
	created := b.ago(25 * demoDay)
	b.user("jwt.analytics@acme.demo", "Analytics", "Loader", demoIntegrationProfile, "Analytics_Loader")
	app = b.app("Analytics Loader", "demo-acme-analytics-loader")
	app.Certificate, app.PermittedUsers, app.PreAuthorizedPermSets = cert, "admin_approved", []string{"Analytics_Loader"}
	b.logins(SeedLoginHistory{User: "jwt.analytics@acme.demo", SourceIP: "198.51.100.20", Application: "Analytics Loader"},
		created.Add(time.Hour), now, 2*time.Hour)
	b.audit(created, "createduser", "Created new user jwt.analytics@acme.demo", admin)
	b.audit(created.Add(5*time.Minute), "PermSetAssign", "Permission set Analytics_Loader: assigned to user jwt.analytics@acme.demo", admin)
	return b.finish()
}

func demoGlobex(now time.Time, cert string) SeedOrg {
	b := &demoBuilder{now: now, cert: cert}
	b.org = SeedOrg{
		ID: DemoGlobexOrgID, Name: "Globex Corporation", Edition: "Unlimited", DailyAPIRequests: 50000,
		Settings: SeedSettings{
			SOAPLoginAllowed: seedPtr(false), UsernamePasswordFlowAllowed: seedPtr(true),
			SessionTimeoutMinutes: 120, PasswordExpiresDays: seedPtr(90), MaxLoginAttempts: 10, LockoutMinutes: 15,
			TrustedIPRanges: []SeedIPRange{{Start: "127.0.0.1", End: "127.0.0.1"}},
		},
	}
	b.org.Profiles = []SeedProfile{
		{Name: demoAdminProfile, UserLicense: "Salesforce", Permissions: demoAdminPermissions},
		{Name: demoIntegrationProfile, UserLicense: demoIntegrationLicense, Permissions: []string{"ApiEnabled", "ApiUserOnly"}, PasswordNeverExpires: true},
		{Name: "Integration - Standard Password Policy", UserLicense: "Salesforce", Permissions: []string{"ApiEnabled"}},
		{Name: "Support Integration", UserLicense: "Salesforce", Permissions: []string{"ApiEnabled", "ApiUserOnly", "PasswordNeverExpires"}, PasswordNeverExpires: true},
	}
	b.org.PermissionSets = []SeedPermissionSet{
		{Name: "ERP_Sync", Label: "ERP Sync", License: demoAPIIntegrationPSL, Permissions: []string{"ApiEnabled"},
			Objects: map[string][]string{"Account": {"Read", "Edit"}, "Order": {"Read", "Create", "Edit"}, "Product2": {"Read"}}},
		{Name: "HR_Feed", Label: "HR Feed", Objects: map[string][]string{"Contact": {"Read", "Create", "Edit"}}},
		{Name: "Support_Bridge", Label: "Support Bridge", Objects: map[string][]string{"Case": {"Read", "Create", "Edit"}}},
	}

	const admin = "admin@globex.demo"
	a := b.user(admin, "Globex", "Administrator", demoAdminProfile)
	a.LastPasswordChange = seedPtr(b.ago(40 * demoDay))
	b.daily(SeedLoginHistory{User: admin, LoginType: "Application", SourceIP: "203.0.113.20", Application: "Browser"}, 8*time.Hour+40*time.Minute)
	warden := b.app("Warden", "warden-demo-globex")
	warden.Certificate, warden.PermittedUsers = cert, "all"

	// 12b. Healthy client-credentials run-as user.
	created := b.ago(12 * demoDay)
	b.user("erp.sync@globex.demo", "ERP", "Sync", demoIntegrationProfile, "ERP_Sync")
	app := b.app("ERP Sync", "demo-globex-erp-sync")
	app.Certificate, app.ClientCredentialsUser = cert, "erp.sync@globex.demo"
	b.logins(SeedLoginHistory{User: "erp.sync@globex.demo", SourceIP: "198.51.100.31", Application: "ERP Sync"},
		created.Add(time.Hour), now, 3*time.Hour)
	b.audit(created, "createduser", "Created new user erp.sync@globex.demo", admin)
	b.audit(created.Add(3*time.Minute), "PermSetAssign", "Permission set ERP_Sync: assigned to user erp.sync@globex.demo", admin)

	// 4. Deactivated.
	deactivated := b.ago(10*demoDay + 5*time.Hour)
	u := b.user("support.bridge@globex.demo", "Support", "Bridge", "Support Integration", "Support_Bridge")
	u.Active = seedPtr(false)
	b.app("Support Bridge", "demo-globex-support-bridge")
	b.org.RefreshTokens = append(b.org.RefreshTokens, SeedRefreshToken{User: "support.bridge@globex.demo", App: "Support Bridge",
		Token: "5Aep861DemoGlobexSupportBridgeRefreshTok1", IssuedAt: seedPtr(b.ago(90 * demoDay))})
	row := SeedLoginHistory{User: "support.bridge@globex.demo", SourceIP: "198.51.100.32", Application: "Support Bridge"}
	b.logins(row, b.ago(30*demoDay), deactivated, 6*time.Hour)
	row.Status = "User is Inactive"
	b.logins(row, deactivated.Add(time.Minute), now, 6*time.Hour)
	b.audit(deactivated, "deactivateduser", "Deactivated user support.bridge@globex.demo", admin)

	// 5. Password expiring in about 7 days (83 of 90 days used).
	u = b.user("hr.feed@globex.demo", "HR", "Feed", "Integration - Standard Password Policy", "HR_Feed")
	u.LastPasswordChange = seedPtr(b.ago(83 * demoDay))
	b.app("HR Feed", "demo-globex-hr-feed")
	b.daily(SeedLoginHistory{User: "hr.feed@globex.demo", SourceIP: "198.51.100.33", Application: "HR Feed"}, time.Hour+30*time.Minute)
	return b.finish()
}

// DemoPassword returns the fixed, public password of a demo user.
func DemoPassword(username string) string { return demoPassword(username) }

// DemoToken returns the fixed, public security token of a demo user.
func DemoToken(username string) string { return demoToken(username) }

// DemoCredential says how an application of the demo logs in as a demo
// integration user, so Warden's demo configuration can check it.
type DemoCredential struct {
	Org      string // org name
	Username string
	// Kind is jwt, client_credentials, refresh_token or password.
	Kind string
	// ClientID is the connected app's consumer key ("" for SOAP login).
	ClientID string
	// Secret is the secret material: the consumer secret
	// (client_credentials), the refresh token, or password + security token;
	// empty for jwt (the demo key signs).
	Secret string
	// ClientSecret is the consumer secret for refresh and password grants.
	ClientSecret string
}

// DemoCredentials lists the credential of every demo integration user.
func DemoCredentials() []DemoCredential {
	const acme, globex = "Acme Corp", "Globex Corporation"
	pw := func(org, user, key string) DemoCredential {
		c := DemoCredential{Org: org, Username: user, Kind: "password", ClientID: key, Secret: demoPassword(user) + demoToken(user)}
		if key != "" {
			c.ClientSecret = key + "-secret"
		}
		return c
	}
	rt := func(user, key, token string) DemoCredential {
		return DemoCredential{Org: acme, Username: user, Kind: "refresh_token", ClientID: key, Secret: token, ClientSecret: key + "-secret"}
	}
	return []DemoCredential{
		rt("invoice.sync@acme.demo", "demo-acme-invoice-sync", "5Aep861DemoAcmeInvoiceSyncRefreshToken01"),
		pw(acme, "gis.legacy@acme.demo", "demo-acme-gis-sync"),
		rt("marketing.sync@acme.demo", "demo-acme-marketing-sync", "5Aep861DemoAcmeMarketingSyncRefreshToken1"),
		rt("contracts.esign@acme.demo", "demo-acme-contract-signing", "5Aep861DemoAcmeContractSigningRefreshTok1"),
		pw(acme, "warehouse.batch@acme.demo", "demo-acme-warehouse-batch"),
		pw(acme, "order.webhook@acme.demo", "demo-acme-order-webhooks"),
		pw(acme, "legacy.soap@acme.demo", ""),
		pw(acme, "etl.loader@acme.demo", "demo-acme-etl-loader"),
		pw(acme, "reporting.api@acme.demo", "demo-acme-reporting-connector"),
		{Org: acme, Username: "jwt.analytics@acme.demo", Kind: "jwt", ClientID: "demo-acme-analytics-loader"},
		{Org: globex, Username: "erp.sync@globex.demo", Kind: "client_credentials", ClientID: "demo-globex-erp-sync", Secret: "demo-globex-erp-sync-secret"},
		pw(globex, "support.bridge@globex.demo", "demo-globex-support-bridge"),
		pw(globex, "hr.feed@globex.demo", "demo-globex-hr-feed"),
	}
}
