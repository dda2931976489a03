-- The read model of users' current health (warden.StatusService).
--
-- user_statuses holds each user's current status, replaced when it
-- changes; it goes with its user. org_sweeps holds when each org was last
-- swept: every user of the org with a status counts as checked then, so
-- that a sweep that changes nothing writes one row.

-- +goose Up
CREATE TABLE user_statuses (
	org                   TEXT    NOT NULL,
	username              TEXT    NOT NULL,
	state                 TEXT    NOT NULL CHECK (state IN ('ok', 'degraded', 'error', 'unknown')),
	cause                 TEXT    NOT NULL DEFAULT '',
	since                 INTEGER,
	fix                   TEXT    NOT NULL DEFAULT '',
	evidence              TEXT    NOT NULL DEFAULT '',
	warnings              TEXT    NOT NULL DEFAULT '[]' CHECK (json_type(warnings) = 'array'),
	credential_checked_at INTEGER,
	next_credential_check INTEGER,
	PRIMARY KEY (org, username),
	FOREIGN KEY (org, username) REFERENCES users (org, username) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE org_sweeps (
	org      TEXT    NOT NULL PRIMARY KEY REFERENCES orgs (name) ON DELETE CASCADE,
	swept_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE org_sweeps;
DROP TABLE user_statuses;
