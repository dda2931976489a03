package policy

import (
	"math"

	"github.com/wardenhq/warden"
)

// Score weights: each scored check counts by its severity. Info rules are
// not scored.
var scoreWeights = map[warden.Severity]int{
	warden.SeverityCritical: 8,
	warden.SeverityHigh:     4,
	warden.SeverityMedium:   2,
	warden.SeverityLow:      1,
}

// scoreCaps bound the score by the most severe failed check, so that the
// grade never looks better than the worst finding allows.
var scoreCaps = map[warden.Severity]int{
	warden.SeverityCritical: 54, // Very Poor
	warden.SeverityHigh:     69, // Poor at best
	warden.SeverityMedium:   79, // Good at best
	warden.SeverityLow:      89, // Very Good at best
}

// Score computes a user's score from its checks, in the spirit of
// Salesforce Health Check:
//
//	score = round(100 × Σ weight(passed checks) / Σ weight(all checks))
//
// with weights critical 8, high 4, medium 2, low 1 (info rules are not
// scored), then capped by the most severe failed check: critical 54, high
// 69, medium 79, low 89. No scored check gives 100. The grade uses Health
// Check's bands (see Grade).
func Score(checks []Check) (int, string) {
	total, passed := 0, 0
	worst := -1
	for _, c := range checks {
		w := scoreWeights[c.Severity]
		total += w
		if c.Passed {
			passed += w
		} else if w > 0 && c.Severity.Rank() > worst {
			worst = c.Severity.Rank()
		}
	}
	s := 100
	if total > 0 {
		s = int(math.Round(100 * float64(passed) / float64(total)))
	}
	for sev, limit := range scoreCaps {
		if sev.Rank() == worst && s > limit {
			s = limit
		}
	}
	return s, Grade(s)
}

// Grade names a score with Salesforce Health Check's bands: 90-100
// Excellent, 80-89 Very Good, 70-79 Good, 55-69 Poor, 0-54 Very Poor.
func Grade(score int) string {
	switch {
	case score >= 90:
		return "Excellent"
	case score >= 80:
		return "Very Good"
	case score >= 70:
		return "Good"
	case score >= 55:
		return "Poor"
	}
	return "Very Poor"
}

// OrgScore is the mean of the org's user scores, rounded, capped like a
// user's score by the most severe finding in the org (so one user with
// Modify All Data makes the org Very Poor); 100 for an org without audited
// users.
func OrgScore(scores []int, findings []*warden.Finding) (int, string) {
	if len(scores) == 0 {
		return 100, Grade(100)
	}
	sum := 0
	for _, s := range scores {
		sum += s
	}
	s := int(math.Round(float64(sum) / float64(len(scores))))
	worst := -1
	for _, f := range findings {
		if scoreWeights[f.Severity] > 0 {
			worst = max(worst, f.Severity.Rank())
		}
	}
	for sev, limit := range scoreCaps {
		if sev.Rank() == worst && s > limit {
			s = limit
		}
	}
	return s, Grade(s)
}
