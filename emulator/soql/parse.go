package soql

import (
	"strconv"
	"strings"
	"time"
)

// maxDepth bounds the nesting of parentheses, NOT operators and sub-queries.
const maxDepth = 100

// Query is a parsed SOQL statement. It is immutable after Parse and safe for
// concurrent use by several Execute calls.
type Query struct {
	text      string
	object    string // as written
	objectPos int
	alias     string
	items     []selectItem
	countOnly bool // SELECT COUNT()
	hasAgg    bool // aggregate functions in the select list
	where     *node
	order     []orderItem
	limit     int // -1 when absent
	offset    int // -1 when absent
}

// String returns the statement's source text.
func (q *Query) String() string { return q.text }

// Object returns the name of the queried object as written in the FROM
// clause; Execute resolves it to its canonical casing.
func (q *Query) Object() string { return q.object }

// IsCount reports whether the statement is SELECT COUNT() FROM ..., whose
// result carries only a TotalSize.
func (q *Query) IsCount() bool { return q.countOnly }

// path is a dotted field path such as Assignee.Profile.Name.
type path struct {
	segs []string
	pos  int
	end  int
}

type aggKind uint8

const (
	aggNone aggKind = iota
	aggCount
	aggCountDistinct
	aggMin
	aggMax
	aggSum
	aggAvg
)

var aggNames = [...]string{"", "COUNT", "COUNT_DISTINCT", "MIN", "MAX", "SUM", "AVG"}

// selectItem is one element of the SELECT list.
type selectItem struct {
	agg   aggKind
	path  path
	alias string
	pos   int
}

// orderItem is one ORDER BY key.
type orderItem struct {
	path  path
	desc  bool
	nulls int8 // 0 default, 1 first, 2 last
}

type nodeKind uint8

const (
	nAnd nodeKind = iota
	nOr
	nNot
	nCmp
)

type cmpOp uint8

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
	opLike
	opIn
	opNotIn
)

// node is a WHERE condition.
type node struct {
	kind nodeKind
	kids []*node
	path path
	op   cmpOp
	vals []literal
	sub  *Query // semi-join / anti-join
}

type litKind uint8

const (
	lNull litKind = iota
	lString
	lInt
	lDecimal
	lBool
	lDate
	lDateTime
	lDateLit
)

// literal is a filter value.
type literal struct {
	kind litKind
	pos  int
	raw  string // source text (string literals include the quotes)
	esc  bool   // string literal has escapes
	str  string // decoded string value
	i    int64
	f    float64
	b    bool
	t    time.Time // lDate: midnight UTC of the date; lDateTime: the instant
	kw   dateKw
	n    int
}

type parseFailure struct{ err *Error }

type parser struct {
	src   string
	off   int
	tok   token
	depth int
}

// Parse parses one SOQL statement. It only checks syntax; object and field
// names are resolved by Execute. Errors are *Error values with Code
// MALFORMED_QUERY. Parse never panics and bounds nesting depth.
func Parse(q string) (*Query, error) {
	return parse(q)
}

func parse(q string) (query *Query, err error) {
	if strings.TrimSpace(q) == "" {
		return nil, &Error{Code: CodeMalformedQuery, Message: msgEmpty}
	}
	p := parser{src: q}
	defer func() {
		if r := recover(); r != nil {
			pf, ok := r.(parseFailure)
			if !ok {
				panic(r)
			}
			query, err = nil, pf.err
		}
	}()
	p.advance()
	query = p.parseQuery(false)
	return query, nil
}

func (p *parser) failAt(pos int, reason string) {
	panic(parseFailure{posError(CodeMalformedQuery, p.src, pos, reason)})
}

// unexpected aborts at the current token.
func (p *parser) unexpected() {
	if p.tok.kind == tEOF {
		p.failAt(p.tok.pos, "unexpected token: '<EOF>'")
	}
	p.failAt(p.tok.pos, "unexpected token: '"+p.text()+"'")
}

