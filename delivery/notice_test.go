package delivery

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/notify"
)

// channel records the alerts it is given.
type channel struct {
	name string
	mu   sync.Mutex
	got  []*warden.Alert
}

func (c *channel) Name() string { return c.name }

func (c *channel) Notify(_ context.Context, a *warden.Alert) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, a)
	return nil
}

func TestNotices(t *testing.T) {
	finance, web := &channel{name: "finance-slack"}, &channel{name: "web-mail"}
	disp := notify.NewDispatcher(notify.DispatcherConfig{Routes: []notify.Route{
		{Notifier: finance, Owners: []string{"finance"}, MinSeverity: warden.SeverityMedium},
		{Notifier: web, Owners: []string{"web"}, MinSeverity: warden.SeverityHigh},
	}})
	n := Notice{RotationID: "r-42", Credential: passwordCred(), Owner: "integrations", At: time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC),
		Dependents: []*warden.Dependent{
			{Name: "billing", Owner: "finance", Delivery: warden.DeliveryFile},
			{Name: "portal", Owner: "web", Contact: "web@acme.demo", Delivery: warden.DeliveryManual},
		}}

	res := NoticeScheduled(bg, disp, n)
	if got := res.Sent(); len(got) != 1 || got[0] != "finance-slack" {
		t.Fatalf("scheduled notice sent to %v, want finance-slack (web takes only high)", got)
	}
	a := finance.got[0]
	if a.Key != "rotation/billing-cred/r-42" || a.State != StateScheduled || a.Severity != warden.SeverityMedium {
		t.Errorf("scheduled alert = %+v", a)
	}
	for _, want := range []string{"rotates at 2026-12-04T02:00:00Z", "billing (file)", "portal (manual)"} {
		if !strings.Contains(a.Evidence, want) {
			t.Errorf("evidence %q lacks %q", a.Evidence, want)
		}
	}
	if !strings.Contains(a.Fix, "Owners of portal") || !strings.Contains(a.Fix, "warden delivery confirm") {
		t.Errorf("fix = %q", a.Fix)
	}

	res = NoticeFailed(bg, disp, n, "verify", "portal", true, warden.Errorf(warden.EUNAVAILABLE, "verify portal: GET https://portal/health answered 503"))
	if got := res.Sent(); len(got) != 2 {
		t.Fatalf("failure sent to %v, want both owners' channels", got)
	}
	f := web.got[0]
	if f.State != warden.StateError || f.Cause != CauseRotationFailed || !strings.Contains(f.Evidence, "failed at step verify for dependent portal: verify portal: GET") ||
		!strings.Contains(f.Fix, "rolled back") {
		t.Errorf("failure alert = %+v", f)
	}
	res = NoticeFailed(bg, disp, n, "apply", "", false, errors.New("internal detail"))
	if len(web.got) != 2 || web.got[1].Cause != CauseRollbackFailed || !strings.Contains(web.got[1].Fix, "could not be rolled back") {
		t.Fatalf("a failed rollback was not sent as its own alert (sent to %v)", res.Sent())
	}

	n.Version = "9"
	res = NoticeSucceeded(bg, disp, n)
	if got := res.Sent(); len(got) != 2 {
		t.Fatalf("success sent to %v, want both (a recovery reaches every route that got the problem)", got)
	}
	s := finance.got[len(finance.got)-1]
	if !s.Resolved || s.State != warden.StateOK || !strings.Contains(s.Evidence, "version 9 was delivered to and verified by billing, portal") {
		t.Errorf("success alert = %+v", s)
	}
}
