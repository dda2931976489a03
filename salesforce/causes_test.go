package salesforce_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/salesforce"
)

// causeCase puts the emulator into a state and checks the cause the client
// reports for it, with Salesforce's raw code and message.
type causeCase struct {
	name  string
	cause warden.Cause
	edit  func(*emulator.Seed) // seed change, optional
	setup func(e *env)         // control-API changes, optional
	run   func(ctx context.Context, e *env) error
	// status, code and msg are the raw HTTP status, code and message
	// (msg is a prefix; diagnosed errors append evidence).
	status int
	code   string
	msg    string
	// evidence must appear in the message (diagnosed rows).
	evidence string
	kind     string // warden error kind
}

// diagnosed runs login and, on failure, Diagnose with an admin session.
func diagnosed(username string, login func(ctx context.Context, e *env) error) func(ctx context.Context, e *env) error {
	return func(ctx context.Context, e *env) error {
		err := login(ctx, e)
		if err == nil {
			return nil
		}
		if se, ok := err.(*salesforce.Error); !ok || se.Cause != warden.CauseCredentialRejected {
			return err // Diagnose is only needed for the generic answer; keep the row honest
		}
		return salesforce.Diagnose(ctx, e.admin(), username, err)
	}
}

func jwtLogin(username string) func(ctx context.Context, e *env) error {
	return func(ctx context.Context, e *env) error {
		_, err := e.c.JWTBearer(ctx, e.jwtGrant(username))
		return err
	}
}

func passwordLogin(username, password string) func(ctx context.Context, e *env) error {
	return func(ctx context.Context, e *env) error {
		//lint:ignore SA1019 the legacy flow is under test
		_, err := e.c.PasswordGrant(ctx, wardenKey, wardenSecret, username, password)
		return err
	}
}

func soapLogin(username, password string) func(ctx context.Context, e *env) error {
	return func(ctx context.Context, e *env) error {
		_, _, err := e.c.SOAPLogin(ctx, username, password)
		return err
	}
}

func query(username, soql string) func(ctx context.Context, e *env) error {
	return func(ctx context.Context, e *env) error {
		_, err := e.jwtSession(username).Query(ctx, soql, nil)
		return err
	}
}

const (
	authFailure   = "authentication failure"
	ipOrHours     = "IP restricted or invalid login hours"
	invalidLogin  = "Invalid username, password, security token; or user locked out."
	mustUseToken  = "Invalid username, password, security token; or user locked out. Are you at a new location?"
	wrongPassword = "Wr0ng-Passw0rd!"
)