func (p *parser) text() string { return p.src[p.tok.pos:p.tok.end] }

// isKw reports whether the current token is the keyword kw (upper case).
func (p *parser) isKw(kw string) bool {
	return p.tok.kind == tIdent && p.tok.end-p.tok.pos == len(kw) && foldEqASCII(p.src[p.tok.pos:p.tok.end], kw)
}

// foldEqASCII compares s with the upper-case ASCII keyword kw, ignoring case.
func foldEqASCII(s, kw string) bool {
	if len(s) != len(kw) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != kw[i] {
			return false
		}
	}
	return true
}

func (p *parser) expectKw(kw string) {
	if !p.isKw(kw) {
		p.unexpected()
	}
	p.advance()
}

func (p *parser) expect(k tokKind) {
	if p.tok.kind != k {
		p.unexpected()
	}
	p.advance()
}

// reserved lists the SOQL reserved words, which cannot start a field path.
var reserved = [...]string{"AND", "ASC", "DESC", "EXCLUDES", "FIRST", "FROM", "GROUP", "HAVING", "IN", "INCLUDES",
	"LAST", "LIKE", "LIMIT", "NOT", "NULL", "NULLS", "OR", "SELECT", "WHERE", "WITH"}

func (p *parser) isReserved() bool {
	if p.tok.kind != tIdent {
		return false
	}
	n := p.tok.end - p.tok.pos
	if n < 2 || n > 8 {
		return false
	}
	for _, kw := range reserved {
		if p.isKw(kw) {
			return true
		}
	}
	return false
}

// clauseKeywords may follow the object name; anything else is an alias.
var clauseKeywords = [...]string{"WHERE", "WITH", "GROUP", "ORDER", "LIMIT", "OFFSET", "FOR", "USING", "HAVING", "UPDATE"}

func (p *parser) isClauseKw() bool {
	for _, kw := range clauseKeywords {
		if p.isKw(kw) {
			return true
		}
	}
	return p.isReserved()
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.failAt(p.tok.pos, "query is nested too deeply (maximum "+strconv.Itoa(maxDepth)+" levels)")
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) parseQuery(sub bool) *Query {
	q := &Query{text: p.src, limit: -1, offset: -1}
	p.expectKw("SELECT")
	p.parseSelectList(q)
	p.expectKw("FROM")
	if p.tok.kind != tIdent {
		p.unexpected()
	}
	q.object, q.objectPos = p.text(), p.tok.pos
	p.advance()
	if p.tok.kind == tIdent && !p.isClauseKw() {
		q.alias = p.text()
		p.advance()
	}
	if p.isKw("USING") {
		p.failAt(p.tok.pos, "USING SCOPE is not supported by this emulator")
	}
	if p.isKw("WHERE") {
		p.advance()
		q.where = p.parseCond()
	}
	if p.isKw("WITH") {
		p.advance()
		if !(p.isKw("SECURITY_ENFORCED") || p.isKw("USER_MODE") || p.isKw("SYSTEM_MODE")) {
			p.unexpected()
		}
		p.advance()
	}
	if p.isKw("GROUP") || p.isKw("HAVING") {
		p.failAt(p.tok.pos, strings.ToUpper(p.text())+" BY is not supported by this emulator")
	}
	if p.isKw("ORDER") {
		p.advance()
		p.expectKw("BY")
		for {
			q.order = append(q.order, p.parseOrderItem())
			if p.tok.kind != tComma {
				break
			}
			p.advance()
		}
	}
	if p.isKw("LIMIT") {
		p.advance()
		q.limit = p.parseCount()
	}
	if p.isKw("OFFSET") {
		p.advance()
		q.offset = p.parseCount()
	}
	if !sub && p.isKw("FOR") {
		p.advance()
		if !(p.isKw("VIEW") || p.isKw("REFERENCE") || p.isKw("UPDATE")) {
			p.unexpected()
		}
		p.advance()
	}
	if q.hasAgg && len(q.order) > 0 {
		o := q.order[0].path
		p.failAt(o.pos, "Ordered field must be grouped or aggregated: "+p.src[o.pos:o.end])
	}
	if !sub && p.tok.kind != tEOF {
		p.unexpected()
	}
	return q
}

