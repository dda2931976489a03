package web

import "net/http"

// registerProbeRoutes registers the liveness and readiness probes. They
// disclose nothing but whether the server runs and is ready, so they are
// public: they skip the Host check, authentication and the loopback
// guard, and they never touch the store, so they answer in microseconds
// whatever the server does.
func (s *Server) registerProbeRoutes() {
	s.handle(Route{Method: "GET", Pattern: "/healthz", API: true, Schema: "Probe", Summary: "Liveness: the server runs."}, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.handle(Route{Method: "GET", Pattern: "/readyz", API: true, Schema: "Probe", Summary: "Readiness: every org has been swept once."}, func(w http.ResponseWriter, r *http.Request) {
		if !s.Readiness.Ready() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting: not every org has been swept yet"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}
