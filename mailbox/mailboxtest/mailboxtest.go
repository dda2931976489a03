// Package mailboxtest is the conformance suite for [warden.Mailbox]
// adapters, like secret/secrettest for secret stores: one set of tests
// that the IMAP (against a real Dovecot), Microsoft Graph (against
// graphtest) and emulator adapters all run.
//
// An adapter's test calls [Run] with a function that returns a fresh,
// empty mailbox and a way to deliver a Salesforce security token e-mail
// into it:
//
//	func TestConformance(t *testing.T) {
//		mailboxtest.Run(t, func(t *testing.T) *mailboxtest.Harness {
//			return &mailboxtest.Harness{Mailbox: mb, Recipient: addr, Deliver: deliver}
//		})
//	}
package mailboxtest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/mailbox"
)

// Harness is one empty mailbox under test.
type Harness struct {
	Mailbox warden.Mailbox
	// Recipient is the address delivered messages are sent to.
	Recipient string
	// Deliver puts one Salesforce "Your new Salesforce security token"
	// e-mail to Recipient into the mailbox, received at at (to the
	// second), and returns the token it carries. Calls come with
	// increasing times in the past (Dovecot replaces an APPEND date far in
	// the future with the current time).
	Deliver func(t *testing.T, at time.Time) (token string)
	// ParseOptions are passed to the Salesforce parser.
	ParseOptions mailbox.ParseOptions
}

