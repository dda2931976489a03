-- Warden's SQLite schema.
--
-- Times are INTEGER microseconds since the Unix epoch (UTC); NULL means
-- "never" where a time is optional. Lists are JSON arrays in TEXT columns.
-- Inventory tables (orgs, users, credentials, dependents, owners) are
-- upserted; history tables (health_results, audits + findings, rotations)
-- are append-only and pruned by age.

-- +goose Up
CREATE TABLE orgs (
	name                  TEXT    NOT NULL PRIMARY KEY,
	org_id                TEXT    NOT NULL DEFAULT '',
	login_url             TEXT    NOT NULL,
	instance_url          TEXT    NOT NULL DEFAULT '',
	monitoring_credential TEXT    NOT NULL DEFAULT '',
	daily_api_share       REAL    NOT NULL DEFAULT 0 CHECK (daily_api_share BETWEEN 0 AND 1),
	created_at            INTEGER NOT NULL,
	updated_at            INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
	org         TEXT    NOT NULL REFERENCES orgs (name) ON DELETE CASCADE,
	username    TEXT    NOT NULL,
	user_id     TEXT    NOT NULL DEFAULT '',
	credential  TEXT    NOT NULL DEFAULT '',
	owner       TEXT    NOT NULL DEFAULT '',
	description TEXT    NOT NULL DEFAULT '',
	reasons     TEXT    NOT NULL DEFAULT '[]' CHECK (json_type(reasons) = 'array'),
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	PRIMARY KEY (org, username)
) STRICT;
CREATE INDEX users_owner ON users (owner);

-- Credentials hold references to secret material (secret_store, secret_key),
-- never the material itself.
CREATE TABLE credentials (
	name         TEXT    NOT NULL PRIMARY KEY,
	org          TEXT    NOT NULL REFERENCES orgs (name) ON DELETE CASCADE,
	kind         TEXT    NOT NULL CHECK (kind IN ('jwt', 'client_credentials', 'refresh_token', 'password')),
	username     TEXT    NOT NULL DEFAULT '',
	client_id    TEXT    NOT NULL DEFAULT '',
	secret_store TEXT    NOT NULL DEFAULT '',
	secret_key   TEXT    NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	rotated_at   INTEGER
) STRICT;
CREATE INDEX credentials_org ON credentials (org, name);

CREATE TABLE owners (
	team     TEXT NOT NULL PRIMARY KEY,
	contacts TEXT NOT NULL DEFAULT '[]' CHECK (json_type(contacts) = 'array')
) STRICT;

CREATE TABLE dependents (
	org        TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	username   TEXT    NOT NULL,
	owner      TEXT    NOT NULL DEFAULT '',
	contact    TEXT    NOT NULL DEFAULT '',
	delivery   TEXT    NOT NULL DEFAULT '' CHECK (delivery IN ('', 'broker', 'secret_store', 'webhook', 'manual')),
	objects    TEXT    NOT NULL DEFAULT '[]' CHECK (json_type(objects) = 'array'),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (org, name),
	FOREIGN KEY (org, username) REFERENCES users (org, username) ON DELETE CASCADE
) STRICT;
CREATE INDEX dependents_user ON dependents (org, username);
CREATE INDEX dependents_owner ON dependents (owner);

-- Health history. Results outlive the users they describe until pruned.
CREATE TABLE health_results (
	id         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	org        TEXT    NOT NULL,
	username   TEXT    NOT NULL,
	state      TEXT    NOT NULL CHECK (state IN ('ok', 'degraded', 'error', 'unknown')),
	cause      TEXT    NOT NULL DEFAULT '',
	evidence   TEXT    NOT NULL DEFAULT '',
	fix        TEXT    NOT NULL DEFAULT '',
	warnings   TEXT    NOT NULL DEFAULT '[]' CHECK (json_type(warnings) = 'array'),
	checked_at INTEGER NOT NULL
) STRICT;
CREATE INDEX health_results_user ON health_results (org, username, checked_at);
CREATE INDEX health_results_checked_at ON health_results (checked_at);

-- health_latest points at each user's newest result (greatest checked_at,
-- then id), maintained on append, so that LatestHealth reads one row per
-- user however long the history is. Pruning a result removes its pointer;
-- since the pointer is the user's newest result, that only happens once all
-- of the user's results are gone.
CREATE TABLE health_latest (
	org        TEXT    NOT NULL,
	username   TEXT    NOT NULL,
	result_id  INTEGER NOT NULL UNIQUE REFERENCES health_results (id) ON DELETE CASCADE,
	checked_at INTEGER NOT NULL,
	PRIMARY KEY (org, username)
) STRICT, WITHOUT ROWID;

-- One row per audit run, including clean runs without findings.
CREATE TABLE audits (
	seq INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	id  TEXT    NOT NULL UNIQUE,
	at  INTEGER NOT NULL
) STRICT;
CREATE INDEX audits_at ON audits (at);

CREATE TABLE findings (
	id       INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	audit_id TEXT    NOT NULL REFERENCES audits (id) ON DELETE CASCADE,
	org      TEXT    NOT NULL,
	username TEXT    NOT NULL DEFAULT '',
	rule     TEXT    NOT NULL,
	severity TEXT    NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
	evidence TEXT    NOT NULL DEFAULT '',
	source   TEXT    NOT NULL DEFAULT '',
	fix      TEXT    NOT NULL DEFAULT '',
	found_at INTEGER NOT NULL
) STRICT;
CREATE INDEX findings_audit ON findings (audit_id, id);
CREATE INDEX findings_user ON findings (org, username);

CREATE TABLE rotations (
	id             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	rotation_id    TEXT    NOT NULL,
	credential     TEXT    NOT NULL,
	step           TEXT    NOT NULL,
	secret_version TEXT    NOT NULL DEFAULT '',
	detail         TEXT    NOT NULL DEFAULT '',
	at             INTEGER NOT NULL
) STRICT;
CREATE INDEX rotations_credential ON rotations (credential, at);
CREATE INDEX rotations_rotation ON rotations (rotation_id);
CREATE INDEX rotations_at ON rotations (at);

-- +goose Down
DROP TABLE rotations;
DROP TABLE findings;
DROP TABLE audits;
DROP TABLE health_latest;
DROP TABLE health_results;
DROP TABLE dependents;
DROP TABLE owners;
DROP TABLE credentials;
DROP TABLE users;
DROP TABLE orgs;
