-- 0004: what a login learned and needs again to refresh: the granted
-- scopes, the OAuth app (client id; its secret sealed), and the hosts the
-- tokens were issued by, so they are never sent anywhere else.
ALTER TABLE integration ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE integration ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
ALTER TABLE integration ADD COLUMN client_secret BLOB;  -- ciphertext
ALTER TABLE integration ADD COLUMN api_url TEXT NOT NULL DEFAULT '';
ALTER TABLE integration ADD COLUMN auth_url TEXT NOT NULL DEFAULT '';
