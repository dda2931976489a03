package vault_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/secret/vault"
	"github.com/wardenhq/warden/secret/vault/vaulttest"
)

func TestDbg(t *testing.T) {
	inner := vaulttest.New(vaulttest.Options{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		st := time.Now()
		inner.ServeHTTP(rec, r)
		t.Logf("%v %s %s -> %d (%v)", time.Now().Format("05.000"), r.Method, r.URL, rec.Code, time.Since(st))
		for k, v := range rec.Header() { w.Header()[k] = v }
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	defer ts.Close()
	s, _ := vault.New(vault.Config{Address: ts.URL, Token: vaulttest.DefaultToken})
	for i := 0; i < 3; i++ {
		st := time.Now()
		_, err := s.Put(t.Context(), "k", []byte("v"), warden.StageCurrent, nil)
		t.Logf("put %v %v", err, time.Since(st))
	}
}
