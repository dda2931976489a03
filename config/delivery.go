package config

// A dependent's delivery target and verification: where a rotated
// credential goes for its delivery kind, and how Warden proves the
// application works with it (package delivery). docs/configuration.md,
// section "Delivery to dependents", documents the keys.

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/delivery"
	"github.com/wardenhq/warden/secret"
)

// DeliveryTarget is where a dependent receives credentials. Its keys
// depend on the dependent's delivery kind:
//
//   - file: path, format (env, json, yaml, properties; default from the
//     path's extension), template or templateFile, keyPath, mode;
//   - secret_store: store, key, field (none: the application reads the
//     credential's own secret);
//   - webhook: url, secret (a secret-store reference to the signing
//     secret);
//   - command: command, args, input (stdin or env), env, timeout;
//   - manual: settings, instructions.
type DeliveryTarget struct {
	Path         string `yaml:"path,omitempty"`
	Format       string `yaml:"format,omitempty"`
	Template     string `yaml:"template,omitempty"`
	TemplateFile string `yaml:"templateFile,omitempty"`
	KeyPath      string `yaml:"keyPath,omitempty"`
	// Mode is the octal permission of a new file ("0640"; default 0600).
	Mode string `yaml:"mode,omitempty"`

	Store string `yaml:"store,omitempty"`
	Key   string `yaml:"key,omitempty"`
	Field string `yaml:"field,omitempty"`

	URL    string    `yaml:"url,omitempty"`
	Secret SecretRef `yaml:"secret,omitempty"`

	Command string            `yaml:"command,omitempty"`
	Args    []string          `yaml:"args,omitempty"`
	Input   string            `yaml:"input,omitempty"`
	Env     map[string]string `yaml:"env,omitempty"`
	Timeout Duration          `yaml:"timeout,omitempty"`

	Settings     []string `yaml:"settings,omitempty"`
	Instructions string   `yaml:"instructions,omitempty"`
}

// Verification is how a delivery to a dependent is proven: method
// health (url, expect), login, or login_history (sourceIps,
// application); none when empty.
type Verification struct {
	Method      string   `yaml:"method,omitempty"`
	URL         string   `yaml:"url,omitempty"`
	Expect      string   `yaml:"expect,omitempty"`
	SourceIPs   []string `yaml:"sourceIps,omitempty"`
	Application string   `yaml:"application,omitempty"`
}

// formatByExt is the default template format of a file by extension.
var formatByExt = map[string]string{
	".env": delivery.FormatEnv, ".json": delivery.FormatJSON, ".yaml": delivery.FormatYAML,
	".yml": delivery.FormatYAML, ".properties": delivery.FormatProperties,
}

