package soql

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// AggregateObject is the Record.Object of rows produced by aggregate
// functions such as COUNT(Id).
const AggregateObject = "AggregateResult"

// Execute runs q against src and returns the selected records.
//
// now and loc define the relative date literals (TODAY, YESTERDAY,
// LAST_N_DAYS:n, ...): day boundaries are midnights in loc, the org's time
// zone, which defaults to UTC when loc is nil. Date literals compared with
// date/time fields are also interpreted in loc.
//
// Execute resolves names against src's schema, so unknown objects fail with
// INVALID_TYPE and unknown fields, unknown relationships and filter values of
// the wrong type with INVALID_FIELD; the returned error is then an *Error.
// Execute does not modify q or the rows of src and may be called
// concurrently.
func Execute(q *Query, src Source, now time.Time, loc *time.Location) (*Result, error) {
	return execute(q, src, now, loc)
}

func execute(q *Query, src Source, now time.Time, loc *time.Location) (res *Result, err error) {
	if q == nil {
		return nil, &Error{Code: CodeMalformedQuery, Message: msgEmpty}
	}
	if src == nil {
		return nil, &Error{Code: CodeInvalidType, Message: "no data source"}
	}
	if loc == nil {
		loc = time.UTC
	}
	ex := &executor{src: src, now: now, loc: loc, text: q.text}
	defer func() {
		if r := recover(); r != nil {
			bf, ok := r.(bindFailure)
			if !ok {
				panic(r)
			}
			res, err = nil, bf.err
		}
	}()
	p := ex.bind(q)
	return ex.run(p), nil
}

// executor holds the per-call state of Execute.
type executor struct {
	src  Source
	now  time.Time
	loc  *time.Location
	text string

	// parents caches projected parent records by relationship and Id so
	// that rows sharing a parent share one *Record.
	parents map[parentKey]*Record

	todayDone bool
	y         int
	m         time.Month
	d         int
	wd        int
	hour      int
}

type bindFailure struct{ err *Error }

type parentKey struct {
	node *projNode
	id   string
}

// maxParentCache bounds the parent-record cache of one Execute call.
const maxParentCache = 256

func (ex *executor) fail(code string, pos int, reason string) {
	panic(bindFailure{posError(code, ex.text, pos, reason)})
}

// relStep is one parent hop of a field path.
type relStep struct {
	name   string // canonical relationship name
	fk     string // reference field on the child
	target *Object
}

// bpath is a field path resolved against the schema.
type bpath struct {
	steps []relStep
	field Field
}

// plan is a query bound to a schema.
type plan struct {
	q        *Query
	obj      *Object
	hasID    bool
	where    *cond
	proj     []*projNode
	relNodes int // relationship nodes in proj (nested records per row, at most)
	order    []sortSpec
	aggs     []aggSpec
}

// projNode is one output field; relationship nodes group the fields selected
// through them.
type projNode struct {
	name   string
	rel    bool
	isID   bool // the field is Id
	typ    Type
	fk     string
	target *Object
	hasID  bool
	kids   []*projNode
}

type sortSpec struct {
	path       *bpath
	typ        Type
	desc       bool
	nullsFirst bool
}

type aggSpec struct {
	kind aggKind
	path *bpath
	name string
	pos  int
}

func findField(o *Object, name string) *Field {
	for i := range o.Fields {
		f := &o.Fields[i]
		if len(f.Name) == len(name) && strings.EqualFold(f.Name, name) {
			return f
		}
	}
	return nil
}

func findRel(o *Object, name string) *Relationship {
	for i := range o.Relationships {
		r := &o.Relationships[i]
		if len(r.Name) == len(name) && strings.EqualFold(r.Name, name) {
			return r
		}
	}
	return nil
}

func hasIDField(o *Object) bool {
	f := findField(o, "Id")
	return f != nil && f.Name == "Id"
}

// resolve binds a field path to obj's schema.
func (ex *executor) resolve(q *Query, obj *Object, pa path) *bpath {
	segs := pa.segs
	if len(segs) > 1 {
		if q.alias != "" && strings.EqualFold(segs[0], q.alias) {
			segs = segs[1:]
		} else if strings.EqualFold(segs[0], obj.Name) && findRel(obj, segs[0]) == nil {
			segs = segs[1:]
		}
	}
	bp := &bpath{}
	if len(segs) > 1 {
		bp.steps = make([]relStep, 0, len(segs)-1)
	}
	cur := obj
	for _, s := range segs[:len(segs)-1] {
		r := findRel(cur, s)
		if r == nil {
			ex.fail(CodeInvalidField, pa.pos, badRelationship(s))
		}
		t, ok := ex.src.Object(r.Target)
		if !ok || t == nil {
			ex.fail(CodeInvalidField, pa.pos, badRelationship(s))
		}
		bp.steps = append(bp.steps, relStep{name: r.Name, fk: r.Field, target: t})
		cur = t
	}
	last := segs[len(segs)-1]
	f := findField(cur, last)
	if f == nil {
		ex.fail(CodeInvalidField, pa.pos, noSuchColumn(last, cur.Name))
	}
	bp.field = *f
	return bp
}

