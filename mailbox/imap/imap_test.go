package imap_test

import (
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
	"github.com/wardenhq/warden/mailbox"
	"github.com/wardenhq/warden/mailbox/imap"
	"github.com/wardenhq/warden/mailbox/imap/imaptest"
	"github.com/wardenhq/warden/mailbox/mailboxtest"
)

// One Dovecot for the whole package, with one account per test.
var (
	once    sync.Once
	server  *imaptest.Server
	users   []imaptest.User
	nextMu  sync.Mutex
	nextIdx int
)

const accounts = 40

func dovecot(t *testing.T) *imaptest.Server {
	t.Helper()
	if imaptest.Binary() == "" {
		imaptest.Start(t) // skips, or fails on CI
	}
	once.Do(func() {
		for i := range accounts {
			users = append(users, imaptest.User{Name: fmt.Sprintf("int%d@acme.test", i), Password: "pw-" + rand.Text()})
		}
		server = imaptest.Start(&packageTB{t}, users...)
	})
	if server == nil {
		t.Fatal("dovecot failed to start")
	}
	return server
}

// packageTB keeps the shared server alive past the first test: its
// cleanups (stopping Dovecot, removing its directory) run in TestMain
// after every test.
type packageTB struct{ *testing.T }

func (p *packageTB) Cleanup(f func()) { cleanups = append(cleanups, f) }

var cleanups []func()

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}

// account returns an unused account on the shared server.
func account(t *testing.T) imaptest.User {
	t.Helper()
	nextMu.Lock()
	defer nextMu.Unlock()
	if nextIdx >= len(users) {
		t.Fatal("out of test accounts; raise accounts")
	}
	u := users[nextIdx]
	nextIdx++
	return u
}

