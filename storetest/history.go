package storetest

import (
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// healthKey names a result in order checks.
func healthKey(r *warden.HealthResult) string {
	return r.Org + "/" + r.Username + "@" + r.CheckedAt.Sub(stored(base)).String()
}

// healthTests are the tests of HealthService.
var healthTests = []test{
	{"RoundTrip", func(t *testing.T, s warden.Store) {
		checked := at(0)
		r := &warden.HealthResult{
			Org:       "acme",
			Username:  "billing@acme",
			State:     warden.StateError,
			Cause:     warden.CauseUserFrozen,
			Evidence:  "UserLogin.IsFrozen = true",
			Fix:       "Unfreeze the user in Setup > Users, then find out who froze it.",
			Warnings:  []string{"password expires in 7 days", "login hours end at 18:00"},
			CheckedAt: checked,
		}
		must(t, s.AppendHealth(t.Context(), r))
		if r.ID == 0 {
			t.Error("AppendHealth did not set ID")
		}
		if !r.CheckedAt.Equal(stored(checked)) {
			t.Errorf("CheckedAt = %v, want %v", r.CheckedAt, stored(checked))
		}
		checkNorm(t, "CheckedAt", r.CheckedAt)
		hist, err := s.HealthHistory(t.Context(), warden.HealthFilter{})
		must(t, err)
		diff(t, "HealthHistory", []*warden.HealthResult{r}, hist)
		latest, err := s.LatestHealth(t.Context(), warden.HealthFilter{})
		must(t, err)
		diff(t, "LatestHealth", []*warden.HealthResult{r}, latest)
	}},
	{"TimePrecision", func(t *testing.T, s warden.Store) {
		// 15:09:26.535897932 at UTC+2 must come back as 13:09:26.535897 UTC.
		r := addHealth(t, s, "acme", "a@acme", warden.StateOK, base)
		hist, err := s.HealthHistory(t.Context(), warden.HealthFilter{})
		must(t, err)
		got := hist[0].CheckedAt
		want := time.Date(2025, 3, 14, 13, 9, 26, 535897000, time.UTC)
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("CheckedAt read back = %v, want %v", got, want)
		}
		if got.Truncate(time.Millisecond) != base.UTC().Truncate(time.Millisecond) {
			t.Errorf("CheckedAt %v lost millisecond precision of %v", got, base)
		}
		if !r.CheckedAt.Equal(got) {
			t.Errorf("CheckedAt written back = %v, read back %v", r.CheckedAt, got)
		}
	}},
	{"ZeroTimeIsNow", func(t *testing.T, s warden.Store) {
		w := startWindow()
		r := addHealth(t, s, "acme", "a@acme", warden.StateUnknown, time.Time{})
		w.check(t, "CheckedAt", r.CheckedAt)
	}},
	{"EmptyWarnings", func(t *testing.T, s warden.Store) {
		must(t, s.AppendHealth(t.Context(), &warden.HealthResult{Org: "acme", Username: "a", State: warden.StateOK, CheckedAt: base, Warnings: []string{}}))
		hist, err := s.HealthHistory(t.Context(), warden.HealthFilter{})
		must(t, err)
		if hist[0].Warnings != nil {
			t.Errorf("Warnings = %#v, want nil", hist[0].Warnings)
		}
	}},
	{"IDsIncrease", func(t *testing.T, s warden.Store) {
		var last int64
		for i := range 5 {
			r := addHealth(t, s, "acme", "a@acme", warden.StateOK, at(-time.Duration(i)*time.Hour))
			if r.ID <= last {
				t.Errorf("result %d has ID %d, not above %d", i, r.ID, last)
			}
			last = r.ID
		}
	}},
	{"LatestPicksNewestPerUser", func(t *testing.T, s warden.Store) {
		h := time.Hour
		addHealth(t, s, "acme", "u1", warden.StateOK, at(1*h))
		u1 := addHealth(t, s, "acme", "u1", warden.StateError, at(3*h))
		addHealth(t, s, "acme", "u1", warden.StateDegraded, at(2*h)) // late arrival: older than the newest
		addHealth(t, s, "globex", "u1", warden.StateOK, at(1*h))
		g1 := addHealth(t, s, "globex", "u1", warden.StateError, at(4*h))
		addHealth(t, s, "acme", "u2", warden.StateOK, at(5*h))
		u2 := addHealth(t, s, "acme", "u2", warden.StateDegraded, at(5*h)) // same time: the later append wins
		a0 := addHealth(t, s, "acme", "a0", warden.StateUnknown, at(0))

		latest, err := s.LatestHealth(t.Context(), warden.HealthFilter{})
		must(t, err)
		diff(t, "LatestHealth", []*warden.HealthResult{a0, u1, u2, g1}, latest)

		for _, tc := range []struct {
			name string
			f    warden.HealthFilter
			want []*warden.HealthResult
		}{
			{"org", warden.HealthFilter{Org: "acme"}, []*warden.HealthResult{a0, u1, u2}},
			{"username", warden.HealthFilter{Username: "u1"}, []*warden.HealthResult{u1, g1}},
			{"org and username", warden.HealthFilter{Org: "globex", Username: "u1"}, []*warden.HealthResult{g1}},
			{"since", warden.HealthFilter{Since: at(3 * h)}, []*warden.HealthResult{u1, u2, g1}},
			{"since after all", warden.HealthFilter{Since: at(6 * h)}, nil},
			{"limit", warden.HealthFilter{Limit: 2}, []*warden.HealthResult{a0, u1}},
			{"org and limit", warden.HealthFilter{Org: "acme", Limit: 1}, []*warden.HealthResult{a0}},
			{"unknown user", warden.HealthFilter{Username: "nobody"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.LatestHealth(t.Context(), tc.f)
				must(t, err)
				if len(got) == 0 {
					got = nil
				}
				diff(t, "LatestHealth "+fmtFilter(tc.f), tc.want, got)
			})
		}
		_, err = s.LatestHealth(t.Context(), warden.HealthFilter{Limit: -1})
		wantKind(t, err, warden.EINVALID, "limit")
	}},
	{"HistoryNewestFirst", func(t *testing.T, s warden.Store) {
		h := time.Hour
		r1 := addHealth(t, s, "acme", "u1", warden.StateOK, at(1*h))
		r3 := addHealth(t, s, "acme", "u1", warden.StateOK, at(3*h))
		r2 := addHealth(t, s, "acme", "u1", warden.StateOK, at(2*h))
		r3b := addHealth(t, s, "acme", "u1", warden.StateError, at(3*h)) // tie: newer ID first
		o2 := addHealth(t, s, "acme", "u2", warden.StateOK, at(2*h))
		g4 := addHealth(t, s, "globex", "u1", warden.StateOK, at(4*h))
		for _, tc := range []struct {
			name string
			f    warden.HealthFilter
			want []*warden.HealthResult
		}{
			{"all", warden.HealthFilter{}, []*warden.HealthResult{g4, r3b, r3, o2, r2, r1}},
			{"user", warden.HealthFilter{Org: "acme", Username: "u1"}, []*warden.HealthResult{r3b, r3, r2, r1}},
			{"org", warden.HealthFilter{Org: "acme"}, []*warden.HealthResult{r3b, r3, o2, r2, r1}},
			{"username in any org", warden.HealthFilter{Username: "u1"}, []*warden.HealthResult{g4, r3b, r3, r2, r1}},
			{"limit", warden.HealthFilter{Org: "acme", Username: "u1", Limit: 2}, []*warden.HealthResult{r3b, r3}},
			{"since is inclusive", warden.HealthFilter{Org: "acme", Username: "u1", Since: at(2 * h)}, []*warden.HealthResult{r3b, r3, r2}},
			{"since a microsecond later", warden.HealthFilter{Org: "acme", Username: "u1", Since: stored(at(2 * h)).Add(time.Microsecond)}, []*warden.HealthResult{r3b, r3}},
			{"since and limit", warden.HealthFilter{Since: at(2 * h), Limit: 3}, []*warden.HealthResult{g4, r3b, r3}},
			{"nothing", warden.HealthFilter{Org: "initech"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.HealthHistory(t.Context(), tc.f)
				must(t, err)
				if len(got) == 0 {
					got = nil
				}
				diff(t, "HealthHistory "+fmtFilter(tc.f), names(tc.want, healthKey), names(got, healthKey))
				diff(t, "HealthHistory "+fmtFilter(tc.f), tc.want, got)
			})
		}
		_, err := s.HealthHistory(t.Context(), warden.HealthFilter{Limit: -5})
		wantKind(t, err, warden.EINVALID, "limit")
	}},
	{"Validation", func(t *testing.T, s warden.Store) {
		for _, tc := range []struct {
			name  string
			r     *warden.HealthResult
			field string
		}{
			{"nil", nil, "health result"},
			{"no org", &warden.HealthResult{Username: "u", State: warden.StateOK}, "org"},
			{"no username", &warden.HealthResult{Org: "acme", State: warden.StateOK}, "username"},
			{"no state", &warden.HealthResult{Org: "acme", Username: "u"}, "state"},
			{"bad state", &warden.HealthResult{Org: "acme", Username: "u", State: "sick"}, "state"},
			{"bad cause", &warden.HealthResult{Org: "acme", Username: "u", State: warden.StateError, Cause: "gremlins"}, "cause"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantKind(t, s.AppendHealth(t.Context(), tc.r), warden.EINVALID, tc.field)
			})
		}
		hist, err := s.HealthHistory(t.Context(), warden.HealthFilter{})
		must(t, err)
		if len(hist) != 0 {
			t.Errorf("invalid results were stored: %d", len(hist))
		}
	}},
}

