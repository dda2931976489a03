package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/mailbox"
	"github.com/wardenhq/warden/mailbox/graph"
	"github.com/wardenhq/warden/mailbox/graph/graphtest"
	"github.com/wardenhq/warden/mailbox/imap"
	"github.com/wardenhq/warden/mailbox/imap/imaptest"
	"github.com/wardenhq/warden/rotation/rotationtest"
	"github.com/wardenhq/warden/secret/local"
	"github.com/wardenhq/warden/sqlite"
)

// mailRelay serves the emulator and hands the e-mails it sends to a
// user on to a real mailbox (Dovecot through IMAP, or the Graph fake)
// before the request that made Salesforce send them is answered: a
// rotation's change of password returns only once the token e-mail is in
// the mailbox Warden reads, as when Salesforce's mail is quick.
type mailRelay struct {
	t   *testing.T
	emu *emulator.Server

	mu      sync.Mutex
	deliver map[string]func(emulator.Mail) error // by lower-case Salesforce username
	sent    map[string]int                       // e-mails handed on, by username
}

// relay adds the mailbox of a Salesforce user.
func (r *mailRelay) relay(username string, deliver func(emulator.Mail) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deliver[strings.ToLower(username)] = deliver
}

// relayed returns how many e-mails of username were handed on.
func (r *mailRelay) relayed(username string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sent[strings.ToLower(username)]
}

