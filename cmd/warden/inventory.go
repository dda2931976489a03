package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/inventory"
	"github.com/wardenhq/warden/salesforce"
)

// The inventory listings: users, dependents and impact. Shared helpers of
// the inventory commands (org, discover) live here too.

func init() {
	register("users", "list the integration users in the inventory", runUsers)
	register("dependents", "list the applications that depend on integration users", runDependents)
	register("impact", "show what breaks if a user is frozen or its password changes", runImpact)
	register("inventory", "sync the inventory with the configuration (inventory sync)", runInventory)
}

const inventoryUsage = `inventory sync [--config FILE] [--plan] [--json]

Subcommands:
  sync   make the inventory database hold what the configuration declares

Run "warden inventory sync --help" for its flags. See docs/inventory.md.`

const inventorySyncUsage = `inventory sync [--config FILE] [--plan] [--json]

Compares the orgs, credentials, owner teams, users and dependents the
configuration declares with the inventory database, prints the plan (what
it creates, updates and deletes), and applies it; with --plan it only
prints it. It deletes only what an earlier sync took from the
configuration and the file no longer declares (with what goes with it:
a user's dependents, an org's users and credentials); orgs and users added
with warden org add or warden discover --write stay. warden serve syncs
when it starts. The other commands only read the inventory: when it lacks
declared items they say to run this command first.

--json prints the plan: {"changes": [{"action", "kind", "org", "name",
"fields", "adopted", "cascade"}], "create", "update", "delete", "applied"}.`

func runInventory(ctx context.Context, m *Main, args []string) error {
	if len(args) > 0 && args[0] == "sync" {
		return runInventorySync(ctx, m, args[1:])
	}
	fs := m.flags("inventory", inventoryUsage)
	fs.Usage = func() { fmt.Fprintf(m.Stdout, "Usage: warden %s\n", inventoryUsage) }
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(m.Stderr, "warden: unknown inventory subcommand %q\nRun \"warden inventory --help\" for usage.\n", args[0])
		return errUsage
	}
	if err := m.parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "warden: inventory needs a subcommand (sync)\nRun \"warden inventory --help\" for usage.\n")
	return errUsage
}

func runInventorySync(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("inventory sync", inventorySyncUsage)
	file := configFlag(fs)
	planOnly := fs.Bool("plan", false, "only print the plan; change nothing")
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	cfg, err := m.loadConfig(m.configPath(*file))
	if err != nil {
		return err
	}
	e, err := m.openUnsynced(ctx, cfg, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	p, err := inventory.PlanSync(ctx, e.store, declaredInventory(cfg))
	if err != nil {
		return err
	}
	if !*planOnly {
		if err := inventory.Apply(ctx, e.store, p); err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSON(m.Stdout, struct {
			*inventory.Plan
			Applied bool `json:"applied"`
		}{p, !*planOnly && !p.Empty()})
	}
	if p.Empty() {
		fmt.Fprintf(m.Stdout, "The inventory matches %s: nothing to change.\n", cfg.Path)
		return nil
	}
	for _, c := range p.Changes {
		fmt.Fprintf(m.Stdout, "  %s\n", c)
	}
	if *planOnly {
		fmt.Fprintf(m.Stdout, "Plan: %s (nothing changed; run without --plan to apply).\n", p.Summary())
	} else {
		fmt.Fprintf(m.Stdout, "Synced the inventory with %s: %s.\n", cfg.Path, summaryDone(p))
	}
	return nil
}

// summaryDone counts what a sync did: "2 created, 1 deleted".
func summaryDone(p *inventory.Plan) string {
	var parts []string
	for _, c := range []struct {
		n    int
		verb string
	}{{p.Create, "created"}, {p.Update, "updated"}, {p.Delete, "deleted"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.verb))
		}
	}
	return strings.Join(parts, ", ")
}

