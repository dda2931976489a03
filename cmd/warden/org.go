package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/internal/fileread"
	"github.com/wardenhq/warden/inventory"
	"github.com/wardenhq/warden/salesforce"
)

func init() {
	register("org", "connect Salesforce orgs (org add, org import-sf) and list them", runOrg)
}

const orgUsage = `org add|import-sf|list [flags]

Subcommands:
  add        connect an org with a JWT key, client credentials or a browser
             login (PKCE): log in once, store the secret, add the org
  import-sf  connect an org with an authorization the Salesforce CLI holds
             (an auth URL, the JSON of sf org display, or an auth file)
  list       list the orgs of the inventory

Orgs added here live in the inventory database, not in warden.yaml, which
is never edited. Run "warden org add --help" (and so on) for their flags;
docs/inventory.md has examples.`

const orgAddUsage = `org add --name NAME --kind jwt|client_credentials|web [flags]

Connects Warden to an org with a monitoring credential: it logs in once to
prove the credential works (learning the org id and instance URL), writes
the secret to a secret store of the configuration, and adds the org and the
credential to the inventory. Nothing is written when anything fails.

  --kind jwt                 --username USER --client-id KEY --key-file PEM
  --kind client_credentials  --client-id KEY --client-secret-env VAR
                             (logs in as the connected app's run-as user)
  --kind web                 --client-id KEY [--client-secret-env VAR]
                             --callback 127.0.0.1:PORT: prints the
                             authorization URL, waits for the browser to
                             come back to the callback (PKCE), and stores
                             the refresh token. The callback must equal the
                             connected app's callback URL; HOST:PORT means
                             http://HOST:PORT/oauth/callback.

Secrets are never taken from flag values (they would land in shell
history): the client secret comes from the environment variable named by
--client-secret-env, the private key from --key-file.`

const orgImportUsage = `org import-sf --name NAME (--file FILE | --auth-url-env VAR | --from-sf-alias ALIAS) [flags]

Connects Warden to an org with an OAuth refresh token the Salesforce CLI
holds, read from one of:
  --file FILE           a file holding a force:// auth URL, the JSON of
                        "sf org display --verbose --json", or an auth file
                        of ~/.sfdx (USERNAME.json; refused when the CLI
                        encrypted its tokens: export an auth URL instead)
  --auth-url-env VAR    the environment variable VAR holding a force:// URL
  --from-sf-alias ALIAS runs "sf org display --target-org ALIAS --verbose
                        --json" and reads its output
It refreshes the token once to prove it works, stores it in a secret store
and adds the org, as "warden org add" does.`

const orgListUsage = `org list [--config FILE] [--json]

Lists the orgs of the inventory: those of the configuration (source
config) and those added with warden org add or import-sf (source cli), with
the org id and instance URL learnt at login and the monitoring credential.`

func runOrg(ctx context.Context, m *Main, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "add":
			return runOrgAdd(ctx, m, args[1:])
		case "import-sf":
			return runOrgImport(ctx, m, args[1:])
		case "list":
			return runOrgList(ctx, m, args[1:])
		}
	}
	fs := m.flags("org", orgUsage)
	fs.Usage = func() { fmt.Fprintf(m.Stdout, "Usage: warden %s\n", orgUsage) }
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(m.Stderr, "warden: unknown org subcommand %q\nRun \"warden org --help\" for usage.\n", args[0])
		return errUsage
	}
	if err := m.parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "warden: org needs a subcommand (add, import-sf or list)\nRun \"warden org --help\" for usage.\n")
	return errUsage
}

// badFlag reports a flag problem with a usage hint (exit 2).
func (m *Main) badFlag(cmd, format string, args ...any) error {
	fmt.Fprintf(m.Stderr, "warden: %s\nRun \"warden %s --help\" for usage.\n", fmt.Sprintf(format, args...), cmd)
	return errUsage
}

// orgFlags are the flags org add and org import-sf share.
type orgFlags struct {
	file, name, loginURL, credential, store, key *string
	share                                        *float64
	verbose, asJSON                              *bool
}

