package emulator

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"path"
	"strings"
	"time"
)

// Fault is an injected failure, applied to requests whose path matches.
type Fault struct {
	ID string `json:"id"`
	// Path is a path prefix ("/services/data/") or a pattern with * as in
	// path.Match ("/services/data/*/query"). Empty matches every path.
	Path string `json:"path"`
	// Method restricts the fault to one HTTP method; empty matches all.
	Method string `json:"method,omitempty"`
	// Kind is latency, status, limit, malformed or drop.
	Kind string `json:"kind"`
	// Latency delays the response ("2s") for kind latency.
	Latency string `json:"latency,omitempty"`
	// Status is the HTTP status for kind status (default 503).
	Status int `json:"status,omitempty"`
	// Probability of applying to a matching request, in (0, 1]; 0 means 1.
	Probability float64 `json:"probability,omitempty"`
	// Count limits how many requests the fault applies to; 0 means no limit.
	Count int `json:"count,omitempty"`
	// Hits counts the requests the fault was applied to.
	Hits int `json:"hits"`

	delay time.Duration
}

var faultKinds = map[string]bool{"latency": true, "status": true, "limit": true, "malformed": true, "drop": true}

func (f *Fault) validate() error {
	if !faultKinds[f.Kind] {
		return fmt.Errorf("kind: %q is not one of latency, status, limit, malformed, drop", f.Kind)
	}
	if f.Probability < 0 || f.Probability > 1 {
		return fmt.Errorf("probability: %v is not between 0 and 1", f.Probability)
	}
	if f.Count < 0 {
		return fmt.Errorf("count: must not be negative")
	}
	if f.Kind == "latency" {
		d, err := time.ParseDuration(f.Latency)
		if err != nil || d <= 0 || d > 10*time.Minute {
			return fmt.Errorf("latency: %q is not a duration between 0 and 10m", f.Latency)
		}
		f.delay = d
	}
	if f.Kind == "status" {
		if f.Status == 0 {
			f.Status = http.StatusServiceUnavailable
		}
		if f.Status < 400 || f.Status > 599 {
			return fmt.Errorf("status: %d is not an HTTP error status", f.Status)
		}
	}
	if strings.Contains(f.Path, "*") {
		if _, err := path.Match(f.Path, "/"); err != nil {
			return fmt.Errorf("path: bad pattern %q", f.Path)
		}
	}
	return nil
}

func (f *Fault) matches(r *http.Request) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
		return false
	}
	if f.Count > 0 && f.Hits >= f.Count {
		return false
	}
	p := r.URL.Path
	if strings.Contains(f.Path, "*") {
		if ok, _ := path.Match(f.Path, p); !ok {
			return false
		}
	} else if !strings.HasPrefix(p, f.Path) {
		return false
	}
	return f.Probability == 0 || rand.Float64() < f.Probability
}

// applyFaults applies the first matching fault; it reports whether the
// response was written (or the connection dropped).
func (s *Server) applyFaults(w http.ResponseWriter, r *http.Request) bool {
	if s.nfaults.Load() == 0 {
		return false
	}
	s.mu.Lock()
	var hit *Fault
	for _, f := range s.faults {
		if f.matches(r) {
			f.Hits++
			c := *f
			hit = &c
			break
		}
	}
	s.mu.Unlock()
	if hit == nil {
		return false
	}
	switch hit.Kind {
	case "latency":
		t := time.NewTimer(hit.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
		return false
	case "status":
		switch hit.Status {
		case http.StatusInternalServerError:
			restError(w, hit.Status, "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)")
		case http.StatusTooManyRequests:
			restError(w, hit.Status, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.")
		default:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(hit.Status)
			fmt.Fprintf(w, "<html><body><h1>%d %s</h1><p>Salesforce is temporarily unavailable (emulated fault).</p></body></html>", hit.Status, http.StatusText(hit.Status))
		}
	case "limit":
		restError(w, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
	case "malformed":
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Us`))
	case "drop":
		panic(http.ErrAbortHandler)
	}
	return true
}

func (s *Server) controlFaults(w http.ResponseWriter, r *http.Request, parts []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case len(parts) == 0 || parts[0] == "":
		switch r.Method {
		case http.MethodGet:
			out := s.faults
			if out == nil {
				out = []*Fault{}
			}
			writeJSON(w, http.StatusOK, out)
		case http.MethodPost:
			var f Fault
			if !decodeControl(w, r, &f) {
				return
			}
			f.Hits = 0
			if err := f.validate(); err != nil {
				controlError(w, http.StatusBadRequest, "%v", err)
				return
			}
			s.seq++
			f.ID = fmt.Sprintf("f%d", s.seq)
			s.faults = append(s.faults, &f)
			s.nfaults.Store(int32(len(s.faults)))
			writeJSON(w, http.StatusCreated, &f)
		case http.MethodDelete:
			s.faults = nil
			s.nfaults.Store(0)
			w.WriteHeader(http.StatusNoContent)
		default:
			controlError(w, http.StatusMethodNotAllowed, "use GET, POST or DELETE")
		}
	case len(parts) == 1 && r.Method == http.MethodDelete:
		for i, f := range s.faults {
			if f.ID == parts[0] {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
				s.nfaults.Store(int32(len(s.faults)))
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		controlError(w, http.StatusNotFound, "no fault %q", parts[0])
	default:
		controlError(w, http.StatusNotFound, "no control endpoint %s %s", r.Method, r.URL.Path)
	}
}
