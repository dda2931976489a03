//go:build tools

// Package deps pins modules that packages being written will import, so
// that concurrent work does not race on go.mod. Remove entries once real
// imports exist.
package deps

import (
	_ "github.com/Azure/azure-sdk-for-go/sdk/azcore"
	_ "github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	_ "github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets/fake"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/hashicorp/vault/api"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/pressly/goose/v3"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "golang.org/x/oauth2"
	_ "golang.org/x/time/rate"
	_ "modernc.org/sqlite"
)