// declaredInventory is the inventory cfg declares.
func declaredInventory(cfg *config.Config) inventory.Declared {
	return inventory.Declared{Orgs: cfg.DomainOrgs(), Credentials: cfg.DomainCredentials(), Owners: cfg.DomainOwners(),
		Users: cfg.DomainUsers(), Dependents: cfg.DomainDependents()}
}

// declaresInventory reports whether cfg declares any inventory item.
func declaresInventory(cfg *config.Config) bool {
	return len(cfg.Orgs)+len(cfg.Credentials)+len(cfg.Owners)+len(cfg.Users)+len(cfg.Dependents) > 0
}

// notSynced is the error of a command that needs the declared inventory
// when the store lacks it.
func notSynced(cfg *config.Config, why string) error {
	return warden.Errorf(warden.ECONFLICT, "inventory not synced: %s; run warden inventory sync --config %s (--plan shows what it does)", why, cfg.Path)
}

// checkSynced fails when the store lacks items the configuration declares,
// and notes on stderr when it differs from it otherwise.
func (m *Main) checkSynced(ctx context.Context, e *env) error {
	p, err := inventory.PlanSync(ctx, e.store, declaredInventory(e.cfg))
	if err != nil {
		return err
	}
	if p.Create > 0 {
		var missing []string
		for _, c := range p.Changes {
			if c.Action == inventory.ActionCreate && len(missing) < 3 {
				missing = append(missing, c.ItemKey.String())
			}
		}
		if p.Create > len(missing) {
			missing = append(missing, fmt.Sprintf("%d more", p.Create-len(missing)))
		}
		return notSynced(e.cfg, fmt.Sprintf("the inventory lacks %s declared in %s", strings.Join(missing, ", "), e.cfg.Path))
	}
	if !p.Empty() {
		fmt.Fprintf(m.Stderr, "warden: note: the inventory differs from %s (%s); run warden inventory sync to apply it\n", e.cfg.Path, p.Summary())
	}
	return nil
}

// syncLogged is how many changes of a sync syncInventory logs one by one.
const syncLogged = 20

// syncInventory applies the configuration's inventory to the store,
// logging the plan: its first changes one by one (warden inventory sync
// --plan lists them all), then the counts.
func (e *env) syncInventory(ctx context.Context, cfg *config.Config) error {
	p, err := inventory.Sync(ctx, e.store, declaredInventory(cfg))
	if err != nil {
		return err
	}
	for i, c := range p.Changes {
		if i == syncLogged {
			e.logger.Info("inventory sync", "more", len(p.Changes)-syncLogged)
			break
		}
		e.logger.Info("inventory sync", "change", c.String())
	}
	e.logger.Info("inventory synced", "config", cfg.Path, "plan", p.Summary())
	return nil
}

const usersUsage = `users [--config FILE] [--org NAME] [--owner TEAM] [--json]

Lists the integration users in the inventory: those declared in the
configuration and those added with "warden discover --write", with their
credential, owner team, number of dependents and the reasons discovery
found them for. --json prints an array of objects with org, username,
userId, credential, credentialKind, owner, description, reasons and
dependents (names).`

const dependentsUsage = `dependents [--config FILE] [--org NAME] [--user USERNAME] [--owner TEAM] [--json]

Lists the applications that use integration users, with their owner team,
contact, how they receive credentials (delivery: broker, secret_store,
webhook, manual) and the object access they need. --json prints an array of
dependents.`

const impactUsage = `impact [--config FILE] [--json] [ORG/]USERNAME

Answers "what breaks if this user is frozen or its password changes": the
user, its credential (its kind and where the secret lives, never the
secret), every dependent with its owner team, contacts and delivery, and
which of them break in each case, with the rules behind the answer. An
unknown org or user exits 3.`

// userRow is one user in "warden users" output.
type userRow struct {
	Org            string   `json:"org"`
	Username       string   `json:"username"`
	UserID         string   `json:"userId"`
	Credential     string   `json:"credential"`
	CredentialKind string   `json:"credentialKind"`
	Owner          string   `json:"owner"`
	Description    string   `json:"description"`
	Reasons        []string `json:"reasons"`
	Dependents     []string `json:"dependents"`
}