// parseCount reads a non-negative integer (LIMIT / OFFSET argument).
func (p *parser) parseCount() int {
	if p.tok.kind != tInt || p.src[p.tok.pos] == '-' || p.src[p.tok.pos] == '+' {
		p.unexpected()
	}
	n, err := strconv.Atoi(p.text())
	if err != nil || n > 1<<31-1 {
		p.unexpected()
	}
	p.advance()
	return n
}

func (p *parser) parseSelectList(q *Query) {
	var plainPos, plainEnd = -1, -1
	for {
		switch {
		case p.tok.kind == tLParen:
			p.failAt(p.tok.pos, "child relationship sub-queries are not supported by this emulator")
		case p.tok.kind != tIdent || p.isReserved():
			p.unexpected()
		}
		start := p.tok.pos
		name := p.text()
		p.advance()
		if p.tok.kind == tLParen {
			agg := aggNone
			for k := aggCount; k <= aggAvg; k++ {
				if foldEqASCII(name, aggNames[k]) {
					agg = k
				}
			}
			if agg == aggNone {
				p.failAt(start, "function '"+name+"' is not supported by this emulator")
			}
			p.advance()
			if agg == aggCount && p.tok.kind == tRParen {
				// COUNT(): must be the only element.
				p.advance()
				if len(q.items) > 0 || q.countOnly {
					p.failAt(start, "COUNT() must be the only element in the SELECT list")
				}
				q.countOnly = true
				if p.tok.kind == tComma {
					p.unexpected()
				}
				return
			}
			if p.tok.kind != tIdent || p.isReserved() {
				p.unexpected()
			}
			fp := p.tok.pos
			first := p.text()
			p.advance()
			it := selectItem{agg: agg, pos: start, path: p.parsePathRest(first, fp)}
			p.expect(tRParen)
			if p.tok.kind == tIdent && !p.isReserved() {
				it.alias = p.text()
				p.advance()
			}
			q.items = append(q.items, it)
			q.hasAgg = true
		} else {
			it := selectItem{pos: start, path: p.parsePathRest(name, start)}
			if plainPos < 0 {
				plainPos, plainEnd = it.path.pos, it.path.end
			}
			q.items = append(q.items, it)
		}
		if p.tok.kind != tComma {
			break
		}
		p.advance()
	}
	if q.hasAgg && plainPos >= 0 {
		p.failAt(plainPos, "Field must be grouped or aggregated: "+p.src[plainPos:plainEnd])
	}
}

// parsePathRest reads the ".seg" continuations of a path whose first segment
// (starting at pos) was already consumed.
func (p *parser) parsePathRest(first string, pos int) path {
	pa := path{segs: []string{first}, pos: pos, end: pos + len(first)}
	for p.tok.kind == tDot {
		p.advance()
		if p.tok.kind != tIdent {
			p.unexpected()
		}
		pa.segs = append(pa.segs, p.text())
		pa.end = p.tok.end
		p.advance()
	}
	return pa
}

func (p *parser) parsePath() path {
	if p.tok.kind != tIdent || p.isReserved() {
		p.unexpected()
	}
	pos := p.tok.pos
	first := p.text()
	p.advance()
	if p.tok.kind == tLParen {
		p.failAt(pos, "function '"+first+"' is not supported by this emulator")
	}
	return p.parsePathRest(first, pos)
}