func (ex *executor) bind(q *Query) *plan {
	obj, ok := ex.src.Object(q.object)
	if !ok || obj == nil {
		ex.fail(CodeInvalidType, q.objectPos, unsupportedObject(q.object))
	}
	p := &plan{q: q, obj: obj, hasID: hasIDField(obj)}
	switch {
	case q.countOnly:
	case q.hasAgg:
		ex.bindAggs(p)
	default:
		ex.bindProjection(p)
	}
	if q.where != nil {
		p.where = ex.bindCond(q, obj, q.where)
	}
	for _, o := range q.order {
		bp := ex.resolve(q, obj, o.path)
		s := sortSpec{path: bp, typ: bp.field.Type, desc: o.desc, nullsFirst: !o.desc}
		if o.nulls != 0 {
			s.nullsFirst = o.nulls == 1
		}
		p.order = append(p.order, s)
	}
	return p
}

func (ex *executor) bindProjection(p *plan) {
	q := p.q
	for _, it := range q.items {
		bp := ex.resolve(q, p.obj, it.path)
		level := &p.proj
		for _, st := range bp.steps {
			var found *projNode
			for _, n := range *level {
				if n.rel && n.name == st.name {
					found = n
					break
				}
			}
			if found == nil {
				found = &projNode{name: st.name, rel: true, fk: st.fk, target: st.target, hasID: hasIDField(st.target)}
				*level = append(*level, found)
				p.relNodes++
			}
			level = &found.kids
		}
		for _, n := range *level {
			if !n.rel && n.name == bp.field.Name {
				ex.fail(CodeMalformedQuery, it.pos, "duplicate field selected: "+q.text[it.path.pos:it.path.end])
			}
		}
		*level = append(*level, &projNode{name: bp.field.Name, typ: bp.field.Type, isID: bp.field.Name == "Id"})
	}
}

func (ex *executor) bindAggs(p *plan) {
	q := p.q
	unnamed := 0
	for _, it := range q.items {
		bp := ex.resolve(q, p.obj, it.path)
		a := aggSpec{kind: it.agg, path: bp, name: it.alias, pos: it.pos}
		if a.name == "" {
			a.name = "expr" + strconv.Itoa(unnamed)
			unnamed++
		}
		t := bp.field.Type
		ok := true
		switch it.agg {
		case aggMin, aggMax:
			ok = t != TypeBool
		case aggSum, aggAvg:
			ok = t == TypeInt || t == TypeFloat
		}
		if !ok {
			ex.fail(CodeMalformedQuery, it.path.pos, "field "+bp.field.Name+" does not support aggregate operator "+aggNames[it.agg])
		}
		p.aggs = append(p.aggs, a)
	}
}

// run evaluates a bound plan.
func (ex *executor) run(p *plan) *Result {
	rows := ex.src.Rows(p.obj.Name)
	res := &Result{Object: p.obj.Name}
	q := p.q
	if q.countOnly {
		n := 0
		if p.where == nil {
			n = len(rows)
		} else {
			for _, r := range rows {
				if ex.eval(p.where, r) {
					n++
				}
			}
		}
		lo, hi := window(n, q)
		res.TotalSize = hi - lo
		res.Records = []*Record{}
		return res
	}
	matched := rows
	if p.where != nil {
		// Without ORDER BY or aggregates, rows past OFFSET+LIMIT are never
		// returned, so filtering can stop early.
		need := len(rows)
		if q.limit >= 0 && len(p.order) == 0 && len(p.aggs) == 0 {
			need = min(need, max(q.offset, 0)+q.limit)
		}
		matched = make([]Row, 0, need)
		for _, r := range rows {
			if len(matched) == need {
				break
			}
			if ex.eval(p.where, r) {
				matched = append(matched, r)
			}
		}
	}
	if len(p.aggs) > 0 {
		recs := []*Record{ex.aggregate(p, matched)}
		lo, hi := window(1, q)
		res.Records = recs[lo:hi]
		res.TotalSize = len(res.Records)
		return res
	}
	if len(p.order) > 0 && len(matched) > 1 {
		matched = ex.sort(p, matched)
	}
	lo, hi := window(len(matched), q)
	matched = matched[lo:hi]
	n := len(matched)
	recs := make([]Record, n)
	k := len(p.proj)
	fvs := make([]FieldValue, n*k)
	var a arena // nested (parent) records
	if p.relNodes > 0 {
		ex.parents = make(map[parentKey]*Record)
	}
	res.Records = make([]*Record, n)
	for i, r := range matched {
		rec := &recs[i]
		ex.project(r, p.obj, p.hasID, p.proj, rec, fvs[i*k:(i+1)*k:(i+1)*k], &a)
		res.Records[i] = rec
	}
	res.TotalSize = n
	return res
}

