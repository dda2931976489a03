package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/internal/fileread"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/salesforce"
)

func init() {
	register("provision", "create an integration user as the policy wants it", runProvision)
}

const provisionUsage = `provision -f integration.yaml [--config FILE] [--policy FILE] [--apply] [--emulator] [--json]

Builds a new integration user from a short spec (name, org, owner team,
the objects and access it needs, allowed IP ranges and hours, credential
kind jwt or client_credentials; password only with allowPassword: true):
the user on the policy's preferred profile and licence ("Minimum Access -
API Only Integrations", Salesforce Integration), a dedicated permission set
with exactly the declared access on the Salesforce API Integration
permission set licence, the licence and permission set assignments, and a
credential: for jwt a fresh RSA key pair whose private key goes straight
into the secret store, for client_credentials a consumer secret. The user,
credential and dependents are registered in the inventory.

Without --apply it prints the plan and changes nothing. It is idempotent:
run again after --apply, it plans no change. Salesforce has no REST API for
connected apps: the plan says how an admin creates the app (and --apply
prints the certificate); with --emulator, Warden installs it through the
Warden emulator's control API instead.`

func runProvision(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("provision", provisionUsage)
	specFile := fs.String("f", "", "the integration spec (YAML)")
	file := configFlag(fs)
	polFile := fs.String("policy", "", "policy file that extends or overrides the built-in baseline")
	apply := fs.Bool("apply", false, "make the changes (default: print the plan)")
	emu := fs.Bool("emulator", false, "the org is the Warden emulator: install the connected app through its control API")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if *specFile == "" {
		fmt.Fprintln(m.Stderr, "warden: provision needs -f integration.yaml")
		return errUsage
	}
	data, err := fileread.Read("-f", *specFile, fileread.MaxPolicy)
	if err != nil {
		return err
	}
	spec, err := policy.ParseSpec(data, *specFile)
	if err != nil {
		return err
	}
	pol, err := loadPolicySet(*polFile)
	if err != nil {
		return err
	}
	cfg, err := m.loadConfig(m.configPath(*file))
	if err != nil {
		return err
	}
	e, err := m.open(ctx, cfg, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	var monitoring string
	for _, o := range cfg.Orgs {
		if o.Name == spec.Org {
			monitoring = o.MonitoringCredential
		}
	}
	if monitoring == "" {
		return warden.Errorf(warden.EINVALID, "%s: org %q is not in the configuration", *specFile, spec.Org)
	}
	sess, err := e.session(ctx, monitoring)
	if err != nil {
		return fmt.Errorf("org %s: %w", spec.Org, err)
	}
	p := &policy.Provisioner{Session: sess, Policy: pol, Store: e.store, Secrets: e.secrets, Getenv: m.Getenv}
	if len(cfg.SecretStores) > 0 {
		p.DefaultSecretStore = cfg.SecretStores[0].Name
	}
	if *emu {
		p.InstallApp = emulatorInstaller(sess)
	}
	plan, err := p.Plan(ctx, spec)
	if err != nil {
		return err
	}
	if !*apply {
		if *asJSON {
			return fixJSON(m, plan)
		}
		writeProvisionPlan(m.Stdout, plan)
		if !plan.Empty() {
			fmt.Fprintln(m.Stdout, "\nRun again with --apply to make these changes.")
		}
		return nil
	}
	if plan.Empty() {
		if *asJSON {
			return fixJSON(m, plan)
		}
		fmt.Fprintf(m.Stdout, "%s/%s is provisioned: nothing to change.\n", plan.Org, plan.Username)
		for _, n := range plan.Notes {
			fmt.Fprintf(m.Stdout, "note: %s\n", n)
		}
		return nil
	}
	err = p.Apply(ctx, plan, func(s *policy.Step) {
		if *asJSON {
			return
		}
		outcome := "done"
		if s.Error != "" {
			outcome = "FAILED: " + s.Error
		}
		fmt.Fprintf(m.Stdout, "%s %s: %s: %s\n", time.Now().UTC().Format(time.RFC3339), s.Kind, s.Summary, outcome)
	})
	if *asJSON {
		if jerr := fixJSON(m, plan); jerr != nil {
			return jerr
		}
		return err
	}
	if err != nil {
		return err
	}
	for _, n := range plan.Notes {
		fmt.Fprintf(m.Stdout, "\nnote: %s\n", n)
	}
	if plan.Certificate != "" && !*emu {
		fmt.Fprintf(m.Stdout, "\nCertificate for connected app %q (Use digital signatures):\n%s", spec.Credential.ConnectedApp, plan.Certificate)
	}
	fmt.Fprintf(m.Stdout, "\nProvisioned %s/%s. Check it now: warden check %s/%s\n", plan.Org, plan.Username, plan.Org, plan.Username)
	return nil
}

func writeProvisionPlan(w io.Writer, p *policy.ProvisionPlan) {
	fmt.Fprintf(w, "Provisioning plan for %s/%s (credential %s)\n", p.Org, p.Username, p.Credential)
	if p.Empty() {
		fmt.Fprintln(w, "  nothing to change: the user is provisioned")
	}
	for i, s := range p.Steps {
		fmt.Fprintf(w, "  %d. [%s] %s\n", i+1, s.Kind, s.Summary)
		if s.Request != "" {
			fmt.Fprintf(w, "     %s\n", s.Request)
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "  manual: %s\n", strings.ReplaceAll(n, "\n", "\n    "))
	}
}

// emulatorInstaller installs connected apps through the Warden emulator's
// control API (POST /_emulator/orgs/{org id}/connected-apps), at the
// session's instance URL.
func emulatorInstaller(sess *salesforce.Session) func(ctx context.Context, app policy.ConnectedApp) error {
	return func(ctx context.Context, app policy.ConnectedApp) error {
		tok, err := sess.Token(ctx)
		if err != nil {
			return err
		}
		body, _ := json.Marshal(app)
		u := tok.InstanceURL + "/_emulator/orgs/" + url.PathEscape(tok.OrgID) + "/connected-apps"
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		c := &http.Client{Timeout: 30 * time.Second}
		resp, err := c.Do(req)
		if err != nil {
			return warden.Errorf(warden.EUNAVAILABLE, "emulator control API: %v", err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		if resp.StatusCode/100 != 2 {
			return warden.Errorf(warden.ECONFLICT, "emulator control API: %s: %s", resp.Status, strings.TrimSpace(string(data)))
		}
		return nil
	}
}