func addOrgFlags(fs *flag.FlagSet, loginDefault, loginUsage string) orgFlags {
	return orgFlags{
		file:       configFlag(fs),
		name:       fs.String("name", "", "Warden's name for the org (letters, digits, '.', '_', '-')"),
		loginURL:   fs.String("login-url", loginDefault, loginUsage),
		credential: fs.String("credential", "", "name of the monitoring credential (default monitor-NAME)"),
		store:      fs.String("secret-store", "", "secret store of the configuration to keep the secret in (default: the only one)"),
		key:        fs.String("secret-key", "", "key of the secret in the secret store (default: the credential name)"),
		share:      fs.Float64("daily-api-share", 0, "largest share of the org's daily API requests Warden may use (default monitor.dailyApiShare)"),
		verbose:    fs.Bool("v", false, "log what happens to stderr"),
		asJSON:     fs.Bool("json", false, "print the org and credential added as JSON"),
	}
}

// checkOrgFlags checks the shared flags that need no configuration, so
// that a bad one is reported before anything is opened.
func (m *Main) checkOrgFlags(cmd string, f orgFlags) error {
	if *f.name == "" {
		return m.badFlag(cmd, "--name is required")
	}
	if err := (&warden.Org{Name: *f.name, LoginURL: "-"}).Validate(); err != nil {
		return m.badFlag(cmd, "--name: %s", warden.ErrorMessage(err))
	}
	if *f.credential != "" {
		if err := (&warden.Org{Name: *f.credential, LoginURL: "-"}).Validate(); err != nil {
			return m.badFlag(cmd, "--credential: %s", strings.Replace(warden.ErrorMessage(err), "org name", "name", 1))
		}
	}
	if *f.share < 0 || *f.share > 1 {
		return m.badFlag(cmd, "--daily-api-share: %v must be between 0 and 1", *f.share)
	}
	if *f.loginURL != "" {
		if _, err := inventory.CheckLoginURL("--login-url", *f.loginURL); err != nil {
			return m.badFlag(cmd, "%s", warden.ErrorMessage(err))
		}
	}
	return nil
}

// prepareOrg validates what org add and import-sf share and returns the
// org and credential to fill in.
func (m *Main) prepareOrg(ctx context.Context, e *env, cmd string, f orgFlags) (*credential.Onboarding, error) {
	name := *f.name
	for _, o := range e.cfg.Orgs {
		if o.Name == name {
			return nil, warden.Errorf(warden.ECONFLICT, "org %q is declared in %s, which manages it; give the org added here another --name", name, e.cfg.Path)
		}
	}
	credName := *f.credential
	if credName == "" {
		credName = "monitor-" + name
	}
	for _, c := range e.cfg.Credentials {
		if c.Name == credName {
			return nil, warden.Errorf(warden.ECONFLICT, "credential %q is declared in %s; give --credential another name", credName, e.cfg.Path)
		}
	}
	if c, err := e.store.Credential(ctx, credName); err == nil && c.Org != name {
		return nil, warden.Errorf(warden.ECONFLICT, "credential %q already belongs to org %q; give --credential another name", credName, c.Org)
	} else if err != nil && warden.ErrorKind(err) != warden.ENOTFOUND {
		return nil, err
	}
	store := *f.store
	var names []string
	for _, sc := range e.cfg.SecretStores {
		names = append(names, sc.Name)
	}
	switch {
	case store == "" && len(names) == 0:
		return nil, warden.Errorf(warden.EINVALID, "no secret store is configured: declare one under secretStores in %s (a local one needs a path and a keyFile)", e.cfg.Path)
	case store == "" && len(names) > 1:
		return nil, m.badFlag(cmd, "--secret-store: several secret stores are configured (%s); name one", strings.Join(names, ", "))
	case store == "":
		store = names[0]
	case e.secrets[store] == nil:
		return nil, m.badFlag(cmd, "--secret-store: no secret store %q in %s (configured: %s)", store, e.cfg.Path, orDash(strings.Join(names, ", ")))
	}
	key := *f.key
	if key == "" {
		key = credName
	}
	login, err := inventory.CheckLoginURL("--login-url", *f.loginURL)
	if err != nil {
		return nil, m.badFlag(cmd, "%s", warden.ErrorMessage(err))
	}
	return &credential.Onboarding{
		Org:        &warden.Org{Name: name, LoginURL: login, MonitoringCredential: credName, DailyAPIShare: *f.share},
		Credential: &warden.Credential{Name: credName, Org: name, Secret: warden.SecretRef{Store: store, Key: key}},
		Client:     e.creds.NewClient(login),
	}, nil
}

