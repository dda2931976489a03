// Package vaulttest is an in-process contract server for HashiCorp Vault's
// KV version 2 secrets engine, in the manner of Upspin's in-process
// servers: enough of Vault's HTTP API, with Vault's documented JSON shapes,
// status codes and error bodies, to test clients without a live Vault.
//
// It serves, under /v1/ and for each configured mount:
//
//	GET            {mount}/data/{path}[?version=N]  read a version (0 or absent: latest)
//	POST, PUT      {mount}/data/{path}              write a version; options.cas honoured
//	DELETE         {mount}/data/{path}              soft-delete the latest version
//	GET            {mount}/metadata/{path}          metadata, custom_metadata and versions map
//	POST, PUT      {mount}/metadata/{path}          set max_versions, cas_required,
//	                                                delete_version_after, custom_metadata
//	DELETE         {mount}/metadata/{path}          delete the key and all versions
//	LIST, GET?list=true {mount}/metadata/{path}     list keys under a folder
//
// Behaviour follows Vault: requests need the X-Vault-Token header (or
// "Authorization: Bearer") or get 403 {"errors":["permission denied"]};
// a missing key or version is 404 {"errors":[]}; a deleted version is 404
// with its metadata in the body; a check-and-set mismatch is 400
// {"errors":["check-and-set parameter did not match the current version"]};
// versions beyond max_versions (10 when zero) are pruned oldest first; a
// sealed server answers 503 {"errors":["Vault is sealed"]}. It is a
// contract test double, not a Vault: no policies, leases, namespaces,
// destroy/undelete endpoints or replication.
package vaulttest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultToken is the root token a Server accepts when Options.Token is
// empty.
const DefaultToken = "vaulttest-root-token"

// Options configure a Server.
type Options struct {
	// Token is the only token the server accepts. Empty means
	// DefaultToken.
	Token string
	// Mounts are the KV v2 mount paths. Empty means []string{"secret"}.
	Mounts []string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Server is an in-memory Vault KV v2 server. It is an http.Handler and is
// safe for concurrent use.
type Server struct {
	token string
	now   func() time.Time

	mu       sync.Mutex
	mounts   map[string]map[string]*key // mount -> path -> key
	sealed   bool
	requests int
}

// key is one KV v2 secret: its metadata and versions.
type key struct {
	created            time.Time
	updated            time.Time
	current            int
	oldest             int
	maxVersions        int
	casRequired        bool
	deleteVersionAfter string
	custom             map[string]string
	versions           map[int]*version
}

type version struct {
	created   time.Time
	deleted   time.Time
	destroyed bool
	data      map[string]any
}

// New returns a server with no secrets.
func New(opts Options) *Server {
	s := &Server{token: opts.Token, now: opts.Now, mounts: map[string]map[string]*key{}}
	if s.token == "" {
		s.token = DefaultToken
	}
	if s.now == nil {
		s.now = time.Now
	}
	mounts := opts.Mounts
	if len(mounts) == 0 {
		mounts = []string{"secret"}
	}
	for _, m := range mounts {
		s.mounts[strings.Trim(m, "/")] = map[string]*key{}
	}
	return s
}

// TestServer is a Server listening on loopback for the duration of a test.
type TestServer struct {
	*Server
	// URL is the address to give a Vault client.
	URL string
	// Token is the token the server accepts.
	Token string
	// HTTP is the underlying test server.
	HTTP *httptest.Server
}

// Start runs a new Server on loopback until the test ends.
func Start(tb testing.TB, opts Options) *TestServer {
	tb.Helper()
	s := New(opts)
	ts := httptest.NewServer(s)
	tb.Cleanup(ts.Close)
	return &TestServer{Server: s, URL: ts.URL, Token: s.token, HTTP: ts}
}

// Seal makes the server answer every request with 503 "Vault is sealed"
// until Unseal.
func (s *Server) Seal() { s.mu.Lock(); s.sealed = true; s.mu.Unlock() }

// Unseal undoes Seal.
func (s *Server) Unseal() { s.mu.Lock(); s.sealed = false; s.mu.Unlock() }

// Requests returns how many requests the server has handled.
func (s *Server) Requests() int { s.mu.Lock(); defer s.mu.Unlock(); return s.requests }

// RawData returns a copy of the data of version n (0: latest) of path in
// mount, as stored, or nil. Tests use it to inspect what a client wrote.
func (s *Server) RawData(mount, path string, n int) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.mounts[mount][path]
	if k == nil {
		return nil
	}
	if n == 0 {
		n = k.current
	}
	v := k.versions[n]
	if v == nil {
		return nil
	}
	return cloneJSON(v.data)
}

