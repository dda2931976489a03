package smtptest

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"slices"
	"strings"
	"testing"
)

func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// dial opens a raw session and reads the greeting.
func dial(t *testing.T, s *Server) (*textproto.Conn, net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tc := textproto.NewConn(c)
	expect(t, tc, 220)
	return tc, c
}

// cmd sends a line and checks the reply code.
func cmd(t *testing.T, tc *textproto.Conn, code int, format string, args ...any) string {
	t.Helper()
	if err := tc.PrintfLine(format, args...); err != nil {
		t.Fatal(err)
	}
	return expect(t, tc, code)
}

func expect(t *testing.T, tc *textproto.Conn, code int) string {
	t.Helper()
	got, msg, err := tc.ReadResponse(0)
	if got != code {
		t.Fatalf("reply %d %q (%v), want %d", got, msg, err, code)
	}
	return msg
}

func TestSendMail(t *testing.T) {
	s := start(t, Config{})
	body := "Subject: hi\r\n\r\n.\r\n..two\r\n.one\r\nend\r\n"
	if err := smtp.SendMail(s.Addr, nil, "from@example.com", []string{"a@example.com", "b@example.com"}, []byte(body)); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if m.From != "from@example.com" || !slices.Equal(m.To, []string{"a@example.com", "b@example.com"}) || m.Helo != "localhost" {
		t.Errorf("message %+v", m)
	}
	if string(m.Data) != body {
		t.Errorf("data = %q, want %q", m.Data, body)
	}
}

// TestRawSession drives the protocol by hand: dot-unstuffing, RSET,
// NOOP, VRFY, sequence errors and unknown commands.
func TestRawSession(t *testing.T) {
	s := start(t, Config{Hostname: "mx.test"})
	tc, _ := dial(t, s)
	cmd(t, tc, 503, "MAIL FROM:<a@example.com>")
	cmd(t, tc, 501, "EHLO")
	ext := cmd(t, tc, 250, "EHLO client.test")
	if !strings.Contains(ext, "mx.test greets client.test") || !strings.Contains(ext, "8BITMIME") || strings.Contains(ext, "STARTTLS") || strings.Contains(ext, "AUTH") {
		t.Errorf("EHLO reply %q", ext)
	}
	cmd(t, tc, 250, "NOOP")
	cmd(t, tc, 252, "VRFY someone")
	cmd(t, tc, 500, "BOGUS")
	cmd(t, tc, 503, "RCPT TO:<a@example.com>")
	cmd(t, tc, 503, "DATA")
	cmd(t, tc, 501, "MAIL FROM:a@example.com")
	cmd(t, tc, 250, "MAIL FROM:<a@example.com> BODY=8BITMIME")
	cmd(t, tc, 503, "MAIL FROM:<a@example.com>")
	cmd(t, tc, 250, "RCPT TO:<x@example.com>")
	cmd(t, tc, 250, "RSET")
	cmd(t, tc, 503, "RCPT TO:<x@example.com>") // RSET ended the transaction
	cmd(t, tc, 250, "mail from: <>")           // null sender, lower case
	cmd(t, tc, 250, "RCPT TO:<b@example.com>")
	cmd(t, tc, 354, "DATA")
	// Raw lines, stuffed as a client must.
	fmt.Fprintf(tc.W, "Subject: x\r\n\r\n..\r\n...dots\r\nplain\r\n.\r\n")
	tc.W.Flush()
	expect(t, tc, 250)
	cmd(t, tc, 221, "QUIT")
	msgs := s.Messages()
	if len(msgs) != 1 || string(msgs[0].Data) != "Subject: x\r\n\r\n.\r\n..dots\r\nplain\r\n" || msgs[0].From != "" {
		t.Fatalf("messages = %+v", msgs)
	}
	want := []string{"MAIL", "EHLO", "EHLO", "NOOP", "VRFY", "BOGUS", "RCPT", "DATA", "MAIL", "MAIL", "MAIL", "RCPT", "RSET", "RCPT", "MAIL", "RCPT", "DATA", "QUIT"}
	if got := s.Commands(); !slices.Equal(got, want) {
		t.Errorf("commands = %v", got)
	}
}

func TestHelo(t *testing.T) {
	s := start(t, Config{Hostname: "mx.test"})
	tc, _ := dial(t, s)
	if msg := cmd(t, tc, 250, "HELO old.client"); msg != "mx.test" {
		t.Errorf("HELO reply %q", msg)
	}
	cmd(t, tc, 250, "MAIL FROM:<a@example.com>")
}

func TestAuthPlain(t *testing.T) {
	s := start(t, Config{Username: "u", Password: "p4ss"})
	tc, _ := dial(t, s)
	if ext := cmd(t, tc, 250, "EHLO c"); !strings.Contains(ext, "AUTH PLAIN") {
		t.Errorf("AUTH not offered: %q", ext)
	}
	cmd(t, tc, 530, "MAIL FROM:<a@example.com>")
	cmd(t, tc, 504, "AUTH LOGIN")
	cmd(t, tc, 535, "AUTH PLAIN %s", base64.StdEncoding.EncodeToString([]byte("\x00u\x00wrong")))
	cmd(t, tc, 501, "AUTH PLAIN !!!")
	// Without an initial response: the server asks with 334.
	cmd(t, tc, 334, "AUTH PLAIN")
	cmd(t, tc, 235, "%s", base64.StdEncoding.EncodeToString([]byte("\x00u\x00p4ss")))
	cmd(t, tc, 503, "AUTH PLAIN %s", base64.StdEncoding.EncodeToString([]byte("\x00u\x00p4ss")))
	cmd(t, tc, 250, "MAIL FROM:<a@example.com>")
	for _, c := range s.Commands() {
		if strings.Contains(c, "p4ss") || strings.Contains(c, base64.StdEncoding.EncodeToString([]byte("\x00u\x00p4ss"))) {
			t.Errorf("credentials recorded: %q", c)
		}
	}
}

