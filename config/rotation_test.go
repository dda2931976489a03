package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rotationBase declares what the mailboxes below refer to; the mailboxes
// follow it as items of rotation.mailboxes.
const rotationBase = `
secretStores:
  - {name: local, kind: local, keyFile: warden.key}
  - {name: vault, kind: vault, address: "https://vault.acme.example:8200", token: t}
orgs:
  - {name: acme, loginUrl: https://login.salesforce.com, monitoringCredential: legacy-soap}
credentials:
  - {name: legacy-soap, org: acme, kind: password, username: legacy-soap@acme.example, secret: {store: local, key: acme/legacy-soap}}
  - {name: erp, org: acme, kind: password, username: erp@acme.example, secret: {store: local, key: acme/erp}}
rotation:
  mailboxes:
`

func TestRotationMailboxes(t *testing.T) {
	yaml := rotationBase + `
    - credential: legacy-soap
      kind: imap
      addr: imap.acme.example:993
      security: tls
      login: legacy-soap@acme.example
      password: {store: local, key: legacy-soap-imap}
      caFile: certs/acme-ca.pem
      folder: Salesforce
    - credential: legacy-soap
      username: legacy-soap-twin@acme.example
      kind: imap
      addr: 127.0.0.1:143
      security: none
      login: twin
      password: {store: vault, key: mail/twin}
    - credential: erp
      kind: graph
      tenant: contoso.onmicrosoft.com
      clientId: 11111111-2222-3333-4444-555555555555
      clientSecret: {store: vault, key: warden/graph}
      user: erp-int@contoso.com
      authorityUrl: https://login.microsoftonline.us
      graphUrl: https://graph.microsoft.us
      account: {store: vault, key: mail/erp-account}
    - credential: ERP
      username: erp-twin@acme.example
      url: http://127.0.0.1:8484
      account: {store: local, key: erp-twin-mailbox}
    - credential: erp
      username: Erp-Twin2@acme.example
      kind: graph
      tenant: contoso.onmicrosoft.com
      clientId: app
      clientSecret: {store: local, key: graph}
      user: 0a1b2c3d-0000-0000-0000-000000000000
      graphUrl: http://127.0.0.1:9999
`
	c, err := Parse([]byte(yaml), "/etc/warden/warden.yaml", getenv)
	if err != nil {
		t.Fatal(err)
	}
	want := []RotationMailbox{
		{Credential: "legacy-soap", Kind: "imap", Addr: "imap.acme.example:993", Security: "tls", Login: "legacy-soap@acme.example",
			Password: SecretRef{Store: "local", Key: "legacy-soap-imap"}, CAFile: "certs/acme-ca.pem", Folder: "Salesforce"},
		{Credential: "legacy-soap", Username: "legacy-soap-twin@acme.example", Kind: "imap", Addr: "127.0.0.1:143", Security: "none",
			Login: "twin", Password: SecretRef{Store: "vault", Key: "mail/twin"}},
		{Credential: "erp", Kind: "graph", Tenant: "contoso.onmicrosoft.com", ClientID: "11111111-2222-3333-4444-555555555555",
			ClientSecret: SecretRef{Store: "vault", Key: "warden/graph"}, User: "erp-int@contoso.com",
			AuthorityURL: "https://login.microsoftonline.us", GraphURL: "https://graph.microsoft.us", Account: SecretRef{Store: "vault", Key: "mail/erp-account"}},
		// The kind defaults to emulator.
		{Credential: "ERP", Username: "erp-twin@acme.example", Kind: "emulator", URL: "http://127.0.0.1:8484", Account: SecretRef{Store: "local", Key: "erp-twin-mailbox"}},
		{Credential: "erp", Username: "Erp-Twin2@acme.example", Kind: "graph", Tenant: "contoso.onmicrosoft.com", ClientID: "app",
			ClientSecret: SecretRef{Store: "local", Key: "graph"}, User: "0a1b2c3d-0000-0000-0000-000000000000", GraphURL: "http://127.0.0.1:9999"},
	}
	if diff := cmp.Diff(want, c.Rotation.Mailboxes); diff != "" {
		t.Errorf("mailboxes (-want +got):\n%s", diff)
	}
}

