package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/notify/smtptest"
)

var emailNow = time.Date(2026, 3, 4, 5, 6, 30, 0, time.FixedZone("CET", 3600))

func startSMTP(t *testing.T, cfg smtptest.Config) *smtptest.Server {
	t.Helper()
	srv, err := smtptest.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// emailConfig points an e-mail channel at srv.
func emailConfig(srv *smtptest.Server) EmailConfig {
	return EmailConfig{
		Name: "ops-mail",
		Host: srv.Host,
		Port: srv.Port,
		From: "Warden <warden@acme.example>",
		To:   []string{"ops@acme.example", "Billing Team <billing@acme.example>"},
		Now:  func() time.Time { return emailNow },
	}
}

// parsed is a received message, decoded.
type parsed struct {
	header mail.Header
	body   string
}

func parseMessage(t *testing.T, m smtptest.Message) parsed {
	t.Helper()
	if !bytes.HasSuffix(m.Data, []byte("\r\n")) {
		t.Errorf("message does not end with CRLF")
	}
	if bytes.Contains(bytes.ReplaceAll(m.Data, []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("message has bare LF line ends")
	}
	for _, line := range bytes.Split(m.Data, []byte("\r\n")) {
		if len(line) > 78 {
			t.Errorf("line longer than 78 octets: %q", line)
		}
		for _, c := range line {
			if c >= 0x80 {
				t.Errorf("8-bit octet in line %q", line)
				break
			}
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, m.Data)
	}
	if cte := msg.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Fatalf("Content-Transfer-Encoding = %q", cte)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return parsed{header: msg.Header, body: string(body)}
}

func TestEmailProblem(t *testing.T) {
	srv := startSMTP(t, smtptest.Config{})
	e, err := NewEmail(emailConfig(srv))
	if err != nil {
		t.Fatal(err)
	}
	if e.Name() != "ops-mail" {
		t.Errorf("Name = %q", e.Name())
	}
	if err := e.Notify(context.Background(), problemAlert()); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages", len(msgs))
	}
	m := msgs[0]
	if m.From != "warden@acme.example" || !slices.Equal(m.To, []string{"ops@acme.example", "billing@acme.example"}) {
		t.Errorf("envelope = %q → %q", m.From, m.To)
	}
	if m.Helo != "localhost" || m.TLS || m.Username != "" {
		t.Errorf("session: helo %q tls %v user %q", m.Helo, m.TLS, m.Username)
	}
	p := parseMessage(t, m)
	for k, want := range map[string]string{
		"Subject":        "[Warden] ERROR user_frozen: gis@acme.example (Acme)",
		"From":           `"Warden" <warden@acme.example>`,
		"Date":           "Wed, 04 Mar 2026 05:06:30 +0100",
		"Mime-Version":   "1.0",
		"Content-Type":   "text/plain; charset=utf-8",
		"Auto-Submitted": "auto-generated",
		"X-Warden-Key":   "acme/gis@acme.example",
		"X-Warden-State": "ERROR",
	} {
		if got := p.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	to, err := p.header.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Address != "ops@acme.example" || to[1].Name != "Billing Team" {
		t.Errorf("To = %v (%v)", to, err)
	}
	if d, err := p.header.Date(); err != nil || !d.Equal(emailNow) {
		t.Errorf("Date = %v (%v)", d, err)
	}
	if id := p.header.Get("Message-Id"); !regexp.MustCompile(`^<[0-9a-f]{24}\.\d+@acme\.example>$`).MatchString(id) {
		t.Errorf("Message-ID = %q", id)
	}
	want := `ERROR: gis@acme.example (user_frozen)

Org:       Acme
User:      gis@acme.example
State:     ok → error
Cause:     user_frozen
Severity:  high
Owner:     Team Integration
Time:      2026-03-04T05:06:07Z

Evidence:
UserLogin.IsFrozen = true; LoginHistory: User is frozen

Fix:
Unfreeze the user in Setup > Users, then find who froze it in the setup audit trail.

Affected applications:
- Team Billing: Invoice Sync, AR Export
- Team GIS: Map Sync

Contacts:
- Invoice Sync: billing@acme.example

Open in Warden: https://warden.acme.example/users/acme/gis@acme.example

-- 
Sent by Warden, the control plane for Salesforce integration users.
`
	if got := strings.ReplaceAll(p.body, "\r\n", "\n"); got != want {
		t.Errorf("body:\n%s\nwant:\n%s", got, want)
	}
	if cmds := srv.Commands(); !slices.Equal(cmds, []string{"EHLO", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"}) {
		t.Errorf("commands = %v", cmds)
	}
	// Two deliveries get distinct Message-IDs.
	if err := e.Notify(context.Background(), problemAlert()); err != nil {
		t.Fatal(err)
	}
	msgs = srv.Messages()
	if a, b := parseMessage(t, msgs[0]).header.Get("Message-Id"), parseMessage(t, msgs[1]).header.Get("Message-Id"); a == b {
		t.Errorf("Message-ID repeated: %s", a)
	}
}

func TestEmailRecovery(t *testing.T) {
	srv := startSMTP(t, smtptest.Config{})
	e, err := NewEmail(emailConfig(srv))
	if err != nil {
		t.Fatal(err)
	}
	a := recoveryAlert()
	a.Cause = ""
	if err := e.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	p := parseMessage(t, srv.Messages()[0])
	if got := p.header.Get("Subject"); got != "[Warden] RECOVERED: gis@acme.example (Acme)" {
		t.Errorf("Subject = %q", got)
	}
	for _, want := range []string{"RECOVERED: gis@acme.example\n", "The earlier problem has cleared", "- Team Billing: Invoice Sync, AR Export"} {
		if !strings.Contains(strings.ReplaceAll(p.body, "\r\n", "\n"), want) {
			t.Errorf("body lacks %q:\n%s", want, p.body)
		}
	}
	if strings.Contains(p.body, "Fix:") {
		t.Errorf("recovery has a fix section")
	}
}

// TestEmailDotStuffing sends evidence whose lines start with dots, one of
// them the end-of-data marker, plus long and non-ASCII lines.
func TestEmailDotStuffing(t *testing.T) {
	srv := startSMTP(t, smtptest.Config{})
	e, err := NewEmail(emailConfig(srv))
	if err != nil {
		t.Fatal(err)
	}
	a := problemAlert()
	a.Username = "größe@acme.example"
	a.Evidence = ".\n..two dots\n.leading dot\nnormal\r\n.\r\n" + strings.Repeat("long ", 300) + "\nZürich ✓ = 100%"
	if err := e.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	m := srv.Messages()[0]
	p := parseMessage(t, m)
	body := strings.ReplaceAll(p.body, "\r\n", "\n")
	want := "Evidence:\n.\n..two dots\n.leading dot\nnormal\n.\n" + strings.Repeat("long ", 299) + "long \nZürich ✓ = 100%\n"
	if !strings.Contains(body, want) {
		t.Errorf("evidence did not survive:\n%s", body)
	}
	var dec mime.WordDecoder
	subj, err := dec.DecodeHeader(p.header.Get("Subject"))
	if err != nil || subj != "[Warden] ERROR user_frozen: größe@acme.example (Acme)" {
		t.Errorf("Subject = %q (%v), raw %q", subj, err, p.header.Get("Subject"))
	}
}

func TestEmailStartTLSAndAuth(t *testing.T) {
	tests := []struct {
		name   string
		secure func(*EmailConfig, *smtptest.Server)
	}{
		{"verified certificate", func(c *EmailConfig, s *smtptest.Server) { c.RootCAs = s.CertPool() }},
		{"insecure skip verify", func(c *EmailConfig, _ *smtptest.Server) { c.InsecureSkipVerify = true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSMTP(t, smtptest.Config{StartTLS: true, Username: "warden", Password: "smtp-pa55word"})
			cfg := emailConfig(srv)
			cfg.Username, cfg.Password = "warden", "smtp-pa55word"
			tt.secure(&cfg, srv)
			e, err := NewEmail(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Notify(context.Background(), problemAlert()); err != nil {
				t.Fatal(err)
			}
			m := srv.Messages()[0]
			if !m.TLS || m.Username != "warden" {
				t.Errorf("TLS %v, user %q", m.TLS, m.Username)
			}
			if cmds := srv.Commands(); !slices.Equal(cmds, []string{"EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"}) {
				t.Errorf("commands = %v", cmds)
			}
		})
	}
	t.Run("implicit TLS", func(t *testing.T) {
		srv := startSMTP(t, smtptest.Config{ImplicitTLS: true, Username: "warden", Password: "smtp-pa55word"})
		cfg := emailConfig(srv)
		cfg.Username, cfg.Password, cfg.RootCAs, cfg.ImplicitTLS = "warden", "smtp-pa55word", srv.CertPool(), true
		e, err := NewEmail(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Notify(context.Background(), problemAlert()); err != nil {
			t.Fatal(err)
		}
		if m := srv.Messages(); len(m) != 1 || !m[0].TLS || m[0].Username != "warden" {
			t.Fatalf("messages = %+v", m)
		}
		if cmds := srv.Commands(); !slices.Equal(cmds, []string{"EHLO", "AUTH", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"}) {
			t.Errorf("commands = %v", cmds)
		}
	})
	t.Run("implicit TLS untrusted", func(t *testing.T) {
		srv := startSMTP(t, smtptest.Config{ImplicitTLS: true})
		cfg := emailConfig(srv)
		cfg.ImplicitTLS = true
		e, err := NewEmail(cfg)
		if err != nil {
			t.Fatal(err)
		}
		assertKind(t, e.Notify(context.Background(), problemAlert()), warden.EINVALID)
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		srv := startSMTP(t, smtptest.Config{StartTLS: true})
		e, err := NewEmail(emailConfig(srv))
		if err != nil {
			t.Fatal(err)
		}
		err = e.Notify(context.Background(), problemAlert())
		assertKind(t, err, warden.EINVALID)
		if !strings.Contains(err.Error(), "certificate is not trusted") {
			t.Errorf("error = %v", err)
		}
		if len(srv.Messages()) != 0 {
			t.Error("message sent over an untrusted connection")
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		srv := startSMTP(t, smtptest.Config{StartTLS: true, Username: "warden", Password: "smtp-pa55word"})
		cfg := emailConfig(srv)
		cfg.Username, cfg.Password, cfg.RootCAs = "warden", "wrong-pa55word", srv.CertPool()
		e, err := NewEmail(cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = e.Notify(context.Background(), problemAlert())
		assertKind(t, err, warden.EUNAUTHORIZED)
		if !strings.Contains(err.Error(), "AUTH: server answered 535") {
			t.Errorf("error = %v", err)
		}
		assertNoSecrets(t, formatted(err), "wrong-pa55word", "smtp-pa55word")
	})
	t.Run("auth required but not configured", func(t *testing.T) {
		srv := startSMTP(t, smtptest.Config{Username: "warden", Password: "smtp-pa55word"})
		e, err := NewEmail(emailConfig(srv))
		if err != nil {
			t.Fatal(err)
		}
		assertKind(t, e.Notify(context.Background(), problemAlert()), warden.EUNAUTHORIZED)
	})
}

// TestEmailPlainAuthOnlyLocallyOrOverTLS checks that PLAIN credentials go
// without TLS only to localhost.
func TestEmailPlainAuthOnlyLocallyOrOverTLS(t *testing.T) {
	srv := startSMTP(t, smtptest.Config{Username: "warden", Password: "smtp-pa55word"})
	cfg := emailConfig(srv)
	cfg.Username, cfg.Password = "warden", "smtp-pa55word"

	local, err := NewEmail(cfg) // 127.0.0.1 counts as local
	if err != nil {
		t.Fatal(err)
	}
	if err := local.Notify(context.Background(), problemAlert()); err != nil {
		t.Fatal(err)
	}
	if m := srv.Messages(); len(m) != 1 || m[0].Username != "warden" || m[0].TLS {
		t.Fatalf("messages = %+v", m)
	}

	// The same server reached through an address that is not "localhost"
	// to net/smtp: the password must not be sent.
	srv.Reset()
	cfg.Host = "::ffff:127.0.0.1"
	remote, err := NewEmail(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = remote.Notify(context.Background(), problemAlert())
	assertKind(t, err, warden.EINVALID)
	if !strings.Contains(err.Error(), "refusing to send the password unencrypted") {
		t.Errorf("error = %v", err)
	}
	if slices.Contains(srv.Commands(), "AUTH") || len(srv.Messages()) != 0 {
		t.Errorf("commands = %v", srv.Commands())
	}
	assertNoSecrets(t, formatted(err), "smtp-pa55word")
}

func TestEmailServerFailures(t *testing.T) {
	tests := []struct {
		command string
		code    int
		kind    string
	}{
		{"MAIL", 451, warden.EUNAVAILABLE},
		{"MAIL", 550, warden.EINVALID},
		{"RCPT", 450, warden.EUNAVAILABLE},
		{"RCPT", 550, warden.EINVALID},
		{"DATA", 452, warden.EUNAVAILABLE},
		{"DATA", 554, warden.EINVALID},
		{"AUTH", 454, warden.EUNAVAILABLE},
		{"AUTH", 535, warden.EUNAUTHORIZED},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %d", tt.command, tt.code), func(t *testing.T) {
			srv := startSMTP(t, smtptest.Config{Username: "warden", Password: "smtp-pa55word"})
			srv.Fail(tt.command, tt.code, 0)
			cfg := emailConfig(srv)
			cfg.Username, cfg.Password = "warden", "smtp-pa55word"
			e, err := NewEmail(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = e.Notify(context.Background(), problemAlert())
			assertKind(t, err, tt.kind)
			if !strings.Contains(err.Error(), "server answered "+string(rune('0'+tt.code/100))) {
				t.Errorf("error = %v", err)
			}
			if len(srv.Messages()) != 0 {
				t.Errorf("failed delivery recorded a message")
			}
			assertNoSecrets(t, formatted(err), "smtp-pa55word")
		})
	}
}

// TestEmailHeloFallback checks that a server refusing EHLO still gets the
// message, after HELO.
func TestEmailHeloFallback(t *testing.T) {
	srv := startSMTP(t, smtptest.Config{})
	srv.Fail("EHLO", 502, 1)
	e, err := NewEmail(emailConfig(srv))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Notify(context.Background(), problemAlert()); err != nil {
		t.Fatal(err)
	}
	if cmds := srv.Commands(); len(cmds) < 2 || cmds[0] != "EHLO" || cmds[1] != "HELO" {
		t.Errorf("commands = %v", cmds)
	}
	if len(srv.Messages()) != 1 {
		t.Error("no message")
	}
}

func TestEmailConnectionFailures(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		srv := startSMTP(t, smtptest.Config{})
		cfg := emailConfig(srv)
		srv.Close()
		e, err := NewEmail(cfg)
		if err != nil {
			t.Fatal(err)
		}
		assertKind(t, e.Notify(context.Background(), problemAlert()), warden.EUNAVAILABLE)
	})
	t.Run("silent server", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close() // never greets
			}
		}()
		e, err := NewEmail(EmailConfig{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: "w@acme.example", To: []string{"o@acme.example"}, Timeout: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = e.Notify(context.Background(), problemAlert())
		assertKind(t, err, warden.EUNAVAILABLE)
		if !strings.Contains(err.Error(), "no answer within 100ms") || time.Since(start) > 3*time.Second {
			t.Errorf("error = %v after %v", err, time.Since(start))
		}
	})
	t.Run("canceled", func(t *testing.T) {
		srv := startSMTP(t, smtptest.Config{})
		e, err := NewEmail(emailConfig(srv))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err = e.Notify(ctx, problemAlert())
		assertKind(t, err, warden.EUNAVAILABLE)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error does not wrap context.Canceled: %v", err)
		}
	})
}

func TestEmailConfigErrors(t *testing.T) {
	ok := EmailConfig{Host: "smtp.acme.example", From: "warden@acme.example", To: []string{"ops@acme.example"}}
	tests := []struct {
		name   string
		modify func(*EmailConfig)
	}{
		{"no host", func(c *EmailConfig) { c.Host = "" }},
		{"bad port", func(c *EmailConfig) { c.Port = 70000 }},
		{"no recipients", func(c *EmailConfig) { c.To = nil }},
		{"bad from", func(c *EmailConfig) { c.From = "not an address" }},
		{"bad recipient", func(c *EmailConfig) { c.To = []string{"ops@acme.example", "x\r\nBcc: evil@example.com"} }},
		{"password without user", func(c *EmailConfig) { c.Password = "p" }},
		{"bad hello", func(c *EmailConfig) { c.HelloName = "a b" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.modify(&cfg)
			_, err := NewEmail(cfg)
			assertKind(t, err, warden.EINVALID)
		})
	}
	e, err := NewEmail(ok)
	if err != nil {
		t.Fatal(err)
	}
	if e.addr != "smtp.acme.example:25" || e.Name() != "email" {
		t.Errorf("defaults: addr %q name %q", e.addr, e.Name())
	}
	ok.ImplicitTLS = true
	if e, _ := NewEmail(ok); e.addr != "smtp.acme.example:465" {
		t.Errorf("implicit TLS port: %q", e.addr)
	}
}

// TestEmailHeaderInjection checks that alert fields cannot add headers.
func TestEmailHeaderInjection(t *testing.T) {
	srv := startSMTP(t, smtptest.Config{})
	e, err := NewEmail(emailConfig(srv))
	if err != nil {
		t.Fatal(err)
	}
	a := problemAlert()
	a.Username = "gis@acme.example\r\nBcc: evil@example.com"
	a.Key = "acme/x\nX-Evil: 1"
	if err := e.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	p := parseMessage(t, srv.Messages()[0])
	if p.header.Get("Bcc") != "" || p.header.Get("X-Evil") != "" {
		t.Errorf("header injected: %v", p.header)
	}
}
