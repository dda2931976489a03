package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
)

func ExampleOpen() {
	ctx := context.Background()
	// In production, pass a file path such as /var/lib/warden/warden.db.
	db, err := sqlite.Open(ctx, sqlite.MemoryPath)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	if err := db.UpsertOrg(ctx, &warden.Org{Name: "acme-prod", LoginURL: "https://login.salesforce.com"}); err != nil {
		log.Fatal(err)
	}
	if err := db.UpsertUser(ctx, &warden.IntegrationUser{Org: "acme-prod", Username: "billing@acme.example", Owner: "finance"}); err != nil {
		log.Fatal(err)
	}
	checked := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	for i, state := range []warden.State{warden.StateOK, warden.StateError} {
		r := &warden.HealthResult{Org: "acme-prod", Username: "billing@acme.example", State: state, CheckedAt: checked.Add(time.Duration(i) * time.Minute)}
		if state == warden.StateError {
			r.Cause = warden.CauseUserFrozen
		}
		if err := db.AppendHealth(ctx, r); err != nil {
			log.Fatal(err)
		}
	}

	latest, err := db.LatestHealth(ctx, warden.HealthFilter{Org: "acme-prod"})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range latest {
		fmt.Println(r.Username, r.State, r.Cause, r.CheckedAt.Format(time.Kitchen))
	}
	_, err = db.Org(ctx, "globex")
	fmt.Println(warden.ErrorKind(err), err)
	// Output:
	// billing@acme.example error user_frozen 9:01AM
	// not_found sqlite.Org: org "globex" not found
}
