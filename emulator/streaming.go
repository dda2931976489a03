package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The streaming channel serves Change Data Capture events for User over
// the Bayeux/CometD long-polling protocol at /cometd/{version}, channel
// /data/UserChangeEvent (and /data/ChangeEvents), as Salesforce does.

// maxEvents is how many events are retained for replay (Salesforce keeps
// three days; the emulator keeps a count).
const maxEvents = 10000

// connectTimeout is how long a /meta/connect waits for events.
var connectTimeout = 20 * time.Second

type changeEvent struct {
	replayID int64
	orgID    string
	channel  string
	payload  map[string]any
}

// eventLog holds recent change events and wakes waiting subscribers. It
// has its own lock so that long polls never hold Server.mu.
type eventLog struct {
	mu      sync.Mutex
	events  []changeEvent
	next    int64
	wake    map[string]chan struct{} // per org: closed when it has a new event
	clients map[string]*cometClient
}

type cometClient struct {
	orgID string
	subs  map[string]int64 // channel -> last replay id delivered
	seen  time.Time
}

func newEventLog() *eventLog {
	return &eventLog{next: 1, wake: map[string]chan struct{}{}, clients: map[string]*cometClient{}}
}

// wakeFor returns the channel closed at the org's next event. Callers hold
// l.mu.
func (l *eventLog) wakeFor(orgID string) chan struct{} {
	ch := l.wake[orgID]
	if ch == nil {
		ch = make(chan struct{})
		l.wake[orgID] = ch
	}
	return ch
}

func (l *eventLog) publish(orgID, channel string, payload map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, changeEvent{replayID: l.next, orgID: orgID, channel: channel, payload: payload})
	l.next++
	if len(l.events) > maxEvents {
		l.events = l.events[len(l.events)-maxEvents:]
	}
	if ch := l.wake[orgID]; ch != nil {
		close(ch) // wakes only this org's long polls
		delete(l.wake, orgID)
	}
}

// pending returns the client's undelivered events and advances its cursors.
func (l *eventLog) pending(c *cometClient) []map[string]any {
	var out []map[string]any
	for ch, last := range c.subs {
		for _, e := range l.events {
			if e.orgID != c.orgID || e.replayID <= last || (ch != "/data/ChangeEvents" && ch != e.channel) {
				continue
			}
			out = append(out, map[string]any{"channel": ch, "data": map[string]any{
				"schema": "emulator-" + strings.TrimPrefix(e.channel, "/data/"), "payload": e.payload,
				"event": map[string]any{"replayId": e.replayID}}})
			c.subs[ch] = e.replayID
		}
	}
	return out
}

// userChanged publishes a UserChangeEvent. Callers hold s.mu.
func (s *Server) userChanged(o *org, u *user, changeType string, changed []string) {
	now := s.now()
	payload := map[string]any{
		"ChangeEventHeader": map[string]any{
			"entityName": "User", "recordIds": []string{u.id}, "changeType": changeType,
			"changeOrigin": "com/salesforce/api/rest/" + "62.0", "transactionKey": randToken(12), "sequenceNumber": 1,
			"commitTimestamp": now.UnixMilli(), "commitNumber": now.UnixNano(), "commitUser": u.modifiedByID,
			"changedFields": changed,
		},
		"LastModifiedDate": now.Format(sfTime),
	}
	values := map[string]any{"IsActive": u.active, "ProfileId": u.profile.id, "Username": u.username, "Email": u.email,
		"FirstName": u.first, "LastName": u.last}
	for _, f := range changed {
		if v, ok := values[f]; ok {
			payload[f] = v
		}
	}
	o.touch()
	s.publish(o, "/data/UserChangeEvent", payload)
}

type bayeux struct {
	Channel      string          `json:"channel"`
	ClientID     string          `json:"clientId,omitempty"`
	Subscription string          `json:"subscription,omitempty"`
	ID           string          `json:"id,omitempty"`
	Ext          json.RawMessage `json:"ext,omitempty"`
}

func (s *Server) serveCometD(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	sess := s.authenticate(r, false)
	var orgID string
	if sess != nil {
		orgID = sess.user.org.id
	}
	s.mu.Unlock()
	if sess == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`[{"channel":"/meta/handshake","successful":false,"error":"403::Unknown client","advice":{"reconnect":"none"}}]`))
		return
	}
	if r.Method != http.MethodPost {
		restError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "use POST")
		return
	}
	var msgs []bayeux
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&msgs); err != nil {
		restError(w, http.StatusBadRequest, "JSON_PARSER_ERROR", "Bayeux messages must be a JSON array")
		return
	}
	l := s.events
	var out []map[string]any
	advice := map[string]any{"reconnect": "retry", "interval": 0, "timeout": connectTimeout.Milliseconds()}
	for _, m := range msgs {
		reply := map[string]any{"channel": m.Channel, "successful": true}
		if m.ID != "" {
			reply["id"] = m.ID
		}
		l.mu.Lock()
		c := l.clients[m.ClientID]
		switch m.Channel {
		case "/meta/handshake":
			id := randToken(16)
			l.clients[id] = &cometClient{orgID: orgID, subs: map[string]int64{}, seen: time.Now()}
			reply["clientId"], reply["version"], reply["minimumVersion"] = id, "1.0", "1.0"
			reply["supportedConnectionTypes"] = []string{"long-polling"}
			reply["advice"] = advice
			reply["ext"] = map[string]any{"replay": true, "payload.format": true}
		case "/meta/subscribe", "/meta/unsubscribe", "/meta/connect", "/meta/disconnect":
			if c == nil || c.orgID != orgID {
				reply["successful"], reply["error"] = false, "403::Unknown client"
				reply["advice"] = map[string]any{"reconnect": "handshake", "interval": 0}
				break
			}
			c.seen = time.Now()
			reply["clientId"] = m.ClientID
			switch m.Channel {
			case "/meta/subscribe":
				reply["subscription"] = m.Subscription
				if m.Subscription != "/data/UserChangeEvent" && m.Subscription != "/data/ChangeEvents" {
					reply["successful"], reply["error"] = false, "400::The channel you requested to subscribe to does not exist {"+m.Subscription+"}"
					break
				}
				c.subs[m.Subscription] = replayFrom(m.Ext, m.Subscription, l)
			case "/meta/unsubscribe":
				delete(c.subs, m.Subscription)
				reply["subscription"] = m.Subscription
			case "/meta/disconnect":
				delete(l.clients, m.ClientID)
			case "/meta/connect":
				reply["advice"] = advice
				events := l.pending(c)
				wake := l.wakeFor(c.orgID)
				if len(events) == 0 {
					l.mu.Unlock()
					t := time.NewTimer(connectTimeout)
					select {
					case <-wake:
					case <-t.C:
					case <-r.Context().Done():
					}
					t.Stop()
					l.mu.Lock()
					events = l.pending(c)
				}
				out = append(out, events...)
			}
		default:
			reply["successful"], reply["error"] = false, "400::Unknown channel"
		}
		l.mu.Unlock()
		out = append(out, reply)
	}
	writeJSON(w, http.StatusOK, out)
}

// replayFrom reads ext.replay[channel]: -1 new events only (default), -2
// every retained event, N events after replay id N.
func replayFrom(ext json.RawMessage, channel string, l *eventLog) int64 {
	var e struct {
		Replay map[string]int64 `json:"replay"`
	}
	json.Unmarshal(ext, &e)
	v, ok := e.Replay[channel]
	switch {
	case !ok || v == -1:
		return l.next - 1
	case v == -2:
		return 0
	}
	return v
}
