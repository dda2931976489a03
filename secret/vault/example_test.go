package vault_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/secret/vault"
	"github.com/wardenhq/warden/secret/vault/vaulttest"
)

func Example() {
	// An in-process Vault; in production, Address and Token name a real one.
	srv := vaulttest.New(vaulttest.Options{})
	ts := httptest.NewServer(srv)
	defer ts.Close()

	s, err := vault.New(vault.Config{Address: ts.URL, Token: vaulttest.DefaultToken})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	s.Put(ctx, "acme/prod/password", []byte("old"), warden.StageCurrent, nil)
	s.Put(ctx, "acme/prod/password", []byte("new"), warden.StagePending, nil)
	s.Promote(ctx, "acme/prod/password")

	cur, _ := s.Get(ctx, "acme/prod/password", warden.StageCurrent)
	fmt.Println(cur.Version, string(cur.Value))
	fmt.Println(srv.CustomMetadata("secret", "warden/acme/prod/password"))
	// Output:
	// 2 new
	// map[warden_current:2 warden_previous:1]
}