// window applies OFFSET and LIMIT to n rows and returns the kept range.
func window(n int, q *Query) (lo, hi int) {
	lo, hi = 0, n
	if q.offset > 0 {
		lo = min(q.offset, n)
	}
	if q.limit >= 0 && hi-lo > q.limit {
		hi = lo + q.limit
	}
	return lo, hi
}

// arena hands out parent Records and their FieldValues from slabs that grow
// geometrically, so that a few shared parents cost little and many distinct
// parents cost few allocations.
type arena struct {
	recs  []Record
	fvs   []FieldValue
	nrecs int
	nfvs  int
}

func (a *arena) record() *Record {
	if len(a.recs) == 0 {
		a.nrecs = min(max(2*a.nrecs, 4), 128)
		a.recs = make([]Record, a.nrecs)
	}
	r := &a.recs[0]
	a.recs = a.recs[1:]
	return r
}

func (a *arena) fields(n int) []FieldValue {
	if len(a.fvs) < n {
		a.nfvs = min(max(2*a.nfvs, 8), 512)
		a.fvs = make([]FieldValue, max(n, a.nfvs))
	}
	f := a.fvs[:n:n]
	a.fvs = a.fvs[n:]
	return f
}

// project fills rec with the fields of row selected by nodes, using fv
// (len(nodes) long) for the field values and a for parent records.
func (ex *executor) project(row Row, obj *Object, hasID bool, nodes []*projNode, rec *Record, fv []FieldValue, a *arena) {
	rec.Object = obj.Name
	var idv any
	if hasID {
		idv = row["Id"]
		rec.ID, _ = idv.(string)
	}
	for i, n := range nodes {
		f := &fv[i]
		f.Name = n.name
		if !n.rel {
			var v any
			if n.isID && hasID {
				v = idv
			} else {
				v = row[n.name]
			}
			if !isNull(v) {
				f.Value = v
			}
			f.Type = n.typ
			continue
		}
		f.IsRelationship = true
		id, _ := row[n.fk].(string)
		if id == "" {
			continue
		}
		if pr := ex.parents[parentKey{n, id}]; pr != nil {
			f.Parent = pr
			continue
		}
		parent, ok := ex.src.Lookup(n.target.Name, id)
		if !ok || parent == nil {
			continue
		}
		pr := a.record()
		ex.project(parent, n.target, n.hasID, n.kids, pr, a.fields(len(n.kids)), a)
		if len(ex.parents) < maxParentCache {
			ex.parents[parentKey{n, id}] = pr
		}
		f.Parent = pr
	}
	rec.Fields = fv
}

// get returns the value of a resolved path for row, following parent
// relationships; a null reference yields nil.
func (ex *executor) get(bp *bpath, row Row) any {
	for i := range bp.steps {
		id, _ := row[bp.steps[i].fk].(string)
		if id == "" {
			return nil
		}
		r, ok := ex.src.Lookup(bp.steps[i].target.Name, id)
		if !ok || r == nil {
			return nil
		}
		row = r
	}
	return row[bp.field.Name]
}

// sortKey is an ORDER BY value extracted once per row, typed so that
// comparisons need no interface assertions.
type sortKey struct {
	s     string  // TypeString, TypeID
	a, b  int64   // ints, bools (0/1), dates (day), date/times (unix s, ns)
	f     float64 // numbers
	isInt bool
	null  bool
}

func makeSortKey(t Type, v any) sortKey {
	if isNull(v) {
		return sortKey{null: true}
	}
	var k sortKey
	switch t {
	case TypeString, TypeID:
		k.s, _ = v.(string)
	case TypeBool:
		if b, _ := v.(bool); b {
			k.a = 1
		}
	case TypeInt, TypeFloat:
		if i, ok := asInt(v); ok {
			k.a, k.f, k.isInt = i, float64(i), true
		} else {
			k.f, _ = asFloat(v)
		}
	case TypeDate:
		k.a, _ = asDay(v)
	case TypeDateTime:
		tm, _ := asTime(v)
		k.a, k.b = tm.Unix(), int64(tm.Nanosecond())
	}
	return k
}