func (p *parser) parseOrderItem() orderItem {
	it := orderItem{path: p.parsePath()}
	if p.isKw("ASC") {
		p.advance()
	} else if p.isKw("DESC") {
		it.desc = true
		p.advance()
	}
	if p.isKw("NULLS") {
		p.advance()
		switch {
		case p.isKw("FIRST"):
			it.nulls = 1
		case p.isKw("LAST"):
			it.nulls = 2
		default:
			p.unexpected()
		}
		p.advance()
	}
	return it
}

// parseCond parses a condition: unary terms joined by AND or by OR. Mixing
// AND and OR without parentheses is a syntax error, as in SOQL.
func (p *parser) parseCond() *node {
	first := p.parseUnary()
	var kind nodeKind
	switch {
	case p.isKw("AND"):
		kind = nAnd
	case p.isKw("OR"):
		kind = nOr
	default:
		return first
	}
	n := &node{kind: kind, kids: []*node{first}}
	kw := "AND"
	other := "OR"
	if kind == nOr {
		kw, other = "OR", "AND"
	}
	for p.isKw(kw) {
		p.advance()
		n.kids = append(n.kids, p.parseUnary())
	}
	if p.isKw(other) {
		p.unexpected()
	}
	return n
}

func (p *parser) parseUnary() *node {
	p.enter()
	defer p.leave()
	if p.isKw("NOT") {
		p.advance()
		return &node{kind: nNot, kids: []*node{p.parseUnary()}}
	}
	if p.tok.kind == tLParen {
		p.advance()
		n := p.parseCond()
		p.expect(tRParen)
		return n
	}
	return p.parseComparison()
}

func (p *parser) parseComparison() *node {
	n := &node{kind: nCmp, path: p.parsePath()}
	switch p.tok.kind {
	case tEq:
		n.op = opEq
	case tNe:
		n.op = opNe
	case tLt:
		n.op = opLt
	case tLe:
		n.op = opLe
	case tGt:
		n.op = opGt
	case tGe:
		n.op = opGe
	case tIdent:
		switch {
		case p.isKw("LIKE"):
			n.op = opLike
		case p.isKw("IN"):
			n.op = opIn
		case p.isKw("NOT"):
			p.advance()
			if !p.isKw("IN") {
				p.unexpected()
			}
			n.op = opNotIn
		case p.isKw("INCLUDES") || p.isKw("EXCLUDES"):
			p.failAt(p.tok.pos, strings.ToUpper(p.text())+" is not supported by this emulator")
		default:
			p.unexpected()
		}
	default:
		p.unexpected()
	}
	p.advance()
	if n.op != opIn && n.op != opNotIn {
		n.vals = []literal{p.parseValue()}
		return n
	}
	p.expect(tLParen)
	if p.isKw("SELECT") {
		p.enter()
		n.sub = p.parseQuery(true)
		p.leave()
		if n.sub.countOnly || n.sub.hasAgg || len(n.sub.items) != 1 {
			p.failAt(n.sub.objectPos, "a semi-join or anti-join sub-query must select exactly one Id or reference field")
		}
		p.expect(tRParen)
		return n
	}
	for {
		n.vals = append(n.vals, p.parseValue())
		if p.tok.kind != tComma {
			break
		}
		p.advance()
	}
	p.expect(tRParen)
	return n
}

type dateKw uint8

const (
	kwNone dateKw = iota
	kwToday
	kwYesterday
	kwTomorrow
	kwThisWeek
	kwLastWeek
	kwNextWeek
	kwThisMonth
	kwLastMonth
	kwNextMonth
	kwThisYear
	kwLastYear
	kwNextYear
	kwLast90Days
	kwNext90Days
	// keywords below take ":n"
	kwLastNDays
	kwNextNDays
	kwNDaysAgo
	kwLastNHours
	kwNextNHours
	kwLastNWeeks
	kwNextNWeeks
	kwLastNMonths
	kwNextNMonths
)

