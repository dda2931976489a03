package auth_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/sqlite"
)

// A JSON route that operators may call, behind the Middleware, called
// with an API token of each role and without one.
func ExampleRequire() {
	ctx := context.Background()
	db, _ := sqlite.Open(ctx, sqlite.MemoryPath)
	defer db.Close()
	svc := auth.New(db, auth.Options{Argon2: auth.Argon2Params{Memory: 64, Time: 1, Threads: 1}})
	check := auth.Require(warden.RoleOperator, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := warden.PrincipalFrom(r.Context())
		svc.Audit(r.Context(), "user.check", "acme/sync@acme.example", nil)
		io.WriteString(w, "checked by "+p.Name)
	}))
	h := svc.Middleware(check)

	for _, role := range []warden.Role{"", warden.RoleViewer, warden.RoleOperator} {
		req := httptest.NewRequest("POST", "/api/v1/users/acme/sync@acme.example/check", nil)
		if role != "" {
			token, _, _ := svc.CreateToken(ctx, string(role)+"-bot", role, 0)
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Printf("%-8s %d\n", role, rec.Code)
	}
	r, _ := auth.VerifyAuditLog(ctx, db)
	fmt.Println("audit entries:", r.Entries, "intact:", r.OK())
	// Output:
	//          401
	// viewer   403
	// operator 200
	// audit entries: 3 intact: true
}
