package postgres_test

import (
	"context"
	"fmt"
	"log"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/postgres"
)

func ExampleOpen() {
	ctx := context.Background()
	db, err := postgres.Open(ctx, "postgres://warden@db.internal:5432/warden?sslmode=verify-full")
	if err != nil {
		log.Fatal(err) // warden.ErrorKind(err) is unavailable when the server cannot be reached
	}
	defer db.Close()

	users, err := db.Users(ctx, warden.UserFilter{Org: "acme-prod"})
	if err != nil {
		log.Fatal(err)
	}
	for _, u := range users {
		fmt.Println(u.Username, u.Owner)
	}
}
