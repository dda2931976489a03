-- The alerts Warden sent (warden.AlertService), with what people did
-- about them: acknowledgements and snoozes, each with who and why.
--
-- Alerts are history: they are kept when their user or org is deleted,
-- so that the alerts page still tells what happened.

-- +goose Up
CREATE TABLE alerts (
	id            bigint           NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	key           text COLLATE "C" NOT NULL,
	org           text COLLATE "C" NOT NULL,
	username      text COLLATE "C" NOT NULL DEFAULT '',
	state         text             NOT NULL DEFAULT '',
	previous      text             NOT NULL DEFAULT '',
	cause         text             NOT NULL DEFAULT '',
	severity      text             NOT NULL DEFAULT '',
	evidence      text             NOT NULL DEFAULT '',
	fix           text             NOT NULL DEFAULT '',
	resolved      integer          NOT NULL DEFAULT 0 CHECK (resolved IN (0, 1)),
	owner         text             NOT NULL DEFAULT '',
	dependents    jsonb            NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(dependents) = 'array'),
	url           text             NOT NULL DEFAULT '',
	at            timestamptz      NOT NULL,
	suppressed    integer          NOT NULL DEFAULT 0 CHECK (suppressed IN (0, 1)),
	acked_at      timestamptz,
	acked_by      text             NOT NULL DEFAULT '',
	ack_reason    text             NOT NULL DEFAULT '',
	snoozed_until timestamptz,
	snoozed_by    text             NOT NULL DEFAULT '',
	snooze_reason text             NOT NULL DEFAULT ''
);
CREATE INDEX alerts_key ON alerts (key, at DESC, id DESC);
CREATE INDEX alerts_user ON alerts (org, username, at DESC, id DESC);
CREATE INDEX alerts_at ON alerts (at DESC, id DESC);

-- +goose Down
DROP TABLE alerts;
