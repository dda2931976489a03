package salesforce_test

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

func TestInspect(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	e.patchUser(legacyUser, map[string]any{"frozen": true})
	//lint:ignore SA1019 the legacy flow is under test
	e.c.PasswordGrant(ctx, wardenKey, wardenSecret, legacyUser, legacyPass+legacyToken)
	before := e.usage().APIRequests
	ev, err := salesforce.Inspect(ctx, e.admin(), legacyUser)
	if err != nil {
		t.Fatalf("Inspect: %+v", err)
	}
	if n := e.usage().APIRequests - before; n != 1 {
		t.Errorf("Inspect used %d API requests, want 1 (one composite)", n)
	}
	if !ev.Found || ev.UserID != e.userID(legacyUser) || !ev.IsActive || !ev.IsFrozen || ev.IsPasswordLocked || ev.PasswordExpired || len(ev.Gaps) != 0 {
		t.Errorf("evidence = %+v", ev)
	}
	if len(ev.LastLogins) == 0 || ev.LastLogins[0].Status != "User is Frozen" || ev.LastLogins[0].Time.IsZero() {
		t.Errorf("last logins = %+v", ev.LastLogins)
	}
	// Usernames are quoted safely.
	if ev, err := salesforce.Inspect(ctx, e.admin(), `o'brien\@acme.example`); err != nil || ev.Found {
		t.Errorf("quoted username: %+v %v", ev, err)
	}
}

func TestDiagnoseEdges(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	admin := e.admin()

	if err := salesforce.Diagnose(ctx, admin, legacyUser, nil); err != nil {
		t.Errorf("Diagnose(nil) = %v", err)
	}
	// A precise cause is kept as it is, without a round trip.
	_, precise := e.c.JWTBearer(ctx, e.jwtGrant(officeUser))
	n := len(e.rec.requests("/services/data/"))
	if got := salesforce.Diagnose(ctx, admin, officeUser, precise); got != precise {
		t.Errorf("Diagnose changed a precise error: %v", got)
	}
	if len(e.rec.requests("/services/data/")) != n {
		t.Error("Diagnose queried for a precise error")
	}

	// Unknown user: stays credential_rejected, says so.
	//lint:ignore SA1019 the legacy flow is under test
	_, err := e.c.PasswordGrant(ctx, wardenKey, wardenSecret, "nobody@acme.example", "x")
	d := wantCause(t, salesforce.Diagnose(ctx, admin, "nobody@acme.example", err), warden.CauseCredentialRejected)
	if !strings.Contains(d.Message, "no such user") || d.Code != "invalid_grant" {
		t.Errorf("unknown user: %+v", d)
	}

	// A monitor without Manage Users sees only part: the gaps are named,
	// and what it can see still decides (IsActive).
	e.patchUser(legacyUser, map[string]any{"active": false})
	//lint:ignore SA1019 the legacy flow is under test
	_, _, err = e.c.SOAPLogin(ctx, legacyUser, legacyPass+legacyToken)
	d = wantCause(t, salesforce.Diagnose(ctx, e.jwtSession(integUser), legacyUser, err), warden.CauseUserDeactivated)
	if !strings.Contains(d.Message, "could not read UserLogin") || !strings.Contains(d.Message, "could not read LoginHistory") {
		t.Errorf("weak monitor: %q", d.Message)
	}

	// A monitor that cannot log in: the login error comes back, annotated.
	e.patchUser(legacyUser, map[string]any{"active": true})
	//lint:ignore SA1019 the legacy flow is under test
	_, _, err = e.c.SOAPLogin(ctx, legacyUser, wrongPassword)
	d = wantCause(t, salesforce.Diagnose(ctx, e.jwtSession(officeUser), legacyUser, err), warden.CauseCredentialRejected)
	if d.Code != "INVALID_LOGIN" || !strings.Contains(d.Message, "diagnosis failed: invalid_grant: IP restricted") {
		t.Errorf("failing monitor: %+v", d)
	}
}
