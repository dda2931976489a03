// Package imap is a [warden.Mailbox] on any IMAP4rev1 server (RFC 3501):
// Dovecot, Exchange Online, Gmail, and others. It speaks the protocol
// itself over net.Conn, with TLS (port 993), STARTTLS (port 143) or, on
// loopback only, plain text; it logs in with AUTHENTICATE PLAIN or LOGIN,
// and uses UID SEARCH, UID FETCH BODY.PEEK[] (which does not mark messages
// read), UID STORE and UID EXPUNGE.
//
// Each call opens one connection, logs in, selects the folder, does its
// work and logs out: the rotation engine polls a mailbox for a few minutes
// at a time, and a fresh session per poll leaves nothing to go stale.
package imap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/mailbox"
)

// Security is how the connection is protected.
type Security string

// Securities. TLS is the default.
const (
	// SecurityTLS is implicit TLS from the first byte (IMAPS, port 993).
	SecurityTLS Security = "tls"
	// SecurityStartTLS upgrades a plain connection with STARTTLS (port
	// 143) before logging in; a server that does not offer it is refused.
	SecurityStartTLS Security = "starttls"
	// SecurityNone sends everything, password included, in clear text. It
	// is allowed only to loopback addresses (a local test server).
	SecurityNone Security = "none"
)

// Options configure a Mailbox.
type Options struct {
	// Addr is the server's host:port.
	Addr string
	// Security defaults to SecurityTLS.
	Security Security
	// Username and Password log in to the mailbox account.
	Username string
	Password string
	// Folder is the folder Salesforce's e-mails arrive in (default INBOX).
	Folder string
	// TLSConfig, when set, is used for TLS and STARTTLS (e.g. to trust a
	// private CA); its ServerName defaults to Addr's host.
	TLSConfig *tls.Config
	// Timeout bounds each call when its context has no deadline (default
	// 30 seconds).
	Timeout time.Duration
}

// String hides the password.
func (o Options) String() string {
	return fmt.Sprintf("imap{addr=%s security=%s user=%s folder=%s}", o.Addr, o.Security, o.Username, o.Folder)
}

// GoString hides the password.
func (o Options) GoString() string { return o.String() }

// Mailbox is an IMAP mailbox. It is safe for concurrent use: each call has
// its own connection.
type Mailbox struct {
	opts Options
	host string
}

var _ warden.Mailbox = (*Mailbox)(nil)

// New checks opts and returns a Mailbox. It does not connect.
func New(opts Options) (*Mailbox, error) {
	if opts.Security == "" {
		opts.Security = SecurityTLS
	}
	if opts.Folder == "" {
		opts.Folder = "INBOX"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	host, _, err := net.SplitHostPort(opts.Addr)
	switch {
	case err != nil || host == "":
		return nil, warden.Errorf(warden.EINVALID, "imap: address %q is not host:port", opts.Addr)
	case opts.Username == "" || opts.Password == "":
		return nil, warden.Errorf(warden.EINVALID, "imap: username and password must not be empty")
	}
	switch opts.Security {
	case SecurityTLS, SecurityStartTLS:
	case SecurityNone:
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, warden.Errorf(warden.EINVALID, "imap: security none is allowed only to a loopback address, not %s", host)
		}
	default:
		return nil, warden.Errorf(warden.EINVALID, "imap: security %q is not one of tls, starttls, none", opts.Security)
	}
	return &Mailbox{opts: opts, host: host}, nil
}

// session runs fn on a logged-in connection with the folder selected
// (unless folder is false), then logs out.
func (m *Mailbox) session(ctx context.Context, op string, folder bool, fn func(c *conn) error) (err error) {
	if err := ctx.Err(); err != nil {
		return &warden.Error{Kind: warden.EUNAVAILABLE, Op: "imap " + op, Message: "canceled", Err: err}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.opts.Timeout)
		defer cancel()
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", m.opts.Addr)
	if err != nil {
		return &warden.Error{Kind: warden.EUNAVAILABLE, Op: "imap " + op, Message: "cannot connect to " + m.opts.Addr, Err: err}
	}
	c := newConn(nc)
	defer func() { c.nc.Close() }()
	deadline, _ := ctx.Deadline()
	nc.SetDeadline(deadline)
	// The deadline of the TCP connection also bounds TLS on top of it.
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = &warden.Error{Kind: warden.EUNAVAILABLE, Op: "imap " + op, Message: "timed out or canceled", Err: ctx.Err()}
		}
		err = wrap(op, err)
	}()
	if m.opts.Security == SecurityTLS {
		tc := tls.Client(nc, m.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return warden.Errorf(warden.EUNAVAILABLE, "imap: TLS handshake with %s: %v", m.opts.Addr, err)
		}
		c = newConn(tc)
	}
	if err := c.greet(); err != nil {
		return err
	}
	if m.opts.Security == SecurityStartTLS {
		if c.caps == nil {
			if err := c.capability(); err != nil {
				return err
			}
		}
		if err := c.startTLS(ctx, m.tlsConfig()); err != nil {
			return err
		}
	} else if c.caps == nil {
		if err := c.capability(); err != nil {
			return err
		}
	}
	if err := c.login(m.opts.Username, m.opts.Password); err != nil {
		return err
	}
	if folder {
		if err := c.selectFolder(m.opts.Folder); err != nil {
			return err
		}
	}
	if err := fn(c); err != nil {
		return err
	}
	_, _, _ = c.command(rawArg("LOGOUT"))
	return nil
}