// CustomMetadata returns a copy of path's custom_metadata in mount.
func (s *Server) CustomMetadata(mount, path string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.mounts[mount][path]
	if k == nil {
		return nil
	}
	out := map[string]string{}
	for n, v := range k.custom {
		out[n] = v
	}
	return out
}

// ServeHTTP implements the Vault HTTP API subset described in the package
// documentation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.sealed {
		writeErrors(w, http.StatusServiceUnavailable, "Vault is sealed")
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/v1/") {
		writeErrors(w, http.StatusNotFound)
		return
	}
	if !s.authorized(r) {
		writeErrors(w, http.StatusForbidden, "permission denied")
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, "/v1/")
	mountName, rest, _ := strings.Cut(rest, "/")
	mount, ok := s.mounts[mountName]
	if !ok {
		writeErrors(w, http.StatusNotFound, fmt.Sprintf("no handler for route %q. route entry not found.", strings.TrimPrefix(r.URL.Path, "/v1/")))
		return
	}
	kind, path, _ := strings.Cut(rest, "/")
	method := r.Method
	if method == http.MethodGet && r.URL.Query().Get("list") == "true" {
		method = "LIST"
	}
	switch {
	case kind == "data" && path != "" && method == http.MethodGet:
		s.readData(w, r, mount, path)
	case kind == "data" && path != "" && (method == http.MethodPost || method == http.MethodPut):
		s.writeData(w, r, mount, path)
	case kind == "data" && path != "" && method == http.MethodDelete:
		s.deleteLatest(w, mount, path)
	case kind == "metadata" && method == "LIST":
		s.list(w, mount, path)
	case kind == "metadata" && path != "" && method == http.MethodGet:
		s.readMetadata(w, mount, path)
	case kind == "metadata" && path != "" && (method == http.MethodPost || method == http.MethodPut):
		s.writeMetadata(w, r, mount, path)
	case kind == "metadata" && path != "" && method == http.MethodDelete:
		delete(mount, path)
		w.WriteHeader(http.StatusNoContent)
	case kind == "data" || kind == "metadata":
		writeErrors(w, http.StatusMethodNotAllowed, "1 error occurred:\n\t* unsupported operation\n\n")
	default:
		writeErrors(w, http.StatusNotFound, fmt.Sprintf("no handler for route %q. route entry not found.", strings.TrimPrefix(r.URL.Path, "/v1/")))
	}
}

func (s *Server) authorized(r *http.Request) bool {
	tok := r.Header.Get("X-Vault-Token")
	if tok == "" {
		if b, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			tok = b
		}
	}
	return tok != "" && tok == s.token
}

func (s *Server) readData(w http.ResponseWriter, r *http.Request, mount map[string]*key, path string) {
	k := mount[path]
	if k == nil || k.current == 0 {
		writeErrors(w, http.StatusNotFound)
		return
	}
	n := k.current
	if q := r.URL.Query().Get("version"); q != "" {
		v, err := strconv.Atoi(q)
		if err != nil {
			writeErrors(w, http.StatusBadRequest, fmt.Sprintf("error converting input %s for field %q: strconv.ParseInt: parsing %q: invalid syntax", q, "version", q))
			return
		}
		if v > 0 {
			n = v
		}
	}
	v := k.versions[n]
	if v == nil || n < k.oldest {
		writeErrors(w, http.StatusNotFound)
		return
	}
	meta := s.versionMetadata(k, n)
	if !v.deleted.IsZero() || v.destroyed {
		// Vault answers 404 but still returns the version's metadata.
		writeJSON(w, http.StatusNotFound, envelope(map[string]any{"data": nil, "metadata": meta}))
		return
	}
	writeJSON(w, http.StatusOK, envelope(map[string]any{"data": cloneJSON(v.data), "metadata": meta}))
}

