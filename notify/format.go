package notify

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardenhq/warden"
)

// isRecovery reports whether a announces that an earlier problem cleared.
// An alert in state ok is always a recovery: there is no problem to report.
func isRecovery(a *warden.Alert) bool {
	return a.Resolved || a.State == warden.StateOK
}

// stateLabel is the word that leads every message: RECOVERED for
// recoveries, else the state in capitals (ERROR, DEGRADED, UNKNOWN).
func stateLabel(a *warden.Alert) string {
	if isRecovery(a) {
		return "RECOVERED"
	}
	if a.State == "" {
		return "ALERT"
	}
	return strings.ToUpper(singleLine(string(a.State)))
}

// subjectUser names the integration user an alert is about.
func subjectUser(a *warden.Alert) string {
	switch {
	case a.Username != "":
		return singleLine(a.Username)
	case a.Key != "":
		return singleLine(a.Key)
	}
	return "(unknown user)"
}

// headline is the one-line title of an alert:
// "ERROR: gis@acme.example (user_frozen)" or
// "RECOVERED: gis@acme.example (user_frozen)".
func headline(a *warden.Alert) string {
	s := stateLabel(a) + ": " + subjectUser(a)
	if a.Cause != warden.CauseNone {
		s += " (" + singleLine(string(a.Cause)) + ")"
	}
	return s
}

// alertKey is the deduplication key of a: its Key, or org/username.
func alertKey(a *warden.Alert) string {
	if a.Key != "" {
		return a.Key
	}
	return a.Org + "/" + a.Username
}

// effectiveSeverity is a's severity, derived from its state when the alert
// carries none: error is high, degraded medium, unknown low, ok info.
func effectiveSeverity(a *warden.Alert) warden.Severity {
	if a.Severity.Rank() >= 0 {
		return a.Severity
	}
	if isRecovery(a) {
		return warden.SeverityInfo
	}
	return a.State.Severity()
}

// teamLabel names an owner team the way messages do: "Team Billing". An
// owner already called "Team ..." is not prefixed twice.
func teamLabel(owner string) string {
	owner = singleLine(strings.TrimSpace(owner))
	switch {
	case owner == "":
		return "No owner"
	case len(owner) >= 5 && strings.EqualFold(owner[:5], "team "):
		return owner
	}
	return "Team " + owner
}

// ownerGroup is one owner team with the affected applications it owns.
type ownerGroup struct {
	Owner    string
	Apps     []string
	Contacts []string // "Invoice Sync: billing@acme.example"
}

// groupDependents groups a's dependents by owner, in order of first
// appearance.
func groupDependents(a *warden.Alert) []ownerGroup {
	var groups []ownerGroup
	index := map[string]int{}
	for _, d := range a.Dependents {
		name := singleLine(strings.TrimSpace(d.Name))
		if name == "" {
			continue
		}
		owner := strings.TrimSpace(d.Owner)
		i, ok := index[strings.ToLower(owner)]
		if !ok {
			i = len(groups)
			index[strings.ToLower(owner)] = i
			groups = append(groups, ownerGroup{Owner: owner})
		}
		groups[i].Apps = append(groups[i].Apps, name)
		if c := singleLine(strings.TrimSpace(d.Contact)); c != "" {
			groups[i].Contacts = append(groups[i].Contacts, name+": "+c)
		}
	}
	return groups
}

// dependentLines names each owner team with its affected applications:
// "Team Billing: Invoice Sync, AR Export".
func dependentLines(a *warden.Alert) []string {
	groups := groupDependents(a)
	lines := make([]string, 0, len(groups))
	for _, g := range groups {
		lines = append(lines, teamLabel(g.Owner)+": "+strings.Join(g.Apps, ", "))
	}
	return lines
}

// contactLines lists the contacts given for affected applications.
func contactLines(a *warden.Alert) []string {
	var lines []string
	for _, g := range groupDependents(a) {
		lines = append(lines, g.Contacts...)
	}
	return lines
}

// stateChange describes the transition: "ok → error", or the state alone.
func stateChange(a *warden.Alert) string {
	if a.Previous != "" && a.Previous != a.State {
		return string(a.Previous) + " → " + string(a.State)
	}
	return string(a.State)
}

// alertTime is when the alert happened, falling back to now.
func alertTime(a *warden.Alert, now func() time.Time) time.Time {
	if !a.At.IsZero() {
		return a.At
	}
	return now()
}

// recoveryText says what a recovery means, naming the cleared cause.
func recoveryText(a *warden.Alert) string {
	if a.Cause != warden.CauseNone {
		return "The earlier problem (" + string(a.Cause) + ") has cleared; the integration user works again."
	}
	return "The earlier problem has cleared; the integration user works again."
}

// singleLine replaces line breaks and other control characters with
// spaces, for titles, headers and table cells.
func singleLine(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, isControl), " ")
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 }

// truncate shortens s to at most n runes, marking the cut with an
// ellipsis. It never splits a UTF-8 sequence.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	i, count := 0, 0
	for i = range s {
		if count == n-1 {
			break
		}
		count++
	}
	return strings.ToValidUTF8(s[:i], "") + "…"
}