func runUsers(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("users", usersUsage)
	file := configFlag(fs)
	org := fs.String("org", "", "only the users of this org")
	owner := fs.String("owner", "", "only the users owned by this team")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	if err := e.checkOrg(ctx, *org); err != nil {
		return err
	}
	users, err := e.store.Users(ctx, warden.UserFilter{Org: *org, Owner: *owner})
	if err != nil {
		return err
	}
	deps, err := e.store.Dependents(ctx, warden.DependentFilter{Org: *org})
	if err != nil {
		return err
	}
	creds, err := e.store.Credentials(ctx, *org)
	if err != nil {
		return err
	}
	kinds := map[string]warden.CredentialKind{}
	for _, c := range creds {
		kinds[c.Name] = c.Kind
	}
	rows := make([]userRow, 0, len(users))
	for _, u := range users {
		r := userRow{Org: u.Org, Username: u.Username, UserID: u.UserID, Credential: u.Credential, CredentialKind: string(kinds[u.Credential]),
			Owner: u.Owner, Description: u.Description, Reasons: nonNil(u.Reasons), Dependents: []string{}}
		for _, d := range deps {
			if d.Org == u.Org && strings.EqualFold(d.Username, u.Username) {
				r.Dependents = append(r.Dependents, d.Name)
			}
		}
		rows = append(rows, r)
	}
	if *asJSON {
		return writeJSON(m.Stdout, rows)
	}
	tw := table(m.Stdout)
	fmt.Fprintln(tw, "ORG\tUSERNAME\tCREDENTIAL\tOWNER\tDEPENDENTS\tREASONS")
	for _, r := range rows {
		cred := orDash(r.Credential)
		if r.CredentialKind != "" {
			cred += " (" + r.CredentialKind + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", r.Org, r.Username, cred, orDash(r.Owner), len(r.Dependents), orDash(strings.Join(r.Reasons, "; ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(m.Stdout, "(no integration users; declare them in the configuration or run warden discover --org NAME --write)")
	}
	return nil
}

func runDependents(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("dependents", dependentsUsage)
	file := configFlag(fs)
	org := fs.String("org", "", "only the dependents in this org")
	user := fs.String("user", "", "only the dependents of this integration user")
	owner := fs.String("owner", "", "only the dependents owned by this team")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	if err := e.checkOrg(ctx, *org); err != nil {
		return err
	}
	if *user != "" {
		users, err := e.store.Users(ctx, warden.UserFilter{Org: *org})
		if err != nil {
			return err
		}
		found := false
		for _, u := range users {
			found = found || strings.EqualFold(u.Username, *user)
		}
		if !found {
			where := ""
			if *org != "" {
				where = " of org " + *org
			}
			return warden.Errorf(warden.ENOTFOUND, "no integration user %q%s in the inventory (see warden users)", *user, where)
		}
	}
	deps, err := e.store.Dependents(ctx, warden.DependentFilter{Org: *org, Owner: *owner})
	if err != nil {
		return err
	}
	out := make([]*warden.Dependent, 0, len(deps))
	for _, d := range deps {
		if *user == "" || strings.EqualFold(d.Username, *user) {
			out = append(out, d)
		}
	}
	if *asJSON {
		return writeJSON(m.Stdout, out)
	}
	tw := table(m.Stdout)
	fmt.Fprintln(tw, "ORG\tDEPENDENT\tUSER\tOWNER\tCONTACT\tDELIVERY\tOBJECTS")
	for _, d := range out {
		var objs []string
		for _, o := range d.Objects {
			objs = append(objs, o.Object+":"+strings.Join(o.Access, ","))
		}
		delivery := d.Delivery
		if delivery == "" {
			delivery = warden.DeliveryManual
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Org, d.Name, d.Username, orDash(d.Owner), orDash(d.Contact), delivery, orDash(strings.Join(objs, " ")))
	}
	return tw.Flush()
}

func runImpact(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("impact", impactUsage)
	file := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(reorder(args)); err != nil {
		return m.parse(fs, args)
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(m.Stderr, "warden: impact needs one USERNAME (or ORG/USERNAME)\nRun \"warden impact --help\" for usage.\n")
		return errUsage
	}
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	org, username, ok := strings.Cut(fs.Arg(0), "/")
	if !ok { // a bare username must name one user of the inventory
		if org, username, err = findUser(ctx, e.store, fs.Arg(0)); err != nil {
			return err
		}
	}
	r, err := inventory.Impact(ctx, e.store, org, username)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(m.Stdout, r)
	}
	printImpact(m.Stdout, r)
	return nil
}