func open(t *testing.T, s *imaptest.Server, u imaptest.User, sec imap.Security) *imap.Mailbox {
	t.Helper()
	addr := s.Addr
	if sec == imap.SecurityTLS {
		addr = s.TLSAddr
	}
	mb, err := imap.New(imap.Options{Addr: addr, Security: sec, Username: u.Name, Password: u.Password, TLSConfig: s.TLSConfig, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return mb
}

func tokenMail(to string, at time.Time, token string) []byte {
	return mailbox.Compose(&warden.MailMessage{
		From: "support@salesforce.com", To: []string{to}, Subject: "Your new Salesforce security token", Received: at,
		TextBody: "Dear Integration,\n\nYou recently requested a new security token.\n\nSecurity token (case-sensitive): " + token + "\n\nThanks,\nSalesforce Customer Support\n",
	})
}

func newToken() string { return rand.Text()[:24] }

func TestConformance(t *testing.T) {
	for _, sec := range []imap.Security{imap.SecurityNone, imap.SecurityStartTLS, imap.SecurityTLS} {
		t.Run(string(sec), func(t *testing.T) {
			s := dovecot(t)
			mailboxtest.Run(t, func(t *testing.T) *mailboxtest.Harness {
				u := account(t)
				mb := open(t, s, u, sec)
				return &mailboxtest.Harness{Mailbox: mb, Recipient: u.Name, Deliver: func(t *testing.T, at time.Time) string {
					t.Helper()
					tok := newToken()
					if err := mb.Append(t.Context(), tokenMail(u.Name, at, tok), at); err != nil {
						t.Fatalf("Append: %v", err)
					}
					return tok
				}}
			})
		})
	}
}

func TestWrongPassword(t *testing.T) {
	s := dovecot(t)
	u := account(t)
	u.Password += "-wrong"
	_, err := open(t, s, u, imap.SecurityNone).Messages(t.Context(), warden.MailQuery{})
	if warden.ErrorKind(err) != warden.EUNAUTHORIZED {
		t.Fatalf("wrong password: %v; want EUNAUTHORIZED", err)
	}
	if strings.Contains(err.Error(), u.Password) {
		t.Errorf("error shows the password: %v", err)
	}
}

func TestTLSVerification(t *testing.T) {
	s := dovecot(t)
	u := account(t)
	// Without the test CA the self-signed certificate is refused.
	mb, err := imap.New(imap.Options{Addr: s.TLSAddr, Username: u.Name, Password: u.Password})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mb.Messages(t.Context(), warden.MailQuery{}); warden.ErrorKind(err) != warden.EUNAVAILABLE {
		t.Errorf("untrusted certificate: %v; want EUNAVAILABLE", err)
	}
}

// TestRealShapedMessages appends multipart, base64 and quoted-printable
// Salesforce e-mails and reads their tokens back.
func TestRealShapedMessages(t *testing.T) {
	s := dovecot(t)
	u := account(t)
	mb := open(t, s, u, imap.SecurityStartTLS)
	tok := newToken()
	raw := strings.ReplaceAll(`From: "Salesforce" <support@salesforce.com>
To: `+u.Name+`
Subject: =?UTF-8?Q?Your_new_Salesforce_security_token?=
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b"

--b
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

<p>Security token (case-sensitive): <b>`+tok+`</b></p>
--b--
`, "\n", "\r\n")
	at := time.Now().UTC().Truncate(time.Second)
	if err := mb.Append(t.Context(), []byte(raw), at); err != nil {
		t.Fatal(err)
	}
	msgs, err := mb.Messages(t.Context(), warden.MailQuery{Since: at, To: u.Name, Subject: "security token"})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Messages: %v, %v", msgs, err)
	}
	m, err := mb.Message(t.Context(), msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := mailbox.ParseSalesforceMessage(m, mailbox.ParseOptions{}).SecurityToken; got != tok {
		t.Errorf("token %q; want %q (text %q)", got, tok, m.TextBody)
	}
}

func TestOptions(t *testing.T) {
	for _, o := range []imap.Options{
		{Addr: "imap.example.com", Username: "u", Password: "p"},
		{Addr: "imap.example.com:143", Security: imap.SecurityNone, Username: "u", Password: "p"},
		{Addr: "imap.example.com:993", Security: "ssl", Username: "u", Password: "p"},
		{Addr: "imap.example.com:993", Username: "u"},
	} {
		if _, err := imap.New(o); warden.ErrorKind(err) != warden.EINVALID {
			t.Errorf("New(%v): %v; want EINVALID", o, err)
		}
	}
	o := imap.Options{Addr: "127.0.0.1:143", Security: imap.SecurityNone, Username: "u", Password: "hunter2"}
	if _, err := imap.New(o); err != nil {
		t.Errorf("loopback without TLS: %v", err)
	}
	if s := fmt.Sprintf("%v %+v %#v", o, o, o); strings.Contains(s, "hunter2") {
		t.Errorf("options print the password: %s", s)
	}
}

// TestEmulatorMailIntoDovecot delivers the emulator's real e-mails (an
// administrator's password reset) into the Dovecot mailbox, as the
// rotation tests do, and collects the temporary password and the new
// security token through IMAP.
func TestEmulatorMailIntoDovecot(t *testing.T) {
	s := dovecot(t)
	u := account(t)
	mb := open(t, s, u, imap.SecurityStartTLS)
	e := emulatortest.Start(t, &emulator.Seed{Orgs: []emulator.SeedOrg{{Name: "Acme",
		Profiles: []emulator.SeedProfile{{Name: "Integration", Permissions: []string{"ApiEnabled"}}},
		Users:    []emulator.SeedUser{{Username: "billing@acme.test", Email: u.Name, LastName: "Billing", Profile: "Integration", Password: "Initial-Passw0rd"}},
	}}})
	started := time.Now().UTC().Truncate(time.Second)
	var reset struct {
		Password string `json:"password"`
	}
	e.Control(t, "POST", "orgs/Acme/users/billing@acme.test/reset-password", nil, &reset)
	var mails []emulator.Mail
	e.Control(t, "GET", "mailbox/billing@acme.test", nil, &mails)
	for _, m := range mails {
		raw := mailbox.Compose(&warden.MailMessage{From: "support@salesforce.com", To: []string{m.To}, Subject: m.Subject, Received: m.Sent, TextBody: m.Body})
		if err := mb.Append(t.Context(), raw, m.Sent); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := mb.Messages(t.Context(), warden.MailQuery{Since: started, To: u.Name, Subject: "password reset"})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Messages: %v, %v", msgs, err)
	}
	m, err := mb.Message(t.Context(), msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	got := mailbox.ParseSalesforceMessage(m, mailbox.ParseOptions{})
	if got.TemporaryPassword != reset.Password || got.SecurityToken != mails[0].SecurityToken || got.SecurityToken == "" {
		t.Errorf("parsed %v from the reset e-mail; want its temporary password and token", got)
	}
	if err := mb.Delete(t.Context(), m.ID); err != nil {
		t.Fatal(err)
	}
}
