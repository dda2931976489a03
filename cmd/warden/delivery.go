package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/delivery"
)

// Deliveries of rotated credentials to dependents: the list of what was
// delivered, and the owners' confirmation of manual deliveries.

func init() {
	register("delivery", "list deliveries to dependents; confirm a manual one (delivery list, delivery confirm)", runDelivery)
}

const deliveryUsage = `delivery list|confirm ...

Subcommands:
  list      list the deliveries of rotated credentials to dependents
  confirm   record that the owner of a manual dependent made the change

Run "warden delivery list --help" or "warden delivery confirm --help" for
their flags. See docs/delivery.md.`

const deliveryListUsage = `delivery list [--config FILE] [--org ORG] [--dependent NAME] [--pending] [--json]

Lists every delivery and restore of a rotated credential to a dependent,
newest first: the dependent, how it was delivered, the secret version,
where it went (a path, a URL, a command, a secret-store key: never the
credential), and whether its owner must still act. With --pending it
lists only the manual deliveries waiting for their owner, each with its
runbook. --json prints the records as an array of objects with
dependent, delivery, version, detail, pending, at, org, credential,
action, runbook, confirmedAt and confirmedBy.`

const deliveryConfirmUsage = `delivery confirm [--config FILE] --org ORG [--by NAME] DEPENDENT

Records that the owner of the manual dependent DEPENDENT of org ORG made
the change its runbook asks for (every pending delivery and restore of
it), so that the rotation waiting on it can verify it and go on. --by
names who confirmed (default: $USER).`

func runDelivery(ctx context.Context, m *Main, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "list":
			return runDeliveryList(ctx, m, args[1:])
		case "confirm":
			return runDeliveryConfirm(ctx, m, args[1:])
		}
	}
	fs := m.flags("delivery", deliveryUsage)
	fs.Usage = func() { fmt.Fprintf(m.Stdout, "Usage: warden %s\n", deliveryUsage) }
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(m.Stderr, "warden: unknown delivery subcommand %q\nRun \"warden delivery --help\" for usage.\n", args[0])
		return errUsage
	}
	if err := m.parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "warden: delivery needs a subcommand (list, confirm)\nRun \"warden delivery --help\" for usage.\n")
	return errUsage
}

func runDeliveryList(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("delivery list", deliveryListUsage)
	file := configFlag(fs)
	org := fs.String("org", "", "only this org's dependents")
	dep := fs.String("dependent", "", "only this dependent")
	pending := fs.Bool("pending", false, "only manual deliveries waiting for their owner, with their runbooks")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(m.Stderr, "warden: delivery list takes no arguments\n")
		return errUsage
	}
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	recs, err := e.store.Deliveries(ctx, warden.DeliveryFilter{Org: *org, Dependent: *dep, Pending: *pending})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(m.Stdout, nonNil(recs))
	}
	if len(recs) == 0 {
		fmt.Fprintln(m.Stdout, "No deliveries.")
		return nil
	}
	if *pending {
		for i, r := range recs {
			if i > 0 {
				fmt.Fprintln(m.Stdout)
			}
			fmt.Fprintf(m.Stdout, "%s/%s: %s of %s version %s, waiting since %s\n\n%s", r.Org, r.Dependent, r.Action, r.Credential,
				r.Version, timeOrDash(r.At), r.Runbook)
		}
		return nil
	}
	tw := table(m.Stdout)
	fmt.Fprintln(tw, "AT\tORG\tDEPENDENT\tACTION\tDELIVERY\tCREDENTIAL\tVERSION\tSTATE\tDETAIL")
	for _, r := range recs {
		state := "done"
		switch {
		case r.Pending:
			state = "waiting for owner"
		case !r.ConfirmedAt.IsZero():
			state = "confirmed by " + orDash(r.ConfirmedBy)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", timeOrDash(r.At), r.Org, r.Dependent, r.Action, r.Delivery,
			r.Credential, r.Version, state, orDash(r.Detail))
	}
	return tw.Flush()
}

func runDeliveryConfirm(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("delivery confirm", deliveryConfirmUsage)
	file := configFlag(fs)
	org := fs.String("org", "", "the dependent's org (required)")
	by := fs.String("by", "", "who made the change (default $USER)")
	pos, err := m.positional(fs, args)
	if err != nil {
		return err
	}
	if *org == "" || len(pos) != 1 {
		fmt.Fprintf(m.Stderr, "warden: delivery confirm needs --org ORG and the dependent's name\nRun \"warden delivery confirm --help\" for usage.\n")
		return errUsage
	}
	who := *by
	if who == "" {
		who = m.Getenv("USER")
	}
	if who == "" {
		who = "cli"
	}
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	recs, err := e.store.ConfirmDeliveries(ctx, *org, pos[0], who)
	if err != nil {
		return err
	}
	for _, r := range recs {
		fmt.Fprintf(m.Stdout, "Confirmed: %s of %s version %s to %s/%s (by %s).\n", r.Action, r.Credential, r.Version, r.Org, r.Dependent, who)
	}
	return nil
}

// deliverer returns the Deliverer of the rotation engine over e: the
// secret stores, the store's delivery records, the org's sessions for
// verification, and e's logger.
func (e *env) deliverer() *delivery.Deliverer {
	return delivery.New(delivery.Config{Secrets: e.secrets, Deliveries: e.store, Orgs: e.store, Sessions: e.creds, Logger: e.logger})
}
