// Command apicost measures the Salesforce API cost of sweeping orgs of 20
// integration users, from the emulator's own usage counters, for Warden's
// monitor and for a naive checker that logs in as each user and queries its
// state (the way per-user checkers work). It reports API requests per org
// per sweep and logins per user, for healthy and for unhealthy users side
// by side.
//
// The emulator runs in-process on 127.0.0.1 (its counters are what is
// measured, not time). In each org the first -broken users are made
// unhealthy (frozen, password locked, password changed outside Warden, in
// turn). Each org is swept once (the first sweep also learns user ids: 2
// requests), the counters are reset, then -sweeps sweeps are counted, the
// emulator's clock (and the monitor's) moving -interval between sweeps, so
// that -sweeps × -interval of emulated time is measured (default one hour).
//
//	go run ./bench/apicost -orgs 5 -users 20 -sweeps 120 -interval 30s
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wardenhq/warden/bench/internal/benchenv"
	"github.com/wardenhq/warden/bench/internal/benchseed"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/salesforce"
	"github.com/wardenhq/warden/sqlite"
)

func main() {
	orgs := flag.Int("orgs", 5, "orgs")
	users := flag.Int("users", 20, "integration users per org")
	broken := flag.Int("broken", 3, "unhealthy users per org (frozen, locked, password changed elsewhere, in turn)")
	sweeps := flag.Int("sweeps", 120, "counted sweeps per org")
	interval := flag.Duration("interval", 30*time.Second, "emulated time between sweeps")
	flag.Parse()
	p := params{orgs: *orgs, users: *users, broken: min(*broken, *users), sweeps: *sweeps, interval: *interval}
	if err := run(context.Background(), p); err != nil {
		log.Fatal(err)
	}
}

type params struct {
	orgs, users, broken, sweeps int
	interval                    time.Duration
}

// cost is the counters' change over the counted sweeps, summed over orgs:
// requests, and logins of healthy and of unhealthy users.
type cost struct{ requests, healthy, unhealthy int }

// report prints a cost per org per sweep, and per user per sweep and (over
// more than one sweep) per emulated hour.
func (p params) report(name string, c cost, sweeps int) {
	hours := float64(sweeps) * p.interval.Hours()
	perSweep := func(logins, users int) float64 { return float64(logins) / float64(users*sweeps) }
	healthy, unhealthy := p.orgs*(p.users-p.broken), p.orgs*p.broken
	line := fmt.Sprintf("%s: %.2f requests per org per sweep", name, float64(c.requests)/float64(p.orgs*sweeps))
	for _, g := range []struct {
		name          string
		logins, users int
	}{{"healthy", c.healthy, healthy}, {"unhealthy", c.unhealthy, unhealthy}} {
		if g.users == 0 {
			continue
		}
		line += fmt.Sprintf("; %s users %.3f logins per user per sweep", g.name, perSweep(g.logins, g.users))
		if sweeps > 1 {
			line += fmt.Sprintf(" (%.2f per hour)", float64(g.logins)/float64(g.users)/hours)
		}
	}
	fmt.Println(line)
}

