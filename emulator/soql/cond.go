package soql

import (
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

type condKind uint8

const (
	cAnd condKind = iota
	cOr
	cNot
	cCmp
	cIn
	cLike
	cSemi
)

// cond is a bound WHERE condition.
type cond struct {
	kind condKind
	neg  bool // NOT IN
	op   cmpOp
	typ  Type
	path *bpath
	kids []*cond
	vals []bval
	like *likePattern
	set  map[string]struct{}
}

// bval is a filter value converted to the type of the field it is compared
// with. Temporal values are half-open ranges [lo, hi).
type bval struct {
	null     bool
	isInt    bool
	b        bool
	openPast bool // LAST_N_* literals: < <= > >= compare with the range start
	s        string
	i        int64
	f        float64
	dlo, dhi int64 // TypeDate: civil day numbers
	lo, hi   time.Time
}

func (ex *executor) bindCond(q *Query, obj *Object, n *node) *cond {
	switch n.kind {
	case nAnd, nOr, nNot:
		c := &cond{kind: cAnd, kids: make([]*cond, len(n.kids))}
		switch n.kind {
		case nOr:
			c.kind = cOr
		case nNot:
			c.kind = cNot
		}
		for i, k := range n.kids {
			c.kids[i] = ex.bindCond(q, obj, k)
		}
		return c
	}
	bp := ex.resolve(q, obj, n.path)
	f := bp.field
	c := &cond{kind: cCmp, op: n.op, typ: f.Type, path: bp}
	switch n.op {
	case opLike:
		if f.Type != TypeString && f.Type != TypeID {
			ex.fail(CodeInvalidField, n.path.pos, "invalid operator on "+f.Type.String()+" field '"+f.Name+"': LIKE can only be used with string fields")
		}
		lit := &n.vals[0]
		if lit.kind != lString {
			ex.fail(CodeInvalidField, n.path.pos, filterTypeMsg(f))
		}
		c.kind = cLike
		c.like = compileLike(lit.raw[1 : len(lit.raw)-1])
		return c
	case opIn, opNotIn:
		c.neg = n.op == opNotIn
		if n.sub != nil {
			c.kind = cSemi
			c.set = ex.semiJoin(n, f)
			return c
		}
		c.kind = cIn
		c.vals = make([]bval, len(n.vals))
		for i := range n.vals {
			c.vals[i] = ex.convert(f, &n.vals[i], opEq, n.path.pos)
		}
		return c
	case opLt, opLe, opGt, opGe:
		if f.Type == TypeBool {
			ex.fail(CodeInvalidField, n.path.pos, "invalid operator on boolean field '"+f.Name+"': only = and != are allowed")
		}
	}
	c.vals = []bval{ex.convert(f, &n.vals[0], n.op, n.path.pos)}
	return c
}

// semiJoin runs the sub-query of an IN / NOT IN (SELECT ...) condition and
// returns the set of selected IDs, keyed by their first 15 characters.
func (ex *executor) semiJoin(n *node, left Field) map[string]struct{} {
	if left.Type != TypeID {
		ex.fail(CodeInvalidField, n.path.pos, "semi-join and anti-join conditions require an Id or reference field, not '"+left.Name+"'")
	}
	sq := n.sub
	obj, ok := ex.src.Object(sq.object)
	if !ok || obj == nil {
		ex.fail(CodeInvalidType, sq.objectPos, unsupportedObject(sq.object))
	}
	it := sq.items[0]
	bp := ex.resolve(sq, obj, it.path)
	if bp.field.Type != TypeID {
		ex.fail(CodeInvalidField, it.path.pos, "semi-join and anti-join sub-queries must select an Id or reference field, not '"+bp.field.Name+"'")
	}
	var where *cond
	if sq.where != nil {
		where = ex.bindCond(sq, obj, sq.where)
	}
	for _, o := range sq.order {
		ex.resolve(sq, obj, o.path)
	}
	set := make(map[string]struct{})
	for _, r := range ex.src.Rows(obj.Name) {
		if where != nil && !ex.eval(where, r) {
			continue
		}
		if id, _ := ex.get(bp, r).(string); id != "" {
			set[idKey(id)] = struct{}{}
		}
	}
	return set
}

func filterTypeMsg(f Field) string {
	m := "value of filter criterion for field '" + f.Name + "' must be of type " + f.Type.String()
	if f.Type == TypeString || f.Type == TypeID {
		return m + " and should be enclosed in quotes"
	}
	return m + " and should not be enclosed in quotes"
}

// convert checks a literal against the field type and converts it.
func (ex *executor) convert(f Field, lit *literal, op cmpOp, pos int) bval {
	if lit.kind == lNull {
		return bval{null: true}
	}
	bad := func() { ex.fail(CodeInvalidField, pos, filterTypeMsg(f)) }
	switch f.Type {
	case TypeString, TypeID:
		if lit.kind != lString {
			bad()
		}
		if lit.str == "" && (op == opEq || op == opNe) {
			return bval{null: true} // '' means null in SOQL
		}
		return bval{s: lit.str}
	case TypeBool:
		if lit.kind != lBool {
			bad()
		}
		return bval{b: lit.b}
	case TypeInt, TypeFloat:
		switch lit.kind {
		case lInt:
			return bval{isInt: true, i: lit.i, f: lit.f}
		case lDecimal:
			return bval{f: lit.f}
		}
		bad()
	case TypeDate:
		switch lit.kind {
		case lDate:
			d := civilOf(lit.t)
			return bval{dlo: d, dhi: d + 1}
		case lDateLit:
			return ex.dateLiteral(lit)
		}
		bad()
	case TypeDateTime:
		switch lit.kind {
		case lDateTime:
			return bval{lo: lit.t, hi: lit.t.Add(1)}
		case lDate:
			y, m, d := lit.t.Date()
			return bval{lo: time.Date(y, m, d, 0, 0, 0, 0, ex.loc), hi: time.Date(y, m, d+1, 0, 0, 0, 0, ex.loc)}
		case lDateLit:
			return ex.dateLiteral(lit)
		}
		bad()
	default:
		bad()
	}
	return bval{}
}

// dateLiteral computes the range of a relative date literal such as TODAY
// or LAST_N_DAYS:30 for both date and date/time fields.
func (ex *executor) dateLiteral(lit *literal) bval {
	if !ex.todayDone {
		nl := ex.now.In(ex.loc)
		ex.y, ex.m, ex.d = nl.Date()
		ex.wd = int(nl.Weekday())
		ex.hour = nl.Hour()
		ex.todayDone = true
	}
	loc, y, m, d, n := ex.loc, ex.y, ex.m, ex.d, lit.n
	day := func(k int) time.Time { return time.Date(y, m, d+k, 0, 0, 0, 0, loc) }
	month := func(k int) time.Time { return time.Date(y, m+time.Month(k), 1, 0, 0, 0, 0, loc) }
	year := func(k int) time.Time { return time.Date(y+k, 1, 1, 0, 0, 0, 0, loc) }
	wd := ex.wd // weeks start on Sunday (en_US locale)
	var v bval
	switch lit.kw {
	case kwToday:
		v.lo, v.hi = day(0), day(1)
	case kwYesterday:
		v.lo, v.hi = day(-1), day(0)
	case kwTomorrow:
		v.lo, v.hi = day(1), day(2)
	case kwThisWeek:
		v.lo, v.hi = day(-wd), day(7-wd)
	case kwLastWeek:
		v.lo, v.hi = day(-wd-7), day(-wd)
	case kwNextWeek:
		v.lo, v.hi = day(7-wd), day(14-wd)
	case kwThisMonth:
		v.lo, v.hi = month(0), month(1)
	case kwLastMonth:
		v.lo, v.hi = month(-1), month(0)
	case kwNextMonth:
		v.lo, v.hi = month(1), month(2)
	case kwThisYear:
		v.lo, v.hi = year(0), year(1)
	case kwLastYear:
		v.lo, v.hi = year(-1), year(0)
	case kwNextYear:
		v.lo, v.hi = year(1), year(2)
	case kwLast90Days:
		v.lo, v.hi, v.openPast = day(-90), day(1), true
	case kwNext90Days:
		v.lo, v.hi = day(1), day(91)
	case kwLastNDays:
		v.lo, v.hi, v.openPast = day(-n), day(1), true
	case kwNextNDays:
		v.lo, v.hi = day(1), day(1+n)
	case kwNDaysAgo:
		v.lo, v.hi = day(-n), day(-n+1)
	case kwLastNWeeks:
		v.lo, v.hi = day(-wd-7*n), day(-wd)
	case kwNextNWeeks:
		v.lo, v.hi = day(7-wd), day(7-wd+7*n)
	case kwLastNMonths:
		v.lo, v.hi = month(-n), month(0)
	case kwNextNMonths:
		v.lo, v.hi = month(1), month(1+n)
	case kwLastNHours, kwNextNHours:
		hs := time.Date(y, m, d, ex.hour, 0, 0, 0, loc)
		if lit.kw == kwLastNHours {
			v.lo, v.hi, v.openPast = hs.Add(-time.Duration(n)*time.Hour), hs.Add(time.Hour), true
		} else {
			v.lo, v.hi = hs.Add(time.Hour), hs.Add(time.Duration(n+1)*time.Hour)
		}
	}
	v.dlo = civilOf(v.lo)
	v.dhi = civilOf(v.hi)
	if h, mi, s := v.hi.Clock(); h != 0 || mi != 0 || s != 0 || v.hi.Nanosecond() != 0 {
		v.dhi++
	}
	return v
}

// civilOf returns the day number of t's calendar date in t's location.
func civilOf(t time.Time) int64 {
	y, m, d := t.Date()
	return civilDays(y, int(m), d)
}

// civilDays returns the number of days from 1970-01-01 to y-m-d.
func civilDays(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := yy / 400
	if yy < 0 && yy%400 != 0 {
		era = (yy - 399) / 400
	}
	yoe := yy - era*400
	mm := int64(m)
	if mm > 2 {
		mm -= 3
	} else {
		mm += 9
	}
	doy := (153*mm+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func (ex *executor) eval(c *cond, row Row) bool {
	switch c.kind {
	case cAnd:
		for _, k := range c.kids {
			if !ex.eval(k, row) {
				return false
			}
		}
		return true
	case cOr:
		for _, k := range c.kids {
			if ex.eval(k, row) {
				return true
			}
		}
		return false
	case cNot:
		return !ex.eval(c.kids[0], row)
	case cCmp:
		return compareLit(c.typ, ex.get(c.path, row), c.op, &c.vals[0])
	case cIn:
		v := ex.get(c.path, row)
		for i := range c.vals {
			if compareLit(c.typ, v, opEq, &c.vals[i]) {
				return !c.neg
			}
		}
		return c.neg
	case cLike:
		s, _ := ex.get(c.path, row).(string)
		return s != "" && c.like.match(s)
	case cSemi:
		id, _ := ex.get(c.path, row).(string)
		if id == "" {
			return c.neg
		}
		_, hit := c.set[idKey(id)]
		return hit != c.neg
	}
	return false
}

// isNull reports whether a row value is null: nil, the empty string or the
// zero time.Time.
func isNull(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case time.Time:
		return x.IsZero()
	}
	return false
}

func ordered(op cmpOp, c int) bool {
	switch op {
	case opEq:
		return c == 0
	case opNe:
		return c != 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	case opGe:
		return c >= 0
	}
	return false
}

// inRange applies op to a value compared with the range [lo, hi); cLo and
// cHi are the value's comparisons with lo and hi.
func inRange(op cmpOp, cLo, cHi int, openPast bool) bool {
	switch op {
	case opEq:
		return cLo >= 0 && cHi < 0
	case opNe:
		return !(cLo >= 0 && cHi < 0)
	case opLt:
		return cLo < 0
	case opLe:
		if openPast {
			return cLo <= 0
		}
		return cHi < 0
	case opGt:
		if openPast {
			return cLo > 0
		}
		return cHi >= 0
	case opGe:
		return cLo >= 0
	}
	return false
}

// compareLit evaluates "v op b" for a field of type t.
func compareLit(t Type, v any, op cmpOp, b *bval) bool {
	null := isNull(v)
	if b.null {
		switch op {
		case opEq:
			return null
		case opNe:
			return !null
		}
		return false
	}
	if null {
		return op == opNe
	}
	switch t {
	case TypeString:
		s, ok := v.(string)
		if !ok {
			return op == opNe
		}
		switch op {
		case opEq:
			return strings.EqualFold(s, b.s)
		case opNe:
			return !strings.EqualFold(s, b.s)
		}
		return ordered(op, foldCompare(s, b.s))
	case TypeID:
		s, ok := v.(string)
		if !ok {
			return op == opNe
		}
		switch op {
		case opEq:
			return idEqual(s, b.s)
		case opNe:
			return !idEqual(s, b.s)
		}
		return ordered(op, strings.Compare(s, b.s))
	case TypeBool:
		x, ok := v.(bool)
		if !ok {
			return op == opNe
		}
		return (x == b.b) == (op == opEq)
	case TypeInt, TypeFloat:
		if b.isInt {
			if x, ok := asInt(v); ok {
				return ordered(op, cmpInt(x, b.i))
			}
		}
		x, ok := asFloat(v)
		if !ok {
			return op == opNe
		}
		return ordered(op, cmpFloat(x, b.f))
	case TypeDate:
		d, ok := asDay(v)
		if !ok {
			return op == opNe
		}
		return inRange(op, cmpInt(d, b.dlo), cmpInt(d, b.dhi), b.openPast)
	case TypeDateTime:
		x, ok := asTime(v)
		if !ok {
			return op == opNe
		}
		return inRange(op, x.Compare(b.lo), x.Compare(b.hi), b.openPast)
	}
	return false
}

// compareValues orders two non-null values of a field of type t.
func compareValues(t Type, a, b any) int {
	switch t {
	case TypeString:
		x, _ := a.(string)
		y, _ := b.(string)
		return foldCompare(x, y)
	case TypeID:
		x, _ := a.(string)
		y, _ := b.(string)
		return strings.Compare(x, y)
	case TypeBool:
		x, _ := a.(bool)
		y, _ := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case TypeInt, TypeFloat:
		if x, ok := asInt(a); ok {
			if y, ok := asInt(b); ok {
				return cmpInt(x, y)
			}
		}
		x, _ := asFloat(a)
		y, _ := asFloat(b)
		return cmpFloat(x, y)
	case TypeDate:
		x, _ := asDay(a)
		y, _ := asDay(b)
		return cmpInt(x, y)
	case TypeDateTime:
		x, _ := asTime(a)
		y, _ := asTime(b)
		return x.Compare(y)
	}
	return 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	case math.IsNaN(a) && !math.IsNaN(b):
		return -1
	case !math.IsNaN(a) && math.IsNaN(b):
		return 1
	}
	return 0
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint8:
		return int64(x), true
	}
	return 0, false
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint:
		return float64(x), true
	}
	if i, ok := asInt(v); ok {
		return float64(i), true
	}
	return 0, false
}

