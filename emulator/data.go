package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/emulator/soql"
)

// API versions served: 31.0 (Summer '14) through maxVersion. Versions
// 21.0–30.0 are retired (410 Gone), as in Salesforce since Summer '25.
const (
	minVersion = 31
	maxVersion = 66
)

// releaseName returns the release label of an API version ("Spring '26").
func releaseName(v int) string {
	idx := v - 31
	season := [3]string{"Summer", "Winter", "Spring"}[idx%3]
	return fmt.Sprintf("%s '%02d", season, 14+(idx+2)/3)
}

// parseVersion reads "v62.0" and reports whether it is served, retired (gone)
// or unknown.
func parseVersion(seg string) (v int, gone, ok bool) {
	if !strings.HasPrefix(seg, "v") || !strings.HasSuffix(seg, ".0") {
		return 0, false, false
	}
	n, err := strconv.Atoi(seg[1 : len(seg)-2])
	if err != nil {
		return 0, false, false
	}
	if n >= 20 && n < minVersion {
		return n, true, false
	}
	return n, false, n >= minVersion && n <= maxVersion
}

// request is one authenticated REST call being served.
type request struct {
	w       http.ResponseWriter
	r       *http.Request
	sess    *session
	o       *org
	u       *user
	version string // "62.0"
	now     time.Time
	// all is set for queryAll (deleted records too), tooling for the
	// Tooling API's query.
	all, tooling bool
	// allOrNone is set on the subrequests of an all-or-none composite
	// request: it overrides the allOrNone of sObject collections in it.
	allOrNone bool
}

func (q *request) view() view { return view{o: q.o, u: q.u, all: q.all, tooling: q.tooling} }

func (s *Server) serveData(w http.ResponseWriter, r *http.Request) {
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, "/services/data"), "/")
	if rest == "" {
		s.serveVersions(w, r)
		return
	}
	verSeg, tail, _ := strings.Cut(rest, "/")
	v, gone, ok := parseVersion(verSeg)
	if gone {
		restError(w, http.StatusGone, "GONE", "The requested resource is no longer available: API version "+verSeg[1:]+" has been retired.")
		return
	}
	if !ok {
		restError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	// The answer is built under the lock and written to the client after
	// it is released, so a slow reader never holds up other requests.
	rec := newRecorder()
	s.mu.Lock()
	if q, ok := s.begin(rec, r, v); ok {
		s.route(q, tail)
	}
	s.mu.Unlock()
	rec.copyTo(w)
}

