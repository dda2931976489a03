package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/wardenhq/warden"
)

func init() {
	register("rotations", "list credential rotations", runRotations)
	register("rotation", "show one rotation step by step (rotation show ID)", runRotation)
}

const rotationsUsage = `rotations [--config FILE] [--json] [--credential NAME] [--active]

Lists rotations, newest first: id, credential, kind, state (running,
completed, rolled_back, failed), the next step of a running one, the path
(self_service or break_glass), who or what triggered it, and when it
started and last moved. --json prints the jobs as an array of objects
(id, credential, org, kind, state, step, trigger, path, error, attempt,
createdAt, updatedAt, ...).`

func runRotations(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("rotations", rotationsUsage)
	file := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	cred := fs.String("credential", "", "only this credential's rotations")
	active := fs.Bool("active", false, "only running rotations")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	jobs, err := e.store.RotationJobs(ctx, warden.RotationJobFilter{Credential: *cred, Active: *active}, 0)
	if err != nil {
		return err
	}
	if *asJSON {
		for _, j := range jobs {
			j.Data = nil // internal step state
		}
		return writeJSON(m.Stdout, nonNil(jobs))
	}
	tw := table(m.Stdout)
	fmt.Fprintln(tw, "ID\tCREDENTIAL\tKIND\tSTATE\tSTEP\tPATH\tTRIGGER\tSTARTED\tUPDATED")
	for _, j := range jobs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Credential, j.Kind, j.State, orDash(j.Step), orDash(j.Path),
			orDash(j.Trigger), timeOrDash(j.CreatedAt), timeOrDash(j.UpdatedAt))
	}
	return tw.Flush()
}

const rotationUsage = `rotation show ID [--config FILE] [--json]

Shows one rotation: its credential, kind, state, path and trigger, then
every step it recorded, oldest first, with its time, the secret version
it concerned and its result (a resumption after a crash, a retry, a
failure and each rollback action are steps too).`

func runRotation(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 || args[0] != "show" {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			fs := m.flags("rotation", rotationUsage)
			return m.parse(fs, args)
		}
		fmt.Fprintln(m.Stderr, "warden: usage: warden rotation show ID")
		return errUsage
	}
	fs := m.flags("rotation", rotationUsage)
	file := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := m.parseArgs(fs, args[1:], 1, "the rotation's ID")
	if err != nil {
		return err
	}
	id := pos[0]
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	j, err := e.store.RotationJob(ctx, id)
	if err != nil {
		return err
	}
	recs, err := e.store.Rotations(ctx, j.Credential, 0)
	if err != nil {
		return err
	}
	var steps []*warden.RotationRecord
	for _, r := range recs {
		if r.RotationID == j.ID {
			steps = append(steps, r)
		}
	}
	slices.Reverse(steps) // oldest first
	if *asJSON {
		j.Data = nil
		return writeJSON(m.Stdout, struct {
			*warden.RotationJob
			Steps []*warden.RotationRecord `json:"steps"`
		}{j, steps})
	}
	fmt.Fprintf(m.Stdout, "Rotation %s of credential %s (%s, org %s)\n", j.ID, j.Credential, j.Kind, j.Org)
	fmt.Fprintf(m.Stdout, "State:     %s", j.State)
	if j.Step != "" {
		fmt.Fprintf(m.Stdout, " (next step %s)", j.Step)
	}
	fmt.Fprintf(m.Stdout, "\nPath:      %s\nTriggered: %s, %s\nAttempts:  %d\n", orDash(j.Path), orDash(j.Trigger), timeOrDash(j.CreatedAt), j.Attempt)
	if j.Error != "" {
		fmt.Fprintf(m.Stdout, "Error:     %s\n", j.Error)
	}
	fmt.Fprintln(m.Stdout)
	tw := table(m.Stdout)
	fmt.Fprintln(tw, "TIME\tSTEP\tVERSION\tRESULT")
	for _, r := range steps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.At.UTC().Format("2006-01-02 15:04:05.000Z"), r.Step, orDash(r.SecretVersion), orDash(r.Detail))
	}
	return tw.Flush()
}