// findingKey names a finding in order checks.
func findingKey(f *warden.Finding) string { return f.AuditID + "/" + f.Rule }

// findingTests are the tests of FindingService.
var findingTests = []test{
	{"RecordsAuditsAndFindings", func(t *testing.T, s warden.Store) {
		h := time.Hour
		a1 := []*warden.Finding{
			{Org: "acme", Username: "billing@acme", Rule: "no-modify-all-data", Severity: warden.SeverityCritical,
				Evidence: "Modify All Data granted", Source: "profile Legacy Integration (cloned admin)", Fix: "Clone Minimum Access - API Only Integrations", AuditID: "ignored"},
			{Org: "acme", Username: "gis@acme", Rule: "api-only", Severity: warden.SeverityMedium, Evidence: "API Only User is off", FoundAt: at(-h)},
		}
		a3 := []*warden.Finding{
			{Org: "globex", Username: "erp@globex", Rule: "login-ip-ranges", Severity: warden.SeverityHigh, Evidence: "no login IP ranges"},
		}
		must(t, s.AppendFindings(t.Context(), "a1", at(1*h), a1))
		must(t, s.AppendFindings(t.Context(), "a2", at(2*h), nil)) // a clean audit
		must(t, s.AppendFindings(t.Context(), "a3", at(3*h), a3))

		// AppendFindings fills in IDs, the audit id and default times.
		for i, f := range append(append([]*warden.Finding{}, a1...), a3...) {
			if f.ID == 0 {
				t.Errorf("finding %d (%s) has no ID", i, f.Rule)
			}
			checkNorm(t, "FoundAt", f.FoundAt)
		}
		if a1[0].AuditID != "a1" || !a1[0].FoundAt.Equal(stored(at(1*h))) {
			t.Errorf("first finding AuditID, FoundAt = %q, %v; want a1, %v", a1[0].AuditID, a1[0].FoundAt, stored(at(1*h)))
		}
		if !a1[1].FoundAt.Equal(stored(at(-h))) {
			t.Errorf("explicit FoundAt = %v, want %v kept", a1[1].FoundAt, stored(at(-h)))
		}

		runs, err := s.Audits(t.Context(), 0)
		must(t, err)
		diff(t, "Audits", []warden.AuditRun{
			{ID: "a3", At: stored(at(3 * h)), Findings: 1},
			{ID: "a2", At: stored(at(2 * h)), Findings: 0},
			{ID: "a1", At: stored(at(1 * h)), Findings: 2},
		}, runs)
		for _, r := range runs {
			checkNorm(t, "AuditRun.At", r.At)
		}
		runs, err = s.Audits(t.Context(), 2)
		must(t, err)
		diff(t, "Audits(2)", []string{"a3", "a2"}, names(runs, func(r warden.AuditRun) string { return r.ID }))

		all, err := s.Findings(t.Context(), warden.FindingFilter{})
		must(t, err)
		diff(t, "Findings", []*warden.Finding{a3[0], a1[0], a1[1]}, all)

		for _, tc := range []struct {
			f    warden.FindingFilter
			want []*warden.Finding
		}{
			{warden.FindingFilter{AuditID: "a1"}, a1},
			{warden.FindingFilter{AuditID: "a2"}, nil},
			{warden.FindingFilter{Org: "globex"}, a3},
			{warden.FindingFilter{Org: "acme", Username: "gis@acme"}, a1[1:]},
			{warden.FindingFilter{Username: "erp@globex"}, a3},
			{warden.FindingFilter{Limit: 2}, []*warden.Finding{a3[0], a1[0]}},
			{warden.FindingFilter{AuditID: "a1", Limit: 1}, a1[:1]},
			{warden.FindingFilter{AuditID: "nope"}, nil},
		} {
			got, err := s.Findings(t.Context(), tc.f)
			must(t, err)
			if len(got) == 0 {
				got = nil
			}
			diff(t, "Findings "+fmtFilter(tc.f), names(tc.want, findingKey), names(got, findingKey))
		}
	}},
	{"SameTimeAuditsInRecordOrder", func(t *testing.T, s warden.Store) {
		for _, id := range []string{"x", "b", "m"} {
			must(t, s.AppendFindings(t.Context(), id, at(0), []*warden.Finding{{Org: "acme", Rule: "r-" + id, Severity: warden.SeverityLow}}))
		}
		runs, err := s.Audits(t.Context(), 0)
		must(t, err)
		diff(t, "Audits", []string{"m", "b", "x"}, names(runs, func(r warden.AuditRun) string { return r.ID }))
		fs, err := s.Findings(t.Context(), warden.FindingFilter{})
		must(t, err)
		diff(t, "Findings", []string{"m/r-m", "b/r-b", "x/r-x"}, names(fs, findingKey))
	}},
	{"ZeroTimeIsNow", func(t *testing.T, s warden.Store) {
		f := &warden.Finding{Org: "acme", Rule: "r", Severity: warden.SeverityInfo}
		w := startWindow()
		must(t, s.AppendFindings(t.Context(), "a1", time.Time{}, []*warden.Finding{f}))
		w.check(t, "FoundAt", f.FoundAt)
		runs, err := s.Audits(t.Context(), 0)
		must(t, err)
		if len(runs) != 1 || !runs[0].At.Equal(f.FoundAt) {
			t.Errorf("Audits = %+v, want one run at %v", runs, f.FoundAt)
		}
	}},
	{"DuplicateAudit", func(t *testing.T, s warden.Store) {
		f := func() []*warden.Finding {
			return []*warden.Finding{{Org: "acme", Rule: "r", Severity: warden.SeverityLow}}
		}
		must(t, s.AppendFindings(t.Context(), "a1", at(0), f()))
		wantKind(t, s.AppendFindings(t.Context(), "a1", at(time.Hour), f()), warden.ECONFLICT, `"a1"`)
		wantKind(t, s.AppendFindings(t.Context(), "a1", at(time.Hour), nil), warden.ECONFLICT, `"a1"`)
		runs, err := s.Audits(t.Context(), 0)
		must(t, err)
		diff(t, "Audits", []warden.AuditRun{{ID: "a1", At: stored(at(0)), Findings: 1}}, runs)
	}},
	{"Validation", func(t *testing.T, s warden.Store) {
		ok := &warden.Finding{Org: "acme", Rule: "r", Severity: warden.SeverityLow}
		for _, tc := range []struct {
			name    string
			auditID string
			fs      []*warden.Finding
			field   string
		}{
			{"no audit id", "", nil, "id"},
			{"nil finding", "a1", []*warden.Finding{ok, nil}, "finding 1"},
			{"no org", "a1", []*warden.Finding{{Rule: "r", Severity: warden.SeverityLow}}, "org"},
			{"no rule", "a1", []*warden.Finding{{Org: "acme", Severity: warden.SeverityLow}}, "rule"},
			{"bad severity", "a1", []*warden.Finding{ok, {Org: "acme", Rule: "r", Severity: "urgent"}}, "severity"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantKind(t, s.AppendFindings(t.Context(), tc.auditID, at(0), tc.fs), warden.EINVALID, tc.field)
			})
		}
		runs, err := s.Audits(t.Context(), 0)
		must(t, err)
		if len(runs) != 0 {
			t.Errorf("invalid audits were recorded: %+v", runs)
		}
		_, err = s.Audits(t.Context(), -1)
		wantKind(t, err, warden.EINVALID, "limit")
		_, err = s.Findings(t.Context(), warden.FindingFilter{Limit: -1})
		wantKind(t, err, warden.EINVALID, "limit")
	}},
}

