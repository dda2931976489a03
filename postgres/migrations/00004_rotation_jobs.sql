-- Rotation jobs (issue 9): one row per credential rotation, the durable
-- state of a resumable job of idempotent steps. The steps' history stays in
-- rotations (rotation_id = rotation_jobs.id). A running job is leased to
-- one worker (lease_owner until lease_until); a crashed worker's lease
-- expires and another claims the job. At most one running job per
-- credential. data is the steps' shared state as JSON, never secrets.

-- +goose Up
CREATE TABLE rotation_jobs (
	id          text COLLATE "C" NOT NULL PRIMARY KEY,
	credential  text COLLATE "C" NOT NULL,
	org         text COLLATE "C" NOT NULL,
	kind        text             NOT NULL,
	state       text             NOT NULL CHECK (state IN ('running', 'completed', 'rolled_back', 'failed')),
	step        text             NOT NULL DEFAULT '',
	trigger_by  text             NOT NULL DEFAULT '',
	path        text             NOT NULL DEFAULT '',
	error       text             NOT NULL DEFAULT '',
	attempt     integer          NOT NULL DEFAULT 0,
	lease_owner text             NOT NULL DEFAULT '',
	lease_until timestamptz,
	not_before  timestamptz,
	data        text             NOT NULL DEFAULT '{}',
	created_at  timestamptz      NOT NULL,
	updated_at  timestamptz      NOT NULL
);
CREATE UNIQUE INDEX rotation_jobs_one_running ON rotation_jobs (credential) WHERE state = 'running';
CREATE INDEX rotation_jobs_created ON rotation_jobs (created_at DESC, id DESC);

-- +goose Down
DROP TABLE rotation_jobs;
