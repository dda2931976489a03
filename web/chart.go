package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Chart is a small chart that renders as inline SVG on the server: bars
// (one per label) or lines (one point per label and series), with axes,
// labels, a <title> and an aria-label, so that it reads without
// JavaScript and with a screen reader.
type Chart struct {
	// Title names the chart; it becomes the SVG's <title> and aria-label.
	Title string
	// Labels name the x positions (orgs, hours).
	Labels []string
	// Series are the values, one per label each.
	Series []Series
	// Line draws lines instead of bars.
	Line bool
	// Limit draws a dashed horizontal line at this value, labelled
	// LimitLabel, when positive (the hourly login limit).
	Limit      float64
	LimitLabel string
	// Unit follows values in the text alternative ("requests").
	Unit string
}

// Series is one named row of a chart's values, drawn in Class's colour.
type Series struct {
	Name   string
	Class  string // ok, degraded, error, unknown, or "" for the default
	Values []float64
}

// chart geometry, in SVG user units.
const (
	chartW, chartH         = 640, 220
	chartLeft, chartRight  = 56, 12
	chartTop, chartBottom  = 12, 48
	chartPlotW, chartPlotH = chartW - chartLeft - chartRight, chartH - chartTop - chartBottom
	chartTicks             = 4
	chartMaxLabelRunes     = 14
)

// SVG renders the chart. Every text is escaped.
func (c Chart) SVG() template.HTML {
	var b strings.Builder
	esc := template.HTMLEscapeString
	max := c.Limit
	for _, s := range c.Series {
		for _, v := range s.Values {
			max = math.Max(max, v)
		}
	}
	if max <= 0 {
		max = 1
	}
	max = niceCeil(max)
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, chartW, chartH, esc(c.Title+": "+c.alt()))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(c.Title))
	y := func(v float64) float64 { return chartTop + chartPlotH - v/max*chartPlotH }
	// Axes and grid.
	for i := 0; i <= chartTicks; i++ {
		v := max * float64(i) / chartTicks
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, chartLeft, chartLeft+chartPlotW, y(v), y(v))
		fmt.Fprintf(&b, `<text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>`, chartLeft-6, y(v)+4, esc(formatValue(v)))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/>`, chartLeft, chartLeft, chartTop, chartTop+chartPlotH)
	fmt.Fprintf(&b, `<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/>`, chartLeft, chartLeft+chartPlotW, chartTop+chartPlotH, chartTop+chartPlotH)
	n := len(c.Labels)
	if n > 0 {
		slot := float64(chartPlotW) / float64(n)
		every := 1 + n/12 // at most about 12 x labels
		for i, l := range c.Labels {
			if i%every != 0 {
				continue
			}
			fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%d" text-anchor="middle">%s</text>`, chartLeft+slot*(float64(i)+0.5), chartTop+chartPlotH+16, esc(clipRunes(l, chartMaxLabelRunes)))
		}
		if c.Line {
			for _, s := range c.Series {
				var pts []string
				for i, v := range s.Values {
					pts = append(pts, fmt.Sprintf("%.1f,%.1f", chartLeft+slot*(float64(i)+0.5), y(v)))
				}
				fmt.Fprintf(&b, `<polyline class="series %s" fill="none" points="%s"><title>%s</title></polyline>`, esc(s.Class), strings.Join(pts, " "), esc(s.Name))
			}
		} else if len(c.Series) > 0 {
			bw := slot * 0.8 / float64(len(c.Series))
			for j, s := range c.Series {
				for i, v := range s.Values {
					x := chartLeft + slot*float64(i) + slot*0.1 + bw*float64(j)
					fmt.Fprintf(&b, `<rect class="series %s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s %s: %s</title></rect>`,
						esc(s.Class), x, y(v), bw, chartTop+chartPlotH-y(v), esc(label(c.Labels, i)), esc(s.Name), esc(formatValue(v)))
				}
			}
		}
	}
	if c.Limit > 0 {
		fmt.Fprintf(&b, `<line class="limit" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, chartLeft, chartLeft+chartPlotW, y(c.Limit), y(c.Limit))
		fmt.Fprintf(&b, `<text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>`, chartLeft+chartPlotW, y(c.Limit)-4, esc(c.LimitLabel))
	}
	// Legend.
	x := chartLeft
	for _, s := range c.Series {
		fmt.Fprintf(&b, `<rect class="series %s" x="%d" y="%d" width="10" height="10"/><text class="label" x="%d" y="%d">%s</text>`,
			esc(s.Class), x, chartH-14, x+14, chartH-5, esc(s.Name))
		x += 24 + 7*len([]rune(s.Name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// alt is the chart's text alternative: every value, by label and series.
func (c Chart) alt() string {
	var parts []string
	for i, l := range c.Labels {
		var vs []string
		for _, s := range c.Series {
			if i < len(s.Values) {
				vs = append(vs, fmt.Sprintf("%s %s", s.Name, formatValue(s.Values[i])))
			}
		}
		parts = append(parts, l+" "+strings.Join(vs, ", "))
	}
	if c.Unit != "" && len(parts) > 0 {
		parts[0] = c.Unit + ": " + parts[0]
	}
	return strings.Join(parts, "; ")
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// formatValue writes v without needless decimals.
func formatValue(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func label(labels []string, i int) string {
	if i < len(labels) {
		return labels[i]
	}
	return ""
}

// clipRunes shortens s to n runes, ending it with an ellipsis.
func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