// rotationTests are the tests of RotationService.
var rotationTests = []test{
	{"AppendAndList", func(t *testing.T, s warden.Store) {
		m := time.Minute
		rec := func(rotation, cred, step string, when time.Time) *warden.RotationRecord {
			r := &warden.RotationRecord{RotationID: rotation, Credential: cred, Step: step, At: when}
			must(t, s.AppendRotation(t.Context(), r))
			return r
		}
		started := &warden.RotationRecord{RotationID: "rot-1", Credential: "billing-jwt", Step: "started", SecretVersion: "v7", Detail: "scheduled rotation", At: at(0)}
		must(t, s.AppendRotation(t.Context(), started))
		if started.ID == 0 {
			t.Error("AppendRotation did not set ID")
		}
		if !started.At.Equal(stored(at(0))) {
			t.Errorf("At = %v, want %v", started.At, stored(at(0)))
		}
		checkNorm(t, "At", started.At)
		staged := rec("rot-1", "billing-jwt", "staged", at(1*m))
		other := rec("rot-2", "gis-cc", "started", at(2*m))
		verified := rec("rot-1", "billing-jwt", "verified", at(3*m))
		verified2 := rec("rot-1", "billing-jwt", "propagated", at(3*m)) // tie: newer ID first
		late := rec("rot-0", "billing-jwt", "completed", at(-m))        // recorded late, older

		all, err := s.Rotations(t.Context(), "", 0)
		must(t, err)
		diff(t, "Rotations", []*warden.RotationRecord{verified2, verified, other, staged, started, late}, all)
		billing, err := s.Rotations(t.Context(), "billing-jwt", 0)
		must(t, err)
		diff(t, "Rotations billing-jwt", []*warden.RotationRecord{verified2, verified, staged, started, late}, billing)
		limited, err := s.Rotations(t.Context(), "billing-jwt", 2)
		must(t, err)
		diff(t, "Rotations billing-jwt limit 2", []*warden.RotationRecord{verified2, verified}, limited)
		none, err := s.Rotations(t.Context(), "nope", 0)
		must(t, err)
		if len(none) != 0 {
			t.Errorf("Rotations of an unknown credential = %d records", len(none))
		}
		_, err = s.Rotations(t.Context(), "", -1)
		wantKind(t, err, warden.EINVALID, "limit")
	}},
	{"ZeroTimeIsNow", func(t *testing.T, s warden.Store) {
		r := &warden.RotationRecord{RotationID: "rot-1", Credential: "c", Step: "started"}
		w := startWindow()
		must(t, s.AppendRotation(t.Context(), r))
		w.check(t, "At", r.At)
	}},
	{"Validation", func(t *testing.T, s warden.Store) {
		for _, tc := range []struct {
			name  string
			r     *warden.RotationRecord
			field string
		}{
			{"nil", nil, "rotation"},
			{"no rotation id", &warden.RotationRecord{Credential: "c", Step: "started"}, "rotationId"},
			{"no credential", &warden.RotationRecord{RotationID: "r", Step: "started"}, "credential"},
			{"no step", &warden.RotationRecord{RotationID: "r", Credential: "c"}, "step"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantKind(t, s.AppendRotation(t.Context(), tc.r), warden.EINVALID, tc.field)
			})
		}
	}},
}

