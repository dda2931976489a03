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
	id          bigint NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	dedup_key   text COLLATE "C"    NOT NULL UNIQUE,
	org         text COLLATE "C"    NOT NULL,
	username    text COLLATE "C"    NOT NULL DEFAULT '',
	rule        text    NOT NULL,
	severity    text    NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
	summary     text    NOT NULL,
	fix         text    NOT NULL DEFAULT '',
	at          timestamptz NOT NULL,
	detected_at timestamptz NOT NULL
);
CREATE INDEX activity_events_at ON activity_events (at, id);
CREATE INDEX activity_events_user ON activity_events (org, username, at);

CREATE TABLE activity_cursors (
	org          text COLLATE "C"    NOT NULL PRIMARY KEY,
	login_cursor timestamptz NOT NULL,
	audit_cursor timestamptz NOT NULL,
	recent       text    NOT NULL DEFAULT '[]'
);

CREATE TABLE activity_users (
	org      text COLLATE "C" NOT NULL,
	username text COLLATE "C" NOT NULL,
	state    text NOT NULL,
	PRIMARY KEY (org, username)
);

-- +goose Down
DROP TABLE activity_users;
DROP TABLE activity_cursors;
DROP TABLE activity_events;
