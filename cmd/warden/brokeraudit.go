package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/broker"
)

// brokerAuditQueue bounds the broker events waiting for the audit log.
const brokerAuditQueue = 1024

// brokerAudit records the broker's requests in the audit log, attributed
// to the key and its dependent, without slowing the broker: events go
// through a bounded queue to one writer (an event that finds the queue
// full is dropped and logged). Refused requests (a bad key, a user outside
// the key's scope, the rate limit) and invalidations are recorded every
// time; successful token and proxy requests once per key, operation and
// user an hour — a cached token is served tens of thousands of times a
// second, and the metrics count every one.
type brokerAudit struct {
	audit  func(ctx context.Context, action, target string, result error) error
	logger *slog.Logger
	events chan broker.Event

	mu   sync.Mutex
	seen map[string]time.Time // key/op/user -> last recorded success
}

func newBrokerAudit(audit func(ctx context.Context, action, target string, result error) error, logger *slog.Logger) *brokerAudit {
	return &brokerAudit{audit: audit, logger: logger, events: make(chan broker.Event, brokerAuditQueue), seen: map[string]time.Time{}}
}

// OnEvent is the broker's hook; it never blocks.
func (a *brokerAudit) OnEvent(e broker.Event) {
	if e.Outcome == "ok" && e.Op != "invalidate" {
		id := e.KeyID + "/" + e.Op + "/" + e.User
		a.mu.Lock()
		last, seen := a.seen[id]
		if seen && e.Time.Sub(last) < time.Hour {
			a.mu.Unlock()
			return
		}
		a.seen[id] = e.Time
		a.mu.Unlock()
	}
	select {
	case a.events <- e:
	default:
		a.logger.Warn("audit log: a broker event was dropped (queue full)", "key", e.KeyID, "op", e.Op, "outcome", e.Outcome)
	}
}

// run writes queued events until ctx ends.
func (a *brokerAudit) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-a.events:
			actor := warden.Principal{Kind: "broker_key", Name: e.KeyID}
			if e.Dependent != "" {
				actor.Name += " (" + e.Dependent + ")"
			}
			var result error
			if e.Outcome != "ok" {
				result = warden.Errorf(brokerOutcomeKind(e.Outcome), "%s: HTTP %d", e.Outcome, e.Status)
			}
			target := e.User
			if e.Path != "" {
				target += " " + e.Method + " " + e.Path
			}
			a.audit(warden.WithPrincipal(ctx, actor), "broker."+e.Op, target, result) // failures are logged by the audit log
		}
	}
}

// brokerOutcomeKind maps a broker outcome to the error kind recorded.
func brokerOutcomeKind(outcome string) string {
	switch outcome {
	case "denied":
		return warden.EFORBIDDEN
	case "limited", "error":
		return warden.EUNAVAILABLE
	}
	return warden.EINVALID // upstream: Salesforce refused the call
}