// printImpact writes an impact report for people.
func printImpact(w io.Writer, r *inventory.ImpactReport) {
	fmt.Fprintf(w, "%s/%s\n", r.Org, r.Username)
	if r.Owner != nil {
		fmt.Fprintf(w, "  owner:       %s%s\n", r.Owner.Team, parenList(r.Owner.Contacts))
	} else {
		fmt.Fprintf(w, "  owner:       - (no owner team recorded)\n")
	}
	if c := r.Credential; c != nil {
		legacy := ""
		if c.Legacy {
			legacy = ", legacy: Salesforce is retiring password logins"
		}
		fmt.Fprintf(w, "  credential:  %s: %s%s; its secret is in secret store %q under key %q\n", c.Name, c.Kind, legacy, c.SecretStore, c.SecretKey)
	} else {
		fmt.Fprintf(w, "  credential:  - (none recorded)\n")
	}
	if len(r.Reasons) > 0 {
		fmt.Fprintf(w, "  found for:   %s\n", strings.Join(r.Reasons, "; "))
	}
	if len(r.Monitoring) > 0 {
		fmt.Fprintf(w, "  warden:      reads org %s as this user\n", strings.Join(r.Monitoring, ", "))
	}
	fmt.Fprintln(w)
	if len(r.Dependents) == 0 {
		fmt.Fprintln(w, "No dependent applications are recorded for this user: nothing known breaks (declare them under dependents: in the configuration).")
	} else {
		tw := table(w)
		fmt.Fprintln(tw, "DEPENDENT\tOWNER\tCONTACTS\tDELIVERY\tIF FROZEN\tIF PASSWORD CHANGES")
		for _, d := range r.Dependents {
			contacts := append([]string{}, d.OwnerContacts...)
			if d.Contact != "" && !containsString(contacts, d.Contact) {
				contacts = append([]string{d.Contact}, contacts...)
			}
			pw := map[string]string{inventory.PasswordBreaks: "breaks", inventory.PasswordViaWarden: "recovers with Warden",
				inventory.PasswordUnaffected: "unaffected"}[d.PasswordChange]
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\tbreaks\t%s\n", d.Name, orDash(d.Owner), orDash(strings.Join(contacts, ", ")), d.Delivery, pw)
		}
		tw.Flush()
		fmt.Fprintln(w)
		fmt.Fprintln(w, "How each receives credentials:")
		for _, d := range r.Dependents {
			fmt.Fprintf(w, "  %s: %s\n", d.Name, d.HowItGetsCredentials)
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "If the user is frozen: %s: %s.\n", breaks(len(r.OnFreeze)), strings.Join(r.OnFreeze, ", "))
		switch {
		case len(r.OnPasswordChange) == 0 && len(r.AfterWardenUpdate) == 0:
			fmt.Fprintln(w, "If its password changes: no dependent breaks.")
		default:
			if len(r.OnPasswordChange) > 0 {
				fmt.Fprintf(w, "If its password changes: %s until its owner puts in the new credential: %s.\n",
					breaks(len(r.OnPasswordChange)), strings.Join(r.OnPasswordChange, ", "))
			} else {
				fmt.Fprintln(w, "If its password changes: no dependent needs a change of its own.")
			}
			if len(r.AfterWardenUpdate) > 0 {
				fmt.Fprintf(w, "  %s until Warden's stored credential is updated (nothing to change in the application): %s.\n",
					breaks(len(r.AfterWardenUpdate)), strings.Join(r.AfterWardenUpdate, ", "))
			}
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Why:")
	for _, rule := range r.Rules {
		fmt.Fprintf(w, "  - %s\n", rule)
	}
}

// openInventory loads the configuration and opens the environment for a
// command that reads the inventory (see open).
func (m *Main) openInventory(ctx context.Context, file string, logger *slog.Logger) (*env, error) {
	cfg, err := m.loadConfig(m.configPath(file))
	if err != nil {
		return nil, err
	}
	return m.open(ctx, cfg, logger)
}

// openInventoryToAdd loads the configuration and opens the environment
// for a command that adds to the inventory whether or not it is synced
// (org add, org import-sf, and the account and token commands).
func (m *Main) openInventoryToAdd(ctx context.Context, file string, logger *slog.Logger) (*env, error) {
	cfg, err := m.loadConfig(m.configPath(file))
	if err != nil {
		return nil, err
	}
	return m.openUnsynced(ctx, cfg, logger)
}

// checkOrg returns an ENOTFOUND error naming org when it is set and not in
// the inventory.
func (e *env) checkOrg(ctx context.Context, org string) error {
	if org == "" {
		return nil
	}
	if _, err := e.store.Org(ctx, org); err != nil {
		if warden.ErrorKind(err) == warden.ENOTFOUND {
			return warden.Errorf(warden.ENOTFOUND, "org %q is not in the inventory (see warden org list)", org)
		}
		return err
	}
	return nil
}

// orgSession returns a session on an inventory org as its monitoring
// credential.
func (e *env) orgSession(ctx context.Context, name string) (*warden.Org, *salesforce.Session, error) {
	o, err := e.store.Org(ctx, name)
	if err != nil {
		if warden.ErrorKind(err) == warden.ENOTFOUND {
			return nil, nil, warden.Errorf(warden.ENOTFOUND, "org %q is not in the inventory (see warden org list, or add it with warden org add)", name)
		}
		return nil, nil, err
	}
	if o.MonitoringCredential == "" {
		return nil, nil, warden.Errorf(warden.EINVALID, "org %s has no monitoring credential to read it with (add one with warden org add, or set monitoringCredential in the configuration)", name)
	}
	s, err := e.session(ctx, o.MonitoringCredential)
	if err != nil {
		return nil, nil, err
	}
	return o, s, nil
}

// progress shows what a long operation is doing on one line of stderr, but
// only when stdout is a terminal.
type progress struct {
	w  io.Writer
	on bool
}

func (m *Main) progress() *progress { return &progress{w: m.Stderr, on: isTerminal(m.Stdout)} }

// Step replaces the progress line.
func (p *progress) Step(msg string) {
	if p.on {
		fmt.Fprintf(p.w, "\r\033[K%s...", msg)
	}
}

// Done clears the progress line.
func (p *progress) Done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// isTerminal reports whether w is a character device (a terminal), other
// than the null device.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}

// cliLogger logs to stderr at debug level with -v, and nowhere otherwise.
func (m *Main) cliLogger(verbose bool) *slog.Logger {
	if !verbose {
		return discardLogger()
	}
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// breaks says "1 dependent breaks" or "N dependents break".
func breaks(n int) string {
	if n == 1 {
		return "1 dependent breaks"
	}
	return fmt.Sprintf("%d dependents break", n)
}

// writeJSON writes v as indented JSON: the encoding of every --json output.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 2, 2, ' ', 0) }

// nonNil returns s, or an empty slice for nil, so that JSON prints []
// rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func parenList(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return " (" + strings.Join(s, ", ") + ")"
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
