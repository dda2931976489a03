// Package secrettest is the conformance suite for [warden.SecretStore]
// implementations, in the manner of Litestream's and River's driver
// suites: one set of table tests that every backend under secret/ runs.
//
// A backend's test calls [Run] with a function that opens a new, empty
// store for each subtest:
//
//	func TestConformance(t *testing.T) {
//		secrettest.Run(t, func(t *testing.T) warden.SecretStore {
//			return openEmptyStore(t)
//		})
//	}
//
// The suite checks the contract written in package secret's
// documentation: stages and their transitions (put current or pending,
// promote, discard, supersede), reads by stage and by version, history
// newest first, error kinds (EINVALID for bad keys, stages, tags and empty
// values; ENOTFOUND for anything missing), binary values, tags, and
// concurrent use. The Vault and Azure Key Vault backends run it against
// in-process contract servers, not live services.
package secrettest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/secret"
)

// Run runs the conformance suite against the stores that open returns.
// open is called once per subtest, with that subtest's t, and must return
// an empty store; it should register any cleanup with t.Cleanup. Subtests
// run in parallel, so stores from one open call must not share keys with
// stores from another (use a fresh server, file or prefix each time).
func Run(t *testing.T, open func(t *testing.T) warden.SecretStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s warden.SecretStore)
	}{
		{"PutReturnsVersion", testPutReturnsVersion},
		{"Stages", testStages},
		{"GetVersion", testGetVersion},
		{"VersionsNewestFirst", testVersionsNewestFirst},
		{"PromoteNothingPending", testPromoteNothingPending},
		{"Discard", testDiscard},
		{"Delete", testDelete},
		{"NotFound", testNotFound},
		{"BinaryValues", testBinaryValues},
		{"ValueSize", testValueSize},
		{"InvalidKeys", testInvalidKeys},
		{"DistinctKeys", testDistinctKeys},
		{"InvalidStages", testInvalidStages},
		{"Tags", testTags},
		{"InvalidTags", testInvalidTags},
		{"ValueIsolation", testValueIsolation},
		{"ConcurrentPuts", testConcurrentPuts},
		{"CanceledContext", testCanceledContext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// op is one step of a stage scenario.
type op int

const (
	putCurrent op = iota
	putPending
	promote
	discard
)

// String names the operation in failure messages.
func (o op) String() string {
	return [...]string{"put current", "put pending", "promote", "discard"}[o]
}

// testStages plays scenarios of puts, promotions and discards and checks
// the stage of every version and what Get returns for every stage.
func testStages(t *testing.T, s warden.SecretStore) {
	const (
		cur  = warden.StageCurrent
		pend = warden.StagePending
		prev = warden.StagePrevious
		none = warden.Stage("")
	)
	tests := []struct {
		name string
		ops  []op
		want []warden.Stage // per version, oldest first
	}{
		{"current", []op{putCurrent}, []warden.Stage{cur}},
		{"two currents", []op{putCurrent, putCurrent}, []warden.Stage{prev, cur}},
		{"three currents", []op{putCurrent, putCurrent, putCurrent}, []warden.Stage{none, prev, cur}},
		{"pending first", []op{putPending}, []warden.Stage{pend}},
		{"promote first pending", []op{putPending, promote}, []warden.Stage{cur}},
		{"pending on current", []op{putCurrent, putPending}, []warden.Stage{cur, pend}},
		{"pending replaces pending", []op{putCurrent, putPending, putPending}, []warden.Stage{cur, none, pend}},
		{"promote", []op{putCurrent, putPending, promote}, []warden.Stage{prev, cur}},
		{"promote drops old previous", []op{putCurrent, putCurrent, putPending, promote}, []warden.Stage{none, prev, cur}},
		{"discard", []op{putCurrent, putPending, discard}, []warden.Stage{cur, none}},
		{"discard then rotate", []op{putCurrent, putPending, discard, putPending, promote}, []warden.Stage{prev, none, cur}},
		{"current supersedes pending", []op{putCurrent, putPending, putCurrent}, []warden.Stage{prev, none, cur}},
		{"two rotations", []op{putCurrent, putPending, promote, putPending, promote}, []warden.Stage{none, prev, cur}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			key := fmt.Sprintf("stages/case-%02d", i)
			var ids []string
			for _, o := range tt.ops {
				switch o {
				case putCurrent, putPending:
					stage := cur
					if o == putPending {
						stage = pend
					}
					v := mustPut(t, s, key, valueN(len(ids)), stage, nil)
					ids = append(ids, v.Version)
				case promote:
					if err := s.Promote(ctx, key); err != nil {
						t.Fatalf("Promote: %v", err)
					}
				case discard:
					if err := s.Discard(ctx, key); err != nil {
						t.Fatalf("Discard: %v", err)
					}
				}
			}
			if len(ids) != len(tt.want) {
				t.Fatalf("bad test: %d puts, %d wanted stages", len(ids), len(tt.want))
			}
			versions, err := s.Versions(ctx, key)
			if err != nil {
				t.Fatalf("Versions: %v", err)
			}
			var want []warden.SecretVersion
			for i := len(ids) - 1; i >= 0; i-- {
				want = append(want, warden.SecretVersion{Key: key, Version: ids[i], Stage: tt.want[i]})
			}
			if diff := cmp.Diff(want, versions, ignoreCreated, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("after %v: Versions (-want +got):\n%s", tt.ops, diff)
			}
			for _, stage := range []warden.Stage{cur, pend, prev} {
				idx := -1
				for i, st := range tt.want {
					if st == stage {
						idx = i
					}
				}
				got, err := s.Get(ctx, key, stage)
				if idx < 0 {
					wantKind(t, err, warden.ENOTFOUND, "Get(%s)", stage)
					continue
				}
				if err != nil {
					t.Errorf("Get(%s): %v", stage, err)
					continue
				}
				if got.Version != ids[idx] || got.Stage != stage || got.Key != key || !bytes.Equal(got.Value, valueN(idx)) {
					t.Errorf("Get(%s) = version %s stage %q key %q value #%d ok=%v; want version %s (value #%d)",
						stage, got.Version, got.Stage, got.Key, idx, bytes.Equal(got.Value, valueN(idx)), ids[idx], idx)
				}
			}
		})
	}
}

func testPutReturnsVersion(t *testing.T, s warden.SecretStore) {
	ctx := t.Context()
	tags := map[string]string{"owner": "billing"}
	for _, stage := range []warden.Stage{warden.StageCurrent, warden.StagePending} {
		v, err := s.Put(ctx, "put/returns", []byte("s3cret"), stage, tags)
		if err != nil {
			t.Fatalf("Put(%s): %v", stage, err)
		}
		if v.Key != "put/returns" || v.Version == "" || v.Stage != stage || v.CreatedAt.IsZero() {
			t.Errorf("Put(%s) = %+v; want key, version, stage and creation time set", stage, v)
		}
		if diff := cmp.Diff(tags, v.Tags); diff != "" {
			t.Errorf("Put(%s) tags (-want +got):\n%s", stage, diff)
		}
		got, err := s.GetVersion(ctx, "put/returns", v.Version)
		if err != nil {
			t.Fatalf("GetVersion(%s): %v", v.Version, err)
		}
		if diff := cmp.Diff(v, got.SecretVersion, cmpopts.EquateApproxTime(time.Second)); diff != "" {
			t.Errorf("GetVersion differs from Put's result (-put +get):\n%s", diff)
		}
	}
}

func testGetVersion(t *testing.T, s warden.SecretStore) {
	ctx := t.Context()
	var ids []string
	for i := range 4 {
		ids = append(ids, mustPut(t, s, "getversion", valueN(i), warden.StageCurrent, nil).Version)
	}
	seen := map[string]bool{}
	for i, id := range ids {
		if seen[id] {
			t.Errorf("version id %s returned twice", id)
		}
		seen[id] = true
		got, err := s.GetVersion(ctx, "getversion", id)
		if err != nil {
			t.Fatalf("GetVersion(%s): %v", id, err)
		}
		if got.Version != id || !bytes.Equal(got.Value, valueN(i)) {
			t.Errorf("GetVersion(%s) = version %s, value matches: %v", id, got.Version, bytes.Equal(got.Value, valueN(i)))
		}
		wantStage := warden.Stage("")
		switch i {
		case 3:
			wantStage = warden.StageCurrent
		case 2:
			wantStage = warden.StagePrevious
		}
		if got.Stage != wantStage {
			t.Errorf("GetVersion(%s).Stage = %q; want %q", id, got.Stage, wantStage)
		}
	}
	// Another key's version id must not be readable through this key.
	other := mustPut(t, s, "getversion-other", []byte("x"), warden.StageCurrent, nil)
	if !seen[other.Version] {
		_, err := s.GetVersion(ctx, "getversion", other.Version)
		wantKind(t, err, warden.ENOTFOUND, "GetVersion(other key's version %s)", other.Version)
	}
}

func testVersionsNewestFirst(t *testing.T, s warden.SecretStore) {
	ctx := t.Context()
	var ids []string
	for i := range 6 {
		stage := warden.StageCurrent
		if i%2 == 1 {
			stage = warden.StagePending
		}
		ids = append(ids, mustPut(t, s, "history", valueN(i), stage, map[string]string{"n": fmt.Sprint(i)}).Version)
	}
	got, err := s.Versions(ctx, "history")
	if err != nil {
		t.Fatalf("Versions: %v", err)
	}
	if len(got) != len(ids) {
		t.Fatalf("Versions returned %d versions; want %d", len(got), len(ids))
	}
	for i, v := range got {
		want := ids[len(ids)-1-i]
		if v.Version != want {
			t.Errorf("Versions[%d] = %s; want %s (newest first)", i, v.Version, want)
		}
		if v.Tags["n"] != fmt.Sprint(len(ids)-1-i) {
			t.Errorf("Versions[%d].Tags = %v; want n=%d", i, v.Tags, len(ids)-1-i)
		}
		if v.CreatedAt.IsZero() {
			t.Errorf("Versions[%d].CreatedAt is zero", i)
		}
		if i > 0 && v.CreatedAt.After(got[i-1].CreatedAt) {
			t.Errorf("Versions[%d] created %v, after the newer Versions[%d] at %v", i, v.CreatedAt, i-1, got[i-1].CreatedAt)
		}
	}
}

func testPromoteNothingPending(t *testing.T, s warden.SecretStore) {
	ctx := t.Context()
	v := mustPut(t, s, "promote/nothing", []byte("a"), warden.StageCurrent, nil)
	wantKind(t, s.Promote(ctx, "promote/nothing"), warden.ENOTFOUND, "Promote with nothing pending")
	cur := mustGet(t, s, "promote/nothing", warden.StageCurrent)
	if cur.Version != v.Version {
		t.Errorf("current moved to %s after a failed Promote; want %s", cur.Version, v.Version)
	}
	mustPut(t, s, "promote/nothing", []byte("b"), warden.StagePending, nil)
	if err := s.Promote(ctx, "promote/nothing"); err != nil {
		t.Fatalf("Promote: %v", err)
	}
	wantKind(t, s.Promote(ctx, "promote/nothing"), warden.ENOTFOUND, "second Promote")
}

func testDiscard(t *testing.T, s warden.SecretStore) {
	ctx := t.Context()
	cur := mustPut(t, s, "discard", []byte("current"), warden.StageCurrent, nil)
	wantKind(t, s.Discard(ctx, "discard"), warden.ENOTFOUND, "Discard with nothing pending")
	p := mustPut(t, s, "discard", []byte("pending"), warden.StagePending, nil)
	if err := s.Discard(ctx, "discard"); err != nil {
		t.Fatalf("Discard: %v", err)
	}
	_, err := s.Get(ctx, "discard", warden.StagePending)
	wantKind(t, err, warden.ENOTFOUND, "Get(pending) after Discard")
	if got := mustGet(t, s, "discard", warden.StageCurrent); got.Version != cur.Version || string(got.Value) != "current" {
		t.Errorf("current after Discard = %s; want %s", got.Version, cur.Version)
	}
	wantKind(t, s.Discard(ctx, "discard"), warden.ENOTFOUND, "second Discard")
	wantKind(t, s.Promote(ctx, "discard"), warden.ENOTFOUND, "Promote after Discard")
	if got, err := s.GetVersion(ctx, "discard", p.Version); err == nil && got.Stage != "" {
		t.Errorf("discarded version still has stage %q", got.Stage)
	}
}

func testDelete(t *testing.T, s warden.SecretStore) {
	ctx := t.Context()
	mustPut(t, s, "delete/me", []byte("one"), warden.StageCurrent, nil)
	mustPut(t, s, "delete/me", []byte("two"), warden.StageCurrent, nil)
	mustPut(t, s, "delete/me", []byte("three"), warden.StagePending, nil)
	keep := mustPut(t, s, "delete/keep", []byte("kept"), warden.StageCurrent, nil)
	if err := s.Delete(ctx, "delete/me"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for _, stage := range []warden.Stage{warden.StageCurrent, warden.StagePending, warden.StagePrevious} {
		_, err := s.Get(ctx, "delete/me", stage)
		wantKind(t, err, warden.ENOTFOUND, "Get(%s) after Delete", stage)
	}
	_, err := s.Versions(ctx, "delete/me")
	wantKind(t, err, warden.ENOTFOUND, "Versions after Delete")
	wantKind(t, s.Delete(ctx, "delete/me"), warden.ENOTFOUND, "second Delete")
	if got := mustGet(t, s, "delete/keep", warden.StageCurrent); got.Version != keep.Version {
		t.Errorf("Delete touched another key: current %s, want %s", got.Version, keep.Version)
	}

	// The key can be used again and starts a fresh history.
	v := mustPut(t, s, "delete/me", []byte("again"), warden.StageCurrent, nil)
	versions, err := s.Versions(ctx, "delete/me")
	if err != nil {
		t.Fatalf("Versions after re-Put: %v", err)
	}
	if len(versions) != 1 || versions[0].Version != v.Version || versions[0].Stage != warden.StageCurrent {
		t.Errorf("Versions after Delete and Put = %+v; want only %s as current", versions, v.Version)
	}
	_, err = s.Get(ctx, "delete/me", warden.StagePrevious)
	wantKind(t, err, warden.ENOTFOUND, "Get(previous) after Delete and Put")
}

func testNotFound(t *testing.T, s warden.SecretStore) {
	ctx := t.Context()
	const missing = "missing/key"
	calls := []struct {
		name string
		call func() error
	}{
		{"Get current", func() error { _, err := s.Get(ctx, missing, warden.StageCurrent); return err }},
		{"Get pending", func() error { _, err := s.Get(ctx, missing, warden.StagePending); return err }},
		{"Get previous", func() error { _, err := s.Get(ctx, missing, warden.StagePrevious); return err }},
		{"GetVersion", func() error { _, err := s.GetVersion(ctx, missing, "1"); return err }},
		{"Versions", func() error { _, err := s.Versions(ctx, missing); return err }},
		{"Promote", func() error { return s.Promote(ctx, missing) }},
		{"Discard", func() error { return s.Discard(ctx, missing) }},
		{"Delete", func() error { return s.Delete(ctx, missing) }},
	}
	for _, c := range calls {
		wantKind(t, c.call(), warden.ENOTFOUND, "%s on a missing key", c.name)
	}

	// Versions that name nothing on an existing key.
	v := mustPut(t, s, "notfound/exists", []byte("x"), warden.StageCurrent, nil)
	for _, id := range []string{"999999", "0", "-1", "01", "1.0", "not-a-version", "0123456789abcdef0123456789abcdef", "../x", v.Version + "0"} {
		if id == v.Version {
			continue
		}
		_, err := s.GetVersion(ctx, "notfound/exists", id)
		wantKind(t, err, warden.ENOTFOUND, "GetVersion(%q)", id)
	}
	_, err := s.GetVersion(ctx, "notfound/exists", "")
	wantKind(t, err, warden.EINVALID, "GetVersion with an empty version")
	for _, stage := range []warden.Stage{warden.StagePending, warden.StagePrevious} {
		_, err := s.Get(ctx, "notfound/exists", stage)
		wantKind(t, err, warden.ENOTFOUND, "Get(%s) with only a current version", stage)
	}
}

func testBinaryValues(t *testing.T, s warden.SecretStore) {
	ctx := t.Context()
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	reversed := make([]byte, 256)
	for i := range reversed {
		reversed[i] = byte(255 - i)
	}
	tests := []struct {
		name  string
		value []byte
	}{
		{"all bytes", all},
		{"all bytes reversed", reversed},
		{"nul", []byte{0}},
		{"invalid utf-8", []byte{0xff, 0xfe, 0xc3, 0x28}},
		{"trailing newline", []byte("token\n")},
		{"spaces", []byte("  ")},
		{"base64 lookalike", []byte("c2VjcmV0")},
		{"json lookalike", []byte(`{"value":"x"}`)},
	}
	for i, tt := range tests {
		key := fmt.Sprintf("binary/%d", i)
		stage := warden.StageCurrent
		if i%2 == 1 {
			stage = warden.StagePending
		}
		v := mustPut(t, s, key, tt.value, stage, nil)
		got := mustGet(t, s, key, stage)
		if !bytes.Equal(got.Value, tt.value) {
			t.Errorf("%s: Get returned %d bytes that differ from the %d put", tt.name, len(got.Value), len(tt.value))
		}
		byID, err := s.GetVersion(ctx, key, v.Version)
		if err != nil {
			t.Fatalf("%s: GetVersion: %v", tt.name, err)
		}
		if !bytes.Equal(byID.Value, tt.value) {
			t.Errorf("%s: GetVersion returned a different value", tt.name)
		}
	}
}

func testValueSize(t *testing.T, s warden.SecretStore) {
	ctx := t.Context()
	for _, value := range [][]byte{nil, {}} {
		_, err := s.Put(ctx, "size/empty", value, warden.StageCurrent, nil)
		wantKind(t, err, warden.EINVALID, "Put of an empty value (%#v)", value)
	}
	_, err := s.Versions(ctx, "size/empty")
	wantKind(t, err, warden.ENOTFOUND, "Versions after rejected empty Puts")

	big := bytes.Repeat([]byte{0xA5, 0x00, 0x5A}, secret.MaxValueSize/3+1)[:secret.MaxValueSize]
	mustPut(t, s, "size/max", big, warden.StageCurrent, nil)
	if got := mustGet(t, s, "size/max", warden.StageCurrent); !bytes.Equal(got.Value, big) {
		t.Errorf("a value of MaxValueSize bytes did not round-trip")
	}
	_, err = s.Put(ctx, "size/over", append(big, 1), warden.StageCurrent, nil)
	wantKind(t, err, warden.EINVALID, "Put of MaxValueSize+1 bytes")
}

func testInvalidKeys(t *testing.T, s warden.SecretStore) {
	ctx := t.Context()
	keys := []string{
		"", "/", "/lead", "trail/", "dou//ble", ".", "..", "a/./b", "a/../b", "../up",
		"sp ace", "tab\t", "nul\x00", "new\nline", "back\\slash", "colon:", "star*", "q?", "hash#", "pct%41",
		"ünïcode", "emoji\U0001F511", strings.Repeat("k", secret.MaxKeyLength+1),
	}
	for _, key := range keys {
		calls := []struct {
			name string
			call func() error
		}{
			{"Put", func() error { _, err := s.Put(ctx, key, []byte("v"), warden.StageCurrent, nil); return err }},
			{"Get", func() error { _, err := s.Get(ctx, key, warden.StageCurrent); return err }},
			{"GetVersion", func() error { _, err := s.GetVersion(ctx, key, "1"); return err }},
			{"Versions", func() error { _, err := s.Versions(ctx, key); return err }},
			{"Promote", func() error { return s.Promote(ctx, key) }},
			{"Discard", func() error { return s.Discard(ctx, key) }},
			{"Delete", func() error { return s.Delete(ctx, key) }},
		}
		for _, c := range calls {
			wantKind(t, c.call(), warden.EINVALID, "%s(%q)", c.name, key)
		}
	}
}

// testDistinctKeys checks that keys differing only in case or in
// punctuation name different secrets (backends that map keys onto a
// narrower alphabet must map them injectively).
func testDistinctKeys(t *testing.T, s warden.SecretStore) {
	keys := []string{
		"distinct/a-b", "distinct/a_b", "distinct/a.b", "distinct/a/b", "distinct/A-b", "distinct/a-B",
		"distinct/a--b", "distinct/a-2db", "distinct/a-2Db", "distinct/ab", "Distinct/ab", "distinct-ab",
	}
	for i, key := range keys {
		mustPut(t, s, key, valueN(i), warden.StageCurrent, map[string]string{"i": fmt.Sprint(i)})
	}
	for i, key := range keys {
		got := mustGet(t, s, key, warden.StageCurrent)
		if !bytes.Equal(got.Value, valueN(i)) || got.Key != key || got.Tags["i"] != fmt.Sprint(i) {
			t.Errorf("Get(%q) returned key %q tags %v: keys collide", key, got.Key, got.Tags)
		}
		versions, err := s.Versions(t.Context(), key)
		if err != nil {
			t.Fatalf("Versions(%q): %v", key, err)
		}
		if len(versions) != 1 {
			t.Errorf("Versions(%q) has %d versions; want 1 (keys collide)", key, len(versions))
		}
	}
}

func testInvalidStages(t *testing.T, s warden.SecretStore) {
	ctx := t.Context()
	for _, stage := range []warden.Stage{"", warden.StagePrevious, "Current", "bogus"} {
		_, err := s.Put(ctx, "stage/invalid", []byte("v"), stage, nil)
		wantKind(t, err, warden.EINVALID, "Put with stage %q", stage)
	}
	mustPut(t, s, "stage/invalid", []byte("v"), warden.StageCurrent, nil)
	for _, stage := range []warden.Stage{"", "Current", "bogus"} {
		_, err := s.Get(ctx, "stage/invalid", stage)
		wantKind(t, err, warden.EINVALID, "Get with stage %q", stage)
	}
}

func testTags(t *testing.T, s warden.SecretStore) {
	ctx := t.Context()
	tags := map[string]string{
		"owner":     "billing-team",
		"rotation":  "r-2026.07",
		"note":      "spaces, punctuation (and UTF-8: é) are fine",
		"empty":     "",
		"Mixed_Cas": "x",
	}
	v := mustPut(t, s, "tags", []byte("v1"), warden.StageCurrent, tags)
	p := mustPut(t, s, "tags", []byte("v2"), warden.StagePending, map[string]string{"rotation": "r-2"})
	if diff := cmp.Diff(tags, v.Tags); diff != "" {
		t.Errorf("Put tags (-want +got):\n%s", diff)
	}
	got := mustGet(t, s, "tags", warden.StageCurrent)
	if diff := cmp.Diff(tags, got.Tags); diff != "" {
		t.Errorf("Get tags (-want +got):\n%s", diff)
	}
	byID, err := s.GetVersion(ctx, "tags", v.Version)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tags, byID.Tags); diff != "" {
		t.Errorf("GetVersion tags (-want +got):\n%s", diff)
	}
	versions, err := s.Versions(ctx, "tags")
	if err != nil {
		t.Fatal(err)
	}
	want := []warden.SecretVersion{
		{Key: "tags", Version: p.Version, Stage: warden.StagePending, Tags: map[string]string{"rotation": "r-2"}},
		{Key: "tags", Version: v.Version, Stage: warden.StageCurrent, Tags: tags},
	}
	if diff := cmp.Diff(want, versions, ignoreCreated); diff != "" {
		t.Errorf("Versions (-want +got):\n%s", diff)
	}
	// Promotion changes stages, never tags.
	if err := s.Promote(ctx, "tags"); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "tags", warden.StagePrevious); !cmp.Equal(tags, got.Tags) {
		t.Errorf("tags changed by Promote: %v", got.Tags)
	}
	// No tags reads back as no tags.
	mustPut(t, s, "tags/none", []byte("v"), warden.StageCurrent, nil)
	if got := mustGet(t, s, "tags/none", warden.StageCurrent); len(got.Tags) != 0 {
		t.Errorf("untagged secret has tags %v", got.Tags)
	}
	// Callers cannot change stored tags through the maps they passed or got.
	tags["owner"] = "mallory"
	got.Tags["rotation"] = "changed"
	if again := mustGet(t, s, "tags", warden.StagePrevious); again.Tags["owner"] != "billing-team" || again.Tags["rotation"] != "r-2026.07" {
		t.Errorf("stored tags changed through a caller's map: %v", again.Tags)
	}
}

