package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/wardenhq/warden/emulator/soql"
)

// Composite limits, as in Salesforce.
const (
	maxSubrequests = 25
	maxCollection  = 200
)

// recorder captures a subrequest's response.
type recorder struct {
	h    http.Header
	code int
	buf  bytes.Buffer
}

func newRecorder() *recorder                    { return &recorder{h: http.Header{}, code: http.StatusOK} }
func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { return r.buf.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }

// copyTo writes the recorded answer to w.
func (r *recorder) copyTo(w http.ResponseWriter) {
	for k, v := range r.h {
		w.Header()[k] = v
	}
	w.WriteHeader(r.code)
	w.Write(r.buf.Bytes())
}

// body returns the recorded body as JSON (null when empty).
func (r *recorder) body() json.RawMessage {
	if r.buf.Len() == 0 {
		return json.RawMessage("null")
	}
	return json.RawMessage(r.buf.Bytes())
}

// sub runs one subrequest within an already authenticated and counted call.
func (s *Server) sub(q *request, method, rawURL string, body []byte, headers map[string]string) *recorder {
	rec := newRecorder()
	path := rawURL
	if !strings.HasPrefix(path, "/") {
		path = "/services/data/" + path
	}
	u, err := url.Parse(path)
	if err != nil || !strings.HasPrefix(u.Path, "/services/data/") {
		restError(rec, http.StatusBadRequest, "INVALID_URL", "The URL is not valid: "+rawURL)
		return rec
	}
	verSeg, tail, _ := strings.Cut(strings.TrimPrefix(u.Path, "/services/data/"), "/")
	v, _, ok := parseVersion(verSeg)
	if !ok {
		restError(rec, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return rec
	}
	r, _ := http.NewRequestWithContext(q.r.Context(), method, u.String(), bytes.NewReader(body))
	r.Host, r.RemoteAddr, r.TLS = q.r.Host, q.r.RemoteAddr, q.r.TLS
	for k, val := range headers {
		r.Header.Set(k, val)
	}
	r.Body = http.MaxBytesReader(rec, r.Body, s.opts.MaxBodyBytes)
	sq := *q
	sq.w, sq.r, sq.version = rec, r, strconv.Itoa(v)+".0"
	s.route(&sq, strings.Trim(tail, "/"))
	return rec
}

func (s *Server) composite(q *request, parts []string) {
	switch {
	case len(parts) == 0 || parts[0] == "":
		if q.r.Method != http.MethodPost {
			methodNotAllowed(q)
			return
		}
		s.compositeGraph(q)
	case parts[0] == "batch" && len(parts) == 1:
		if q.r.Method != http.MethodPost {
			methodNotAllowed(q)
			return
		}
		s.compositeBatch(q)
	case parts[0] == "sobjects":
		s.collections(q, parts[1:])
	default:
		notFound(q)
	}
}

type compositeSub struct {
	Method      string            `json:"method"`
	URL         string            `json:"url"`
	ReferenceID string            `json:"referenceId"`
	Body        json.RawMessage   `json:"body"`
	HTTPHeaders map[string]string `json:"httpHeaders"`
}

type compositeResult struct {
	Body           json.RawMessage   `json:"body"`
	HTTPHeaders    map[string]string `json:"httpHeaders"`
	HTTPStatusCode int               `json:"httpStatusCode"`
	ReferenceID    string            `json:"referenceId"`
}

var refPattern = regexp.MustCompile(`@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[[0-9]+\])*)\}`)

// compositeGraph serves POST /composite: up to 25 subrequests run in order,
// later ones referring to earlier results with @{ref.path}.
func (s *Server) compositeGraph(q *request) {
	var in struct {
		AllOrNone        bool           `json:"allOrNone"`
		CompositeRequest []compositeSub `json:"compositeRequest"`
	}
	if !decodeBody(q, &in) {
		return
	}
	if len(in.CompositeRequest) == 0 {
		restError(q.w, http.StatusBadRequest, "INVALID_FIELD", "Composite request must contain at least one subrequest")
		return
	}
	if len(in.CompositeRequest) > maxSubrequests {
		restError(q.w, http.StatusBadRequest, "LIMIT_EXCEEDED", fmt.Sprintf("Maximum number of subrequests exceeded: %d", maxSubrequests))
		return
	}
	seen := map[string]bool{}
	for _, c := range in.CompositeRequest {
		if c.ReferenceID == "" || seen[c.ReferenceID] || c.Method == "" || c.URL == "" {
			restError(q.w, http.StatusBadRequest, "INVALID_FIELD", "Each subrequest needs a method, a url and a unique referenceId")
			return
		}
		seen[c.ReferenceID] = true
	}
	results := map[string]any{}
	out := make([]compositeResult, 0, len(in.CompositeRequest))
	failed := false
	var t *txn
	if in.AllOrNone {
		t = s.beginTxn(q.o)
	}
	halted := func(ref string) compositeResult {
		return compositeResult{Body: mustJSON([]apiError{{ErrorCode: "PROCESSING_HALTED",
			Message: "The transaction was rolled back since another operation in the same transaction failed."}}),
			HTTPHeaders: map[string]string{}, HTTPStatusCode: http.StatusBadRequest, ReferenceID: ref}
	}
	for _, c := range in.CompositeRequest {
		if failed && in.AllOrNone {
			out = append(out, halted(c.ReferenceID))
			continue
		}
		u, err := resolveRefs(c.URL, results, true)
		var body []byte
		if err == nil && len(c.Body) > 0 && string(c.Body) != "null" {
			var b string
			b, err = resolveRefs(string(c.Body), results, false)
			body = []byte(b)
		}
		if err != nil {
			failed = true
			out = append(out, compositeResult{Body: mustJSON([]apiError{{ErrorCode: "INVALID_FIELD", Message: err.Error()}}),
				HTTPHeaders: map[string]string{}, HTTPStatusCode: http.StatusBadRequest, ReferenceID: c.ReferenceID})
			continue
		}
		sq := *q
		sq.allOrNone = in.AllOrNone
		rec := s.sub(&sq, strings.ToUpper(c.Method), u, body, c.HTTPHeaders)
		hdr := map[string]string{}
		if loc := rec.h.Get("Location"); loc != "" {
			hdr["Location"] = loc
		}
		out = append(out, compositeResult{Body: rec.body(), HTTPHeaders: hdr, HTTPStatusCode: rec.code, ReferenceID: c.ReferenceID})
		if rec.code >= 400 {
			failed = true
		}
		var parsed any
		if json.Unmarshal(rec.buf.Bytes(), &parsed) == nil {
			results[c.ReferenceID] = parsed
			// An sObject collection answers 200 with failed records; under
			// an all-or-none composite request they fail it too.
			if saves, ok := parsed.([]any); ok && in.AllOrNone && strings.Contains(u, "/composite/sobjects") {
				for _, r := range saves {
					if m, ok := r.(map[string]any); ok && m["success"] == false {
						failed = true
					}
				}
			}
		}
	}
	if t != nil {
		s.endTxn(t, !failed)
	}
	if failed && in.AllOrNone {
		// Salesforce rolls the whole request back: every subrequest but
		// the failed one answers 400 PROCESSING_HALTED.
		for i := range out {
			if out[i].HTTPStatusCode < 400 {
				out[i] = halted(out[i].ReferenceID)
			}
		}
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"compositeResponse": out})
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// resolveRefs replaces @{ref.path} with values from earlier results.
func resolveRefs(s string, results map[string]any, inURL bool) (string, error) {
	var firstErr error
	out := refPattern.ReplaceAllStringFunc(s, func(m string) string {
		sm := refPattern.FindStringSubmatch(m)
		v, ok := results[sm[1]]
		if ok {
			v, ok = walk(v, sm[2])
		}
		if !ok {
			if firstErr == nil {
				firstErr = fmt.Errorf("Invalid reference specified. No value for %s found in %s", sm[2], sm[1])
			}
			return m
		}
		str := fmt.Sprint(v)
		if inURL {
			return url.PathEscape(str)
		}
		b, _ := json.Marshal(str)
		return string(b[1 : len(b)-1])
	})
	return out, firstErr
}

func walk(v any, path string) (any, bool) {
	for path != "" {
		if path[0] == '.' {
			end := strings.IndexAny(path[1:], ".[")
			key := path[1:]
			if end >= 0 {
				key, path = path[1:end+1], path[end+1:]
			} else {
				path = ""
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[key]; !ok {
				return nil, false
			}
			continue
		}
		end := strings.IndexByte(path, ']')
		i, err := strconv.Atoi(path[1:end])
		path = path[end+1:]
		a, ok := v.([]any)
		if err != nil || !ok || i >= len(a) {
			return nil, false
		}
		v = a[i]
	}
	return v, true
}

// compositeBatch serves POST /composite/batch: independent subrequests.
func (s *Server) compositeBatch(q *request) {
	var in struct {
		HaltOnError   bool `json:"haltOnError"`
		BatchRequests []struct {
			Method    string          `json:"method"`
			URL       string          `json:"url"`
			RichInput json.RawMessage `json:"richInput"`
		} `json:"batchRequests"`
	}
	if !decodeBody(q, &in) {
		return
	}
	if len(in.BatchRequests) == 0 || len(in.BatchRequests) > maxSubrequests {
		restError(q.w, http.StatusBadRequest, "INVALID_BATCH_REQUEST", fmt.Sprintf("A batch must contain between 1 and %d subrequests", maxSubrequests))
		return
	}
	type result struct {
		StatusCode int             `json:"statusCode"`
		Result     json.RawMessage `json:"result"`
	}
	results := make([]result, 0, len(in.BatchRequests))
	hasErrors, halted := false, false
	for _, b := range in.BatchRequests {
		if halted {
			results = append(results, result{StatusCode: http.StatusPreconditionFailed, Result: mustJSON([]apiError{{ErrorCode: "BATCH_PROCESSING_HALTED", Message: "Batch processing halted per request"}})})
			continue
		}
		var body []byte
		if len(b.RichInput) > 0 && string(b.RichInput) != "null" {
			body = b.RichInput
		}
		rec := s.sub(q, strings.ToUpper(b.Method), b.URL, body, nil)
		res := rec.body()
		if rec.code == http.StatusNoContent {
			res = json.RawMessage("null")
		}
		results = append(results, result{StatusCode: rec.code, Result: res})
		if rec.code >= 400 {
			hasErrors = true
			halted = in.HaltOnError
		}
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"hasErrors": hasErrors, "results": results})
}

// collections serves /composite/sobjects: create, update and delete of up
// to 200 records, and retrieve by ids.
func (s *Server) collections(q *request, parts []string) {
	if len(parts) == 1 && parts[0] != "" {
		s.collectionRetrieve(q, parts[0])
		return
	}
	m := q.r.Method
	if m == http.MethodDelete {
		ids := strings.Split(q.r.URL.Query().Get("ids"), ",")
		allOrNone := q.r.URL.Query().Get("allOrNone") == "true" || q.allOrNone
		if len(ids) > maxCollection {
			restError(q.w, http.StatusBadRequest, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call")
			return
		}
		out := make([]saveResult, 0, len(ids))
		t := s.txnIf(q, allOrNone)
		for _, id := range ids {
			schema, ok := q.view().objectByID(id)
			var err *dmlError
			if !ok {
				err = dmlErr(http.StatusBadRequest, "ENTITY_IS_DELETED", "entity is deleted")
			} else {
				err = s.doDelete(q, schema, id)
			}
			out = append(out, toSaveResult(id, err))
		}
		writeJSON(q.w, http.StatusOK, s.finishCollection(t, out, allOrNone))
		return
	}
	if m != http.MethodPost && m != http.MethodPatch {
		methodNotAllowed(q)
		return
	}
	var in struct {
		AllOrNone bool             `json:"allOrNone"`
		Records   []map[string]any `json:"records"`
	}
	if !decodeBody(q, &in) {
		return
	}
	if len(in.Records) > maxCollection {
		restError(q.w, http.StatusBadRequest, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call")
		return
	}
	out := make([]saveResult, 0, len(in.Records))
	in.AllOrNone = in.AllOrNone || q.allOrNone
	t := s.txnIf(q, in.AllOrNone)
	for _, rec := range in.Records {
		attrs, _ := rec["attributes"].(map[string]any)
		typ, _ := attrs["type"].(string)
		schema, ok := q.view().Object(typ)
		if !ok {
			out = append(out, toSaveResult("", dmlErr(http.StatusBadRequest, "INVALID_TYPE", "sObject type '"+typ+"' is not supported.")))
			continue
		}
		if m == http.MethodPost {
			id, err := s.doCreate(q, schema, rec)
			out = append(out, toSaveResult(id, err))
			continue
		}
		id, _ := rec["id"].(string)
		if id == "" {
			id, _ = rec["Id"].(string)
		}
		delete(rec, "id")
		out = append(out, toSaveResult(id, s.doUpdate(q, schema, id, rec)))
	}
	writeJSON(q.w, http.StatusOK, s.finishCollection(t, out, in.AllOrNone))
}

// txnIf starts an all-or-none transaction when asked for one.
func (s *Server) txnIf(q *request, allOrNone bool) *txn {
	if !allOrNone {
		return nil
	}
	return s.beginTxn(q.o)
}

// finishCollection ends an sObject collection request: with allOrNone and a
// failure, the writes are rolled back and every record that had succeeded
// reports ALL_OR_NONE_OPERATION_ROLLED_BACK.
func (s *Server) finishCollection(t *txn, out []saveResult, allOrNone bool) []saveResult {
	out = haltIfNeeded(out, allOrNone)
	if t != nil {
		ok := true
		for _, r := range out {
			ok = ok && r.Success
		}
		s.endTxn(t, ok)
	}
	return out
}

func toSaveResult(id string, err *dmlError) saveResult {
	if err != nil {
		return saveResult{ID: id, Success: false, Errors: []saveError{err.saveError()}}
	}
	return saveResult{ID: id, Success: true, Errors: []saveError{}}
}

// haltIfNeeded reports every record as failed when allOrNone and one failed.
func haltIfNeeded(out []saveResult, allOrNone bool) []saveResult {
	if !allOrNone {
		return out
	}
	for _, r := range out {
		if !r.Success {
			for i := range out {
				if out[i].Success {
					out[i] = saveResult{Success: false, Errors: []saveError{{StatusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
						Message: "Record rolled back because not all records were valid and the request was using AllOrNone header", Fields: []string{}}}}
				}
			}
			break
		}
	}
	return out
}

func (s *Server) collectionRetrieve(q *request, typ string) {
	schema, ok := q.view().Object(typ)
	if !ok {
		restError(q.w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	var ids, fieldList []string
	switch q.r.Method {
	case http.MethodGet:
		ids = strings.Split(q.r.URL.Query().Get("ids"), ",")
		fieldList = strings.Split(q.r.URL.Query().Get("fields"), ",")
	case http.MethodPost:
		var in struct {
			IDs    []string `json:"ids"`
			Fields []string `json:"fields"`
		}
		if !decodeBody(q, &in) {
			return
		}
		ids, fieldList = in.IDs, in.Fields
	default:
		methodNotAllowed(q)
		return
	}
	if len(fieldList) == 0 || fieldList[0] == "" {
		restError(q.w, http.StatusBadRequest, "REQUIRED_FIELD_MISSING", "Required fields are missing: [fields]")
		return
	}
	if len(ids) > 2000 {
		restError(q.w, http.StatusBadRequest, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 2000 records into this call")
		return
	}
	buf := []byte{'['}
	for i, id := range ids {
		if i > 0 {
			buf = append(buf, ',')
		}
		if !validID(id) {
			buf = append(buf, "null"...)
			continue
		}
		res, err := s.runQuery(q, "SELECT "+strings.Join(fieldList, ",")+" FROM "+schema.Name+" WHERE Id = '"+id+"'")
		if err != nil {
			writeQueryError(q, err)
			return
		}
		if len(res.Records) == 0 {
			buf = append(buf, "null"...)
			continue
		}
		buf = soql.AppendRecord(buf, res.Records[0], q.version)
	}
	buf = append(buf, ']')
	writeRaw(q.w, http.StatusOK, buf)
}

// objectByID finds the object type of a record id by its key prefix.
func (v view) objectByID(id string) (*soql.Object, bool) {
	if len(id) < 3 {
		return nil, false
	}
	for _, d := range objects {
		if d.prefix == id[:3] && d.ops != "" {
			return v.Object(d.name)
		}
	}
	for _, do := range v.o.records {
		if do.def.prefix == id[:3] {
			return v.Object(do.name)
		}
	}
	return nil, false
}
