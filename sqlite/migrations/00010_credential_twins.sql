-- +goose Up
-- A twin credential alternates between two users (password) or two
-- connected apps (JWT) so that a rotation never breaks a dependent.
ALTER TABLE credentials ADD COLUMN twin_username TEXT NOT NULL DEFAULT '';
ALTER TABLE credentials ADD COLUMN twin_client_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE credentials DROP COLUMN twin_client_id;
ALTER TABLE credentials DROP COLUMN twin_username;