func (s *Server) versionMetadata(k *key, n int) map[string]any {
	v := k.versions[n]
	return map[string]any{
		"created_time":    formatTime(v.created),
		"custom_metadata": customOrNil(k.custom),
		"deletion_time":   formatTime(v.deleted),
		"destroyed":       v.destroyed,
		"version":         n,
	}
}

func (s *Server) writeData(w http.ResponseWriter, r *http.Request, mount map[string]*key, path string) {
	var body struct {
		Data    map[string]any `json:"data"`
		Options map[string]any `json:"options"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		writeErrors(w, http.StatusBadRequest, "failed to parse JSON input: "+err.Error())
		return
	}
	if body.Data == nil {
		writeErrors(w, http.StatusBadRequest, "no data provided")
		return
	}
	k := mount[path]
	if k == nil {
		now := s.now().UTC()
		k = &key{created: now, updated: now, versions: map[int]*version{}}
	}
	casRaw, casOK := body.Options["cas"]
	if !casOK && k.casRequired {
		writeErrors(w, http.StatusBadRequest, "check-and-set parameter required for this call")
		return
	}
	if casOK {
		cas, ok := asInt(casRaw)
		if !ok {
			writeErrors(w, http.StatusBadRequest, "error parsing check-and-set parameter")
			return
		}
		if cas != k.current {
			writeErrors(w, http.StatusBadRequest, "check-and-set parameter did not match the current version")
			return
		}
	}
	now := s.now().UTC()
	k.current++
	k.updated = now
	k.versions[k.current] = &version{created: now, data: cloneJSON(body.Data)}
	if k.oldest == 0 {
		k.oldest = 1
	}
	max := k.maxVersions
	if max == 0 {
		max = 10
	}
	for k.current-k.oldest+1 > max {
		delete(k.versions, k.oldest)
		k.oldest++
	}
	mount[path] = k
	writeJSON(w, http.StatusOK, envelope(s.versionMetadata(k, k.current)))
}

func (s *Server) deleteLatest(w http.ResponseWriter, mount map[string]*key, path string) {
	if k := mount[path]; k != nil && k.current > 0 {
		if v := k.versions[k.current]; v != nil && v.deleted.IsZero() {
			v.deleted = s.now().UTC()
			v.data = nil
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) readMetadata(w http.ResponseWriter, mount map[string]*key, path string) {
	k := mount[path]
	if k == nil {
		writeErrors(w, http.StatusNotFound)
		return
	}
	versions := map[string]any{}
	for n, v := range k.versions {
		versions[strconv.Itoa(n)] = map[string]any{
			"created_time":  formatTime(v.created),
			"deletion_time": formatTime(v.deleted),
			"destroyed":     v.destroyed,
		}
	}
	dva := k.deleteVersionAfter
	if dva == "" {
		dva = "0s"
	}
	writeJSON(w, http.StatusOK, envelope(map[string]any{
		"cas_required":         k.casRequired,
		"created_time":         formatTime(k.created),
		"current_version":      k.current,
		"custom_metadata":      customOrNil(k.custom),
		"delete_version_after": dva,
		"max_versions":         k.maxVersions,
		"oldest_version":       k.oldest,
		"updated_time":         formatTime(k.updated),
		"versions":             versions,
	}))
}

// Vault's limits on custom_metadata.
const (
	maxCustomKeys      = 64
	maxCustomKeyLength = 128
	maxCustomValLength = 512
)

func (s *Server) writeMetadata(w http.ResponseWriter, r *http.Request, mount map[string]*key, path string) {
	var body map[string]any
	if err := decodeBody(w, r, &body); err != nil {
		writeErrors(w, http.StatusBadRequest, "failed to parse JSON input: "+err.Error())
		return
	}
	k := mount[path]
	isNew := k == nil
	if isNew {
		now := s.now().UTC()
		k = &key{created: now, versions: map[int]*version{}}
	}
	// Validate everything before changing anything.
	var (
		maxVersions = k.maxVersions
		casRequired = k.casRequired
		dva         = k.deleteVersionAfter
		custom      = k.custom
	)
	if raw, ok := body["max_versions"]; ok {
		n, ok := asInt(raw)
		if !ok || n < 0 {
			writeErrors(w, http.StatusBadRequest, "max_versions must be a non-negative integer")
			return
		}
		maxVersions = n
	}
	if raw, ok := body["cas_required"]; ok {
		b, ok := raw.(bool)
		if !ok {
			writeErrors(w, http.StatusBadRequest, "cas_required must be a boolean")
			return
		}
		casRequired = b
	}
	if raw, ok := body["delete_version_after"]; ok {
		str, _ := raw.(string)
		d, err := time.ParseDuration(str)
		if err != nil || d < 0 {
			writeErrors(w, http.StatusBadRequest, "delete_version_after must be a non-negative duration")
			return
		}
		dva = d.String()
	}
	if raw, ok := body["custom_metadata"]; ok && raw != nil {
		m, ok := raw.(map[string]any)
		if !ok {
			writeErrors(w, http.StatusBadRequest, "custom_metadata must be a map of strings")
			return
		}
		var problems []string
		if len(m) > maxCustomKeys {
			problems = append(problems, fmt.Sprintf("payload must contain at most %d keys, provided %d", maxCustomKeys, len(m)))
		}
		custom = map[string]string{}
		for name, v := range m {
			str, ok := v.(string)
			if !ok {
				problems = append(problems, fmt.Sprintf("custom_metadata value for key %q must be a string", name))
				continue
			}
			if len(name) > maxCustomKeyLength {
				problems = append(problems, fmt.Sprintf("length of key %q is %d but max is %d", name, len(name), maxCustomKeyLength))
			}
			if len(str) > maxCustomValLength {
				problems = append(problems, fmt.Sprintf("length of value for key %q is %d but max is %d", name, len(str), maxCustomValLength))
			}
			custom[name] = str
		}
		if len(problems) > 0 {
			sort.Strings(problems)
			writeErrors(w, http.StatusBadRequest, fmt.Sprintf("%d errors occurred:\n\t* %s\n\n", len(problems), strings.Join(problems, "\n\t* ")))
			return
		}
	} else if ok {
		custom = nil
	}
	k.maxVersions, k.casRequired, k.deleteVersionAfter, k.custom = maxVersions, casRequired, dva, custom
	k.updated = s.now().UTC()
	mount[path] = k
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) list(w http.ResponseWriter, mount map[string]*key, folder string) {
	if folder != "" && !strings.HasSuffix(folder, "/") {
		folder += "/"
	}
	seen := map[string]bool{}
	for path := range mount {
		rest, ok := strings.CutPrefix(path, folder)
		if !ok {
			continue
		}
		if i := strings.Index(rest, "/"); i >= 0 {
			rest = rest[:i+1]
		}
		seen[rest] = true
	}
	if len(seen) == 0 {
		writeErrors(w, http.StatusNotFound)
		return
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	writeJSON(w, http.StatusOK, envelope(map[string]any{"keys": keys}))
}

// envelope wraps data in Vault's response shape.
func envelope(data any) map[string]any {
	return map[string]any{
		"request_id":     newRequestID(),
		"lease_id":       "",
		"renewable":      false,
		"lease_duration": 0,
		"data":           data,
		"wrap_info":      nil,
		"warnings":       nil,
		"auth":           nil,
		"mount_type":     "kv",
	}
}

func writeErrors(w http.ResponseWriter, status int, errs ...string) {
	if errs == nil {
		errs = []string{}
	}
	writeJSON(w, status, map[string]any{"errors": errs})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 32<<20))
	dec.UseNumber()
	return dec.Decode(v)
}

// asInt accepts the forms Vault's field parser accepts for an int: a JSON
// number or a decimal string.
func asInt(v any) (int, bool) {
	switch v := v.(type) {
	case json.Number:
		n, err := strconv.Atoi(v.String())
		return n, err == nil
	case string:
		n, err := strconv.Atoi(v)
		return n, err == nil
	case float64:
		return int(v), v == float64(int(v))
	}
	return 0, false
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func customOrNil(m map[string]string) any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// cloneJSON deep-copies a decoded JSON object.
func cloneJSON(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m)
	var out map[string]any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	dec.Decode(&out)
	return out
}

func newRequestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
