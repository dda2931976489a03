// Command apicost measures the Salesforce API cost of one sweep of an org
// with 20 integration users, from the emulator's own usage counters, for
// Warden's monitor and for a naive checker that logs in as each user and
// queries its state (the way per-user checkers work).
//
// The emulator runs in-process on 127.0.0.1 (its counters are what is
// measured, not time). Each org is swept once (the first sweep also learns
// user ids: 2 requests), the counters are reset, then -sweeps sweeps are
// counted and divided. Warden's liveness checks (each user's own
// credential, every 15 minutes by default) are reported separately.
//
//	go run ./bench/apicost -orgs 5 -users 20 -sweeps 10
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardenhq/warden/bench/internal/benchenv"
	"github.com/wardenhq/warden/bench/internal/benchseed"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/salesforce"
	"github.com/wardenhq/warden/sqlite"
)

func main() {
	orgs := flag.Int("orgs", 5, "orgs")
	users := flag.Int("users", 20, "integration users per org")
	sweeps := flag.Int("sweeps", 10, "counted sweeps per org")
	flag.Parse()
	if err := run(context.Background(), *orgs, *users, *sweeps); err != nil {
		log.Fatal(err)
	}
}

// cost is the counters' change over the counted sweeps, summed over orgs.
type cost struct{ requests, logins int }

func (c cost) perSweep(orgs, sweeps int) (float64, float64) {
	n := float64(orgs * sweeps)
	return float64(c.requests) / n, float64(c.logins) / n
}

func run(ctx context.Context, orgs, users, sweeps int) error {
	key, cert, err := benchseed.NewKey()
	if err != nil {
		return err
	}
	emu, err := benchenv.StartEmulator(benchseed.Generate(benchseed.Params{Orgs: orgs, Users: users, Cert: cert}))
	if err != nil {
		return err
	}
	defer emu.Close()
	dir, err := os.MkdirTemp("", "warden-apicost")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(ctx, filepath.Join(dir, "warden.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	c := benchenv.Client(emu.URL)
	fmt.Printf("load average: %s\n", benchenv.LoadAvg())

	// Warden, without and with liveness checks configured.
	for _, live := range []bool{false, true} {
		mon := monitor.New(monitor.Options{Store: store, NoPush: true}, benchenv.MonitorOrgs(c, key, orgs, users, live))
		first, err := measure(ctx, emu.URL, orgs, 1, func(i int) error { return mon.SweepOrg(ctx, benchseed.OrgName(i)) })
		if err != nil {
			return err
		}
		steady, err := measure(ctx, emu.URL, orgs, sweeps, func(i int) error { return mon.SweepOrg(ctx, benchseed.OrgName(i)) })
		if err != nil {
			return err
		}
		fr, fl := first.perSweep(orgs, 1)
		sr, sl := steady.perSweep(orgs, sweeps)
		fmt.Printf("warden (liveness %-5v): first sweep %.2f requests %.2f logins per org; steady state %.2f requests %.2f logins per org per sweep\n",
			live, fr, fl, sr, sl)
	}

	// The naive checker.
	failures := 0
	naive, err := measure(ctx, emu.URL, orgs, sweeps, func(i int) error {
		for j := 0; j < users; j++ {
			if err := naiveCheck(ctx, c, benchseed.AppKey(i), benchseed.Username(i, j)); err != nil {
				if failures == 0 {
					msg := strings.Join(strings.Fields(err.Error()), " ")
					fmt.Printf("naive checker: first failure: %.160s…\n", msg)
				}
				failures++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	nr, nl := naive.perSweep(orgs, sweeps)
	fmt.Printf("naive checker: %.2f requests %.2f logins per org per sweep (%d of %d user checks had a failed query)\n", nr, nl, failures, orgs*users*sweeps)
	fmt.Printf("load average: %s\n", benchenv.LoadAvg())
	return nil
}

// measure resets every org's counters, runs sweep(i) for each org n
// times, and returns the counters summed over orgs.
func measure(ctx context.Context, base string, orgs, n int, sweep func(i int) error) (cost, error) {
	for i := 0; i < orgs; i++ {
		if err := benchenv.ResetUsage(ctx, base, benchseed.OrgName(i)); err != nil {
			return cost{}, err
		}
	}
	for k := 0; k < n; k++ {
		for i := 0; i < orgs; i++ {
			if err := sweep(i); err != nil {
				return cost{}, fmt.Errorf("sweep of %s: %w", benchseed.OrgName(i), err)
			}
		}
	}
	var c cost
	for i := 0; i < orgs; i++ {
		u, err := benchenv.GetUsage(ctx, base, benchseed.OrgName(i))
		if err != nil {
			return cost{}, err
		}
		c.requests += u.APIRequests
		c.logins += u.Logins
	}
	return c, nil
}

// naiveCheck logs in as the user (OAuth password grant) and reads its own
// User, UserLogin and permission state with one query each.
func naiveCheck(ctx context.Context, c *salesforce.Client, appKey, username string) error {
	s := salesforce.NewSession(c, &salesforce.PasswordAuth{Client: c, ClientID: appKey, ClientSecret: benchseed.AppSecret,
		Username: username, Password: benchseed.UserPassword + benchseed.UserToken})
	q := "'" + username + "'"
	var firstErr error
	for k, soql := range []string{
		"SELECT Id, Username, IsActive, Profile.Name, LastPasswordChangeDate FROM User WHERE Username = " + q,
		"SELECT UserId, IsFrozen, IsPasswordLocked FROM UserLogin WHERE UserId IN (SELECT Id FROM User WHERE Username = " + q + ")",
		"SELECT PermissionSet.Name, PermissionSet.PermissionsApiEnabled FROM PermissionSetAssignment WHERE Assignee.Username = " + q,
	} {
		if _, err := s.Query(ctx, soql, nil); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("query %d of 3 (%s): %w", k+1, strings.Fields(soql[strings.Index(soql, " FROM ")+6:])[0], err)
		}
	}
	return firstErr
}