var causeCases = []causeCase{
	{name: "user_deactivated/jwt", cause: warden.CauseUserDeactivated,
		setup:  func(e *env) { e.patchUser(integUser, map[string]any{"active": false}) },
		run:    jwtLogin(integUser),
		status: 400, code: "invalid_grant", msg: "inactive user", kind: warden.EUNAUTHORIZED},
	{name: "user_deactivated/rest-after-login", cause: warden.CauseUserDeactivated,
		run: func(ctx context.Context, e *env) error {
			s := e.jwtSession(integUser)
			if _, err := s.Query(ctx, "SELECT Id FROM Account", nil); err != nil {
				return err
			}
			e.patchUser(integUser, map[string]any{"active": false})
			_, err := s.Query(ctx, "SELECT Id FROM Account", nil) // 401, log in again: inactive user
			return err
		},
		status: 400, code: "invalid_grant", msg: "inactive user", kind: warden.EUNAUTHORIZED},
	{name: "user_frozen/jwt+diagnose", cause: warden.CauseUserFrozen,
		setup:  func(e *env) { e.patchUser(integUser, map[string]any{"frozen": true}) },
		run:    diagnosed(integUser, jwtLogin(integUser)),
		status: 400, code: "invalid_grant", msg: authFailure, evidence: "UserLogin.IsFrozen=true", kind: warden.EUNAUTHORIZED},
	{name: "user_frozen/soap+diagnose", cause: warden.CauseUserFrozen,
		setup:  func(e *env) { e.patchUser(legacyUser, map[string]any{"frozen": true}) },
		run:    diagnosed(legacyUser, soapLogin(legacyUser, legacyPass+legacyToken)),
		status: 500, code: "INVALID_LOGIN", msg: invalidLogin, evidence: `"User is Frozen"`, kind: warden.EUNAUTHORIZED},
	{name: "password_locked/flag+diagnose", cause: warden.CausePasswordLocked,
		setup:  func(e *env) { e.patchUser(legacyUser, map[string]any{"passwordLocked": true}) },
		run:    diagnosed(legacyUser, passwordLogin(legacyUser, legacyPass+legacyToken)),
		status: 400, code: "invalid_grant", msg: authFailure, evidence: "UserLogin.IsPasswordLocked=true", kind: warden.EUNAUTHORIZED},
	{name: "password_locked/bad-passwords+diagnose", cause: warden.CausePasswordLocked,
		run: diagnosed(legacyUser, func(ctx context.Context, e *env) error {
			var err error
			for range 3 { // maxLoginAttempts: 3
				_, _, err = e.c.SOAPLogin(ctx, legacyUser, wrongPassword)
			}
			return err
		}),
		status: 500, code: "INVALID_LOGIN", msg: invalidLogin, evidence: `"Password Lockout"`, kind: warden.EUNAUTHORIZED},
	{name: "password_expired/soap", cause: warden.CausePasswordExpired,
		setup: func(e *env) { e.patchUser(legacyUser, map[string]any{"passwordExpired": true}) },
		run: func(ctx context.Context, e *env) error {
			//lint:ignore SA1019 the legacy flow is under test
			_, err := (&salesforce.SOAPAuth{Client: e.c, Username: legacyUser, Password: legacyPass + legacyToken}).Authenticate(ctx)
			return err
		},
		status: 200, code: "passwordExpired", msg: "SOAP login() answered passwordExpired=true", kind: warden.EUNAUTHORIZED},
	{name: "password_expired/rest-with-expired-session", cause: warden.CausePasswordExpired,
		setup: func(e *env) { e.patchUser(legacyUser, map[string]any{"passwordExpired": true}) },
		run: func(ctx context.Context, e *env) error {
			tok, expired, err := e.c.SOAPLogin(ctx, legacyUser, legacyPass+legacyToken)
			if err != nil || !expired {
				e.t.Fatalf("SOAPLogin: expired=%t err=%v, want expired", expired, err)
			}
			s := salesforce.NewSession(e.c, salesforce.AuthFunc(func(context.Context) (*salesforce.Token, error) { return tok, nil }))
			_, err = s.Query(ctx, "SELECT Id FROM User", nil)
			return err
		},
		status: 403, code: "INVALID_OPERATION_WITH_EXPIRED_PASSWORD",
		msg: "The users password has expired, you must call SetPassword before attempting any other API operations", kind: warden.EUNAUTHORIZED},
	{name: "password_expired/password-grant+diagnose", cause: warden.CausePasswordExpired,
		setup:  func(e *env) { e.patchUser(legacyUser, map[string]any{"passwordExpired": true}) },
		run:    diagnosed(legacyUser, passwordLogin(legacyUser, legacyPass+legacyToken)),
		status: 400, code: "invalid_grant", msg: authFailure, evidence: "password isExpired=true", kind: warden.EUNAUTHORIZED},
	{name: "login_rate_exceeded/jwt", cause: warden.CauseLoginRateExceeded,
		setup: func(e *env) {
			e.control(http.MethodPost, "orgs/"+orgName+"/users/"+integUser+"/logins", map[string]int{"count": 3601})
		},
		run:    jwtLogin(integUser),
		status: 400, code: "rate_limit_exceeded", msg: "Number of logins exceeded", kind: warden.EUNAVAILABLE},
	{name: "login_rate_exceeded/soap", cause: warden.CauseLoginRateExceeded,
		setup: func(e *env) {
			e.control(http.MethodPost, "orgs/"+orgName+"/users/"+legacyUser+"/logins", map[string]int{"count": 3601})
		},
		run:    soapLogin(legacyUser, legacyPass+legacyToken),
		status: 500, code: "REQUEST_LIMIT_EXCEEDED", msg: "Login rate exceeded for this user", kind: warden.EUNAVAILABLE},
	{name: "credential_rejected/wrong-password+diagnose", cause: warden.CauseCredentialRejected,
		run:    diagnosed(legacyUser, passwordLogin(legacyUser, wrongPassword)),
		status: 400, code: "invalid_grant", msg: authFailure, evidence: `"Invalid Password"`, kind: warden.EUNAUTHORIZED},
	{name: "credential_rejected/soap-invalid-login", cause: warden.CauseCredentialRejected,
		run:    soapLogin(legacyUser, wrongPassword),
		status: 500, code: "INVALID_LOGIN", msg: invalidLogin, kind: warden.EUNAUTHORIZED},
	{name: "credential_rejected/client-secret", cause: warden.CauseCredentialRejected,
		run: func(ctx context.Context, e *env) error {
			_, err := e.c.ClientCredentials(ctx, wardenKey, "not-the-secret")
			return err
		},
		status: 400, code: "invalid_client", msg: "invalid client credentials", kind: warden.EUNAUTHORIZED},
	{name: "credential_rejected/client-id", cause: warden.CauseCredentialRejected,
		run: func(ctx context.Context, e *env) error {
			_, err := e.c.ClientCredentials(ctx, "no-such-app", wardenSecret)
			return err
		},
		status: 400, code: "invalid_client_id", msg: "client identifier invalid", kind: warden.EUNAUTHORIZED},
	{name: "credential_rejected/jwt-audience", cause: warden.CauseCredentialRejected,
		run: func(ctx context.Context, e *env) error {
			g := e.jwtGrant(integUser)
			g.Audience = "https://elsewhere.example.com"
			_, err := e.c.JWTBearer(ctx, g)
			return err
		},
		status: 400, code: "invalid_grant", msg: "Audience validation failed", kind: warden.EUNAUTHORIZED},
	{name: "credential_rejected/jwt-wrong-key", cause: warden.CauseCredentialRejected,
		run: func(ctx context.Context, e *env) error {
			g := e.jwtGrant(integUser)
			_, g.Key, _ = keys(e.t)
			_, err := e.c.JWTBearer(ctx, g)
			return err
		},
		status: 400, code: "invalid_grant", msg: "invalid assertion", kind: warden.EUNAUTHORIZED},
	{name: "credential_rejected/jwt-expired-assertion", cause: warden.CauseCredentialRejected,
		run: func(ctx context.Context, e *env) error {
			c := e.client(func(cfg *salesforce.Config) { cfg.Now = func() time.Time { return time.Now().Add(-time.Hour) } })
			_, err := c.JWTBearer(ctx, e.jwtGrant(integUser))
			return err
		},
		status: 400, code: "invalid_grant", msg: "expired assertion", kind: warden.EUNAUTHORIZED},
	{name: "credential_rejected/no-client-credentials-user", cause: warden.CauseCredentialRejected,
		run: func(ctx context.Context, e *env) error {
			_, err := e.c.ClientCredentials(ctx, approvedKey, approvedSecret)
			return err
		},
		status: 400, code: "invalid_grant", msg: "no client credentials user enabled", kind: warden.EUNAUTHORIZED},
	{name: "security_token_required/soap", cause: warden.CauseSecurityTokenRequired,
		run:    soapLogin(legacyUser, legacyPass),
		status: 500, code: "LOGIN_MUST_USE_SECURITY_TOKEN", msg: mustUseToken, kind: warden.EUNAUTHORIZED},
	{name: "security_token_required/password-grant+diagnose", cause: warden.CauseSecurityTokenRequired,
		run:    diagnosed(legacyUser, passwordLogin(legacyUser, legacyPass)),
		status: 400, code: "invalid_grant", msg: authFailure, evidence: `"Failed: API security token required"`, kind: warden.EUNAUTHORIZED},
	{name: "refresh_token_revoked", cause: warden.CauseRefreshTokenRevoked,
		setup: func(e *env) {
			e.control(http.MethodPost, "orgs/"+orgName+"/revoke", map[string]string{"username": adminUser})
		},
		run: func(ctx context.Context, e *env) error {
			_, err := e.c.Refresh(ctx, salesforce.RefreshGrant{ClientID: wardenKey, ClientSecret: wardenSecret, RefreshToken: seedRefreshTok})
			return err
		},
		status: 400, code: "invalid_grant", msg: "expired access/refresh token", kind: warden.EUNAUTHORIZED},
	{name: "app_not_approved", cause: warden.CauseAppNotApproved,
		run: func(ctx context.Context, e *env) error {
			g := e.jwtGrant(integUser)
			g.ClientID = approvedKey
			_, err := e.c.JWTBearer(ctx, g)
			return err
		},
		status: 400, code: "invalid_grant", msg: "user hasn't approved this consumer", kind: warden.EFORBIDDEN},
	{name: "ip_or_hours_restricted/ip", cause: warden.CauseIPOrHoursRestricted,
		run:    jwtLogin(officeUser),
		status: 400, code: "invalid_grant", msg: ipOrHours, kind: warden.EFORBIDDEN},
	{name: "ip_or_hours_restricted/hours", cause: warden.CauseIPOrHoursRestricted,
		run:    jwtLogin(nightUser),
		status: 400, code: "invalid_grant", msg: ipOrHours, kind: warden.EFORBIDDEN},
	{name: "ip_or_hours_restricted/soap-ip", cause: warden.CauseIPOrHoursRestricted,
		run:    soapLogin(officeUser, otherPass+otherToken),
		status: 500, code: "LOGIN_DURING_RESTRICTED_DOMAIN", msg: "Login is not allowed from this IP address.", kind: warden.EFORBIDDEN},
	{name: "ip_or_hours_restricted/soap-hours", cause: warden.CauseIPOrHoursRestricted,
		run:    soapLogin(nightUser, otherPass+otherToken),
		status: 500, code: "LOGIN_DURING_RESTRICTED_TIME", msg: "Login is not allowed at this time.", kind: warden.EFORBIDDEN},
	{name: "api_permission_missing/rest", cause: warden.CauseAPIPermissionMissing,
		run:    query(noAPIUser, "SELECT Id FROM User"),
		status: 403, code: "API_CURRENTLY_DISABLED", msg: "API is disabled for this User", kind: warden.EFORBIDDEN},
	{name: "api_permission_missing/permission-removed", cause: warden.CauseAPIPermissionMissing,
		setup: func(e *env) {
			e.control(http.MethodPatch, "orgs/"+orgName+"/profiles/Legacy Integration", map[string]any{"permissions": map[string]bool{"ApiEnabled": false}})
		},
		run:    query(legacyUser, "SELECT Id FROM User"),
		status: 403, code: "API_CURRENTLY_DISABLED", msg: "API is disabled for this User", kind: warden.EFORBIDDEN},
	{name: "api_permission_missing/soap", cause: warden.CauseAPIPermissionMissing,
		run:    soapLogin(noAPIUser, otherPass+otherToken),
		status: 500, code: "API_CURRENTLY_DISABLED", msg: "API is disabled for this User", kind: warden.EFORBIDDEN},
	{name: "object_permission_missing/query", cause: warden.CauseObjectPermissionMissing,
		run:    query(integUser, "SELECT Id, Name FROM "+invoiceObject),
		status: 400, code: "INVALID_TYPE", msg: "sObject type '" + invoiceObject + "' is not supported", kind: warden.EFORBIDDEN},
	{name: "object_permission_missing/password-resource", cause: warden.CauseObjectPermissionMissing,
		run: func(ctx context.Context, e *env) error {
			_, err := e.jwtSession(integUser).UserPassword(ctx, e.userID(adminUser))
			return err
		},
		status: 403, code: "INSUFFICIENT_ACCESS", msg: "You do not have permission to view this record.", kind: warden.EFORBIDDEN},
	{name: "legacy_auth_disabled/soap-login-disabled", cause: warden.CauseLegacyAuthDisabled,
		setup:  func(e *env) { e.settings(map[string]bool{"soapLoginAllowed": false}) },
		run:    soapLogin(legacyUser, legacyPass+legacyToken),
		status: 500, code: "INVALID_OPERATION", msg: "SOAP API login() is disabled by default in this org.", kind: warden.EUNAUTHORIZED},
	{name: "legacy_auth_disabled/soap-api-version", cause: warden.CauseLegacyAuthDisabled,
		run: func(ctx context.Context, e *env) error {
			c := e.client(func(cfg *salesforce.Config) { cfg.APIVersion = "65.0" })
			_, _, err := c.SOAPLogin(ctx, legacyUser, legacyPass+legacyToken)
			return err
		},
		status: 500, code: "UNSUPPORTED_API_VERSION", msg: "login() is not supported in API version 65.0 and later", kind: warden.EUNAUTHORIZED},
	{name: "legacy_auth_disabled/password-flow+diagnose", cause: warden.CauseLegacyAuthDisabled,
		setup:  func(e *env) { e.settings(map[string]bool{"usernamePasswordFlowAllowed": false}) },
		run:    diagnosed(legacyUser, passwordLogin(legacyUser, legacyPass+legacyToken)),
		status: 400, code: "invalid_grant", msg: authFailure, evidence: `"Username-Password Flow Disabled"`, kind: warden.EUNAUTHORIZED},
	{name: "org_unavailable/503", cause: warden.CauseOrgUnavailable,
		setup:  func(e *env) { e.fault(emulator.Fault{Path: "/services/data/", Kind: "status", Status: 503, Count: 10}) },
		run:    query(integUser, "SELECT Id FROM Account"),
		status: 503, code: "ERROR_HTTP_503", msg: "503 Service Unavailable", kind: warden.EUNAVAILABLE},
	{name: "org_unavailable/500", cause: warden.CauseOrgUnavailable,
		setup:  func(e *env) { e.fault(emulator.Fault{Path: "/services/data/", Kind: "status", Status: 500, Count: 10}) },
		run:    query(integUser, "SELECT Id FROM Account"),
		status: 500, code: "UNKNOWN_EXCEPTION", msg: "An unexpected error occurred.", kind: warden.EUNAVAILABLE},
	{name: "org_unavailable/token-endpoint", cause: warden.CauseOrgUnavailable,
		setup: func(e *env) {
			e.fault(emulator.Fault{Path: "/services/oauth2/token", Kind: "status", Status: 503, Count: 10})
		},
		run:    jwtLogin(integUser),
		status: 503, code: "ERROR_HTTP_503", msg: "503 Service Unavailable", kind: warden.EUNAVAILABLE},
	{name: "org_unavailable/soap-endpoint", cause: warden.CauseOrgUnavailable,
		setup:  func(e *env) { e.fault(emulator.Fault{Path: "/services/Soap/", Kind: "status", Status: 503, Count: 10}) },
		run:    soapLogin(legacyUser, legacyPass+legacyToken),
		status: 503, code: "ERROR_HTTP_503", msg: "503 Service Unavailable", kind: warden.EUNAVAILABLE},
	{name: "org_unavailable/malformed", cause: warden.CauseOrgUnavailable,
		setup:  func(e *env) { e.fault(emulator.Fault{Path: "/services/data/", Kind: "malformed", Count: 10}) },
		run:    query(integUser, "SELECT Id FROM Account"),
		status: 200, code: "MALFORMED_RESPONSE", msg: "unreadable response body", kind: warden.EUNAVAILABLE},
	{name: "org_unavailable/drop", cause: warden.CauseOrgUnavailable,
		setup:  func(e *env) { e.fault(emulator.Fault{Path: "/services/data/", Kind: "drop", Count: 100}) },
		run:    query(integUser, "SELECT Id FROM Account"),
		status: 0, code: "", msg: "connection failed: ", kind: warden.EUNAVAILABLE},
	{name: "org_unavailable/timeout", cause: warden.CauseOrgUnavailable,
		setup: func(e *env) {
			e.fault(emulator.Fault{Path: "/services/data/", Kind: "latency", Latency: "5s", Count: 10})
		},
		run: func(ctx context.Context, e *env) error {
			c := e.client(func(cfg *salesforce.Config) { cfg.RequestTimeout = 50 * time.Millisecond })
			s := salesforce.NewSession(c, &salesforce.JWTAuth{Client: c, Grant: e.jwtGrant(integUser)})
			_, err := s.Query(ctx, "SELECT Id FROM Account", nil)
			return err
		},
		status: 0, code: "", msg: "no answer within 50ms", kind: warden.EUNAVAILABLE},
	{name: "api_limit_exhausted/limit-fault", cause: warden.CauseAPILimitExhausted,
		setup:  func(e *env) { e.fault(emulator.Fault{Path: "/services/data/", Kind: "limit", Count: 10}) },
		run:    query(integUser, "SELECT Id FROM Account"),
		status: 403, code: "REQUEST_LIMIT_EXCEEDED", msg: "TotalRequests Limit exceeded.", kind: warden.EUNAVAILABLE},
	{name: "org_unavailable/429 concurrency", cause: warden.CauseOrgUnavailable,
		setup:  func(e *env) { e.fault(emulator.Fault{Path: "/services/data/", Kind: "status", Status: 429, Count: 10}) },
		run:    query(integUser, "SELECT Id FROM Account"),
		status: 429, code: "REQUEST_LIMIT_EXCEEDED", msg: "ConcurrentPerOrgLongTxn Limit exceeded.", kind: warden.EUNAVAILABLE},
	{name: "org_unavailable/429 token endpoint", cause: warden.CauseOrgUnavailable,
		setup: func(e *env) {
			e.fault(emulator.Fault{Path: "/services/oauth2/token", Kind: "status", Status: 429, Count: 10})
		},
		run:    jwtLogin(integUser),
		status: 429, code: "REQUEST_LIMIT_EXCEEDED", msg: "ConcurrentPerOrgLongTxn", kind: warden.EUNAVAILABLE},
	{name: "api_limit_exhausted/daily-limit", cause: warden.CauseAPILimitExhausted,
		setup: func(e *env) { e.settings(map[string]int{"dailyApiRequests": 1}) },
		run: func(ctx context.Context, e *env) error {
			s := e.jwtSession(integUser)
			if _, err := s.Query(ctx, "SELECT Id FROM Account", nil); err != nil {
				return err
			}
			s2 := e.jwtSession(integUser) // knows nothing of the usage yet: Salesforce refuses
			_, err := s2.Query(ctx, "SELECT Id FROM Account", nil)
			return err
		},
		status: 403, code: "REQUEST_LIMIT_EXCEEDED", msg: "TotalRequests Limit exceeded.", kind: warden.EUNAVAILABLE},
}

