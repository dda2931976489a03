package broker

import "github.com/prometheus/client_golang/prometheus"

// metrics are the broker's Prometheus metrics.
type metrics struct {
	requests      *prometheus.CounterVec // op, dependent, key, outcome
	sessions      *prometheus.CounterVec // credential
	invalidations *prometheus.CounterVec // credential
	loginFailures *prometheus.CounterVec // credential, cause
	retries       *prometheus.CounterVec // dependent
}

// newMetrics builds the metrics and registers them with reg when it is
// not nil.
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_broker_requests_total",
			Help: "Broker requests by operation (token, invalidate, proxy), dependent, key id and outcome (ok, denied, limited, error, upstream)."},
			[]string{"op", "dependent", "key", "outcome"}),
		sessions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_broker_sessions_total",
			Help: "Sessions (access tokens) the broker saw minted, by credential: upstream logins on its behalf."}, []string{"credential"}),
		invalidations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_broker_invalidations_total",
			Help: "Reported invalid sessions that made the broker re-mint, by credential."}, []string{"credential"}),
		loginFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_broker_login_failures_total",
			Help: "Failed logins of the broker, by credential and health cause."}, []string{"credential", "cause"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_broker_proxy_retries_total",
			Help: "Proxied calls replayed after INVALID_SESSION_ID and a re-mint, by dependent."}, []string{"dependent"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.sessions, m.invalidations, m.loginFailures, m.retries)
	}
	return m
}
