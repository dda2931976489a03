package storetest

import (
	"testing"

	"github.com/wardenhq/warden"
)

// declaredTests are the tests of DeclaredService.
var declaredTests = []test{
	{"ReplaceAndOrder", func(t *testing.T, s warden.Store) {
		got, err := s.Declared(t.Context())
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("Declared of an empty store = %v", got)
		}
		keys := []warden.ItemKey{
			{Kind: warden.ItemUser, Org: "acme", Name: "sync@acme.example"},
			{Kind: warden.ItemOrg, Name: "acme"},
			{Kind: warden.ItemDependent, Org: "acme", Name: "Billing"},
			{Kind: warden.ItemOrg, Name: "acme"}, // duplicates are recorded once
			{Kind: warden.ItemCredential, Name: "monitor-acme"},
			{Kind: warden.ItemOwner, Name: "finance"},
		}
		must(t, s.SetDeclared(t.Context(), keys))
		got, err = s.Declared(t.Context())
		must(t, err)
		diff(t, "Declared", []warden.ItemKey{
			{Kind: warden.ItemCredential, Name: "monitor-acme"},
			{Kind: warden.ItemDependent, Org: "acme", Name: "Billing"},
			{Kind: warden.ItemOrg, Name: "acme"},
			{Kind: warden.ItemOwner, Name: "finance"},
			{Kind: warden.ItemUser, Org: "acme", Name: "sync@acme.example"},
		}, got)
		must(t, s.SetDeclared(t.Context(), []warden.ItemKey{{Kind: warden.ItemOrg, Name: "globex"}}))
		got, err = s.Declared(t.Context())
		must(t, err)
		diff(t, "Declared after replace", []warden.ItemKey{{Kind: warden.ItemOrg, Name: "globex"}}, got)
		must(t, s.SetDeclared(t.Context(), nil))
		got, err = s.Declared(t.Context())
		must(t, err)
		if len(got) != 0 {
			t.Errorf("Declared after clearing = %v", got)
		}
	}},
	{"Validation", func(t *testing.T, s warden.Store) {
		must(t, s.SetDeclared(t.Context(), []warden.ItemKey{{Kind: warden.ItemOrg, Name: "acme"}}))
		wantKind(t, s.SetDeclared(t.Context(), []warden.ItemKey{{Kind: "robot", Name: "x"}}), warden.EINVALID, "kind")
		wantKind(t, s.SetDeclared(t.Context(), []warden.ItemKey{{Kind: warden.ItemOrg}}), warden.EINVALID, "name")
		got, err := s.Declared(t.Context())
		must(t, err)
		diff(t, "Declared after refused writes", []warden.ItemKey{{Kind: warden.ItemOrg, Name: "acme"}}, got)
	}},
}