// pruneTests are the tests of Prune.
var pruneTests = []test{
	{"DeletesOldHistory", func(t *testing.T, s warden.Store) {
		const day = 24 * time.Hour
		now := at(0)
		addHealth(t, s, "acme", "u1", warden.StateOK, now.Add(-10*day))
		addHealth(t, s, "acme", "u1", warden.StateOK, now.Add(-8*day))
		edge := addHealth(t, s, "acme", "u1", warden.StateOK, now.Add(-7*day)) // exactly at the cut-off: kept
		u1 := addHealth(t, s, "acme", "u1", warden.StateError, now.Add(-time.Hour))
		addHealth(t, s, "acme", "u2", warden.StateOK, now.Add(-9*day)) // u2 has only old results
		finding := func(rule string) *warden.Finding {
			return &warden.Finding{Org: "acme", Rule: rule, Severity: warden.SeverityLow}
		}
		must(t, s.AppendFindings(t.Context(), "old", now.Add(-40*day), []*warden.Finding{finding("r1"), finding("r2")}))
		must(t, s.AppendFindings(t.Context(), "old-clean", now.Add(-35*day), nil))
		must(t, s.AppendFindings(t.Context(), "new", now.Add(-day), []*warden.Finding{finding("r3")}))
		for i, when := range []time.Time{now.Add(-100 * day), now.Add(-31 * day), now.Add(-day)} {
			must(t, s.AppendRotation(t.Context(), &warden.RotationRecord{RotationID: "rot", Credential: "c", Step: "step" + string(rune('a'+i)), At: when}))
		}

		// Zero retention keeps everything.
		n, err := s.Prune(t.Context(), warden.Retention{}, now)
		must(t, err)
		if n != 0 {
			t.Errorf("Prune with zero retention removed %d rows, want 0", n)
		}

		// Health only.
		n, err = s.Prune(t.Context(), warden.Retention{Health: 7 * day}, now)
		must(t, err)
		if n != 3 {
			t.Errorf("Prune health removed %d rows, want 3", n)
		}
		hist, err := s.HealthHistory(t.Context(), warden.HealthFilter{})
		must(t, err)
		diff(t, "HealthHistory after prune", []*warden.HealthResult{u1, edge}, hist)
		latest, err := s.LatestHealth(t.Context(), warden.HealthFilter{})
		must(t, err)
		diff(t, "LatestHealth after prune", []*warden.HealthResult{u1}, latest)
		runs, err := s.Audits(t.Context(), 0)
		must(t, err)
		if len(runs) != 3 {
			t.Errorf("health prune touched audits: %d left, want 3", len(runs))
		}

		// Findings and rotations together: 2 findings + 2 audit runs + 2 records.
		n, err = s.Prune(t.Context(), warden.Retention{Health: 7 * day, Findings: 30 * day, Rotations: 30 * day}, now)
		must(t, err)
		if n != 6 {
			t.Errorf("Prune findings and rotations removed %d rows, want 6", n)
		}
		runs, err = s.Audits(t.Context(), 0)
		must(t, err)
		diff(t, "Audits after prune", []warden.AuditRun{{ID: "new", At: stored(now.Add(-day)), Findings: 1}}, runs)
		fs, err := s.Findings(t.Context(), warden.FindingFilter{})
		must(t, err)
		diff(t, "Findings after prune", []string{"new/r3"}, names(fs, findingKey))
		rots, err := s.Rotations(t.Context(), "", 0)
		must(t, err)
		diff(t, "Rotations after prune", []string{"stepc"}, names(rots, func(r *warden.RotationRecord) string { return r.Step }))

		// Nothing left to prune; a later now prunes the rest.
		n, err = s.Prune(t.Context(), warden.Retention{Health: 7 * day, Findings: 30 * day, Rotations: 30 * day}, now)
		must(t, err)
		if n != 0 {
			t.Errorf("second Prune removed %d rows, want 0", n)
		}
		n, err = s.Prune(t.Context(), warden.Retention{Health: time.Minute, Findings: time.Minute, Rotations: time.Minute}, now.Add(365*day))
		must(t, err)
		if n != 5 {
			t.Errorf("Prune of everything removed %d rows, want 5", n)
		}
		latest, err = s.LatestHealth(t.Context(), warden.HealthFilter{})
		must(t, err)
		if len(latest) != 0 {
			t.Errorf("LatestHealth after pruning everything = %d results", len(latest))
		}
		// A result appended after the prune becomes the latest again.
		r := addHealth(t, s, "acme", "u1", warden.StateOK, now.Add(-30*day))
		latest, err = s.LatestHealth(t.Context(), warden.HealthFilter{})
		must(t, err)
		diff(t, "LatestHealth after a new result", []*warden.HealthResult{r}, latest)
	}},
	{"NegativeRetention", func(t *testing.T, s warden.Store) {
		addHealth(t, s, "acme", "u1", warden.StateOK, at(0))
		_, err := s.Prune(t.Context(), warden.Retention{Health: -time.Hour}, at(0))
		wantKind(t, err, warden.EINVALID, "retention")
		hist, err := s.HealthHistory(t.Context(), warden.HealthFilter{})
		must(t, err)
		if len(hist) != 1 {
			t.Errorf("negative retention removed history: %d left", len(hist))
		}
	}},
}
