-- Inventory sync (warden inventory sync) and the org password policy.
--
-- declared_items records which inventory items warden.yaml declared when
-- it was last synced, so that a sync deletes only those the file no longer
-- declares, never items added by CLI commands. org is the org of a user or
-- dependent and '' for the other kinds; name is the item's name (the
-- username of a user, the team of an owner). Rows may outlive their items
-- (a cascade removed them): a sync ignores and then drops those.
--
-- orgs.password_expires_days is the org's "User passwords expire in"
-- policy in days: 0 means Salesforce's default (90), -1 never.

-- +goose Up
ALTER TABLE orgs ADD COLUMN password_expires_days INTEGER NOT NULL DEFAULT 0 CHECK (password_expires_days >= -1);

CREATE TABLE declared_items (
	kind TEXT NOT NULL CHECK (kind IN ('org', 'credential', 'owner', 'user', 'dependent')),
	org  TEXT NOT NULL DEFAULT '',
	name TEXT NOT NULL,
	PRIMARY KEY (kind, org, name)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE declared_items;
ALTER TABLE orgs DROP COLUMN password_expires_days;
