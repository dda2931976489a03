package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/rotation"
	"github.com/wardenhq/warden/web"
)

// rotationTick is how often warden serve resumes rotations and checks the
// schedules.
const rotationTick = 30 * time.Second

// runRotations is warden serve's rotation loop until ctx ends: it resumes
// every rotation a crashed or stopped process left running, retires old
// credentials whose grace period is over, warns owners ahead of scheduled
// rotations and starts the ones that are due.
func (m *Main) runRotations(ctx context.Context, e *env) {
	eng, err := m.rotationEngine(e, rotationOptions{})
	if err != nil {
		e.logger.Warn("rotations are not run", "err", warden.ErrorMessage(err))
		return
	}
	notify := func(ctx context.Context, a *warden.Alert) {
		d, err := e.dispatcher()
		if err == nil {
			err = d.Dispatch(ctx, a).Err()
		}
		if err != nil {
			e.logger.Warn("rotation warning not delivered", "key", a.Key, "err", warden.ErrorMessage(err))
		}
	}
	t := time.NewTicker(rotationTick)
	defer t.Stop()
	for {
		if _, err := eng.Resume(ctx); err != nil && ctx.Err() == nil {
			e.logger.Warn("resuming rotations failed", "err", warden.ErrorMessage(err))
		}
		for _, s := range e.cfg.Rotation.Schedules {
			if err := e.schedule(ctx, eng, s, time.Now(), notify); err != nil && ctx.Err() == nil {
				e.logger.Warn("scheduled rotation failed", "credential", s.Credential, "err", warden.ErrorMessage(err))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// schedule acts on one rotation schedule at now: a rotation is due Every
// after the credential was last rotated (or created); owners are warned
// once, WarnBefore ahead; a due rotation is started and run.
func (e *env) schedule(ctx context.Context, eng *rotation.Engine, s config.RotationSchedule, now time.Time, notify func(context.Context, *warden.Alert)) error {
	c, err := e.store.Credential(ctx, s.Credential)
	if err != nil {
		return err
	}
	if active, err := eng.Active(ctx, c.Name); err != nil || active != nil {
		return err // Resume runs it
	}
	due, warnAt := rotationDue(c, s)
	if now.Before(warnAt) {
		return nil
	}
	if now.Before(due) {
		return e.warnOnce(ctx, c, due, notify)
	}
	j, err := eng.Start(ctx, c.Name, fmt.Sprintf("schedule (every %s)", s.Every))
	if err != nil {
		return err
	}
	_, err = eng.Run(ctx, j.ID)
	return err
}

// rotationDue returns when schedule s next rotates c: Every after it was
// last rotated (or created); and when its owners are warned, WarnBefore
// ahead.
func rotationDue(c *warden.Credential, s config.RotationSchedule) (due, warnAt time.Time) {
	last := c.RotatedAt
	if last.IsZero() {
		last = c.CreatedAt
	}
	due = last.Add(s.Every.D())
	return due, due.Add(-s.WarnBefore.OrDefault(config.DefaultRotationWarnBefore))
}

// warnID is the id of the record that says the owners of c were warned
// of its rotation at due.
func warnID(c *warden.Credential, due time.Time) string {
	return "schedule-" + c.Name + "-" + due.UTC().Format("20060102T1504")
}

// warned reports whether a record says the owners of c were warned of
// its rotation at due.
func (e *env) warned(ctx context.Context, c *warden.Credential, due time.Time) (bool, error) {
	recs, err := e.store.Rotations(ctx, c.Name, 50)
	if err != nil {
		return false, err
	}
	id := warnID(c, due)
	for _, r := range recs {
		if r.RotationID == id {
			return true, nil
		}
	}
	return false, nil
}

// warnOnce tells the owners of c that it is rotated at due, unless a
// record says they were told already.
func (e *env) warnOnce(ctx context.Context, c *warden.Credential, due time.Time, notify func(context.Context, *warden.Alert)) error {
	if done, err := e.warned(ctx, c, due); err != nil || done {
		return err
	}
	id := warnID(c, due)
	a := &warden.Alert{Key: "rotation/" + c.Name + "/scheduled", Org: c.Org, Username: c.Username, State: warden.StateOK, Previous: warden.StateOK,
		Severity: warden.SeverityInfo, Evidence: fmt.Sprintf("credential %s is rotated at %s (schedule); its dependents receive the new credential then",
			c.Name, due.UTC().Format("2006-01-02 15:04Z")), At: time.Now().UTC()}
	if u, err := e.store.User(ctx, c.Org, c.Username); err == nil {
		a.Owner = u.Owner
	}
	notify(ctx, a)
	return e.store.AppendRotation(ctx, &warden.RotationRecord{RotationID: id, Credential: c.Name, Step: "warned",
		Detail: "owners told of the rotation scheduled at " + due.UTC().Format(time.RFC3339)})
}

// dashboardRotator is the dashboard's rotate action: it starts a rotation
// of the user's credential and runs it in the background (the job is
// durable: warden serve resumes it if the process stops), returning the
// rotation's id at once.
type dashboardRotator struct {
	ctx    context.Context // serve's: the run outlives the request
	e      *env
	eng    *rotation.Engine
	logger *slog.Logger
}

// Rotate starts rotating the credential of org/username.
func (r *dashboardRotator) Rotate(ctx context.Context, org, username string) (string, error) {
	u, err := r.e.store.User(ctx, org, username)
	if err != nil {
		return "", err
	}
	if u.Credential == "" {
		return "", warden.Errorf(warden.EINVALID, "user %s/%s has no credential in the inventory to rotate", org, username)
	}
	trigger := "dashboard"
	if p, ok := warden.PrincipalFrom(ctx); ok {
		trigger = "dashboard: " + p.Kind + ":" + p.Name
	}
	j, err := r.eng.Start(ctx, u.Credential, trigger)
	if err != nil {
		return "", err
	}
	go func() {
		if _, err := r.eng.Run(r.ctx, j.ID); err != nil && r.ctx.Err() == nil {
			r.logger.Warn("rotation from the dashboard failed", "rotation", j.ID, "credential", u.Credential, "err", warden.ErrorMessage(err))
		}
	}()
	return j.ID, nil
}

// dashboardSchedule lists the configuration's rotation schedules for the
// dashboard's overview, with the due dates runRotations acts on.
type dashboardSchedule struct{ e *env }

// ScheduledRotations returns the next rotation of every scheduled
// credential, soonest first.
func (d dashboardSchedule) ScheduledRotations(ctx context.Context) ([]web.ScheduledRotation, error) {
	var out []web.ScheduledRotation
	for _, s := range d.e.cfg.Rotation.Schedules {
		c, err := d.e.store.Credential(ctx, s.Credential)
		if err != nil {
			return nil, err
		}
		due, warnAt := rotationDue(c, s)
		warned, err := d.e.warned(ctx, c, due)
		if err != nil {
			return nil, err
		}
		out = append(out, web.ScheduledRotation{Credential: c.Name, Org: c.Org, Username: c.Username, Every: s.Every.D().String(),
			Due: due, WarnAt: warnAt, Warned: warned})
	}
	slices.SortFunc(out, func(a, b web.ScheduledRotation) int { return a.Due.Compare(b.Due) })
	return out, nil
}
