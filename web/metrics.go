package web

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wardenhq/warden"
)

// registerMetricsRoutes registers the Prometheus metrics. They name orgs
// and users, so they need the viewer role like the pages: a Prometheus
// server scrapes them with a viewer API token (authorization.credentials
// in its scrape configuration). Failures answer in the JSON error shape.
func (s *Server) registerMetricsRoutes() {
	s.handle(Route{Method: "GET", Pattern: "/metrics", Role: warden.RoleViewer, API: true, Summary: "Prometheus metrics."}, func(w http.ResponseWriter, r *http.Request) {
		promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	})
}
