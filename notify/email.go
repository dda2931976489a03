package notify

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// EmailConfig configures an e-mail channel.
type EmailConfig struct {
	// Name is the channel's name in the configuration; "email" when empty.
	Name string
	// Host and Port are the SMTP server (the submission port 587 usually,
	// or 465 with ImplicitTLS). Port defaults to 25, or 465 with
	// ImplicitTLS.
	Host string
	Port int
	// From is the sender, an RFC 5322 address ("Warden
	// <warden@acme.example>").
	From string
	// To lists the recipients; at least one.
	To []string
	// Username and Password, when Username is set, authenticate with AUTH
	// PLAIN. The password is only ever sent over TLS (STARTTLS or implicit
	// TLS) or to a server on localhost; otherwise sending fails with
	// EINVALID before anything is sent.
	Username string
	Password string
	// ImplicitTLS connects with TLS from the start (SMTPS, port 465)
	// instead of upgrading with STARTTLS. Without it, STARTTLS is used
	// whenever the server offers it.
	ImplicitTLS bool
	// RootCAs verifies the server's certificate; the system pool when nil.
	RootCAs *x509.CertPool
	// InsecureSkipVerify accepts any server certificate. For tests only.
	InsecureSkipVerify bool
	// HelloName is the name sent with EHLO; "localhost" when empty.
	HelloName string
	// Timeout bounds one delivery, connection to QUIT; DefaultTimeout when
	// zero.
	Timeout time.Duration
	// Now returns the current time for the Date header; time.Now when nil.
	Now func() time.Time
}

// Email sends alerts as plain-text e-mail over SMTP.
type Email struct {
	name     string
	addr     string // host:port
	host     string
	from     *mail.Address
	to       []*mail.Address
	username string
	password string
	implicit bool
	tls      *tls.Config
	helo     string
	timeout  time.Duration
	now      func() time.Time
}

const emailOp = "notify.email"

// NewEmail returns an e-mail channel, or an EINVALID error naming the
// first problem with cfg.
func NewEmail(cfg EmailConfig) (*Email, error) {
	name := cmp.Or(cfg.Name, "email")
	bad := func(format string, args ...any) error {
		return &warden.Error{Kind: warden.EINVALID, Op: emailOp, Message: "channel " + name + ": " + fmt.Sprintf(format, args...)}
	}
	host := strings.TrimSpace(cfg.Host)
	switch {
	case host == "" || strings.ContainsAny(host, " \r\n/"):
		return nil, bad("host must be a host name or IP address")
	case cfg.Port < 0 || cfg.Port > 65535:
		return nil, bad("port %d is out of range", cfg.Port)
	case len(cfg.To) == 0:
		return nil, bad("at least one recipient (to) is required")
	case cfg.Username == "" && cfg.Password != "":
		return nil, bad("a password needs a username")
	case strings.ContainsAny(cfg.HelloName, " \r\n"):
		return nil, bad("hello name must be one word")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, bad("from %q is not an e-mail address", singleLine(cfg.From))
	}
	e := &Email{
		name:     name,
		host:     host,
		from:     from,
		username: cfg.Username,
		password: cfg.Password,
		implicit: cfg.ImplicitTLS,
		helo:     cmp.Or(cfg.HelloName, "localhost"),
		timeout:  cmp.Or(cfg.Timeout, DefaultTimeout),
		now:      cfg.Now,
	}
	if e.timeout < 0 {
		e.timeout = DefaultTimeout
	}
	if e.now == nil {
		e.now = time.Now
	}
	for _, t := range cfg.To {
		addr, err := mail.ParseAddress(t)
		if err != nil {
			return nil, bad("recipient %q is not an e-mail address", singleLine(t))
		}
		e.to = append(e.to, addr)
	}
	port := cfg.Port
	if port == 0 {
		port = 25
		if cfg.ImplicitTLS {
			port = 465
		}
	}
	e.addr = net.JoinHostPort(host, strconv.Itoa(port))
	e.tls = &tls.Config{
		ServerName:         host,
		RootCAs:            cfg.RootCAs,
		InsecureSkipVerify: cfg.InsecureSkipVerify,
		MinVersion:         tls.VersionTLS12,
	}
	return e, nil
}

// Name returns the channel's name.
func (e *Email) Name() string { return e.name }

