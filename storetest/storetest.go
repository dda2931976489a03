// Package storetest is the conformance suite for warden.Store. Every
// implementation (sqlite, postgres) runs Run from its own tests and must
// pass it unchanged, so the implementations agree on ordering, filters,
// error kinds, upsert semantics, cascades and time precision.
//
// The suite also pins the choices the warden.Store interface leaves open:
//
//   - The store stamps CreatedAt and UpdatedAt with its own clock; an upsert
//     keeps the CreatedAt of an existing row, sets UpdatedAt, and writes both
//     back into the value passed in. History records with a zero time get
//     the store's current time.
//   - Times come back in UTC, truncated to the microsecond.
//   - Empty lists (Reasons, Contacts, Objects, Warnings) come back nil.
//   - Writing a user, credential or dependent whose org or user does not
//     exist is an ENOTFOUND error naming the missing one.
//   - Deleting an org deletes its users, credentials and dependents;
//     deleting a user deletes its dependents; history is kept until pruned.
//   - LatestHealth returns each user's newest result by CheckedAt (then
//     ID), ordered by org and username; Limit keeps the first Limit users.
//   - Findings come newest audit first and, within an audit, in the order
//     they were recorded. Recording an audit id twice is ECONFLICT.
//   - Prune counts every row it deletes: health results, findings, audit
//     runs and rotation records.
//   - Statuses lists every user of the inventory, a user without a stored
//     status as StateUnknown with zero times; deleting a user or its org
//     deletes its status. A zero sweep time is the store's current time.
//   - A negative limit or retention is EINVALID.
//   - SetDeclared replaces the whole declared set; Declared lists it by
//     kind, org and name, whether or not the items still exist.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardenhq/warden"
)

// Run runs the conformance suite against the stores open returns.
//
// open must return a new, empty store for the test it is given, and
// arrange with t.Cleanup for anything beyond the store (a temporary
// database or directory) to be removed when that test ends; Run closes the
// store itself. Subtests run in parallel, each with its own store. The
// store must keep its default clock (the current time): the suite checks
// that timestamps fall between the times taken before and after a call.
func Run(t *testing.T, open func(t *testing.T) warden.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Org", orgTests},
		{"User", userTests},
		{"Credential", credentialTests},
		{"Dependent", dependentTests},
		{"Owner", ownerTests},
		{"Declared", declaredTests},
		{"BrokerKey", brokerKeyTests},
		{"Health", healthTests},
		{"Finding", findingTests},
		{"Rotation", rotationTests},
		{"RotationJob", rotationJobTests},
		{"Delivery", deliveryTests},
		{"Alert", alertTests},
		{"Status", statusTests},
		{"Access", accessTests},
		{"Activity", activityTests},
		{"Prune", pruneTests},
		{"Store", storeTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					s := open(t)
					t.Cleanup(func() {
						if err := s.Close(); err != nil {
							t.Errorf("Close: %v", err)
						}
					})
					tt.run(t, s)
				})
			}
		})
	}
}

// test is one conformance test, run against a new, empty store.
type test struct {
	name string
	run  func(t *testing.T, s warden.Store)
}

// window records the time before a store call, so that the times the store
// stamps can be checked against the time after it.
type window struct{ before time.Time }

// startWindow starts a window at the current time.
func startWindow() window { return window{before: time.Now()} }

// check reports an error unless got was taken within the window, is in
// UTC and has no more than microsecond precision.
func (w window) check(t *testing.T, what string, got time.Time) {
	t.Helper()
	after := time.Now()
	lo := w.before.Truncate(time.Microsecond)
	if got.Before(lo) || got.After(after) {
		t.Errorf("%s = %v, want between %v and %v", what, got, lo, after)
	}
	checkNorm(t, what, got)
}

// checkNorm reports an error unless got is in UTC with microsecond
// precision at most.
func checkNorm(t *testing.T, what string, got time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", what, got.Location())
	}
	if got.Nanosecond()%1000 != 0 {
		t.Errorf("%s = %v has sub-microsecond digits", what, got)
	}
}

// wantKind reports an error unless err has the error kind want and its
// message contains every one of parts.
func wantKind(t *testing.T, err error, want string, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("error = nil, want kind %s", want)
		return
	}
	if got := warden.ErrorKind(err); got != want {
		t.Errorf("error %q has kind %s, want %s", err, got, want)
	}
	msg := warden.ErrorMessage(err)
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("error message %q does not contain %q", msg, p)
		}
	}
}

// must fails the test now if err is not nil.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// diff reports an error if want and got differ.
func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// base is a fixed time with sub-microsecond digits in a zone other than
// UTC, from which tests derive the times they record.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("UTC+2", 2*3600))

// at returns base plus d.
func at(d time.Duration) time.Time { return base.Add(d) }

// stored returns t as the store keeps it: in UTC, truncated to the
// microsecond.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// addOrg stores a minimal org.
func addOrg(t *testing.T, s warden.Store, name string) *warden.Org {
	t.Helper()
	o := &warden.Org{Name: name, LoginURL: "https://login.salesforce.com"}
	must(t, s.UpsertOrg(t.Context(), o))
	return o
}