// report prints the outcome of org add or import-sf.
func (m *Main) reportOrg(e *env, n *credential.Onboarding, asJSON bool) error {
	if asJSON {
		return writeJSON(m.Stdout, struct {
			Org        *warden.Org        `json:"org"`
			Credential *warden.Credential `json:"credential"`
		}{n.Org, n.Credential})
	}
	fmt.Fprintf(m.Stdout, "Added org %s: Salesforce org %s at %s\n", n.Org.Name, n.Org.OrgID, n.Org.InstanceURL)
	fmt.Fprintf(m.Stdout, "  monitoring credential %s: %s, logs in as %s\n", n.Credential.Name, n.Credential.Kind, n.Credential.Username)
	fmt.Fprintf(m.Stdout, "  secret kept in secret store %q under key %q\n", n.Credential.Secret.Store, n.Credential.Secret.Key)
	fmt.Fprintf(m.Stdout, "The org lives in the inventory database (%s is unchanged).\nNext: warden discover --org %s\n", e.cfg.Path, n.Org.Name)
	return nil
}

func runOrgAdd(ctx context.Context, m *Main, args []string) error {
	const cmd = "org add"
	fs := m.flags(cmd, orgAddUsage)
	f := addOrgFlags(fs, salesforce.DefaultLoginURL, "login URL: https://login.salesforce.com, https://test.salesforce.com or a My Domain")
	kind := fs.String("kind", "", "jwt, client_credentials or web")
	username := fs.String("username", "", "user to log in as (jwt; for web, optional: checked against the login)")
	clientID := fs.String("client-id", "", "the connected app's consumer key")
	keyFile := fs.String("key-file", "", "PEM file of the RSA private key whose certificate the app holds (jwt)")
	secretEnv := fs.String("client-secret-env", "", "name of the environment variable holding the consumer secret (client_credentials; optional for web)")
	callback := fs.String("callback", "", "web: the app's callback, http://127.0.0.1:PORT/PATH or 127.0.0.1:PORT (= http://127.0.0.1:PORT/oauth/callback)")
	scope := fs.String("scope", "api refresh_token", "web: OAuth scopes to ask for")
	timeout := fs.Duration("timeout", 5*time.Minute, "web: how long to wait for the browser")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if err := m.checkOrgFlags(cmd, f); err != nil {
		return err
	}
	if *clientID == "" {
		return m.badFlag(cmd, "--client-id is required")
	}
	var secret string
	if *secretEnv != "" {
		if secret = m.Getenv(*secretEnv); secret == "" {
			return m.badFlag(cmd, "--client-secret-env: environment variable %s is empty or not set", *secretEnv)
		}
	}
	switch *kind {
	case "jwt":
		if *username == "" || *keyFile == "" {
			return m.badFlag(cmd, "--kind jwt needs --username and --key-file")
		}
		if *secretEnv != "" {
			return m.badFlag(cmd, "--client-secret-env is not used with --kind jwt")
		}
	case "client_credentials":
		if *secretEnv == "" {
			return m.badFlag(cmd, "--kind client_credentials needs --client-secret-env VAR (the secret is read from the environment, never from a flag)")
		}
		if *username != "" || *keyFile != "" {
			return m.badFlag(cmd, "--kind client_credentials logs in as the app's run-as user: --username and --key-file are not used")
		}
	case "web":
		if *callback == "" {
			return m.badFlag(cmd, "--kind web needs --callback (the connected app's callback URL, on this machine)")
		}
		if *keyFile != "" {
			return m.badFlag(cmd, "--key-file is not used with --kind web")
		}
	case "":
		return m.badFlag(cmd, "--kind is required (jwt, client_credentials or web)")
	case "password", "refresh_token":
		return m.badFlag(cmd, "--kind %s is not offered: use jwt, client_credentials or web (which stores a refresh token); password logins are being retired by Salesforce", *kind)
	default:
		return m.badFlag(cmd, "--kind %q is not jwt, client_credentials or web", *kind)
	}
	var keyPEM []byte
	if *keyFile != "" {
		data, err := fileread.Read("--key-file", *keyFile, fileread.MaxKey)
		if err != nil {
			return m.badFlag(cmd, "%s", warden.ErrorMessage(err))
		}
		if _, err := salesforce.ParsePrivateKey(data); err != nil {
			return m.badFlag(cmd, "--key-file %s: %s", *keyFile, warden.ErrorMessage(err))
		}
		keyPEM = data
	}
	if *kind == "client_credentials" {
		if u, err := url.Parse(*f.loginURL); err == nil && (strings.EqualFold(u.Hostname(), "login.salesforce.com") || strings.EqualFold(u.Hostname(), "test.salesforce.com")) {
			return m.badFlag(cmd, "--kind client_credentials needs the org's My Domain URL as --login-url (Salesforce refuses the flow on %s)", u.Hostname())
		}
	}
	var redirect string
	if *kind == "web" {
		var err error
		if redirect, err = credential.CallbackURL(*callback); err != nil {
			return m.badFlag(cmd, "--callback: %v", err)
		}
	}

	logger := m.cliLogger(*f.verbose)
	e, err := m.openInventoryToAdd(ctx, *f.file, logger)
	if err != nil {
		return err
	}
	defer e.Close()
	n, err := m.prepareOrg(ctx, e, cmd, f)
	if err != nil {
		return err
	}
	n.Credential.ClientID = *clientID
	switch *kind {
	case "jwt":
		n.Credential.Kind, n.Credential.Username = warden.CredentialJWT, *username
		n.Material = warden.Material{PrivateKey: string(keyPEM)}
	case "client_credentials":
		n.Credential.Kind = warden.CredentialClientCredentials
		n.Material = warden.Material{ClientSecret: secret}
	case "web":
		n.Credential.Kind, n.Credential.Username = warden.CredentialRefreshToken, *username
		say := m.Stdout
		if *f.asJSON {
			say = m.Stderr // keep stdout pure JSON
		}
		tok, err := credential.WebLogin(ctx, credential.WebLoginOptions{Client: n.Client, ClientID: *clientID, ClientSecret: secret,
			Callback: redirect, Scope: *scope, Timeout: *timeout, Out: say, OnAuthorize: m.readyAuthorize, Logger: logger})
		if err != nil {
			return err
		}
		n.Minted = true
		n.Material = warden.Material{RefreshToken: tok.RefreshToken, ClientSecret: secret}
	}
	if err := e.creds.Connect(ctx, n); err != nil {
		return err
	}
	return m.reportOrg(e, n, *f.asJSON)
}

