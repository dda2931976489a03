// Package credential is Warden's one home for credentials: the codec of
// the secret material kept in secret stores, the authenticators of every
// credential kind, the registry of Salesforce clients and sessions that
// everything in a process shares, and onboarding (connecting an org, with
// the OAuth web-server flow with PKCE on a loopback callback).
//
// # Material
//
// A credential's secret (warden.Material) is stored as one JSON object,
// {"privateKey", "clientSecret", "refreshToken", "password"}, empty fields
// left out. Encode and Decode are the only codec; Read and Write move it
// to and from a warden.SecretStore in a stage: warden.StageCurrent for
// use now, warden.StagePending for a rotation that promotes it once
// verified. Errors name the store, key and missing field, never a value.
//
// # Registry
//
// A Registry reads orgs and credentials through warden.OrgService and
// warden.CredentialService and secrets from the secret stores by name. It
// keeps one *salesforce.Client per org, all on one http.Client (one
// connection pool), and one *salesforce.Session per credential:
// Registry.Session hands every caller the same session, so a credential
// logs in once and concurrent callers share its token. Registry.Forget
// drops a cached session after the credential changed (a rotation).
// Registry.Authenticator builds a fresh authenticator, for checks that
// must log in anew. A refresh token the connected app rotates is written
// to the secret store before its access token is used.
//
// # Onboarding
//
// Registry.Connect proves a new monitoring credential by logging in,
// learns the org id, instance URL and username, and only then writes the
// secret, the org and the credential. WebLogin obtains a refresh token
// through the browser: it serves the callback on loopback (CallbackURL
// checks it), checks the state, and trades the code with its PKCE
// verifier.
package credential
