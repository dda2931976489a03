package delivery

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/wardenhq/warden"
)

// Runbook returns the steps the owner of a manual dependent follows after
// Warden delivered (action deliver) or rolled back to (action restore)
// version of credential c: which application, which settings, where the
// value is in the secret store, and how to confirm. It never contains the
// value.
func Runbook(d *warden.Dependent, c *warden.Credential, m warden.Material, version, action string) string {
	var b strings.Builder
	owner := cmp.Or(d.Owner, "the owner")
	if d.Contact != "" {
		owner += " (" + d.Contact + ")"
	}
	verb := "rotated"
	if action == warden.ActionRestore {
		verb = "rolled back"
	}
	fmt.Fprintf(&b, "Warden %s credential %s (user %s in org %s). Application %s receives it by hand, so %s must update it:\n\n",
		verb, c.Name, cmp.Or(c.LoginUsername(m), "-"), c.Org, d.Name, owner)
	what := materialName(c.Kind)
	fmt.Fprintf(&b, "1. Read the %s from secret store %q, key %q, version %s.\n", what, c.Secret.Store, c.Secret.Key, version)
	if action == warden.ActionRestore {
		fmt.Fprintf(&b, "   This is the credential %s used before the rotation; the newer one is no longer valid.\n", d.Name)
	}
	settings := "the setting that holds the " + what
	if t := d.Target.Manual; t != nil && len(t.Settings) > 0 {
		settings = strings.Join(t.Settings, "; ")
	}
	fmt.Fprintf(&b, "2. In %s, change: %s.\n", d.Name, settings)
	n := 3
	if c.TwinUsername != "" {
		fmt.Fprintf(&b, "%d. Also set the username to %s: this credential alternates between twin users %s and %s.\n", n, c.LoginUsername(m), c.Username, c.TwinUsername)
		n++
	}
	if c.TwinClientID != "" {
		fmt.Fprintf(&b, "%d. Also set the consumer key (client id) to %s: this credential alternates between two connected apps.\n", n, c.LoginClientID(m))
		n++
	}
	if t := d.Target.Manual; t != nil && strings.TrimSpace(t.Instructions) != "" {
		fmt.Fprintf(&b, "%d. %s\n", n, strings.TrimSpace(t.Instructions))
		n++
	}
	fmt.Fprintf(&b, "%d. Confirm it is done: warden delivery confirm --org %s %s\n", n, shellWord(d.Org), shellWord(d.Name))
	return b.String()
}

// materialName is what the owner copies for a credential kind.
func materialName(k warden.CredentialKind) string {
	switch k {
	case warden.CredentialJWT:
		return "private key (privateKey)"
	case warden.CredentialClientCredentials:
		return "consumer secret (clientSecret)"
	case warden.CredentialRefreshToken:
		return "refresh token (refreshToken)"
	}
	return "password with the security token appended (password)"
}

// shellWord quotes s for a POSIX shell when it has anything but letters,
// digits and . _ - @ /.
func shellWord(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@/", r)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}