// readyAuthorize hands the authorization URL of a web login to m.Ready.
func (m *Main) readyAuthorize(authURL string) {
	if m.Ready != nil {
		m.Ready("authorize", authURL)
	}
}

// sfCommand is the Salesforce CLI that --from-sf-alias runs (tests replace
// it).
var sfCommand = "sf"

func runOrgImport(ctx context.Context, m *Main, args []string) error {
	const cmd = "org import-sf"
	fs := m.flags(cmd, orgImportUsage)
	f := addOrgFlags(fs, "", "login URL to refresh the token at (default: the loginUrl or instance URL of the authorization)")
	authFile := fs.String("file", "", "file holding an auth URL, sf org display --verbose --json output, or a ~/.sfdx auth file")
	urlEnv := fs.String("auth-url-env", "", "name of the environment variable holding a force:// auth URL")
	alias := fs.String("from-sf-alias", "", "read the org's auth URL from the Salesforce CLI (sf org display --target-org ALIAS --verbose --json)")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if err := m.checkOrgFlags(cmd, f); err != nil {
		return err
	}
	sources := 0
	for _, s := range []string{*authFile, *urlEnv, *alias} {
		if s != "" {
			sources++
		}
	}
	if sources != 1 {
		return m.badFlag(cmd, "give exactly one of --file, --auth-url-env and --from-sf-alias")
	}
	var a *inventory.SFAuth
	var err error
	switch {
	case *authFile != "":
		data, rerr := fileread.Read("--file", *authFile, fileread.MaxKey)
		if rerr != nil {
			return m.badFlag(cmd, "%s", warden.ErrorMessage(rerr))
		}
		if a, err = inventory.ParseSFAuth(data); err != nil {
			return m.badFlag(cmd, "--file %s: %s", *authFile, warden.ErrorMessage(err))
		}
	case *urlEnv != "":
		v := m.Getenv(*urlEnv)
		if v == "" {
			return m.badFlag(cmd, "--auth-url-env: environment variable %s is empty or not set", *urlEnv)
		}
		if a, err = inventory.ParseAuthURL(v); err != nil {
			return m.badFlag(cmd, "--auth-url-env %s: %s", *urlEnv, warden.ErrorMessage(err))
		}
	default:
		if a, err = sfDisplay(ctx, *alias); err != nil {
			return err
		}
	}
	if *f.loginURL == "" {
		*f.loginURL = a.LoginURL
	}

	logger := m.cliLogger(*f.verbose)
	e, err := m.openInventoryToAdd(ctx, *f.file, logger)
	if err != nil {
		return err
	}
	defer e.Close()
	n, err := m.prepareOrg(ctx, e, cmd, f)
	if err != nil {
		return err
	}
	n.Credential.Kind, n.Credential.ClientID, n.Credential.Username = warden.CredentialRefreshToken, a.ClientID, a.Username
	n.Material = warden.Material{RefreshToken: a.RefreshToken, ClientSecret: a.ClientSecret}
	logger.Info("importing a Salesforce CLI authorization", "source", a.Source, "clientId", a.ClientID, "instanceUrl", a.InstanceURL)
	if err := e.creds.Connect(ctx, n); err != nil {
		return err
	}
	if a.OrgID != "" && len(a.OrgID) >= 15 && len(n.Org.OrgID) >= 15 && a.OrgID[:15] != n.Org.OrgID[:15] {
		fmt.Fprintf(m.Stderr, "warden: note: the authorization named org %s, the login reached %s\n", a.OrgID, n.Org.OrgID)
	}
	return m.reportOrg(e, n, *f.asJSON)
}