var dateKwNames = [...]string{"", "TODAY", "YESTERDAY", "TOMORROW", "THIS_WEEK", "LAST_WEEK", "NEXT_WEEK",
	"THIS_MONTH", "LAST_MONTH", "NEXT_MONTH", "THIS_YEAR", "LAST_YEAR", "NEXT_YEAR", "LAST_90_DAYS", "NEXT_90_DAYS",
	"LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO", "LAST_N_HOURS", "NEXT_N_HOURS", "LAST_N_WEEKS", "NEXT_N_WEEKS",
	"LAST_N_MONTHS", "NEXT_N_MONTHS"}

func (p *parser) parseValue() literal {
	t := p.tok
	lit := literal{pos: t.pos, raw: p.src[t.pos:t.end]}
	switch t.kind {
	case tString:
		lit.kind = lString
		lit.esc = t.esc
		lit.str = unescape(p.src[t.pos+1:t.end-1], t.esc)
	case tInt:
		v, err := strconv.ParseInt(lit.raw, 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(lit.raw, 64)
			if ferr != nil {
				p.unexpected()
			}
			lit.kind, lit.f = lDecimal, f
		} else {
			lit.kind, lit.i, lit.f = lInt, v, float64(v)
		}
	case tDecimal:
		f, err := strconv.ParseFloat(lit.raw, 64)
		if err != nil {
			p.unexpected()
		}
		lit.kind, lit.f = lDecimal, f
	case tDate, tDateTime:
		tm, ok := parseDateTime(lit.raw)
		if !ok {
			p.failAt(t.pos, "unexpected token: '"+lit.raw+"'")
		}
		lit.t = tm
		lit.kind = lDate
		if t.kind == tDateTime {
			lit.kind = lDateTime
		}
	case tIdent:
		switch {
		case p.isKw("NULL"):
			lit.kind = lNull
		case p.isKw("TRUE"):
			lit.kind, lit.b = lBool, true
		case p.isKw("FALSE"):
			lit.kind = lBool
		default:
			kw := kwNone
			for k := kwToday; k <= kwNextNMonths; k++ {
				if p.isKw(dateKwNames[k]) {
					kw = k
					break
				}
			}
			if kw == kwNone {
				p.unexpected()
			}
			lit.kind, lit.kw = lDateLit, kw
			if kw >= kwLastNDays {
				p.advance()
				p.expect(tColon)
				if p.tok.kind != tInt || p.src[p.tok.pos] == '-' || p.src[p.tok.pos] == '+' {
					p.unexpected()
				}
				n, err := strconv.Atoi(p.text())
				if err != nil || n > 1000000 {
					p.unexpected()
				}
				lit.n = n
				lit.raw = p.src[t.pos:p.tok.end]
			}
		}
	default:
		p.unexpected()
	}
	p.advance()
	return lit
}

// parseDateTime converts a lexed date or date/time literal. Dates become
// midnight UTC of that day. ok is false for out-of-range components.
func parseDateTime(s string) (t time.Time, ok bool) {
	y := atoiN(s[0:4])
	mo := atoiN(s[5:7])
	d := atoiN(s[8:10])
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return time.Time{}, false
	}
	if len(s) == 10 {
		return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC), true
	}
	h, mi, sec := atoiN(s[11:13]), atoiN(s[14:16]), atoiN(s[17:19])
	if h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	i := 19
	ns := 0
	if s[i] == '.' {
		i++
		scale := 100000000
		for i < len(s) && isDigit(s[i]) {
			ns += int(s[i]-'0') * scale
			scale /= 10
			i++
		}
	}
	t = time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC)
	if s[i] == '+' || s[i] == '-' {
		oh, om := atoiN(s[i+1:i+3]), atoiN(s[i+4:i+6])
		if oh > 23 || om > 59 {
			return time.Time{}, false
		}
		off := time.Duration(oh)*time.Hour + time.Duration(om)*time.Minute
		if s[i] == '+' {
			t = t.Add(-off)
		} else {
			t = t.Add(off)
		}
	}
	return t, true
}

func atoiN(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
