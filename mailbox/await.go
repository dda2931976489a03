package mailbox

import (
	"context"
	"time"

	"github.com/wardenhq/warden"
)

// Await polls mb until a message matching q carries what want accepts,
// and returns that message (with its text) and what it announced. Each
// poll lists the matching messages and reads those not read before, newest
// first, so of several acceptable e-mails the latest wins (a second token
// reset supersedes the first). Transient failures (EUNAVAILABLE) are
// retried at the next poll; other failures end the wait. When ctx ends
// first, Await fails with EUNAVAILABLE ("no e-mail arrived"), wrapping the
// context's error.
func Await(ctx context.Context, mb warden.Mailbox, q warden.MailQuery, opts ParseOptions, interval time.Duration, want func(SalesforceMail) bool) (*warden.MailMessage, SalesforceMail, error) {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	read := map[string]bool{}
	t := time.NewTicker(interval)
	defer t.Stop()
	var last error
	for {
		msg, sf, err := awaitOnce(ctx, mb, q, opts, want, read)
		switch {
		case msg != nil:
			return msg, sf, nil
		case err != nil && warden.ErrorKind(err) != warden.EUNAVAILABLE:
			return nil, SalesforceMail{}, err
		case err != nil:
			last = err
		}
		select {
		case <-ctx.Done():
			e := &warden.Error{Kind: warden.EUNAVAILABLE, Op: "mailbox await", Message: "no matching e-mail arrived", Err: ctx.Err()}
			if last != nil {
				e.Message += " (last poll: " + warden.ErrorMessage(last) + ")"
			}
			return nil, SalesforceMail{}, e
		case <-t.C:
		}
	}
}

func awaitOnce(ctx context.Context, mb warden.Mailbox, q warden.MailQuery, opts ParseOptions, want func(SalesforceMail) bool, read map[string]bool) (*warden.MailMessage, SalesforceMail, error) {
	msgs, err := mb.Messages(ctx, q)
	if err != nil {
		return nil, SalesforceMail{}, err
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if read[msgs[i].ID] {
			continue
		}
		msg, err := mb.Message(ctx, msgs[i].ID)
		if warden.ErrorKind(err) == warden.ENOTFOUND {
			read[msgs[i].ID] = true // deleted meanwhile
			continue
		}
		if err != nil {
			return nil, SalesforceMail{}, err
		}
		read[msg.ID] = true
		if sf := ParseSalesforceMessage(msg, opts); want(sf) {
			return msg, sf, nil
		}
	}
	return nil, SalesforceMail{}, nil
}
