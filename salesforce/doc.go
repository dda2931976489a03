// Package salesforce is Warden's typed Salesforce client: every OAuth 2.0
// grant Salesforce offers (JWT bearer, client credentials, refresh token,
// authorization code with PKCE, and the retiring username-password flow and
// SOAP login()), sessions that log in once and share the token, the REST
// calls Warden needs (query with paging, composite, sObject rows, the user
// password resource, limits, userinfo, identity, revoke, introspect), the
// CometD streaming API for User change events, and typed failures: every
// error is an *Error that carries Salesforce's raw code and message and the
// precise health cause (warden.Cause) it proves.
//
// A Client holds configuration only and makes no calls by itself. A Session
// pairs a Client with an Authenticator, logs in on first use, reuses the
// token until Salesforce rejects it, re-authenticates once on
// INVALID_SESSION_ID, retries transient failures with backoff, and tracks
// the org's daily API usage from the Sforce-Limit-Info header.
//
// # Readers
//
// Every record Warden reads has a typed Reader: Users, UserLogins,
// PermissionSetAssignments, PermissionSets, ObjectPermissions,
// LoginHistory (warden.Login), SetupAuditTrail (warden.SetupChange),
// OAuthTokens, ConnectedApps, PermissionSetLicenses and
// PermissionSetLicenseAssignments. A reader runs on its own (Read) or goes
// into a Batch, which sends many readers in one composite request; either
// way one paging loop, the one behind Session.Query, reads further pages.
// Values go into SOQL only through Quote, QuoteList and DateTime, and a
// login status maps to a cause only through LoginStatusCause.
//
// # Causes
//
// Error.Cause is decided from what Salesforce answered (DESIGN.md §6):
//
//	user_deactivated          invalid_grant "inactive user"; LoginHistory "User is Inactive"
//	user_frozen               (generic at login) UserLogin.IsFrozen, LoginHistory "User is Frozen" via Diagnose
//	password_locked           SOAP PASSWORD_LOCKOUT; UserLogin.IsPasswordLocked / "Password Lockout" via Diagnose
//	password_expired          SOAP passwordExpired=true; INVALID_OPERATION_WITH_EXPIRED_PASSWORD; "Password Expired" via Diagnose
//	login_rate_exceeded       rate_limit_exceeded; SOAP login REQUEST_LIMIT_EXCEEDED; "Login Rate Exceeded"
//	credential_rejected       "authentication failure", invalid_client(_id), INVALID_LOGIN, invalid/expired assertion,
//	                          "Audience validation failed", "no client credentials user enabled", INVALID_SESSION_ID
//	security_token_required   LOGIN_MUST_USE_SECURITY_TOKEN; "API security token required"
//	refresh_token_revoked     invalid_grant "expired access/refresh token"
//	app_not_approved          invalid_grant "user hasn't approved this consumer"
//	ip_or_hours_restricted    "IP restricted or invalid login hours"; LOGIN_DURING_RESTRICTED_DOMAIN/TIME
//	api_permission_missing    API_CURRENTLY_DISABLED, API_DISABLED_FOR_ORG
//	object_permission_missing INSUFFICIENT_ACCESS(_OR_READONLY), INVALID_TYPE
//	legacy_auth_disabled      SOAP "login() is disabled", UNSUPPORTED_API_VERSION at login, "Username-Password Flow Disabled"
//	org_unavailable           inactive_org, 5xx, timeouts, dropped connections, malformed bodies
//	api_limit_exhausted       REQUEST_LIMIT_EXCEEDED, HTTP 429, Sforce-Limit-Info at the cap
//
// Other failures (a malformed query, a missing record, a canceled context)
// carry warden.CauseNone and a warden error kind from the HTTP status.
package salesforce
