package soql

// Column is one entry of a statement's SELECT list.
type Column struct {
	// Path is the field path as written, split at dots: ["Profile",
	// "Name"]. It is empty for COUNT().
	Path []string
	// Aggregate is the aggregate function ("COUNT", "MAX", ...) or "".
	Aggregate string
	// Alias is the column alias, or "".
	Alias string
}

// Columns returns the SELECT list, in order.
func (q *Query) Columns() []Column {
	out := make([]Column, 0, len(q.items))
	for _, it := range q.items {
		c := Column{Path: append([]string(nil), it.path.segs...), Alias: it.alias}
		if it.agg != aggNone {
			c.Aggregate = aggNames[it.agg]
		}
		out = append(out, c)
	}
	return out
}