// Notify sends one alert as one message to every recipient. A recipient
// the server refuses fails the whole delivery, so a mistyped address shows
// at once instead of silently dropping one reader. SMTP 4xx replies and
// connection failures are EUNAVAILABLE; authentication refusals (530, 534,
// 535, 538) are EUNAUTHORIZED; other 5xx replies are EINVALID.
func (e *Email) Notify(ctx context.Context, a *warden.Alert) error {
	if a == nil {
		return nilAlertError(emailOp, e.name)
	}
	msg, err := e.message(a)
	if err != nil {
		return &warden.Error{Kind: warden.EINTERNAL, Op: emailOp, Message: "channel " + e.name + ": cannot build the message", Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	return e.send(ctx, msg)
}

// emailSubject is "[Warden] ERROR user_frozen: gis@acme.example (Acme)".
func emailSubject(a *warden.Alert) string {
	s := "[Warden] " + stateLabel(a)
	if a.Cause != warden.CauseNone {
		s += " " + singleLine(string(a.Cause))
	}
	s += ": " + subjectUser(a)
	if a.Org != "" {
		s += " (" + singleLine(a.Org) + ")"
	}
	return truncate(s, 200)
}

// emailBody is the plain-text body, with \n line ends.
func emailBody(a *warden.Alert, now func() time.Time) string {
	var b strings.Builder
	b.WriteString(headline(a) + "\n\n")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-10s %s\n", k+":", singleLine(v))
		}
	}
	row("Org", a.Org)
	row("User", subjectUser(a))
	row("State", stateChange(a))
	row("Cause", string(a.Cause))
	row("Severity", string(effectiveSeverity(a)))
	if a.Owner != "" {
		row("Owner", teamLabel(a.Owner))
	}
	row("Time", alertTime(a, now).UTC().Format(time.RFC3339))
	section := func(title string, lines ...string) {
		b.WriteString("\n" + title + ":\n")
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
	}
	if isRecovery(a) {
		section("Recovered", recoveryText(a))
	}
	if a.Evidence != "" {
		section("Evidence", strings.TrimRight(a.Evidence, "\n"))
	}
	if a.Fix != "" && !isRecovery(a) {
		section("Fix", strings.TrimRight(a.Fix, "\n"))
	}
	if lines := dependentLines(a); len(lines) > 0 {
		for i, l := range lines {
			lines[i] = "- " + l
		}
		section("Affected applications", lines...)
	}
	if lines := contactLines(a); len(lines) > 0 {
		for i, l := range lines {
			lines[i] = "- " + l
		}
		section("Contacts", lines...)
	}
	if a.URL != "" {
		b.WriteString("\nOpen in Warden: " + singleLine(a.URL) + "\n")
	}
	b.WriteString("\n-- \nSent by Warden, the control plane for Salesforce integration users.\n")
	return b.String()
}

// message builds the RFC 5322 message: headers, then the body encoded as
// quoted-printable UTF-8 (which keeps every line short and 7-bit whatever
// the evidence holds). Line ends are CRLF.
func (e *Email) message(a *warden.Alert) ([]byte, error) {
	now := e.now()
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	domain := "warden.localhost"
	if i := strings.LastIndexByte(e.from.Address, '@'); i >= 0 && i+1 < len(e.from.Address) {
		domain = e.from.Address[i+1:]
	}
	var h bytes.Buffer
	header := func(k, v string) { h.WriteString(foldHeader(k, v)) }
	header("From", e.from.String())
	to := make([]string, len(e.to))
	for i, addr := range e.to {
		to[i] = addr.String()
	}
	header("To", strings.Join(to, ", "))
	header("Subject", encodeWords(emailSubject(a)))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id)+"."+strconv.FormatInt(now.Unix(), 10)+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	header("X-Warden-Key", encodeWords(truncate(singleLine(alertKey(a)), 200)))
	header("X-Warden-State", encodeWords(truncate(stateLabel(a), 50)))
	h.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&h)
	if _, err := qp.Write([]byte(emailBody(a, e.now))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return h.Bytes(), nil
}

// encodeWords returns s unchanged when it is printable ASCII, and else as
// RFC 2047 Q-encoded words short enough for foldHeader to keep every line
// within 78 characters. Decoders join adjacent encoded words, dropping the
// spaces between them.
func encodeWords(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	const maxPayload = 45
	var words []string
	var w strings.Builder
	for _, r := range s {
		var enc strings.Builder
		for _, c := range []byte(string(r)) {
			switch {
			case c == ' ':
				enc.WriteByte('_')
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("!*+-/", c) >= 0:
				enc.WriteByte(c)
			default:
				fmt.Fprintf(&enc, "=%02X", c)
			}
		}
		if w.Len()+enc.Len() > maxPayload {
			words = append(words, "=?utf-8?q?"+w.String()+"?=")
			w.Reset()
		}
		w.WriteString(enc.String())
	}
	if w.Len() > 0 {
		words = append(words, "=?utf-8?q?"+w.String()+"?=")
	}
	return strings.Join(words, " ")
}