// TestCauses checks every cause in warden.Causes against the emulator.
func TestCauses(t *testing.T) {
	covered := map[warden.Cause]bool{}
	for _, tc := range causeCases {
		covered[tc.cause] = true
	}
	for _, c := range warden.Causes {
		if !covered[c] {
			t.Errorf("no test case for cause %s", c)
		}
	}
	for _, tc := range causeCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var edits []func(*emulator.Seed)
			if tc.edit != nil {
				edits = append(edits, tc.edit)
			}
			e := newEnv(t, edits...)
			if tc.setup != nil {
				tc.setup(e)
			}
			err := tc.run(testCtx(t), e)
			se := wantCause(t, err, tc.cause)
			if se.Status != tc.status {
				t.Errorf("Status = %d, want %d", se.Status, tc.status)
			}
			if se.Code != tc.code {
				t.Errorf("Code = %q, want %q", se.Code, tc.code)
			}
			if !strings.HasPrefix(se.Message, tc.msg) && !strings.Contains(se.Message, tc.msg) {
				t.Errorf("Message = %q, want it to start with %q", se.Message, tc.msg)
			}
			if tc.evidence != "" && !strings.Contains(se.Message, tc.evidence) {
				t.Errorf("Message = %q, want evidence %q", se.Message, tc.evidence)
			}
			if k := warden.ErrorKind(err); k != tc.kind {
				t.Errorf("warden.ErrorKind = %q, want %q", k, tc.kind)
			}
			t.Logf("%v", err)
		})
	}
}