func compareSortKeys(t Type, x, y *sortKey) int {
	switch t {
	case TypeString:
		return foldCompare(x.s, y.s)
	case TypeID:
		return strings.Compare(x.s, y.s)
	case TypeInt, TypeFloat:
		if x.isInt && y.isInt {
			return cmpInt(x.a, y.a)
		}
		return cmpFloat(x.f, y.f)
	}
	if c := cmpInt(x.a, y.a); c != 0 {
		return c
	}
	return cmpInt(x.b, y.b)
}

// sort orders rows by the ORDER BY keys. Keys are extracted once per row;
// ties keep the source order (the sort is stable).
func (ex *executor) sort(p *plan, rows []Row) []Row {
	nk := len(p.order)
	keys := make([]sortKey, len(rows)*nk)
	idx := make([]int32, len(rows))
	for i, r := range rows {
		idx[i] = int32(i)
		for j := range p.order {
			keys[i*nk+j] = makeSortKey(p.order[j].typ, ex.get(p.order[j].path, r))
		}
	}
	specs := p.order
	slices.SortFunc(idx, func(a, b int32) int {
		ka, kb := keys[int(a)*nk:], keys[int(b)*nk:]
		for i := range specs {
			s := &specs[i]
			x, y := &ka[i], &kb[i]
			if x.null || y.null {
				if x.null && y.null {
					continue
				}
				if x.null == s.nullsFirst {
					return -1
				}
				return 1
			}
			if c := compareSortKeys(s.typ, x, y); c != 0 {
				if s.desc {
					return -c
				}
				return c
			}
		}
		return int(a - b)
	})
	out := make([]Row, len(rows))
	for i, j := range idx {
		out[i] = rows[j]
	}
	return out
}

func (ex *executor) aggregate(p *plan, rows []Row) *Record {
	rec := &Record{Object: AggregateObject, Fields: make([]FieldValue, len(p.aggs))}
	for i, a := range p.aggs {
		t := a.path.field.Type
		fv := FieldValue{Name: a.name, Type: t}
		switch a.kind {
		case aggCount:
			var n int64
			for _, r := range rows {
				if !isNull(ex.get(a.path, r)) {
					n++
				}
			}
			fv.Value, fv.Type = n, TypeInt
		case aggCountDistinct:
			seen := make(map[any]struct{})
			for _, r := range rows {
				v := ex.get(a.path, r)
				if !isNull(v) {
					seen[distinctKey(t, v)] = struct{}{}
				}
			}
			fv.Value, fv.Type = int64(len(seen)), TypeInt
		case aggMin, aggMax:
			var best any
			for _, r := range rows {
				v := ex.get(a.path, r)
				if isNull(v) {
					continue
				}
				if best == nil {
					best = v
					continue
				}
				c := compareValues(t, v, best)
				if a.kind == aggMin && c < 0 || a.kind == aggMax && c > 0 {
					best = v
				}
			}
			fv.Value = best
		case aggSum, aggAvg:
			var si int64
			var sf float64
			n := 0
			allInt := t == TypeInt
			for _, r := range rows {
				v := ex.get(a.path, r)
				if isNull(v) {
					continue
				}
				if iv, ok := asInt(v); ok && allInt {
					si += iv
					sf += float64(iv)
				} else if f, ok := asFloat(v); ok {
					allInt = false
					sf += f
				} else {
					continue
				}
				n++
			}
			switch {
			case n == 0:
				fv.Value = nil
			case a.kind == aggAvg:
				fv.Value, fv.Type = sf/float64(n), TypeFloat
			case allInt:
				fv.Value = si
			default:
				fv.Value, fv.Type = sf, TypeFloat
			}
		}
		rec.Fields[i] = fv
	}
	return rec
}

// distinctKey normalises a value for COUNT_DISTINCT.
func distinctKey(t Type, v any) any {
	switch x := v.(type) {
	case string:
		if t == TypeID {
			return idKey(x)
		}
		return strings.ToLower(x)
	case time.Time:
		if t == TypeDate {
			d, _ := asDay(x)
			return d
		}
		return x.UnixNano()
	case bool:
		return x
	}
	if i, ok := asInt(v); ok {
		return float64(i)
	}
	if f, ok := asFloat(v); ok {
		return f
	}
	return nil // values of unexpected Go types count as one
}