// Run runs the suite. open is called once per subtest.
func Run(t *testing.T, open func(t *testing.T) *Harness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, h *Harness)
	}{
		{"Empty", testEmpty},
		{"ListOldestFirst", testList},
		{"Since", testSince},
		{"Filters", testFilters},
		{"MessageText", testMessageText},
		{"MarkSeen", testMarkSeen},
		{"Delete", testDelete},
		{"UnknownID", testUnknownID},
		{"Concurrent", testConcurrent},
		{"CanceledContext", testCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// base is the first delivery time of a test: hours in the past, to the
// second (IMAP's INTERNALDATE resolution).
func base() time.Time { return time.Now().UTC().Add(-6 * time.Hour).Truncate(time.Second) }

// slack is how much later than asked a delivery may be received (the
// emulator stamps its own clock, a little after it was set).
const slack = 5 * time.Second

type delivered struct {
	at    time.Time
	token string
}

func deliverN(t *testing.T, h *Harness, n int) []delivered {
	t.Helper()
	at := base()
	var out []delivered
	for i := range n {
		when := at.Add(time.Duration(i) * time.Hour)
		out = append(out, delivered{when, h.Deliver(t, when)})
	}
	return out
}

func list(t *testing.T, h *Harness, q warden.MailQuery) []warden.MailMessage {
	t.Helper()
	msgs, err := h.Mailbox.Messages(t.Context(), q)
	if err != nil {
		t.Fatalf("Messages(%+v): %v", q, err)
	}
	return msgs
}

func wantKind(t *testing.T, err error, kind, what string) {
	t.Helper()
	if warden.ErrorKind(err) != kind {
		t.Errorf("%s: error %v (kind %q); want kind %q", what, err, warden.ErrorKind(err), kind)
	}
}

func testEmpty(t *testing.T, h *Harness) {
	if msgs := list(t, h, warden.MailQuery{}); len(msgs) != 0 {
		t.Errorf("empty mailbox lists %d messages", len(msgs))
	}
}

func testList(t *testing.T, h *Harness) {
	d := deliverN(t, h, 3)
	msgs := list(t, h, warden.MailQuery{})
	if len(msgs) != 3 {
		t.Fatalf("listed %d messages; want 3", len(msgs))
	}
	ids := map[string]bool{}
	for i, m := range msgs {
		if m.ID == "" || ids[m.ID] {
			t.Errorf("message %d has id %q (empty or repeated)", i, m.ID)
		}
		ids[m.ID] = true
		if m.Received.Before(d[i].at) || m.Received.After(d[i].at.Add(slack)) {
			t.Errorf("message %d received %v; want %v (oldest first)", i, m.Received, d[i].at)
		}
		if m.TextBody != "" {
			t.Errorf("listing carries the text of message %d", i)
		}
		if !strings.Contains(strings.ToLower(m.Subject), "security token") {
			t.Errorf("message %d subject %q", i, m.Subject)
		}
		if !hasRecipient(m, h.Recipient) {
			t.Errorf("message %d to %v; want %s among them", i, m.To, h.Recipient)
		}
	}
}

func hasRecipient(m warden.MailMessage, addr string) bool {
	for _, to := range m.To {
		if strings.EqualFold(to, addr) {
			return true
		}
	}
	return false
}

func testSince(t *testing.T, h *Harness) {
	d := deliverN(t, h, 3)
	all := list(t, h, warden.MailQuery{})
	if len(all) != 3 {
		t.Fatalf("listed %d messages; want 3", len(all))
	}
	tests := []struct {
		since time.Time
		want  int
	}{
		{d[0].at.Add(-time.Minute), 3},
		{d[0].at.Add(30 * time.Minute), 2},
		{all[1].Received, 2}, // at or after: inclusive
		{all[1].Received.Add(time.Second), 1},
		{d[2].at.Add(time.Hour), 0},
		{d[0].at.Add(-48 * time.Hour), 3}, // days earlier: IMAP SINCE is by day
	}
	for _, tt := range tests {
		got := list(t, h, warden.MailQuery{Since: tt.since})
		if len(got) != tt.want {
			t.Errorf("Since %v: %d messages; want %d", tt.since, len(got), tt.want)
			continue
		}
		for i, m := range got {
			if m.ID != all[3-tt.want+i].ID {
				t.Errorf("Since %v: message %d is %s; want %s", tt.since, i, m.ID, all[3-tt.want+i].ID)
			}
		}
	}
}

func testFilters(t *testing.T, h *Harness) {
	deliverN(t, h, 2)
	tests := []struct {
		q    warden.MailQuery
		want int
	}{
		{warden.MailQuery{To: h.Recipient}, 2},
		{warden.MailQuery{To: strings.ToUpper(h.Recipient)}, 2},
		{warden.MailQuery{To: "nobody-" + h.Recipient}, 0},
		{warden.MailQuery{Subject: "Security Token"}, 2},
		{warden.MailQuery{Subject: "password reset"}, 0},
		{warden.MailQuery{To: h.Recipient, Subject: "security token", Since: base().Add(-time.Hour)}, 2},
		{warden.MailQuery{Subject: "sécurité"}, 0}, // non-ASCII search text
	}
	for _, tt := range tests {
		if got := list(t, h, tt.q); len(got) != tt.want {
			t.Errorf("Messages(%+v): %d; want %d", tt.q, len(got), tt.want)
		}
	}
}

func testMessageText(t *testing.T, h *Harness) {
	d := deliverN(t, h, 2)
	msgs := list(t, h, warden.MailQuery{})
	if len(msgs) != 2 {
		t.Fatalf("listed %d messages; want 2", len(msgs))
	}
	for i, m := range msgs {
		got, err := h.Mailbox.Message(t.Context(), m.ID)
		if err != nil {
			t.Fatalf("Message(%s): %v", m.ID, err)
		}
		if got.ID != m.ID || got.Subject != m.Subject || !got.Received.Equal(m.Received) {
			t.Errorf("Message(%s) = %s %q %v; listing said %q %v", m.ID, got.ID, got.Subject, got.Received, m.Subject, m.Received)
		}
		sf := mailbox.ParseSalesforceMessage(got, h.ParseOptions)
		if sf.SecurityToken != d[i].token {
			t.Errorf("message %d: parsed token %q; delivered %q", i, sf.SecurityToken, d[i].token)
		}
		if s := fmt.Sprintf("%v %+v %#v", got, *got, got); strings.Contains(s, d[i].token) {
			t.Errorf("printing a message shows its token")
		}
	}
}

func testMarkSeen(t *testing.T, h *Harness) {
	deliverN(t, h, 1)
	m := list(t, h, warden.MailQuery{})[0]
	for range 2 { // marking twice is fine
		if err := h.Mailbox.MarkSeen(t.Context(), m.ID); err != nil {
			t.Fatalf("MarkSeen: %v", err)
		}
	}
	if got := list(t, h, warden.MailQuery{}); len(got) != 1 || got[0].ID != m.ID {
		t.Errorf("after MarkSeen the listing is %v", got)
	}
	if _, err := h.Mailbox.Message(t.Context(), m.ID); err != nil {
		t.Errorf("Message after MarkSeen: %v", err)
	}
}

func testDelete(t *testing.T, h *Harness) {
	deliverN(t, h, 2)
	msgs := list(t, h, warden.MailQuery{})
	if err := h.Mailbox.Delete(t.Context(), msgs[0].ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	got := list(t, h, warden.MailQuery{})
	if len(got) != 1 || got[0].ID != msgs[1].ID {
		t.Errorf("after Delete the listing is %v; want only %s", got, msgs[1].ID)
	}
	_, err := h.Mailbox.Message(t.Context(), msgs[0].ID)
	wantKind(t, err, warden.ENOTFOUND, "Message of a deleted message")
	wantKind(t, h.Mailbox.Delete(t.Context(), msgs[0].ID), warden.ENOTFOUND, "Delete again")
	wantKind(t, h.Mailbox.MarkSeen(t.Context(), msgs[0].ID), warden.ENOTFOUND, "MarkSeen of a deleted message")
	if _, err := h.Mailbox.Message(t.Context(), msgs[1].ID); err != nil {
		t.Errorf("the other message: %v", err)
	}
}

func testUnknownID(t *testing.T, h *Harness) {
	deliverN(t, h, 1)
	for _, id := range []string{"", "nonsense", "0", "1.999999", "../x", strings.Repeat("9", 300)} {
		_, err := h.Mailbox.Message(t.Context(), id)
		wantKind(t, err, warden.ENOTFOUND, fmt.Sprintf("Message(%q)", id))
		wantKind(t, h.Mailbox.MarkSeen(t.Context(), id), warden.ENOTFOUND, fmt.Sprintf("MarkSeen(%q)", id))
		wantKind(t, h.Mailbox.Delete(t.Context(), id), warden.ENOTFOUND, fmt.Sprintf("Delete(%q)", id))
	}
	if got := list(t, h, warden.MailQuery{}); len(got) != 1 {
		t.Errorf("unknown ids changed the mailbox: %d messages", len(got))
	}
}

func testConcurrent(t *testing.T, h *Harness) {
	d := deliverN(t, h, 2)
	msgs := list(t, h, warden.MailQuery{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			m, err := h.Mailbox.Message(t.Context(), msgs[i%2].ID)
			if err == nil && mailbox.ParseSalesforceMessage(m, h.ParseOptions).SecurityToken != d[i%2].token {
				err = fmt.Errorf("message %s: wrong token", m.ID)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func testCanceled(t *testing.T, h *Harness) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := h.Mailbox.Messages(ctx, warden.MailQuery{}); err == nil {
		t.Errorf("Messages with a canceled context succeeded")
	}
}