// deliveryTarget checks a dependent's target and verification against
// its delivery kind, fills the file format from the extension, and reads
// a templateFile into Template.
func (v *validator) deliveryTarget(p string, d *Dependent) {
	t, kind := &d.Target, d.Delivery
	tp := p + ".target"
	v.unused(tp, kind, []kindField{
		{"path", t.Path != "", []string{"file"}},
		{"format", t.Format != "", []string{"file"}},
		{"template", t.Template != "" && t.TemplateFile == "", []string{"file"}},
		{"templateFile", t.TemplateFile != "", []string{"file"}},
		{"keyPath", t.KeyPath != "", []string{"file"}},
		{"mode", t.Mode != "", []string{"file"}},
		{"store", t.Store != "", []string{"secret_store"}},
		{"key", t.Key != "", []string{"secret_store"}},
		{"field", t.Field != "", []string{"secret_store"}},
		{"url", t.URL != "", []string{"webhook"}},
		{"secret", t.Secret != (SecretRef{}), []string{"webhook"}},
		{"command", t.Command != "", []string{"command"}},
		{"args", len(t.Args) > 0, []string{"command"}},
		{"input", t.Input != "", []string{"command"}},
		{"env", len(t.Env) > 0, []string{"command"}},
		{"timeout", t.Timeout != 0, []string{"command"}},
		{"settings", len(t.Settings) > 0, []string{"manual"}},
		{"instructions", t.Instructions != "", []string{"manual"}},
	})
	switch kind {
	case string(warden.DeliveryFile):
		v.fileTarget(tp, t)
	case string(warden.DeliverySecretStore):
		switch {
		case t.Store == "" && t.Key == "":
			if t.Field != "" {
				v.add(tp+".field", "needs store and key (without them the application reads the credential's own secret)")
			}
		case t.Store == "" || t.Key == "":
			v.add(tp, "give both store and key (or neither: the application reads the credential's own secret)")
		default:
			v.storeRef(tp+".store", t.Store)
			if err := secret.ValidateKey(t.Key); err != nil {
				v.add(tp+".key", "%s", warden.ErrorMessage(err))
			}
		}
		if t.Field != "" {
			v.oneOf(tp+".field", t.Field, []string{delivery.FieldPassword, delivery.FieldPrivateKey, delivery.FieldClientSecret, delivery.FieldRefreshToken})
		}
	case string(warden.DeliveryWebhook):
		if t.URL == "" && t.Secret == (SecretRef{}) {
			break // declared without a target: rotation cannot deliver to it (an error then, as before)
		}
		switch u, err := url.Parse(t.URL); {
		case t.URL == "":
			v.add(tp+".url", "is required for delivery webhook")
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			v.add(tp+".url", "is not an absolute https URL") // never quoted: it may hold a token
		case u.Scheme == "http" && !loopbackHost(u.Hostname()):
			v.add(tp+".url", "must be https (http only to a loopback address): the body carries the credential")
		}
		switch {
		case t.Secret.Store == "" || t.Secret.Key == "":
			v.add(tp+".secret", "is required for delivery webhook: {store, key} of the signing secret")
		default:
			v.storeRef(tp+".secret.store", t.Secret.Store)
		}
	case string(warden.DeliveryCommand):
		switch {
		case t.Command == "":
			v.add(tp+".command", "is required for delivery command")
		case !filepath.IsAbs(v.c.Resolve(t.Command)):
			v.add(tp+".command", "%q must be a path (absolute, or relative to the configuration file)", t.Command)
		}
		if t.Input != "" {
			v.oneOf(tp+".input", t.Input, []string{delivery.InputStdin, delivery.InputEnv})
		}
		if t.Input == delivery.InputEnv && len(t.Env) == 0 {
			v.add(tp+".env", "is required for input env: NAME: field")
		}
		if len(t.Env) > 0 && t.Input != delivery.InputEnv {
			v.add(tp+".env", "is used only with input env")
		}
		names := make([]string, 0, len(t.Env))
		for name := range t.Env {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			switch {
			case !envName(name) || strings.HasPrefix(name, "WARDEN_"):
				v.add(tp+".env."+name, "%q is not a usable variable name (WARDEN_ is reserved)", name)
			default:
				v.oneOf(tp+".env."+name, t.Env[name], delivery.Fields)
			}
		}
	}
	v.verification(p+".verify", &d.Verify)
	if d.Verify.Method == warden.VerifyLogin && v.credentialKind(d) == string(warden.CredentialRefreshToken) {
		v.add(p+".verify.method", "login would spend the dependent's refresh token (it may be rotated): use health or login_history")
	}
}

// credentialKind is the kind of the credential of d's user, or "".
func (v *validator) credentialKind(d *Dependent) string {
	i, ok := v.users[userKey(d.Org, d.Username)]
	if !ok {
		return ""
	}
	if ci, ok := v.creds[v.c.Users[i].Credential]; ok {
		return v.c.Credentials[ci].Kind
	}
	return ""
}

// fileTarget checks a file target and loads its template.
func (v *validator) fileTarget(tp string, t *DeliveryTarget) {
	if t.Path == "" {
		v.add(tp+".path", "is required for delivery file")
	} else if !filepath.IsAbs(v.c.Resolve(t.Path)) {
		v.add(tp+".path", "%q must be absolute, or relative to the configuration file", t.Path)
	}
	if t.Format == "" {
		t.Format = formatByExt[strings.ToLower(filepath.Ext(t.Path))]
		if t.Format == "" && t.Path != "" {
			v.add(tp+".format", "is required: the extension of %q does not say (env, json, yaml or properties)", t.Path)
		}
	} else if !v.oneOf(tp+".format", t.Format, delivery.Formats) {
		return
	}
	if t.Mode != "" {
		if m, err := strconv.ParseUint(t.Mode, 8, 32); err != nil || m > 0o777 {
			v.add(tp+".mode", "%q is not an octal file mode such as 0600", t.Mode)
		}
	}
	switch {
	case t.Template != "" && t.TemplateFile != "":
		v.add(tp+".templateFile", "give template or templateFile, not both")
		return
	case t.TemplateFile != "":
		b, err := os.ReadFile(v.c.Resolve(t.TemplateFile))
		if err != nil {
			v.add(tp+".templateFile", "cannot read %q: %v", t.TemplateFile, pathlessError(err))
			return
		}
		t.Template = string(b)
	case t.Template == "":
		v.add(tp+".template", "is required for delivery file (or templateFile)")
		return
	}
	if t.Format == "" {
		return
	}
	tmpl, err := delivery.ParseTemplate(t.Format, t.Template)
	if err != nil {
		v.add(tp+".template", "%s", warden.ErrorMessage(err))
		return
	}
	if slices.Contains(tmpl.Uses(), delivery.FieldPrivateKeyPath) && t.KeyPath == "" {
		v.add(tp+".keyPath", "is required: the template uses {{privateKeyPath}}")
	}
}

