package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wardenhq/warden"
)

// Formats of WriteReport.
var Formats = []string{"table", "json", "sarif", "html"}

// WriteReport writes a report in a format: table, json, sarif or html.
// version is Warden's version, for SARIF and HTML.
func WriteReport(w io.Writer, r *Report, format, version string) error {
	switch format {
	case "", "table":
		return WriteTable(w, r)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "sarif":
		return WriteSARIF(w, r, version)
	case "html":
		return WriteHTML(w, r, version)
	}
	return warden.Errorf(warden.EINVALID, "--format: %q is not one of table, json, sarif, html", format)
}

func countBySeverity(fs []*warden.Finding) map[warden.Severity]int {
	out := map[warden.Severity]int{}
	for _, f := range fs {
		out[f.Severity]++
	}
	return out
}

func severityCounts(fs []*warden.Finding) string {
	c := countBySeverity(fs)
	return fmt.Sprintf("%d/%d/%d/%d", c[warden.SeverityCritical], c[warden.SeverityHigh], c[warden.SeverityMedium], c[warden.SeverityLow])
}

// WriteTable writes a report for people: a summary per org, then each
// user's findings with their source and fix, notes (info findings) on one
// line, and drift since the previous audit.
func WriteTable(w io.Writer, r *Report) error {
	fmt.Fprintf(w, "Policy audit %s (policy %s) at %s\n\n", r.AuditID, r.Policy, r.At.UTC().Format("2006-01-02 15:04:05Z"))
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "ORG\tSCORE\tGRADE\tUSERS\tFINDINGS crit/high/med/low\tAPI REQUESTS")
	for _, o := range r.Orgs {
		if o.Error != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\tnot audited: %s\t-\n", o.Org, o.Error)
			continue
		}
		var fs []*warden.Finding
		for _, u := range o.Users {
			fs = append(fs, u.Findings...)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%d\n", o.Org, o.Score, o.Grade, len(o.Users), severityCounts(fs), o.Requests)
	}
	tw.Flush()
	for _, o := range r.Orgs {
		for _, u := range o.Users {
			fmt.Fprintf(w, "\n%s/%s  score %d (%s)  profile %s, licence %s\n", u.Org, u.Username, u.Score, u.Grade, orDash(u.Profile), orDash(u.Licence))
			var notes []string
			n := 0
			for _, f := range u.Findings {
				if f.Severity == warden.SeverityInfo {
					notes = append(notes, f.Rule)
					continue
				}
				n++
				fmt.Fprintf(w, "  %-8s  %s\n", f.Severity, f.Rule)
				fmt.Fprintf(w, "            evidence: %s\n", f.Evidence)
				if f.Source != "" {
					fmt.Fprintf(w, "            source:   %s\n", f.Source)
				}
				if f.Fix != "" {
					fmt.Fprintf(w, "            fix:      %s\n", f.Fix)
				}
			}
			if n == 0 {
				fmt.Fprintf(w, "  no findings\n")
			}
			if len(notes) > 0 {
				fmt.Fprintf(w, "  notes (info): %s (see --format json for their evidence)\n", strings.Join(notes, ", "))
			}
			writeDrift(w, u.Drift, u.Score)
			if u.Plan != nil {
				writePlan(w, u.Plan, "  ")
			}
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeDrift(w io.Writer, d *Drift, score int) {
	if d == nil {
		return
	}
	if d.Empty() && len(d.Changes) == 0 {
		fmt.Fprintf(w, "  drift: none since %s (%s)\n", d.PreviousAudit, d.PreviousAt.UTC().Format("2006-01-02 15:04Z"))
		return
	}
	fmt.Fprintf(w, "  drift since %s (%s): score %d -> %d\n", d.PreviousAudit, d.PreviousAt.UTC().Format("2006-01-02 15:04Z"), d.PreviousScore, score)
	for _, f := range d.New {
		fmt.Fprintf(w, "    new finding       %s %s: %s\n", f.Severity, f.Rule, f.Evidence)
	}
	for _, f := range d.Resolved {
		fmt.Fprintf(w, "    resolved finding  %s %s: %s\n", f.Severity, f.Rule, f.Evidence)
	}
	for _, g := range d.Gained {
		fmt.Fprintf(w, "    granted           %s\n", g)
	}
	for _, g := range d.Lost {
		fmt.Fprintf(w, "    revoked           %s\n", g)
	}
	for _, c := range d.Changes {
		fmt.Fprintf(w, "    changed           %s by %s (%s): %s\n", c.Time.UTC().Format("2006-01-02 15:04:05Z"), orDash(c.By), c.Action, c.Display)
	}
}

func writePlan(w io.Writer, p *Plan, indent string) {
	if p.Empty() {
		fmt.Fprintf(w, "%splan: no permission changes needed\n", indent)
	} else {
		fmt.Fprintf(w, "%splan: %d change(s)\n", indent, len(p.Changes))
		for i, c := range p.Changes {
			fmt.Fprintf(w, "%s  %d. %s\n", indent, i+1, c.Summary)
			fmt.Fprintf(w, "%s     %s\n", indent, c.Request())
		}
	}
	for _, pr := range p.Problems {
		fmt.Fprintf(w, "%s  cannot plan: %s\n", indent, pr)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "%s  check: %s\n", indent, n)
	}
	var manual []*warden.Finding
	for _, f := range p.Remaining {
		if f.Severity != warden.SeverityInfo {
			manual = append(manual, f)
		}
	}
	if len(manual) > 0 {
		fmt.Fprintf(w, "%s  left for a manual step:\n", indent)
		for _, f := range manual {
			fmt.Fprintf(w, "%s    %s %s: %s\n", indent, f.Severity, f.Rule, f.Fix)
		}
	}
}

// Request describes the REST call of a change: "PATCH
// /sobjects/PermissionSet/0PS... {"PermissionsModifyAllData":false}".
func (c *Change) Request() string {
	method := map[string]string{"create": "POST", "update": "PATCH", "delete": "DELETE"}[c.Op]
	path := "sobjects/" + c.Object
	if c.ID != "" {
		path += "/" + c.ID
	}
	if c.Fields == nil || c.Op == "delete" {
		return method + " " + path
	}
	b, _ := json.Marshal(c.Fields)
	return method + " " + path + " " + string(b)
}

// SARIF 2.1.0.

const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	infoURI      = "https://github.com/wardenhq/warden/blob/main/docs/policy.md"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool         `json:"tool"`
	AutomationDetails *sarifAutomation  `json:"automationDetails,omitempty"`
	Invocations       []sarifInvocation `json:"invocations"`
	Results           []sarifResult     `json:"results"`
	Properties        map[string]any    `json:"properties,omitempty"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool   `json:"executionSuccessful"`
	EndTimeUTC          string `json:"endTimeUtc"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	FullName        string      `json:"fullName"`
	Version         string      `json:"version"`
	InformationURI  string      `json:"informationUri"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	Rules           []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	HelpURI              string         `json:"helpUri"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLocation struct {
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(s warden.Severity) string {
	switch s {
	case warden.SeverityCritical, warden.SeverityHigh:
		return "error"
	case warden.SeverityMedium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score code scanning tools sort by.
func securitySeverity(s warden.Severity) string {
	return map[warden.Severity]string{warden.SeverityCritical: "9.5", warden.SeverityHigh: "8.0",
		warden.SeverityMedium: "5.5", warden.SeverityLow: "3.0", warden.SeverityInfo: "0.0"}[s]
}

// ruleName turns "permission.forbidden.ModifyAllData" into
// "PermissionForbiddenModifyAllData".
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '.' || r == '_' || r == '-' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// WriteSARIF writes the report as a SARIF 2.1.0 log: one run whose tool
// lists every rule evaluated (with its rationale as help) and one result
// per finding, located by logical location org/username.
func WriteSARIF(w io.Writer, r *Report, version string) error {
	ids := make([]string, 0, len(r.Rules))
	for id := range r.Rules {
		ids = append(ids, id)
	}
	for _, f := range r.Findings() {
		if _, ok := r.Rules[f.Rule]; !ok {
			ids = append(ids, f.Rule)
		}
	}
	sort.Strings(ids)
	index := map[string]int{}
	rules := []sarifRule{}
	for _, id := range ids {
		if _, dup := index[id]; dup {
			continue
		}
		ri := r.Rules[id]
		if ri.Title == "" {
			ri.Title = id
		}
		sev := ri.Severity
		if sev == "" {
			sev = warden.SeverityInfo
		}
		rat := ri.Rationale
		if rat == "" {
			rat = ri.Title + "."
		}
		index[id] = len(rules)
		rules = append(rules, sarifRule{ID: id, Name: ruleName(id), ShortDescription: sarifText{Text: ri.Title},
			FullDescription: sarifText{Text: rat}, Help: sarifText{Text: rat, Markdown: "**" + ri.Title + "**\n\n" + rat + "\n\nSee [Warden policy](" + infoURI + ")."},
			HelpURI: infoURI, DefaultConfiguration: sarifConfig{Level: sarifLevel(sev)},
			Properties: map[string]any{"tags": []string{"security", "salesforce", "least-privilege"}, "severity": string(sev), "security-severity": securitySeverity(sev)}})
	}
	results := []sarifResult{}
	for _, o := range r.Orgs {
		for _, u := range o.Users {
			for _, f := range u.Findings {
				msg := f.Evidence
				if f.Fix != "" {
					msg += " Fix: " + f.Fix
				}
				sum := sha256.Sum256([]byte(f.Org + "\x00" + strings.ToLower(f.Username) + "\x00" + findingKey(f)))
				props := map[string]any{"severity": string(f.Severity), "org": f.Org, "username": f.Username, "evidence": f.Evidence,
					"security-severity": securitySeverity(f.Severity), "score": u.Score}
				if f.Source != "" {
					props["source"] = f.Source
				}
				if f.Fix != "" {
					props["fix"] = f.Fix
				}
				results = append(results, sarifResult{RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevel(f.Severity),
					Message:             sarifText{Text: msg},
					Locations:           []sarifLocation{{LogicalLocations: []sarifLogical{{Name: f.Username, FullyQualifiedName: f.Org + "/" + f.Username, Kind: "resource"}}}},
					PartialFingerprints: map[string]string{"wardenFinding/v1": hex.EncodeToString(sum[:16])}, Properties: props})
			}
		}
	}
	orgs := map[string]any{}
	for _, o := range r.Orgs {
		orgs[o.Org] = map[string]any{"score": o.Score, "grade": o.Grade, "error": o.Error}
	}
	log := sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{{
		Tool: sarifTool{Driver: sarifDriver{Name: "Warden", FullName: "Warden least-privilege policy audit", Version: version,
			InformationURI: infoURI, Rules: rules}},
		AutomationDetails: &sarifAutomation{ID: "warden-audit/" + r.AuditID},
		Invocations:       []sarifInvocation{{ExecutionSuccessful: !r.Failed(), EndTimeUTC: r.At.UTC().Format(time.RFC3339)}},
		Results:           results,
		Properties:        map[string]any{"policy": r.Policy, "auditId": r.AuditID, "orgs": orgs},
	}}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// HTML.

var htmlReport = template.Must(template.New("report").Funcs(template.FuncMap{
	"time": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
	"counts": func(us []*UserReport) string {
		var fs []*warden.Finding
		for _, u := range us {
			fs = append(fs, u.Findings...)
		}
		return severityCounts(fs)
	},
	"gradeClass": func(g string) string { return strings.ToLower(strings.ReplaceAll(g, " ", "-")) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Warden policy audit {{.R.AuditID}}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1d1d1f;background:#fafafa}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;width:100%;background:#fff;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
th{background:#f0f0f0}.sev{font-weight:600;text-transform:uppercase;font-size:.75rem}
.critical{color:#fff;background:#8b0000}.high{color:#fff;background:#c62828}.medium{background:#f9a825}.low{background:#fff59d}.info{background:#e3f2fd}
.excellent,.very-good{color:#1b5e20}.good{color:#33691e}.poor{color:#e65100}.very-poor{color:#b71c1c}
.muted{color:#666;font-size:.85rem}code{font-size:.85rem}
</style>
</head>
<body>
<h1>Warden policy audit</h1>
<p class="muted">Audit {{.R.AuditID}} at {{time .R.At}} &middot; policy {{.R.Policy}} &middot; Warden {{.Version}}</p>
<table>
<tr><th>Org</th><th>Score</th><th>Grade</th><th>Users</th><th>Findings (critical/high/medium/low)</th><th>API requests</th></tr>
{{range .R.Orgs}}<tr><td>{{.Org}}</td>{{if .Error}}<td colspan="5">not audited: {{.Error}}</td>{{else}}<td>{{.Score}}</td><td class="{{gradeClass .Grade}}">{{.Grade}}</td><td>{{len .Users}}</td><td>{{counts .Users}}</td><td>{{.Requests}}</td>{{end}}</tr>
{{end}}</table>
{{range .R.Orgs}}{{range .Users}}
<h2>{{.Org}}/{{.Username}} &mdash; <span class="{{gradeClass .Grade}}">{{.Score}} ({{.Grade}})</span></h2>
<p class="muted">Profile {{.Profile}}, licence {{.Licence}}</p>
{{if .Findings}}<table>
<tr><th>Severity</th><th>Rule</th><th>Evidence</th><th>Source</th><th>Fix</th></tr>
{{range .Findings}}<tr><td class="sev {{.Severity}}">{{.Severity}}</td><td><code>{{.Rule}}</code></td><td>{{.Evidence}}</td><td>{{.Source}}</td><td>{{.Fix}}</td></tr>
{{end}}</table>{{else}}<p>No findings.</p>{{end}}
{{with .Drift}}<h3>Drift since {{.PreviousAudit}} ({{time .PreviousAt}}, score {{.PreviousScore}})</h3>
<ul>{{range .New}}<li>New finding: <code>{{.Rule}}</code> {{.Evidence}}</li>{{end}}
{{range .Resolved}}<li>Resolved: <code>{{.Rule}}</code> {{.Evidence}}</li>{{end}}
{{range .Gained}}<li>Granted: {{.}}</li>{{end}}
{{range .Lost}}<li>Revoked: {{.}}</li>{{end}}
{{range .Changes}}<li>{{time .Time}} by {{.By}} ({{.Action}}): {{.Display}}</li>{{end}}</ul>{{end}}
{{with .Plan}}{{if .Changes}}<h3>Fix plan</h3><ol>{{range .Changes}}<li>{{.Summary}}<br><code>{{.Request}}</code></li>{{end}}</ol>{{end}}{{end}}
{{end}}{{end}}
<h2>Rules</h2>
<table><tr><th>Rule</th><th>Title</th><th>Severity</th><th>Rationale</th></tr>
{{range .Rules}}<tr><td><code>{{.ID}}</code></td><td>{{.Title}}</td><td class="sev {{.Severity}}">{{.Severity}}</td><td>{{.Rationale}}</td></tr>
{{end}}</table>
</body>
</html>
`))

// WriteHTML writes the report as one self-contained HTML page (no
// external assets; every value escaped by html/template).
func WriteHTML(w io.Writer, r *Report, version string) error {
	rules := make([]RuleInfo, 0, len(r.Rules))
	for _, ri := range r.Rules {
		rules = append(rules, ri)
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	return htmlReport.Execute(w, struct {
		R       *Report
		Version string
		Rules   []RuleInfo
	}{r, version, rules})
}

// WritePlans writes each user's fix plan for people: numbered changes with
// their REST calls, what cannot be planned, and what is left for a manual
// step.
func WritePlans(w io.Writer, r *Report) {
	fmt.Fprintf(w, "Fix plan from audit %s (policy %s)\n", r.AuditID, r.Policy)
	for _, o := range r.Orgs {
		if o.Error != "" {
			fmt.Fprintf(w, "\n%s: not audited: %s\n", o.Org, o.Error)
			continue
		}
		for _, u := range o.Users {
			fmt.Fprintf(w, "\n%s/%s  score %d (%s)\n", u.Org, u.Username, u.Score, u.Grade)
			if u.Plan != nil {
				writePlan(w, u.Plan, "  ")
			}
		}
	}
}