// foldHeader renders one header field, folded at spaces so that lines stay
// within 78 characters where the words allow (RFC 5322 §2.2.3). The value
// must be free of line breaks.
func foldHeader(name, value string) string {
	var b strings.Builder
	b.WriteString(name + ":")
	n := b.Len()
	for i, word := range strings.Split(value, " ") {
		if i > 0 && n+1+len(word) > 78 {
			b.WriteString("\r\n")
			n = 0
		}
		b.WriteString(" " + word)
		n += 1 + len(word)
	}
	b.WriteString("\r\n")
	return b.String()
}

// send delivers msg over one SMTP session.
func (e *Email) send(ctx context.Context, msg []byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		return e.smtpError(ctx, "connect", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Cancellation interrupts any read or write in progress.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if e.implicit {
		tc := tls.Client(conn, e.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return e.smtpError(ctx, "TLS handshake", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		conn.Close()
		return e.smtpError(ctx, "greeting", err)
	}
	defer c.Close()
	if err := c.Hello(e.helo); err != nil {
		return e.smtpError(ctx, "EHLO", err)
	}
	if !e.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(e.tls); err != nil {
				return e.smtpError(ctx, "STARTTLS", err)
			}
		}
	}
	if e.username != "" {
		if _, isTLS := c.TLSConnectionState(); !isTLS && !isLocalhost(e.host) {
			return &warden.Error{Kind: warden.EINVALID, Op: emailOp, Message: fmt.Sprintf("channel %s: SMTP %s does not offer STARTTLS; refusing to send the password unencrypted", e.name, e.addr)}
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return &warden.Error{Kind: warden.EINVALID, Op: emailOp, Message: fmt.Sprintf("channel %s: SMTP %s does not offer AUTH, but a username is configured", e.name, e.addr)}
		}
		if err := c.Auth(smtp.PlainAuth("", e.username, e.password, e.host)); err != nil {
			return e.smtpError(ctx, "AUTH", err)
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return e.smtpError(ctx, "MAIL FROM", err)
	}
	for _, to := range e.to {
		if err := c.Rcpt(to.Address); err != nil {
			return e.smtpError(ctx, "RCPT TO "+to.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return e.smtpError(ctx, "DATA", err)
	}
	// The DATA writer dot-stuffs lines that start with "." and ends the
	// message with CRLF.CRLF on Close.
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return e.smtpError(ctx, "DATA", err)
	}
	if err := w.Close(); err != nil {
		return e.smtpError(ctx, "end of DATA", err)
	}
	// The message is accepted; a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// isLocalhost matches net/smtp's notion of a local server, to which PLAIN
// authentication may be sent without TLS.
func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// smtpError classifies a failed SMTP step.
func (e *Email) smtpError(ctx context.Context, step string, err error) error {
	kind, what := warden.EUNAVAILABLE, e.scrub(err.Error())
	var tpe *textproto.Error
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	switch {
	case errors.As(err, &tpe):
		what = "server answered " + e.scrub(singleLine(tpe.Error()))
		switch {
		case tpe.Code >= 400 && tpe.Code < 500:
			kind = warden.EUNAVAILABLE
		case tpe.Code == 530 || tpe.Code == 534 || tpe.Code == 535 || tpe.Code == 538:
			kind = warden.EUNAUTHORIZED
		default:
			kind = warden.EINVALID
		}
	case errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &hne):
		kind, what = warden.EINVALID, "server certificate is not trusted: "+what
	case ctx.Err() != nil || isTimeout(err):
		if errors.Is(ctx.Err(), context.Canceled) {
			what = "canceled"
		} else {
			what = "no answer within " + e.timeout.String()
		}
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		err = errors.Join(err, ctx.Err())
	}
	return &warden.Error{Kind: kind, Op: emailOp, Message: fmt.Sprintf("channel %s: SMTP %s %s: %s", e.name, e.addr, step, truncate(what, 300)), Err: err}
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// scrub removes the password, in clear or inside an AUTH PLAIN blob, from
// text. No SMTP library puts it there, but this is the last line of
// defence.
func (e *Email) scrub(text string) string {
	if e.password == "" {
		return text
	}
	blob := base64.StdEncoding.EncodeToString([]byte("\x00" + e.username + "\x00" + e.password))
	text = strings.ReplaceAll(text, blob, "[redacted]")
	if len(e.password) >= 4 { // shorter ones would mangle ordinary words
		text = strings.ReplaceAll(text, e.password, "[redacted]")
	}
	return text
}