// sfDisplay runs the Salesforce CLI to read an org's auth URL. Its output
// holds secrets: it is parsed, never shown.
func sfDisplay(ctx context.Context, alias string) (*inventory.SFAuth, error) {
	if strings.HasPrefix(alias, "-") || strings.ContainsAny(alias, "\x00\r\n") {
		return nil, warden.Errorf(warden.EINVALID, "--from-sf-alias: %q is not an org alias or username", alias)
	}
	path, err := exec.LookPath(sfCommand)
	if err != nil {
		return nil, warden.Errorf(warden.EINVALID, "--from-sf-alias: the Salesforce CLI (%s) is not on PATH; export an auth URL where it runs (sf org display --target-org ALIAS --verbose --json > auth.json) and use --file", sfCommand)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, path, "org", "display", "--target-org", alias, "--verbose", "--json")
	var out bytes.Buffer
	c.Stdout = &limitedBuffer{buf: &out, max: 1 << 20}
	c.Stderr = io.Discard
	runErr := c.Run()
	a, err := inventory.ParseSFAuth(out.Bytes())
	if err != nil {
		if runErr != nil {
			return nil, warden.Errorf(warden.EINVALID, "--from-sf-alias %s: sf org display failed (%v): %s", alias, runErr, warden.ErrorMessage(err))
		}
		return nil, warden.Errorf(warden.EINVALID, "--from-sf-alias %s: %s", alias, warden.ErrorMessage(err))
	}
	return a, nil
}

// limitedBuffer keeps at most max bytes.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max + 1 - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// orgRow is one org in "warden org list" output.
type orgRow struct {
	*warden.Org
	Source         string `json:"source"`
	CredentialKind string `json:"credentialKind,omitempty"`
	MonitoringUser string `json:"monitoringUser,omitempty"`
}

func runOrgList(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("org list", orgListUsage)
	file := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	orgs, err := e.store.Orgs(ctx)
	if err != nil {
		return err
	}
	declared := map[string]bool{}
	for _, o := range e.cfg.Orgs {
		declared[o.Name] = true
	}
	rows := make([]orgRow, 0, len(orgs))
	for _, o := range orgs {
		r := orgRow{Org: o, Source: "cli"}
		if declared[o.Name] {
			r.Source = "config"
		}
		if o.MonitoringCredential != "" {
			if c, err := e.store.Credential(ctx, o.MonitoringCredential); err == nil {
				r.CredentialKind, r.MonitoringUser = string(c.Kind), c.Username
			}
		}
		rows = append(rows, r)
	}
	if *asJSON {
		return writeJSON(m.Stdout, rows)
	}
	tw := table(m.Stdout)
	fmt.Fprintln(tw, "ORG\tORG ID\tINSTANCE\tMONITORING CREDENTIAL\tSOURCE")
	for _, r := range rows {
		cred := orDash(r.MonitoringCredential)
		if r.CredentialKind != "" {
			cred += fmt.Sprintf(" (%s, %s)", r.CredentialKind, orDash(r.MonitoringUser))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, orDash(r.OrgID), orDash(r.InstanceURL), cred, r.Source)
	}
	return tw.Flush()
}
