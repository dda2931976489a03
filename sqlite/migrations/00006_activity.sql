-- Activity analysis (package activity): the rules' findings and state.
--
-- activity_events are the findings of the activity rules, the timeline
-- "warden activity" shows. dedup_key is the rule's deduplication key (rule, org,
-- user and window): a finding is recorded, and alerted, once.
--
-- activity_cursors holds each org's cursors: the newest LoginHistory and
-- SetupAuditTrail times processed, and the ids of the rows processed near
-- them (recent, a JSON array), so that a restart neither processes a row
-- twice nor skips one. activity_users holds each integration user's rule
-- state (learned networks, counters) as a JSON document the activity
-- package owns; username is lower case.

-- +goose Up
CREATE TABLE activity_events (
	id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	dedup_key   TEXT    NOT NULL UNIQUE,
	org         TEXT    NOT NULL,
	username    TEXT    NOT NULL DEFAULT '',
	rule        TEXT    NOT NULL,
	severity    TEXT    NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
	summary     TEXT    NOT NULL,
	fix         TEXT    NOT NULL DEFAULT '',
	at          INTEGER NOT NULL,
	detected_at INTEGER NOT NULL
) STRICT;
CREATE INDEX activity_events_at ON activity_events (at, id);
CREATE INDEX activity_events_user ON activity_events (org, username, at);

CREATE TABLE activity_cursors (
	org          TEXT    NOT NULL PRIMARY KEY,
	login_cursor INTEGER NOT NULL,
	audit_cursor INTEGER NOT NULL,
	recent       TEXT    NOT NULL DEFAULT '[]'
) STRICT, WITHOUT ROWID;

CREATE TABLE activity_users (
	org      TEXT NOT NULL,
	username TEXT NOT NULL,
	state    TEXT NOT NULL,
	PRIMARY KEY (org, username)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE activity_users;
DROP TABLE activity_cursors;
DROP TABLE activity_events;