func TestStartTLS(t *testing.T) {
	s := start(t, Config{StartTLS: true, Username: "u", Password: "p4ss"})
	c, err := smtp.Dial(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("c"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("AUTH offered before TLS")
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS not offered")
	}
	if err := c.StartTLS(&tls.Config{ServerName: "127.0.0.1", RootCAs: s.CertPool()}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS offered again after TLS")
	}
	if err := c.Auth(smtp.PlainAuth("", "u", "p4ss", "127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("a@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@example.com"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "Subject: tls\r\n\r\nhello\r\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	m := s.Messages()
	if len(m) != 1 || !m[0].TLS || m[0].Username != "u" {
		t.Fatalf("messages = %+v", m)
	}
}

func TestAuthNeedsTLSWhenOffered(t *testing.T) {
	s := start(t, Config{StartTLS: true, Username: "u", Password: "p4ss"})
	tc, _ := dial(t, s)
	cmd(t, tc, 250, "EHLO c")
	cmd(t, tc, 538, "AUTH PLAIN %s", base64.StdEncoding.EncodeToString([]byte("\x00u\x00p4ss")))
}

func TestFail(t *testing.T) {
	s := start(t, Config{})
	s.Fail("mail", 451, 2)
	s.Fail("DATA", 554, 1)
	tc, _ := dial(t, s)
	cmd(t, tc, 250, "EHLO c")
	if msg := cmd(t, tc, 451, "MAIL FROM:<a@example.com>"); !strings.HasPrefix(msg, "4.0.0") {
		t.Errorf("reply %q", msg)
	}
	cmd(t, tc, 451, "MAIL FROM:<a@example.com>")
	cmd(t, tc, 250, "MAIL FROM:<a@example.com>")
	cmd(t, tc, 250, "RCPT TO:<b@example.com>")
	cmd(t, tc, 354, "DATA")
	fmt.Fprintf(tc.W, "Subject: x\r\n\r\nrejected\r\n.\r\n")
	tc.W.Flush()
	expect(t, tc, 554)
	// The transaction is over; a new one succeeds.
	cmd(t, tc, 250, "MAIL FROM:<a@example.com>")
	cmd(t, tc, 250, "RCPT TO:<b@example.com>")
	cmd(t, tc, 354, "DATA")
	fmt.Fprintf(tc.W, "Subject: x\r\n\r\naccepted\r\n.\r\n")
	tc.W.Flush()
	expect(t, tc, 250)
	if m := s.Messages(); len(m) != 1 || !strings.Contains(string(m[0].Data), "accepted") {
		t.Fatalf("messages = %+v", m)
	}
	s.Fail("RCPT", 550, 0) // forever
	for range 3 {
		cmd(t, tc, 250, "RSET")
		cmd(t, tc, 250, "MAIL FROM:<a@example.com>")
		cmd(t, tc, 550, "RCPT TO:<b@example.com>")
	}
	s.Reset()
	cmd(t, tc, 250, "RCPT TO:<b@example.com>")
	if len(s.Messages()) != 0 || len(s.Commands()) != 1 {
		t.Errorf("Reset kept state: %d messages, commands %v", len(s.Messages()), s.Commands())
	}
}

func TestLimits(t *testing.T) {
	s := start(t, Config{MaxMessageBytes: 100})
	tc, _ := dial(t, s)
	cmd(t, tc, 250, "EHLO c")
	cmd(t, tc, 500, "NOOP %s", strings.Repeat("x", maxLine+10))
	cmd(t, tc, 250, "MAIL FROM:<a@example.com>")
	cmd(t, tc, 250, "RCPT TO:<b@example.com>")
	cmd(t, tc, 354, "DATA")
	for range 10 {
		fmt.Fprintf(tc.W, "%s\r\n", strings.Repeat("y", 50))
	}
	fmt.Fprintf(tc.W, ".\r\n")
	tc.W.Flush()
	expect(t, tc, 552)
	cmd(t, tc, 250, "NOOP")
	if len(s.Messages()) != 0 {
		t.Error("oversized message recorded")
	}
}

// TestCloseEndsSessions checks that Close returns with a session open.
func TestCloseEndsSessions(t *testing.T) {
	s, err := NewServer(Config{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", s.Addr); err == nil {
		t.Error("server still listening")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestImplicitTLS(t *testing.T) {
	s := start(t, Config{ImplicitTLS: true, Username: "u", Password: "p4ss"})
	conn, err := tls.Dial("tcp", s.Addr, &tls.Config{ServerName: "127.0.0.1", RootCAs: s.CertPool()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("c"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS offered on a TLS session")
	}
	if ok, _ := c.Extension("AUTH"); !ok {
		t.Error("AUTH not offered on a TLS session")
	}
	if err := c.Auth(smtp.PlainAuth("", "u", "p4ss", "127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("a@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@example.com"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "Subject: smtps\r\n\r\nhi\r\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	if m := s.Messages(); len(m) != 1 || !m[0].TLS || m[0].Username != "u" {
		t.Fatalf("messages = %+v", m)
	}
}