func (m *Mailbox) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.opts.TLSConfig != nil {
		cfg = m.opts.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = m.host
	}
	return cfg
}

// wrap gives every error a kind and the operation name.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var we *warden.Error
	if errors.As(err, &we) {
		return err
	}
	return &warden.Error{Kind: warden.EUNAVAILABLE, Op: "imap " + op, Message: "connection failed", Err: err}
}

// id names a message: the folder's UIDVALIDITY and the message's UID, so
// an id never silently names another message after the server renumbers.
func id(validity, uid uint32) string { return fmt.Sprintf("%d.%d", validity, uid) }

func parseID(s string) (validity, uid uint32, ok bool) {
	a, b, found := strings.Cut(s, ".")
	v, err1 := strconv.ParseUint(a, 10, 32)
	u, err2 := strconv.ParseUint(b, 10, 32)
	if !found || err1 != nil || err2 != nil || v == 0 || u == 0 {
		return 0, 0, false
	}
	return uint32(v), uint32(u), true
}

// Messages implements [warden.Mailbox]. IMAP's SEARCH SINCE has a
// granularity of days, so the server narrows by day and the exact
// instant, the recipient and the subject are checked here too.
func (m *Mailbox) Messages(ctx context.Context, q warden.MailQuery) ([]warden.MailMessage, error) {
	var out []warden.MailMessage
	err := m.session(ctx, "search", true, func(c *conn) error {
		args := []arg{rawArg("UID"), rawArg("SEARCH")}
		if needsLiteral(q.To) || needsLiteral(q.Subject) {
			args = append(args, rawArg("CHARSET"), rawArg("UTF-8"))
		}
		args = append(args, rawArg("UNDELETED"))
		if !q.Since.IsZero() {
			args = append(args, rawArg("SINCE"), rawArg(q.Since.UTC().AddDate(0, 0, -1).Format("2-Jan-2006")))
		}
		if q.To != "" {
			args = append(args, rawArg("TO"), strArg(q.To))
		}
		if q.Subject != "" {
			args = append(args, rawArg("SUBJECT"), strArg(q.Subject))
		}
		untagged, _, err := c.command(args...)
		if err != nil {
			return err
		}
		var uids []uint32
		for _, r := range untagged {
			if r.kind != "SEARCH" {
				continue
			}
			for _, f := range r.fields {
				a, _ := f.(atom)
				n, err := strconv.ParseUint(string(a), 10, 32)
				if err != nil {
					return errProtocol
				}
				uids = append(uids, uint32(n))
			}
		}
		if len(uids) == 0 {
			return nil
		}
		slices.Sort(uids)
		uids = slices.Compact(uids)
		msgs, err := fetch(c, uidSet(uids), "BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)]")
		if err != nil {
			return err
		}
		for _, f := range msgs {
			if f.deleted() || !slices.Contains(uids, f.uid) {
				continue
			}
			msg, err := mailbox.Decode([]byte(f.body))
			if err != nil {
				continue // a header the decoder cannot read is not a Salesforce e-mail
			}
			msg.ID, msg.Received, msg.TextBody = id(c.uidValidity, f.uid), f.internal, ""
			if mailbox.Match(q, msg) {
				out = append(out, *msg)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b warden.MailMessage) int { return a.Received.Compare(b.Received) })
	return out, nil
}

// fetch runs UID FETCH for a set with UID, FLAGS, INTERNALDATE and one
// body item, and returns the messages in UID order.
func fetch(c *conn, set, body string) ([]*fetched, error) {
	untagged, _, err := c.command(rawArg("UID"), rawArg("FETCH"), rawArg(set), rawArg("(UID FLAGS INTERNALDATE "+body+")"))
	if err != nil {
		return nil, err
	}
	var out []*fetched
	for _, r := range untagged {
		if r.kind != "FETCH" {
			continue
		}
		f, err := parseFetch(r)
		if err != nil {
			return nil, err
		}
		if f.uid != 0 && f.hasBody {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b *fetched) int { return int(int64(a.uid) - int64(b.uid)) })
	return out, nil
}

// withMessage runs fn on the message id names, in a session; it fails
// with ENOTFOUND when the id is malformed, from another UIDVALIDITY, or
// names no message that is not \Deleted.
func (m *Mailbox) withMessage(ctx context.Context, op, msgID string, fn func(c *conn, uid uint32) error) error {
	validity, uid, ok := parseID(msgID)
	if !ok {
		return mailbox.NotFound(msgID)
	}
	return m.session(ctx, op, true, func(c *conn) error {
		if c.uidValidity != validity {
			return mailbox.NotFound(msgID)
		}
		return fn(c, uid)
	})
}

// Message implements [warden.Mailbox].
func (m *Mailbox) Message(ctx context.Context, msgID string) (*warden.MailMessage, error) {
	var out *warden.MailMessage
	err := m.withMessage(ctx, "fetch", msgID, func(c *conn, uid uint32) error {
		msgs, err := fetch(c, strconv.FormatUint(uint64(uid), 10), "BODY.PEEK[]")
		if err != nil {
			return err
		}
		for _, f := range msgs {
			if f.uid != uid || f.deleted() {
				continue
			}
			msg, err := mailbox.Decode([]byte(f.body))
			if err != nil {
				return err
			}
			msg.ID, msg.Received = msgID, f.internal
			out = msg
			return nil
		}
		return mailbox.NotFound(msgID)
	})
	return out, err
}

// store adds a flag to a message. Servers confirm only changes, so the
// caller checks that the message exists first.
func store(c *conn, uid uint32, flag string) error {
	_, _, err := c.command(rawArg("UID"), rawArg("STORE"), rawArg(strconv.FormatUint(uint64(uid), 10)), rawArg("+FLAGS.SILENT"), rawArg("("+flag+")"))
	return err
}

// exists reports whether uid names a message that is not \Deleted.
func exists(c *conn, uid uint32) (bool, error) {
	msgs, err := fetch(c, strconv.FormatUint(uint64(uid), 10), "BODY.PEEK[HEADER.FIELDS (DATE)]")
	if err != nil {
		return false, err
	}
	for _, f := range msgs {
		if f.uid == uid && !f.deleted() {
			return true, nil
		}
	}
	return false, nil
}

// MarkSeen implements [warden.Mailbox] with UID STORE +FLAGS (\Seen).
func (m *Mailbox) MarkSeen(ctx context.Context, msgID string) error {
	return m.withMessage(ctx, "store", msgID, func(c *conn, uid uint32) error {
		if ok, err := exists(c, uid); err != nil || !ok {
			if err != nil {
				return err
			}
			return mailbox.NotFound(msgID)
		}
		return store(c, uid, `\Seen`)
	})
}

// Delete implements [warden.Mailbox]: UID STORE +FLAGS (\Deleted), then
// UID EXPUNGE of that message when the server has UIDPLUS (RFC 4315), or
// a plain EXPUNGE, which also removes any other message already flagged
// \Deleted in the folder.
func (m *Mailbox) Delete(ctx context.Context, msgID string) error {
	return m.withMessage(ctx, "delete", msgID, func(c *conn, uid uint32) error {
		if ok, err := exists(c, uid); err != nil || !ok {
			if err != nil {
				return err
			}
			return mailbox.NotFound(msgID)
		}
		if err := store(c, uid, `\Deleted`); err != nil {
			return err
		}
		var err error
		if c.caps["UIDPLUS"] {
			_, _, err = c.command(rawArg("UID"), rawArg("EXPUNGE"), rawArg(strconv.FormatUint(uint64(uid), 10)))
		} else {
			_, _, err = c.command(rawArg("EXPUNGE"))
		}
		return err
	})
}

// Append stores a raw RFC 5322 message in the folder with the given
// receipt time (INTERNALDATE; the server's clock when zero). Warden uses
// it to deliver the emulator's e-mails into a real IMAP mailbox, and
// tests use it to fill one.
func (m *Mailbox) Append(ctx context.Context, raw []byte, received time.Time) error {
	if len(raw) == 0 || len(raw) > mailbox.MaxMessageBytes {
		return warden.Errorf(warden.EINVALID, "imap: a message must have 1 to %d bytes", mailbox.MaxMessageBytes)
	}
	return m.session(ctx, "append", false, func(c *conn) error {
		args := []arg{rawArg("APPEND"), strArg(m.opts.Folder)}
		if !received.IsZero() {
			args = append(args, rawArg(imapQuote(received.Format("_2-Jan-2006 15:04:05 -0700"))))
		}
		args = append(args, litArg(raw))
		_, _, err := c.command(args...)
		return err
	})
}
