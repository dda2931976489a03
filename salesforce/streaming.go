package salesforce

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// Replay positions for Subscribe.
const (
	ReplayNew = -1 // only events published after subscribing
	ReplayAll = -2 // every retained event
)

// Event is one streaming event, such as a UserChangeEvent.
type Event struct {
	// ReplayID orders the channel's events; subscribe from it to resume.
	ReplayID int64
	// Channel is the subscription channel, such as /data/UserChangeEvent.
	Channel string
	// Payload is the event's payload: for change events, a
	// ChangeEventHeader and the changed fields.
	Payload json.RawMessage
}

// bayeuxMsg is a Bayeux message, in both directions.
type bayeuxMsg struct {
	Channel                  string          `json:"channel"`
	ClientID                 string          `json:"clientId,omitempty"`
	ID                       string          `json:"id,omitempty"`
	Version                  string          `json:"version,omitempty"`
	SupportedConnectionTypes []string        `json:"supportedConnectionTypes,omitempty"`
	ConnectionType           string          `json:"connectionType,omitempty"`
	Subscription             string          `json:"subscription,omitempty"`
	Ext                      json.RawMessage `json:"ext,omitempty"`
	Successful               *bool           `json:"successful,omitempty"`
	Error                    string          `json:"error,omitempty"`
	Advice                   *struct {
		Reconnect string `json:"reconnect"`
		Timeout   int64  `json:"timeout"`
		Interval  int64  `json:"interval"`
	} `json:"advice,omitempty"`
	Data *struct {
		Payload json.RawMessage `json:"payload"`
		Event   struct {
			ReplayID int64 `json:"replayId"`
		} `json:"event"`
	} `json:"data,omitempty"`
}

// cometd is one subscription's protocol state.
type cometd struct {
	s        *Session
	channel  string
	replay   int64
	clientID string
	seq      int
	poll     time.Duration // server's long-poll timeout
	jar      *cookiejar.Jar
}

// Subscribe listens to a streaming channel (such as /data/UserChangeEvent)
// with the CometD/Bayeux long-polling protocol at /cometd/{version}, and
// calls fn with each event in order. replayFrom is ReplayNew, ReplayAll or
// the ReplayID of the last event already handled. It re-handshakes when the
// server forgets the client ("403::Unknown client"), resuming after the
// last event delivered, and logs in again when the session is rejected. It
// runs until ctx ends (returning an *Error wrapping ctx.Err()), fn returns
// an error (returned as it is), or the channel fails; to resume after a
// failure, subscribe again from the last ReplayID handled.
func (s *Session) Subscribe(ctx context.Context, channel string, replayFrom int64, fn func(Event) error) error {
	jar, _ := cookiejar.New(nil)
	c := &cometd{s: s, channel: channel, replay: replayFrom, jar: jar, poll: 110 * time.Second}
	for {
		if err := c.handshake(ctx); err != nil {
			return err
		}
		if err := c.subscribe(ctx); err != nil {
			return err
		}
		for {
			events, rehandshake, err := c.connect(ctx)
			if err != nil {
				return err
			}
			for _, e := range events {
				if err := fn(e); err != nil {
					return err
				}
				c.replay = e.ReplayID
			}
			if rehandshake {
				break
			}
		}
	}
}

// send posts Bayeux messages and returns the replies.
func (c *cometd) send(ctx context.Context, msgs []bayeuxMsg, long bool) ([]bayeuxMsg, error) {
	const op = "salesforce.Subscribe"
	for i := range msgs {
		c.seq++
		msgs[i].ID = strconv.Itoa(c.seq)
	}
	data, err := json.Marshal(msgs)
	if err != nil {
		return nil, &Error{Op: op, Message: "cannot encode Bayeux messages", kind: warden.EINTERNAL, err: err}
	}
	var out []bayeuxMsg
	_, err = c.s.call(ctx, op, true, func(tok *Token) *request {
		rq := &request{src: srcREST, method: http.MethodPost, url: tok.InstanceURL + "/cometd/" + c.s.c.version, body: data,
			contentType: "application/json", idempotent: true, jar: c.jar}
		if long {
			rq.timeout = c.poll + 30*time.Second
		}
		return rq
	}, jsonDecoder(&out))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxError(op, ctx)
		}
		return nil, err
	}
	return out, nil
}

// failed returns the *Error of an unsuccessful meta reply.
func failed(m bayeuxMsg) *Error {
	e := &Error{Op: "salesforce.Subscribe", Code: m.Error, Message: m.Channel + " failed", kind: warden.EINVALID}
	if code, msg, ok := strings.Cut(m.Error, "::"); ok {
		e.Code, e.Message = code, msg
		if n, err := strconv.Atoi(code); err == nil {
			e.Status = n
		}
	}
	if e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden {
		e.Cause = warden.CauseCredentialRejected
	}
	return e
}

func (c *cometd) handshake(ctx context.Context) error {
	replies, err := c.send(ctx, []bayeuxMsg{{Channel: "/meta/handshake", Version: "1.0", SupportedConnectionTypes: []string{"long-polling"}}}, false)
	if err != nil {
		return err
	}
	for _, m := range replies {
		if m.Channel != "/meta/handshake" {
			continue
		}
		if m.Successful == nil || !*m.Successful {
			return failed(m)
		}
		c.clientID = m.ClientID
		if m.Advice != nil && m.Advice.Timeout > 0 {
			c.poll = time.Duration(m.Advice.Timeout) * time.Millisecond
		}
		return nil
	}
	return &Error{Op: "salesforce.Subscribe", Code: "MALFORMED_RESPONSE", Message: "no handshake reply", Cause: warden.CauseOrgUnavailable}
}

func (c *cometd) subscribe(ctx context.Context) error {
	ext, _ := json.Marshal(map[string]any{"replay": map[string]int64{c.channel: c.replay}})
	replies, err := c.send(ctx, []bayeuxMsg{{Channel: "/meta/subscribe", ClientID: c.clientID, Subscription: c.channel, Ext: ext}}, false)
	if err != nil {
		return err
	}
	for _, m := range replies {
		if m.Channel == "/meta/subscribe" && (m.Successful == nil || !*m.Successful) {
			return failed(m)
		}
	}
	return nil
}

// connect long-polls once; it reports events and whether the server wants
// a new handshake.
func (c *cometd) connect(ctx context.Context) ([]Event, bool, error) {
	replies, err := c.send(ctx, []bayeuxMsg{{Channel: "/meta/connect", ClientID: c.clientID, ConnectionType: "long-polling"}}, true)
	if err != nil {
		return nil, false, err
	}
	var events []Event
	rehandshake := false
	for _, m := range replies {
		switch {
		case m.Channel == "/meta/connect":
			if m.Successful == nil || !*m.Successful {
				if strings.HasPrefix(m.Error, "403::") || m.Advice != nil && m.Advice.Reconnect == "handshake" {
					rehandshake = true
					continue
				}
				return nil, false, failed(m)
			}
			if m.Advice != nil && m.Advice.Reconnect == "handshake" {
				rehandshake = true
			}
		case strings.HasPrefix(m.Channel, "/meta/"):
		case m.Data != nil:
			events = append(events, Event{ReplayID: m.Data.Event.ReplayID, Channel: m.Channel, Payload: m.Data.Payload})
		}
	}
	return events, rehandshake, nil
}
