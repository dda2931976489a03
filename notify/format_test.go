package notify

import (
	"slices"
	"testing"

	"github.com/wardenhq/warden"
)

func TestHeadline(t *testing.T) {
	tests := []struct {
		a    warden.Alert
		want string
	}{
		{warden.Alert{Username: "gis@acme.example", State: warden.StateError, Cause: warden.CauseUserFrozen}, "ERROR: gis@acme.example (user_frozen)"},
		{warden.Alert{Username: "u", State: warden.StateDegraded, Cause: warden.CauseLoginRateExceeded}, "DEGRADED: u (login_rate_exceeded)"},
		{warden.Alert{Username: "u", State: warden.StateUnknown}, "UNKNOWN: u"},
		{warden.Alert{Username: "u", State: warden.StateOK, Cause: warden.CauseUserFrozen}, "RECOVERED: u (user_frozen)"},
		{warden.Alert{Username: "u", State: warden.StateError, Resolved: true}, "RECOVERED: u"},
		{warden.Alert{Key: "acme/u", State: warden.StateError}, "ERROR: acme/u"},
		{warden.Alert{State: warden.StateError}, "ERROR: (unknown user)"},
		{warden.Alert{Username: "a\nb", State: "weird\r\nstate"}, "WEIRD STATE: a b"},
	}
	for _, tt := range tests {
		if got := headline(&tt.a); got != tt.want {
			t.Errorf("headline(%+v) = %q, want %q", tt.a, got, tt.want)
		}
	}
}

func TestDependentLines(t *testing.T) {
	a := &warden.Alert{Dependents: []warden.AffectedApp{
		{Name: "Invoice Sync", Owner: "Billing", Contact: "billing@acme.example"},
		{Name: "Map Sync", Owner: "GIS"},
		{Name: "AR Export", Owner: "billing"},
		{Name: "Cron Job"},
		{Name: "", Owner: "Ghost"},
		{Name: "Dashboards", Owner: "Team Data"},
	}}
	want := []string{"Team Billing: Invoice Sync, AR Export", "Team GIS: Map Sync", "No owner: Cron Job", "Team Data: Dashboards"}
	if got := dependentLines(a); !slices.Equal(got, want) {
		t.Errorf("dependentLines = %q, want %q", got, want)
	}
	if got := contactLines(a); !slices.Equal(got, []string{"Invoice Sync: billing@acme.example"}) {
		t.Errorf("contactLines = %q", got)
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"too long", 5, "too …"},
		{"größer", 4, "grö…"},
		{"✓✓✓", 1, "…"},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestEffectiveSeverity(t *testing.T) {
	tests := []struct {
		a    warden.Alert
		want warden.Severity
	}{
		{warden.Alert{Severity: warden.SeverityLow, State: warden.StateError}, warden.SeverityLow},
		{warden.Alert{State: warden.StateError}, warden.SeverityHigh},
		{warden.Alert{State: warden.StateDegraded}, warden.SeverityMedium},
		{warden.Alert{State: warden.StateUnknown}, warden.SeverityLow},
		{warden.Alert{State: warden.StateOK}, warden.SeverityInfo},
		{warden.Alert{Severity: "bogus", State: warden.StateError, Resolved: true}, warden.SeverityInfo},
	}
	for _, tt := range tests {
		if got := effectiveSeverity(&tt.a); got != tt.want {
			t.Errorf("effectiveSeverity(%+v) = %q, want %q", tt.a, got, tt.want)
		}
	}
}
