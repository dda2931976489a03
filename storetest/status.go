package storetest

import (
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// statusKey identifies a status in test messages.
func statusKey(u *warden.UserStatus) string { return u.Org + "/" + u.Username }

// unknownStatus is the status of a user that has none stored.
func unknownStatus(org, username string) *warden.UserStatus {
	return &warden.UserStatus{Org: org, Username: username, State: warden.StateUnknown}
}

// statuses returns the statuses f selects, failing the test on error.
func statuses(t *testing.T, s warden.Store, f warden.StatusFilter) []*warden.UserStatus {
	t.Helper()
	got, err := s.Statuses(t.Context(), f)
	must(t, err)
	return got
}

// statusTests are the tests of StatusService.
var statusTests = []test{
	{"NoStatusIsUnknown", func(t *testing.T, s warden.Store) {
		diff(t, "Statuses of an empty store", []*warden.UserStatus(nil), statuses(t, s, warden.StatusFilter{}))
		addOrg(t, s, "acme")
		addUser(t, s, "acme", "a@acme", "")
		addUser(t, s, "acme", "b@acme", "")
		must(t, s.PutStatuses(t.Context(), "acme", at(0), nil))
		diff(t, "Statuses after a sweep without changes",
			[]*warden.UserStatus{unknownStatus("acme", "a@acme"), unknownStatus("acme", "b@acme")},
			statuses(t, s, warden.StatusFilter{}))
	}},
	{"RoundTrip", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		addUser(t, s, "acme", "billing@acme", "")
		addUser(t, s, "acme", "gis@acme", "")
		put := &warden.UserStatus{
			Org:                 "acme",
			Username:            "billing@acme",
			State:               warden.StateError,
			Cause:               warden.CausePasswordExpired,
			Since:               at(-time.Hour),
			Fix:                 "Reset the password of billing@acme.",
			Evidence:            "LoginHistory: Failed: Password Expired",
			Warnings:            []string{"password expires in 3 days", "near the login limit"},
			CheckedAt:           at(-48 * time.Hour), // ignored: the sweep time counts
			CredentialCheckedAt: at(-30 * time.Minute),
			NextCredentialCheck: at(15 * time.Minute),
		}
		must(t, s.PutStatuses(t.Context(), "acme", at(0), []*warden.UserStatus{put}))
		want := []*warden.UserStatus{{
			Org:                 "acme",
			Username:            "billing@acme",
			State:               warden.StateError,
			Cause:               warden.CausePasswordExpired,
			Since:               stored(at(-time.Hour)),
			Fix:                 put.Fix,
			Evidence:            put.Evidence,
			Warnings:            put.Warnings,
			CheckedAt:           stored(at(0)),
			CredentialCheckedAt: stored(at(-30 * time.Minute)),
			NextCredentialCheck: stored(at(15 * time.Minute)),
		}, unknownStatus("acme", "gis@acme")}
		got := statuses(t, s, warden.StatusFilter{})
		diff(t, "Statuses", want, got)
		for _, u := range got {
			checkNorm(t, "Since", u.Since)
			checkNorm(t, "CheckedAt", u.CheckedAt)
			checkNorm(t, "CredentialCheckedAt", u.CredentialCheckedAt)
		}
	}},
	{"SweepWithoutChangesMovesCheckedAt", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		addOrg(t, s, "globex")
		addUser(t, s, "acme", "a@acme", "")
		addUser(t, s, "globex", "b@globex", "")
		ok := func(org, username string) *warden.UserStatus {
			return &warden.UserStatus{Org: org, Username: username, State: warden.StateOK, Since: at(0)}
		}
		must(t, s.PutStatuses(t.Context(), "acme", at(0), []*warden.UserStatus{ok("acme", "a@acme")}))
		must(t, s.PutStatuses(t.Context(), "globex", at(0), []*warden.UserStatus{ok("globex", "b@globex")}))
		must(t, s.PutStatuses(t.Context(), "acme", at(time.Minute), nil))
		for _, tc := range []struct {
			key  string
			want time.Time
		}{
			{"acme/a@acme", stored(at(time.Minute))},
			{"globex/b@globex", stored(at(0))},
		} {
			for _, u := range statuses(t, s, warden.StatusFilter{}) {
				if statusKey(u) != tc.key {
					continue
				}
				if !u.CheckedAt.Equal(tc.want) || u.State != warden.StateOK || !u.Since.Equal(stored(at(0))) {
					t.Errorf("%s: CheckedAt, State, Since = %v, %s, %v; want %v, ok, %v", tc.key, u.CheckedAt, u.State, u.Since, tc.want, stored(at(0)))
				}
			}
		}
	}},
	{"ZeroSweptAtIsNow", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		addUser(t, s, "acme", "a@acme", "")
		w := startWindow()
		must(t, s.PutStatuses(t.Context(), "acme", time.Time{}, []*warden.UserStatus{{Org: "acme", Username: "a@acme", State: warden.StateOK}}))
		got := statuses(t, s, warden.StatusFilter{})
		if len(got) != 1 {
			t.Fatalf("Statuses = %d, want 1", len(got))
		}
		w.check(t, "CheckedAt", got[0].CheckedAt)
	}},
	{"ChangedReplaces", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		addUser(t, s, "acme", "a@acme", "")
		first := &warden.UserStatus{
			Org: "acme", Username: "a@acme", State: warden.StateDegraded, Cause: warden.CauseLoginRateExceeded,
			Since: at(0), Fix: "wait", Evidence: "3,590 logins in the last hour", Warnings: []string{"w"},
			CredentialCheckedAt: at(0), NextCredentialCheck: at(time.Hour),
		}
		must(t, s.PutStatuses(t.Context(), "acme", at(0), []*warden.UserStatus{first}))
		second := &warden.UserStatus{Org: "acme", Username: "a@acme", State: warden.StateOK, Since: at(time.Minute)}
		must(t, s.PutStatuses(t.Context(), "acme", at(time.Minute), []*warden.UserStatus{second}))
		diff(t, "Statuses after a change", []*warden.UserStatus{{
			Org: "acme", Username: "a@acme", State: warden.StateOK,
			Since: stored(at(time.Minute)), CheckedAt: stored(at(time.Minute)),
		}}, statuses(t, s, warden.StatusFilter{}))
	}},
	{"FilterAndOrder", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "globex")
		addOrg(t, s, "acme")
		addUser(t, s, "globex", "a@acme", "") // the same username in another org
		addUser(t, s, "acme", "z@acme", "")
		addUser(t, s, "acme", "a@acme", "")
		must(t, s.PutStatuses(t.Context(), "acme", at(0), []*warden.UserStatus{{Org: "acme", Username: "z@acme", State: warden.StateOK}}))
		for _, tc := range []struct {
			f    warden.StatusFilter
			want []string
		}{
			{warden.StatusFilter{}, []string{"acme/a@acme", "acme/z@acme", "globex/a@acme"}},
			{warden.StatusFilter{Org: "acme"}, []string{"acme/a@acme", "acme/z@acme"}},
			{warden.StatusFilter{Username: "a@acme"}, []string{"acme/a@acme", "globex/a@acme"}},
			{warden.StatusFilter{Org: "acme", Username: "z@acme"}, []string{"acme/z@acme"}},
			{warden.StatusFilter{Org: "globex", Username: "z@acme"}, []string{}},
			{warden.StatusFilter{Org: "initech"}, []string{}},
		} {
			diff(t, "Statuses "+fmtFilter(tc.f), tc.want, names(statuses(t, s, tc.f), statusKey))
		}
	}},
	{"DeleteRemovesStatus", func(t *testing.T, s warden.Store) {
		for _, tc := range []struct {
			name   string
			delete func(warden.Store) error
		}{
			{"user", func(s warden.Store) error { return s.DeleteUser(t.Context(), "acme", "a@acme") }},
			{"org", func(s warden.Store) error { return s.DeleteOrg(t.Context(), "acme") }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				addOrg(t, s, "acme")
				addUser(t, s, "acme", "a@acme", "")
				addUser(t, s, "acme", "b@acme", "")
				must(t, s.PutStatuses(t.Context(), "acme", at(0), []*warden.UserStatus{
					{Org: "acme", Username: "a@acme", State: warden.StateError, Cause: warden.CauseUserFrozen, Since: at(0)},
				}))
				must(t, tc.delete(s))
				addOrg(t, s, "acme")
				addUser(t, s, "acme", "a@acme", "")
				diff(t, "Statuses of the user added again", []*warden.UserStatus{unknownStatus("acme", "a@acme")},
					statuses(t, s, warden.StatusFilter{Username: "a@acme"}))
				must(t, s.DeleteOrg(t.Context(), "acme"))
			})
		}
	}},
	{"Errors", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		addUser(t, s, "acme", "a@acme", "")
		must(t, s.PutStatuses(t.Context(), "acme", at(0), []*warden.UserStatus{{Org: "acme", Username: "a@acme", State: warden.StateOK}}))
		frozen := &warden.UserStatus{Org: "acme", Username: "a@acme", State: warden.StateError, Cause: warden.CauseUserFrozen}
		for _, tc := range []struct {
			name    string
			org     string
			changed []*warden.UserStatus
			kind    string
			parts   []string
		}{
			{"no org", "", nil, warden.EINVALID, []string{"org"}},
			{"missing org", "ghost", nil, warden.ENOTFOUND, []string{`org "ghost" not found`}},
			{"missing org with changes", "ghost", []*warden.UserStatus{{Org: "ghost", Username: "a@ghost", State: warden.StateOK}}, warden.ENOTFOUND, []string{`org "ghost" not found`}},
			{"missing user", "acme", []*warden.UserStatus{frozen, {Org: "acme", Username: "nope@acme", State: warden.StateOK}}, warden.ENOTFOUND, []string{`"nope@acme"`, "not found"}},
			{"nil status", "acme", []*warden.UserStatus{frozen, nil}, warden.EINVALID, []string{"nil"}},
			{"other org", "acme", []*warden.UserStatus{{Org: "globex", Username: "a@acme", State: warden.StateOK}}, warden.EINVALID, []string{`"globex"`}},
			{"no username", "acme", []*warden.UserStatus{{Org: "acme", State: warden.StateOK}}, warden.EINVALID, []string{"username"}},
			{"bad state", "acme", []*warden.UserStatus{{Org: "acme", Username: "a@acme", State: "sick"}}, warden.EINVALID, []string{"state", `"sick"`}},
			{"bad cause", "acme", []*warden.UserStatus{{Org: "acme", Username: "a@acme", State: warden.StateError, Cause: "gremlins"}}, warden.EINVALID, []string{"cause", `"gremlins"`}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantKind(t, s.PutStatuses(t.Context(), tc.org, at(time.Hour), tc.changed), tc.kind, tc.parts...)
			})
		}
		// A failed sweep changes nothing: it is one transaction.
		diff(t, "Statuses after failed sweeps", []*warden.UserStatus{{
			Org: "acme", Username: "a@acme", State: warden.StateOK, CheckedAt: stored(at(0)),
		}}, statuses(t, s, warden.StatusFilter{}))
	}},
}
