package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// Benchmark sizes: the inventory of a large deployment.
const (
	// BenchOrgs is how many orgs the benchmark users are spread over.
	BenchOrgs = 10
	// BenchUsers is how many integration users the benchmarks check.
	BenchUsers = 2000
	// BenchResultsPerUser is how many results BenchmarkLatestHealth seeds
	// per user before measuring.
	BenchResultsPerUser = 10
)

// benchUser returns the org and username of benchmark user i.
func benchUser(i int) (org, username string) {
	return fmt.Sprintf("org-%02d", i%BenchOrgs), fmt.Sprintf("int-%04d@example.com", i%BenchUsers)
}

// benchResult returns the n-th health result of benchmark user i.
func benchResult(i, n int) *warden.HealthResult {
	org, username := benchUser(i)
	r := &warden.HealthResult{
		Org:       org,
		Username:  username,
		State:     warden.StateOK,
		CheckedAt: base.Add(time.Duration(n) * time.Minute),
	}
	if n%3 == 0 {
		r.State, r.Cause = warden.StateError, warden.CauseUserFrozen
		r.Evidence, r.Fix = "UserLogin.IsFrozen = true", "Unfreeze the user."
		r.Warnings = []string{"password expires in 7 days"}
	}
	return r
}

// BenchmarkAppendHealth measures AppendHealth on s, one result per
// operation spread over BenchUsers users: serially, and from parallel
// goroutines (b.RunParallel).
func BenchmarkAppendHealth(b *testing.B, s warden.Store) {
	ctx := context.Background()
	var n atomic.Int64
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			i := int(n.Add(1))
			if err := s.AppendHealth(ctx, benchResult(i, i/BenchUsers)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(n.Add(1))
				if err := s.AppendHealth(ctx, benchResult(i, i/BenchUsers)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkLatestHealth seeds s with BenchResultsPerUser results for each
// of BenchUsers users and measures LatestHealth: for every user, for one
// org's users, and for one user.
func BenchmarkLatestHealth(b *testing.B, s warden.Store) {
	ctx := context.Background()
	if err := SeedHealth(ctx, s, BenchUsers, BenchResultsPerUser); err != nil {
		b.Fatal(err)
	}
	org, username := benchUser(7)
	for _, bc := range []struct {
		name string
		f    warden.HealthFilter
		want int
	}{
		{"all", warden.HealthFilter{}, BenchUsers},
		{"org", warden.HealthFilter{Org: org}, BenchUsers / BenchOrgs},
		{"user", warden.HealthFilter{Org: org, Username: username}, 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rs, err := s.LatestHealth(ctx, bc.f)
				if err != nil {
					b.Fatal(err)
				}
				if len(rs) != bc.want {
					b.Fatalf("LatestHealth returned %d results, want %d", len(rs), bc.want)
				}
			}
		})
	}
}

// SeedHealth appends perUser results for each of users benchmark users,
// from a few goroutines.
func SeedHealth(ctx context.Context, s warden.Store, users, perUser int) error {
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < users; i += workers {
				for n := range perUser {
					if err := s.AppendHealth(ctx, benchResult(i, n)); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}
