package delivery

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/notify"
)

// Rotation notices go through the existing notification channels as
// alerts keyed "rotation/CREDENTIAL/ROTATION-ID", so that a channel sees
// one thread per rotation: NoticeScheduled opens it (state scheduled,
// severity medium), NoticeFailed raises it (state error, cause
// rotation_failed with severity high, or rotation_rollback_failed with
// severity critical) and NoticeSucceeded resolves it (a
// recovery, which also closes a PagerDuty incident the failure opened).
// Each names the affected dependents with their owners, so routes limited
// to an owner team get the notices about their applications.
const (
	// StateScheduled is the state of a notice about a rotation to come.
	StateScheduled warden.State = "scheduled"
	// CauseRotation is the cause of scheduled and completed notices.
	CauseRotation warden.Cause = "rotation"
	// CauseRotationFailed is the cause of a failed rotation's notice when
	// the dependents are back on the previous credential.
	CauseRotationFailed warden.Cause = "rotation_failed"
	// CauseRollbackFailed is the cause when they could not all be put
	// back: someone must look at once.
	CauseRollbackFailed warden.Cause = "rotation_rollback_failed"
)

// Notice describes a rotation for its owners. It holds no material.
type Notice struct {
	// RotationID identifies the rotation (the alert key's last part).
	RotationID string
	Credential *warden.Credential
	// Owner is the team that owns the integration user.
	Owner string
	// Dependents are the applications the rotation delivers to.
	Dependents []*warden.Dependent
	// At is when the rotation is to run (scheduled) or ran.
	At time.Time
	// Version is the new secret version, once known.
	Version string
	// URL links to the rotation on the dashboard, when configured.
	URL string
}

// Dispatcher sends alerts to the configured channels; *notify.Dispatcher
// implements it.
type Dispatcher interface {
	Dispatch(ctx context.Context, a *warden.Alert) notify.Result
}

var _ Dispatcher = (*notify.Dispatcher)(nil)

// NoticeScheduled tells the owners that a rotation will run at n.At: what
// rotates, which dependents receive it and how, and what owners of manual
// dependents will have to do.
func NoticeScheduled(ctx context.Context, d Dispatcher, n Notice) notify.Result {
	a := n.alert(StateScheduled, CauseRotation, warden.SeverityMedium)
	a.Evidence = fmt.Sprintf("Credential %s (%s) of %s rotates at %s. It is delivered to: %s.",
		n.Credential.Name, n.Credential.Kind, n.user(), n.At.UTC().Format(time.RFC3339), n.deliveries())
	a.Fix = "Nothing to do for automated deliveries."
	if manual := n.manual(); len(manual) > 0 {
		a.Fix = fmt.Sprintf("Owners of %s: after the rotation, follow the runbook Warden records (warden delivery list) "+
			"and confirm with warden delivery confirm.", strings.Join(manual, ", "))
	}
	return d.Dispatch(ctx, a)
}

// NoticeSucceeded tells the owners that the rotation completed: version
// n.Version was delivered to every dependent and verified.
func NoticeSucceeded(ctx context.Context, d Dispatcher, n Notice) notify.Result {
	a := n.alert(warden.StateOK, CauseRotation, warden.SeverityMedium)
	a.Previous, a.Resolved = StateScheduled, true
	a.Evidence = fmt.Sprintf("Credential %s (%s) of %s was rotated at %s: version %s was delivered to and verified by %s.",
		n.Credential.Name, n.Credential.Kind, n.user(), n.At.UTC().Format(time.RFC3339), n.Version, n.names())
	return d.Dispatch(ctx, a)
}

// NoticeFailed tells the owners that the rotation failed at step (and,
// when dependent is not empty, at that dependent) with err, and whether
// the dependents were put back on the previous credential.
func NoticeFailed(ctx context.Context, d Dispatcher, n Notice, step, dependent string, rolledBack bool, err error) notify.Result {
	a := n.alert(warden.StateError, CauseRotationFailed, warden.SeverityHigh)
	if !rolledBack {
		a.Cause, a.Severity = CauseRollbackFailed, warden.SeverityCritical
	}
	a.Previous = StateScheduled
	where := "step " + step
	if dependent != "" {
		where += " for dependent " + dependent
	}
	a.Evidence = fmt.Sprintf("The rotation of credential %s (%s) of %s failed at %s: %s.",
		n.Credential.Name, n.Credential.Kind, n.user(), where, strings.TrimSuffix(warden.ErrorMessage(err), "."))
	if rolledBack {
		a.Fix = "Warden rolled back: every dependent is on the previous credential again. Fix the cause, then rotate again (warden rotate)."
		if manual := n.manual(); len(manual) > 0 {
			a.Fix += fmt.Sprintf(" Owners of %s: follow the rollback runbook and confirm (warden delivery confirm).", strings.Join(manual, ", "))
		}
	} else {
		a.Fix = "The rotation could not be rolled back: check the dependents named here at once (warden rotation show " + n.RotationID + ")."
	}
	return d.Dispatch(ctx, a)
}

// alert is the common part of a notice.
func (n Notice) alert(state warden.State, cause warden.Cause, sev warden.Severity) *warden.Alert {
	a := &warden.Alert{
		Key: "rotation/" + n.Credential.Name + "/" + n.RotationID, Org: n.Credential.Org, Username: n.Credential.Username,
		State: state, Cause: cause, Severity: sev, Owner: n.Owner, URL: n.URL, At: n.At,
	}
	for _, d := range n.Dependents {
		a.Dependents = append(a.Dependents, warden.AffectedApp{Name: d.Name, Owner: d.Owner, Contact: d.Contact})
	}
	return a
}

func (n Notice) user() string {
	if n.Credential.Username == "" {
		return "org " + n.Credential.Org
	}
	return n.Credential.Username
}

// deliveries lists each dependent with how it receives the credential.
func (n Notice) deliveries() string {
	if len(n.Dependents) == 0 {
		return "no dependents"
	}
	parts := make([]string, len(n.Dependents))
	for i, d := range n.Dependents {
		parts[i] = d.Name + " (" + string(cmpDelivery(d.Delivery)) + ")"
	}
	return strings.Join(parts, ", ")
}

func (n Notice) names() string {
	if len(n.Dependents) == 0 {
		return "no dependents"
	}
	parts := make([]string, len(n.Dependents))
	for i, d := range n.Dependents {
		parts[i] = d.Name
	}
	return strings.Join(parts, ", ")
}

// manual names the dependents delivered by hand.
func (n Notice) manual() []string {
	var out []string
	for _, d := range n.Dependents {
		if cmpDelivery(d.Delivery) == warden.DeliveryManual {
			out = append(out, d.Name)
		}
	}
	return out
}

// cmpDelivery is d, or manual (the default) when empty.
func cmpDelivery(d warden.Delivery) warden.Delivery {
	if d == "" {
		return warden.DeliveryManual
	}
	return d
}