// addUser stores a minimal user with the given owner.
func addUser(t *testing.T, s warden.Store, org, username, owner string) *warden.IntegrationUser {
	t.Helper()
	u := &warden.IntegrationUser{Org: org, Username: username, Owner: owner}
	must(t, s.UpsertUser(t.Context(), u))
	return u
}

// addCredential stores a JWT credential for a user.
func addCredential(t *testing.T, s warden.Store, org, name, username string) *warden.Credential {
	t.Helper()
	c := &warden.Credential{Name: name, Org: org, Kind: warden.CredentialJWT, Username: username, ClientID: "3MVG9" + name}
	must(t, s.UpsertCredential(t.Context(), c))
	return c
}

// addDependent stores a minimal dependent of a user.
func addDependent(t *testing.T, s warden.Store, org, name, username, owner string) *warden.Dependent {
	t.Helper()
	d := &warden.Dependent{Org: org, Name: name, Username: username, Owner: owner, Delivery: warden.DeliveryBroker}
	must(t, s.UpsertDependent(t.Context(), d))
	return d
}

// addHealth appends a result with the given state and time.
func addHealth(t *testing.T, s warden.Store, org, username string, state warden.State, checked time.Time) *warden.HealthResult {
	t.Helper()
	r := &warden.HealthResult{Org: org, Username: username, State: state, CheckedAt: checked}
	must(t, s.AppendHealth(t.Context(), r))
	return r
}

// names maps values to their keys, for comparing orders.
func names[T any](vs []T, key func(T) string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = key(v)
	}
	return out
}

// fmtFilter describes a filter in test messages.
func fmtFilter(f any) string { return fmt.Sprintf("%+v", f) }

// storeTests are the tests of the store as a whole.
var storeTests = []test{
	{"CanceledContext", func(t *testing.T, s warden.Store) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.Orgs(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Orgs with a canceled context: error = %v, want context.Canceled", err)
		}
		err := s.UpsertOrg(ctx, &warden.Org{Name: "acme", LoginURL: "https://login.salesforce.com"})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("UpsertOrg with a canceled context: error = %v, want context.Canceled", err)
		}
		if orgs, err := s.Orgs(t.Context()); err != nil || len(orgs) != 0 {
			t.Errorf("Orgs after canceled upsert = %d orgs, %v; want none", len(orgs), err)
		}
	}},
	{"ErrorsNameOperation", func(t *testing.T, s warden.Store) {
		_, err := s.Org(t.Context(), "nope")
		var e *warden.Error
		if !errors.As(err, &e) || e.Op == "" {
			t.Errorf("Org error %#v has no operation name", err)
		} else if !strings.Contains(e.Op, "Org") {
			t.Errorf("Org error operation = %q, want it to name Org", e.Op)
		}
	}},
	{"ConcurrentWriters", func(t *testing.T, s warden.Store) {
		const writers, each = 8, 50
		addOrg(t, s, "acme")
		errs := make(chan error, writers)
		for w := range writers {
			go func() {
				errs <- func() error {
					username := fmt.Sprintf("int%d@acme.example", w)
					for i := range each {
						r := &warden.HealthResult{Org: "acme", Username: username, State: warden.StateOK, CheckedAt: at(time.Duration(i) * time.Second)}
						if err := s.AppendHealth(t.Context(), r); err != nil {
							return fmt.Errorf("writer %d AppendHealth %d: %w", w, i, err)
						}
						if i%10 == 0 {
							u := &warden.IntegrationUser{Org: "acme", Username: username, Description: fmt.Sprint(i)}
							if err := s.UpsertUser(t.Context(), u); err != nil {
								return fmt.Errorf("writer %d UpsertUser %d: %w", w, i, err)
							}
						}
					}
					return nil
				}()
			}()
		}
		for range writers {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		all, err := s.HealthHistory(t.Context(), warden.HealthFilter{})
		must(t, err)
		if len(all) != writers*each {
			t.Errorf("HealthHistory = %d results, want %d", len(all), writers*each)
		}
		seen := map[int64]bool{}
		for _, r := range all {
			if seen[r.ID] {
				t.Errorf("ID %d used twice", r.ID)
			}
			seen[r.ID] = true
		}
		latest, err := s.LatestHealth(t.Context(), warden.HealthFilter{})
		must(t, err)
		if len(latest) != writers {
			t.Errorf("LatestHealth = %d results, want %d", len(latest), writers)
		}
		for _, r := range latest {
			if want := stored(at((each - 1) * time.Second)); !r.CheckedAt.Equal(want) {
				t.Errorf("LatestHealth %s CheckedAt = %v, want %v", r.Username, r.CheckedAt, want)
			}
		}
		users, err := s.Users(t.Context(), warden.UserFilter{Org: "acme"})
		must(t, err)
		if len(users) != writers {
			t.Errorf("Users = %d, want %d", len(users), writers)
		}
	}},
}
