package web

import "net/http"

// registerProbeRoutes registers the liveness and readiness probes. They
// disclose nothing but whether the server runs and is ready, so they skip
// the Host check, authentication and the loopback guard, and they never
// touch the store: they answer in microseconds whatever the server does.
func (s *Server) registerProbeRoutes() {
	s.router.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.router.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !s.Readiness.Ready() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting: not every org has been swept yet"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}
