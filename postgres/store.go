package postgres

import (
	"context"
	"time"

	"github.com/wardenhq/warden"
)

// The methods of warden.Store but Close forward to the shared SQL store
// (internal/sqlstore), which PostgreSQL parameterizes through dialect.

// UpsertOrg creates or replaces the org with o.Name. It keeps the
// CreatedAt of an existing org, sets UpdatedAt to now, and writes both
// back into o.
func (db *DB) UpsertOrg(ctx context.Context, o *warden.Org) error {
	return db.store.UpsertOrg(ctx, o)
}

// Org returns the named org, or an ENOTFOUND error.
func (db *DB) Org(ctx context.Context, name string) (*warden.Org, error) {
	return db.store.Org(ctx, name)
}

// Orgs returns every org ordered by name.
func (db *DB) Orgs(ctx context.Context) ([]*warden.Org, error) {
	return db.store.Orgs(ctx)
}

// DeleteOrg removes an org with its users, credentials and dependents, or
// returns an ENOTFOUND error.
func (db *DB) DeleteOrg(ctx context.Context, name string) error {
	return db.store.DeleteOrg(ctx, name)
}

// UpsertUser creates or replaces the user with (u.Org, u.Username). The
// org must exist. It keeps the CreatedAt of an existing user, sets
// UpdatedAt to now, and writes both back into u.
func (db *DB) UpsertUser(ctx context.Context, u *warden.IntegrationUser) error {
	return db.store.UpsertUser(ctx, u)
}

// User returns one user, or an ENOTFOUND error.
func (db *DB) User(ctx context.Context, org, username string) (*warden.IntegrationUser, error) {
	return db.store.User(ctx, org, username)
}

// Users returns the matching users ordered by org and username.
func (db *DB) Users(ctx context.Context, f warden.UserFilter) ([]*warden.IntegrationUser, error) {
	return db.store.Users(ctx, f)
}

// DeleteUser removes a user and its dependents, or returns an ENOTFOUND
// error.
func (db *DB) DeleteUser(ctx context.Context, org, username string) error {
	return db.store.DeleteUser(ctx, org, username)
}

// UpsertCredential creates or replaces the credential with c.Name. The org
// must exist. Only the reference to the secret material is stored. It
// keeps the CreatedAt of an existing credential and writes it back into c;
// RotatedAt is stored as given (zero for never).
func (db *DB) UpsertCredential(ctx context.Context, c *warden.Credential) error {
	return db.store.UpsertCredential(ctx, c)
}

// Credential returns the named credential, or an ENOTFOUND error.
func (db *DB) Credential(ctx context.Context, name string) (*warden.Credential, error) {
	return db.store.Credential(ctx, name)
}

// Credentials returns the credentials of an org ("" for all), by name.
func (db *DB) Credentials(ctx context.Context, org string) ([]*warden.Credential, error) {
	return db.store.Credentials(ctx, org)
}

// DeleteCredential removes the named credential, or returns an ENOTFOUND
// error. Users and orgs that name it keep the name.
func (db *DB) DeleteCredential(ctx context.Context, name string) error {
	return db.store.DeleteCredential(ctx, name)
}

// UpsertDependent creates or replaces the dependent (d.Org, d.Name). Its
// integration user must exist. It keeps the CreatedAt of an existing
// dependent, sets UpdatedAt to now, and writes both back into d.
func (db *DB) UpsertDependent(ctx context.Context, d *warden.Dependent) error {
	return db.store.UpsertDependent(ctx, d)
}

// Dependents returns the matching dependents by org and name.
func (db *DB) Dependents(ctx context.Context, f warden.DependentFilter) ([]*warden.Dependent, error) {
	return db.store.Dependents(ctx, f)
}

// DeleteDependent removes the dependent (org, name), or returns an
// ENOTFOUND error.
func (db *DB) DeleteDependent(ctx context.Context, org, name string) error {
	return db.store.DeleteDependent(ctx, org, name)
}