func TestRotationMailboxErrors(t *testing.T) {
	tests := []struct {
		name, mailboxes string
		want            []string
	}{
		{"no credential", "    - {kind: emulator}\n",
			[]string{"rotation.mailboxes[0].credential: is required"}},
		{"unknown kind", "    - {credential: erp, kind: pop3}\n",
			[]string{`rotation.mailboxes[0].kind: "pop3" is not emulator, imap or graph`}},
		{"kind misspelt", "    - {credential: erp, kind: imaps}\n",
			[]string{`rotation.mailboxes[0].kind: "imaps" is not emulator, imap or graph (did you mean "imap"?)`}},
		{"bad username", "    - {credential: erp, username: erp}\n",
			[]string{`rotation.mailboxes[0].username: "erp" is not a Salesforce username`}},
		{"duplicate credential", "    - {credential: erp}\n    - {credential: erp, kind: emulator}\n",
			[]string{`rotation.mailboxes[1].credential: duplicate mailbox of credential "erp" for user "erp@acme.example" (also rotation.mailboxes[0].credential at line`}},
		{"duplicate of the default user", "    - {credential: erp}\n    - {credential: erp, username: ERP@acme.example}\n",
			[]string{`rotation.mailboxes[1].username: duplicate mailbox of credential "erp" for user "ERP@acme.example"`}},
		{"duplicate twin", "    - {credential: erp, username: twin@acme.example}\n    - {credential: erp, username: Twin@acme.example}\n",
			[]string{`rotation.mailboxes[1].username: duplicate mailbox of credential "erp" for user "Twin@acme.example" (also rotation.mailboxes[0].username`}},
		{"duplicate undeclared credential", "    - {credential: cli-added}\n    - {credential: cli-added}\n",
			[]string{`rotation.mailboxes[1].credential: duplicate mailbox of credential "cli-added" (also`}},
		{"emulator url", "    - {credential: erp, url: 'localhost:8484'}\n",
			[]string{`rotation.mailboxes[0].url: "localhost:8484" is not an absolute http(s) URL`}},
		{"emulator with imap fields", "    - {credential: erp, addr: 'imap.example.com:993', login: x}\n",
			[]string{"rotation.mailboxes[0].addr: is not used by kind emulator (only by imap)", "rotation.mailboxes[0].login: is not used by kind emulator (only by imap)"}},
		{"imap without anything", "    - {credential: erp, kind: imap}\n",
			[]string{"rotation.mailboxes[0].addr: is required for kind imap", "rotation.mailboxes[0].login: is required for kind imap",
				"rotation.mailboxes[0].password: is required for kind imap"}},
		{"imap addr", "    - {credential: erp, kind: imap, addr: imap.example.com, login: x, password: {store: local, key: k}}\n",
			[]string{`rotation.mailboxes[0].addr: "imap.example.com" is not host:port (e.g. imap.example.com:993)`}},
		{"imap port", "    - {credential: erp, kind: imap, addr: 'imap.example.com:0', login: x, password: {store: local, key: k}}\n",
			[]string{`rotation.mailboxes[0].addr: "imap.example.com:0" is not host:port`}},
		{"imap security", "    - {credential: erp, kind: imap, addr: 'imap.example.com:993', security: ssl, login: x, password: {store: local, key: k}}\n",
			[]string{`rotation.mailboxes[0].security: "ssl" is not tls, starttls or none`}},
		{"clear text beyond loopback", "    - {credential: erp, kind: imap, addr: 'imap.example.com:143', security: none, login: x, password: {store: local, key: k}}\n",
			[]string{`rotation.mailboxes[0].security: none sends the password in clear text: it is allowed only to a loopback address (127.0.0.1, ::1 or localhost), not "imap.example.com"`}},
		{"ca file without tls", "    - {credential: erp, kind: imap, addr: 'localhost:143', security: none, caFile: ca.pem, login: x, password: {store: local, key: k}}\n",
			[]string{"rotation.mailboxes[0].caFile: is not used with security none"}},
		{"imap password half a ref", "    - {credential: erp, kind: imap, addr: 'imap.example.com:993', login: x, password: {store: local}}\n",
			[]string{"rotation.mailboxes[0].password.key: is required"}},
		{"imap password without store", "    - {credential: erp, kind: imap, addr: 'imap.example.com:993', login: x, password: {key: k}}\n",
			[]string{"rotation.mailboxes[0].password.store: is required"}},
		{"imap password undeclared store", "    - {credential: erp, kind: imap, addr: 'imap.example.com:993', login: x, password: {store: aws, key: k}}\n",
			[]string{`rotation.mailboxes[0].password.store: secret store "aws" is not declared (secret stores: local, vault)`}},
		{"imap account", "    - {credential: erp, kind: imap, addr: 'imap.example.com:993', login: x, password: {store: local, key: k}, account: {store: local, key: a}}\n",
			[]string{"rotation.mailboxes[0].account: is not used by kind imap (only by emulator, graph)"}},
		{"imap with graph fields", "    - {credential: erp, kind: imap, addr: 'imap.example.com:993', login: x, password: {store: local, key: k}, tenant: t, user: u}\n",
			[]string{"rotation.mailboxes[0].tenant: is not used by kind imap (only by graph)", "rotation.mailboxes[0].user: is not used by kind imap (only by graph)"}},
		{"graph without anything", "    - {credential: erp, kind: graph}\n",
			[]string{"rotation.mailboxes[0].tenant: is required for kind graph", "rotation.mailboxes[0].clientId: is required for kind graph",
				"rotation.mailboxes[0].clientSecret: is required for kind graph", "rotation.mailboxes[0].user: is required for kind graph"}},
		{"graph secret undeclared store", "    - {credential: erp, kind: graph, tenant: t, clientId: c, user: u, clientSecret: {store: azure, key: k}}\n",
			[]string{`rotation.mailboxes[0].clientSecret.store: secret store "azure" is not declared`}},
		{"graph secret half a ref", "    - {credential: erp, kind: graph, tenant: t, clientId: c, user: u, clientSecret: {key: k}}\n",
			[]string{"rotation.mailboxes[0].clientSecret.store: is required"}},
		{"graph plain http", "    - {credential: erp, kind: graph, tenant: t, clientId: c, user: u, clientSecret: {store: local, key: k}, authorityUrl: 'http://login.example.com'}\n",
			[]string{"rotation.mailboxes[0].authorityUrl: must be https (http only to a loopback address)"}},
		{"graph url", "    - {credential: erp, kind: graph, tenant: t, clientId: c, user: u, clientSecret: {store: local, key: k}, graphUrl: 'graph.microsoft.com'}\n",
			[]string{`rotation.mailboxes[0].graphUrl: "graph.microsoft.com" is not an absolute http(s) URL`}},
		{"graph with imap and emulator fields", "    - {credential: erp, kind: graph, tenant: t, clientId: c, user: u, clientSecret: {store: local, key: k}, security: tls, url: 'http://127.0.0.1:1'}\n",
			[]string{"rotation.mailboxes[0].security: is not used by kind graph (only by imap)", "rotation.mailboxes[0].url: is not used by kind graph (only by emulator)"}},
		{"account half a ref", "    - {credential: erp, account: {store: local}}\n",
			[]string{"rotation.mailboxes[0].account.key: is required"}},
		{"account undeclared store", "    - {credential: erp, account: {store: aws, key: k}}\n",
			[]string{`rotation.mailboxes[0].account.store: secret store "aws" is not declared`}},
		{"folder for the emulator", "    - {credential: erp, folder: INBOX}\n",
			[]string{"rotation.mailboxes[0].folder: is not used by kind emulator (only by imap, graph)"}},
		{"second entry named", "    - {credential: erp}\n    - {credential: legacy-soap, kind: imap, login: x, password: {store: local, key: k}}\n",
			[]string{"rotation.mailboxes[1].addr: is required for kind imap"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(rotationBase+tt.mailboxes), "/etc/warden/warden.yaml", getenv)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
