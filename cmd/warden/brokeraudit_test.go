package main

import (
	"log/slog"
	"testing"
	"time"

	"github.com/wardenhq/warden/broker"
)

// TestBrokerAuditSampling: successes are recorded once per key, operation
// and user an hour; refusals and invalidations every time.
func TestBrokerAuditSampling(t *testing.T) {
	a := newBrokerAudit(nil, slog.New(slog.DiscardHandler))
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	events := []struct {
		e      broker.Event
		queued bool
	}{
		{broker.Event{Time: at, KeyID: "k1", Op: "token", User: "u", Outcome: "ok"}, true},
		{broker.Event{Time: at.Add(time.Minute), KeyID: "k1", Op: "token", User: "u", Outcome: "ok"}, false},
		{broker.Event{Time: at.Add(time.Minute), KeyID: "k1", Op: "proxy", User: "u", Outcome: "ok"}, true},
		{broker.Event{Time: at.Add(2 * time.Minute), KeyID: "k2", Op: "token", User: "u", Outcome: "ok"}, true},
		{broker.Event{Time: at.Add(3 * time.Minute), KeyID: "k1", Op: "token", User: "other", Outcome: "denied"}, true},
		{broker.Event{Time: at.Add(3 * time.Minute), KeyID: "k1", Op: "token", User: "other", Outcome: "denied"}, true},
		{broker.Event{Time: at.Add(4 * time.Minute), KeyID: "k1", Op: "invalidate", User: "u", Outcome: "ok"}, true},
		{broker.Event{Time: at.Add(61 * time.Minute), KeyID: "k1", Op: "token", User: "u", Outcome: "ok"}, true},
	}
	for i, tt := range events {
		before := len(a.events)
		a.OnEvent(tt.e)
		if got := len(a.events) > before; got != tt.queued {
			t.Errorf("event %d (%s %s %s): queued %v, want %v", i, tt.e.KeyID, tt.e.Op, tt.e.Outcome, got, tt.queued)
		}
	}
}
