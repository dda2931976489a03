// Package emulatormail is a [warden.Mailbox] on the Salesforce emulator's
// own mailbox, for the demo and end-to-end tests: the emulator keeps the
// e-mails it "sends" (password resets, new security tokens) per user and
// serves them on its control API,
//
//	GET {emulator}/_emulator/mailbox/{username}  ->  [emulator.Mail, ...]
//
// in the order they were sent. The emulator's mailbox is append-only and
// has no read or delete operation, so MarkSeen and Delete are kept by the
// Mailbox value itself: a deleted message stays hidden from this Mailbox
// (and only from it) for its lifetime.
package emulatormail

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/mailbox"
)

// Options configure a Mailbox.
type Options struct {
	// URL is the emulator's base URL.
	URL string
	// Username is the Salesforce username whose mailbox this is (the
	// emulator files mail by username, not by address).
	Username string
	// HTTPClient defaults to a client with a 30 second timeout.
	HTTPClient *http.Client
}

// Mailbox reads one user's mail from the emulator. It is safe for
// concurrent use.
type Mailbox struct {
	opts Options

	mu      sync.Mutex
	deleted map[string]bool
}

var _ warden.Mailbox = (*Mailbox)(nil)

// New checks opts and returns a Mailbox. It does not connect.
func New(opts Options) (*Mailbox, error) {
	if u, err := url.Parse(opts.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, warden.Errorf(warden.EINVALID, "emulator mailbox: %q is not an http(s) URL", opts.URL)
	}
	if opts.Username == "" {
		return nil, warden.Errorf(warden.EINVALID, "emulator mailbox: username must not be empty")
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	opts.URL = strings.TrimSuffix(opts.URL, "/")
	return &Mailbox{opts: opts, deleted: map[string]bool{}}, nil
}

// ParseOptions are the parser options for the emulator's e-mails: links
// to the emulator itself count as Salesforce links.
func (m *Mailbox) ParseOptions() mailbox.ParseOptions {
	u, _ := url.Parse(m.opts.URL)
	return mailbox.ParseOptions{LinkHosts: []string{u.Host}}
}

// id names the i-th message sent at sent: the position alone would name
// another message if the emulator were restarted.
func id(i int, sent time.Time) string { return fmt.Sprintf("%d-%d", i, sent.UnixNano()) }

// all reads the whole mailbox, with deleted messages left out.
func (m *Mailbox) all(ctx context.Context) ([]warden.MailMessage, error) {
	endpoint := m.opts.URL + "/_emulator/mailbox/" + url.PathEscape(m.opts.Username)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, warden.Errorf(warden.EUNAVAILABLE, "emulator mailbox: %v", err)
	}
	resp, err := m.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, &warden.Error{Kind: warden.EUNAVAILABLE, Op: "emulator mailbox", Message: "cannot reach the emulator", Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, &warden.Error{Kind: warden.EUNAVAILABLE, Op: "emulator mailbox", Message: "reading the mailbox failed", Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, warden.Errorf(warden.EUNAVAILABLE, "emulator mailbox: the emulator answered %d", resp.StatusCode)
	}
	var mails []emulator.Mail
	if err := json.Unmarshal(data, &mails); err != nil {
		return nil, &warden.Error{Kind: warden.EUNAVAILABLE, Op: "emulator mailbox", Message: "malformed answer", Err: err}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []warden.MailMessage
	for i, mail := range mails {
		msgID := id(i, mail.Sent)
		if m.deleted[msgID] {
			continue
		}
		out = append(out, warden.MailMessage{ID: msgID, To: []string{mail.To}, Subject: mail.Subject, Received: mail.Sent.UTC(), TextBody: mail.Body})
	}
	return out, nil
}

// Messages implements [warden.Mailbox].
func (m *Mailbox) Messages(ctx context.Context, q warden.MailQuery) ([]warden.MailMessage, error) {
	msgs, err := m.all(ctx)
	if err != nil {
		return nil, err
	}
	var out []warden.MailMessage
	for _, msg := range msgs {
		if mailbox.Match(q, &msg) {
			msg.TextBody = ""
			out = append(out, msg)
		}
	}
	return out, nil
}

// Message implements [warden.Mailbox].
func (m *Mailbox) Message(ctx context.Context, msgID string) (*warden.MailMessage, error) {
	if !wellFormed(msgID) {
		return nil, mailbox.NotFound(msgID)
	}
	msgs, err := m.all(ctx)
	if err != nil {
		return nil, err
	}
	for _, msg := range msgs {
		if msg.ID == msgID {
			return &msg, nil
		}
	}
	return nil, mailbox.NotFound(msgID)
}

func wellFormed(msgID string) bool {
	a, b, ok := strings.Cut(msgID, "-")
	_, err1 := strconv.Atoi(a)
	_, err2 := strconv.ParseInt(b, 10, 64)
	return ok && err1 == nil && err2 == nil
}

// MarkSeen implements [warden.Mailbox]. The emulator keeps no read state,
// so it only checks that the message exists.
func (m *Mailbox) MarkSeen(ctx context.Context, msgID string) error {
	_, err := m.Message(ctx, msgID)
	return err
}

// Delete implements [warden.Mailbox] by hiding the message from this
// Mailbox (see the package documentation).
func (m *Mailbox) Delete(ctx context.Context, msgID string) error {
	if _, err := m.Message(ctx, msgID); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deleted[msgID] = true
	return nil
}

var _ warden.PasswordChanger = (*Mailbox)(nil)

// ChangePassword implements [warden.PasswordChanger]: it sets the mailbox
// account's password on the emulator's control API
// (POST /_emulator/mailbox/{username}/password).
func (m *Mailbox) ChangePassword(ctx context.Context, password string) error {
	endpoint := m.opts.URL + "/_emulator/mailbox/" + url.PathEscape(m.opts.Username) + "/password"
	body, _ := json.Marshal(map[string]string{"password": password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(string(body)))
	if err != nil {
		return warden.Errorf(warden.EUNAVAILABLE, "emulator mailbox: cannot build the request")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := m.opts.HTTPClient.Do(req)
	if err != nil {
		return &warden.Error{Kind: warden.EUNAVAILABLE, Op: "emulator mailbox", Message: "cannot reach the emulator", Err: err}
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	switch {
	case resp.StatusCode == http.StatusNoContent:
		return nil
	case resp.StatusCode == http.StatusBadRequest:
		return warden.Errorf(warden.EINVALID, "emulator mailbox: the new password was refused")
	}
	return warden.Errorf(warden.EUNAVAILABLE, "emulator mailbox: the emulator answered %d", resp.StatusCode)
}
