-- Dashboard access control: local accounts, API tokens, browser sessions
-- and the audit log.
--
-- Secrets are never stored: accounts keep an argon2id hash of the password
-- (PHC string), tokens and sessions the hex SHA-256 of their value.
-- audit_entries is append-only (triggers refuse UPDATE and DELETE) and
-- forms a hash chain; audit_head is its one-row checkpoint (the newest
-- entry's seq and hash), which reveals a truncated tail.

-- +goose Up
CREATE TABLE accounts (
	username      TEXT    NOT NULL PRIMARY KEY,
	role          TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
	password_hash TEXT    NOT NULL,
	failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
	locked_until  INTEGER,
	last_login_at INTEGER,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE api_tokens (
	id           TEXT    NOT NULL PRIMARY KEY,
	name         TEXT    NOT NULL,
	role         TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
	hash         TEXT    NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER,
	last_used_at INTEGER,
	revoked_at   INTEGER
) STRICT;

CREATE TABLE sessions (
	hash         TEXT    NOT NULL PRIMARY KEY,
	kind         TEXT    NOT NULL,
	name         TEXT    NOT NULL,
	role         TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_principal ON sessions (kind, name);

CREATE TABLE audit_entries (
	seq        INTEGER NOT NULL PRIMARY KEY,
	at         INTEGER NOT NULL,
	actor_kind TEXT    NOT NULL,
	actor_name TEXT    NOT NULL,
	action     TEXT    NOT NULL,
	target     TEXT    NOT NULL DEFAULT '',
	source     TEXT    NOT NULL DEFAULT '',
	result     TEXT    NOT NULL,
	detail     TEXT    NOT NULL DEFAULT '',
	prev_hash  TEXT    NOT NULL,
	hash       TEXT    NOT NULL
) STRICT;

CREATE TABLE audit_head (
	id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash TEXT    NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- +goose StatementBegin
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN
	SELECT RAISE(ABORT, 'the audit log is append-only');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN
	SELECT RAISE(ABORT, 'the audit log is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_entries_no_delete;
DROP TRIGGER audit_entries_no_update;
DROP TABLE audit_head;
DROP TABLE audit_entries;
DROP TABLE sessions;
DROP TABLE api_tokens;
DROP TABLE accounts;
