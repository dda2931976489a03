package azurekvtest_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/wardenhq/warden/secret/azurekv/azurekvtest"
)

func client(t *testing.T, srv *azurekvtest.Server) *azsecrets.Client {
	t.Helper()
	c, err := srv.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantResponseError(t *testing.T, err error, status int, code, what string) {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != status || re.ErrorCode != code {
		t.Errorf("%s: %v; want *azcore.ResponseError %d %s", what, err, status, code)
	}
}

// TestKeyVaultBehaviour drives the fake through the real SDK client and
// checks the Key Vault behaviour the package documentation lists.
func TestKeyVaultBehaviour(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC)
	srv := azurekvtest.New(azurekvtest.Options{Now: func() time.Time { return now }})
	c := client(t, srv)
	ctx := t.Context()

	_, err := c.GetSecret(ctx, "missing", "", nil)
	wantResponseError(t, err, http.StatusNotFound, "SecretNotFound", "GetSecret of a missing secret")

	for _, bad := range []string{"under_score", "dot.ted", strings.Repeat("a", 128)} {
		_, err := c.SetSecret(ctx, bad, azsecrets.SetSecretParameters{Value: to.Ptr("v")}, nil)
		wantResponseError(t, err, http.StatusBadRequest, "BadParameter", "SetSecret "+bad)
	}

	set, err := c.SetSecret(ctx, "My-Secret", azsecrets.SetSecretParameters{Value: to.Ptr("one"), Tags: map[string]*string{"a": to.Ptr("1")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v1 := set.ID.Version()
	if len(v1) != 32 || strings.Trim(v1, "0123456789abcdef") != "" || set.ID.Name() != "My-Secret" {
		t.Errorf("SetSecret id %q: want name My-Secret and a 32-hex version", *set.ID)
	}
	if !set.Attributes.Created.Equal(now.Truncate(time.Second)) || !*set.Attributes.Enabled {
		t.Errorf("attributes %+v; want created %v (Unix seconds on the wire), enabled", set.Attributes, now)
	}
	now = now.Add(time.Second)
	if _, err := c.SetSecret(ctx, "my-secret", azsecrets.SetSecretParameters{Value: to.Ptr("two")}, nil); err != nil {
		t.Fatal(err)
	}

	// Names are case-insensitive; no version means the newest.
	got, err := c.GetSecret(ctx, "MY-SECRET", "", nil)
	if err != nil || *got.Value != "two" {
		t.Errorf("GetSecret latest = %v, %v; want two", got.Value, err)
	}
	got, err = c.GetSecret(ctx, "my-secret", v1, nil)
	if err != nil || *got.Value != "one" || *got.Tags["a"] != "1" {
		t.Errorf("GetSecret v1 = %v, %v", got.Value, err)
	}
	_, err = c.GetSecret(ctx, "my-secret", strings.Repeat("0", 32), nil)
	wantResponseError(t, err, http.StatusNotFound, "SecretNotFound", "GetSecret of a missing version")

	// Update replaces tags and keeps the value.
	up, err := c.UpdateSecretProperties(ctx, "my-secret", v1, azsecrets.UpdateSecretPropertiesParameters{Tags: map[string]*string{"b": to.Ptr("2")}}, nil)
	if err != nil || up.Value != nil || len(up.Tags) != 1 || *up.Tags["b"] != "2" {
		t.Errorf("UpdateSecretProperties = %+v, %v", up, err)
	}

	// Listing versions: properties without values.
	var ids []string
	for pager := c.NewListSecretPropertiesVersionsPager("my-secret", nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Value {
			ids = append(ids, p.ID.Version())
		}
	}
	if len(ids) != 2 {
		t.Errorf("listed %d versions; want 2", len(ids))
	}
	pager := c.NewListSecretPropertiesVersionsPager("nothing-here", nil)
	if page, err := pager.NextPage(ctx); err != nil || len(page.Value) != 0 {
		t.Errorf("listing a missing secret: %v, %v; want an empty list", page.Value, err)
	}

	// Disabled versions cannot be read.
	if _, err := c.UpdateSecretProperties(ctx, "my-secret", v1, azsecrets.UpdateSecretPropertiesParameters{SecretAttributes: &azsecrets.SecretAttributes{Enabled: to.Ptr(false)}}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetSecret(ctx, "my-secret", v1, nil)
	wantResponseError(t, err, http.StatusForbidden, "Forbidden", "GetSecret of a disabled version")

	// Soft delete reserves the name until purge.
	if _, err := c.DeleteSecret(ctx, "my-secret", nil); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetSecret(ctx, "my-secret", "", nil)
	wantResponseError(t, err, http.StatusNotFound, "SecretNotFound", "GetSecret after delete")
	_, err = c.SetSecret(ctx, "my-secret", azsecrets.SetSecretParameters{Value: to.Ptr("three")}, nil)
	wantResponseError(t, err, http.StatusConflict, "Conflict", "SetSecret on a deleted name")
	if d, err := c.GetDeletedSecret(ctx, "my-secret", nil); err != nil || d.RecoveryID == nil || d.ScheduledPurgeDate == nil {
		t.Errorf("GetDeletedSecret = %+v, %v", d, err)
	}
	if _, err := c.PurgeDeletedSecret(ctx, "my-secret", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetSecret(ctx, "my-secret", azsecrets.SetSecretParameters{Value: to.Ptr("three")}, nil); err != nil {
		t.Errorf("SetSecret after purge: %v", err)
	}
	_, err = c.PurgeDeletedSecret(ctx, "my-secret", nil)
	wantResponseError(t, err, http.StatusNotFound, "SecretNotFound", "purge of a secret that is not deleted")
}

func TestDeleteLatencyAndRecover(t *testing.T) {
	srv := azurekvtest.New(azurekvtest.Options{DeleteLatency: 2})
	c := client(t, srv)
	ctx := t.Context()
	if _, err := c.SetSecret(ctx, "s", azsecrets.SetSecretParameters{Value: to.Ptr("v")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteSecret(ctx, "s", nil); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetDeletedSecret(ctx, "s", nil)
	wantResponseError(t, err, http.StatusNotFound, "SecretNotFound", "GetDeletedSecret while deleting")
	_, err = c.PurgeDeletedSecret(ctx, "s", nil)
	wantResponseError(t, err, http.StatusConflict, "Conflict", "purge while deleting")
	if _, err := c.RecoverDeletedSecret(ctx, "s", nil); err != nil {
		t.Fatalf("recover: %v", err)
	}
	if got, err := c.GetSecret(ctx, "s", "", nil); err != nil || *got.Value != "v" {
		t.Errorf("GetSecret after recover: %v", err)
	}
}

func TestPaging(t *testing.T) {
	srv := azurekvtest.New(azurekvtest.Options{})
	c := client(t, srv)
	ctx := t.Context()
	for range 60 {
		if _, err := c.SetSecret(ctx, "paged", azsecrets.SetSecretParameters{Value: to.Ptr("v")}, nil); err != nil {
			t.Fatal(err)
		}
	}
	pages, total := 0, 0
	for pager := c.NewListSecretPropertiesVersionsPager("paged", nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		total += len(page.Value)
	}
	if pages != 3 || total != 60 {
		t.Errorf("%d pages, %d versions; want 3 pages of up to 25, 60 versions", pages, total)
	}
}