// verification checks how deliveries to a dependent are proven.
func (v *validator) verification(p string, vf *Verification) {
	if vf.Method == "" {
		if vf.URL != "" || vf.Expect != "" || len(vf.SourceIPs) > 0 || vf.Application != "" {
			v.add(p+".method", "is required when verify has other keys (health, login or login_history)")
		}
		return
	}
	if !v.oneOf(p+".method", vf.Method, []string{warden.VerifyHealth, warden.VerifyLogin, warden.VerifyLoginHistory}) {
		return
	}
	v.unused(p, vf.Method, []kindField{
		{"url", vf.URL != "", []string{warden.VerifyHealth}},
		{"expect", vf.Expect != "", []string{warden.VerifyHealth}},
		{"sourceIps", len(vf.SourceIPs) > 0, []string{warden.VerifyLoginHistory}},
		{"application", vf.Application != "", []string{warden.VerifyLoginHistory}},
	})
	switch vf.Method {
	case warden.VerifyHealth:
		if vf.URL == "" {
			v.add(p+".url", "is required for method health")
		} else if !httpURL(vf.URL) {
			v.add(p+".url", "is not an absolute http(s) URL")
		}
	case warden.VerifyLoginHistory:
		if len(vf.SourceIPs) == 0 && vf.Application == "" {
			v.add(p, "method login_history needs sourceIps or application (to tell the dependent's logins apart)")
		}
		for i, ip := range vf.SourceIPs {
			if net.ParseIP(ip) == nil {
				v.add(fmt.Sprintf("%s.sourceIps[%d]", p, i), "%q is not an IP address", ip)
			}
		}
	}
}

// storeRef checks that a secret store is declared.
func (v *validator) storeRef(path, name string) {
	if _, ok := v.stores[name]; !ok {
		v.add(path, "secret store %q is not declared%s", name, hint("secret stores", v.stores))
	}
}

// loopbackHost reports whether host is a loopback IP address or
// localhost.
func loopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback()
}

// pathlessError is an os error without the path (the message names it).
func pathlessError(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// domain returns the target as the root package has it, with paths
// resolved against the configuration file, for the delivery kind.
func (t DeliveryTarget) domain(c *Config, kind string) warden.DeliveryTarget {
	var out warden.DeliveryTarget
	switch kind {
	case string(warden.DeliveryFile):
		mode, _ := strconv.ParseUint(t.Mode, 8, 32)
		out.File = &warden.FileTarget{Path: c.Resolve(t.Path), Format: t.Format, Template: t.Template, Mode: uint32(mode)}
		if t.KeyPath != "" {
			out.File.KeyPath = c.Resolve(t.KeyPath)
		}
	case string(warden.DeliverySecretStore):
		if t.Store != "" {
			out.Secret = &warden.SecretTarget{Store: t.Store, Key: t.Key, Field: t.Field}
		}
	case string(warden.DeliveryWebhook):
		if t.URL != "" {
			out.Webhook = &warden.WebhookTarget{URL: t.URL, Secret: warden.SecretRef{Store: t.Secret.Store, Key: t.Secret.Key}}
		}
	case string(warden.DeliveryCommand):
		out.Command = &warden.CommandTarget{Path: c.Resolve(t.Command), Args: slices.Clone(t.Args), Input: t.Input, Timeout: t.Timeout.D()}
		out.Command.Env = maps.Clone(t.Env)
	case string(warden.DeliveryManual):
		if len(t.Settings) > 0 || t.Instructions != "" {
			out.Manual = &warden.ManualTarget{Settings: slices.Clone(t.Settings), Instructions: t.Instructions}
		}
	}
	return out
}

// domain returns the verification as the root package has it.
func (vf Verification) domain() warden.Verification {
	return warden.Verification{Method: vf.Method, URL: vf.URL, Expect: vf.Expect, SourceIPs: slices.Clone(vf.SourceIPs), Application: vf.Application}
}

// redacted returns a deep copy of t with the webhook URL's path and query
// (where a token may be) redacted.
func (t DeliveryTarget) redacted() DeliveryTarget {
	t.URL = redactURL(t.URL)
	t.Args, t.Settings = slices.Clone(t.Args), slices.Clone(t.Settings)
	t.Env = maps.Clone(t.Env)
	return t
}

// clone returns a deep copy of vf.
func (vf Verification) clone() Verification {
	vf.SourceIPs = slices.Clone(vf.SourceIPs)
	return vf
}
