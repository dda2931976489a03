-- Rotation jobs (issue 9): one row per credential rotation, the durable
-- state of a resumable job of idempotent steps. The steps' history stays in
-- rotations (rotation_id = rotation_jobs.id). A running job is leased to
-- one worker (lease_owner until lease_until); a crashed worker's lease
-- expires and another claims the job. At most one running job per
-- credential. data is the steps' shared state as JSON, never secrets.

-- +goose Up
CREATE TABLE rotation_jobs (
	id          TEXT    NOT NULL PRIMARY KEY,
	credential  TEXT    NOT NULL,
	org         TEXT    NOT NULL,
	kind        TEXT    NOT NULL,
	state       TEXT    NOT NULL CHECK (state IN ('running', 'completed', 'rolled_back', 'failed')),
	step        TEXT    NOT NULL DEFAULT '',
	trigger_by  TEXT    NOT NULL DEFAULT '',
	path        TEXT    NOT NULL DEFAULT '',
	error       TEXT    NOT NULL DEFAULT '',
	attempt     INTEGER NOT NULL DEFAULT 0,
	lease_owner TEXT    NOT NULL DEFAULT '',
	lease_until INTEGER,
	not_before  INTEGER,
	data        TEXT    NOT NULL DEFAULT '{}',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX rotation_jobs_one_running ON rotation_jobs (credential) WHERE state = 'running';
CREATE INDEX rotation_jobs_created ON rotation_jobs (created_at, id);

-- +goose Down
DROP TABLE rotation_jobs;
