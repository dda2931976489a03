-- Dashboard access control: local accounts, API tokens, browser sessions
-- and the audit log.
--
-- Secrets are never stored: accounts keep an argon2id hash of the password
-- (PHC string), tokens and sessions the hex SHA-256 of their value.
-- audit_entries is append-only (a trigger refuses UPDATE, DELETE and
-- TRUNCATE) and forms a hash chain; audit_head is its one-row checkpoint
-- (the newest entry's seq and hash), which reveals a truncated tail.

-- +goose Up
CREATE TABLE accounts (
	username      text COLLATE "C" NOT NULL PRIMARY KEY,
	role          text COLLATE "C" NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
	password_hash text             NOT NULL,
	failed_logins integer          NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
	locked_until  timestamptz,
	last_login_at timestamptz,
	created_at    timestamptz      NOT NULL,
	updated_at    timestamptz      NOT NULL
);

CREATE TABLE api_tokens (
	id           text COLLATE "C" NOT NULL PRIMARY KEY,
	name         text COLLATE "C" NOT NULL,
	role         text COLLATE "C" NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
	hash         text COLLATE "C" NOT NULL UNIQUE,
	created_at   timestamptz      NOT NULL,
	expires_at   timestamptz,
	last_used_at timestamptz,
	revoked_at   timestamptz
);

CREATE TABLE sessions (
	hash         text COLLATE "C" NOT NULL PRIMARY KEY,
	kind         text COLLATE "C" NOT NULL,
	name         text COLLATE "C" NOT NULL,
	role         text COLLATE "C" NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
	created_at   timestamptz      NOT NULL,
	last_seen_at timestamptz      NOT NULL,
	expires_at   timestamptz      NOT NULL
);
CREATE INDEX sessions_principal ON sessions (kind, name);

CREATE TABLE audit_entries (
	seq        bigint           NOT NULL PRIMARY KEY,
	at         timestamptz      NOT NULL,
	actor_kind text COLLATE "C" NOT NULL,
	actor_name text COLLATE "C" NOT NULL,
	action     text COLLATE "C" NOT NULL,
	target     text COLLATE "C" NOT NULL DEFAULT '',
	source     text COLLATE "C" NOT NULL DEFAULT '',
	result     text COLLATE "C" NOT NULL,
	detail     text             NOT NULL DEFAULT '',
	prev_hash  text COLLATE "C" NOT NULL,
	hash       text COLLATE "C" NOT NULL
);

CREATE TABLE audit_head (
	id   integer NOT NULL PRIMARY KEY CHECK (id = 1),
	seq  bigint  NOT NULL,
	hash text    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- +goose StatementBegin
CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries
	FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
	FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only();

-- +goose Down
DROP TRIGGER audit_entries_no_truncate ON audit_entries;
DROP TRIGGER audit_entries_no_change ON audit_entries;
DROP FUNCTION audit_entries_append_only();
DROP TABLE audit_head;
DROP TABLE audit_entries;
DROP TABLE sessions;
DROP TABLE api_tokens;
DROP TABLE accounts;
