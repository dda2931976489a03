package broker

import (
	"strings"
	"testing"
)

func TestParseKey(t *testing.T) {
	key, k := NewKey()
	id, secret, _ := strings.Cut(strings.TrimPrefix(key, KeyPrefix), "_")
	if id != k.ID || !matches(k, secret) || strings.Contains(k.Hash, secret) {
		t.Fatalf("NewKey: id %q vs %q, secret matches its hash %v", id, k.ID, matches(k, secret))
	}
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"key", key, true},
		{"wrapped as a session id", "00DWARDENBROKER!" + key, true},
		{"wrapped with a real-looking org id", "00D5g000000CmpTEAS!" + key, true},
		{"no prefix", strings.TrimPrefix(key, KeyPrefix), false},
		{"short secret", key[:len(key)-2], false},
		{"upper-case hex", KeyPrefix + strings.ToUpper(key[len(KeyPrefix):]), false},
		{"no separator", strings.Replace(key, "_", "", 2), false},
		{"a Salesforce session id", "00D5g000000CmpT!AQ8AQ.abc", false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gotID, gotSecret, ok := parseKey(tc.in)
			if ok != tc.ok || ok && (gotID != id || gotSecret != secret) {
				t.Errorf("parseKey(%q) = %q, %q, %v; want ok %v", tc.in, gotID, gotSecret, ok, tc.ok)
			}
		})
	}
	other, _ := NewKey()
	_, otherSecret, _ := strings.Cut(strings.TrimPrefix(other, KeyPrefix), "_")
	if matches(k, otherSecret) {
		t.Error("another key's secret matches")
	}
}
