package warden

import (
	"context"
	"time"
)

// MailMessage is one e-mail in a mailbox: the headers Warden reads and the
// message's text. The text of Salesforce's e-mails carries new security
// tokens, temporary passwords and reset links, so a MailMessage must never
// be logged: String and GoString print only its id.
type MailMessage struct {
	// ID names the message within its mailbox; it is opaque and stable
	// until the message is deleted.
	ID string `json:"id"`
	// From is the sender's address ("" when the message has none).
	From string `json:"from,omitempty"`
	// To holds the recipients' addresses.
	To []string `json:"to,omitempty"`
	// Subject is the decoded subject line.
	Subject string `json:"subject,omitempty"`
	// Received is when the mailbox received the message.
	Received time.Time `json:"received"`
	// TextBody is the message's text: the text/plain part, or the
	// text/html part turned into text (links kept as their URLs), with
	// transfer encodings and character sets decoded. It is empty in
	// listings; Mailbox.Message fills it.
	TextBody string `json:"-"`
}

// String prints the message id only.
func (m MailMessage) String() string { return "[mail message " + m.ID + "]" }

// GoString prints the message id only.
func (m MailMessage) GoString() string { return m.String() }

// MailQuery selects messages in a mailbox. Zero fields match everything.
type MailQuery struct {
	// Since keeps messages received at or after this instant.
	Since time.Time
	// To keeps messages with this address among their recipients (exact,
	// case-insensitive).
	To string
	// Subject keeps messages whose subject contains this text
	// (case-insensitive).
	Subject string
}

// Mailbox is where Salesforce's reset and security token e-mails arrive:
// the integration user's own mailbox, read through IMAP, Microsoft Graph or
// the emulator. Implementations live under mailbox/ and pass
// mailbox/mailboxtest's conformance suite. They never log message text.
type Mailbox interface {
	// Messages lists the messages matching q, oldest first, without their
	// text (TextBody is empty).
	Messages(ctx context.Context, q MailQuery) ([]MailMessage, error)
	// Message returns one message with its text, or an ENOTFOUND error
	// when the id names no message (any more).
	Message(ctx context.Context, id string) (*MailMessage, error)
	// MarkSeen marks a message as read, so people looking at the mailbox
	// see that Warden has consumed it. It fails with ENOTFOUND like
	// Message.
	MarkSeen(ctx context.Context, id string) error
	// Delete removes a message, so a token or password that has been
	// collected does not linger in the mailbox. Deleting a message that is
	// already gone fails with ENOTFOUND.
	Delete(ctx context.Context, id string) error
}

// PasswordChanger is implemented by mailboxes whose account password Warden
// can change: the runbook's "the mailbox account is a credential of its
// own". The Microsoft Graph mailbox implements it.
type PasswordChanger interface {
	// ChangePassword sets the mailbox account's password. The password is
	// never logged or put in an error. A password the provider's policy
	// refuses fails with EINVALID; missing rights with EFORBIDDEN.
	ChangePassword(ctx context.Context, password string) error
}
