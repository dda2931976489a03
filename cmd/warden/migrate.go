package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/activity"
)

func init() {
	register("migrate", "plan or apply the move of an integration user off SOAP login() or the username-password flow", runMigrate)
}

const migrateUsage = `migrate [--config FILE] [ORG/]USERNAME --to jwt|client_credentials (--plan | --apply | --done STEP) [--store NAME] [--json]

Plans the move of one integration user from SOAP login() or the OAuth
username-password flow to the JWT bearer flow or client credentials,
one integration at a time: the key pair (into the secret store), the
connected app, the user's pre-authorization, the new credential, the
delivery to each dependent, the verification that each dependent has
moved (its logins switch login type), and the password's retirement.

--plan prints the plan with each step's state. --apply runs the steps
Warden can run (against the org and its own inventory) and
stops at the manual ones. Once the configuration step is checked off
(--done config), --apply delivers the new credential to each dependent
by its declared delivery (file, secret store, webhook, command; a manual
one gets a runbook its owner confirms with warden delivery confirm),
verifies it (its declared verification, then its logins switch login
type) and, once all have moved, retires the password. A dependent not in
the inventory is checked off with --done deliver:DEPENDENT. Completed steps are recorded in
the activity timeline (rule migration). --store names the secret store
for the new credential (default the old credential's).`

func runMigrate(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("migrate", migrateUsage)
	file := configFlag(fs)
	to := fs.String("to", "", "jwt or client_credentials")
	plan := fs.Bool("plan", false, "print the plan")
	apply := fs.Bool("apply", false, "run the steps Warden can run")
	done := fs.String("done", "", "check off a manual step (deliver:DEPENDENT)")
	store := fs.String("store", "", "secret store for the new credential")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(reorderValued(args, "config", "to", "done", "store")); err != nil {
		return m.parse(fs, args)
	}
	if fs.NArg() != 1 || *to == "" || btoi(*plan)+btoi(*apply)+btoi(*done != "") != 1 {
		fmt.Fprintf(m.Stderr, "warden: migrate needs one USERNAME, --to and one of --plan, --apply or --done STEP\n")
		return errUsage
	}
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	org, username, err := findUser(ctx, e.store, fs.Arg(0))
	if err != nil {
		return err
	}
	p, mig, err := e.migrationPlan(ctx, org, username, warden.CredentialKind(*to), *store)
	if err != nil {
		return err
	}
	switch {
	case *apply:
		err = mig.Apply(ctx, p)
	case *done != "":
		if s := p.Step(*done); s != nil && s.Kind != activity.StepManual {
			return warden.Errorf(warden.EINVALID, "step %s is not a manual step: warden migrate --apply runs it", *done)
		} else if s != nil && s.Delivery != "" {
			return warden.Errorf(warden.EINVALID, "dependent %s has a manual delivery: its owner confirms it with warden delivery confirm --org %s '%s', then warden migrate --apply verifies it",
				s.Dependent, p.Org, s.Dependent)
		}
		err = mig.Done(ctx, p, *done)
	}
	if *asJSON {
		if jerr := writeJSON(m.Stdout, p); jerr != nil {
			return jerr
		}
		return err
	}
	fmt.Fprintf(m.Stdout, "Migration of %s/%s from %s to %s (connected app %s, credential %s):\n", p.Org, p.Username, p.From, p.To, p.App, p.Credential)
	for i, s := range p.Steps {
		state := "[ ]"
		if s.Done {
			state = "[x]"
		}
		fmt.Fprintf(m.Stdout, "%2d. %s %s (%s)\n      %s\n", i+1, state, s.Title, s.Kind, s.Detail)
	}
	return err
}

// reorderValued moves flags before the positional arguments, as reorder
// does, for flags among valued that take a value.
func reorderValued(args []string, valued ...string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		if name := strings.TrimLeft(a, "-"); !strings.Contains(name, "=") && slices.Contains(valued, name) && i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return append(flags, pos...)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// migrationPlan builds the plan of one user with its recorded progress,
// and the migrator that runs it.
func (e *env) migrationPlan(ctx context.Context, org, username string, to warden.CredentialKind, store string) (*activity.MigrationPlan, *activity.Migrator, error) {
	u, err := e.store.User(ctx, org, username)
	if err != nil {
		return nil, nil, err
	}
	lu := activity.LegacyUser{Org: org, Username: u.Username}
	if u.Credential != "" {
		c, err := e.store.Credential(ctx, u.Credential)
		if err != nil {
			return nil, nil, err
		}
		lu.Credential = c
	}
	deps, err := e.store.Dependents(ctx, warden.DependentFilter{Org: org, Username: u.Username})
	if err != nil {
		return nil, nil, err
	}
	lu.Deliveries = map[string]warden.Delivery{}
	for _, d := range deps {
		lu.Dependents = append(lu.Dependents, d.Name)
		lu.Deliveries[d.Name] = d.Delivery
	}
	uses, err := e.legacy(ctx, org, 30*24*time.Hour)
	if err != nil {
		return nil, nil, err
	}
	var use *activity.LegacyUse
	for i := range uses {
		if strings.EqualFold(uses[i].Username, u.Username) && (use == nil || uses[i].Method == activity.MethodSOAPLogin) {
			use = &uses[i]
		}
	}
	if store == "" && lu.Credential != nil {
		store = lu.Credential.Secret.Store
	}
	// A plan that already switched the user keeps its secret store.
	if lu.Credential != nil && lu.Credential.Kind == to {
		store = lu.Credential.Secret.Store
	}
	if e.secrets[store] == nil {
		return nil, nil, warden.Errorf(warden.EINVALID, "secret store %q is not configured: name one with --store", store)
	}
	// Once the user is switched, the plan's old credential is the
	// password credential of the user that is left (none once retired).
	if lu.Credential != nil && lu.Credential.Kind == to {
		creds, err := e.store.Credentials(ctx, org)
		if err != nil {
			return nil, nil, err
		}
		lu.Credential = nil
		for _, c := range creds {
			if c.Kind == warden.CredentialPassword && strings.EqualFold(c.Username, u.Username) {
				lu.Credential = c
			}
		}
	}
	declared, err := e.store.Declared(ctx)
	if err != nil {
		return nil, nil, err
	}
	isDeclared := slices.ContainsFunc(declared, func(k warden.ItemKey) bool {
		return k.Kind == warden.ItemUser && k.Org == org && strings.EqualFold(k.Name, u.Username)
	})
	p, err := activity.NewPlan(lu, use, to, store, isDeclared)
	if err != nil {
		return nil, nil, err
	}
	o, err := e.store.Org(ctx, org)
	if err != nil {
		return nil, nil, err
	}
	s, err := e.session(ctx, o.MonitoringCredential)
	if err != nil {
		return nil, nil, err
	}
	mig := &activity.Migrator{Session: s, Store: e.store, Secrets: e.secrets[store], Deliverer: e.deliverer(),
		Prove: func(ctx context.Context, c *warden.Credential) error {
			e.creds.Forget(c.Name)
			sess, err := e.session(ctx, c.Name)
			if err != nil {
				return err
			}
			_, err = sess.Token(ctx)
			return err
		}}
	if err := mig.Load(ctx, p); err != nil {
		return nil, nil, err
	}
	return p, mig, nil
}
