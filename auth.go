package warden

import "context"

// Role is what a person or an API token may do on Warden's dashboard and
// JSON API. Roles are ordered: each allows everything the ones before it
// allow.
type Role string

// Roles, from least to most privileged.
const (
	// RoleViewer reads every page and API resource.
	RoleViewer Role = "viewer"
	// RoleOperator also checks users now, acknowledges and snoozes alerts,
	// rotates credentials and starts re-authorizations.
	RoleOperator Role = "operator"
	// RoleAdmin also manages configuration, accounts, API tokens and
	// broker keys.
	RoleAdmin Role = "admin"
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether r may do what need requires.
func (r Role) Allows(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleOperator:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Principal is who a request acts for: a local account, an OIDC identity
// or an API token, with its role. The authentication middleware puts it in
// the request's context; handlers read it with PrincipalFrom.
type Principal struct {
	// Kind is "account", "oidc" or "token"; "cli" for a command run on
	// the server's host (package auth's audit log records it).
	Kind string `json:"kind"`
	// Name is the account's username, the OIDC subject's e-mail or name,
	// or the API token's name.
	Name string `json:"name"`
	Role Role   `json:"role"`
	// CSRF is the token a state-changing request of a cookie session must
	// carry (a form field or header); empty for API tokens, which need
	// none. Pages put it in their forms.
	CSRF string `json:"-"`
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal ctx carries, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
