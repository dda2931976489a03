package monitor

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardenhq/warden"
)

// Metrics are the monitor's Prometheus metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	state     *prometheus.GaugeVec
	duration  *prometheus.HistogramVec
	requests  *prometheus.CounterVec
	failures  *prometheus.CounterVec
	throttled *prometheus.CounterVec
	alerts    *prometheus.CounterVec
	droppedN  prometheus.Counter
	checks    *prometheus.CounterVec
}

// NewMetrics registers the monitor's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "warden_user_state",
			Help: "Health of each integration user: 1 for its current state, 0 for the others."}, []string{"org", "username", "state"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "warden_sweep_duration_seconds",
			Help: "Duration of one org sweep.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}, []string{"org"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_api_requests_total",
			Help: "Salesforce API requests Warden made, per org."}, []string{"org"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_sweep_failures_total",
			Help: "Sweeps that failed, per org."}, []string{"org"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_sweeps_throttled_total",
			Help: "Sweeps skipped because Warden's share of the org's daily API requests was used up."}, []string{"org"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_alerts_total",
			Help: "Alerts delivered, by the state they announce."}, []string{"state"}),
		droppedN: prometheus.NewCounter(prometheus.CounterOpts{Name: "warden_alerts_droppedNtotal",
			Help: "Alerts dropped because the delivery queue was full (the notification channels were not keeping up)."}),
	}
	m.checks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_credential_checks_total",
		Help: "Logins Warden made as integration users to check their credentials (within the login budget), per org."}, []string{"org"})
	reg.MustRegister(m.state, m.duration, m.requests, m.failures, m.throttled, m.alerts, m.droppedN, m.checks)
	return m
}

func (m *Metrics) sweep(org string, d time.Duration, requests int, err error) {
	if m == nil {
		return
	}
	m.duration.WithLabelValues(org).Observe(d.Seconds())
	m.requests.WithLabelValues(org).Add(float64(requests))
	if err != nil {
		m.failures.WithLabelValues(org).Inc()
	}
}

func (m *Metrics) throttle(org string) {
	if m != nil {
		m.throttled.WithLabelValues(org).Inc()
	}
}

func (m *Metrics) alert(s warden.State) {
	if m != nil {
		m.alerts.WithLabelValues(string(s)).Inc()
	}
}

var allStates = []warden.State{warden.StateOK, warden.StateDegraded, warden.StateError, warden.StateUnknown}

func (m *Metrics) checked(org string, n int) {
	if m != nil && n > 0 {
		m.checks.WithLabelValues(org).Add(float64(n))
	}
}

func (m *Metrics) dropped() {
	if m != nil {
		m.droppedN.Inc()
	}
}

func (m *Metrics) states(org string, statuses []warden.UserStatus) {
	if m == nil {
		return
	}
	for _, st := range statuses {
		for _, s := range allStates {
			v := 0.0
			if st.State == s {
				v = 1
			}
			m.state.WithLabelValues(org, st.Username, string(s)).Set(v)
		}
	}
}

// forget drops the series of an org that is no longer monitored.
func (m *Metrics) forget(org string) {
	if m == nil {
		return
	}
	l := prometheus.Labels{"org": org}
	m.state.DeletePartialMatch(l)
	m.duration.DeletePartialMatch(l)
	m.requests.DeletePartialMatch(l)
	m.failures.DeletePartialMatch(l)
	m.throttled.DeletePartialMatch(l)
	m.checks.DeletePartialMatch(l)
}