func testInvalidTags(t *testing.T, s warden.SecretStore) {
	ctx := t.Context()
	many := map[string]string{}
	for i := range secret.MaxTags + 1 {
		many[fmt.Sprintf("t%d", i)] = "v"
	}
	tests := []struct {
		name string
		tags map[string]string
	}{
		{"reserved", map[string]string{"warden-stage": "current"}},
		{"reserved any case", map[string]string{"Warden_x": "1"}},
		{"empty name", map[string]string{"": "v"}},
		{"space in name", map[string]string{"a b": "v"}},
		{"slash in name", map[string]string{"a/b": "v"}},
		{"long name", map[string]string{strings.Repeat("n", secret.MaxTagNameLength+1): "v"}},
		{"long value", map[string]string{"n": strings.Repeat("v", secret.MaxTagValueLength+1)}},
		{"invalid utf-8 value", map[string]string{"n": "\xff"}},
		{"too many", many},
	}
	for _, tt := range tests {
		_, err := s.Put(ctx, "tags/invalid", []byte("v"), warden.StageCurrent, tt.tags)
		wantKind(t, err, warden.EINVALID, "Put with %s tags", tt.name)
	}
	_, err := s.Versions(ctx, "tags/invalid")
	wantKind(t, err, warden.ENOTFOUND, "Versions after rejected Puts")
}

