package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/delivery"
	"github.com/wardenhq/warden/rotation"
)

func init() {
	register("rotate", "rotate a user's credential, or every credential of an org", runRotate)
}

const rotateUsage = `rotate USER [--config FILE] [--plan] [--now] [--mailbox]
       warden rotate --all --org NAME [--config FILE] [--now]

Rotates the credential of USER (a username, or a credential name): tests
the current credential (if it no longer works, rotates through the org's
monitoring credential, "break-glass"), creates the new one as the
secret store's pending version, applies it in Salesforce (a new password
whose security token is collected from the user's mailbox, a new JWT
certificate on the connected app, or a staged consumer secret), tests
it, delivers it to every dependent and verifies each, then promotes it.
The old credential is retired after the grace period (rotation.grace,
default 24h) by "warden serve"; --now retires it at once, so the whole
rotation finishes in this command. A failure rolls back: see
docs/rotation.md.

A rotation interrupted by a crash is resumed by running the same command
again (or by "warden serve"). --plan prints the steps, dependents and
downtime without changing anything. --all rotates every rotatable
credential of --org (except its monitoring credential), with a progress
bar on stderr. --mailbox rotates the password of the user's mailbox account
(rotation.mailboxes[].account) instead: the runbook's branch where the
Salesforce password still works.`

func runRotate(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("rotate", rotateUsage)
	file := configFlag(fs)
	plan := fs.Bool("plan", false, "print what the rotation would do, change nothing")
	now := fs.Bool("now", false, "retire the old credential at once instead of after the grace period")
	all := fs.Bool("all", false, "rotate every credential of --org")
	orgName := fs.String("org", "", "the org of --all")
	mailboxAccount := fs.Bool("mailbox", false, "rotate the password of the user's mailbox account instead (its Salesforce password must still work)")
	pos, err := m.positional(fs, args)
	if err != nil {
		return err
	}
	target := ""
	if len(pos) == 1 {
		target = pos[0]
	}
	switch {
	case len(pos) > 1:
		fmt.Fprintf(m.Stderr, "warden: rotate takes one USER, got %q\n", pos)
		return errUsage
	case *all && (*orgName == "" || target != ""):
		fmt.Fprintln(m.Stderr, "warden: --all needs --org NAME and no USER")
		return errUsage
	case !*all && target == "":
		fmt.Fprintln(m.Stderr, "warden: name the USER (or credential) to rotate, or use --all --org NAME")
		return errUsage
	}
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	trigger := "cli"
	if u := m.Getenv("USER"); u != "" {
		trigger += ":" + u
	}
	if *all {
		return m.rotateAll(ctx, e, *orgName, trigger, *now, *plan)
	}
	c, err := findCredential(ctx, e.store, target)
	if err != nil {
		return err
	}
	if *plan {
		return printPlan(ctx, m.Stdout, e.store, c)
	}
	var mu sync.Mutex
	eng, err := m.rotationEngine(e, rotationOptions{NoGrace: *now, OnStep: func(j *warden.RotationJob, step string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			fmt.Fprintf(m.Stdout, "%s  step %-15s failed: %s\n", j.ID, step, warden.ErrorMessage(err))
			return
		}
		fmt.Fprintf(m.Stdout, "%s  step %-15s ok\n", j.ID, step)
	}})
	if err != nil {
		return err
	}
	var j *warden.RotationJob
	if *mailboxAccount {
		if j, err = eng.StartMailbox(ctx, c.Name, trigger); err == nil {
			fmt.Fprintf(m.Stdout, "%s  rotating the mailbox account of %s\n", j.ID, c.Username)
		}
	} else {
		j, err = startOrResume(ctx, eng, c.Name, trigger, m.Stdout)
	}
	if err != nil {
		return err
	}
	j, err = eng.Run(ctx, j.ID)
	if j != nil {
		fmt.Fprintln(m.Stdout, outcome(j))
	}
	return err
}

