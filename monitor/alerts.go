package monitor

import (
	"context"
	"sync"

	"github.com/wardenhq/warden"
)

// AlertQueueSize is how many undelivered alerts the monitor holds. Sweeps
// hand alerts to the queue and never wait for their delivery; one goroutine
// (started by Run) delivers them in the order they were raised, so the
// alerts of one user arrive in order. When the queue is full (the alerter
// has been stuck for a long time) a new alert is dropped, logged and
// counted in warden_alerts_dropped_total; the user's status and history in
// the store are not affected. Alerts still queued when Run ends are not
// delivered unless Flush is called.
const AlertQueueSize = 1024

// alertQueue is a bounded FIFO of alerts waiting for delivery.
type alertQueue struct {
	mu      sync.Mutex
	pending []*warden.Alert
	ready   chan struct{} // signalled when an alert is added
	// deliver is held (a one-slot semaphore) while an alert is being
	// delivered, so that Run's deliverer and Flush never deliver at once
	// and order is kept.
	deliver chan struct{}
}

func newAlertQueue() *alertQueue {
	return &alertQueue{ready: make(chan struct{}, 1), deliver: make(chan struct{}, 1)}
}

// push adds a to the queue without blocking; it reports false when the
// queue is full and a was dropped.
func (q *alertQueue) push(a *warden.Alert) bool {
	q.mu.Lock()
	if len(q.pending) >= AlertQueueSize {
		q.mu.Unlock()
		return false
	}
	q.pending = append(q.pending, a)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// pop removes the oldest alert, or returns nil.
func (q *alertQueue) pop() *warden.Alert {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		return nil
	}
	a := q.pending[0]
	q.pending[0] = nil
	q.pending = q.pending[1:]
	return a
}

// len returns the number of undelivered alerts.
func (q *alertQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

// drain delivers queued alerts with send until the queue is empty or ctx
// ends.
func (q *alertQueue) drain(ctx context.Context, send func(ctx context.Context, a *warden.Alert)) error {
	for {
		select {
		case q.deliver <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		a := q.pop()
		if a != nil {
			send(ctx, a)
		}
		<-q.deliver
		if a == nil {
			return nil
		}
	}
}

// run delivers alerts as they are queued until ctx ends.
func (q *alertQueue) run(ctx context.Context, send func(ctx context.Context, a *warden.Alert)) {
	for {
		if q.drain(ctx, send) != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-q.ready:
		}
	}
}

// enqueue hands an alert to the delivery queue.
func (m *Monitor) enqueue(a *warden.Alert) {
	if m.opts.Alerter == nil {
		return
	}
	if !m.alerts.push(a) {
		m.opts.Logger.Warn("alert queue full: alert dropped (the notification channels are not keeping up)",
			"key", a.Key, "state", a.State, "queued", AlertQueueSize)
		m.opts.Metrics.dropped()
	}
}

// send delivers one alert.
func (m *Monitor) send(ctx context.Context, a *warden.Alert) {
	m.opts.Alerter.Alert(ctx, a)
	m.opts.Metrics.alert(a.State)
}

// Flush delivers every alert queued so far, in order, and returns when the
// queue is empty or ctx ends. Run delivers alerts by itself; Flush is for
// callers that sweep without Run (a one-off check, tests) and want the
// alerts out before they go on.
func (m *Monitor) Flush(ctx context.Context) error {
	if m.opts.Alerter == nil {
		return nil
	}
	return m.alerts.drain(ctx, m.send)
}
