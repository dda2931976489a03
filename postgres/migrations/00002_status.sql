-- The read model of users' current health (warden.StatusService).
--
-- user_statuses holds each user's current status, replaced when it
-- changes; it goes with its user. org_sweeps holds when each org was last
-- swept: every user of the org with a status counts as checked then, so
-- that a sweep that changes nothing writes one row.

-- +goose Up
CREATE TABLE user_statuses (
	org                   text COLLATE "C" NOT NULL,
	username              text COLLATE "C" NOT NULL,
	state                 text             NOT NULL CHECK (state IN ('ok', 'degraded', 'error', 'unknown')),
	cause                 text             NOT NULL DEFAULT '',
	since                 timestamptz,
	fix                   text             NOT NULL DEFAULT '',
	evidence              text             NOT NULL DEFAULT '',
	warnings              jsonb            NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(warnings) = 'array'),
	credential_checked_at timestamptz,
	next_credential_check timestamptz,
	PRIMARY KEY (org, username),
	FOREIGN KEY (org, username) REFERENCES users (org, username) ON DELETE CASCADE
);

CREATE TABLE org_sweeps (
	org      text COLLATE "C" NOT NULL PRIMARY KEY REFERENCES orgs (name) ON DELETE CASCADE,
	swept_at timestamptz      NOT NULL
);

-- +goose Down
DROP TABLE org_sweeps;
DROP TABLE user_statuses;
