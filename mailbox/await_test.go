package mailbox_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/mailbox"
)

// memory is an in-memory warden.Mailbox for testing Await.
type memory struct {
	mu    sync.Mutex
	msgs  []warden.MailMessage
	fail  error // returned by the next Messages call
	reads int
}

func (m *memory) add(msg warden.MailMessage) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, msg)
}

func (m *memory) Messages(ctx context.Context, q warden.MailQuery) ([]warden.MailMessage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail; err != nil {
		m.fail = nil
		return nil, err
	}
	var out []warden.MailMessage
	for _, msg := range m.msgs {
		if mailbox.Match(q, &msg) {
			msg.TextBody = ""
			out = append(out, msg)
		}
	}
	return out, nil
}

func (m *memory) Message(ctx context.Context, id string) (*warden.MailMessage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	if i := slices.IndexFunc(m.msgs, func(x warden.MailMessage) bool { return x.ID == id }); i >= 0 {
		msg := m.msgs[i]
		return &msg, nil
	}
	return nil, mailbox.NotFound(id)
}

func (m *memory) MarkSeen(ctx context.Context, id string) error { return nil }
func (m *memory) Delete(ctx context.Context, id string) error   { return nil }

func hasToken(sf mailbox.SalesforceMail) bool { return sf.SecurityToken != "" }

func tokenMsg(id, tok string, at time.Time) warden.MailMessage {
	return warden.MailMessage{ID: id, To: []string{"b@acme.com"}, Subject: "Your new Salesforce security token", Received: at,
		TextBody: "Security token (case-sensitive): " + tok}
}

func TestAwait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mb := &memory{}
		start := time.Now()
		mb.add(tokenMsg("old", "OLDTOKEN000000000000000", start.Add(-time.Hour))) // before the reset
		mb.add(warden.MailMessage{ID: "spam", To: []string{"b@acme.com"}, Subject: "Lunch", Received: start, TextBody: "pizza"})
		mb.fail = warden.Errorf(warden.EUNAVAILABLE, "server busy")
		go func() {
			time.Sleep(12 * time.Second)
			mb.add(tokenMsg("new", "NEWTOKEN111111111111111", time.Now()))
		}()
		msg, sf, err := mailbox.Await(t.Context(), mb, warden.MailQuery{Since: start, To: "b@acme.com"}, mailbox.ParseOptions{}, 5*time.Second, hasToken)
		if err != nil {
			t.Fatal(err)
		}
		if msg.ID != "new" || sf.SecurityToken != "NEWTOKEN111111111111111" {
			t.Errorf("got %s %v", msg.ID, sf)
		}
		if waited := time.Since(start); waited != 15*time.Second {
			t.Errorf("waited %v; want the poll after the arrival, 15s", waited)
		}
		if mb.reads != 2 { // spam once, new once: messages are read once
			t.Errorf("%d reads; want 2", mb.reads)
		}
	})
}

func TestAwaitNewestWins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mb := &memory{}
		now := time.Now()
		mb.add(tokenMsg("a", "FIRSTTOKEN0000000000000", now))
		mb.add(tokenMsg("b", "SECONDTOKEN000000000000", now.Add(time.Second)))
		_, sf, err := mailbox.Await(t.Context(), mb, warden.MailQuery{}, mailbox.ParseOptions{}, time.Second, hasToken)
		if err != nil || sf.SecurityToken != "SECONDTOKEN000000000000" {
			t.Errorf("got %v, %v; want the newer token", sf, err)
		}
	})
}

func TestAwaitTimeoutAndHardErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mb := &memory{}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		_, _, err := mailbox.Await(ctx, mb, warden.MailQuery{}, mailbox.ParseOptions{}, 10*time.Second, hasToken)
		if warden.ErrorKind(err) != warden.EUNAVAILABLE {
			t.Errorf("timeout: %v; want EUNAVAILABLE", err)
		}
		mb.fail = warden.Errorf(warden.EUNAUTHORIZED, "login failed")
		_, _, err = mailbox.Await(t.Context(), mb, warden.MailQuery{}, mailbox.ParseOptions{}, 10*time.Second, hasToken)
		if warden.ErrorKind(err) != warden.EUNAUTHORIZED {
			t.Errorf("hard error: %v; want EUNAUTHORIZED at once", err)
		}
	})
}