// begin authenticates a REST call and counts it against the org's daily
// API limit; it writes the error and returns false when the call may not
// proceed. Callers hold s.mu.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, v int) (*request, bool) {
	if h := r.Header.Get("Authorization"); h != "" && !strings.Contains(h, " ") {
		restError(w, http.StatusUnauthorized, "INVALID_AUTH_HEADER", "INVALID_HEADER_TYPE")
		return nil, false
	}
	sess := s.authenticate(r, false)
	if sess == nil {
		restError(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return nil, false
	}
	q := &request{w: w, r: r, sess: sess, o: sess.user.org, u: sess.user, version: strconv.Itoa(v) + ".0", now: s.now()}
	o := q.o
	if day := q.now.Truncate(24 * time.Hour); !day.Equal(o.apiDay) {
		o.apiDay, o.apiUsed = day, 0
	}
	if o.apiUsed >= o.dailyMax {
		w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", o.apiUsed, o.dailyMax))
		restError(w, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
		return nil, false
	}
	o.apiUsed++
	o.usage.apiRequests++
	w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", o.apiUsed, o.dailyMax))
	if sess.expiredPassword {
		restError(w, http.StatusForbidden, "INVALID_OPERATION_WITH_EXPIRED_PASSWORD",
			"The users password has expired, you must call SetPassword before attempting any other API operations")
		return nil, false
	}
	if !q.u.hasPerm("ApiEnabled") {
		restError(w, http.StatusForbidden, "API_CURRENTLY_DISABLED", "API is disabled for this User")
		return nil, false
	}
	return q, true
}

func (s *Server) serveVersions(w http.ResponseWriter, r *http.Request) {
	out := make([]map[string]string, 0, maxVersion-minVersion+1)
	for v := minVersion; v <= maxVersion; v++ {
		out = append(out, map[string]string{"label": releaseName(v), "url": fmt.Sprintf("/services/data/v%d.0", v), "version": fmt.Sprintf("%d.0", v)})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) route(q *request, tail string) {
	parts := strings.Split(tail, "/")
	switch {
	case tail == "":
		base := "/services/data/v" + q.version
		res := map[string]string{}
		for _, k := range []string{"sobjects", "query", "queryAll", "limits", "composite", "search", "recent", "tooling", "connect", "chatter"} {
			res[k] = base + "/" + k
		}
		res["identity"] = baseURL(q.r) + "/id/" + q.o.id + "/" + q.u.id
		writeJSON(q.w, http.StatusOK, res)
	case parts[0] == "query" || parts[0] == "queryAll":
		q.all = parts[0] == "queryAll"
		s.serveQuery(q, parts[1:])
	case parts[0] == "tooling":
		s.tooling(q, parts[1:])
	case parts[0] == "limits" && len(parts) == 1:
		s.limits(q)
	case parts[0] == "sobjects":
		s.sobjects(q, parts[1:])
	case parts[0] == "composite":
		s.composite(q, parts[1:])
	case parts[0] == "apps":
		s.oauthApps(q, parts[1:])
	default:
		notFound(q)
	}
}

// serveQuery serves query and queryAll (q.all), and the Tooling API's query
// (q.tooling): the first page, or the page a locator names.
func (s *Server) serveQuery(q *request, parts []string) {
	switch {
	case q.r.Method != http.MethodGet:
		methodNotAllowed(q)
	case len(parts) == 1 && parts[0] != "":
		s.queryMore(q, parts[0])
	case len(parts) == 0 || parts[0] == "":
		s.query(q)
	default:
		notFound(q)
	}
}

// tooling serves the Tooling API. Only query is emulated, over the objects
// marked tooling (ApexClass, ApexTrigger, User, Profile, PermissionSet,
// PermissionSetAssignment); other tooling resources answer NOT_FOUND.
func (s *Server) tooling(q *request, parts []string) {
	q.tooling = true
	if len(parts) == 0 || parts[0] != "query" {
		notFound(q)
		return
	}
	s.serveQuery(q, parts[1:])
}

func notFound(q *request) {
	restError(q.w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
}

func methodNotAllowed(q *request) {
	restError(q.w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "HTTP Method '"+q.r.Method+"' not allowed. Allowed are GET,HEAD")
}

// cursor is the rest of a query result, fetched page by page.
type cursor struct {
	res     *soql.Result
	org     *org
	batch   int
	tooling bool
	expires time.Time
}

// queryCacheMax bounds the parsed-query cache.
const queryCacheMax = 4096

func (s *Server) parse(text string) (*soql.Query, error) {
	if pq, ok := s.queryCache[text]; ok {
		return pq, nil
	}
	pq, err := soql.Parse(text)
	if err != nil {
		return nil, err
	}
	if len(s.queryCache) >= queryCacheMax {
		clear(s.queryCache)
	}
	s.queryCache[text] = pq
	return pq, nil
}

// runQuery parses and executes SOQL as the request's user.
func (s *Server) runQuery(q *request, text string) (*soql.Result, error) {
	pq, err := s.parse(text)
	if err != nil {
		return nil, err
	}
	return soql.Execute(pq, q.view(), q.now, q.o.settings.timeZone)
}

func writeQueryError(q *request, err error) {
	var se *soql.Error
	if errors.As(err, &se) {
		restError(q.w, http.StatusBadRequest, se.Code, se.Message)
		return
	}
	restError(q.w, http.StatusBadRequest, "MALFORMED_QUERY", err.Error())
}

func (s *Server) query(q *request) {
	if q.r.URL.Query().Get("columns") == "true" {
		s.queryColumns(q)
		return
	}
	text, batch := q.r.URL.Query().Get("q"), batchSize(q.r)
	// The org's rows change only through writes, which bump rowsVersion;
	// date literals change with the day. A single-page answer for the same
	// user, version and day can be served again as is.
	key := fmt.Sprintf("%s\x00%s\x00%d\x00%s\x00%d\x00%s\x00%t%t\x00%s", q.o.id, q.u.id, q.o.rowsVersion,
		q.now.In(q.o.settings.timeZone).Format("2006-01-02"), batch, q.version, q.all, q.tooling, text)
	if body, ok := s.pageCache[key]; ok {
		writeRaw(q.w, http.StatusOK, body)
		return
	}
	res, err := s.runQuery(q, text)
	if err != nil {
		writeQueryError(q, err)
		return
	}
	body := s.writePage(q, res, 0, batch)
	if len(res.Records) <= batch && len(body) < 1<<20 {
		if len(s.pageCache) >= queryCacheMax {
			clear(s.pageCache)
		}
		s.pageCache[key] = body
	}
}

// batchSize reads Sforce-Query-Options: batchSize=N (200–2000, default 2000).
func batchSize(r *http.Request) int {
	n := 2000
	for _, opt := range strings.Split(r.Header.Get("Sforce-Query-Options"), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(opt), "=")
		if strings.EqualFold(k, "batchSize") {
			if b, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				n = min(max(b, 200), 2000)
			}
		}
	}
	return n
}

// writePage writes one page of a result and returns the body it wrote.
// Tooling API pages carry size, queryLocator and entityTypeName as well,
// and their records' URLs point into /tooling/sobjects.
func (s *Server) writePage(q *request, res *soql.Result, start, batch int) []byte {
	end := min(start+batch, len(res.Records))
	buf := make([]byte, 0, 256+(end-start)*256)
	buf = append(buf, '{')
	var locator string
	if end < len(res.Records) {
		s.seq++
		id := makeID("01g", q.o.tag, s.seq)
		s.cursors[id] = &cursor{res: res, org: q.o, batch: batch, tooling: q.tooling, expires: q.now.Add(15 * time.Minute)}
		s.expireCursors(q.now)
		locator = id + "-" + strconv.Itoa(end)
	}
	if q.tooling {
		buf = append(buf, `"size":`...)
		buf = strconv.AppendInt(buf, int64(end-start), 10)
		buf = append(buf, ',')
	}
	buf = append(buf, `"totalSize":`...)
	buf = strconv.AppendInt(buf, int64(res.TotalSize), 10)
	buf = append(buf, `,"done":`...)
	buf = strconv.AppendBool(buf, locator == "")
	base := "/services/data/v" + q.version + "/"
	if q.tooling {
		base += "tooling/"
		if locator == "" {
			buf = append(buf, `,"queryLocator":null`...)
		} else {
			buf = append(buf, `,"queryLocator":"`+locator+`"`...)
		}
		if len(res.Records) > 0 {
			buf = append(buf, `,"entityTypeName":"`+res.Object+`"`...)
		} else {
			buf = append(buf, `,"entityTypeName":null`...)
		}
	}
	if locator != "" {
		endpoint := "query/"
		if q.all {
			endpoint = "queryAll/"
		}
		buf = append(buf, `,"nextRecordsUrl":"`+base+endpoint+locator+`"`...)
	}
	buf = append(buf, `,"records":[`...)
	for i := start; i < end; i++ {
		if i > start {
			buf = append(buf, ',')
		}
		if q.tooling {
			buf = soql.AppendRecordURL(buf, res.Records[i], base+"sobjects/")
		} else {
			buf = soql.AppendRecord(buf, res.Records[i], q.version)
		}
	}
	buf = append(buf, "]}"...)
	writeRaw(q.w, http.StatusOK, buf)
	return buf
}

func (s *Server) expireCursors(now time.Time) {
	if len(s.cursors) < 1000 {
		return
	}
	for k, c := range s.cursors {
		if now.After(c.expires) {
			delete(s.cursors, k)
		}
	}
}

func (s *Server) queryMore(q *request, locator string) {
	id, off, _ := strings.Cut(locator, "-")
	c := s.cursors[id]
	start, err := strconv.Atoi(off)
	if c == nil || c.org != q.o || c.tooling != q.tooling || err != nil || start < 0 || start > len(c.res.Records) || q.now.After(c.expires) {
		restError(q.w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator")
		return
	}
	s.writePage(q, c.res, start, c.batch)
}

// limitMaxes are the keys /limits returns in API 60.0 and later with the
// allocations of an Enterprise Edition org; usage the emulator tracks is
// subtracted in limits.
var limitMaxes = map[string]int{
	"ActiveScratchOrgs": 3, "AnalyticsExternalDataSizeMB": 40960, "ConcurrentAsyncGetReportInstances": 200,
	"ConcurrentEinsteinDataInsightsStoryCreation": 5, "ConcurrentEinsteinDiscoveryStoryCreation": 2,
	"ConcurrentSyncReportRuns": 20, "DailyAnalyticsDataflowJobExecutions": 60, "DailyAnalyticsUploadedFilesSizeMB": 51200,
	"DailyAsyncApexExecutions": 250000, "DailyAsyncApexTests": 500, "DailyBulkApiBatches": 15000,
	"DailyBulkV2QueryFileStorageMB": 976562, "DailyBulkV2QueryJobs": 10000, "DailyDeliveredPlatformEvents": 50000,
	"DailyDurableGenericStreamingApiEvents": 10000, "DailyDurableStreamingApiEvents": 1000000,
	"DailyEinsteinDataInsightsStoryCreation": 1000, "DailyEinsteinDiscoveryPredictAPICalls": 50000,
	"DailyEinsteinDiscoveryPredictionsByCDC": 5000000, "DailyEinsteinDiscoveryStoryCreation": 100,
	"DailyFunctionsApiCallLimit": 235000, "DailyGenericStreamingApiEvents": 10000, "DailyScratchOrgs": 6,
	"DailyStandardVolumePlatformEvents": 10000, "DailyStreamingApiEvents": 1000000, "DailyWorkflowEmails": 100000,
	"DataStorageMB": 1024, "DurableStreamingApiConcurrentClients": 2000, "FileStorageMB": 1024,
	"HourlyAsyncReportRuns": 1200, "HourlyDashboardRefreshes": 200, "HourlyDashboardResults": 5000,
	"HourlyDashboardStatuses": 999999999, "HourlyLongTermIdMapping": 100000, "HourlyManagedContentPublicRequests": 50000,
	"HourlyODataCallout": 10000, "HourlyPublishedPlatformEvents": 250000, "HourlyPublishedStandardVolumePlatformEvents": 100000,
	"HourlyShortTermIdMapping": 100000, "HourlySyncReportRuns": 500, "HourlyTimeBasedWorkflow": 1000, "MassEmail": 5000,
	"MonthlyEinsteinDiscoveryStoryCreation": 500, "MonthlyPlatformEventsUsageEntitlement": 0, "Package2VersionCreates": 6,
	"Package2VersionCreatesWithoutValidation": 500, "PrivateConnectOutboundCalloutHourlyLimitMB": 0,
	"PublishCallbackUsageInApex": 5000000, "SingleEmail": 5000, "StreamingApiConcurrentClients": 2000,
}

// limits serves /limits: every key a current API version returns, with
// DailyApiRequests, SingleEmail and PermissionSets reflecting what the
// emulator counts.
func (s *Server) limits(q *request) {
	o := q.o
	lim := func(m, used int) map[string]any { return map[string]any{"Max": m, "Remaining": max(m-used, 0)} }
	out := make(map[string]any, len(limitMaxes)+2)
	for k, m := range limitMaxes {
		out[k] = lim(m, 0)
	}
	out["DailyApiRequests"] = lim(o.dailyMax, o.apiUsed)
	mails := 0
	for _, u := range o.users {
		mails += len(s.mail[strings.ToLower(u.username)])
	}
	out["SingleEmail"] = lim(limitMaxes["SingleEmail"], mails)
	custom := 0
	for _, ps := range o.permSets {
		if ps.profile == nil {
			custom++
		}
	}
	permSets := lim(1500, len(o.permSets))
	permSets["CreateCustom"] = lim(1000, custom)
	out["PermissionSets"] = permSets
	writeJSON(q.w, http.StatusOK, out)
}

// sobjects serves /sobjects, /sobjects/{T}, /sobjects/{T}/describe,
// /sobjects/{T}/{id} and /sobjects/User/{id}/password.
func (s *Server) sobjects(q *request, parts []string) {
	m := q.r.Method
	if len(parts) == 0 || parts[0] == "" {
		if m != http.MethodGet {
			methodNotAllowed(q)
			return
		}
		s.describeGlobal(q)
		return
	}
	schema, ok := q.view().Object(parts[0])
	if !ok {
		restError(q.w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	d := defOf(q.o, schema)
	switch {
	case len(parts) == 1 && m == http.MethodGet:
		writeJSON(q.w, http.StatusOK, map[string]any{"objectDescribe": s.describeBasic(q, d), "recentItems": []any{}})
	case len(parts) == 1 && m == http.MethodPost:
		s.create(q, schema)
	case len(parts) == 2 && parts[1] == "describe" && m == http.MethodGet:
		s.describe(q, d)
	case len(parts) == 2 && m == http.MethodGet:
		s.retrieve(q, schema, parts[1])
	case len(parts) == 2 && m == http.MethodPatch:
		s.update(q, schema, parts[1])
	case len(parts) == 2 && m == http.MethodDelete:
		s.delete(q, schema, parts[1])
	case len(parts) == 3 && parts[2] == "password" && schema.Name == "User":
		s.password(q, parts[1])
	case len(parts) <= 2:
		methodNotAllowed(q)
	default:
		notFound(q)
	}
}

// retrieve serves GET /sobjects/{T}/{id}[?fields=A,B] through SOQL.
func (s *Server) retrieve(q *request, schema *soql.Object, id string) {
	if !validID(id) {
		restError(q.w, http.StatusNotFound, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: "+id)
		return
	}
	names := fieldNames(schema)
	if f := q.r.URL.Query().Get("fields"); f != "" {
		names = strings.Split(f, ",")
	}
	res, err := s.runQuery(q, "SELECT "+strings.Join(names, ",")+" FROM "+schema.Name+" WHERE Id = '"+id+"'")
	if err != nil {
		writeQueryError(q, err)
		return
	}
	if len(res.Records) == 0 {
		notFound(q)
		return
	}
	writeRaw(q.w, http.StatusOK, soql.AppendRecord(nil, res.Records[0], q.version))
}

func validID(id string) bool {
	if len(id) != 15 && len(id) != 18 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if strings.IndexByte(base62, id[i]) < 0 {
			return false
		}
	}
	return true
}

func fieldNames(o *soql.Object) []string {
	out := make([]string, len(o.Fields))
	for i, f := range o.Fields {
		out[i] = f.Name
	}
	return out
}

func (s *Server) describeGlobal(q *request) {
	var list []map[string]any
	names := make([]string, 0, len(objects)+len(q.o.records))
	for k := range objects {
		names = append(names, k)
	}
	for k, do := range q.o.records {
		if objects[k] == nil && do.def != nil {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if d := q.o.def(n); d != nil && q.view().visible(d) {
			list = append(list, s.describeBasic(q, d))
		}
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": list})
}

func (s *Server) describeBasic(q *request, d *objectDef) map[string]any {
	base := "/services/data/v" + q.version + "/sobjects/" + d.name
	return map[string]any{
		"name": d.name, "label": d.label, "labelPlural": d.plural, "keyPrefix": d.prefix, "custom": d.custom,
		"queryable": true, "retrieveable": true, "searchable": false, "createable": d.can('c'), "updateable": d.can('u'),
		"deletable": d.can('d'), "layoutable": false, "replicateable": true, "triggerable": false,
		"activateable": false, "customSetting": false, "deprecatedAndHidden": false, "feedEnabled": false, "mergeable": false,
		"mruEnabled": false, "undeletable": d.stored,
		"urls": map[string]string{"sobject": base, "describe": base + "/describe", "rowTemplate": base + "/{ID}"},
	}
}

// describe serves sobjects/{T}/describe from the object model, the one
// that also decides what queries and writes accept.
func (s *Server) describe(q *request, d *objectDef) {
	out := s.describeBasic(q, d)
	fs := make([]map[string]any, 0, len(d.fields))
	for i := range d.fields {
		f := &d.fields[i]
		refTo := []string{}
		var relName any
		if f.refTo != "" {
			refTo, relName = []string{f.refTo}, f.relName
		}
		picks := make([]map[string]any, 0, len(f.picklist))
		for j, v := range f.picklist {
			picks = append(picks, map[string]any{"active": true, "defaultValue": j == 0 && !f.nillable, "label": v, "validFor": nil, "value": v})
		}
		digits, precision, scale := 0, 0, 0
		switch f.kind {
		case "int":
			digits = 9
		case "double", "currency", "percent":
			precision, scale = 18, 2
		}
		fs = append(fs, map[string]any{
			"name": f.name, "label": f.label, "type": f.kind, "soapType": f.soapType(), "length": f.length,
			"byteLength": f.length * 3, "digits": digits, "precision": precision, "scale": scale,
			"nillable": f.nillable, "createable": d.can('c') && f.createable, "updateable": d.can('u') && f.updateable,
			"defaultedOnCreate": !f.nillable && !f.required && f.name != "Id" || d.defaults[f.name] != nil,
			"filterable":        f.kind != "textarea", "sortable": f.kind != "textarea", "groupable": f.kind != "textarea",
			"custom": strings.HasSuffix(f.name, "__c"), "idLookup": f.name == "Id" || f.name == "Username" || f.name == "Email",
			"nameField": f.name == "Name", "unique": f.name == "Username", "externalId": false, "calculated": false,
			"autoNumber": f.name == "CaseNumber", "caseSensitive": false, "htmlFormatted": false,
			"referenceTo": refTo, "relationshipName": relName, "cascadeDelete": false, "restrictedPicklist": false,
			"picklistValues": picks, "inlineHelpText": nil, "defaultValue": d.defaults[f.name],
		})
	}
	out["fields"] = fs
	out["childRelationships"] = childRelationships(q, d)
	out["recordTypeInfos"] = []any{}
	writeJSON(q.w, http.StatusOK, out)
}

// childRelationships lists the lookups of other visible objects to d.
func childRelationships(q *request, d *objectDef) []map[string]any {
	out := []map[string]any{}
	names := sortedKeys(objects)
	for _, n := range names {
		c := objects[n]
		if !q.view().visible(c) {
			continue
		}
		for _, f := range c.fields {
			if f.refTo == d.name {
				out = append(out, map[string]any{"childSObject": c.name, "field": f.name, "relationshipName": nil,
					"cascadeDelete": false, "restrictedDelete": false, "deprecatedAndHidden": false})
			}
		}
	}
	return out
}

// decodeBody reads a JSON object body, writing JSON_PARSER_ERROR on failure.
func decodeBody(q *request, v any) bool {
	dec := json.NewDecoder(q.r.Body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			restError(q.w, http.StatusRequestEntityTooLarge, "REQUEST_ENTITY_TOO_LARGE", "Request body exceeds the maximum size")
			return false
		}
		restError(q.w, http.StatusBadRequest, "JSON_PARSER_ERROR", "Unexpected character or end of input: "+err.Error())
		return false
	}
	return true
}

// column is an entry of the columnMetadata the Salesforce CLI asks for with
// query?columns=true.
type column struct {
	Aggregate      bool      `json:"aggregate"`
	ApexType       *string   `json:"apexType"`
	BooleanType    bool      `json:"booleanType"`
	ColumnName     string    `json:"columnName"`
	Custom         bool      `json:"custom"`
	DisplayName    string    `json:"displayName"`
	ForeignKeyName *string   `json:"foreignKeyName"`
	Insertable     bool      `json:"insertable"`
	JoinColumns    []*column `json:"joinColumns"`
	NumberType     bool      `json:"numberType"`
	TextType       bool      `json:"textType"`
	Updatable      bool      `json:"updatable"`
}

// queryColumns answers query?columns=true: the metadata of the SELECT
// list, without running the query.
func (s *Server) queryColumns(q *request) {
	pq, err := s.parse(q.r.URL.Query().Get("q"))
	if err != nil {
		writeQueryError(q, err)
		return
	}
	schema, ok := q.view().Object(pq.Object())
	if !ok {
		// Execute produces the real INVALID_TYPE error text.
		_, err := soql.Execute(pq, q.view(), q.now, q.o.settings.timeZone)
		writeQueryError(q, err)
		return
	}
	var cols []*column
	aggN := 0
	for _, c := range pq.Columns() {
		if c.Aggregate != "" || len(c.Path) == 0 {
			name := c.Alias
			if name == "" {
				name = fmt.Sprintf("expr%d", aggN)
				aggN++
			}
			cols = append(cols, &column{Aggregate: true, ColumnName: name, DisplayName: c.Aggregate + "(" + strings.Join(c.Path, ".") + ")", JoinColumns: []*column{}, NumberType: true})
			continue
		}
		level, display := &cols, ""
		for i, seg := range c.Path {
			if i == 0 && len(c.Path) > 1 && strings.EqualFold(seg, schema.Name) {
				continue // SELECT User.Name FROM User
			}
			if display != "" {
				display += "."
			}
			display += seg
			var found *column
			for _, x := range *level {
				if strings.EqualFold(x.ColumnName, seg) {
					found = x
				}
			}
			if found == nil {
				found = &column{ColumnName: seg, DisplayName: display, JoinColumns: []*column{}, TextType: i == len(c.Path)-1,
					Insertable: i == len(c.Path)-1 && seg != "Id", Updatable: i == len(c.Path)-1 && seg != "Id"}
				*level = append(*level, found)
			}
			level = &found.JoinColumns
		}
	}
	if cols == nil {
		cols = []*column{}
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"columnMetadata": cols, "entityName": schema.Name, "groupBy": false,
		"idSelected": slicesContainsFold(pq.Columns(), "Id"), "keyPrefix": s.keyPrefix(q.o, schema.Name)})
}

func slicesContainsFold(cols []soql.Column, name string) bool {
	for _, c := range cols {
		if len(c.Path) == 1 && strings.EqualFold(c.Path[0], name) {
			return true
		}
	}
	return false
}

func (s *Server) keyPrefix(o *org, object string) string {
	if d := o.def(strings.ToLower(object)); d != nil {
		return d.prefix
	}
	return ""
}
