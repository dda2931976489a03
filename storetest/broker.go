package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// brokerKey returns a valid key with the given id.
func brokerKey(id string) *warden.BrokerKey {
	return &warden.BrokerKey{ID: id, Name: "billing key", Users: []string{"int@acme.example", "sync@acme.example"},
		Operations: []warden.BrokerOperation{warden.BrokerToken, warden.BrokerProxy}, Dependent: "Billing",
		Hash: strings.Repeat("ab", 32), ExpiresAt: at(90 * 24 * time.Hour)}
}

// brokerKeyTests are the tests of BrokerKeyService.
var brokerKeyTests = []test{
	{"CreateAndRead", func(t *testing.T, s warden.Store) {
		k := brokerKey("k1")
		w := startWindow()
		must(t, s.CreateBrokerKey(t.Context(), k))
		w.check(t, "CreatedAt", k.CreatedAt)
		got, err := s.BrokerKey(t.Context(), "k1")
		must(t, err)
		want := *k
		want.ExpiresAt = stored(k.ExpiresAt)
		diff(t, "BrokerKey", &want, got)
		if got.Hash != k.Hash {
			t.Errorf("Hash = %q, want %q", got.Hash, k.Hash)
		}
		wantKind(t, s.CreateBrokerKey(t.Context(), brokerKey("k1")), warden.ECONFLICT, "k1")
		_, err = s.BrokerKey(t.Context(), "nope")
		wantKind(t, err, warden.ENOTFOUND, "nope")
	}},
	{"ListRevokeTouch", func(t *testing.T, s warden.Store) {
		keys, err := s.BrokerKeys(t.Context())
		must(t, err)
		if len(keys) != 0 {
			t.Fatalf("BrokerKeys of an empty store = %d keys", len(keys))
		}
		for _, id := range []string{"k2", "k1"} {
			k := brokerKey(id)
			k.ExpiresAt = time.Time{}
			must(t, s.CreateBrokerKey(t.Context(), k))
		}
		must(t, s.RevokeBrokerKey(t.Context(), "k1", at(time.Hour)))
		must(t, s.RevokeBrokerKey(t.Context(), "k1", at(2*time.Hour))) // keeps the first
		must(t, s.TouchBrokerKey(t.Context(), "k2", at(3*time.Hour)))
		must(t, s.TouchBrokerKey(t.Context(), "k2", at(time.Hour))) // older: ignored
		keys, err = s.BrokerKeys(t.Context())
		must(t, err)
		diff(t, "ids", []string{"k1", "k2"}, names(keys, func(k *warden.BrokerKey) string { return k.ID }))
		if len(keys) == 2 {
			if want := stored(at(time.Hour)); !keys[0].RevokedAt.Equal(want) {
				t.Errorf("k1 RevokedAt = %v, want %v", keys[0].RevokedAt, want)
			}
			if want := stored(at(3 * time.Hour)); !keys[1].LastUsedAt.Equal(want) || !keys[1].RevokedAt.IsZero() || !keys[1].ExpiresAt.IsZero() {
				t.Errorf("k2 = last used %v, revoked %v, expires %v; want last used %v, never revoked or expiring",
					keys[1].LastUsedAt, keys[1].RevokedAt, keys[1].ExpiresAt, want)
			}
			checkNorm(t, "LastUsedAt", keys[1].LastUsedAt)
		}
		wantKind(t, s.RevokeBrokerKey(t.Context(), "nope", time.Time{}), warden.ENOTFOUND, "nope")
		wantKind(t, s.TouchBrokerKey(t.Context(), "nope", time.Time{}), warden.ENOTFOUND, "nope")
	}},
	{"Validation", func(t *testing.T, s warden.Store) {
		for _, tc := range []struct {
			field string
			edit  func(k *warden.BrokerKey)
		}{
			{"id", func(k *warden.BrokerKey) { k.ID = "" }},
			{"users", func(k *warden.BrokerKey) { k.Users = nil }},
			{"operations", func(k *warden.BrokerKey) { k.Operations = nil }},
			{"operation", func(k *warden.BrokerKey) { k.Operations = []warden.BrokerOperation{"admin"} }},
			{"dependent", func(k *warden.BrokerKey) { k.Dependent = "" }},
			{"hash", func(k *warden.BrokerKey) { k.Hash = "short" }},
		} {
			k := brokerKey("bad")
			tc.edit(k)
			wantKind(t, s.CreateBrokerKey(t.Context(), k), warden.EINVALID, tc.field)
		}
		keys, err := s.BrokerKeys(t.Context())
		must(t, err)
		if len(keys) != 0 {
			t.Errorf("BrokerKeys after refused writes = %d keys", len(keys))
		}
	}},
}