// ServeHTTP answers a request through the emulator, then hands on any new
// e-mail, then sends the answer.
func (r *mailRelay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rec := httptest.NewRecorder()
	r.emu.ServeHTTP(rec, req)
	if !strings.HasPrefix(req.URL.Path, "/_emulator/") {
		r.handOn()
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// handOn delivers the e-mails the emulator sent since the last call.
func (r *mailRelay) handOn() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for username, deliver := range r.deliver {
		rec := httptest.NewRecorder()
		r.emu.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_emulator/mailbox/"+username, nil))
		var mails []emulator.Mail
		if err := json.Unmarshal(rec.Body.Bytes(), &mails); err != nil {
			r.t.Errorf("reading the emulator's mailbox of %s: %v", username, err)
			return
		}
		for _, m := range mails[r.sent[username]:] {
			if err := deliver(m); err != nil {
				r.t.Errorf("handing on an e-mail to %s: %v", username, err)
			}
			r.sent[username]++
		}
	}
}

// mailboxLab is an emulated org with two password credentials, its
// inventory and secret store under a temporary directory, a Dovecot and a
// Graph fake: acme-pw00's e-mails go to the IMAP account imapUser,
// acme-pw01's to the Graph user graphUser.
type mailboxLab struct {
	dir, config string
	org         *rotationtest.Org
	emu         *emulator.Server
	relay       *mailRelay
	dovecot     *imaptest.Server
	imapUser    imaptest.User
	graph       *graphtest.Server
	graphUser   string
}

// newMailboxLab starts the lab and writes its configuration, with the
// rotation.mailboxes entries in mailboxes (YAML list items, indented by
// four spaces).
func newMailboxLab(t *testing.T, mailboxes func(l *mailboxLab) string) *mailboxLab {
	t.Helper()
	ctx := t.Context()
	l := &mailboxLab{dir: t.TempDir(), imapUser: imaptest.User{Name: "pw00-mail@acme.test", Password: "imap-" + rand.Text()},
		graphUser: "pw01-mail@contoso.com"}
	l.dovecot = imaptest.Start(t, l.imapUser)
	l.graph = graphtest.Start(t, graphtest.Options{})
	l.graph.AddUser(l.graphUser, "Initial-Passw0rd")
	o, err := rotationtest.NewMixedOrg("acme", "local", 2, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	l.org = o
	if l.emu, err = emulator.New(&emulator.Seed{Orgs: []emulator.SeedOrg{o.Seed}}, emulator.Options{}); err != nil {
		t.Fatal(err)
	}
	l.relay = &mailRelay{t: t, emu: l.emu, deliver: map[string]func(emulator.Mail) error{}, sent: map[string]int{}}
	ts := httptest.NewServer(l.relay)
	t.Cleanup(ts.Close)

	// The relay's own IMAP client appends to the account Warden reads.
	appender, err := imap.New(imap.Options{Addr: l.dovecot.Addr, Security: imap.SecurityStartTLS, Username: l.imapUser.Name,
		Password: l.imapUser.Password, TLSConfig: l.dovecot.TLSConfig})
	if err != nil {
		t.Fatal(err)
	}
	l.relay.relay(o.Creds[0].User.Username, func(m emulator.Mail) error {
		raw := mailbox.Compose(&warden.MailMessage{From: "support@salesforce.com", To: []string{m.To}, Subject: m.Subject, Received: m.Sent, TextBody: m.Body})
		return appender.Append(ctx, raw, m.Sent)
	})
	l.relay.relay(o.Creds[1].User.Username, func(m emulator.Mail) error {
		l.graph.Deliver(l.graphUser, warden.MailMessage{From: "support@salesforce.com", To: []string{m.To}, Subject: m.Subject, Received: m.Sent, TextBody: m.Body}, false)
		return nil
	})

	kek, err := local.GenerateKEKFile(filepath.Join(l.dir, "warden.key"))
	if err != nil {
		t.Fatal(err)
	}
	ss, err := local.Open(filepath.Join(l.dir, "secrets.json"), kek)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(l.dir, "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	err = o.Install(ctx, st, ss, ts.URL, func(rotationtest.Cred) []*warden.Dependent { return nil })
	for _, s := range []struct{ key, value string }{
		{"mail/pw00-imap", l.imapUser.Password}, {"mail/graph-app", l.graph.Options().ClientSecret},
	} {
		if err == nil {
			_, err = ss.Put(ctx, s.key, []byte(s.value), warden.StageCurrent, nil)
		}
	}
	st.Close()
	ss.Close()
	if err != nil {
		t.Fatal(err)
	}
	l.config = filepath.Join(l.dir, "warden.yaml")
	cfg := "store:\n  path: warden.db\nsecretStores:\n  - {name: local, kind: local, path: secrets.json, keyFile: warden.key}\n" +
		"rotation:\n  tokenWait: 20s\n  pollInterval: 25ms\n  mailboxes:\n" + mailboxes(l)
	if err := os.WriteFile(l.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return l
}

// imapMailbox is the rotation.mailboxes entry of acme-pw00: Dovecot over
// implicit TLS, trusting the test's certificate through caFile.
func (l *mailboxLab) imapMailbox() string {
	return fmt.Sprintf("    - credential: acme-pw00\n      kind: imap\n      addr: %q\n      security: tls\n      caFile: %q\n"+
		"      login: %s\n      password: {store: local, key: mail/pw00-imap}\n",
		l.dovecot.TLSAddr, filepath.Join(l.dovecot.Dir, "cert.pem"), l.imapUser.Name)
}

// graphMailbox is the rotation.mailboxes entry of acme-pw01 (username
// empty) or of another user of it.
func (l *mailboxLab) graphMailbox(username string) string {
	o := l.graph.Options()
	s := "    - credential: acme-pw01\n"
	if username != "" {
		s += "      username: " + username + "\n"
	}
	return s + fmt.Sprintf("      kind: graph\n      tenant: %s\n      clientId: %s\n      clientSecret: {store: local, key: mail/graph-app}\n"+
		"      user: %s\n      authorityUrl: %q\n      graphUrl: %q\n      account: {store: local, key: mail/pw01-account}\n",
		o.Tenant, o.ClientID, l.graphUser, l.graph.URL, l.graph.URL)
}

// material reads a credential's current material and the emulator's
// latest security token of its user.
func (l *mailboxLab) material(t *testing.T, c rotationtest.Cred) (warden.Material, string) {
	t.Helper()
	e := openTestInventory(t, l.config)
	defer e.Close()
	mat, err := e.creds.Material(t.Context(), c.Credential)
	if err != nil {
		t.Fatal(err)
	}
	if err := rotationtest.Login(t.Context(), e.creds, c.Credential, mat); err != nil {
		t.Errorf("the rotated credential %s does not log in: %v", c.Credential.Name, err)
	}
	rec := httptest.NewRecorder()
	l.emu.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_emulator/mailbox/"+c.User.Username, nil))
	var mails []emulator.Mail
	if err := json.Unmarshal(rec.Body.Bytes(), &mails); err != nil || len(mails) == 0 {
		t.Fatalf("the emulator's mailbox of %s: %v %s", c.User.Username, err, rec.Body)
	}
	return mat, mails[len(mails)-1].SecurityToken
}

// TestRotateWithIMAPAndGraphMailboxes rotates two password credentials
// with warden rotate, configured in rotation.mailboxes: the emulator's
// token e-mail of the first arrives in a real Dovecot (kind imap, TLS
// with a private CA), the second's in the Graph fake (kind graph). Each
// rotation collects the token from its mailbox and deletes the e-mail,
// and the new password with that token logs in.
func TestRotateWithIMAPAndGraphMailboxes(t *testing.T) {
	l := newMailboxLab(t, func(l *mailboxLab) string { return l.imapMailbox() + l.graphMailbox("") })
	for i, tt := range []struct {
		name      string
		remaining func() int // token e-mails left in the mailbox
	}{
		{"imap", func() int {
			mb, err := imap.New(imap.Options{Addr: l.dovecot.Addr, Security: imap.SecurityStartTLS, Username: l.imapUser.Name,
				Password: l.imapUser.Password, TLSConfig: l.dovecot.TLSConfig})
			if err != nil {
				t.Fatal(err)
			}
			msgs, err := mb.Messages(t.Context(), warden.MailQuery{Subject: "security token"})
			if err != nil {
				t.Fatal(err)
			}
			return len(msgs)
		}},
		{"graph", func() int {
			if l.graph.DeletedCount(l.graphUser) == 0 {
				return 1
			}
			return 0
		}},
	} {
		c := l.org.Creds[i]
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "rotate", c.Credential.Name, "--now", "--config", l.config)
			if code != 0 || !strings.Contains(out, "completed (self_service)") {
				t.Fatalf("rotate: %d\n%s\n%s", code, out, errOut)
			}
			if n := l.relay.relayed(c.User.Username); n == 0 {
				t.Fatalf("no e-mail of %s reached the mailbox", c.User.Username)
			}
			id := strings.Fields(out)[0]
			code, out, _ = run(t, "rotation", "show", id, "--config", l.config)
			if code != 0 || !strings.Contains(out, "security token collected from the mailbox") {
				t.Errorf("rotation show: %d\n%s", code, out)
			}
			mat, token := l.material(t, c)
			if token == "" || !strings.HasSuffix(mat.Password, token) || mat.Password == c.Material.Password {
				t.Errorf("the new password does not end with the e-mailed token")
			}
			if n := tt.remaining(); n != 0 {
				t.Errorf("%d token e-mails left in the mailbox; want the collected one deleted", n)
			}
		})
	}
}

// TestRotateGraphMailboxAccount rotates the mailbox account of a password
// credential whose mailbox is kind graph (warden rotate --mailbox): the
// Graph user gets a new password, and it is current in the account's
// secret.
func TestRotateGraphMailboxAccount(t *testing.T) {
	l := newMailboxLab(t, func(l *mailboxLab) string { return l.imapMailbox() + l.graphMailbox("") })
	code, out, errOut := run(t, "rotate", "acme-pw01", "--mailbox", "--config", l.config)
	if code != 0 || !strings.Contains(out, "completed (self_service)") {
		t.Fatalf("rotate --mailbox: %d\n%s\n%s", code, out, errOut)
	}
	kek, err := local.KEKFromFile(filepath.Join(l.dir, "warden.key"))
	if err != nil {
		t.Fatal(err)
	}
	ss, err := local.Open(filepath.Join(l.dir, "secrets.json"), kek)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	m, err := credential.Read(t.Context(), ss, warden.SecretRef{Store: "local", Key: "mail/pw01-account"}, warden.StageCurrent)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.graph.Password(l.graphUser); got == "Initial-Passw0rd" || got != m.Password {
		t.Errorf("the Graph user's password is not the one in the secret store")
	}
	// The IMAP mailbox has no account to rotate.
	code, _, errOut = run(t, "rotate", "acme-pw00", "--mailbox", "--config", l.config)
	if code == 0 || !strings.Contains(errOut, "its mailbox has no account to rotate") {
		t.Errorf("rotate --mailbox of an IMAP mailbox: %d %s", code, errOut)
	}
}

// TestRotationMailboxSelect builds mailboxes from rotation.mailboxes:
// the entry of the credential and user (default the credential's,
// compared case-insensitively) is chosen, its kind built with its secrets
// from the secret store, and a missing entry or secret is an error that
// names it.
func TestRotationMailboxSelect(t *testing.T) {
	l := newMailboxLab(t, func(l *mailboxLab) string {
		return l.imapMailbox() + l.graphMailbox("") + l.graphMailbox("pw01-twin@acme.test") +
			"    - {credential: acme-pw01, username: pw01-emu@acme.test, url: 'http://127.0.0.1:1', account: {store: local, key: emu}}\n" +
			"    - {credential: acme-pw01, username: pw01-nosecret@acme.test, kind: imap, addr: '127.0.0.1:1', security: none, login: x, password: {store: local, key: missing}}\n"
	})
	e := openTestInventory(t, l.config)
	defer e.Close()
	pw00, pw01 := l.org.Creds[0].Credential, l.org.Creds[1].Credential
	other := &warden.Credential{Name: "acme-other", Org: "acme", Kind: warden.CredentialPassword, Username: "other@acme.test"}
	tests := []struct {
		name     string
		c        *warden.Credential
		username string
		want     string // the mailbox's type, or the error's kind
		account  string // the account's secret key
		errText  []string
	}{
		{"imap, the credential's user", pw00, pw00.Username, "*imap.Mailbox", "", nil},
		{"imap, another spelling", pw00, strings.ToUpper(pw00.Username), "*imap.Mailbox", "", nil},
		{"graph", pw01, pw01.Username, "*graph.Mailbox", "mail/pw01-account", nil},
		{"graph of the twin", pw01, "PW01-Twin@acme.test", "*graph.Mailbox", "mail/pw01-account", nil},
		{"emulator", pw01, "pw01-emu@acme.test", "*emulatormail.Mailbox", "emu", nil},
		{"no mailbox for the user", pw00, "pw00-twin@acme.test", warden.EINVALID, "",
			[]string{"credential acme-pw00", "no mailbox for its user pw00-twin@acme.test", "rotation.mailboxes"}},
		{"no mailbox at all", other, other.Username, warden.EINVALID, "", []string{"credential acme-other needs a new security token and has no mailbox (add"}},
		{"missing secret", pw01, "pw01-nosecret@acme.test", warden.ENOTFOUND, "", []string{"rotation.mailboxes[4].password: secret local/missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mb, _, ref, err := e.rotationMailbox(t.Context(), tt.c, tt.username)
			if tt.errText != nil {
				if warden.ErrorKind(err) != tt.want {
					t.Fatalf("err %v; want kind %s", err, tt.want)
				}
				for _, w := range tt.errText {
					if !strings.Contains(warden.ErrorMessage(err), w) {
						t.Errorf("error %q lacks %q", warden.ErrorMessage(err), w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", mb); got != tt.want {
				t.Errorf("mailbox %s; want %s", got, tt.want)
			}
			if ref.Key != tt.account {
				t.Errorf("account %+v; want key %q", ref, tt.account)
			}
		})
	}

	// The mailboxes built read what arrives: a Salesforce token e-mail in
	// Dovecot through the imap mailbox, one in the Graph fake through the
	// graph mailbox (the twin's entry names the same Graph user).
	at := time.Now().UTC().Truncate(time.Second)
	for _, tt := range []struct {
		c        *warden.Credential
		username string
		deliver  func(raw []byte, msg warden.MailMessage) error
	}{
		{pw00, pw00.Username, func(raw []byte, _ warden.MailMessage) error {
			mb, err := imap.New(imap.Options{Addr: l.dovecot.Addr, Security: imap.SecurityStartTLS, Username: l.imapUser.Name,
				Password: l.imapUser.Password, TLSConfig: l.dovecot.TLSConfig})
			if err != nil {
				return err
			}
			return mb.Append(t.Context(), raw, at)
		}},
		{pw01, "pw01-twin@acme.test", func(_ []byte, msg warden.MailMessage) error {
			l.graph.Deliver(l.graphUser, msg, false)
			return nil
		}},
	} {
		token := rand.Text()[:24]
		msg := warden.MailMessage{From: "support@salesforce.com", To: []string{tt.username}, Subject: "Your new Salesforce security token", Received: at,
			TextBody: "Dear Integration,\n\nSecurity token (case-sensitive): " + token + "\n\nThanks,\nSalesforce Customer Support\n"}
		if err := tt.deliver(mailbox.Compose(&msg), msg); err != nil {
			t.Fatal(err)
		}
		mb, opts, _, err := e.rotationMailbox(t.Context(), tt.c, tt.username)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		_, sf, err := mailbox.Await(ctx, mb, warden.MailQuery{Since: at.Add(-time.Second), Subject: "security token"}, opts, 25*time.Millisecond,
			func(sf mailbox.SalesforceMail) bool { return sf.SecurityToken != "" })
		cancel()
		if err != nil || sf.SecurityToken != token {
			t.Errorf("%T of %s: token read %v, %v; want the one delivered", mb, tt.username, sf, err)
		}
		if _, ok := mb.(*graph.Mailbox); ok {
			if _, ok := mb.(warden.PasswordChanger); !ok {
				t.Errorf("the graph mailbox is not a password changer")
			}
		}
	}
}
