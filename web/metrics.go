package web

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// registerMetricsRoutes registers the Prometheus metrics. They name orgs
// and users, so they pass the same checks as the pages.
func (s *Server) registerMetricsRoutes() {
	s.router.Handle("GET /metrics", s.api(func(w http.ResponseWriter, r *http.Request) {
		promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	}))
}
