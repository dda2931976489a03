package warden

import (
	"context"
	"time"
)

// Severity ranks policy findings.
type Severity string

// Severities, lowest first.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Rank orders severities: info 0 ... critical 4; unknown -1.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 0
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	case SeverityCritical:
		return 4
	}
	return -1
}

// Finding is one policy violation found by an audit. Findings are appended
// per audit run, so drift is the difference between two runs.
type Finding struct {
	ID       int64    `json:"id"`
	AuditID  string   `json:"auditId"`
	Org      string   `json:"org"`
	Username string   `json:"username"`
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	// Evidence is what the audit saw.
	Evidence string `json:"evidence"`
	// Source is where the offending grant comes from ("profile Legacy
	// Integration (cloned admin)").
	Source  string    `json:"source,omitempty"`
	Fix     string    `json:"fix,omitempty"`
	FoundAt time.Time `json:"foundAt"`
}

// FindingFilter selects findings; empty fields match everything.
type FindingFilter struct {
	AuditID  string
	Org      string
	Username string
	Limit    int
}

// FindingService stores audit findings.
type FindingService interface {
	// AppendFindings records the findings of one audit run, which may be
	// empty: a clean audit is recorded too. Each finding gets its ID,
	// AuditID set to auditID, and FoundAt set to at when zero. A zero at
	// becomes the store's current time. Recording an audit id twice is an
	// ECONFLICT error.
	AppendFindings(ctx context.Context, auditID string, at time.Time, fs []*Finding) error
	// Findings returns matching findings, newest audit first, and within
	// an audit in the order they were recorded.
	Findings(ctx context.Context, f FindingFilter) ([]*Finding, error)
	// Audits returns recent audit runs with their finding counts, newest
	// first; limit 0 returns all.
	Audits(ctx context.Context, limit int) ([]AuditRun, error)
}

// AuditRun is one recorded audit.
type AuditRun struct {
	ID       string    `json:"id"`
	At       time.Time `json:"at"`
	Findings int       `json:"findings"`
}
