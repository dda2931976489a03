package storetest

import (
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// newJob returns a running job of credential cred with the given id.
func newJob(id, cred string) *warden.RotationJob {
	return &warden.RotationJob{ID: id, Credential: cred, Org: "acme", Kind: warden.CredentialJWT, Step: "test_current", Trigger: "cli:alice", Data: []byte(`{"n":1}`)}
}

// rotationJobTests are the tests of RotationJobService.
var rotationJobTests = []test{
	{"CreateAndRead", func(t *testing.T, s warden.Store) {
		w := startWindow()
		j := newJob("rot-1", "billing-jwt")
		must(t, s.CreateRotationJob(t.Context(), j))
		w.check(t, "CreatedAt", j.CreatedAt)
		if j.State != warden.RotationRunning {
			t.Errorf("State = %q, want running", j.State)
		}
		got, err := s.RotationJob(t.Context(), "rot-1")
		must(t, err)
		diff(t, "RotationJob", j, got)
		_, err = s.RotationJob(t.Context(), "nope")
		wantKind(t, err, warden.ENOTFOUND, "nope")
		err = s.CreateRotationJob(t.Context(), newJob("rot-2", "billing-jwt"))
		wantKind(t, err, warden.ECONFLICT, "rot-1")
		bad := newJob("rot-3", "x")
		bad.Kind = "nope"
		wantKind(t, s.CreateRotationJob(t.Context(), bad), warden.EINVALID, "kind")
	}},
	{"List", func(t *testing.T, s warden.Store) {
		a, b, c := newJob("rot-a", "one"), newJob("rot-b", "two"), newJob("rot-c", "three")
		c.Org = "globex"
		for _, j := range []*warden.RotationJob{a, b, c} {
			must(t, s.CreateRotationJob(t.Context(), j))
		}
		claimed, err := s.ClaimRotationJob(t.Context(), "rot-b", "w1", time.Minute)
		must(t, err)
		claimed.State, claimed.Step = warden.RotationCompleted, ""
		must(t, s.SaveRotationJob(t.Context(), claimed, time.Minute))
		tests := []struct {
			f    warden.RotationJobFilter
			want []string
		}{
			{warden.RotationJobFilter{}, []string{"rot-c", "rot-b", "rot-a"}},
			{warden.RotationJobFilter{Active: true}, []string{"rot-c", "rot-a"}},
			{warden.RotationJobFilter{Org: "globex"}, []string{"rot-c"}},
			{warden.RotationJobFilter{Credential: "two"}, []string{"rot-b"}},
		}
		for _, tt := range tests {
			got, err := s.RotationJobs(t.Context(), tt.f, 0)
			must(t, err)
			diff(t, "RotationJobs "+fmtFilter(tt.f), tt.want, names(got, func(j *warden.RotationJob) string { return j.ID }))
		}
		_, err = s.RotationJobs(t.Context(), warden.RotationJobFilter{}, -1)
		wantKind(t, err, warden.EINVALID, "limit")
	}},
	{"Lease", func(t *testing.T, s warden.Store) {
		must(t, s.CreateRotationJob(t.Context(), newJob("rot-1", "billing-jwt")))
		j, err := s.ClaimRotationJob(t.Context(), "rot-1", "w1", time.Hour)
		must(t, err)
		if j.Attempt != 1 || j.LeaseOwner != "w1" {
			t.Errorf("claim: attempt %d owner %q, want 1 w1", j.Attempt, j.LeaseOwner)
		}
		_, err = s.ClaimRotationJob(t.Context(), "rot-1", "w2", time.Hour)
		wantKind(t, err, warden.ECONFLICT, "w1")
		j.Step, j.Path, j.Data = "apply", warden.PathSelfService, []byte(`{"n":2}`)
		must(t, s.SaveRotationJob(t.Context(), j, time.Hour))
		got, err := s.RotationJob(t.Context(), "rot-1")
		must(t, err)
		if got.Step != "apply" || got.Path != warden.PathSelfService || string(got.Data) != `{"n":2}` {
			t.Errorf("saved job = step %q path %q data %s", got.Step, got.Path, got.Data)
		}
		// A worker whose lease was taken over cannot save.
		stale := *j
		stale.LeaseOwner = "w0"
		wantKind(t, s.SaveRotationJob(t.Context(), &stale, time.Hour), warden.ECONFLICT, "lease")
		// An expired lease can be claimed by another worker, which
		// resumes; the first worker then cannot save.
		must(t, s.SaveRotationJob(t.Context(), j, time.Microsecond))
		time.Sleep(2 * time.Millisecond) // the store's own clock decides expiry
		k, err := s.ClaimRotationJob(t.Context(), "rot-1", "w2", time.Hour)
		must(t, err)
		if k.Attempt != 2 || k.Step != "apply" {
			t.Errorf("resumed: attempt %d step %q, want 2 apply", k.Attempt, k.Step)
		}
		wantKind(t, s.SaveRotationJob(t.Context(), j, time.Hour), warden.ECONFLICT, "lease")
		k.State = warden.RotationRolledBack
		must(t, s.SaveRotationJob(t.Context(), k, time.Hour))
		_, err = s.ClaimRotationJob(t.Context(), "rot-1", "w3", time.Hour)
		wantKind(t, err, warden.EINVALID, "rolled_back")
		// A finished job frees the credential for a new rotation.
		must(t, s.CreateRotationJob(t.Context(), newJob("rot-2", "billing-jwt")))
	}},
}
