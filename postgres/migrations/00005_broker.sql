-- Broker keys (warden broker key create): an application's credential for
-- the token broker. hash is the hex SHA-256 of the key's secret part; the
-- key itself is never stored. users and operations are JSON arrays.

-- +goose Up
CREATE TABLE broker_keys (
	id           text COLLATE "C" NOT NULL PRIMARY KEY,
	name         text             NOT NULL DEFAULT '',
	users        jsonb            NOT NULL CHECK (jsonb_typeof(users) = 'array'),
	operations   jsonb            NOT NULL CHECK (jsonb_typeof(operations) = 'array'),
	dependent    text             NOT NULL,
	hash         text             NOT NULL,
	created_at   timestamptz      NOT NULL,
	expires_at   timestamptz,
	last_used_at timestamptz,
	revoked_at   timestamptz
);

-- +goose Down
DROP TABLE broker_keys;