// asTime converts a date/time row value. Strings in ISO 8601 form are
// accepted as a convenience.
func asTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// asDay converts a date row value to a civil day number.
func asDay(v any) (int64, bool) {
	switch x := v.(type) {
	case time.Time:
		return civilOf(x), true
	case string:
		if t, ok := asTime(x); ok {
			return civilOf(t), true
		}
	}
	return 0, false
}

// idKey normalises an ID for set membership: 18-character IDs are reduced
// to their case-sensitive 15-character form.
func idKey(id string) string {
	if len(id) == 18 {
		return id[:15]
	}
	return id
}

// idEqual compares record IDs. 15- and 18-character IDs are compared on
// their case-sensitive first 15 characters (the 3-character suffix is a
// checksum of those); other strings must be identical.
func idEqual(a, b string) bool {
	if (len(a) == 15 || len(a) == 18) && (len(b) == 15 || len(b) == 18) {
		return a[:15] == b[:15]
	}
	return a == b
}

func lowerRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	return unicode.ToLower(r)
}

// foldCompare orders strings case-insensitively.
func foldCompare(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if ca|cb >= utf8.RuneSelf {
			// Restart at the beginning of the rune (the bytes before i
			// are identical in a and b).
			for i > 0 && !utf8.RuneStart(a[i]) {
				i--
			}
			return foldCompareRunes(a[i:], b[i:])
		}
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	return cmpInt(int64(len(a)), int64(len(b)))
}

