package azurekv_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/secret/azurekv"
)

const testSecret = "s3cret-client-value"

// tokenServer is a Microsoft identity platform stand-in: it grants a
// token to app "app" of tenant "tenant" with testSecret, and counts grants.
func tokenServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var grants atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost || r.URL.Path != "/tenant/oauth2/v2.0/token" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":"invalid_request"}`)
			return
		}
		r.ParseForm()
		if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_id") != "app" || r.PostForm.Get("client_secret") != testSecret {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret %s provided."}`, r.PostForm.Get("client_secret"))
			return
		}
		n := grants.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": 3599,
			"access_token": fmt.Sprintf("token-%d-for-%s", n, r.PostForm.Get("scope"))})
	}))
	t.Cleanup(ts.Close)
	return ts, &grants
}

func TestClientSecretCredential(t *testing.T) {
	ts, grants := tokenServer(t)
	cred, err := azurekv.NewClientSecretCredential("tenant", "app", testSecret, azurekv.CredentialOptions{AuthorityHost: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	vault := policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}}
	for range 3 {
		tok, err := cred.GetToken(t.Context(), vault)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Token != "token-1-for-https://vault.azure.net/.default" || tok.ExpiresOn.IsZero() {
			t.Errorf("token %+v", tok)
		}
	}
	if grants.Load() != 1 {
		t.Errorf("%d grants for one scope; the token is not reused", grants.Load())
	}
	if tok, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"other/.default"}}); err != nil || !strings.HasPrefix(tok.Token, "token-2-") {
		t.Errorf("another scope: %+v %v", tok, err)
	}
	for _, s := range []string{fmt.Sprint(cred), fmt.Sprintf("%#v", cred)} {
		if strings.Contains(s, testSecret) {
			t.Errorf("the credential prints its secret: %s", s)
		}
	}

	wrong, err := azurekv.NewClientSecretCredential("tenant", "app", "wrong-secret-value", azurekv.CredentialOptions{AuthorityHost: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrong.GetToken(t.Context(), vault)
	if warden.ErrorKind(err) != warden.EUNAUTHORIZED || warden.ErrorMessage(err) != "the Microsoft identity platform refused a token (HTTP 401): invalid_client" {
		t.Errorf("wrong secret: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-secret-value") {
		t.Errorf("the error shows the secret: %v", err)
	}
}

func TestCredentialFromEnv(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	_, err := azurekv.CredentialFromEnv(getenv)
	if warden.ErrorKind(err) != warden.EINVALID || !strings.Contains(warden.ErrorMessage(err), "AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET not set") {
		t.Errorf("empty environment: %v", err)
	}
	env = map[string]string{"AZURE_TENANT_ID": "tenant", "AZURE_CLIENT_ID": "app", "AZURE_CLIENT_SECRET": testSecret, "AZURE_AUTHORITY_HOST": "http://login.example.com"}
	if _, err := azurekv.CredentialFromEnv(getenv); warden.ErrorKind(err) != warden.EINVALID || !strings.Contains(warden.ErrorMessage(err), "is not an https URL") {
		t.Errorf("plain http authority: %v", err)
	}
	delete(env, "AZURE_AUTHORITY_HOST")
	if c, err := azurekv.CredentialFromEnv(getenv); err != nil || !strings.Contains(c.String(), "https://login.microsoftonline.com/tenant/oauth2/v2.0/token") {
		t.Errorf("default authority: %v %v", c, err)
	}
}
