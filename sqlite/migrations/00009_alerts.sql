-- The alerts Warden sent (warden.AlertService), with what people did
-- about them: acknowledgements and snoozes, each with who and why.
--
-- Alerts are history: they are kept when their user or org is deleted,
-- so that the alerts page still tells what happened.

-- +goose Up
CREATE TABLE alerts (
	id            INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	key           TEXT    NOT NULL,
	org           TEXT    NOT NULL,
	username      TEXT    NOT NULL DEFAULT '',
	state         TEXT    NOT NULL DEFAULT '',
	previous      TEXT    NOT NULL DEFAULT '',
	cause         TEXT    NOT NULL DEFAULT '',
	severity      TEXT    NOT NULL DEFAULT '',
	evidence      TEXT    NOT NULL DEFAULT '',
	fix           TEXT    NOT NULL DEFAULT '',
	resolved      INTEGER NOT NULL DEFAULT 0 CHECK (resolved IN (0, 1)),
	owner         TEXT    NOT NULL DEFAULT '',
	dependents    TEXT    NOT NULL DEFAULT '[]' CHECK (json_type(dependents) = 'array'),
	url           TEXT    NOT NULL DEFAULT '',
	at            INTEGER NOT NULL,
	suppressed    INTEGER NOT NULL DEFAULT 0 CHECK (suppressed IN (0, 1)),
	acked_at      INTEGER,
	acked_by      TEXT    NOT NULL DEFAULT '',
	ack_reason    TEXT    NOT NULL DEFAULT '',
	snoozed_until INTEGER,
	snoozed_by    TEXT    NOT NULL DEFAULT '',
	snooze_reason TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX alerts_key ON alerts (key, at DESC, id DESC);
CREATE INDEX alerts_user ON alerts (org, username, at DESC, id DESC);
CREATE INDEX alerts_at ON alerts (at DESC, id DESC);

-- +goose Down
DROP TABLE alerts;
