-- Warden's PostgreSQL schema.
--
-- Names sort bytewise (COLLATE "C"), as in the SQLite store.
-- Times are timestamptz (microseconds); NULL means "never" where a time is
-- optional. Lists are JSON arrays in jsonb columns. Inventory tables (orgs,
-- users, credentials, dependents, owners) are upserted; history tables
-- (health_results, audits + findings, rotations) are append-only and
-- pruned by age.

-- +goose Up
CREATE TABLE orgs (
	name                  text COLLATE "C" NOT NULL PRIMARY KEY,
	org_id                text             NOT NULL DEFAULT '',
	login_url             text             NOT NULL,
	instance_url          text             NOT NULL DEFAULT '',
	monitoring_credential text             NOT NULL DEFAULT '',
	daily_api_share       double precision NOT NULL DEFAULT 0 CHECK (daily_api_share BETWEEN 0 AND 1),
	created_at            timestamptz      NOT NULL,
	updated_at            timestamptz      NOT NULL
);

CREATE TABLE users (
	org         text COLLATE "C" NOT NULL REFERENCES orgs (name) ON DELETE CASCADE,
	username    text COLLATE "C" NOT NULL,
	user_id     text             NOT NULL DEFAULT '',
	credential  text             NOT NULL DEFAULT '',
	owner       text COLLATE "C" NOT NULL DEFAULT '',
	description text             NOT NULL DEFAULT '',
	reasons     jsonb            NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(reasons) = 'array'),
	created_at  timestamptz      NOT NULL,
	updated_at  timestamptz      NOT NULL,
	PRIMARY KEY (org, username)
);
CREATE INDEX users_owner ON users (owner);

-- Credentials hold references to secret material (secret_store, secret_key),
-- never the material itself.
CREATE TABLE credentials (
	name         text COLLATE "C" NOT NULL PRIMARY KEY,
	org          text COLLATE "C" NOT NULL REFERENCES orgs (name) ON DELETE CASCADE,
	kind         text             NOT NULL CHECK (kind IN ('jwt', 'client_credentials', 'refresh_token', 'password')),
	username     text             NOT NULL DEFAULT '',
	client_id    text             NOT NULL DEFAULT '',
	secret_store text             NOT NULL DEFAULT '',
	secret_key   text             NOT NULL DEFAULT '',
	created_at   timestamptz      NOT NULL,
	rotated_at   timestamptz
);
CREATE INDEX credentials_org ON credentials (org, name);

CREATE TABLE owners (
	team     text COLLATE "C" NOT NULL PRIMARY KEY,
	contacts jsonb            NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(contacts) = 'array')
);

CREATE TABLE dependents (
	org        text COLLATE "C" NOT NULL,
	name       text COLLATE "C" NOT NULL,
	username   text COLLATE "C" NOT NULL,
	owner      text COLLATE "C" NOT NULL DEFAULT '',
	contact    text             NOT NULL DEFAULT '',
	delivery   text             NOT NULL DEFAULT '' CHECK (delivery IN ('', 'broker', 'secret_store', 'webhook', 'manual')),
	objects    jsonb            NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(objects) = 'array'),
	created_at timestamptz      NOT NULL,
	updated_at timestamptz      NOT NULL,
	PRIMARY KEY (org, name),
	FOREIGN KEY (org, username) REFERENCES users (org, username) ON DELETE CASCADE
);
CREATE INDEX dependents_user ON dependents (org, username);
CREATE INDEX dependents_owner ON dependents (owner);

-- Health history. Results outlive the users they describe until pruned.
CREATE TABLE health_results (
	id         bigint           NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org        text COLLATE "C" NOT NULL,
	username   text COLLATE "C" NOT NULL,
	state      text             NOT NULL CHECK (state IN ('ok', 'degraded', 'error', 'unknown')),
	cause      text             NOT NULL DEFAULT '',
	evidence   text             NOT NULL DEFAULT '',
	fix        text             NOT NULL DEFAULT '',
	warnings   jsonb            NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(warnings) = 'array'),
	checked_at timestamptz      NOT NULL
);
CREATE INDEX health_results_user ON health_results (org, username, checked_at DESC, id DESC);
CREATE INDEX health_results_checked_at ON health_results (checked_at DESC, id DESC);

-- health_latest points at each user's newest result (greatest checked_at,
-- then id), maintained on append, so that LatestHealth reads one row per
-- user however long the history is. Pruning a result removes its pointer;
-- since the pointer is the user's newest result, that only happens once all
-- of the user's results are gone.
CREATE TABLE health_latest (
	org        text COLLATE "C" NOT NULL,
	username   text COLLATE "C" NOT NULL,
	result_id  bigint           NOT NULL UNIQUE REFERENCES health_results (id) ON DELETE CASCADE,
	checked_at timestamptz      NOT NULL,
	PRIMARY KEY (org, username)
);

-- One row per audit run, including clean runs without findings.
CREATE TABLE audits (
	seq bigint           NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id  text COLLATE "C" NOT NULL UNIQUE,
	at  timestamptz      NOT NULL
);
CREATE INDEX audits_at ON audits (at DESC, seq DESC);

CREATE TABLE findings (
	id       bigint           NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	audit_id text COLLATE "C" NOT NULL REFERENCES audits (id) ON DELETE CASCADE,
	org      text COLLATE "C" NOT NULL,
	username text COLLATE "C" NOT NULL DEFAULT '',
	rule     text             NOT NULL,
	severity text             NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
	evidence text             NOT NULL DEFAULT '',
	source   text             NOT NULL DEFAULT '',
	fix      text             NOT NULL DEFAULT '',
	found_at timestamptz      NOT NULL
);
CREATE INDEX findings_audit ON findings (audit_id, id);
CREATE INDEX findings_user ON findings (org, username);

CREATE TABLE rotations (
	id             bigint           NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	rotation_id    text COLLATE "C" NOT NULL,
	credential     text COLLATE "C" NOT NULL,
	step           text             NOT NULL,
	secret_version text             NOT NULL DEFAULT '',
	detail         text             NOT NULL DEFAULT '',
	at             timestamptz      NOT NULL
);
CREATE INDEX rotations_credential ON rotations (credential, at DESC, id DESC);
CREATE INDEX rotations_rotation ON rotations (rotation_id);
CREATE INDEX rotations_at ON rotations (at DESC, id DESC);

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