func run(ctx context.Context, p params) error {
	key, cert, err := benchseed.NewKey()
	if err != nil {
		return err
	}
	emu, err := benchenv.StartEmulator(benchseed.Generate(benchseed.Params{Orgs: p.orgs, Users: p.users, Cert: cert}))
	if err != nil {
		return err
	}
	defer emu.Close()
	if err := breakUsers(ctx, emu.URL, p); err != nil {
		return err
	}
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
	// benchenv.Client's configuration, on the emulator's clock (JWT
	// assertions must not expire as emulated time passes).
	c := salesforce.New(salesforce.Config{LoginURL: emu.URL, HTTPClient: &http.Client{}, UserAgent: "warden-bench", Now: emu.Now})
	fmt.Printf("load average: %s\n", benchenv.LoadAvg())
	fmt.Printf("%d orgs of %d users (%d unhealthy each), %d counted sweeps %s apart (%s emulated)\n",
		p.orgs, p.users, p.broken, p.sweeps, p.interval, time.Duration(p.sweeps)*p.interval)

	// Warden, without and with credential checks configured.
	for _, live := range []bool{false, true} {
		mon := monitor.New(monitor.Options{Store: store, NoPush: true, SweepInterval: p.interval, Now: emu.Now},
			benchenv.MonitorOrgs(c, key, p.orgs, p.users, live))
		sweep := func(i int) error { return mon.SweepOrg(ctx, benchseed.OrgName(i)) }
		first, err := measure(ctx, emu, p, 1, sweep)
		if err != nil {
			return err
		}
		steady, err := measure(ctx, emu, p, p.sweeps, sweep)
		if err != nil {
			return err
		}
		p.report(fmt.Sprintf("warden (checks %-5v) first sweep", live), first, 1)
		p.report(fmt.Sprintf("warden (checks %-5v) steady state", live), steady, p.sweeps)
	}

	// The naive checker.
	failures := 0
	naive, err := measure(ctx, emu, p, p.sweeps, func(i int) error {
		for j := 0; j < p.users; j++ {
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
	p.report("naive checker", naive, p.sweeps)
	fmt.Printf("naive checker: %d of %d user checks failed\n", failures, p.orgs*p.users*p.sweeps)
	fmt.Printf("load average: %s\n", benchenv.LoadAvg())
	return nil
}

// breakUsers makes the first p.broken users of every org unhealthy.
func breakUsers(ctx context.Context, base string, p params) error {
	changes := []map[string]any{{"frozen": true}, {"passwordLocked": true}, {"password": "Changed-Elsewhere-1!"}}
	for i := 0; i < p.orgs; i++ {
		for j := 0; j < p.broken; j++ {
			if err := benchenv.Control(ctx, base, "PATCH", "orgs/"+benchseed.OrgName(i)+"/users/"+benchseed.Username(i, j), changes[j%len(changes)], nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// measure resets every org's counters, runs sweep(i) for each org n times
// (moving the emulator's clock p.interval after each round), and returns
// the counters summed over orgs.
func measure(ctx context.Context, emu *benchenv.Emulator, p params, n int, sweep func(i int) error) (cost, error) {
	for i := 0; i < p.orgs; i++ {
		if err := benchenv.ResetUsage(ctx, emu.URL, benchseed.OrgName(i)); err != nil {
			return cost{}, err
		}
	}
	for k := 0; k < n; k++ {
		for i := 0; i < p.orgs; i++ {
			if err := sweep(i); err != nil {
				return cost{}, fmt.Errorf("sweep of %s: %w", benchseed.OrgName(i), err)
			}
		}
		emu.Advance(p.interval)
	}
	var c cost
	for i := 0; i < p.orgs; i++ {
		u, err := benchenv.GetUsage(ctx, emu.URL, benchseed.OrgName(i))
		if err != nil {
			return cost{}, err
		}
		c.requests += u.APIRequests
		for j := 0; j < p.users; j++ {
			if n := u.LoginsByUser[benchseed.Username(i, j)]; j < p.broken {
				c.unhealthy += n
			} else {
				c.healthy += n
			}
		}
	}
	return c, nil
}

// naiveCheck logs in as the user (OAuth password grant) and, when the
// login works, reads its own User, UserLogin and permission state with one
// query each.
func naiveCheck(ctx context.Context, c *salesforce.Client, appKey, username string) error {
	s := salesforce.NewSession(c, &salesforce.PasswordAuth{Client: c, ClientID: appKey, ClientSecret: benchseed.AppSecret,
		Username: username, Password: benchseed.UserPassword + benchseed.UserToken})
	if _, err := s.Token(ctx); err != nil {
		return fmt.Errorf("login: %w", err)
	}
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