func testValueIsolation(t *testing.T, s warden.SecretStore) {
	value := []byte("original")
	mustPut(t, s, "isolation", value, warden.StageCurrent, nil)
	copy(value, "XXXXXXXX")
	got := mustGet(t, s, "isolation", warden.StageCurrent)
	if string(got.Value) != "original" {
		t.Fatalf("stored value changed through the caller's slice")
	}
	copy(got.Value, "YYYYYYYY")
	if again := mustGet(t, s, "isolation", warden.StageCurrent); string(again.Value) != "original" {
		t.Errorf("stored value changed through a returned slice")
	}
}

func testConcurrentPuts(t *testing.T, s warden.SecretStore) {
	ctx := t.Context()
	const keys, puts = 8, 4
	var wg sync.WaitGroup
	for k := range keys {
		wg.Go(func() {
			key := fmt.Sprintf("concurrent/%d", k)
			for i := range puts {
				if _, err := s.Put(ctx, key, fmt.Appendf(nil, "%d-%d", k, i), warden.StageCurrent, nil); err != nil {
					t.Errorf("Put(%s) #%d: %v", key, i, err)
					return
				}
				if _, err := s.Get(ctx, key, warden.StageCurrent); err != nil {
					t.Errorf("Get(%s): %v", key, err)
				}
			}
		})
	}
	wg.Wait()
	for k := range keys {
		key := fmt.Sprintf("concurrent/%d", k)
		got := mustGet(t, s, key, warden.StageCurrent)
		if want := fmt.Sprintf("%d-%d", k, puts-1); string(got.Value) != want {
			t.Errorf("Get(%s) = value %q; want %q", key, got.Value, want)
		}
		versions, err := s.Versions(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if len(versions) != puts {
			t.Errorf("Versions(%s) has %d versions; want %d", key, len(versions), puts)
		}
	}
}

func testCanceledContext(t *testing.T, s warden.SecretStore) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Put(ctx, "canceled", []byte("v"), warden.StageCurrent, nil); err == nil {
		t.Fatalf("Put with a canceled context succeeded")
	}
	_, err := s.Versions(t.Context(), "canceled")
	wantKind(t, err, warden.ENOTFOUND, "Versions after a canceled Put")
}

var ignoreCreated = cmpopts.IgnoreFields(warden.SecretVersion{}, "CreatedAt")

// valueN is the value of the n-th put in a test.
func valueN(n int) []byte { return fmt.Appendf(nil, "value-%d", n) }

func mustPut(t *testing.T, s warden.SecretStore, key string, value []byte, stage warden.Stage, tags map[string]string) warden.SecretVersion {
	t.Helper()
	v, err := s.Put(t.Context(), key, value, stage, tags)
	if err != nil {
		t.Fatalf("Put(%q, %s): %v", key, stage, err)
	}
	return v
}

func mustGet(t *testing.T, s warden.SecretStore, key string, stage warden.Stage) *warden.Secret {
	t.Helper()
	got, err := s.Get(t.Context(), key, stage)
	if err != nil {
		t.Fatalf("Get(%q, %s): %v", key, stage, err)
	}
	return got
}

// wantKind reports an error unless err has the given kind.
func wantKind(t *testing.T, err error, kind string, format string, args ...any) {
	t.Helper()
	if got := warden.ErrorKind(err); got != kind {
		t.Errorf("%s: error kind %q (%v); want %q", fmt.Sprintf(format, args...), got, err, kind)
	}
}