// UpsertOwner creates or replaces the owner team o.Team.
func (db *DB) UpsertOwner(ctx context.Context, o *warden.Owner) error {
	return db.store.UpsertOwner(ctx, o)
}

// Owners returns every owner team by name.
func (db *DB) Owners(ctx context.Context) ([]*warden.Owner, error) {
	return db.store.Owners(ctx)
}

// DeleteOwner removes an owner team, or returns an ENOTFOUND error.
func (db *DB) DeleteOwner(ctx context.Context, team string) error {
	return db.store.DeleteOwner(ctx, team)
}

// Declared returns the inventory items the configuration declared when it
// was last synced, ordered by kind, org and name.
func (db *DB) Declared(ctx context.Context) ([]warden.ItemKey, error) {
	return db.store.Declared(ctx)
}

// SetDeclared replaces the recorded declared items with keys, at once.
func (db *DB) SetDeclared(ctx context.Context, keys []warden.ItemKey) error {
	return db.store.SetDeclared(ctx, keys)
}

// AppendRotation records one step of a credential rotation and sets its
// ID. A zero At becomes now; At is written back in UTC, truncated to
// microseconds.
func (db *DB) AppendRotation(ctx context.Context, r *warden.RotationRecord) error {
	return db.store.AppendRotation(ctx, r)
}

// Rotations returns the records of a credential ("" for all), newest
// first (by At, then ID); limit 0 returns all.
func (db *DB) Rotations(ctx context.Context, credential string, limit int) ([]*warden.RotationRecord, error) {
	return db.store.Rotations(ctx, credential, limit)
}

// AppendHealth records a result and sets its ID. A zero CheckedAt becomes
// now; CheckedAt is written back in UTC, truncated to microseconds.
func (db *DB) AppendHealth(ctx context.Context, r *warden.HealthResult) error {
	return db.store.AppendHealth(ctx, r)
}

// LatestHealth returns the newest result (by CheckedAt, then ID) of every
// matching user, ordered by org and username. Since drops users whose
// newest result is older; Limit keeps the first Limit users.
func (db *DB) LatestHealth(ctx context.Context, f warden.HealthFilter) ([]*warden.HealthResult, error) {
	return db.store.LatestHealth(ctx, f)
}

// HealthHistory returns matching results, newest first (by CheckedAt, then
// ID).
func (db *DB) HealthHistory(ctx context.Context, f warden.HealthFilter) ([]*warden.HealthResult, error) {
	return db.store.HealthHistory(ctx, f)
}

// AppendFindings records the findings of one audit run, which may be
// empty: a clean audit is recorded too. Each finding gets its ID, AuditID
// set to auditID, and FoundAt set to at when zero. A zero at becomes now.
// Recording an audit id twice is an ECONFLICT error.
func (db *DB) AppendFindings(ctx context.Context, auditID string, at time.Time, fs []*warden.Finding) error {
	return db.store.AppendFindings(ctx, auditID, at, fs)
}

// Findings returns matching findings, newest audit first, and within an
// audit in the order they were recorded.
func (db *DB) Findings(ctx context.Context, f warden.FindingFilter) ([]*warden.Finding, error) {
	return db.store.Findings(ctx, f)
}

// Audits returns recent audit runs with their finding counts, newest
// first; limit 0 returns all.
func (db *DB) Audits(ctx context.Context, limit int) ([]warden.AuditRun, error) {
	return db.store.Audits(ctx, limit)
}

// Prune deletes history older than the retention allows: health results
// checked, audit runs (with their findings) recorded and rotation records
// written before now minus the matching retention. A zero retention keeps
// that history; a zero now means the store's clock. It reports how many
// rows it removed, counting each health result, finding, audit run and
// rotation record. All deletions commit together.
func (db *DB) Prune(ctx context.Context, r warden.Retention, now time.Time) (int, error) {
	return db.store.Prune(ctx, r, now)
}