// startOrResume returns the running rotation of the credential (said on
// w), or starts one.
func startOrResume(ctx context.Context, eng *rotation.Engine, cred, trigger string, w io.Writer) (*warden.RotationJob, error) {
	j, err := eng.Active(ctx, cred)
	if err != nil {
		return nil, err
	}
	if j != nil {
		fmt.Fprintf(w, "%s  resuming the rotation of %s at step %s (attempt %d)\n", j.ID, cred, j.Step, j.Attempt+1)
		return j, nil
	}
	j, err = eng.Start(ctx, cred, trigger)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "%s  rotating %s (%s)\n", j.ID, cred, j.Kind)
	return j, nil
}

// outcome says how a rotation run ended.
func outcome(j *warden.RotationJob) string {
	switch {
	case j.State == warden.RotationRunning && j.Step == rotation.StepRetire:
		return fmt.Sprintf("%s  promoted; the old credential is retired after %s by warden serve (or now: warden rotate --now)", j.ID, j.NotBefore.UTC().Format("2006-01-02 15:04Z"))
	case j.State == warden.RotationRunning && j.NotBefore.After(time.Now()):
		return fmt.Sprintf("%s  waiting at step %s (a manual dependent's owner must confirm); warden serve goes on", j.ID, j.Step)
	case j.State == warden.RotationRunning:
		return fmt.Sprintf("%s  interrupted at step %s; run the command again to resume", j.ID, j.Step)
	case j.State == warden.RotationCompleted:
		return fmt.Sprintf("%s  completed (%s)", j.ID, j.Path)
	}
	return fmt.Sprintf("%s  %s: %s", j.ID, strings.ReplaceAll(string(j.State), "_", " "), j.Error)
}

// findCredential resolves a username or credential name to the
// credential to rotate.
func findCredential(ctx context.Context, s warden.Store, name string) (*warden.Credential, error) {
	if c, err := s.Credential(ctx, name); err == nil {
		return c, nil
	} else if warden.ErrorKind(err) != warden.ENOTFOUND {
		return nil, err
	}
	users, err := s.Users(ctx, warden.UserFilter{})
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if strings.EqualFold(u.Username, name) {
			if u.Credential == "" {
				return nil, warden.Errorf(warden.EINVALID, "user %s has no credential to rotate", u.Username)
			}
			return s.Credential(ctx, u.Credential)
		}
	}
	return nil, warden.Errorf(warden.ENOTFOUND, "no user or credential %q in the inventory", name)
}

// printPlan describes what a rotation of c would do.
func printPlan(ctx context.Context, w io.Writer, s warden.Store, c *warden.Credential) error {
	steps, err := rotation.Steps(c.Kind)
	if err != nil {
		return warden.Prefix("credential "+c.Name, err)
	}
	o, err := s.Org(ctx, c.Org)
	if err != nil {
		return err
	}
	_, deps, err := rotation.Dependents(ctx, s, c)
	if err != nil {
		return err
	}
	who := "user " + orDash(c.Username)
	switch {
	case c.TwinUsername != "":
		who = "twin users " + c.Username + " and " + c.TwinUsername
	case c.TwinClientID != "":
		who += ", twin connected apps " + c.ClientID + " and " + c.TwinClientID
	}
	fmt.Fprintf(w, "Rotation plan for credential %s (%s, %s, org %s)\n\nSteps:\n", c.Name, c.Kind, who, c.Org)
	for i, st := range steps {
		fmt.Fprintf(w, "  %d. %-15s %s\n", i+1, st, rotation.Describe(c, st))
	}
	fmt.Fprintf(w, "\nBreak-glass: if the current credential no longer logs in, the org's monitoring credential (%s) acts instead.\n", orDash(o.MonitoringCredential))
	fmt.Fprintf(w, "Downtime: %s\n\nDependents (%d):\n", rotation.Downtime(c), len(deps))
	for _, d := range deps {
		fmt.Fprintf(w, "  %-30s delivery %-12s verify %s\n", d.Name, orDash(string(d.Delivery)), orDash(d.Verify.Method))
		if err := delivery.CarriesIdentity(d, c); err != nil {
			fmt.Fprintf(w, "    blocked: %s\n", warden.ErrorMessage(err))
		}
	}
	return nil
}