// foldCompareRunes is foldCompare for strings with non-ASCII characters.
func foldCompareRunes(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ra, na := utf8.DecodeRuneInString(a[i:])
		rb, nb := utf8.DecodeRuneInString(b[j:])
		ra, rb = lowerRune(ra), lowerRune(rb)
		if ra != rb {
			if ra < rb {
				return -1
			}
			return 1
		}
		i += na
		j += nb
	}
	switch {
	case i < len(a):
		return 1
	case j < len(b):
		return -1
	}
	return 0
}

// likePattern is a compiled LIKE pattern.
type likePattern struct {
	toks []likeTok
}

const (
	likeLit uint8 = iota
	likeOne
	likeMany
)

type likeTok struct {
	kind uint8
	r    rune
}

// compileLike compiles the body of a LIKE string literal: % matches any
// sequence, _ any one character, and a backslash escapes the next character.
func compileLike(body string) *likePattern {
	p := &likePattern{toks: make([]likeTok, 0, len(body))}
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '\\' && i+1 < len(body):
			p.toks = append(p.toks, likeTok{likeLit, lowerRune(rune(escChar(body[i+1])))})
			i += 2
		case c == '%':
			if n := len(p.toks); n == 0 || p.toks[n-1].kind != likeMany {
				p.toks = append(p.toks, likeTok{kind: likeMany})
			}
			i++
		case c == '_':
			p.toks = append(p.toks, likeTok{kind: likeOne})
			i++
		default:
			r, n := utf8.DecodeRuneInString(body[i:])
			p.toks = append(p.toks, likeTok{likeLit, lowerRune(r)})
			i += n
		}
	}
	return p
}

// match reports whether s matches the pattern, ignoring case. It uses the
// classic single-backtrack-point wildcard algorithm, O(len(s)*len(pattern))
// in the worst case.
func (p *likePattern) match(s string) bool {
	toks := p.toks
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		r, n := rune(s[si]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[si:])
		}
		if pi < len(toks) {
			t := toks[pi]
			switch t.kind {
			case likeMany:
				starP, starS = pi, si
				pi++
				continue
			case likeOne:
				pi++
				si += n
				continue
			default:
				if lowerRune(r) == t.r {
					pi++
					si += n
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		_, sn := utf8.DecodeRuneInString(s[starS:])
		starS += sn
		pi, si = starP+1, starS
	}
	for pi < len(toks) && toks[pi].kind == likeMany {
		pi++
	}
	return pi == len(toks)
}
