-- Broker keys (warden broker key create): an application's credential for
-- the token broker. hash is the hex SHA-256 of the key's secret part; the
-- key itself is never stored. users and operations are JSON arrays.

-- +goose Up
CREATE TABLE broker_keys (
	id           TEXT    NOT NULL PRIMARY KEY,
	name         TEXT    NOT NULL DEFAULT '',
	users        TEXT    NOT NULL CHECK (json_type(users) = 'array'),
	operations   TEXT    NOT NULL CHECK (json_type(operations) = 'array'),
	dependent    TEXT    NOT NULL,
	hash         TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER,
	last_used_at INTEGER,
	revoked_at   INTEGER
) STRICT;

-- +goose Down
DROP TABLE broker_keys;
