-- Delivery of rotated credentials to dependents (package delivery).
--
-- dependents gains the file and command delivery kinds, and two JSON
-- objects: target (where its credentials go: a file and its template, a
-- secret-store path, a webhook, a command, manual instructions) and
-- verify (how a delivery is proven). SQLite cannot change a CHECK
-- constraint in place, so the table is rebuilt: created anew, the rows
-- copied, the old table dropped and the new one renamed. No table refers
-- to dependents, and the rebuilt one keeps its foreign key to users.
--
-- deliveries tracks every delivery and restore, one row per dependent,
-- credential, secret version and action: its receipt, and for manual
-- deliveries the runbook (which names where the value is, never the
-- value) and the owner's confirmation. Rows are history: they outlive
-- the dependents they describe.

-- +goose Up
CREATE TABLE dependents_new (
	org        TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	username   TEXT    NOT NULL,
	owner      TEXT    NOT NULL DEFAULT '',
	contact    TEXT    NOT NULL DEFAULT '',
	delivery   TEXT    NOT NULL DEFAULT '' CHECK (delivery IN ('', 'broker', 'secret_store', 'webhook', 'file', 'command', 'manual')),
	objects    TEXT    NOT NULL DEFAULT '[]' CHECK (json_type(objects) = 'array'),
	target     TEXT    NOT NULL DEFAULT '{}' CHECK (json_type(target) = 'object'),
	verify     TEXT    NOT NULL DEFAULT '{}' CHECK (json_type(verify) = 'object'),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (org, name),
	FOREIGN KEY (org, username) REFERENCES users (org, username) ON DELETE CASCADE
) STRICT;
INSERT INTO dependents_new (org, name, username, owner, contact, delivery, objects, created_at, updated_at)
	SELECT org, name, username, owner, contact, delivery, objects, created_at, updated_at FROM dependents;
DROP TABLE dependents;
ALTER TABLE dependents_new RENAME TO dependents;
CREATE INDEX dependents_user ON dependents (org, username);
CREATE INDEX dependents_owner ON dependents (owner);

CREATE TABLE deliveries (
	id           INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	org          TEXT    NOT NULL,
	dependent    TEXT    NOT NULL,
	credential   TEXT    NOT NULL,
	version      TEXT    NOT NULL,
	action       TEXT    NOT NULL CHECK (action IN ('deliver', 'restore')),
	delivery     TEXT    NOT NULL,
	detail       TEXT    NOT NULL DEFAULT '',
	runbook      TEXT    NOT NULL DEFAULT '',
	pending      INTEGER NOT NULL DEFAULT 0 CHECK (pending IN (0, 1)),
	at           INTEGER NOT NULL,
	confirmed_at INTEGER,
	confirmed_by TEXT    NOT NULL DEFAULT '',
	UNIQUE (org, dependent, credential, version, action)
) STRICT;
CREATE INDEX deliveries_dependent ON deliveries (org, dependent, at);

-- +goose Down
DROP TABLE deliveries;
CREATE TABLE dependents_old (
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
-- The kinds the old schema lacks become manual: a person delivers.
INSERT INTO dependents_old (org, name, username, owner, contact, delivery, objects, created_at, updated_at)
	SELECT org, name, username, owner, contact,
		CASE WHEN delivery IN ('file', 'command') THEN 'manual' ELSE delivery END,
		objects, created_at, updated_at FROM dependents;
DROP TABLE dependents;
ALTER TABLE dependents_old RENAME TO dependents;
CREATE INDEX dependents_user ON dependents (org, username);
CREATE INDEX dependents_owner ON dependents (owner);
