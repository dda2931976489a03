package broker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wardenhq/warden"
)

// recordingAuditor keeps what it is told, with the actor.
type recordingAuditor struct{ entries []string }

func (a *recordingAuditor) Audit(ctx context.Context, action, target string, result error) error {
	p, _ := warden.PrincipalFrom(ctx)
	a.entries = append(a.entries, p.Name+" "+action+" "+target+" "+string(warden.ErrorKind(result)))
	return nil
}

// TestWebReauthorizerCallbackState refuses unknown, expired and reused
// states before touching the credential, and audits a refusal at
// Salesforce as the principal who started the re-authorization.
func TestWebReauthorizerCallbackState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		aud := &recordingAuditor{}
		w := &WebReauthorizer{Callback: "http://127.0.0.1:8080/oauth/callback", Auditor: aud}
		ann := warden.Principal{Kind: "account", Name: "ann", Role: warden.RoleOperator}
		w.pending = map[string]pendingReauth{
			"old":   {org: "acme", username: "a@acme.test", verifier: "v", expires: time.Now().Add(PendingReauthTTL), principal: ann, hasPrincipal: true},
			"fresh": {org: "acme", username: "b@acme.test", verifier: "v", expires: time.Now().Add(2 * PendingReauthTTL), principal: ann, hasPrincipal: true},
		}
		time.Sleep(PendingReauthTTL + time.Second)
		for _, tt := range []struct {
			name, query string
			status      int
		}{
			{"no state", "code=c", http.StatusBadRequest},
			{"unknown state", "state=forged&code=c", http.StatusBadRequest},
			{"expired state", "state=old&code=c", http.StatusBadRequest},
			{"refused at Salesforce", "state=fresh&error=access_denied&error_description=end-user+denied", http.StatusUnauthorized},
			{"state used once", "state=fresh&code=c", http.StatusBadRequest},
		} {
			rec := httptest.NewRecorder()
			w.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/oauth/callback?"+tt.query, nil))
			if rec.Code != tt.status {
				t.Errorf("%s: %d, want %d: %s", tt.name, rec.Code, tt.status, rec.Body)
			}
		}
		if want := []string{"ann user.reauthorize acme/b@acme.test unauthorized"}; len(aud.entries) != 1 || aud.entries[0] != want[0] {
			t.Errorf("audited %q, want %q", aud.entries, want)
		}
		if len(w.pending) != 0 {
			t.Errorf("pending %v after every state came back once", w.pending)
		}
	})
}
