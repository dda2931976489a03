-- Delivery of rotated credentials to dependents (package delivery).
--
-- dependents gains the file and command delivery kinds, and two JSON
-- objects: target (where its credentials go: a file and its template, a
-- secret-store path, a webhook, a command, manual instructions) and
-- verify (how a delivery is proven).
--
-- deliveries tracks every delivery and restore, one row per dependent,
-- credential, secret version and action: its receipt, and for manual
-- deliveries the runbook (which names where the value is, never the
-- value) and the owner's confirmation. Rows are history: they outlive
-- the dependents they describe.

-- +goose Up
ALTER TABLE dependents DROP CONSTRAINT dependents_delivery_check;
ALTER TABLE dependents ADD CONSTRAINT dependents_delivery_check
	CHECK (delivery IN ('', 'broker', 'secret_store', 'webhook', 'file', 'command', 'manual'));
ALTER TABLE dependents ADD COLUMN target jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(target) = 'object');
ALTER TABLE dependents ADD COLUMN verify jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(verify) = 'object');

CREATE TABLE deliveries (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org          text COLLATE "C" NOT NULL,
	dependent    text COLLATE "C" NOT NULL,
	credential   text COLLATE "C" NOT NULL,
	version      text COLLATE "C" NOT NULL,
	action       text             NOT NULL CHECK (action IN ('deliver', 'restore')),
	delivery     text             NOT NULL,
	detail       text             NOT NULL DEFAULT '',
	runbook      text             NOT NULL DEFAULT '',
	pending      boolean          NOT NULL DEFAULT false,
	at           timestamptz      NOT NULL,
	confirmed_at timestamptz,
	confirmed_by text             NOT NULL DEFAULT '',
	UNIQUE (org, dependent, credential, version, action)
);
CREATE INDEX deliveries_dependent ON deliveries (org, dependent, at);

-- +goose Down
DROP TABLE deliveries;
ALTER TABLE dependents DROP COLUMN verify;
ALTER TABLE dependents DROP COLUMN target;
-- The kinds the old schema lacks become manual: a person delivers.
UPDATE dependents SET delivery = 'manual' WHERE delivery IN ('file', 'command');
ALTER TABLE dependents DROP CONSTRAINT dependents_delivery_check;
ALTER TABLE dependents ADD CONSTRAINT dependents_delivery_check
	CHECK (delivery IN ('', 'broker', 'secret_store', 'webhook', 'manual'));
